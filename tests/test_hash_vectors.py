"""Pinned values: stored shingles and signatures must stay valid across releases."""

from __future__ import annotations

import random

import pytest

import neardup
from neardup._reference.hash import xxh3_64


@pytest.fixture(scope="module")
def xxhash():
    """xxhash, the published XXH3 implementation (an optional test dependency)."""
    return pytest.importorskip("xxhash")


# XXH3-64 as published (seed 0) and with seeds, as any xxHash v0.8 implementation gives them.
VECTORS = [
    (b"", 0, 0x2D06800538D394C2),
    (b"a", 0, 0xE6C632B61E964E1F),
    (b"abc", 0, 0x78AF5F94892F3950),
]


@pytest.mark.parametrize("data, seed, expected", VECTORS)
def test_published_vectors(data, seed, expected):
    assert neardup.hash64(data, seed) == expected


def test_reference_xxh3_matches_xxhash_on_every_length_path(xxhash):
    rng = random.Random(20261124)
    lengths = list(range(0, 260)) + [511, 1023, 1024, 1025, 2047, 2048, 2049, 4096, 10_000]
    for length in lengths:
        data = rng.randbytes(length)
        for seed in (0, 1, 2**64 - 1, rng.getrandbits(64)):
            assert xxh3_64(data, seed) == xxhash.xxh3_64_intdigest(data, seed), (length, seed)


def test_pinned_shingles(xxhash):
    text = "The Quick  Brown\u00a0Fox \u2014 jumps over the lazy dog."
    assert neardup.shingles(text, n=3).tolist() == [
        xxhash.xxh3_64_intdigest(gram.encode(), 0)
        for gram in ["the quick brown", "quick brown fox", "brown fox jumps", "fox jumps over", "jumps over the", "over the lazy", "the lazy dog"]
    ]
    assert neardup.shingles(text, n=5, seed=42).tolist()[:2] == [0xE011ED1641DC885F, 0x5D62A54F5B7EE846]
    assert neardup.shingles("Ab\u00e7", n=2, kind="char").tolist() == [
        xxhash.xxh3_64_intdigest("ab".encode(), 0),
        xxhash.xxh3_64_intdigest("b\u00e7".encode(), 0),
    ]
