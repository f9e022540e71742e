"""Stubs of the compiled core ``neardup._core`` (checked against the module by mypy's stubtest).

The public, documented API is in ``neardup/__init__.py``; these functions are its backend and
mirror ``neardup._reference`` one to one.
"""

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

UNICODE_VERSION: str
DEBUG_BUILD: bool

_Spans = npt.NDArray[np.int64]

# --- text primitives -------------------------------------------------------------------------

def normalize(text: str, mask_digits: bool = False) -> tuple[str, npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def normalize_batch(
    texts: Iterable[str], mask_digits: bool = False, num_threads: int | None = None
) -> list[tuple[str, npt.NDArray[np.int64], npt.NDArray[np.int64]]]: ...
def segment(text: str) -> tuple[_Spans, _Spans]: ...
def segment_batch(texts: Iterable[str], num_threads: int | None = None) -> list[tuple[_Spans, _Spans]]: ...
def tokenize(text: str) -> tuple[list[str], _Spans]: ...
def tokenize_batch(texts: Iterable[str], num_threads: int | None = None) -> list[tuple[list[str], _Spans]]: ...
def shingles(text: str, n: int | None = None, kind: str = "word", seed: int | None = None) -> npt.NDArray[np.uint64]: ...
def shingles_batch(
    texts: Iterable[str],
    n: int | None = None,
    kind: str = "word",
    seed: int | None = None,
    num_threads: int | None = None,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]: ...
def hash64(data: bytes | str, seed: int | None = None) -> int: ...
