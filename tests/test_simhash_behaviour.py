"""SimHash through the public API: pinned fingerprints, the bit rule, the index (keys, nearest
first, smaller k, remove, pairs), batch forms over texts, shingles and features, errors naming
the document, and quality on real news duplicates."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

import neardup
from neardup._reference.hash import fmix64_int


def test_pinned_fingerprints():
    """Stored fingerprints stay valid: these values must never change."""
    assert neardup.simhash_text("") == 0
    assert neardup.simhash_text("The quick brown fox jumps over the lazy dog") == 0x4330272077E410DC
    assert neardup.simhash_text("The quick brown fox jumps over the lazy dog", n=1, weighting="binary") == 0x142C10481C224680
    assert neardup.simhash_text("Caf\u00e9 \u6771\u4eac", kind="char", n=2) == 0x7221429496C04691
    assert neardup.simhash_features([1, 2, 3], [1.0, 0.5, 2.0]) == 0x0B5181C509F8D8CE


def test_bit_rule():
    # One feature: its mixed hash. Equal weights tie where two features differ: ties give 0.
    assert neardup.simhash_features([42]) == fmix64_int(42)
    a, b = fmix64_int(1), fmix64_int(2)
    assert neardup.simhash_features([1, 2]) == a & b
    assert neardup.simhash_features([1, 2], [1.0, 0.999]) == a
    assert neardup.simhash_features([1, 2], [0.0, 1e-300]) == b
    # The text form is the features form over the shingles, weight 1 per occurrence.
    text = "one two three one two three one two three four"
    shingles = neardup.shingles(text, n=3)
    assert neardup.simhash_text(text) == neardup.simhash_features(shingles)
    assert neardup.simhash_text(text, weighting="binary") == neardup.simhash_features(np.unique(shingles))
    assert neardup.simhash_text(text) != neardup.simhash_text(text, weighting="binary")


def test_normalisation_makes_formatting_irrelevant():
    a = "The \u201cQuick\u201d brown   fox\u2014jumps over the lazy dog."
    b = 'the "quick" brown fox - jumps\nover the LAZY dog'
    assert neardup.simhash_text(a) == neardup.simhash_text(b)


def test_batch_forms_agree():
    texts = ["alpha beta gamma delta epsilon", "", "alpha beta gamma delta zeta", "\u6771\u4eac\u30bf\u30ef\u30fc"]
    fps = neardup.simhash_batch(texts)
    assert fps.dtype == np.uint64 and fps.tolist() == [neardup.simhash_text(t) for t in texts]
    shingles = neardup.shingles_batch(texts, n=3)
    assert neardup.simhash_batch(shingles).tolist() == fps.tolist()
    assert neardup.simhash_batch([shingles.document(i) for i in range(len(texts))]).tolist() == fps.tolist()
    assert neardup.simhash_batch(iter(texts), num_threads=1).tolist() == fps.tolist()
    features = [(shingles.document(i), None) for i in range(len(texts))]
    assert neardup.simhash_features_batch(features).tolist() == fps.tolist()
    assert neardup.simhash_batch([]).shape == (0,)


def test_hamming():
    assert neardup.hamming(0, 2**64 - 1) == 64
    assert neardup.hamming(0b1011, 0b0001) == 2
    x = np.array([0, 1, 2**64 - 1], dtype=np.uint64)
    assert neardup.hamming(x, np.zeros(3, dtype=np.uint64)).tolist() == [0, 1, 64]
    with pytest.raises(ValueError, match="a must be an int"):
        neardup.hamming(-1, 0)


def test_index_keys_nearest_first_and_smaller_k():
    index = neardup.SimHashIndex(k=3)
    assert index.num_tables == 4 and index.blocks == 4 and index.is_empty()
    index.insert("far", 0b111)
    index.insert(("tuple", 1), 0b1)
    index.insert("same", 0)
    index.insert("out", 0b1111)
    assert index.query(0) == ["same", ("tuple", 1), "far"]
    assert index.query_with_distances(0) == [("same", 0), (("tuple", 1), 1), ("far", 3)]
    assert index.query(0, k=1) == ["same", ("tuple", 1)]
    assert index.pairs() == [("far", ("tuple", 1), 2), ("far", "same", 3), ("far", "out", 1), (("tuple", 1), "same", 1),
                             (("tuple", 1), "out", 3)]
    index.remove("same")
    assert "same" not in index and len(index) == 3 and index.query(0) == [("tuple", 1), "far"]
    assert index.fingerprint("out") == 0b1111
    with pytest.raises(ValueError, match="already in the index"):
        index.insert("far", 1)
    with pytest.raises(ValueError, match="not in the index"):
        index.remove("same")
    with pytest.raises(ValueError, match=r"k must be an int in \[0, 3\]"):
        index.query(0, k=4)
    with pytest.raises(ValueError, match="fingerprint must be an int"):
        index.insert("neg", -1)
    # Re-inserting a removed key is allowed.
    index.insert("same", 5)
    assert "same" in index


def test_index_batch_and_corpus_pairs_agree():
    rng = np.random.default_rng(2)
    base = rng.integers(0, 2**64, 300, dtype=np.uint64)
    fps = np.concatenate([base, base ^ np.uint64(0b1001), base[:50] ^ np.uint64(0xF << 60)])
    corpus = neardup.simhash_pairs(fps, 3, blocks=6)
    assert len(corpus) == 300 + 0  # the 4-bit flips are beyond k = 3
    assert corpus.pairs.tolist() == [[i, i + 300] for i in range(300)] and set(corpus.distances.tolist()) == {2}
    index = neardup.SimHashIndex(3, blocks=6)
    assert index.num_tables == 20
    index.insert_batch([f"d{i}" for i in range(len(fps))], fps)
    assert [(a, b) for a, b, _ in index.pairs()] == [(f"d{i}", f"d{i + 300}") for i in range(300)]
    with pytest.raises(ValueError, match="document 1: key 'd1' is already in the index"):
        index.insert_batch(["new", "d1"], fps[:2])
    assert "new" not in index  # all or nothing
    assert neardup.simhash_pairs(fps, 4).pairs.shape == (350, 2)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: neardup.simhash_batch(["ok", "bad \ud800"]), ValueError, r"document 1: lone surrogate U\+D800"),
        (lambda: neardup.simhash_batch(["ok", b"bytes"]), TypeError, "document 1: expected str"),
        (lambda: neardup.simhash_text("x", weighting="idf"), ValueError, "weighting must be 'tf' or 'binary'"),
        (lambda: neardup.simhash_text("x", n=0), ValueError, "n must be an int >= 1"),
        (lambda: neardup.simhash_features([1, 2], [1.0, float("nan")]), ValueError, "^feature 1: weight must be finite"),
        (lambda: neardup.simhash_features([1, 2], [1.0]), ValueError, "2 hashes for 1 weights"),
        (lambda: neardup.simhash_features([-1]), ValueError, "expected a 1-d array of uint64"),
        (lambda: neardup.simhash_features_batch([([1], [1.0]), ([1], [-2.0])]), ValueError,
         "document 1, feature 0: weight must be finite and >= 0, got a negative number"),
        (lambda: neardup.simhash_features_batch([([1], [1.0]), "x"]), ValueError, "document 1: expected a pair"),
        (lambda: neardup.simhash_pairs([1, 2], k=64), ValueError, r"k must be an int in \[0, 63\]"),
        (lambda: neardup.simhash_pairs([1, 2], k=3, blocks=3), ValueError, r"blocks must be None or an int in \[k \+ 1, 64\]"),
        (lambda: neardup.simhash_pairs([1, 2], k=10, blocks=40), ValueError, "tables, more than 1024"),
        (lambda: neardup.simhash_pairs([-1, 2]), ValueError, "fingerprints must be >= 0"),
        (lambda: neardup.simhash_pairs([[1, 2]]), ValueError, "1-d array of uint64"),
        (lambda: neardup.SimHashIndex(k=-1), ValueError, r"k must be an int in \[0, 63\]"),
    ],
)
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_bbc_duplicates(shared_data):
    """On BBC News (2,225 articles): every group of identical articles has one fingerprint
    (normalisation folds case and spacing); every pair found within k = 3 shares most of its
    word 3-grams (measured: 140 pairs, all with Jaccard >= 0.9); within k = 6, most
    pairs of word 3-gram Jaccard >= 0.5 are found (measured 156 of the 170 in the corpus)."""
    rows = [json.loads(line) for line in gzip.open(shared_data / "dups-bbc-news.jsonl.gz", "rt", encoding="utf-8")]
    position = {row["id"]: i for i, row in enumerate(rows)}
    groups = json.loads((shared_data / "dups-bbc-news-pairs.json").read_text())["exact_groups"]
    shingles = neardup.shingles_batch([row["text"] for row in rows], n=3)
    fps = neardup.simhash_batch(shingles)
    exact = neardup.simhash_pairs(fps, 0)
    found = {tuple(p) for p in exact.pairs.tolist()}
    for group in groups:
        members = sorted(position[name] for name in group)
        assert all((a, b) in found for x, a in enumerate(members) for b in members[x + 1 :]), group
    close = neardup.simhash_pairs(fps, 3)
    assert len(close) >= 130
    assert neardup.exact_jaccard(shingles, close.pairs).min() >= 0.85
    wide = neardup.simhash_pairs(fps, 6)
    similar = neardup.exact_jaccard(shingles, wide.pairs) >= 0.5
    assert similar.sum() >= 150 and similar.mean() >= 0.95
