"""Every public object holding a core object crosses a process boundary (pickle, as
multiprocessing, datatrove and Spark closures do) through its versioned plain-data state, and
answers the same after the round trip, on either backend."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import neardup
from neardup.chrome import ChromeModel


def texts(n: int = 12) -> list[str]:
    rng = np.random.default_rng(5)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi".split()
    body = [" ".join(rng.choice(words, 40)) for _ in range(n)]
    return [f"Home\nNews\nSport\n{b}\n{b[:60]}\nAbout\nContact" for b in body]


def test_chrome_model_round_trips():
    pages = texts()
    model = ChromeModel(run_cost=7).update(pages, ["a.example"] * 6 + ["b.example"] * 6)
    back = pickle.loads(pickle.dumps(model))
    assert back.to_dict() == model.to_dict() and back.params["run_cost"] == 7
    assert back.strip_batch(pages, ["a.example"] * 12) == model.strip_batch(pages, ["a.example"] * 12)
    # It keeps counting as the original would.
    assert back.update(pages[:3], ["c"] * 3).to_dict() == model.update(pages[:3], ["c"] * 3).to_dict()


def test_minhash_lsh_round_trips():
    pages = texts(30)
    signatures = neardup.minhash(pages)
    lsh = neardup.MinHashLSH(threshold=0.5)
    lsh.insert_batch([f"d{i}" for i in range(20)], signatures.values[:20])
    lsh.remove("d3")
    lsh.insert(("tuple", 1), signatures[25])
    back = pickle.loads(pickle.dumps(lsh))
    assert (back.threshold, back.num_perm, back.bands, back.rows, len(back)) == (lsh.threshold, lsh.num_perm, lsh.bands, lsh.rows, len(lsh))
    assert "d3" not in back and ("tuple", 1) in back
    assert back.candidate_pairs() == lsh.candidate_pairs()
    assert back.query_batch(signatures) == lsh.query_batch(signatures)
    # Inserting after the round trip goes on in insertion order.
    for index in (lsh, back):
        index.insert("late", signatures[26])
    assert back.query(signatures[26]) == lsh.query(signatures[26])
    with pytest.raises(ValueError, match="not a MinHashLSH state"):
        neardup.MinHashLSH().__setstate__({"format": "other"})


def test_simhash_index_round_trips():
    fingerprints = neardup.simhash_batch(texts(20))
    index = neardup.SimHashIndex(k=6)
    index.insert_batch(list(range(20)), fingerprints)
    index.remove(4)
    back = pickle.loads(pickle.dumps(index))
    assert (back.k, back.blocks, len(back)) == (index.k, index.blocks, len(index))
    assert back.pairs() == index.pairs()
    assert [back.query_with_distances(f) for f in fingerprints.tolist()] == [index.query_with_distances(f) for f in fingerprints.tolist()]
    with pytest.raises(ValueError, match="not a SimHashIndex state"):
        neardup.SimHashIndex().__setstate__({"version": 9})


def test_signatures_round_trip():
    signatures = neardup.minhash(texts(5))
    back = pickle.loads(pickle.dumps(signatures))
    assert np.array_equal(back.values, signatures.values) and (back.seed, back.scheme) == (signatures.seed, signatures.scheme)
