from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neardup.spans import CutMap, CutText, merge_spans

# Span bookkeeping is Python code that no backend computes: `make test` runs these once.
pytestmark = pytest.mark.backend_independent


def test_merge_spans():
    assert merge_spans([(5, 7), (0, 2), (1, 3), (3, 4), (9, 9)]) == [(0, 4), (5, 7)]


def test_cut_in_stages_maps_back_to_the_original():
    cut = CutText("aaaBBBcccDDDeee")
    cut.remove([(3, 6)], "first")
    assert cut.text == "aaacccDDDeee"
    cut.remove([(2, 4), (6, 9)], "second")
    assert cut.text == "aacceee"
    assert cut.removed == [(3, 6, "first"), (2, 3, "second"), (6, 7, "second"), (9, 12, "second")]
    assert cut.to_original(1, 4) == [(1, 2), (7, 9)]


@given(st.text(max_size=60), st.lists(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=4), max_size=4))
def test_removed_spans_and_text_agree(text, rounds):
    cut = CutText(text)
    for spans in rounds:
        bounded = [(min(a, b, len(cut.text)), min(max(a, b), len(cut.text))) for a, b in spans]
        cut.remove(bounded, "r")
    gone = set()
    for start, end, _ in cut.removed:
        gone.update(range(start, end))
    assert cut.text == "".join(c for i, c in enumerate(text) if i not in gone)


@st.composite
def texts_and_spans(draw):
    text = draw(st.text(max_size=80))
    at = st.integers(0, len(text))
    spans = draw(st.lists(st.tuples(at, at, st.sampled_from(["a", "b"])), max_size=6))
    return text, [(min(a, b), max(a, b), why) for a, b, why in spans]


@given(texts_and_spans())
def test_a_cut_text_is_made_whole_again_from_what_is_left_and_what_was_removed(case):
    """What the write stage does for the report's examples: the text as read, from the cleaned
    text and the removed characters the spool holds (spans may overlap, touch, be empty or
    out of order); the map of the length alone maps as the text's own does."""
    text, removed = case
    cut = CutText(text, list(removed))
    alone = CutMap(len(text), removed)
    assert alone.uncut(cut.text, alone.removed_text(text)) == text
    assert alone.cut_length == len(cut.text)
    assert len(alone.removed_text(text)) == len(text) - len(cut.text)
    for start in range(len(cut.text) + 1):
        assert alone.to_original(start, len(cut.text)) == cut.to_original(start, len(cut.text))
