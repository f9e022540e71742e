"""The Rust core and the pure-Python reference agree on every text primitive, bit for bit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neardup import _reference
from equivalence import _core, same
from strategies import ascii_heavy, ascii_stretches, texts

# Rust == reference, called directly: needs the core, and the active backend changes nothing.
pytestmark = [pytest.mark.core, pytest.mark.backend_independent]


@given(texts, st.booleans())
def test_normalize(text, mask_digits):
    same(_core.normalize(text, mask_digits), _reference.normalize(text, mask_digits))


@given(ascii_stretches, st.booleans())
def test_normalize_ascii_stretches(text, mask_digits):
    same(_core.normalize(text, mask_digits), _reference.normalize(text, mask_digits))


@given(texts)
def test_segment(text):
    same(_core.segment(text), _reference.segment(text))


@given(texts)
def test_tokenize(text):
    same(_core.tokenize(text), _reference.tokenize(text))


@given(texts, st.integers(1, 7), st.sampled_from(["word", "char"]), st.integers(0, 2**64 - 1))
def test_shingles(text, n, kind, seed):
    same(_core.shingles(text, n, kind, seed), _reference.shingles(text, n, kind, seed))


@given(ascii_heavy, st.integers(1, 5))
def test_ascii_heavy_tokens_and_shingles(text, n):
    same(_core.tokenize(text), _reference.tokenize(text))
    same(_core.shingles(text, n, "word", 3), _reference.shingles(text, n, "word", 3))


@given(st.binary(max_size=2100), st.integers(0, 2**64 - 1))
def test_hash64(data, seed):
    assert _core.hash64(data, seed) == _reference.hash64(data, seed)


@given(st.lists(texts, max_size=6), st.sampled_from(["word", "char"]), st.sampled_from([None, 1, 2, 3]))
def test_batches(batch, kind, num_threads):
    same(_core.normalize_batch(batch, True, num_threads), _reference.normalize_batch(batch, True))
    same(_core.segment_batch(batch, num_threads), _reference.segment_batch(batch))
    same(_core.tokenize_batch(batch, num_threads), _reference.tokenize_batch(batch))
    same(_core.shingles_batch(batch, 3, kind, 9, num_threads), _reference.shingles_batch(batch, 3, kind, 9))
    same(_core.shingles_batch(batch * 2, 1, kind, 9, num_threads, True), _reference.shingles_batch(batch * 2, 1, kind, 9, None, True))


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00" * 1000,
        "word " * 40_000,
        "x" * 150_000,
        "e" + "\u0301" * 5000,
        "\u1100\u1161\u11a8" * 3000,
        "\u4e2d" * 20_000,
        ("The same line.\n" * 2000) + ("\r\n\u00a0\n" * 500),
    ],
    ids=["empty", "space", "nul", "many-words", "long-line", "many-marks", "jamo", "cjk", "repeated-lines"],
)
def test_degenerate_and_huge(text):
    same(_core.normalize(text, False), _reference.normalize(text, False))
    same(_core.segment(text), _reference.segment(text))
    same(_core.tokenize(text), _reference.tokenize(text))
    for kind in ("word", "char"):
        same(_core.shingles(text, 5, kind, 0), _reference.shingles(text, 5, kind, 0))


SURROGATE_CASES = ["\ud800", "ab\udfff", "ok \U0001f600 \udc00 tail"]


@pytest.mark.parametrize("text", SURROGATE_CASES)
def test_lone_surrogates_raise_the_same_error(text):
    calls = [
        lambda m: m.normalize(text, False),
        lambda m: m.segment(text),
        lambda m: m.tokenize(text),
        lambda m: m.shingles(text, 5, "word", 0),
    ]
    for call in calls:
        with pytest.raises(ValueError) as rust_error:
            call(_core)
        with pytest.raises(ValueError) as reference_error:
            call(_reference)
        assert str(rust_error.value) == str(reference_error.value)
        assert f"at index {text.index(next(c for c in text if 0xD800 <= ord(c) <= 0xDFFF))}" in str(rust_error.value)


@pytest.mark.parametrize("bad", [["fine", "also \ud801 bad"], ["fine", 7], ["fine", None]])
def test_batch_errors_name_the_document(bad):
    for module in (_core, _reference):
        with pytest.raises((ValueError, TypeError)) as error:
            module.shingles_batch(bad, 5, "word", 0)
        assert str(error.value).startswith("document 1: ")
    with pytest.raises(type(error.value)) as rust_error:
        _core.tokenize_batch(bad)
    with pytest.raises(type(error.value)) as reference_error:
        _reference.tokenize_batch(bad)
    assert str(rust_error.value) == str(reference_error.value)


@pytest.mark.parametrize(
    "args", [(0, "word", 0), (3, "chars", 0), (3, "word", -1), (3, "word", 2**64), (True, "word", 0), (3, "word", True)]
)
def test_invalid_shingle_arguments_raise_the_same_error(args):
    with pytest.raises(ValueError) as rust_error:
        _core.shingles("some text", *args)
    with pytest.raises(ValueError) as reference_error:
        _reference.shingles("some text", *args)
    assert str(rust_error.value) == str(reference_error.value)


def test_unicode_versions_match():
    assert _core.UNICODE_VERSION == _reference.UNICODE_VERSION == "14.0.0"
