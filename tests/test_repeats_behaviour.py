"""Repeats inside one page are collapsed to their first copy, with the removed span."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from neardup.repeats import collapse_repeats, find_repeats

PARAGRAPHS = [f"Paragraph {i} says something about the matter at hand, in enough words to count." for i in range(6)]


def test_seed_002_second_copy_is_collapsed(seeds_dir):
    text = next(seeds_dir.glob("002_*.txt")).read_text(encoding="utf-8")
    lines = text.split("\n")
    result = collapse_repeats(text)
    assert len(result.removed) == 1
    span = result.removed[0]
    # The second copy is lines 13..23 (the first copy, lines 2..12, repeats without its lead).
    assert text[span.start:span.end] == "\n".join(lines[12:23]) + "\n"
    assert result.text == "\n".join(lines[:12] + lines[23:])
    copy = find_repeats(text)[0]
    assert text[copy.source_start:copy.source_end] == "\n".join(lines[1:12])


def test_near_exact_copy_with_case_quotes_and_spacing():
    first = "\n".join(PARAGRAPHS)
    second = "\n".join(p.upper().replace(",", " ,").replace(" ", "  ") for p in PARAGRAPHS)
    result = collapse_repeats(f"Title\n{first}\n\n{second}\nEnd")
    assert result.text == f"Title\n{first}\n\nEnd"


def test_nothing_repeated_nothing_removed():
    text = "\n".join(PARAGRAPHS)
    assert collapse_repeats(text).text == text
    assert collapse_repeats("").removed == []


def keyed_lines(text: str) -> list[str]:
    """The lines a repeat is made of: those with a letter or digit (blank and rule lines such as
    '---' are not compared)."""
    return [line for line in text.split("\n") if any(c.isalnum() for c in line)]


@given(st.lists(st.sampled_from(PARAGRAPHS + ["Note", "", "---"]), max_size=20))
def test_doubled_text_collapses_to_the_original_content(lines):
    text = "\n".join(PARAGRAPHS[:3] + lines)
    doubled = text + "\n" + text
    result = collapse_repeats(doubled)
    # The second copy goes: the opening three paragraphs are kept exactly once, first.
    assert result.removed
    assert result.text.startswith("\n".join(PARAGRAPHS[:3]))
    assert result.text.count("\n".join(PARAGRAPHS[:3])) == 1
    # The text is the original without the removed spans, which are in order and disjoint.
    kept, position = [], 0
    for span in result.removed:
        assert position <= span.start < span.end and span.reason == "repeat"
        kept.append(doubled[position : span.start])
        position = span.end
    assert "".join(kept) + doubled[position:] == result.text
    # Every removed span is a copy of something kept earlier.
    copies = find_repeats(doubled)
    assert [(copy.start, copy.end) for copy in copies] == [(span.start, span.end) for span in result.removed]
    for copy in copies:
        assert copy.source_end <= copy.start
        assert keyed_lines(doubled[copy.start : copy.end]) == keyed_lines(doubled[copy.source_start : copy.source_end])
