"""The fuzzy measures: Rust core == reference == rapidfuzz, float for float."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import neardup
from neardup import _core, _reference
from strategies import INTERESTING, texts

rapidfuzz = pytest.importorskip("rapidfuzz")
from rapidfuzz import fuzz, fuzz_py  # noqa: E402
from rapidfuzz.distance import Indel, Levenshtein  # noqa: E402

RAPIDFUZZ = {
    "levenshtein": Levenshtein.distance,
    "indel": Indel.distance,
    "levenshtein_similarity": Levenshtein.normalized_similarity,
    "ratio": fuzz.ratio,
    "token_sort_ratio": fuzz.token_sort_ratio,
    "token_set_ratio": fuzz.token_set_ratio,
}

# Short texts with many shared characters and words, and whitespace of every kind str.split knows.
near = st.text(alphabet="ab c\u00e9\t\n\x1c\u3000\u2003xyz\U0001f600", max_size=90)
words = st.lists(st.sampled_from(["fuzzy", "was", "a", "bear", "Bear", "dog", "\u6771\u4eac", "caf\u00e9", ""]), max_size=12).map(" ".join)
short = st.one_of(texts, near, words, st.text(alphabet=INTERESTING, max_size=100))


TOKEN_MEASURES = ("token_sort_ratio", "token_set_ratio")


def rapidfuzz_cpp_quirk(text: str) -> bool:
    """rapidfuzz's compiled token split misses U+0085 and U+00A0 in strings CPython stores as
    Latin-1 (all code points < 256), while it and rapidfuzz's pure-Python implementation split
    on them (str.split) otherwise. neardup follows str.split always."""
    return max(text, default="\0") < "\u0100" and ("\x85" in text or "\xa0" in text)


def test_the_quirk_is_real():
    assert fuzz.token_sort_ratio("", "\xa0") == 0.0 and fuzz_py.token_sort_ratio("", "\xa0") == 100.0
    assert neardup.token_sort_ratio("", "\xa0") == 100.0


@pytest.mark.parametrize("name", list(RAPIDFUZZ))
@given(a=short, b=short)
def test_equals_rapidfuzz_and_reference(name, a, b):
    expected = RAPIDFUZZ[name](a, b)
    if name in TOKEN_MEASURES:
        python_expected = getattr(fuzz_py, name)(a, b)
        if rapidfuzz_cpp_quirk(a) or rapidfuzz_cpp_quirk(b):
            expected = python_expected
        assert python_expected == expected
    assert getattr(_reference, name)(a, b) == expected
    assert getattr(_core, name)(a, b) == expected
    assert getattr(neardup, name)(a, b) == expected


@pytest.mark.parametrize("name", list(RAPIDFUZZ))
def test_long_strings(name):
    # Longer than one 64-bit word of the bit-parallel algorithms, with a shared core.
    a = ("the quick brown fox jumps over the lazy dog " * 30)[:1000]
    b = a.replace("o", "0", 40)[37:] + " tail"
    assert getattr(_core, name)(a, b) == getattr(_reference, name)(a, b) == RAPIDFUZZ[name](a, b)


@pytest.mark.parametrize("name", TOKEN_MEASURES)
@given(a=short, b=short)
def test_token_measures_equal_rapidfuzz_python(name, a, b):
    assert getattr(_core, name)(a, b) == getattr(_reference, name)(a, b) == getattr(fuzz_py, name)(a, b)


@given(st.lists(st.tuples(short, short), max_size=8), st.sampled_from(list(RAPIDFUZZ)), st.sampled_from([None, 1, 2]))
def test_batch(pairs, name, num_threads):
    oracle = getattr(fuzz_py, name) if name in TOKEN_MEASURES else RAPIDFUZZ[name]
    expected = np.array([float(oracle(a, b)) for a, b in pairs], dtype=np.float64)
    assert _core.fuzzy_batch(pairs, name, num_threads).tolist() == expected.tolist()
    assert _reference.fuzzy_batch(pairs, name) == expected.tolist()
    result = neardup.fuzzy_batch(pairs, measure=name, num_threads=num_threads)
    assert result.dtype == np.float64 and result.tolist() == expected.tolist()


def test_normalize_option():
    a, b = "The \u201cQuick\u201d  Fox", 'the "quick" fox'
    assert neardup.ratio(a, b) < 100.0
    assert neardup.ratio(a, b, normalize=True) == 100.0
    assert neardup.levenshtein(a, b, normalize=True) == 0
    batch = neardup.fuzzy_batch([(a, b), ("x", "y")], measure="levenshtein", normalize=True)
    assert batch.tolist() == [0.0, 1.0]


def test_bad_input():
    with pytest.raises(ValueError, match="measure must be one of"):
        neardup.fuzzy_batch([("a", "b")], measure="partial")
    with pytest.raises(TypeError, match=r"^b: expected str, got int"):
        neardup.ratio("a", 3)
    with pytest.raises(ValueError, match=r"^a: lone surrogate U\+DC00 at index 0"):
        neardup.levenshtein("\udc00", "b")
    with pytest.raises(TypeError, match=r"^pair 2 \(a\): expected str, got NoneType"):
        neardup.fuzzy_batch([("a", "b"), ("a", "b"), (None, "b")])
    with pytest.raises(TypeError, match=r"^pair 0: expected a pair"):
        neardup.fuzzy_batch(["ab"], normalize=True)
    with pytest.raises(ValueError, match=r"^pair 1 \(b\): lone surrogate"):
        neardup.fuzzy_batch([("a", "b"), ("a", "\ud800")], normalize=True)
