from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neardup.spans import CutText, merge_spans

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
