"""Checked conversion of array arguments (signatures, fingerprints, hashes, pairs, weights)
and of the keys of an index's batch.

``np.asarray(x, dtype=np.uint64)`` on caller input fails in ways that name nothing (a
TypeError for None, an OverflowError for -1, a RuntimeWarning and a garbage value for NaN),
so every public function converts through these, which raise one ValueError naming the
argument and what it must be.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np


def _shown(value: Any, array: np.ndarray | None) -> str:
    if array is None:
        return type(value).__name__
    return f"shape {array.shape} dtype {array.dtype}"


def _exact_ints(value: Any) -> np.ndarray | None:
    """A list of Python ints some of which are >= 2**63 comes out of ``np.asarray`` as
    float64 (rounded) or object: convert it exactly, or ``None`` if it holds anything but
    ints in [0, 2**64)."""
    objects = np.array(value, dtype=object)
    for v in objects.flat:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < 1 << 64:
            return None
    return objects.astype(np.uint64)


def _integer_array(value: Any, what: str, ndim: int | None, dtype: str, bits: int) -> np.ndarray:
    """``value`` as an array of ints >= 0 (still of its own integer dtype) of ``ndim``
    dimensions (``None``: any), else a ValueError saying it must be of ``dtype`` (ints in
    ``[0, 2**bits)``); a float, even a whole one, or a bool is refused rather than cast."""
    try:
        array: np.ndarray | None = np.asarray(value)
        if array is not value and array.dtype.kind in "fO" and array.size:  # type: ignore[union-attr]
            array = _exact_ints(value)
    except (TypeError, ValueError, OverflowError):
        array = None
    ok = array is not None and (ndim is None or array.ndim == ndim)
    if ok and array.size:  # type: ignore[union-attr]
        kind = array.dtype.kind  # type: ignore[union-attr]
        ok = kind in "ui"
        if ok and kind == "i" and array.min() < 0:  # type: ignore[union-attr]
            raise ValueError(f"{what} must be >= 0 ({dtype})")
    if not ok:
        shape = "an array" if ndim is None else f"a {ndim}-d array"
        raise ValueError(f"{what} must be {shape} of {dtype} (ints in [0, 2**{bits})), got {_shown(value, array)}")
    return array  # type: ignore[return-value]


def uint64_array(value: Any, what: str, ndim: int | None) -> np.ndarray:
    """``value`` as a C-contiguous ``uint64`` array of ``ndim`` dimensions (``None``: any);
    integers only (a float, even a whole one, is refused rather than cast)."""
    return np.ascontiguousarray(_integer_array(value, what, ndim, "uint64", 64), dtype=np.uint64)


def count_array(value: Any, what: str, ndim: int | None = 1) -> np.ndarray:
    """``value`` as a C-contiguous ``int64`` array of ints in ``[0, 2**63)`` (counts, CSR
    offsets) of ``ndim`` dimensions; checked as :func:`uint64_array` (a float such as 10.7 or
    NaN, a bool or None is refused, never truncated)."""
    array = _integer_array(value, what, ndim, "int64", 63)
    if array.size and int(array.max()) >= 1 << 63:
        raise ValueError(f"{what} must be below 2**63, got {int(array.max())}")
    return np.ascontiguousarray(array, dtype=np.int64)


def float_array(value: Any, what: str) -> np.ndarray:
    """``value`` as a float64 array (real numbers only; NaN is checked where it matters)."""
    try:
        array = np.asarray(value)
        if array.dtype.kind not in "uifb" and array.size:
            raise TypeError
        # np.require keeps a scalar 0-d (ascontiguousarray would make it 1-d, so a scalar
        # could pass for one value per item).
        return np.require(array, dtype=np.float64, requirements="C")
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be real numbers, got {type(value).__name__}") from None


def index_pairs(value: Any, what: str = "pairs") -> np.ndarray:
    """``value`` as an ``(m, 2)`` int64 array of document index pairs."""
    try:
        array: np.ndarray | None = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        array = None
    if array is not None and array.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    ok = array is not None and array.ndim == 2 and array.shape[1] == 2 and array.dtype.kind in "ui"
    if ok and array.dtype == np.uint64:  # type: ignore[union-attr]
        ok = bool(array.max() < 1 << 63)  # type: ignore[union-attr]
    if not ok:
        raise ValueError(f"{what} must be (i, j) pairs of int document indices, got {_shown(value, array)}")
    return np.ascontiguousarray(array, dtype=np.int64)


def as_list(values: Any, what: str) -> list[Any] | tuple[Any, ...]:
    """An iterable argument as a list (a list or tuple as it is); a single str or bytes, or
    something not iterable, raises a TypeError saying what was expected (``what``: e.g.
    "str documents")."""
    # bytes and bytearray iterate as ints, which some callers would take (as ids).
    if isinstance(values, (str, bytes, bytearray)):
        raise TypeError(f"expected an iterable of {what}, got a single {type(values).__name__}")
    if isinstance(values, (list, tuple)):
        return values
    try:
        return list(values)
    except TypeError:
        raise TypeError(f"expected an iterable of {what}, got {type(values).__name__}") from None


def check_new_keys(keys: list[Hashable], count: int, indexed: Any, what: str) -> None:
    """A batch of keys for ``count`` values: one each, none indexed yet, none repeated."""
    if len(keys) != count:
        raise ValueError(f"{len(keys)} keys for {count} {what}")
    unique = set(keys)
    # indexed.keys() walks the smaller side (the batch); set.isdisjoint(dict) would walk the
    # whole index on every batch.
    if len(unique) == len(keys) and indexed.keys().isdisjoint(unique):
        return  # the usual case, checked in C; the loop below finds the first offender
    seen: set[Hashable] = set()
    for i, key in enumerate(keys):
        if key in indexed:
            raise ValueError(f"document {i}: key {key!r} is already in the index")
        if key in seen:
            raise ValueError(f"document {i}: key {key!r} is repeated in the batch")
        seen.add(key)
