"""Support for the fuzz tests: hostile argument values, running a call under one backend, and
comparing outcomes across backends.

A call's *outcome* is its result in a comparable plain form, or the type of the clear error it
raised (TypeError or ValueError, with a message). Any other exception escapes and fails the
test: a crash, a Rust panic, an IndexError from deep inside, a ZeroDivisionError.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from hypothesis import strategies as st

import neardup
from neardup import _backend, _reference

# Modules that bind the active backend at import (``_impl = _backend.IMPL``).
_BOUND = [
    "neardup.text",
    "neardup.repeats",
    "neardup.chrome",
    "neardup.minhash",
    "neardup.lsh",
    "neardup.cluster",
    "neardup.simhash",
    "neardup.align",
    "neardup.fuzzy",
    "neardup.index",
]

try:
    from neardup import _core  # noqa: F401

    HAVE_RUST = True
except ImportError:  # pragma: no cover - the python-only CI run still has the core built
    HAVE_RUST = False

#: Compare against the reference when the Rust core is the active backend.
COMPARE = HAVE_RUST and neardup.backend() == "rust"

NAN, INF = float("nan"), float("inf")

#: Values of the wrong type or outside every domain; each must give a TypeError/ValueError.
HOSTILE: list[Any] = [
    None,
    b"bytes",
    bytearray(b"x"),
    -1,
    0,
    2**64,
    -(2**63) - 1,
    10**100,
    1.5,
    NAN,
    INF,
    -INF,
    True,
    "",
    "\ud800",
    "x",
    [],
    [None],
    ["a", 3],
    {},
    object(),
    np.float64("nan"),
    np.uint64(2**64 - 1),
    np.int64(-5),
    np.array([1.0, NAN]),
    (1, 2, 3),
    1j,
]
hostile = st.sampled_from(HOSTILE)


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Run the public API on one backend (both can live in one process)."""
    impl = _reference if name == "python" else sys.modules["neardup._core"]
    saved = [(m, sys.modules[m]._impl) for m in _BOUND]
    saved_backend = (_backend.NAME, _backend.IMPL)
    try:
        for m in _BOUND:
            sys.modules[m]._impl = impl
        _backend.NAME, _backend.IMPL = name, impl
        yield
    finally:
        for m, value in saved:
            sys.modules[m]._impl = value
        _backend.NAME, _backend.IMPL = saved_backend


def plain(value: Any) -> Any:
    """A comparable plain form of a result (arrays, named tuples, dataclasses, NaN)."""
    if isinstance(value, np.ndarray):
        return ("array", str(value.dtype) if value.dtype.kind != "O" else "O", plain(value.tolist()))
    if isinstance(value, float) or isinstance(value, np.floating):
        return "nan" if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, plain({f.name: getattr(value, f.name) for f in dataclasses.fields(value)}))
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, [plain(v) for v in value])
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def outcome(call: Callable[[], Any]) -> tuple[str, Any, str]:
    """``("ok", result, "")`` or ``("error", exception type, message)`` for the clear errors
    only."""
    try:
        return "ok", plain(call()), ""
    except (TypeError, ValueError) as error:
        message = str(error)
        assert message and message != "None", f"{type(error).__name__} without a message"
        return "error", _kind(error), message


def _kind(error: BaseException) -> str:
    # Subclasses (IndexDataError, UnicodeError) count as their public base.
    return "TypeError" if isinstance(error, TypeError) else "ValueError"


def check_call(call: Callable[[], Any]) -> tuple[str, Any, str]:
    """Run ``call`` on the active backend and, with the core built and active, on the
    reference too: both must succeed with equal results or fail with the same error type."""
    result = outcome(call)
    if COMPARE:
        with use_backend("python"):
            reference = outcome(call)
        assert result[:2] == reference[:2], f"backends disagree: rust {result!r:.400} vs python {reference!r:.400}"
    return result


def maybe_hostile(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly valid values, sometimes a hostile one."""
    return st.one_of(valid, valid, valid, hostile)
