"""Pure-Python reference of neardup's text primitives.

Every function here is the specification the Rust core (rust/text.rs) is held to,
character for character; see docs/text.md for the rules in prose.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable

import numpy as np

from . import unicode_tables as tables
from .hash import xxh3_64

# Removed before anything else: invisible formatting that splits words in scraped text.
IGNORABLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
# The Unicode White_Space property.
WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# Quote, dash and prime variants folded to ASCII after NFKC and case folding.
PUNCT_FOLD = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
}
# casefold(NFKC(x)) is applied to a segment until it no longer changes, at most this often.
MAX_FOLD_ROUNDS = 4


def unicode_mismatch() -> str | None:
    """Why this Python cannot run the reference's normalisation, or None when it can.

    NFKC comes from the running Python's ``unicodedata``. A database older than the pinned
    Unicode version (CPython 3.10 has 13.0.0) lacks characters the core's tables have and gives
    other text; newer ones give the pinned version's results, since characters unassigned in it
    never reach NFKC here and Unicode keeps the normalisation of assigned ones stable (measured:
    every code point and 200,000 random strings normalise the same on CPython 3.11, 3.12, 3.13)."""
    return _mismatch_of(unicodedata.unidata_version)


@functools.cache  # (normalize asks at every call)
def _mismatch_of(found: str) -> str | None:
    if _version(found) >= _version(tables.UNICODE_VERSION):
        return None
    return (
        f"the pure-Python reference needs Python's Unicode database {tables.UNICODE_VERSION} or newer "
        f"(CPython >= 3.11), and this Python has {found}: its NFKC would differ from the compiled core's; "
        "use the compiled core (make dev) or Python >= 3.11"
    )


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


CLASS_OTHER, CLASS_WORD, CLASS_MARK, CLASS_SPACELESS = 0, 1, 2, 3

_SURROGATE = re.compile("[\ud800-\udfff]")


def _range_lookup(table: tuple[tuple[int, int], ...], starts: list[int], cp: int) -> bool:
    i = bisect_right(starts, cp) - 1
    return i >= 0 and cp <= table[i][1]


_ASSIGNED_STARTS = [lo for lo, _ in tables.ASSIGNED]
_UNSAFE_STARTS = [lo for lo, _ in tables.UNSAFE_START]
_DIGIT_STARTS = [lo for lo, _ in tables.DECIMAL_DIGIT]
_CLASS_STARTS = [lo for lo, _, _ in tables.CHAR_CLASS]


def is_assigned(cp: int) -> bool:
    return cp < 0x80 or _range_lookup(tables.ASSIGNED, _ASSIGNED_STARTS, cp)


def is_unsafe_start(cp: int) -> bool:
    return cp >= 0x80 and _range_lookup(tables.UNSAFE_START, _UNSAFE_STARTS, cp)


def is_decimal_digit(cp: int) -> bool:
    return _range_lookup(tables.DECIMAL_DIGIT, _DIGIT_STARTS, cp)


def char_class(cp: int) -> int:
    i = bisect_right(_CLASS_STARTS, cp) - 1
    if i >= 0 and cp <= tables.CHAR_CLASS[i][1]:
        return tables.CHAR_CLASS[i][2]
    return CLASS_OTHER


# char_class by character, filled as characters are met (the cache changes no result).
_CLASSES: dict[str, int] = {}
_CLASSES_LIMIT = 1 << 16


def class_of(c: str) -> int:
    """:func:`char_class` of the character ``c``."""
    cls = _CLASSES.get(c)
    if cls is None:
        cls = char_class(ord(c))
        if len(_CLASSES) < _CLASSES_LIMIT:
            _CLASSES[c] = cls
    return cls


def describe(doc: int | None) -> str:
    return "text" if doc is None else f"document {doc}"


def check_text(text: object, doc: int | None = None) -> str:
    """Return ``text`` if it is a str of Unicode scalar values, else raise naming the problem."""
    if not isinstance(text, str):
        raise TypeError(f"{describe(doc)}: expected str, got {type(text).__name__}")
    # An ASCII str (checked many times faster than searched) has no surrogate.
    found = None if text.isascii() else _SURROGATE.search(text)
    if found:
        raise ValueError(
            f"{describe(doc)}: lone surrogate U+{ord(found.group()):04X} at index {found.start()}; "
            "decode bytes with errors='replace' before passing text to neardup"
        )
    return text


def check_labelled(text: object, label: str) -> str:
    """:func:`check_text`, with errors naming the argument (``a``, ``pair 3 (b)``) like the core."""
    try:
        return check_text(text)
    except (TypeError, ValueError) as error:
        message = str(error)
        raise type(error)(label + message.removeprefix("text")) from None


def check_text_pairs(pairs: Iterable[object]) -> list[tuple[str, str]]:
    """``(a, b)`` pairs of str, checked; errors name the pair and the side."""
    out = []
    for i, pair in enumerate(pairs):
        sides = list(pair) if not isinstance(pair, str) and isinstance(pair, Iterable) else []
        if len(sides) != 2:
            raise TypeError(f"pair {i}: expected a pair (a, b) of str")
        out.append((check_labelled(sides[0], f"pair {i} (a)"), check_labelled(sides[1], f"pair {i} (b)")))
    return out


def _casefold(text: str) -> str:
    return "".join(tables.CASEFOLD.get(ord(c), c) for c in text)


def _fold_segment(segment: str) -> str:
    for _ in range(MAX_FOLD_ROUNDS):
        folded = _casefold(unicodedata.normalize("NFKC", segment))
        if folded == segment:
            break
        segment = folded
    return segment


# What a character does in cutting the text into units (see :func:`normalize`), by character.
_STARTS_UNIT, _JOINS_UNIT, _OPAQUE_UNIT, _SKIPPED = 0, 1, 2, 3
_KINDS: dict[str, int] = dict.fromkeys(map(chr, range(0x80)), _STARTS_UNIT)
_KINDS_LIMIT = 1 << 16


def _kind(c: str) -> int:
    """Whether ``c`` is skipped (ignorable), joins the unit before it (an unsafe start, which is
    always assigned), starts an opaque unit (unassigned) or starts a unit."""
    kind = _KINDS.get(c)
    if kind is None:
        cp = ord(c)
        kind = _SKIPPED if c in IGNORABLE else _JOINS_UNIT if is_unsafe_start(cp) else _STARTS_UNIT if is_assigned(cp) else _OPAQUE_UNIT
        if len(_KINDS) < _KINDS_LIMIT:
            _KINDS[c] = kind
    return kind


# ASCII characters: each is a unit of its own, lower-cased, then folded and masked as any unit's
# output is (the ASCII parts of PUNCT_FOLD and of the decimal digits).
_ASCII_FOLD = {cp: PUNCT_FOLD[chr(cp)] for cp in range(0x80) if chr(cp) in PUNCT_FOLD}
_ASCII_MASK = {cp: "0" for cp in range(0x80) if is_decimal_digit(cp)}
_ASCII_SPACES = dict.fromkeys((ord(c) for c in WHITESPACE if c < "\x80"), " ")
_ASCII_NON_SPACE = re.compile("[^ ]+")

# The output of each unit (after folding, punctuation folding and digit masking), by unit:
# most text repeats few units. Cleared when full; the cache changes no result.
_PRODUCED: tuple[dict[str, str], dict[str, str]] = ({}, {})
_PRODUCED_LIMIT = 1 << 16


def _produce(chars: str, opaque: bool, mask_digits: bool) -> str:
    """What the unit ``chars`` becomes: itself if opaque, else folded to a fixed point (a lone
    ASCII character lower-cased); then quotes, dashes and primes folded to ASCII and, with
    ``mask_digits``, decimal digits masked as ``0``."""
    cache = _PRODUCED[mask_digits]
    produced = cache.get(chars)
    if produced is None:
        if opaque:
            folded = chars
        elif len(chars) == 1 and chars < "\x80":
            folded = chars.lower()
        else:
            folded = _fold_segment(chars)
        folded = "".join(PUNCT_FOLD.get(c, c) for c in folded)
        if mask_digits:
            folded = "".join("0" if is_decimal_digit(ord(c)) else c for c in folded)
        if len(cache) >= _PRODUCED_LIMIT:
            cache.clear()
        cache[chars] = produced = folded
    return produced


def normalize(text: str, mask_digits: bool = False) -> tuple[str, list[int], list[int]]:
    """Normalised text and, per normalised character, the original span it came from.

    The text is cut into units: each character not ignorable starts one, and the unsafe-start
    characters after it (combining marks and the like, ignorable ones between them skipped)
    join it, unless it is unassigned, which makes it a unit of its own, left as it is (opaque).
    Each unit becomes :func:`_produce`'s output; every output character spans its unit. Runs of
    white space become one space spanning the run, none at either end."""
    check_text(text)
    mask_digits = check_flag(mask_digits, "mask_digits")
    mismatch = unicode_mismatch()
    if mismatch:
        raise RuntimeError(mismatch)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    # The pending run of white space, [start, end]; start -1 when there is none.
    space = [-1, -1]
    # Stretches of ASCII in whole-string operations, the rest unit by unit. A stretch of other
    # characters takes the ASCII character before it along (a combining mark after it joins its
    # unit), and the ASCII after it when a stretch of other characters follows within
    # _ASCII_STRETCH characters (short stretches cost more in calls than they save). After a
    # stretch of other characters comes an ASCII character, which starts a unit of its own.
    done, units_from, units_to = 0, -1, -1
    for found in _NON_ASCII.finditer(text):
        other_start, other_end = found.span()
        gap_from = units_to if units_from >= 0 else done
        stretch_start = other_start - 1 if other_start > gap_from else other_start
        if units_from >= 0:
            if stretch_start - units_to < _ASCII_STRETCH:
                units_to = other_end
                continue
            _normalize_units(text, units_from, units_to, mask_digits, out, starts, ends, space)
            done = units_to
        if stretch_start > done:
            _normalize_ascii(text, done, stretch_start, mask_digits, out, starts, ends, space)
        units_from, units_to = stretch_start, other_end
    if units_from >= 0:
        _normalize_units(text, units_from, units_to, mask_digits, out, starts, ends, space)
        done = units_to
    if done < len(text):
        _normalize_ascii(text, done, len(text), mask_digits, out, starts, ends, space)
    return "".join(out), starts, ends


_ASCII_STRETCH = 32
_NON_ASCII = re.compile("[^\x00-\x7f]+")


def _normalize_ascii(text: str, first: int, stop: int, mask_digits: bool, out: list[str], starts: list[int], ends: list[int], space: list[int]) -> None:
    """:func:`normalize`'s output for the ASCII characters ``text[first:stop]``, appended."""
    folded = text[first:stop].lower().translate(_ASCII_FOLD)
    if mask_digits:
        folded = folded.translate(_ASCII_MASK)
    # Every white space character as a space: one alone between two others is its own output.
    folded = folded.translate(_ASCII_SPACES)
    inner = folded.strip(" ")
    if not inner:  # white space only
        if space[0] < 0:
            space[0] = first
        space[1] = stop
        return
    lead = folded.index(inner[0])
    start, end = first + lead, first + lead + len(inner)
    if lead:
        if space[0] < 0:
            space[0] = first
        space[1] = start
    if space[0] >= 0:
        if out:
            out.append(" ")
            starts.append(space[0])
            ends.append(space[1])
        space[0] = -1
    if "  " not in inner:
        out.append(inner)
        starts.extend(range(start, end))
        ends.extend(range(start + 1, end + 1))
    else:  # runs of white space, each one space spanning the run
        position = -1
        for word in _ASCII_NON_SPACE.finditer(inner):
            word_start, word_end = start + word.start(), start + word.end()
            if position >= 0:
                out.append(" ")
                starts.append(position)
                ends.append(word_start)
            out.append(word.group())
            starts.extend(range(word_start, word_end))
            ends.extend(range(word_start + 1, word_end + 1))
            position = word_end
    if end < stop:
        space[0], space[1] = end, stop


def _normalize_units(text: str, first: int, stop: int, mask_digits: bool, out: list[str], starts: list[int], ends: list[int], space: list[int]) -> None:
    """:func:`normalize`'s output for ``text[first:stop]``, unit by unit, appended; no unit
    crosses ``first`` or ``stop``."""
    # The units, as (start, end, characters, opaque).
    units: list[tuple[int, int, str, bool]] = []
    kinds = _KINDS
    chars, start, end, opaque = "", 0, 0, False
    for index in range(first, stop):
        c = text[index]
        kind = kinds.get(c)
        if kind is None:
            kind = _kind(c)
        if kind == _SKIPPED:
            continue
        if kind == _JOINS_UNIT and chars and not opaque:
            chars += c
            end = index + 1
            continue
        if chars:
            units.append((start, end, chars, opaque))
        chars, start, end, opaque = c, index, index + 1, kind == _OPAQUE_UNIT
    if chars:
        units.append((start, end, chars, opaque))
    cache = _PRODUCED[mask_digits]
    space_start, space_end = space
    for start, end, chars, opaque in units:
        produced = cache.get(chars)
        if produced is None:
            produced = _produce(chars, opaque, mask_digits)
        for c in produced:
            if c in WHITESPACE:
                if space_start < 0:
                    space_start = start
                space_end = end
                continue
            if space_start >= 0:
                if out:
                    out.append(" ")
                    starts.append(space_start)
                    ends.append(space_end)
                space_start = -1
            out.append(c)
            starts.append(start)
            ends.append(end)
    space[0], space[1] = space_start, space_end


def segment(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Lines (split on LF, a trailing CR left out) and paragraphs (runs of non-blank lines)."""
    check_text(text)
    lines: list[tuple[int, int]] = []
    start = 0
    length = len(text)
    while True:
        newline = text.find("\n", start)
        stop = length if newline < 0 else newline
        end = stop - 1 if stop > start and text[stop - 1] == "\r" else stop
        lines.append((start, end))
        if newline < 0:
            break
        start = newline + 1
    paragraphs: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for start, end in lines:
        blank = all(c in WHITESPACE for c in text[start:end])
        if blank:
            if current is not None:
                paragraphs.append(current)
                current = None
        else:
            current = (current[0] if current else start, end)
    if current is not None:
        paragraphs.append(current)
    return lines, paragraphs


class _ClassLetters(dict):
    """:func:`char_class` of a code point as a letter (``o`` other, ``w`` word, ``m`` mark,
    ``s`` spaceless), a ``str.translate`` table filled as code points are met (bounded; the
    cache changes no result)."""

    def __missing__(self, cp: int) -> str:
        letter = "owms"[char_class(cp)]
        if len(self) < _CLASSES_LIMIT:
            self[cp] = letter
        return letter


_CLASS_LETTERS = _ClassLetters()
# A token: a word character with the word and mark characters after it, or a spaceless
# character with the marks after it. A mark with no token before it, and every other
# character, belongs to no token.
_TOKEN = re.compile("w[wm]*|sm*")


def tokenize(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Word tokens of the normalised text, each with its span in the original."""
    normalized, starts, ends = normalize(text)
    found = [match.span() for match in _TOKEN.finditer(normalized.translate(_CLASS_LETTERS))]
    return [normalized[first:stop] for first, stop in found], [(starts[first], ends[stop - 1]) for first, stop in found]


#: More threads than any machine has cores: a bigger count is a mistake (and would not fit
#: the core's thread pool), not a request.
MAX_THREADS = 1024


def as_int(value: object) -> int | None:
    """``value`` as a Python int when it is an int or a numpy integer scalar (what indexing a
    numpy array gives; the core takes both), else None. A bool is not an int here: passed
    for a count, it is a mistake."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    return None


def as_real(value: object) -> float | None:
    """``value`` as a Python float when it is a real number (an int or a float, or a numpy
    integer or floating scalar; not a bool), else None. An int too large for a float is
    infinite, past any bound."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return None


def check_flag(value: object, name: str) -> bool:
    """``value`` as a bool; anything but True or False (numpy's bool scalars included) is a
    TypeError naming ``name``: read by truthiness, 0 and None would be False, and "no" True."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be a bool (True or False), got {value!r}")


def check_threads(num_threads: int | None) -> int | None:
    """``num_threads`` as None or a Python int in [1, MAX_THREADS]; else a ValueError."""
    if num_threads is None:
        return None
    number = as_int(num_threads)
    if number is None or not 1 <= number <= MAX_THREADS:
        raise ValueError(f"num_threads must be None or an int in [1, {MAX_THREADS}], got {num_threads!r}")
    return number


def check_seed(seed: int) -> int:
    """``seed`` as a Python int in [0, 2**64); else a ValueError."""
    number = as_int(seed)
    if number is None or not 0 <= number < 1 << 64:
        raise ValueError(f"seed must be an int in [0, 2**64), got {seed!r}")
    return number


def check_shingle_args(n: int, kind: str, seed: int) -> tuple[int, str, int]:
    """``(n, kind, seed)`` checked, with ``n`` and ``seed`` as Python ints."""
    # Bounded so that every n fits the core's integers (an n-gram longer than the text is
    # the whole text already).
    number = as_int(n)
    if number is None or not 1 <= number < 1 << 32:
        raise ValueError(f"n must be an int >= 1 and < 2**32, got {n!r}")
    if not isinstance(kind, str) or kind not in ("word", "char"):
        raise ValueError(f"kind must be 'word' or 'char', got {kind!r}")
    return number, kind, check_seed(seed)


def shingles(text: str, n: int = 5, kind: str = "word", seed: int = 0) -> list[int]:
    """XXH3-64 hashes of the word or character n-grams of the normalised text, in order."""
    n, kind, seed = check_shingle_args(n, kind, seed)
    if kind == "word":
        units = tokenize(text)[0]
        grams = [" ".join(units[i : i + n]) for i in range(max(len(units) - n, 0) + 1)] if units else []
    else:
        units = normalize(text)[0]
        grams = [units[i : i + n] for i in range(max(len(units) - n, 0) + 1)] if units else []
    return [xxh3_64(gram.encode("utf-8"), seed) for gram in grams]


def hash64(data: bytes | str, seed: int = 0) -> int:
    seed = check_seed(seed)
    if isinstance(data, str):
        data = check_text(data).encode("utf-8")
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        # Not any sequence of ints: bytes(5) would read the int as a length.
        raise TypeError(f"data must be bytes, bytearray, memoryview or str, got {type(data).__name__}")
    return xxh3_64(bytes(data), seed)
