"""Stubs of the compiled core ``neardup._core`` (checked against the module by mypy's stubtest).

The public, documented API is in ``neardup/__init__.py``; these functions are its backend and
mirror ``neardup._reference`` one to one.
"""

from collections.abc import Iterable, Sequence
from typing import final

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

# --- chrome and repeats ----------------------------------------------------------------------

_LineKeys = tuple[_Spans, npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.int64]]
_Repeat = tuple[int, int, int, int, int]

def line_keys(text: str) -> _LineKeys: ...
def line_keys_batch(texts: Iterable[str], num_threads: int | None = None) -> list[_LineKeys]: ...
def find_repeats(text: str, min_lines: int = 3, min_chars: int = 200, long_chars: int = 500) -> list[_Repeat]: ...
def find_repeats_batch(
    texts: Iterable[str],
    min_lines: int = 3,
    min_chars: int = 200,
    long_chars: int = 500,
    num_threads: int | None = None,
) -> list[list[_Repeat]]: ...

@final
class ChromeModel:
    def __new__(
        cls,
        min_pages: int = 3,
        template_permille: int = 200,
        inner_permille: int = 500,
        shape_permille: int = 300,
        penalty: int = 200,
        cross_sites: int = 3,
    ) -> ChromeModel: ...
    def params(self) -> tuple[int, int, int, int, int, int]: ...
    def add(self, texts: Iterable[str], sites: Iterable[str], num_threads: int | None = None) -> None: ...
    def decide(
        self, texts: Iterable[str], sites: Iterable[str], num_threads: int | None = None
    ) -> list[tuple[_Spans, npt.NDArray[np.uint8]]]: ...
    def site_names(self) -> list[str]: ...
    def site_state(
        self, site: str
    ) -> tuple[int, npt.NDArray[np.uint64], npt.NDArray[np.uint32], npt.NDArray[np.uint64], npt.NDArray[np.uint32]]: ...
    def insert_site(
        self,
        site: str,
        pages: int,
        line_fingerprints: Sequence[int],
        line_counts: Sequence[int],
        shape_keys: Sequence[int],
        shape_counts: Sequence[int],
    ) -> None: ...
