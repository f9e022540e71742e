"""The Rust core and the pure-Python reference agree on alignment, bit for bit: anchors,
passages (spans, matched tokens, token counts, anchor counts) and scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from neardup import _reference
from neardup._reference.align import matched_tokens as reference_matched_tokens
from neardup._reference.align import pairwise_sum as reference_pairwise_sum
from equivalence import _core, same
from neardup.spans import merge_spans
from strategies import INTERESTING, WORDS, texts

# Rust == reference, called directly: needs the core, and the active backend changes nothing.
pytestmark = [pytest.mark.core, pytest.mark.backend_independent]

VOCAB = ["the", "a", "news", "minister", "said", "Tokyo", "alliance", "défense", "caf\u00e9", "\u6771\u4eac", "42", "of", "in", "to"]


@st.composite
def edited_pairs(draw):
    """A text and a copy of it edited the ways syndicated and scanned copies are: words
    replaced, dropped and inserted, a block moved, case and quotes changed, characters noised."""
    words = draw(st.lists(st.sampled_from(VOCAB + WORDS), min_size=0, max_size=150))
    b = list(words)
    for op, pos, word in draw(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 10**6), st.sampled_from(VOCAB)), max_size=12)):
        if not b:
            b.append(word)
            continue
        i = pos % len(b)
        if op == 0:
            b[i] = word
        elif op == 1:
            del b[i]
        elif op == 2:
            b.insert(i, word)
        elif op == 3:
            j = (pos // 7) % len(b)
            block = b[i : i + 12]
            del b[i : i + 12]
            b[j:j] = block
        elif op == 4:
            b[i] = b[i].upper()
        else:
            w = b[i]
            k = pos % (len(w) + 1)
            b[i] = w[:k] + draw(st.sampled_from(INTERESTING)) + w[k + 1 :]
    sep = draw(st.sampled_from([" ", "\n", "  ", ", "]))
    return " ".join(words), sep.join(b)


pairs = st.one_of(edited_pairs(), st.tuples(texts, texts), texts.map(lambda t: (t, t + " " + t)))
params = st.tuples(st.integers(1, 5), st.integers(0, 30), st.integers(1, 12))


@given(pairs, params)
def test_align(pair, p):
    a, b = pair
    k, max_gap, min_tokens = p
    same(_core.align(a, b, k, max_gap, min_tokens), _reference.align(a, b, k, max_gap, min_tokens))
    same(_core.align_anchors(a, b, k), _reference.align_anchors(a, b, k))


@given(edited_pairs())
def test_align_defaults_and_swapped(pair):
    a, b = pair
    same(_core.align(a, b), _reference.align(a, b))
    same(_core.align(b, a), _reference.align(b, a))


@given(st.lists(pairs, max_size=5), st.sampled_from([None, 1, 2, 3]))
def test_align_batch(batch, num_threads):
    expected = _reference.align_batch(batch, 2, 10, 3)
    same(_core.align_batch(batch, 2, 10, 3, num_threads), expected)
    same(expected, [_reference.align(a, b, 2, 10, 3) for a, b in batch])


@given(st.lists(pairs, min_size=1, max_size=3), st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=8), st.sampled_from([None, 1, 2]))
def test_align_batch_texts_shared_across_pairs(sources, picks, num_threads):
    """Callers pair one document with many: the same str object in several pairs, on either
    side, and paired with itself."""
    docs = [text for pair in sources for text in pair]
    batch = [(docs[i % len(docs)], docs[j % len(docs)]) for i, j in picks]
    same(_core.align_batch(batch, 2, 10, 3, num_threads), [_reference.align(a, b, 2, 10, 3) for a, b in batch])


def check_token_ranges(batch, k, max_gap, min_tokens, num_threads):
    """align_token_ranges_batch: the core equals the reference, and each pair's entry is the b
    side of align_batch's passages as token indices of tokenize_batch(b)."""
    core = _core.align_token_ranges_batch(batch, k, max_gap, min_tokens, num_threads)
    same(core, _reference.align_token_ranges_batch(batch, k, max_gap, min_tokens))
    passages = _core.align_batch(batch, k, max_gap, min_tokens, num_threads)
    tokenized = _core.tokenize_batch([b for _, b in batch], num_threads)
    assert len(core) == len(passages) == len(batch)
    for (b_tokens, ranges), found, (_, spans) in zip(core, passages, tokenized):
        spans = np.asarray(spans).reshape(-1, 2)
        assert b_tokens == len(spans)
        assert isinstance(ranges, np.ndarray) and ranges.dtype == np.int64 and ranges.shape == (len(found), 3)
        # Read from the tokens to the characters: a character that normalisation expands into
        # several tokens ("⅓" -> "1⁄3": tokens "1", "31", "3") gives tokens that share a start,
        # so a passage's character offsets alone do not say which of them it starts or ends at.
        assert all(0 <= start < end <= b_tokens for start, end, _ in ranges.tolist())
        assert [(int(spans[start, 0]), int(spans[end - 1, 1]), matches) for start, end, matches in ranges.tolist()] == [(p[2], p[3], p[5]) for p in found]


@given(st.lists(pairs, max_size=5), params, st.sampled_from([None, 1, 2]))
@example([("⅓⅓⅓", "⅓⅓⅓ ⅓⅓⅓")], (1, 0, 1), None)
def test_align_token_ranges_batch(batch, p, num_threads):
    check_token_ranges(batch, *p, num_threads)


@given(st.lists(pairs, min_size=1, max_size=3), st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=8), st.sampled_from([None, 1, 2]))
def test_align_token_ranges_batch_texts_shared_across_pairs(sources, picks, num_threads):
    docs = [text for pair in sources for text in pair]
    check_token_ranges([(docs[i % len(docs)], docs[j % len(docs)]) for i, j in picks], 2, 10, 3, num_threads)


@given(
    st.lists(st.one_of(st.floats(0, 1), st.sampled_from([0.1, 1 / 3, 0.8, 144 / 161, 1.0])), max_size=50),
    st.integers(0, 1500),
    st.integers(1, 10**6),
    st.sampled_from([3, 7, 161, 1000]),
)
def test_pairwise_sum_is_numpys(drawn, count, step, denominator):
    """The reference's pairwise sum (which the core follows step for step) is numpy's: the
    scores are those neardup clean gave when numpy summed them. Match rates of every count up
    to 1,500 tokens (each block size and split), and drawn floats."""
    rates = [(i * step % (denominator + 1)) / denominator for i in range(count)]
    for values in (drawn, rates, drawn + rates):
        assert reference_pairwise_sum(values) == float(np.array(values, dtype=np.float64).sum())


@given(st.lists(pairs, max_size=4), st.lists(edited_pairs(), max_size=2), params, st.sampled_from([None, 1, 2]))
def test_matched_share_batch(batch, edited, p, num_threads):
    """The share of b matched in a: core == reference bit for bit, each pair both ways, an
    edited copy against its source written twice (passages overlapping on b, matched at
    rates below 1: the pairwise sum), and the share is matched_tokens of
    align_token_ranges_batch's ranges over b's tokens."""
    batch = batch + [(b, a) for a, b in batch] + [(a + "\n" + a, b) for a, b in edited]
    core = _core.matched_share_batch(batch, *p, num_threads)
    assert isinstance(core, np.ndarray) and core.dtype == np.float64 and core.shape == (len(batch),)
    assert core.tobytes() == np.asarray(_reference.matched_share_batch(batch, *p), dtype=np.float64).tobytes()
    for share, (tokens, ranges) in zip(core.tolist(), _reference.align_token_ranges_batch(batch, *p)):
        assert share == (min(1.0, reference_matched_tokens(ranges) / tokens) if tokens else 0.0)


#: Blank edges of every kind Python's str.strip() removes (Rust's is_whitespace leaves out
#: U+001C..U+001F), and characters it keeps.
EDGES = st.text(st.sampled_from([" ", "\n", "\t", "\x1c", "\x1f", "\xa0", "\u3000", "\u2028", "\x85", "\u200b", "x", "-", "\u00e9"]), max_size=6)


@st.composite
def wrapped_pairs(draw):
    """An edited copy inside a page: a header and a footer of drawn lengths around it, blank
    edges of every kind, or the two swapped, or unrelated texts."""
    source, copy = draw(edited_pairs())
    header = draw(EDGES) + draw(st.text(st.sampled_from(["a", "b", " ", "\x1c", "\xa0", "\U0001d11e"]), max_size=60)) + draw(EDGES)
    footer = draw(EDGES) + draw(st.text(st.sampled_from(["c", "d", " ", "\x1f", "\u3000"]), max_size=60)) + draw(EDGES)
    outer = header + "\n" + source + "\n" + footer
    inner = draw(EDGES) + copy + draw(EDGES)
    shape = draw(st.integers(0, 3))
    if shape == 0:
        return outer, inner
    if shape == 1:
        return inner, outer
    if shape == 2:
        return outer, outer
    return draw(texts), draw(texts)


def wraps_by_passages(outer, inner, min_chars, min_share, p):
    """The wrap test over the reference's passages, spans merged by neardup.spans (as the
    clean job decided it before the test ran in the core)."""
    passages = _reference.align(outer, inner, *p)
    if not passages:
        return False
    covered = sum(end - start for start, end in merge_spans((q[2], q[3]) for q in passages))
    if covered < min_share * len(inner.strip()):
        return False
    first, last = min(q[0] for q in passages), max(q[1] for q in passages)
    return len(outer[:first].strip()) >= min_chars and len(outer[last:].strip()) >= min_chars


@given(st.lists(wrapped_pairs(), max_size=5), st.integers(0, 60), st.sampled_from([0.0, 0.5, 0.8, 0.95, 1.0]), params, st.sampled_from([None, 1, 2]))
def test_wraps_batch(batch, min_chars, min_share, p, num_threads):
    core = _core.wraps_batch(batch, min_chars, min_share, *p, num_threads)
    assert core == _reference.wraps_batch(batch, min_chars, min_share, *p)
    assert core == [wraps_by_passages(outer, inner, min_chars, min_share, p) for outer, inner in batch]


def lines_shared_by_mask(a, b, min_line_share, p):
    """Per line of a, shared or not, from a character mask of the reference's passages and
    numpy sums over the tokens (as neardup.align did it before the core did)."""
    mask = np.zeros(len(a) + 1, dtype=np.int64)
    for q in _reference.align(a, b, *p):
        mask[q[0]] += 1
        mask[q[1]] -= 1
    prefix = np.concatenate(([0], np.cumsum(np.cumsum(mask[:-1]) > 0)))
    lines = np.asarray(_reference.segment(a)[0], dtype=np.int64).reshape(-1, 2)
    spans = np.asarray(_reference.tokenize(a)[1], dtype=np.int64).reshape(-1, 2)
    line_of = np.searchsorted(lines[:, 0], spans[:, 0], side="right") - 1
    total = np.zeros(len(lines), dtype=np.int64)
    inside = np.zeros(len(lines), dtype=np.int64)
    np.add.at(total, line_of, spans[:, 1] - spans[:, 0])
    np.add.at(inside, line_of, prefix[spans[:, 1]] - prefix[spans[:, 0]])
    return ((total > 0) & (inside >= min_line_share * total)).tolist()


@given(st.lists(wrapped_pairs(), max_size=5), st.sampled_from([0.01, 0.3, 0.5, 2 / 3, 1.0]), params, st.sampled_from([None, 1, 2]))
def test_lines_shared_batch(batch, min_line_share, p, num_threads):
    """Per line of a, shared with b or not: core == reference == a character mask; lines
    split on LF with CRs, blank lines and lines of symbols (no tokens: never shared)."""
    batch = [(a.replace("\u3000", "\r\n"), b) for a, b in batch] + [(b, a) for a, b in batch]
    core = [flags.tolist() for flags in _core.lines_shared_batch(batch, min_line_share, *p, num_threads)]
    assert core == _reference.lines_shared_batch(batch, min_line_share, *p)
    assert core == [lines_shared_by_mask(a, b, min_line_share, p) for a, b in batch]
    assert [len(flags) for flags in core] == [a.count("\n") + 1 for a, _ in batch]


def test_wraps_batch_at_its_edges():
    """Own material of exactly min_chars on each side, blank edges stripped the way Python
    strips them (U+001C counts as blank), and the share of the inner text at its limit."""
    body = " ".join(f"w{i}" for i in range(40))
    header, footer = "\x1c " + "h" * 40 + " \x1f", "\u3000" + "f" * 40 + "\xa0"
    for wrapped_by in (_core.wraps_batch, _reference.wraps_batch):
        assert wrapped_by([(header + "\n" + body + "\n" + footer, body)], 40, 0.8) == [True]
        assert wrapped_by([(header + "\n" + body + "\n" + footer, body)], 41, 0.8) == [False]
        # 39 characters between U+001C and U+001F: under 40 only if both count as blank.
        assert wrapped_by([("\x1c" + "h" * 39 + "\x1f\n" + body + "\n" + footer, body)], 40, 0.8) == [False]
        assert wrapped_by([(body, body), ("", body), (body, "")], 0, 0.0) == [True, False, False]
    with pytest.raises(ValueError, match="min_share"):
        _core.wraps_batch([("a", "b")], 40, 1.5)
    with pytest.raises(ValueError, match="min_share"):
        _reference.wraps_batch([("a", "b")], 40, 1.5)
    for bad in (0.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="min_line_share"):
            _core.lines_shared_batch([("a", "b")], bad)
        with pytest.raises(ValueError, match="min_line_share"):
            _reference.lines_shared_batch([("a", "b")], bad)


@pytest.mark.parametrize(
    "call",
    [
        lambda f: f([("a", "b")], 0),
        lambda f: f([("a", "b")], 65),
        lambda f: f([("a", "b")], 3, 1001),
        lambda f: f([("a", "b")], 3, 24, 0),
        lambda f: f([("a", "b")], 3, 24, 8, 0),
        lambda f: f([("a", b"b")]),
        lambda f: f([("a", "b", "c")]),
        lambda f: f("ab"),
        lambda f: f(None),
    ],
)
def test_align_token_ranges_batch_rejects_what_align_batch_rejects(call):
    with pytest.raises(Exception) as batch_error:
        call(_core.align_batch)
    with pytest.raises(type(batch_error.value), match=None) as error:
        call(_core.align_token_ranges_batch)
    with pytest.raises(type(batch_error.value)):
        call(_core.matched_share_batch)
    assert str(error.value) == str(batch_error.value)


def test_align_batch_of_strs_made_while_iterating():
    """A str made by the iterator and dropped once its pair is read can leave its address to
    the next one: each is still its own text."""

    def made(n: int) -> str:
        return " ".join(f"w{(i * 7919 + n * 104729) % 31}" for i in range(40))

    def generated():
        for n in range(30):
            yield made(n), made(n + 1)

    expected = [_reference.align(made(n), made(n + 1)) for n in range(30)]
    assert sum(map(len, expected)) >= 30
    same(_core.align_batch(generated()), expected)


def noisy_copy(text: str, every: int) -> str:
    """Replace every `every`-th letter by the next letter, deterministically (OCR-like noise)."""
    chars = list(text)
    for i in range(0, len(chars), every):
        if chars[i].isalpha():
            chars[i] = "x" if chars[i] != "x" else "y"
    return "".join(chars)


@pytest.mark.parametrize(
    "a, b",
    [
        ("", ""),
        ("", "some words here and there"),
        ("word " * 20_000, "word " * 20_000),
        ("word " * 20_000, "word " * 15_000 + "other " * 100),
        ("a b " * 10_000, "b a " * 10_000),
        ("\u4e2d\u6587" * 10_000, "\u6587\u4e2d" * 10_000),
        ("x" * 150_000, "x" * 150_000),
        (" ".join(f"w{i % 97}" for i in range(30_000)), " ".join(f"w{i % 89}" for i in range(30_000))),
    ],
    ids=["empty", "one-empty", "one-word-repeated", "repeated-uneven", "two-words", "cjk", "one-long-token", "periodic"],
)
def test_degenerate_and_huge(a, b):
    same(_core.align(a, b), _reference.align(a, b))
    same(_core.align_anchors(a, b), _reference.align_anchors(a, b))
    check_token_ranges([(a, b), (b, a)], 3, 24, 8, None)


def test_long_real_text_with_noise(shared_data):
    import gzip
    import json

    with gzip.open(shared_data / "dups-bbc-news.jsonl.gz", "rt", encoding="utf-8") as f:
        docs = [json.loads(line)["text"] for _, line in zip(range(40), f)]
    a = "\n\n".join(docs)
    b = noisy_copy("\n\n".join(docs[20:] + docs[:20]), 23)
    same(_core.align(a, b), _reference.align(a, b))


@st.composite
def template_pairs(draw):
    """A text and another instance of its template: one word swapped throughout for another
    (drawn, a copy of it with one character added, dropped or changed, or of other case),
    besides edits of the copy."""
    words = draw(st.lists(st.sampled_from(VOCAB + WORDS), min_size=0, max_size=120))
    if not words:
        return "", ""
    name = draw(st.sampled_from(words))
    k = draw(st.integers(0, len(name)))
    other = draw(
        st.one_of(
            st.sampled_from(VOCAB + WORDS),
            st.sampled_from(INTERESTING).map(lambda c: name[:k] + c + name[k + 1 :]),
            st.sampled_from(INTERESTING).map(lambda c: name[:k] + c + name[k:]),
            st.just(name[:k] + name[k + 1 :]),
            st.just(name.upper()),
        )
    )
    source, copy = draw(edited_pairs())
    return " ".join(words) + " " + source, " ".join(other if w == name else w for w in words) + " " + copy


@given(st.lists(st.one_of(pairs, template_pairs()), max_size=5), st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=6), st.sampled_from([None, 1, 2]))
@example([("a b name c d e f name g h i j name k l m", "a b other c d e f other g h i j names k l m")], [], None)
def test_word_swaps_batch(batch, picks, num_threads):
    """The one-for-one swaps between two texts (most, all): core == reference, each pair both
    ways and texts shared across pairs, templates with a name swapped for a word, for a copy
    one character edit apart (noise, not counted) or of another case."""
    batch = batch + [(b, a) for a, b in batch]
    texts = [t for pair in batch for t in pair]
    if texts:
        batch = batch + [(texts[i % len(texts)], texts[j % len(texts)]) for i, j in picks]
    core = _core.word_swaps_batch(batch, num_threads)
    assert core == _reference.word_swaps_batch(batch)
    assert all(0 <= most <= every for most, every in core)
