"""MinHash behaviour through the public API (active backend): estimates within the binomial
error bound, datasketch interoperability tested against datasketch itself, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neardup
from neardup import Shingles


@pytest.fixture(scope="module")
def datasketch():
    """datasketch, the interoperability oracle (an optional test dependency: only the tests
    that use it skip without it)."""
    return pytest.importorskip("datasketch")


def pair_with_jaccard(rng: np.random.Generator, union: int, jaccard: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Two sets of random 64-bit hashes with exactly the given share of common elements."""
    common = round(union * jaccard)
    rest = union - common
    values = rng.permutation(np.unique(rng.integers(0, 2**64, union + 16, dtype=np.uint64)))[:union]
    a = np.concatenate([values[:common], values[common : common + rest // 2]])
    b = np.concatenate([values[:common], values[common + rest // 2 :]])
    exact = common / (len(a) + len(b) - common)
    return a, b, exact


@pytest.mark.parametrize("scheme", ["classic", "oph"])
def test_estimates_within_binomial_error(scheme):
    """|estimate - J| stays within the binomial bound sqrt(J (1 - J) / k): at most a few
    pairs beyond 3 sigma (0.27% each under the binomial model), none beyond 4.5 sigma, and
    no bias in the mean."""
    rng = np.random.default_rng(2024)
    k = 128
    docs, exact = [], []
    for _ in range(400):
        a, b, j = pair_with_jaccard(rng, int(rng.integers(50, 600)), float(rng.uniform(0.0, 1.0)))
        docs += [a, b]
        exact.append(j)
    signatures = neardup.minhash(docs, num_perm=k, seed=7, scheme=scheme)
    pairs = np.arange(len(docs)).reshape(-1, 2)
    estimates = neardup.estimate_jaccard(signatures, pairs)
    exact = np.array(exact)
    sigma = np.sqrt(exact * (1 - exact) / k)
    deviation = np.abs(estimates - exact)
    beyond3 = int(np.sum(deviation > 3 * sigma + 1e-12))
    assert beyond3 <= 5, beyond3  # expected 1.1 of 400; P(> 5) < 0.1% under the binomial model
    assert np.all(deviation <= 4.5 * sigma + 1e-12)
    assert abs(float(np.mean(estimates - exact))) < 3 * float(np.sqrt(np.mean(sigma**2) / len(exact))) + 1e-3


def test_identical_and_disjoint_sets():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 2**63, 300, dtype=np.uint64)
    b = rng.integers(0, 2**63, 300, dtype=np.uint64) | np.uint64(2**63)
    for scheme in ("classic", "oph"):
        signatures = neardup.minhash([a, a[::-1].copy(), b], scheme=scheme)
        assert signatures.jaccard(0, 1) == 1.0
        assert signatures.jaccard(0, 2) <= 0.05


def test_texts_and_shingles_agree():
    texts = ["The quick brown fox jumps over the lazy dog.", "", "one two"]
    from_texts = neardup.minhash(texts, num_perm=64, seed=3, n=2)
    from_shingles = neardup.minhash(neardup.shingles_batch(texts, n=2), num_perm=64, seed=3)
    from_arrays = neardup.minhash([neardup.shingles(t, n=2) for t in texts], num_perm=64, seed=3)
    assert np.array_equal(from_texts.values, from_shingles.values)
    assert np.array_equal(from_texts.values, from_arrays.values)
    assert from_texts.values.shape == (3, 64) and from_texts.values.dtype == np.uint64
    assert np.all(from_texts.values[1] == np.uint64(2**64 - 1))


shingle_docs = st.lists(
    st.one_of(
        st.lists(st.binary(max_size=40), max_size=25),
        st.lists(st.text(max_size=12).map(lambda s: s.encode("utf-8", "surrogatepass")), max_size=25),
        st.tuples(st.binary(min_size=1, max_size=4), st.integers(1, 30)).map(lambda p: [p[0]] * p[1]),
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=120)
@given(shingle_docs, st.sampled_from([1, 2, 16, 128, 200]), st.integers(0, 2**32 - 1), st.sampled_from(["affine32", "affine64", "legacy"]))
def test_datasketch_hash_values_identical(datasketch, docs, num_perm, seed, scheme):
    ours = neardup.datasketch_minhash(docs, num_perm=num_perm, seed=seed, scheme=scheme)
    for i, shingles in enumerate(docs):
        theirs = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme=scheme)
        theirs.update_batch(shingles)
        assert np.array_equal(ours.digest(i), theirs.digest())
        assert ours.digest(i).dtype == theirs.digest().dtype


def test_datasketch_default_scheme_and_seed(datasketch):
    shingles = [b"near", b"duplicate", b"news"]
    theirs = datasketch.MinHash()  # num_perm=128, seed=1, scheme affine32
    theirs.update_batch(shingles)
    ours = neardup.datasketch_minhash([shingles])
    assert np.array_equal(ours.digest(0), theirs.digest())


def test_datasketch_round_trip(datasketch):
    docs = [[b"a", b"b", b"c"], [b"b", b"c", b"d"], []]
    for scheme in ("affine32", "affine64", "legacy"):
        ours = neardup.datasketch_minhash(docs, num_perm=32, seed=9, scheme=scheme)
        objects = ours.to_datasketch()
        assert len(objects) == 3
        reference = datasketch.MinHash(num_perm=32, seed=9, scheme=scheme)
        reference.update_batch(docs[0])
        assert objects[0] == reference
        assert objects[0].jaccard(objects[1]) == ours.jaccard(0, 1)
        # Objects keep working as datasketch MinHash: updating one matches datasketch.
        objects[1].update(b"e")
        direct = datasketch.MinHash(num_perm=32, seed=9, scheme=scheme)
        direct.update_batch(docs[1] + [b"e"])
        assert objects[1] == direct
        back = neardup.Signatures.from_datasketch([reference, objects[1]])
        assert back.scheme == scheme and back.seed == 9 and back.num_perm == 32
        assert np.array_equal(back.digest(0), reference.digest())
        assert neardup.Signatures.from_datasketch(ours.to_datasketch()).values.tolist() == ours.values.tolist()


def test_datasketch_signatures_work_in_the_lsh_index(datasketch):
    docs = [[f"w{i}".encode() for i in range(j, j + 50)] for j in (0, 0, 1, 500)]
    sigs = neardup.datasketch_minhash(docs, num_perm=64)
    ours = neardup.MinHashLSH(threshold=0.8, num_perm=64)
    theirs = datasketch.MinHashLSH(threshold=0.8, num_perm=64)
    for i, m in enumerate(sigs.to_datasketch()):
        ours.insert(i, m)
        theirs.insert(i, m)
    for i in range(4):
        assert sorted(ours.query(sigs[i])) == sorted(theirs.query(sigs.to_datasketch()[i]))


def test_conversion_errors(datasketch):
    sigs = neardup.minhash(["a b c d e f"], num_perm=8)
    with pytest.raises(ValueError, match="no datasketch equivalent"):
        sigs.to_datasketch()
    a, b = datasketch.MinHash(num_perm=8, seed=1), datasketch.MinHash(num_perm=8, seed=2)
    with pytest.raises(ValueError, match="document 1: seed 2"):
        neardup.Signatures.from_datasketch([a, b])
    with pytest.raises(TypeError, match="document 0: expected a datasketch MinHash"):
        neardup.Signatures.from_datasketch([object()])


def test_bad_input_names_the_document():
    with pytest.raises(TypeError, match="document 1: expected str"):
        neardup.minhash(["fine", b"bytes"])
    with pytest.raises(ValueError, match="document 2: lone surrogate"):
        neardup.minhash(["a", "b", "c\ud800"])
    with pytest.raises(TypeError, match="document 0, shingle 1: expected bytes, got str"):
        neardup.datasketch_minhash([[b"ok", "text"]])
    with pytest.raises(TypeError, match="document 1: expected a 1-d array"):
        neardup.minhash([np.array([1, 2], dtype=np.uint64), np.array([-1])])
    with pytest.raises(ValueError, match="num_perm"):
        neardup.minhash(["a"], num_perm=0)
    with pytest.raises(ValueError, match="scheme"):
        neardup.minhash(["a"], scheme="affine32")
    with pytest.raises(ValueError, match="seed"):
        neardup.datasketch_minhash([[b"a"]], seed=2**32)
    with pytest.raises(ValueError, match="offsets"):
        neardup.minhash(Shingles(np.zeros(3, dtype=np.uint64), np.array([0, 2], dtype=np.int64)))


def test_thread_count_does_not_change_signatures():
    texts = [f"story {i} " * (i % 7 + 1) + "end of the text here" for i in range(60)]
    one = neardup.minhash(texts, scheme="oph", num_threads=1)
    two = neardup.minhash(texts, scheme="oph", num_threads=2)
    assert np.array_equal(one.values, two.values)
    assert math.isclose(one.jaccard(0, 7), two.jaccard(0, 7))
