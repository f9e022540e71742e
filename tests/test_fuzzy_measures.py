"""The fuzzy measures: Rust core == reference == rapidfuzz, float for float.

The core == reference checks need only the core; the checks against rapidfuzz (the oracle,
an optional test dependency) skip on their own when it is not installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import neardup
from neardup import _reference
from equivalence import _core
from strategies import INTERESTING, texts

MEASURES = ("levenshtein", "indel", "levenshtein_similarity", "ratio", "token_sort_ratio", "token_set_ratio")


@pytest.fixture(scope="module")
def rapidfuzz():
    """rapidfuzz's measures by neardup's names, and its pure-Python ``fuzz_py``."""
    pytest.importorskip("rapidfuzz")
    from rapidfuzz import fuzz, fuzz_py
    from rapidfuzz.distance import Indel, Levenshtein

    measures = {
        "levenshtein": Levenshtein.distance,
        "indel": Indel.distance,
        "levenshtein_similarity": Levenshtein.normalized_similarity,
        "ratio": fuzz.ratio,
        "token_sort_ratio": fuzz.token_sort_ratio,
        "token_set_ratio": fuzz.token_set_ratio,
    }
    assert list(measures) == list(MEASURES)
    return measures, fuzz, fuzz_py


# Short texts with many shared characters and words, and whitespace of every kind str.split knows.
near = st.text(alphabet="ab c\u00e9\t\n\x1c\u3000\u2003xyz\U0001f600", max_size=90)
words = st.lists(st.sampled_from(["fuzzy", "was", "a", "bear", "Bear", "dog", "\u6771\u4eac", "caf\u00e9", ""]), max_size=12).map(" ".join)
short = st.one_of(texts, near, words, st.text(alphabet=INTERESTING, max_size=100))


TOKEN_MEASURES = ("token_sort_ratio", "token_set_ratio")
_long = ("the quick brown fox jumps over the lazy dog " * 30)[:1000]
LONG = (_long, _long.replace("o", "0", 40)[37:] + " tail")


# The checks against rapidfuzz below test the reference directly and the core as the active
# backend (`neardup.X`): the Rust pass of `make test` covers both, so they run once.


def rapidfuzz_cpp_quirk(text: str) -> bool:
    """rapidfuzz's compiled token split misses U+0085 and U+00A0 in strings CPython stores as
    Latin-1 (all code points < 256), while it and rapidfuzz's pure-Python implementation split
    on them (str.split) otherwise. neardup follows str.split always."""
    return max(text, default="\0") < "\u0100" and ("\x85" in text or "\xa0" in text)


@pytest.mark.core
@pytest.mark.backend_independent
@pytest.mark.parametrize("name", MEASURES)
@given(a=short, b=short)
def test_core_equals_reference(name, a, b):
    assert getattr(_core, name)(a, b) == getattr(_reference, name)(a, b)


@pytest.mark.core
@pytest.mark.backend_independent
@pytest.mark.parametrize("name", MEASURES)
def test_long_strings_core_equals_reference(name):
    # Longer than one 64-bit word of the bit-parallel algorithms, with a shared core.
    a, b = LONG
    assert getattr(_core, name)(a, b) == getattr(_reference, name)(a, b)


@pytest.mark.core
@pytest.mark.backend_independent
@given(st.lists(st.tuples(short, short), max_size=8), st.sampled_from(MEASURES), st.sampled_from([None, 1, 2]))
def test_batch_core_equals_reference(pairs, name, num_threads):
    expected = [float(getattr(_reference, name)(a, b)) for a, b in pairs]
    assert _reference.fuzzy_batch(pairs, name) == expected
    assert _core.fuzzy_batch(pairs, name, num_threads).tolist() == expected


@pytest.mark.backend_independent
def test_the_quirk_is_real(rapidfuzz):
    _, fuzz, fuzz_py = rapidfuzz
    assert fuzz.token_sort_ratio("", "\xa0") == 0.0 and fuzz_py.token_sort_ratio("", "\xa0") == 100.0
    assert neardup.token_sort_ratio("", "\xa0") == 100.0


@pytest.mark.backend_independent
@pytest.mark.parametrize("name", MEASURES)
@given(a=short, b=short)
def test_equals_rapidfuzz_and_reference(rapidfuzz, name, a, b):
    measures, _, fuzz_py = rapidfuzz
    expected = measures[name](a, b)
    if name in TOKEN_MEASURES:
        python_expected = getattr(fuzz_py, name)(a, b)
        if rapidfuzz_cpp_quirk(a) or rapidfuzz_cpp_quirk(b):
            expected = python_expected
        assert python_expected == expected
    assert getattr(_reference, name)(a, b) == expected
    assert getattr(neardup, name)(a, b) == expected


@pytest.mark.backend_independent
@pytest.mark.parametrize("name", MEASURES)
def test_long_strings(rapidfuzz, name):
    a, b = LONG
    assert getattr(neardup, name)(a, b) == getattr(_reference, name)(a, b) == rapidfuzz[0][name](a, b)


@pytest.mark.backend_independent
@pytest.mark.parametrize("name", TOKEN_MEASURES)
@given(a=short, b=short)
def test_token_measures_equal_rapidfuzz_python(rapidfuzz, name, a, b):
    assert getattr(neardup, name)(a, b) == getattr(_reference, name)(a, b) == getattr(rapidfuzz[2], name)(a, b)


@pytest.mark.backend_independent
@given(st.lists(st.tuples(short, short), max_size=8), st.sampled_from(MEASURES), st.sampled_from([None, 1, 2]))
def test_batch(rapidfuzz, pairs, name, num_threads):
    measures, _, fuzz_py = rapidfuzz
    oracle = getattr(fuzz_py, name) if name in TOKEN_MEASURES else measures[name]
    expected = np.array([float(oracle(a, b)) for a, b in pairs], dtype=np.float64)
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
