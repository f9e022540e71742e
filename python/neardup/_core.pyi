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

class InternalError(RuntimeError):
    """A panic of the core, caught at its boundary and raised as an ordinary exception."""

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
    distinct: bool = False,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]: ...
def shingle_sets_spooled(
    fd: int,
    starts: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    docs: npt.NDArray[np.int64],
    n: int | None = None,
    kind: str = "word",
    seed: int | None = None,
    num_threads: int | None = None,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]: ...
def hash64(data: bytes | str, seed: int | None = None) -> int: ...

# --- MinHash, LSH, verification, clusters (neardup.minhash, .lsh, .cluster; twins: _reference/) ---

def minhash_texts(
    texts: Iterable[str],
    num_perm: int = 128,
    seed: int | None = None,
    scheme: str = "classic",
    n: int | None = None,
    kind: str = "word",
    shingle_seed: int | None = None,
    num_threads: int | None = None,
) -> npt.NDArray[np.uint64]: ...
def minhash_texts_sized(
    texts: Iterable[str],
    num_perm: int = 128,
    seed: int | None = None,
    scheme: str = "classic",
    n: int | None = None,
    kind: str = "word",
    shingle_seed: int | None = None,
    num_threads: int | None = None,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]: ...
def minhash_texts_anchored(
    texts: Iterable[str],
    num_perm: int = 128,
    seed: int | None = None,
    scheme: str = "classic",
    n: int | None = None,
    kind: str = "word",
    shingle_seed: int | None = None,
    anchor_bits: int = 5,
    num_threads: int | None = None,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64], npt.NDArray[np.uint64], npt.NDArray[np.int64]]: ...
def minhash_shingles(
    hashes: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    num_perm: int = 128,
    seed: int | None = None,
    scheme: str = "classic",
    num_threads: int | None = None,
) -> npt.NDArray[np.uint64]: ...
def classic_permutations(
    num_perm: int, seed: int | None = None
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]: ...
def datasketch_minhash(
    docs: Iterable[Iterable[bytes]],
    a: npt.NDArray[np.uint64],
    b: npt.NDArray[np.uint64],
    scheme: str = "affine32",
    num_threads: int | None = None,
) -> npt.NDArray[np.uint64]: ...
def band_keys(
    signatures: npt.NDArray[np.uint64], bands: int, rows: int, num_threads: int | None = None
) -> npt.NDArray[np.uint64]: ...
def candidate_pairs(
    signatures: npt.NDArray[np.uint64], bands: int, rows: int, num_threads: int | None = None
) -> npt.NDArray[np.int64]: ...
def candidate_pairs_of_keys(keys: npt.NDArray[np.uint64], num_threads: int | None = None) -> npt.NDArray[np.int64]: ...
def anchor_pairs(
    values: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64], max_docs: int, num_threads: int | None = None
) -> npt.NDArray[np.int64]: ...
def estimate_pairs(
    signatures: npt.NDArray[np.uint64], pairs: npt.NDArray[np.int64], num_threads: int | None = None
) -> npt.NDArray[np.float64]: ...
def set_overlaps(
    hashes: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    pairs: npt.NDArray[np.int64],
    num_threads: int | None = None,
    need: npt.NDArray[np.int64] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def text_overlaps(
    texts: Iterable[str],
    pairs: npt.NDArray[np.int64],
    n: int | None = None,
    kind: str = "word",
    seed: int | None = None,
    num_threads: int | None = None,
    need: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.int64]: ...
def cluster(
    n: int, pairs: npt.NDArray[np.int64], priority: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...

@final
class LshIndex:
    def __new__(cls, num_perm: int, bands: int, rows: int) -> LshIndex: ...
    @property
    def num_perm(self) -> int: ...
    @property
    def bands(self) -> int: ...
    @property
    def rows(self) -> int: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: int, /) -> bool: ...
    def insert(self, id: int, signature: npt.NDArray[np.uint64]) -> None: ...
    def insert_batch(
        self, ids: npt.NDArray[np.uint64], signatures: npt.NDArray[np.uint64], num_threads: int | None = None
    ) -> None: ...
    def remove(self, id: int) -> None: ...
    def query(self, signature: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]: ...
    def query_batch(
        self, signatures: npt.NDArray[np.uint64], num_threads: int | None = None
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]: ...
    def candidate_pairs(self) -> npt.NDArray[np.uint64]: ...
    def band_table(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]: ...
    def insert_band_keys(self, ids: npt.NDArray[np.uint64], keys: npt.NDArray[np.uint64]) -> None: ...
# --- chrome and repeats ----------------------------------------------------------------------

_LineKeys = tuple[
    _Spans,
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.bool_],
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint64],
]
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
_Repetition = tuple[int, int, int, int, int, int, int, list[int], list[int]]

def repetition_counts(text: str, top_ns: Sequence[int] = ..., dup_ns: Sequence[int] = ...) -> _Repetition: ...
def repetition_counts_batch(
    texts: Iterable[str], top_ns: Sequence[int] = ..., dup_ns: Sequence[int] = ..., num_threads: int | None = None
) -> list[_Repetition]: ...

@final
class ChromeModel:
    def __new__(
        cls,
        min_pages: int = 3,
        template_permille: int = 300,
        inner_permille: int = 500,
        shape_permille: int = 300,
        penalty: int = 200,
        cross_sites: int = 3,
        title_lines: int = 3,
        decay_chars: int = 3000,
        decay_floor_permille: int = 250,
        box_chars: int = 0,
        small_penalty: int = 20,
        run_cost: int | None = ...,  # 100 (PyO3 shows an Option default as ...)
        decay_pages: int = 0,
        max_runs: int | None = None,
        cut_comments: bool = True,
    ) -> ChromeModel: ...
    def params(self) -> tuple[int, int, int, int, int, int, int, int, int, int, int, int | None, int, int | None, bool]: ...
    def add(self, texts: Iterable[str], sites: Iterable[str], num_threads: int | None = None) -> None: ...
    def decide(
        self, texts: Iterable[str], sites: Iterable[str], num_threads: int | None = None
    ) -> list[tuple[_Spans, npt.NDArray[np.uint8]]]: ...
    def strip(
        self, texts: Iterable[str], sites: Iterable[str], repeats: bool = True, num_threads: int | None = None
    ) -> list[npt.NDArray[np.int64]]: ...
    def add_strip(
        self, texts: Iterable[str], sites: Iterable[str], repeats: bool = True, num_threads: int | None = None
    ) -> list[npt.NDArray[np.int64]]: ...
    def line_counts(self, texts: Iterable[str], sites: Iterable[str], num_threads: int | None = None) -> list[npt.NDArray[np.uint32]]: ...
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
# --- passage alignment and fuzzy measures ----------------------------------------------------

# (a_start, a_end, b_start, b_end, score, matches, tokens_a, tokens_b, anchors)
_Passage = tuple[int, int, int, int, float, int, int, int, int]

def align(a: str, b: str, k: int = 3, max_gap: int = 24, min_tokens: int = 8) -> list[_Passage]: ...
def align_batch(
    pairs: Iterable[tuple[str, str]],
    k: int = 3,
    max_gap: int = 24,
    min_tokens: int = 8,
    num_threads: int | None = None,
) -> list[list[_Passage]]: ...
def align_token_ranges_batch(
    pairs: Iterable[tuple[str, str]],
    k: int = 3,
    max_gap: int = 24,
    min_tokens: int = 8,
    num_threads: int | None = None,
) -> list[tuple[int, npt.NDArray[np.int64]]]: ...
def matched_share_batch(
    pairs: Iterable[tuple[str, str]],
    k: int = 3,
    max_gap: int = 24,
    min_tokens: int = 8,
    num_threads: int | None = None,
) -> npt.NDArray[np.float64]: ...
def word_swaps_batch(pairs: Iterable[tuple[str, str]], num_threads: int | None = None) -> list[tuple[int, int]]: ...
def matched_share_spooled(
    fd: int,
    starts: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    pairs: npt.NDArray[np.int64],
    k: int = 3,
    max_gap: int = 24,
    min_tokens: int = 8,
    num_threads: int | None = None,
) -> npt.NDArray[np.float64]: ...
def wraps_spooled(
    fd: int,
    starts: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    pairs: npt.NDArray[np.int64],
    min_chars: int,
    min_share: float,
    k: int = 3,
    max_gap: int = 24,
    min_tokens: int = 8,
    num_threads: int | None = None,
) -> list[bool]: ...
def wraps_batch(
    pairs: Iterable[tuple[str, str]],
    min_chars: int,
    min_share: float,
    k: int = 3,
    max_gap: int = 24,
    min_tokens: int = 8,
    num_threads: int | None = None,
) -> list[bool]: ...
def lines_shared_batch(
    pairs: Iterable[tuple[str, str]],
    min_line_share: float,
    k: int = 3,
    max_gap: int = 24,
    min_tokens: int = 8,
    num_threads: int | None = None,
) -> list[npt.NDArray[np.bool_]]: ...
def align_anchors(a: str, b: str, k: int = 3) -> npt.NDArray[np.int64]: ...
def levenshtein(a: str, b: str) -> int: ...
def indel(a: str, b: str) -> int: ...
def levenshtein_similarity(a: str, b: str) -> float: ...
def ratio(a: str, b: str) -> float: ...
def token_sort_ratio(a: str, b: str) -> float: ...
def token_set_ratio(a: str, b: str) -> float: ...
def fuzzy_batch(
    pairs: Iterable[tuple[str, str]], measure: str = "ratio", num_threads: int | None = None
) -> npt.NDArray[np.float64]: ...
# --- SimHash fingerprints and the Hamming-distance search -------------------------------------

def simhash_text(
    text: str, n: int | None = None, kind: str = "word", weighting: str = "tf", shingle_seed: int | None = None
) -> int: ...
def simhash_texts(
    texts: Iterable[str],
    n: int | None = None,
    kind: str = "word",
    weighting: str = "tf",
    shingle_seed: int | None = None,
    num_threads: int | None = None,
) -> npt.NDArray[np.uint64]: ...
def simhash_shingles(
    hashes: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64], weighting: str = "tf", num_threads: int | None = None
) -> npt.NDArray[np.uint64]: ...
def simhash_weighted(
    hashes: npt.NDArray[np.uint64],
    weights: npt.NDArray[np.float64],
    offsets: npt.NDArray[np.int64],
    num_threads: int | None = None,
) -> npt.NDArray[np.uint64]: ...
def simhash_pairs(
    fingerprints: npt.NDArray[np.uint64], k: int = 3, blocks: int | None = None, num_threads: int | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
@final
class SimHashIndex:
    def __new__(cls, k: int = 3, blocks: int | None = None) -> SimHashIndex: ...
    @property
    def k(self) -> int: ...
    @property
    def blocks(self) -> int: ...
    @property
    def num_tables(self) -> int: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: int, /) -> bool: ...
    def insert(self, id: int, fingerprint: int) -> None: ...
    def insert_batch(self, ids: npt.NDArray[np.uint64], fingerprints: npt.NDArray[np.uint64]) -> None: ...
    def remove(self, id: int) -> None: ...
    def query(self, fingerprint: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]: ...
    def pairs(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]: ...

# --- JSONL records (neardup.io.read's fast path; its twin is the reader's line-by-line Python path) ---

def parse_jsonl_block(
    block: bytes,
    end: int,
    id_field: str,
    text_field: str,
    site_field: str,
    url_field: str,
    extra: bool = True,
) -> list[None | bytes | tuple[str | int | None, str, str | None, str | None, dict[str, object] | None]]: ...
def json_quote_batch(texts: Iterable[bytes]) -> list[bytes]: ...
