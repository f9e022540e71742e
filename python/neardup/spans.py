"""Cutting spans out of a text and mapping positions of the result back to the original.

Each stage of the pipeline (repeats, chrome) sees the text as the stages before it left it,
and reports what it removes in that text's coordinates; :class:`CutText` turns those into
spans of the caller's original string, which is what every decision reports.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate
from dataclasses import dataclass, field
from typing import NamedTuple


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping, non-adjacent spans covering the same positions; empty dropped."""
    merged: list[list[int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


class CutMap:
    """Where the pieces left of a text of ``length`` characters lie once the ``removed`` spans
    (``(start, end, reason)`` of the original) are cut out: positions of what is left are
    mapped back to the original without the text itself (:class:`CutText` holds one)."""

    def __init__(self, length: int, removed: list[tuple[int, int, str]]) -> None:
        self.length, self.removed = length, removed
        #: (original start, length) of each kept piece, in order.
        self.pieces: list[tuple[int, int]] = []
        cursor = 0
        for start, end in merge_spans((s, e) for s, e, _ in removed):
            if start > cursor:
                self.pieces.append((cursor, start - cursor))
            cursor = end
        if cursor < length:
            self.pieces.append((cursor, length - cursor))
        # Where each piece starts in what is left: a position is mapped by bisection, so
        # mapping many spans of a text cut in many places stays n log n.
        self._offsets = list(accumulate((n for _, n in self.pieces), initial=0))

    @property
    def cut_length(self) -> int:
        """The length of what is left."""
        return self._offsets[-1]

    def to_original(self, start: int, end: int) -> list[tuple[int, int]]:
        """The original spans that positions ``start:end`` of what is left came from."""
        if not 0 <= start <= end <= self.cut_length:
            raise IndexError(f"need 0 <= start <= end <= {self.cut_length}, got {start}, {end}")
        spans = []
        piece = max(bisect_right(self._offsets, start) - 1, 0)
        while piece < len(self.pieces) and self._offsets[piece] < end:
            original_start, length = self.pieces[piece]
            offset = self._offsets[piece]
            lo, hi = max(start, offset), min(end, offset + length)
            if lo < hi:
                spans.append((original_start + lo - offset, original_start + hi - offset))
            piece += 1
        return spans

    def removed_text(self, original: str) -> str:
        """The characters of ``original`` that are cut out, in order (what :meth:`uncut`
        puts back): those between the pieces left."""
        parts, cursor = [], 0
        for start, length in self.pieces:
            if start > cursor:
                parts.append(original[cursor:start])
            cursor = start + length
        parts.append(original[cursor : self.length])
        return "".join(parts)

    def uncut(self, left: str, removed_text: str) -> str:
        """The original text, from what is left of it and :meth:`removed_text`."""
        parts, cursor, taken = [], 0, 0
        for (start, length), offset in zip(self.pieces, self._offsets):
            if start > cursor:  # the removed characters before this piece
                parts.append(removed_text[taken : taken + start - cursor])
                taken += start - cursor
            parts.append(left[offset : offset + length])
            cursor = start + length
        parts.append(removed_text[taken:])
        return "".join(parts)


@dataclass
class CutText:
    """An original text with some spans removed; ``text`` is what is left."""

    original: str
    #: Removed spans of the original with their reasons, in order of removal.
    removed: list[tuple[int, int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        self.map = CutMap(len(self.original), self.removed)
        self.text = "".join(self.original[s : s + n] for s, n in self.map.pieces)

    def to_original(self, start: int, end: int) -> list[tuple[int, int]]:
        """The original spans that the slice ``text[start:end]`` came from."""
        return self.map.to_original(start, end)

    def remove(self, spans: Iterable[tuple[int, int]], reason: str) -> None:
        """Remove spans given in the coordinates of the current ``text``."""
        for start, end in merge_spans(spans):
            for original_span in self.to_original(start, end):
                self.removed.append((*original_span, reason))
        self._rebuild()


class Removed(NamedTuple):
    """A removed span ``[start, end)`` of the original text (line breaks included) and why:
    ``template`` (recurs on many pages of the site, or an item of a box that a template line
    heads inside the article), ``outside_body`` (page-specific text in
    the template blocks around the body), ``cross_site`` (boilerplate of many sites),
    ``repeat`` (a copy of an earlier passage of the same page) or ``comments`` (readers'
    comments below the article, with ``cut_comments``)."""

    start: int
    end: int
    reason: str


class Stripped(NamedTuple):
    """Cleaned text and the removed spans of the original, in order."""

    text: str
    removed: list[Removed]
