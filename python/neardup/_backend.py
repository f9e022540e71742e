"""The backend switch: the compiled Rust core or the pure-Python reference.

NEARDUP_BACKEND=auto (default) uses the compiled core when it is built and otherwise falls
back to the reference with one warning; =rust requires the core; =python forces the reference.
NEARDUP_SIMD=auto|avx512|avx2|portable picks the core's SIMD code path (the same results on
every path; the core refuses, with a ValueError when it is imported, a path the CPU cannot run).
"""

from __future__ import annotations

import os
import warnings
from types import ModuleType

from . import _reference
from ._reference.text import unicode_mismatch

try:
    # The core raises it itself, for a panic caught at its boundary (rust/py/guard.rs).
    from ._core import InternalError
except ImportError:  # no compiled core: nothing raises it, but the name stays importable

    class InternalError(RuntimeError):  # type: ignore[no-redef]
        """A bug in neardup: the compiled core panicked (the core's own class when it is built)."""


BUILD_HINT = (
    "build it with `make dev` (or `pip install -e .` / `maturin develop` in your environment)"
)


def _load() -> tuple[str, ModuleType]:
    choice = os.environ.get("NEARDUP_BACKEND", "auto").strip().lower() or "auto"
    if choice not in ("auto", "rust", "python"):
        raise ValueError(f"NEARDUP_BACKEND must be auto, rust or python, got {choice!r}")
    # Refused up front rather than at the first non-ASCII text (_reference.text.normalize).
    mismatch = unicode_mismatch()
    if choice == "python":
        if mismatch:
            raise ImportError(f"NEARDUP_BACKEND=python, but {mismatch}")
        return "python", _reference
    try:
        from . import _core
    except ImportError as error:
        if choice == "rust":
            raise ImportError(
                f"NEARDUP_BACKEND=rust but the compiled core neardup._core is not importable ({error}); "
                + BUILD_HINT
            ) from error
        if mismatch:
            raise ImportError(f"the compiled core neardup._core is not importable ({error}), and {mismatch}") from error
        warnings.warn(
            "neardup: the compiled core is not built; using the pure-Python reference, which is "
            "much slower; " + BUILD_HINT,
            RuntimeWarning,
            stacklevel=3,
        )
        return "python", _reference
    return "rust", _core


NAME, IMPL = _load()


def backend() -> str:
    """The active backend: ``"rust"`` (compiled core) or ``"python"`` (pure-Python reference)."""
    return NAME
