"""Passage alignment: which text two documents share, and exactly where.

:func:`align` finds the passages two documents share, robust to case, whitespace, quote
styles, punctuation, small word edits and character noise, in order or moved, in time close to
linear in the length of the documents. :func:`containment` says how much of one document is
found in another, and :func:`body_by_agreement` splits two pages carrying the same article into
the shared article and the rest (each site's chrome). See docs/align.md for the method and the
score.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from . import _backend
from ._arrays import as_list
from ._reference.align import DEFAULT_K, DEFAULT_MAX_GAP, DEFAULT_MIN_TOKENS, check_align_args, check_line_share, check_wrap_args
from ._reference.align import matched_tokens as _matched_tokens
from ._reference.text import as_real, check_flag, check_threads
from .text import segment, tokenize

__all__ = ["BodySplit", "Containment", "Passage", "align", "align_batch", "align_token_ranges_batch", "body_by_agreement", "containment", "lines_shared_batch", "matched_share_batch", "word_swaps_batch", "wraps_batch"]

_impl = _backend.IMPL


class Passage(NamedTuple):
    """A passage shared by two documents: ``a[a_start:a_end]`` matches ``b[b_start:b_end]``.

    ``score`` is ``2 * matches / (tokens_a + tokens_b)``: the share of the passage's word
    tokens (on both sides) that match exactly, 1.0 for a verbatim copy up to case, spacing,
    quotes and punctuation. ``anchors`` is the number of shared k-grams the passage rests on.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    score: float
    matches: int
    tokens_a: int
    tokens_b: int
    anchors: int

    @property
    def a_span(self) -> tuple[int, int]:
        return self.a_start, self.a_end

    @property
    def b_span(self) -> tuple[int, int]:
        return self.b_start, self.b_end


def align(
    a: str, b: str, *, k: int = DEFAULT_K, max_gap: int = DEFAULT_MAX_GAP, min_tokens: int = DEFAULT_MIN_TOKENS
) -> list[Passage]:
    """The passages ``a`` and ``b`` share, sorted by their position in ``a``.

    Both texts are tokenised (:func:`neardup.tokenize`: normalised words, so case, quotes,
    punctuation and spacing do not matter); every run of ``k`` equal tokens is an anchor;
    anchors are chained across gaps of up to ``max_gap`` tokens (edited words, noisy
    characters, inserted sentences); a chain with at least ``min_tokens`` exactly matched
    tokens is a passage. Passages need not be in the same order in both texts, and a passage of
    ``a`` found twice in ``b`` is reported twice. Spans index the original strings.
    """
    check_align_args(k, max_gap, min_tokens)
    return [Passage(*p) for p in _impl.align(a, b, k, max_gap, min_tokens)]


def align_batch(
    pairs: Iterable[tuple[str, str]],
    *,
    k: int = DEFAULT_K,
    max_gap: int = DEFAULT_MAX_GAP,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    num_threads: int | None = None,
) -> list[list[Passage]]:
    """:func:`align` over many ``(a, b)`` pairs, in parallel with the GIL released."""
    check_align_args(k, max_gap, min_tokens)
    check_threads(num_threads)
    pairs = as_list(pairs, "(a, b) pairs of str")
    return [[Passage(*p) for p in doc] for doc in _impl.align_batch(pairs, k, max_gap, min_tokens, num_threads)]


def covered(length: int, spans: Iterable[tuple[int, int]]) -> np.ndarray:
    """A boolean mask of ``length`` characters, true inside any of ``spans``."""
    delta = np.zeros(length + 1, dtype=np.int64)
    for start, end in spans:
        delta[start] += 1
        delta[end] -= 1
    return np.cumsum(delta[:-1]) > 0


def align_token_ranges_batch(
    pairs: Iterable[tuple[str, str]],
    *,
    k: int = DEFAULT_K,
    max_gap: int = DEFAULT_MAX_GAP,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    num_threads: int | None = None,
) -> list[tuple[int, np.ndarray]]:
    """:func:`align_batch`'s alignments seen from ``b``: per pair, the number of word tokens
    of ``b`` (as :func:`neardup.tokenize` counts them) and an int64 array ``(m, 3)`` of
    ``(b0, b1, matches)`` per passage, in :func:`align_batch`'s order: the passage covers
    tokens ``b0`` to ``b1 - 1`` of ``b`` and matches ``matches`` of them."""
    check_align_args(k, max_gap, min_tokens)
    check_threads(num_threads)
    pairs = as_list(pairs, "(a, b) pairs of str")
    return [
        (b_tokens, np.asarray(ranges, dtype=np.int64).reshape(-1, 3))
        for b_tokens, ranges in _impl.align_token_ranges_batch(pairs, k, max_gap, min_tokens, num_threads)
    ]


def matched_tokens(passages: Iterable[Passage], token_starts: Sequence[int]) -> float:
    """Exactly matched tokens of the ``b`` side (whose tokens start at ``token_starts``),
    each token counted once: :func:`matched_token_ranges` of the passages' token ranges."""
    return matched_token_ranges(
        [(bisect.bisect_left(token_starts, p.b_start), bisect.bisect_left(token_starts, p.b_end), p.matches) for p in passages]
    )


def matched_token_ranges(ranges: Iterable[tuple[int, int, int]] | np.ndarray) -> float:
    """Exactly matched tokens of the ``b`` side, each token counted once, from the passages'
    ``(b0, b1, matches)`` (token range ``[b0, b1)`` of ``b``; :func:`align_token_ranges_batch`).
    A passage of ``b`` found twice in ``a`` is reported twice, and neighbouring passages may
    share a few edge tokens: where passages overlap on ``b``, a token counts the highest match
    rate (``matches / tokens_b``) of the passages covering it. Passages that overlap no other
    count their ``matches``. The tokens of a group of overlapping passages are summed as
    numpy sums an array (pairwise; the core does the same), so the total is the same bits
    whichever backend or function gives it."""
    return _matched_tokens(ranges.tolist() if isinstance(ranges, np.ndarray) else ranges)


def matched_share_batch(
    pairs: Iterable[tuple[str, str]],
    *,
    k: int = DEFAULT_K,
    max_gap: int = DEFAULT_MAX_GAP,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    num_threads: int | None = None,
) -> np.ndarray:
    """Per ``(a, b)`` pair, the share of ``b``'s word tokens matched inside the passages
    aligned with ``a`` (:func:`matched_token_ranges` of :func:`align_token_ranges_batch`'s
    ranges over ``b``'s tokens, at most 1.0; 0.0 when ``b`` has no token), as a float64
    array: how much of ``b`` is found in ``a``, robust to character noise and edited words,
    which break word shingles. In parallel with the GIL released."""
    check_align_args(k, max_gap, min_tokens)
    check_threads(num_threads)
    pairs = as_list(pairs, "(a, b) pairs of str")
    return np.asarray(_impl.matched_share_batch(pairs, k, max_gap, min_tokens, num_threads), dtype=np.float64)


def word_swaps_batch(pairs: Iterable[tuple[str, str]], *, num_threads: int | None = None) -> np.ndarray:
    """Per ``(a, b)`` pair, the one-for-one word swaps between the texts, as an ``(n, 2)``
    int64 array of ``(most, all)``: where a context (the two word tokens before a token and
    the two after it, as :func:`neardup.tokenize` gives them) occurs exactly once in ``a``
    and once in ``b`` and surrounds different tokens, the two tokens are a swap; ``all``
    counts such places, ``most`` those of the commonest swap. Swaps of two tokens one
    character apart (one added, dropped or changed: character noise) are left out of both.
    Two instances of one template with a name swapped throughout have a large ``most``; an
    edited copy makes many different swaps. In parallel with the GIL released."""
    check_threads(num_threads)
    pairs = as_list(pairs, "(a, b) pairs of str")
    return np.asarray(_impl.word_swaps_batch(pairs, num_threads), dtype=np.int64).reshape(-1, 2)


def wraps_batch(
    pairs: Iterable[tuple[str, str]],
    *,
    min_chars: int = 40,
    min_share: float = 0.8,
    k: int = DEFAULT_K,
    max_gap: int = DEFAULT_MAX_GAP,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    num_threads: int | None = None,
) -> list[bool]:
    """Per ``(outer, inner)`` pair, whether ``outer`` wraps ``inner``: the passages aligned
    between them cover at least ``min_share`` of ``inner``'s characters (its blank edges left
    out), and ``outer`` has at least ``min_chars`` characters of its own (blank edges left out)
    both before its first aligned character and after its last, like an article inside a
    site's header and footer. In parallel with the GIL released."""
    check_align_args(k, max_gap, min_tokens)
    check_wrap_args(min_chars, min_share)
    check_threads(num_threads)
    pairs = as_list(pairs, "(a, b) pairs of str")
    return list(_impl.wraps_batch(pairs, min_chars, float(min_share), k, max_gap, min_tokens, num_threads))


class Containment(NamedTuple):
    """How much of ``part`` is found in ``whole``."""

    #: Matched word tokens of ``part`` (each counted once: :func:`matched_tokens`) over all
    #: its word tokens (capped at 1.0 against float rounding where passages overlap).
    share: float
    #: ``share >= threshold``.
    contained: bool
    #: The passages, with ``a`` = ``whole`` and ``b`` = ``part``.
    passages: list[Passage]


def containment(part: str, whole: str, *, threshold: float = 0.8, **align_args: int) -> Containment:
    """Is the text of ``part`` contained in ``whole``? ``share`` counts the word tokens of
    ``part`` matched exactly inside passages aligned with ``whole`` (a copy of an article
    inside a page with chrome scores close to 1.0; a page against its bare article does not).
    """
    value = as_real(threshold)
    if value is None or not 0.0 <= value <= 1.0:
        raise ValueError(f"threshold must be a number in [0, 1], got {threshold!r}")
    threshold = value
    passages = align(whole, part, **align_args)
    tokens = tokenize(part)
    total = len(tokens.tokens)
    share = min(1.0, matched_tokens(passages, tokens.spans[:, 0].tolist()) / total) if total else 0.0
    return Containment(share, share >= threshold, passages)


class BodySplit(NamedTuple):
    """Two pages split by agreement: per line (``text.split("\\n")``), whether it belongs to
    the passages both pages share (the article) or not (that page's chrome)."""

    shared_a: np.ndarray  # bool per line of a
    shared_b: np.ndarray  # bool per line of b
    passages: list[Passage]

    def lines(self, text: str, which: str = "a", shared: bool = True) -> list[str]:
        """The lines of ``text`` (page ``which``: ``"a"`` or ``"b"``, else ValueError) that are
        (``shared=True``) or are not shared (a bool, else TypeError)."""
        if not isinstance(which, str) or which not in ("a", "b"):
            raise ValueError(f"which must be 'a' or 'b', got {which!r}")
        shared = check_flag(shared, "shared")
        mask = self.shared_a if which == "a" else self.shared_b
        return [line for line, flag in zip(text.split("\n"), mask) if bool(flag) == shared]


def _line_shares(text: str, spans: Iterable[tuple[int, int]], min_line_share: float) -> np.ndarray:
    mask = covered(len(text), spans)
    lines = segment(text).lines
    token_spans = tokenize(text).spans
    prefix = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
    starts, ends = token_spans[:, 0], token_spans[:, 1]
    # Token spans never cross a newline (a newline separates tokens), so each lies in one line.
    line_of = np.searchsorted(lines[:, 0], starts, side="right") - 1
    total = np.zeros(len(lines), dtype=np.int64)
    inside = np.zeros(len(lines), dtype=np.int64)
    np.add.at(total, line_of, ends - starts)
    np.add.at(inside, line_of, prefix[ends] - prefix[starts])
    return (total > 0) & (inside >= min_line_share * total)


def lines_shared_with(a: str, b: str, *, min_line_share: float = 0.5, **align_args: int) -> np.ndarray:
    """Per line of ``a``, whether it is shared with ``b``: the ``shared_a`` of
    :func:`body_by_agreement`, without the work of splitting ``b``."""
    return lines_shared_batch([(a, b)], min_line_share=min_line_share, **align_args)[0]


def lines_shared_batch(
    pairs: Iterable[tuple[str, str]],
    *,
    min_line_share: float = 0.5,
    k: int = DEFAULT_K,
    max_gap: int = DEFAULT_MAX_GAP,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    num_threads: int | None = None,
) -> list[np.ndarray]:
    """Per ``(a, b)`` pair, a bool array over the lines of ``a`` (``a.split("\n")``): whether
    at least ``min_line_share`` of the line's word characters lie in passages aligned with
    ``b`` (:func:`lines_shared_with` of each pair, in parallel with the GIL released)."""
    check_align_args(k, max_gap, min_tokens)
    check_line_share(min_line_share)
    check_threads(num_threads)
    pairs = as_list(pairs, "(a, b) pairs of str")
    return [np.asarray(flags, dtype=bool) for flags in _impl.lines_shared_batch(pairs, float(min_line_share), k, max_gap, min_tokens, num_threads)]


def body_by_agreement(a: str, b: str, *, min_line_share: float = 0.5, **align_args: int) -> BodySplit:
    """Split two pages of different sites carrying the same article into the article and
    the rest: a line is shared when at least ``min_line_share`` of its word characters lie in
    passages aligned between the pages. What does not align is each page's own chrome (header,
    navigation, sidebars, footers), found even for a site seen only once.
    """
    check_line_share(min_line_share)
    passages = align(a, b, **align_args)
    return BodySplit(
        _line_shares(a, [p.a_span for p in passages], min_line_share),
        _line_shares(b, [p.b_span for p in passages], min_line_share),
        passages,
    )

