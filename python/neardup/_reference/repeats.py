"""Pure-Python reference of repeat detection inside one page (rust/repeats.rs is held to it):
a run of lines that copies an earlier run of the same page is found so that it can be
collapsed to its first copy. See docs/chrome.md."""

from __future__ import annotations

import re
from collections import Counter

from .hash import xxh3_64
from .text import CLASS_OTHER, check_text, class_of, normalize, tokenize

REPEAT_SEED = 0x6E65_6172_6475_7003
# (min_lines, min_chars, long_chars): a run is collapsed when it has >= min_lines lines and
# >= min_chars characters, or >= long_chars characters in any number of lines (defaults:
# find_repeats').
PARAM_NAMES = ("min_lines", "min_chars", "long_chars")


def check_params(params) -> tuple[int, int, int]:
    for name, value in zip(PARAM_NAMES, params):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 32:
            raise ValueError(f"{name} must be an int in [0, 2**32), got {value!r}")
    if params[0] < 1:
        raise ValueError("min_lines must be >= 1, got 0")
    return tuple(params)


def repeat_key(line: str) -> tuple[int, str]:
    """Near-exact key: normalised text, runs of non-word characters -> one space, trimmed."""
    folded: list[str] = []
    gap = False
    for c in normalize(line)[0]:
        if class_of(c) == CLASS_OTHER:
            gap = True
        else:
            if gap and folded:
                folded.append(" ")
            gap = False
            folded.append(c)
    text = "".join(folded)
    if not text:
        return 0, text
    return max(xxh3_64(text.encode("utf-8"), REPEAT_SEED), 1), text


def find_repeats(text: str, min_lines: int = 3, min_chars: int = 200, long_chars: int = 500):
    """(start, end, source_start, source_end, lines) of each run that repeats an earlier run."""
    check_text(text)
    min_lines, min_chars, long_chars = check_params((min_lines, min_chars, long_chars))
    spans: list[tuple[int, int]] = []
    keys: list[int] = []
    start = 0
    for piece in text.split("\n"):
        line = piece[:-1] if piece.endswith("\r") else piece
        spans.append((start, start + len(line)))
        keys.append(repeat_key(line)[0])
        start += len(piece) + 1
    content = [i for i, k in enumerate(keys) if k]
    first: dict[int, int] = {}
    repeats = []
    j = 0
    while j < len(content):
        key = keys[content[j]]
        i = first.get(key)
        if i is None:
            first[key] = j
            j += 1
            continue
        run = chars = 0
        while j + run < len(content) and i + run < j and keys[content[i + run]] == keys[content[j + run]]:
            span = spans[content[j + run]]
            chars += span[1] - span[0]
            run += 1
        if run > 0 and ((run >= min_lines and chars >= min_chars) or chars >= long_chars):
            first_line, last_line = content[j], content[j + run - 1]
            start, end = spans[first_line][0], spans[last_line][1]
            # Take the line break with the copy: the one after it, or before it at the end.
            if last_line + 1 < len(spans):
                end = spans[last_line + 1][0]
            elif first_line > 0:
                start = max(spans[first_line - 1][1], repeats[-1][1] if repeats else 0)
            repeats.append((start, end, spans[content[i]][0], spans[content[i + run - 1]][1], run))
            j += run
            continue
        j += 1
    return repeats


# --- repetition statistics (datatrove's GopherRepetitionFilter definitions) ------------------

_PARAGRAPH_BREAK = re.compile(r"\n{2,}")
_LINE_BREAK = re.compile("\n+")


def _duplicates(parts: list[str]) -> tuple[int, int]:
    seen: set[str] = set()
    count = chars = 0
    for part in parts:
        if part in seen:
            count += 1
            chars += len(part)
        else:
            seen.add(part)
    return count, chars


def repetition_counts(text: str, top_ns=(2, 3, 4), dup_ns=(5, 6, 7, 8, 9, 10)):
    """(chars, paragraphs, dup_paragraphs, dup_paragraph_chars, lines, dup_lines,
    dup_line_chars, top_ngram_chars per n of top_ns, dup_ngram_chars per n of dup_ns): the
    counts behind datatrove's GopherRepetitionFilter, with neardup's word tokens."""
    check_text(text)
    top_ns, dup_ns = list(top_ns), list(dup_ns)
    for n in top_ns + dup_ns:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
    paragraphs = _PARAGRAPH_BREAK.split(text.strip())
    lines = _LINE_BREAK.split(text)
    words = tokenize(text)[0]
    top = []
    for n in top_ns:
        grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
        if not grams:
            top.append(0)
            continue
        gram, count = Counter(grams).most_common(1)[0]
        top.append(len(gram) * count)
    dup = []
    for n in dup_ns:
        seen: set[str] = set()
        repeated = i = 0
        while i < len(words) - n + 1:
            gram = "".join(words[i : i + n])
            if gram in seen:
                repeated += len(gram)
                i += n
            else:
                seen.add(gram)
                i += 1
        dup.append(repeated)
    return (len(text), len(paragraphs), *_duplicates(paragraphs), len(lines), *_duplicates(lines), top, dup)
