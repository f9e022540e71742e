"""The backend switch: the compiled Rust core or the pure-Python reference.

NEARDUP_BACKEND=auto (default) uses the compiled core when it is built and otherwise falls
back to the reference with one warning; =rust requires the core; =python forces the reference.
"""

from __future__ import annotations

import os
import warnings
from types import ModuleType

from . import _reference

BUILD_HINT = (
    "build it with `make dev` (or `pip install -e .` / `maturin develop` in your environment)"
)


def _load() -> tuple[str, ModuleType]:
    choice = os.environ.get("NEARDUP_BACKEND", "auto").strip().lower() or "auto"
    if choice not in ("auto", "rust", "python"):
        raise ValueError(f"NEARDUP_BACKEND must be auto, rust or python, got {choice!r}")
    if choice == "python":
        return "python", _reference
    try:
        from . import _core
    except ImportError as error:
        if choice == "rust":
            raise ImportError(
                f"NEARDUP_BACKEND=rust but the compiled core neardup._core is not importable ({error}); "
                + BUILD_HINT
            ) from error
        warnings.warn(
            "neardup: the compiled core is not built; using the pure-Python reference, which is "
            "much slower; " + BUILD_HINT,
            RuntimeWarning,
            stacklevel=3,
        )
        return "python", _reference
    return "rust", _core


NAME, IMPL = _load()
