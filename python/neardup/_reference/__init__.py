"""The pure-Python reference: the specification of every core primitive and the fallback
backend. Its functions mirror those of the compiled module ``neardup._core`` one to one."""

from __future__ import annotations

from collections.abc import Iterable

from . import chrome as _chrome
from . import repeats as _repeats
from . import text as _text
from .dedup import (
    LshIndex,
    band_keys,
    candidate_pairs,
    classic_permutations,
    cluster,
    datasketch_minhash,
    estimate_pairs,
    minhash_shingles,
    minhash_texts,
    set_overlaps,
)
from .chrome import ChromeModel
from .text import check_text, hash64
from .unicode_tables import UNICODE_VERSION

__all__ = [
    "LshIndex",
    "band_keys",
    "candidate_pairs",
    "classic_permutations",
    "cluster",
    "datasketch_minhash",
    "estimate_pairs",
    "minhash_shingles",
    "minhash_texts",
    "set_overlaps",
    "ChromeModel",
    "find_repeats",
    "find_repeats_batch",
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
    "tokenize",
    "tokenize_batch",
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
    _text.check_shingle_args(n, kind, seed)
    return _text.shingles(check_text(text), n, kind, seed)


def shingles_batch(texts, n=5, kind="word", seed=0, num_threads=None):
    _text.check_shingle_args(n, kind, seed)
    flat: list[int] = []
    offsets = [0]
    for text in _documents(texts):
        flat.extend(_text.shingles(text, n, kind, seed))
        offsets.append(len(flat))
    return flat, offsets


def line_keys(text):
    return _chrome.line_keys(check_text(text))


def line_keys_batch(texts, num_threads=None):
    return [_chrome.line_keys(text) for text in _documents(texts)]


def find_repeats(text, min_lines=3, min_chars=200, long_chars=500):
    return _repeats.find_repeats(check_text(text), min_lines, min_chars, long_chars)


def find_repeats_batch(texts, min_lines=3, min_chars=200, long_chars=500, num_threads=None):
    _repeats.check_params((min_lines, min_chars, long_chars))
    return [_repeats.find_repeats(text, min_lines, min_chars, long_chars) for text in _documents(texts)]
