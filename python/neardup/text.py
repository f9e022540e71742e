"""Text primitives, the first stage of every other: normalise, segment, tokenize, shingle
and hash.

Each runs in the compiled Rust core (``neardup._core``) or, with identical results, in the
pure-Python reference (``neardup._reference``); ``NEARDUP_BACKEND=auto|rust|python`` picks
one and :func:`neardup.backend` says which is active.

All spans are ``[start, end)`` indices into the caller's original ``str``.
Text containing a lone surrogate raises ``ValueError`` naming its index; batch calls name
the document too (``document 3: lone surrogate U+D800 at index 17; ...``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from . import _backend
from ._arrays import as_list
from ._reference.text import check_flag, check_seed, check_shingle_args, check_threads

__all__ = [
    "DEFAULT_NGRAM",
    "UNICODE_VERSION",
    "Normalized",
    "Segments",
    "Shingles",
    "Tokens",
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

_impl = _backend.IMPL

#: The Unicode version whose tables both backends use (code points unassigned in it pass
#: through normalisation unchanged, so results do not move with newer Unicode releases).
UNICODE_VERSION: str = _impl.UNICODE_VERSION


#: Default shingle size: word 5-grams, the usual choice for near-duplicate news text.
DEFAULT_NGRAM = 5


def _spans(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1, 2)


def _indices(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _as_list(texts: Iterable[str]) -> Sequence[str]:
    return as_list(texts, "str documents")


class Normalized(NamedTuple):
    """Normalised text with, per character, the span of the original it came from."""

    text: str
    #: ``starts[i]:ends[i]`` is the original span that produced ``text[i]``.
    starts: np.ndarray
    ends: np.ndarray

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalised slice ``text[start:end]`` (``end > start``)."""
        if not 0 <= start < end <= len(self.text):
            raise IndexError(f"need 0 <= start < end <= {len(self.text)}, got {start}, {end}")
        return int(self.starts[start]), int(self.ends[end - 1])


class Segments(NamedTuple):
    """Lines and paragraphs as ``(n, 2)`` arrays of original spans."""

    lines: np.ndarray
    paragraphs: np.ndarray


class Tokens(NamedTuple):
    """Normalised word tokens and their ``(n, 2)`` original spans."""

    tokens: list[str]
    spans: np.ndarray


class Shingles(NamedTuple):
    """Shingle hashes of many documents: document ``i`` owns ``hashes[offsets[i]:offsets[i+1]]``."""

    hashes: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:  # the number of documents, not of hashes
        return len(self.offsets) - 1

    def document(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]


def normalize(text: str, *, mask_digits: bool = False) -> Normalized:
    """Normalise text for matching: Unicode NFKC, full case folding, curly quotes, primes and
    dashes folded to ASCII, soft hyphens and zero-width characters removed, whitespace runs
    collapsed to one space and trimmed; with ``mask_digits`` every decimal digit becomes ``0``.

    Normalisation is idempotent. See docs/text.md for the exact rules.
    """
    result = _impl.normalize(text, check_flag(mask_digits, "mask_digits"))
    return Normalized(result[0], _indices(result[1]), _indices(result[2]))


def normalize_batch(texts: Iterable[str], *, mask_digits: bool = False, num_threads: int | None = None) -> list[Normalized]:
    """:func:`normalize` over many documents, in parallel with the GIL released."""
    mask_digits = check_flag(mask_digits, "mask_digits")
    num_threads = check_threads(num_threads)
    results = _impl.normalize_batch(_as_list(texts), mask_digits, num_threads)
    return [Normalized(t, _indices(s), _indices(e)) for t, s, e in results]


def segment(text: str) -> Segments:
    """Split text into lines (on ``"\\n"``, a trailing ``"\\r"`` left out, so that line ``i``
    is ``text.split("\\n")[i]``) and paragraphs (runs of non-blank lines)."""
    lines, paragraphs = _impl.segment(text)
    return Segments(_spans(lines), _spans(paragraphs))


def segment_batch(texts: Iterable[str], *, num_threads: int | None = None) -> list[Segments]:
    """:func:`segment` over many documents, in parallel with the GIL released."""
    num_threads = check_threads(num_threads)
    return [Segments(_spans(l), _spans(p)) for l, p in _impl.segment_batch(_as_list(texts), num_threads)]


def tokenize(text: str) -> Tokens:
    """Words of the normalised text with their original spans.

    A token is a run of letters, digits, connector punctuation (``_``) and combining marks;
    letters of scripts written without spaces (Han, Hiragana, Katakana, Bopomofo, Thai, Lao,
    Myanmar, Khmer) are one token each. Everything else separates tokens. The character
    classes come from a table shared by both backends (docs/text.md).
    """
    tokens, spans = _impl.tokenize(text)
    return Tokens(list(tokens), _spans(spans))


def tokenize_batch(texts: Iterable[str], *, num_threads: int | None = None) -> list[Tokens]:
    """:func:`tokenize` over many documents, in parallel with the GIL released."""
    num_threads = check_threads(num_threads)
    return [Tokens(list(t), _spans(s)) for t, s in _impl.tokenize_batch(_as_list(texts), num_threads)]


def shingles(text: str, *, n: int = DEFAULT_NGRAM, kind: str = "word", seed: int = 0) -> np.ndarray:
    """The n-gram hashes of a text, in order of occurrence, as a ``uint64`` array.

    ``kind="word"``: each n-gram is ``n`` consecutive tokens of :func:`tokenize` joined by one
    space; ``kind="char"``: ``n`` consecutive characters of :func:`normalize`. The hash is
    XXH3-64 of the n-gram's UTF-8 bytes with ``seed`` (see :func:`hash64`). A text with fewer
    than ``n`` units gives a single shingle of all of them; a text with none gives none.
    """
    n, kind, seed = check_shingle_args(n, kind, seed)
    return np.asarray(_impl.shingles(text, n, kind, seed), dtype=np.uint64)


def shingles_batch(
    texts: Iterable[str], *, n: int = DEFAULT_NGRAM, kind: str = "word", seed: int = 0, num_threads: int | None = None, distinct: bool = False
) -> Shingles:
    """:func:`shingles` over many documents, in parallel with the GIL released, as one flat
    ``uint64`` array with ``int64`` offsets; with ``distinct``, each document's shingle set
    (its distinct hashes, ascending)."""
    n, kind, seed = check_shingle_args(n, kind, seed)
    num_threads = check_threads(num_threads)
    distinct = check_flag(distinct, "distinct")
    hashes, offsets = _impl.shingles_batch(_as_list(texts), n, kind, seed, num_threads, distinct)
    return Shingles(np.asarray(hashes, dtype=np.uint64), _indices(offsets))


def hash64(data: bytes | str, seed: int = 0) -> int:
    """neardup's specified hash: XXH3-64 (xxHash v0.8) of ``data`` (a ``str`` is hashed as its
    UTF-8 bytes) with a 64-bit ``seed``. Stable across platforms and releases."""
    return int(_impl.hash64(data, check_seed(seed)))
