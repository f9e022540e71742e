"""Comparing a result of the Rust core with the pure-Python reference's."""

from __future__ import annotations

import numpy as np

try:
    from neardup import _core
except ImportError:  # never built: the tests marked `core` skip (conftest.py), nothing else needs it
    _core = None


def as_lists(value):
    """Turn numpy arrays (Rust) and lists/tuples (reference) into comparable nested lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [as_lists(v) for v in value]
    return value


def same(rust_result, reference_result):
    assert as_lists(rust_result) == as_lists(reference_result)
