"""Comparing a result of the Rust core with the pure-Python reference's."""

from __future__ import annotations

import numpy as np


def as_lists(value):
    """Turn numpy arrays (Rust) and lists/tuples (reference) into comparable nested lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [as_lists(v) for v in value]
    return value


def same(rust_result, reference_result):
    assert as_lists(rust_result) == as_lists(reference_result)
