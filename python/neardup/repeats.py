"""Repeated bodies: passages of a page that repeat an earlier passage of the same page (a
body pasted twice by a scraper), found and collapsed to their first copy, and datatrove's
Gopher repetition statistics.

The per-line work (normalise, fold, hash, compare) runs in the active backend (the Rust core
or the pure-Python reference, identical results). The method is in docs/chrome.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from . import _backend
from ._arrays import as_list
from ._reference.repeats import check_params
from ._reference.text import check_threads
from .spans import Removed, Stripped

__all__ = [
    "GOPHER_DUP_NS",
    "GOPHER_TOP_NS",
    "REPEAT",
    "Repeat",
    "collapse_repeats",
    "find_repeats",
    "find_repeats_batch",
    "repetition_stats",
    "repetition_stats_batch",
]

_impl = _backend.IMPL

#: The reason of a removed repeat.
REPEAT = "repeat"


class Repeat(NamedTuple):
    """A copy ``[start, end)`` (with its line break) of the earlier ``[source_start, source_end)``."""

    start: int
    end: int
    source_start: int
    source_end: int
    lines: int


def find_repeats(text: str, *, min_lines: int = 3, min_chars: int = 200, long_chars: int = 500) -> list[Repeat]:
    """Runs of lines that repeat an earlier run of the same page (exact or near-exact: lines
    compared after normalisation with punctuation and spacing folded). A run counts when it
    has >= ``min_lines`` lines and >= ``min_chars`` characters, or >= ``long_chars``."""
    check_params((min_lines, min_chars, long_chars))
    return [Repeat(*r) for r in _impl.find_repeats(text, min_lines, min_chars, long_chars)]


def find_repeats_batch(
    texts: Iterable[str],
    *,
    min_lines: int = 3,
    min_chars: int = 200,
    long_chars: int = 500,
    num_threads: int | None = None,
) -> list[list[Repeat]]:
    """:func:`find_repeats` over many documents, in parallel with the GIL released."""
    check_params((min_lines, min_chars, long_chars))
    check_threads(num_threads)
    results = _impl.find_repeats_batch(as_list(texts, "str documents"), min_lines, min_chars, long_chars, num_threads)
    return [[Repeat(*r) for r in doc] for doc in results]


def collapse_repeats(text: str, **params: int) -> Stripped:
    """The page with every repeated run collapsed to its first copy, and the removed spans."""
    copies = find_repeats(text, **params)
    removed = [Removed(c.start, c.end, REPEAT) for c in copies]
    pieces, position = [], 0
    for span in removed:
        pieces.append(text[position : span.start])
        position = span.end
    pieces.append(text[position:])
    return Stripped("".join(pieces), removed)


#: datatrove's GopherRepetitionFilter defaults: top n-grams for n = 2..4, duplicate n-grams
#: for n = 5..10.
GOPHER_TOP_NS = (2, 3, 4)
GOPHER_DUP_NS = (5, 6, 7, 8, 9, 10)


def _repetition_dict(counts: Any, top_ns: Sequence[int], dup_ns: Sequence[int]) -> dict[str, float]:
    chars, paragraphs, dup_paragraphs, dup_paragraph_chars, lines, dup_lines, dup_line_chars, top, dup = counts
    stats = {
        "dup_para_frac": dup_paragraphs / paragraphs if chars else 0.0,
        "dup_para_char_frac": dup_paragraph_chars / chars if chars else 0.0,
        "dup_line_frac": dup_lines / lines if chars else 0.0,
        "dup_line_char_frac": dup_line_chars / chars if chars else 0.0,
    }
    for n, value in zip(top_ns, top):
        stats[f"top_{n}_gram"] = value / chars if chars else 0.0
    for n, value in zip(dup_ns, dup):
        stats[f"duplicated_{n}_n_grams"] = value / chars if chars else 0.0
    return stats


def _check_ns(top_ns: Sequence[int], dup_ns: Sequence[int]) -> tuple[list[int], list[int]]:
    out = []
    for name, ns in (("top_ns", top_ns), ("dup_ns", dup_ns)):
        ns = list(as_list(ns, f"n-gram sizes ({name})"))
        for n in ns:
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n < 1 << 32:
                raise ValueError(f"{name}: n must be an int >= 1 and < 2**32, got {n!r}")
        out.append(ns)
    return out[0], out[1]


def repetition_stats(
    text: str, *, top_ns: Sequence[int] = GOPHER_TOP_NS, dup_ns: Sequence[int] = GOPHER_DUP_NS
) -> dict[str, float]:
    """Repetition statistics of one document with the definitions of datatrove's
    ``GopherRepetitionFilter`` (Gopher, Rae et al. 2021, table A1), keyed by the names of
    its reasons: ``dup_para_frac``, ``dup_para_char_frac``, ``dup_line_frac``,
    ``dup_line_char_frac``, ``top_{n}_gram`` and ``duplicated_{n}_n_grams``. Words are
    neardup's tokens of the normalised text (datatrove's English splitter needs spaCy);
    every character fraction is over ``len(text)``. An empty text gives zeros. The filter
    drops a document when a statistic exceeds its threshold (defaults 0.3, 0.2, 0.3, 0.2,
    top 0.20/0.18/0.16, duplicated 0.15..0.10)."""
    top, dup = _check_ns(top_ns, dup_ns)
    return _repetition_dict(_impl.repetition_counts(text, top, dup), top, dup)


def repetition_stats_batch(
    texts: Iterable[str],
    *,
    top_ns: Sequence[int] = GOPHER_TOP_NS,
    dup_ns: Sequence[int] = GOPHER_DUP_NS,
    num_threads: int | None = None,
) -> list[dict[str, float]]:
    """:func:`repetition_stats` over many documents, in parallel with the GIL released."""
    check_threads(num_threads)
    top, dup = _check_ns(top_ns, dup_ns)
    results = _impl.repetition_counts_batch(as_list(texts, "str documents"), top, dup, num_threads)
    return [_repetition_dict(r, top, dup) for r in results]
