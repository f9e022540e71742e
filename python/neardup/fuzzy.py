"""Fuzzy similarity of short texts: edit distances and rapidfuzz's ratios.

The measures equal rapidfuzz 3.x's (no processor) on the same strings, float for float:
:func:`levenshtein` = ``Levenshtein.distance``, :func:`indel` = ``Indel.distance``,
:func:`levenshtein_similarity` = ``Levenshtein.normalized_similarity`` (0..1),
:func:`ratio` = ``fuzz.ratio``, :func:`token_sort_ratio` and :func:`token_set_ratio` (0..100).
With ``normalize=True`` both texts are first passed through :func:`neardup.normalize`
(case, Unicode forms, quotes, dashes and whitespace folded). Cost grows with
``len(a) * len(b)`` (the ratios use a bit-parallel LCS, 64 characters per machine word); use
:func:`neardup.align` for long documents.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from . import _backend
from ._arrays import as_list
from ._reference.fuzzy import MEASURES, check_measure
from ._reference.text import check_flag, check_text_pairs, check_threads
# Imported as `normalized`: each measure's flag is named `normalize`.
from .text import normalize as normalized
from .text import normalize_batch

__all__ = [
    "MEASURES",
    "fuzzy_batch",
    "indel",
    "levenshtein",
    "levenshtein_similarity",
    "ratio",
    "token_set_ratio",
    "token_sort_ratio",
]

_impl = _backend.IMPL


def _prepare(a: str, b: str, normalize: bool) -> tuple[str, str]:
    if not check_flag(normalize, "normalize"):
        return a, b
    return normalized(a).text, normalized(b).text


def levenshtein(a: str, b: str, *, normalize: bool = False) -> int:
    """Levenshtein distance: fewest insertions, deletions and substitutions of characters."""
    return int(_impl.levenshtein(*_prepare(a, b, normalize)))


def indel(a: str, b: str, *, normalize: bool = False) -> int:
    """Indel distance: fewest insertions and deletions, ``len(a) + len(b) - 2 * LCS``."""
    return int(_impl.indel(*_prepare(a, b, normalize)))


def levenshtein_similarity(a: str, b: str, *, normalize: bool = False) -> float:
    """``1 - levenshtein / max(len(a), len(b))`` (1.0 for two empty strings)."""
    return float(_impl.levenshtein_similarity(*_prepare(a, b, normalize)))


def ratio(a: str, b: str, *, normalize: bool = False) -> float:
    """``100 * (1 - indel / (len(a) + len(b)))`` (100.0 for two empty strings)."""
    return float(_impl.ratio(*_prepare(a, b, normalize)))


def token_sort_ratio(a: str, b: str, *, normalize: bool = False) -> float:
    """:func:`ratio` of the whitespace-separated words, sorted and joined by one space."""
    return float(_impl.token_sort_ratio(*_prepare(a, b, normalize)))


def token_set_ratio(a: str, b: str, *, normalize: bool = False) -> float:
    """rapidfuzz's token-set ratio: 100 when the word set of one text contains the other's,
    otherwise the best ratio between the common words with and without each side's extra
    words (0 when either text has no words)."""
    return float(_impl.token_set_ratio(*_prepare(a, b, normalize)))


def fuzzy_batch(
    pairs: Iterable[tuple[str, str]],
    *,
    measure: str = "ratio",
    normalize: bool = False,
    num_threads: int | None = None,
) -> np.ndarray:
    """One measure (a name in :data:`MEASURES`) over many ``(a, b)`` pairs, in parallel with
    the GIL released, as a float64 array (distances are exact integers in it)."""
    check_measure(measure)
    num_threads = check_threads(num_threads)
    normalize = check_flag(normalize, "normalize")
    pairs = as_list(pairs, "(a, b) pairs of str")
    if normalize:
        # The pairs are checked before they are normalised, so that errors name the pair and the
        # side (normalize_batch would name a position in the flattened list).
        flat = normalize_batch([side for pair in check_text_pairs(pairs) for side in pair], num_threads=num_threads)
        pairs = [(flat[2 * i].text, flat[2 * i + 1].text) for i in range(len(flat) // 2)]
    return np.asarray(_impl.fuzzy_batch(pairs, measure, num_threads), dtype=np.float64)
