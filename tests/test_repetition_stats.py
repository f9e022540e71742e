"""Gopher repetition statistics: the Rust core equals the reference on generated text, and
both equal datatrove's GopherRepetitionFilter definitions computed by datatrove's own
functions (with neardup's word tokens: datatrove's English word splitter needs spaCy).
datatrove is an optional test dependency: only the tests that use it skip without it."""

from __future__ import annotations


import pytest
from hypothesis import given
from hypothesis import strategies as st

import neardup
from neardup import _reference
from equivalence import _core
from neardup.repeats import GOPHER_DUP_NS, GOPHER_TOP_NS
from strategies import texts

# Documents with real repetition: lines and paragraphs drawn from a small pool, joined by
# runs of line breaks, mixed with arbitrary Unicode.
POOL = ["the cat sat on the mat", "the cat sat", "Buy now!", "", "  ", "ab c", "a bc", "caf\u00e9 \u00c9t\u00e9",
        "\u4e2d\u6587\u5b57", "x " * 12]
docs = st.lists(st.tuples(st.one_of(st.sampled_from(POOL), texts), st.sampled_from(["\n", "\n\n", "\n\n\n", " "])),
                max_size=20).map(lambda parts: "".join(a + b for a, b in parts))
ns = st.lists(st.integers(1, 12), max_size=4)  # the default ns are 2-4 and 5-10


@pytest.mark.core
@pytest.mark.backend_independent
@given(docs, ns, ns)
def test_core_equals_reference(text, top_ns, dup_ns):
    assert _core.repetition_counts(text, top_ns, dup_ns) == _reference.repetition_counts(text, top_ns, dup_ns)
    assert _core.repetition_counts(text) == _reference.repetition_counts(text)


@pytest.mark.core
@pytest.mark.backend_independent
@given(st.lists(docs, max_size=4), st.sampled_from([None, 1, 2]))
def test_batch(batch, num_threads):
    rust = _core.repetition_counts_batch(batch, num_threads=num_threads)
    assert rust == [_core.repetition_counts(t) for t in batch]
    assert rust == _reference.repetition_counts_batch(batch) == [_reference.repetition_counts(t) for t in batch]


@pytest.mark.parametrize("impl", [pytest.param(_core, marks=pytest.mark.core), _reference], ids=["rust", "python"])
def test_edge_cases(impl):
    assert impl.repetition_counts("") == (0, 1, 0, 0, 1, 0, 0, [0, 0, 0], [0, 0, 0, 0, 0, 0])
    huge = "same line again\n" * 50000
    counts = impl.repetition_counts(huge)
    assert counts[5] == 49999 and counts[6] == 49999 * 15
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        impl.repetition_counts("x", [0])
    with pytest.raises(ValueError, match="lone surrogate"):
        impl.repetition_counts("\ud800")
    assert neardup.repetition_stats("") == {**dict.fromkeys(["dup_para_frac", "dup_para_char_frac", "dup_line_frac",
                                                              "dup_line_char_frac"], 0.0),
                                            **{f"top_{n}_gram": 0.0 for n in GOPHER_TOP_NS},
                                            **{f"duplicated_{n}_n_grams": 0.0 for n in GOPHER_DUP_NS}}


@pytest.fixture(scope="module")
def g():
    """datatrove's Gopher repetition filter module (the oracle)."""
    return pytest.importorskip("datatrove.pipeline.filters.gopher_repetition_filter")


def datatrove_stats(g, text: str) -> dict[str, float]:
    """The statistics as datatrove's GopherRepetitionFilter.filter computes them before
    comparing each with its threshold (its own regexes and helper functions)."""
    f = g.GopherRepetitionFilter()
    paragraphs = f.paragraph_exp.split(text.strip())
    para_dups, para_chars = g.find_duplicates(paragraphs)
    lines = f._line_splitter.split(text)
    line_dups, line_chars = g.find_duplicates(lines)
    words = neardup.tokenize(text)[0]
    out = {"dup_para_frac": para_dups / len(paragraphs), "dup_para_char_frac": para_chars / len(text),
           "dup_line_frac": line_dups / len(lines), "dup_line_char_frac": line_chars / len(text)}
    for n, _ in f.top_n_grams:
        grams = g.get_n_grams(words, n)
        out[f"top_{n}_gram"] = g.find_top_duplicate(grams) / len(text) if grams else 0.0
    for n, _ in f.dup_n_grams:
        out[f"duplicated_{n}_n_grams"] = g.find_all_duplicate(words, n) / len(text)
    return out


@given(docs.filter(bool))
def test_equals_datatrove(g, text):
    assert neardup.repetition_stats(text) == datatrove_stats(g, text)


def test_datatrove_filter_decisions_on_real_text(g, shared_data):
    """On real pages, the filter's first failing reason from our statistics equals the one
    datatrove's own filter gives (with its word splitter set to neardup's tokens)."""
    import gzip
    import json

    from datatrove.data import Document

    rows = [json.loads(line) for line in gzip.open(shared_data / "chrome-cleanportaleval.jsonl.gz", "rt")]
    texts = [r["text"] for r in rows] + [r["text"] + "\n\n" + r["text"] for r in rows[:10]]
    f = g.GopherRepetitionFilter()
    original = g.split_into_words
    g.split_into_words = lambda text, language=None: neardup.tokenize(text)[0]
    try:
        decisions = [f.filter(Document(text=t, id=str(i))) for i, t in enumerate(texts)]
    finally:
        g.split_into_words = original
    thresholds = [("dup_para_frac", 0.3), ("dup_para_char_frac", 0.2), ("dup_line_frac", 0.3),
                  ("dup_line_char_frac", 0.2), ("top_2_gram", 0.2), ("top_3_gram", 0.18), ("top_4_gram", 0.16),
                  *((f"duplicated_{n}_n_grams", t) for n, t in zip(GOPHER_DUP_NS, (0.15, 0.14, 0.13, 0.12, 0.11, 0.10)))]
    for decision, stats in zip(decisions, neardup.repetition_stats_batch(texts)):
        failing = [name for name, limit in thresholds if stats[name] > limit]
        assert decision == (True if not failing else (False, failing[0]))
    assert any(d is not True for d in decisions)
