"""The backend switch: the compiled Rust core or the pure-Python reference.

NEARDUP_BACKEND=auto (default) uses the compiled core when it is built and otherwise falls
back to the reference with one warning; =rust requires the core; =python forces the reference.
"""

from __future__ import annotations

import functools
import os
import types
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

from . import _reference
from ._reference.text import unicode_mismatch

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
    return "rust", _guarded(_core)


class InternalError(RuntimeError):
    """A bug in neardup: the compiled core panicked. Raised, like any error, as an ordinary
    exception (never an abort of the process); the message says where the core failed."""


def _is_panic(error: BaseException) -> bool:
    # PyO3 turns a Rust panic into pyo3_runtime.PanicException, a BaseException that an
    # `except Exception` would not catch; the type is not importable, so it is known by name.
    kind = type(error)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


def _internal(error: BaseException) -> InternalError:
    return InternalError(
        f"neardup internal error (a bug in the compiled core; please report it with the input "
        f"that caused it): {error}"
    )


def _guard(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except BaseException as error:
            if _is_panic(error):
                raise _internal(error) from error
            raise

    return guarded


def _guard_class(cls: type) -> type:
    """A class wrapping each instance of ``cls`` whose methods turn a panic into
    InternalError (a PyO3 class cannot be subclassed, so it is wrapped, not extended)."""

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        self._inner = _guard(cls)(*args, **kwargs)

    namespace: dict[str, Any] = {"__slots__": ("_inner",), "__init__": init, "__doc__": cls.__doc__}
    for name, attribute in vars(cls).items():
        if name.startswith("__"):
            continue
        if isinstance(attribute, types.GetSetDescriptorType):
            namespace[name] = property(lambda self, name=name: getattr(self._inner, name))
        elif callable(attribute):
            namespace[name] = _guard_method(name)
    return type(cls.__name__, (), namespace)


def _guard_method(name: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._inner, name)(*args, **kwargs)
        except BaseException as error:
            if _is_panic(error):
                raise _internal(error) from error
            raise

    method.__name__ = name
    return method


def _guarded(core: ModuleType) -> ModuleType:
    """The core with every function and class method guarded by :func:`_guard`."""
    module = ModuleType(core.__name__, core.__doc__)
    for name in dir(core):
        value = getattr(core, name)
        if name.startswith("__"):
            continue
        if isinstance(value, type):
            value = _guard_class(value)
        elif isinstance(value, types.BuiltinFunctionType):
            value = _guard(value)
        setattr(module, name, value)
    return module


NAME, IMPL = _load()


def backend() -> str:
    """The active backend: ``"rust"`` (compiled core) or ``"python"`` (pure-Python reference)."""
    return NAME
