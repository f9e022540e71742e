"""The pure-Python reference: the specification of every core primitive and the fallback
backend. Its functions mirror those of the compiled module ``neardup._core`` one to one: each
checks its arguments as the core's binding does and calls the stage module of its name
(``text``, ``repeats``, ``chrome``, ``minhash``, ``lsh``, ``cluster``, ``simhash``,
``align``, ``fuzzy``: the twins of ``rust/X.rs``)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from . import align as _align
from . import chrome as _chrome
from . import fuzzy as _fuzzy
from . import repeats as _repeats
from . import spool as _spool
from . import text as _text
from .chrome import ChromeModel
from .cluster import cluster, estimate_pairs, set_overlaps, text_overlaps
from .lsh import LshIndex, anchor_pairs, band_keys, candidate_pairs, candidate_pairs_of_keys
from .minhash import classic_permutations, datasketch_minhash, minhash_shingles, minhash_texts, minhash_texts_anchored, minhash_texts_sized
from .simhash import SimHashIndex, simhash_pairs, simhash_shingles, simhash_text, simhash_texts, simhash_weighted
from .text import check_labelled, check_text, check_text_pairs, hash64
from .unicode_tables import UNICODE_VERSION

__all__ = [
    "LshIndex",
    "anchor_pairs",
    "band_keys",
    "candidate_pairs",
    "candidate_pairs_of_keys",
    "classic_permutations",
    "cluster",
    "datasketch_minhash",
    "estimate_pairs",
    "minhash_shingles",
    "minhash_texts",
    "minhash_texts_anchored",
    "minhash_texts_sized",
    "set_overlaps",
    "text_overlaps",
    "ChromeModel",
    "find_repeats",
    "find_repeats_batch",
    "repetition_counts",
    "repetition_counts_batch",
    "line_keys",
    "line_keys_batch",
    "UNICODE_VERSION",
    "hash64",
    "normalize",
    "normalize_batch",
    "segment",
    "segment_batch",
    "shingles",
    "shingles_batch",
    "shingle_sets_spooled",
    "tokenize",
    "tokenize_batch",
    "align",
    "align_anchors",
    "align_batch",
    "align_token_ranges_batch",
    "matched_share_spooled",
    "wraps_spooled",
    "matched_share_batch",
    "word_swaps_batch",
    "wraps_batch",
    "lines_shared_batch",
    "fuzzy_batch",
    "indel",
    "levenshtein",
    "levenshtein_similarity",
    "ratio",
    "token_set_ratio",
    "token_sort_ratio",
    "SimHashIndex",
    "simhash_pairs",
    "simhash_shingles",
    "simhash_text",
    "simhash_texts",
    "simhash_weighted",
]


def _documents(texts: Iterable[object]) -> list[str]:
    return [check_text(text, i) for i, text in enumerate(texts)]


def normalize(text, mask_digits=False):
    return _text.normalize(check_text(text), mask_digits)


def normalize_batch(texts, mask_digits=False, num_threads=None):
    return [_text.normalize(text, mask_digits) for text in _documents(texts)]


def segment(text):
    return _text.segment(check_text(text))


def segment_batch(texts, num_threads=None):
    return [_text.segment(text) for text in _documents(texts)]


def tokenize(text):
    return _text.tokenize(check_text(text))


def tokenize_batch(texts, num_threads=None):
    return [_text.tokenize(text) for text in _documents(texts)]


def shingles(text, n=5, kind="word", seed=0):
    n, kind, seed = _text.check_shingle_args(n, kind, seed)
    return _text.shingles(check_text(text), n, kind, seed)


def shingles_batch(texts, n=5, kind="word", seed=0, num_threads=None, distinct=False):
    n, kind, seed = _text.check_shingle_args(n, kind, seed)
    flat: list[int] = []
    offsets = [0]
    for text in _documents(texts):
        hashes = _text.shingles(text, n, kind, seed)
        flat.extend(sorted(set(hashes)) if distinct else hashes)
        offsets.append(len(flat))
    return flat, offsets


def shingle_sets_spooled(fd, starts, sizes, docs, n=5, kind="word", seed=0, num_threads=None):
    n, kind, seed = _text.check_shingle_args(n, kind, seed)
    _spool.check_fd(fd)
    spans = _spool.extents(starts, sizes)
    wanted = np.asarray(docs, dtype=np.int64).reshape(-1).tolist()
    for k, d in enumerate(wanted):
        if d < 0:
            raise ValueError(f"docs[{k}] must be >= 0, got {d}")
    return shingles_batch(_spool.read_texts(fd, spans, wanted), n, kind, seed, distinct=True)


def line_keys(text):
    return _chrome.line_keys(check_text(text))


def line_keys_batch(texts, num_threads=None):
    return [_chrome.line_keys(text) for text in _documents(texts)]


def find_repeats(text, min_lines=3, min_chars=200, long_chars=500):
    return _repeats.find_repeats(check_text(text), min_lines, min_chars, long_chars)


def find_repeats_batch(texts, min_lines=3, min_chars=200, long_chars=500, num_threads=None):
    _repeats.check_params((min_lines, min_chars, long_chars))
    return [_repeats.find_repeats(text, min_lines, min_chars, long_chars) for text in _documents(texts)]


def repetition_counts(text, top_ns=(2, 3, 4), dup_ns=(5, 6, 7, 8, 9, 10)):
    return _repeats.repetition_counts(check_text(text), top_ns, dup_ns)


def repetition_counts_batch(texts, top_ns=(2, 3, 4), dup_ns=(5, 6, 7, 8, 9, 10), num_threads=None):
    _repeats.repetition_counts("", top_ns, dup_ns)
    return [_repeats.repetition_counts(text, top_ns, dup_ns) for text in _documents(texts)]


def align(a, b, k=3, max_gap=24, min_tokens=8):
    _align.check_align_args(k, max_gap, min_tokens)
    return _align.align(check_labelled(a, "a"), check_labelled(b, "b"), k, max_gap, min_tokens)


def align_batch(pairs, k=3, max_gap=24, min_tokens=8, num_threads=None):
    _align.check_align_args(k, max_gap, min_tokens)
    return [_align.align(a, b, k, max_gap, min_tokens) for a, b in check_text_pairs(pairs)]


def align_token_ranges_batch(pairs, k=3, max_gap=24, min_tokens=8, num_threads=None):
    _align.check_align_args(k, max_gap, min_tokens)
    return [_align.align_token_ranges(a, b, k, max_gap, min_tokens) for a, b in check_text_pairs(pairs)]


def matched_share_batch(pairs, k=3, max_gap=24, min_tokens=8, num_threads=None):
    _align.check_align_args(k, max_gap, min_tokens)
    return [_align.matched_share(a, b, k, max_gap, min_tokens) for a, b in check_text_pairs(pairs)]


def _spooled_pairs(fd, starts, sizes, pairs, k, max_gap, min_tokens):
    """The (a, b) text pairs of document pairs of a spool, checked as the core checks them."""
    _spool.check_fd(fd)
    spans = _spool.extents(starts, sizes)
    _align.check_align_args(k, max_gap, min_tokens)
    docs, local = _spool.local_pairs(len(spans), pairs)
    texts = _spool.read_texts(fd, spans, docs)
    return [(texts[i], texts[j]) for i, j in local]


def matched_share_spooled(fd, starts, sizes, pairs, k=3, max_gap=24, min_tokens=8, num_threads=None):
    text_pairs = _spooled_pairs(fd, starts, sizes, pairs, k, max_gap, min_tokens)
    return np.array([_align.matched_share(a, b, k, max_gap, min_tokens) for a, b in text_pairs], dtype=np.float64)


def wraps_spooled(fd, starts, sizes, pairs, min_chars, min_share, k=3, max_gap=24, min_tokens=8, num_threads=None):
    text_pairs = _spooled_pairs(fd, starts, sizes, pairs, k, max_gap, min_tokens)
    _align.check_wrap_args(min_chars, min_share)
    return [_align.wraps(a, b, min_chars, min_share, k, max_gap, min_tokens) for a, b in text_pairs]


def wraps_batch(pairs, min_chars, min_share, k=3, max_gap=24, min_tokens=8, num_threads=None):
    _align.check_align_args(k, max_gap, min_tokens)
    _align.check_wrap_args(min_chars, min_share)
    return [_align.wraps(a, b, min_chars, min_share, k, max_gap, min_tokens) for a, b in check_text_pairs(pairs)]


def word_swaps_batch(pairs, num_threads=None):
    return [_align.word_swaps(a, b) for a, b in check_text_pairs(pairs)]


def lines_shared_batch(pairs, min_line_share, k=3, max_gap=24, min_tokens=8, num_threads=None):
    _align.check_align_args(k, max_gap, min_tokens)
    _align.check_line_share(min_line_share)
    return [_align.lines_shared(a, b, min_line_share, k, max_gap, min_tokens) for a, b in check_text_pairs(pairs)]


def align_anchors(a, b, k=3):
    return _align.align_anchors(check_labelled(a, "a"), check_labelled(b, "b"), k)


def _measure(name):
    function = _fuzzy.FUNCTIONS[name]

    def measure(a, b):
        return function(check_labelled(a, "a"), check_labelled(b, "b"))

    measure.__name__ = name
    return measure


levenshtein = _measure("levenshtein")
indel = _measure("indel")
levenshtein_similarity = _measure("levenshtein_similarity")
ratio = _measure("ratio")
token_sort_ratio = _measure("token_sort_ratio")
token_set_ratio = _measure("token_set_ratio")


def fuzzy_batch(pairs, measure="ratio", num_threads=None):
    function = _fuzzy.FUNCTIONS[_fuzzy.check_measure(measure)]
    return [float(function(a, b)) for a, b in check_text_pairs(pairs)]
