"""LSH through the public API: parameter choice as datasketch makes it, recall following the
S-curve, the index's insert/query/remove and batch forms, corpus candidate pairs."""

from __future__ import annotations

import numpy as np
import pytest

import neardup
from test_dedup_minhash import pair_with_jaccard


@pytest.fixture(scope="module")
def optimal_param():
    """datasketch's parameter choice (the oracle, an optional test dependency)."""
    return pytest.importorskip("datasketch.lsh")._optimal_param


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.2, 0.8), (0.9, 0.1)])
def test_params_match_datasketch(optimal_param, num_perm, weights):
    for threshold in (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95):
        assert neardup.lsh_params(threshold, num_perm, weights) == optimal_param(threshold, num_perm, *weights)


@pytest.mark.parametrize("scheme", ["classic", "oph"])
def test_recall_follows_the_s_curve(scheme):
    """For pairs of exact Jaccard s, the share that become candidates matches
    P(s) = 1 - (1 - s^r)^b within 4 binomial standard deviations."""
    bands, rows = neardup.lsh_params(0.8, 128)
    rng = np.random.default_rng(11)
    per_level = 300
    for similarity in (0.5, 0.65, 0.75, 0.8, 0.85, 0.95):
        docs = []
        for _ in range(per_level):
            a, b, _ = pair_with_jaccard(rng, 400, similarity)
            docs += [a, b]
        signatures = neardup.minhash(docs, num_perm=128, seed=int(rng.integers(0, 2**32)), scheme=scheme)
        pairs = neardup.candidate_pairs(signatures, params=(bands, rows))
        found = {(int(i), int(j)) for i, j in pairs if i % 2 == 0 and j == i + 1}
        recall = len(found) / per_level
        expected = neardup.lsh_probability(similarity, bands, rows)
        sd = np.sqrt(expected * (1 - expected) / per_level)
        assert abs(recall - expected) <= 4 * sd + 0.01, (similarity, recall, expected)


def test_s_curve_values():
    # A scalar gives a float (it was a 1-element array, which == compares as true).
    assert type(neardup.lsh_probability(1.0, 9, 13)) is float and neardup.lsh_probability(1.0, 9, 13) == 1.0
    assert type(neardup.lsh_probability(0.0, 9, 13)) is float and neardup.lsh_probability(0.0, 9, 13) == 0.0
    assert type(neardup.lsh_probability(0.5, 2, 2)) is float and neardup.lsh_probability(0.5, 2, 2) == 0.4375
    with pytest.raises(ValueError, match="bands \\* rows = 18446744073709551620 exceeds num_perm"):
        neardup.candidate_pairs(np.zeros((2, 4), dtype=np.uint64), params=(np.int64(2**62 + 1), np.int64(4)))
    curve = neardup.lsh_probability(np.linspace(0, 1, 11), 20, 5)
    assert np.all(np.diff(curve) > 0)
    assert curve[5] == pytest.approx(1 - (1 - 0.5**5) ** 20)


def signatures_for(n: int, seed: int = 0) -> neardup.Signatures:
    rng = np.random.default_rng(seed)
    base = [rng.integers(0, 2**64, 200, dtype=np.uint64) for _ in range(n // 2)]
    docs = []
    for b in base:
        docs += [b, np.concatenate([b[:190], rng.integers(0, 2**64, 10, dtype=np.uint64)])]
    return neardup.minhash(docs, num_perm=128)


def test_index_insert_query_remove():
    sigs = signatures_for(6)
    lsh = neardup.MinHashLSH(threshold=0.8, num_perm=128)
    assert (lsh.bands, lsh.rows) == neardup.lsh_params(0.8, 128)
    keys = ["a", ("b", 1), 3, "d", "e", "f"]
    for key, row in zip(keys, sigs.values):
        lsh.insert(key, row)
    assert len(lsh) == 6 and "a" in lsh and "zz" not in lsh
    assert lsh.query(sigs[0]) == ["a", ("b", 1)]
    assert lsh.query(sigs[3]) == [3, "d"]
    assert lsh.candidate_pairs() == [("a", ("b", 1)), (3, "d"), ("e", "f")]
    with pytest.raises(ValueError, match="already in the index"):
        lsh.insert("a", sigs[0])
    with pytest.raises(ValueError, match="document 1: key 'new' is repeated in the batch"):
        lsh.insert_batch(["new", "new"], sigs.values[:2])
    lsh.remove(("b", 1))
    assert lsh.query(sigs[0]) == ["a"]
    assert ("b", 1) not in lsh
    with pytest.raises(ValueError, match="not in the index"):
        lsh.remove(("b", 1))
    lsh.insert(("b", 1), sigs[1])  # a removed key can come back
    assert lsh.query(sigs[1]) == ["a", ("b", 1)]
    with pytest.raises(ValueError, match="num_perm=128"):
        lsh.query(sigs[0][:64])


def test_index_batch_forms_match_single_calls():
    sigs = signatures_for(40, seed=3)
    one, batch = neardup.MinHashLSH(0.7, 128), neardup.MinHashLSH(0.7, 128)
    for i, row in enumerate(sigs.values):
        one.insert(i, row)
    batch.insert_batch(list(range(len(sigs))), sigs, num_threads=2)
    assert batch.query_batch(sigs) == [one.query(row) for row in sigs.values]
    assert batch.candidate_pairs() == one.candidate_pairs()
    with pytest.raises(ValueError, match="document 1: key 0 is already"):
        batch.insert_batch([100, 0], sigs.values[:2])
    assert 100 not in batch  # all or nothing
    with pytest.raises(ValueError, match="2 keys for 3 signatures"):
        batch.insert_batch([200, 201], sigs.values[:3])


def test_corpus_pairs_equal_index_pairs_and_threads():
    sigs = signatures_for(60, seed=5)
    pairs = neardup.candidate_pairs(sigs, threshold=0.7)
    lsh = neardup.MinHashLSH(threshold=0.7)
    lsh.insert_batch(range(len(sigs)), sigs)
    assert [tuple(p) for p in pairs.tolist()] == lsh.candidate_pairs()
    assert np.array_equal(pairs, neardup.candidate_pairs(sigs, threshold=0.7, num_threads=1))
    assert {(2 * i, 2 * i + 1) for i in range(30)} <= {tuple(p) for p in pairs.tolist()}


def test_explicit_params_and_validation():
    sigs = signatures_for(4)
    assert neardup.MinHashLSH(num_perm=128, params=(16, 8)).bands == 16
    assert neardup.candidate_pairs(sigs, params=(128, 1)).shape[1] == 2
    with pytest.raises(ValueError, match="exceeds num_perm"):
        neardup.MinHashLSH(num_perm=128, params=(20, 8))
    with pytest.raises(ValueError, match="sum to 1.0"):
        neardup.lsh_params(0.5, 128, (0.5, 0.6))
    with pytest.raises(ValueError, match="threshold"):
        neardup.MinHashLSH(threshold=1.5)


def test_anchor_pairs_of_a_short_text_inside_a_long_one():
    """The anchors of a 70-word note inside a page ten times its size (neardup clean's
    sample: distinct shingle hashes with the top 5 bits 0) pair the two, and no other pair;
    an anchor held by more than max_docs documents counts for nothing. Bad arguments are
    refused."""
    from neardup import _backend
    from neardup.lsh import anchor_pairs

    words = [f"w{k}" for k in range(2000)]
    note = " ".join(words[:70])
    page = " ".join(words[100:400]) + " " + note + " " + " ".join(words[400:1000])
    _, _, values, offsets = _backend.IMPL.minhash_texts_anchored([note, page, " ".join(words[1000:1700])], 128, 1, "classic", 5, "word", 0, 5, None)
    assert anchor_pairs(values, offsets).tolist() == [[0, 1]]
    assert anchor_pairs(values, offsets, max_docs=1).tolist() == []
    with pytest.raises(ValueError, match="max_docs must be an int >= 0"):
        anchor_pairs(values, offsets, max_docs=-1)
    with pytest.raises(ValueError, match="offsets must end at the number of hashes"):
        anchor_pairs(values, offsets[:-1])
