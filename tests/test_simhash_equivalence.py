"""The Rust core and the pure-Python reference agree on SimHash bit for bit: fingerprints of
texts of every kind (empty, huge, repeated), of pre-hashed shingles and of weighted features
(including sums whose value depends on the order of additions), the pairs the table search
finds, and the index under random insert/remove/query sequences; and they raise alike."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup import _reference
from equivalence import _core
from strategies import texts
from test_dedup_equivalence import csr, raises_alike, same_arrays

# Rust == reference, called directly: needs the core, and the active backend changes nothing.
pytestmark = [pytest.mark.core, pytest.mark.backend_independent]

U64 = st.integers(0, 2**64 - 1)
weightings = st.sampled_from(["tf", "binary"])
# Weights of every magnitude: zero, subnormal, huge, and mixes where a sum's rounding depends
# on the order of additions (1e16 + 1 - 1e16 is 0, 1 + 1e16 - 1e16 is 2).
weights = st.one_of(
    st.floats(0.0, 1e6, allow_nan=False),
    st.sampled_from([0.0, 5e-324, 1.0, 1e16, 1e300, 0.1, 1 / 3]),
    st.floats(0.0, 1e300, allow_nan=False, allow_infinity=False),
)
feature_docs = st.lists(
    st.one_of(
        st.lists(st.tuples(U64, weights), max_size=40),
        st.lists(st.tuples(st.sampled_from([0, 1, 2, 2**63, 2**64 - 1]), weights), max_size=30),
        st.tuples(st.lists(st.tuples(U64, weights), min_size=1, max_size=4), st.integers(1, 100)).map(
            lambda p: p[0] * p[1]
        ),
    ),
    max_size=6,
)


@settings(max_examples=150)
@given(st.lists(texts, max_size=4), st.integers(1, 6), st.sampled_from(["word", "char"]), weightings, U64)
def test_simhash_texts(docs, n, kind, weighting, seed):
    rust = _core.simhash_texts(docs, n, kind, weighting, seed)
    same_arrays(rust, _reference.simhash_texts(docs, n, kind, weighting, seed))
    same_arrays(rust, _core.simhash_texts(docs, n, kind, weighting, seed, 1))
    assert [_core.simhash_text(d, n, kind, weighting, seed) for d in docs] == rust.tolist()
    assert [_reference.simhash_text(d, n, kind, weighting, seed) for d in docs] == rust.tolist()
    hashes, offsets = _core.shingles_batch(docs, n, kind, seed)
    same_arrays(rust, _core.simhash_shingles(hashes, offsets, weighting))
    same_arrays(rust, _reference.simhash_shingles(hashes, offsets, weighting))


def test_simhash_huge_repeated_and_empty_texts():
    rng = np.random.default_rng(5)
    words = ["news", "caf\u00e9", "\u6771\u4eac", "stor\u00fd", "e-mail", "42", "\U0001f600", "the"]
    huge = " ".join(rng.choice(words, 60_000).tolist())
    docs = [huge, "word " * 20_000, "", "   \n\t ", "\u0301\u0301", "x"]
    for kind, n in (("word", 3), ("char", 5)):
        for weighting in ("tf", "binary"):
            rust = _core.simhash_texts(docs, n, kind, weighting, 0)
            same_arrays(rust, _reference.simhash_texts(docs, n, kind, weighting, 0))
            assert rust[2] == rust[3] == 0  # no shingles: fingerprint 0


@given(feature_docs)
def test_simhash_weighted(docs):
    hashes, offsets = csr([[h for h, _ in d] for d in docs])
    w = np.array([w for d in docs for _, w in d], dtype=np.float64)
    rust = _core.simhash_weighted(hashes, w, offsets)
    same_arrays(rust, _reference.simhash_weighted(hashes, w, offsets))
    same_arrays(rust, _core.simhash_weighted(hashes, w, offsets, 1))


@given(st.lists(st.lists(U64, max_size=30), max_size=5), weightings)
def test_unit_weights_equal_tf(docs, weighting):
    """Weight 1 per hash is the tf weighting; binary equals tf over the distinct hashes."""
    hashes, offsets = csr(docs)
    tf = _core.simhash_shingles(hashes, offsets, "tf")
    same_arrays(tf, _core.simhash_weighted(hashes, np.ones(len(hashes)), offsets))
    distinct_hashes, distinct_offsets = csr([sorted(set(d)) for d in docs])
    same_arrays(_core.simhash_shingles(hashes, offsets, "binary"), _core.simhash_shingles(distinct_hashes, distinct_offsets, "tf"))


def test_order_of_additions_is_specified():
    """The sum is taken in feature order: moving a large weight changes the result, alike in both."""
    hashes = np.array([1, 2, 3], dtype=np.uint64)
    for w in ([1e16, 1.0, 1e16], [1.0, 1e16, 1e16], [1e16, 1e16, 1.0]):
        weights = np.array(w)
        offsets = np.array([0, 3], dtype=np.int64)
        same_arrays(_core.simhash_weighted(hashes, weights, offsets), _reference.simhash_weighted(hashes, weights, offsets))


def clustered_fingerprints(seed: int, n_base: int, k: int) -> np.ndarray:
    """Random fingerprints and near copies of them at distances 0..k+1, with the flipped bits
    spread over the whole word, so pairs straddle every block boundary."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**64, n_base, dtype=np.uint64)
    out = [base]
    for _ in range(2):
        flips = np.zeros(n_base, dtype=np.uint64)
        for i in range(n_base):
            count = int(rng.integers(0, k + 2))
            for bit in rng.choice(64, count, replace=False).tolist():
                flips[i] |= np.uint64(1 << bit)
        out.append(base ^ flips)
    out.append(np.array([0, 0, 2**64 - 1, 1], dtype=np.uint64))
    return np.concatenate(out)


def brute_pairs(fps: np.ndarray, k: int) -> list[tuple[int, int, int]]:
    values = fps.tolist()
    return [
        (i, j, (values[i] ^ values[j]).bit_count())
        for i in range(len(values))
        for j in range(i + 1, len(values))
        if (values[i] ^ values[j]).bit_count() <= k
    ]


search = st.integers(0, 8).flatmap(lambda k: st.tuples(st.just(k), st.one_of(st.none(), st.integers(k + 1, min(64, k + 4)))))


@settings(max_examples=60)
@given(st.integers(0, 2**32), st.integers(1, 60), search)
def test_pairs_equal_brute_force(seed, n_base, k_blocks):
    k, blocks = k_blocks
    if blocks is not None and _reference_tables(k, blocks) > 1024:
        return
    fps = clustered_fingerprints(seed, n_base, k)
    expected = brute_pairs(fps, k)
    for impl in (_core, _reference):
        pairs, distances = impl.simhash_pairs(fps, k, blocks)
        assert [(i, j, d) for (i, j), d in zip(pairs.tolist(), distances.tolist())] == expected
    pairs, distances = _core.simhash_pairs(fps, k, blocks, 1)
    assert [(i, j, d) for (i, j), d in zip(pairs.tolist(), distances.tolist())] == expected


def _reference_tables(k: int, blocks: int) -> int:
    from math import comb

    return comb(blocks, k)


def test_brute_force_comparison_has_teeth():
    """The data above holds pairs at exactly distance k whose differing bits lie in k distinct
    blocks, which a search with any table missing would lose: so the equality can fail."""
    k = 3
    fps = clustered_fingerprints(1, 200, k)
    at_k = [(i, j) for i, j, d in brute_pairs(fps, k) if d == k]
    masks = _reference.simhash.table_masks(k)
    values = fps.tolist()
    needs_last_table = [
        (i, j) for i, j in at_k if all((values[i] ^ values[j]) & m for m in masks[:-1])
    ]
    assert len(at_k) > 20 and len(needs_last_table) > 0
    # And a search restricted to the first tables would indeed miss them.
    partial = set()
    for mask in masks[:-1]:
        for i in range(len(values)):
            for j in range(i + 1, len(values)):
                if (values[i] ^ values[j]) & mask == 0 and (values[i] ^ values[j]).bit_count() <= k:
                    partial.add((i, j))
    assert set(needs_last_table) - partial


@settings(max_examples=80)
@given(
    st.integers(0, 6).flatmap(lambda k: st.tuples(st.just(k), st.one_of(st.none(), st.integers(k + 1, k + 3)))),
    st.lists(
        st.tuples(st.sampled_from(["insert", "remove", "query"]), st.integers(0, 12), st.integers(0, 2**64 - 1), st.integers(0, 6)),
        max_size=60,
    ),
)
def test_index_operations(k_blocks, operations):
    k, blocks = k_blocks
    indexes = (_core.SimHashIndex(k, blocks), _reference.SimHashIndex(k, blocks))
    assert indexes[0].num_tables == indexes[1].num_tables and indexes[0].blocks == indexes[1].blocks
    live: dict[int, int] = {}
    anchor = 0x0123456789ABCDEF
    for op, id, value, flips in operations:
        # Fingerprints near a common anchor, so that queries have answers.
        fp = anchor ^ (value & ((1 << flips * 2) - 1)) if flips < 6 else value
        if op == "insert":
            if id in live:
                raises_alike(lambda: indexes[0].insert(id, fp), lambda: indexes[1].insert(id, fp))
                continue
            for index in indexes:
                index.insert(id, fp)
            live[id] = fp
        elif op == "remove":
            if id not in live:
                raises_alike(lambda: indexes[0].remove(id), lambda: indexes[1].remove(id))
                continue
            for index in indexes:
                index.remove(id)
            del live[id]
        else:
            expected = sorted((i, (f ^ fp).bit_count()) for i, f in live.items() if (f ^ fp).bit_count() <= k)
            for index in indexes:
                ids, distances = index.query(fp)
                assert list(zip(ids.tolist(), distances.tolist())) == expected
        for index in indexes:
            assert len(index) == len(live)
    ids = sorted(live)
    expected = [
        (a, b, (live[a] ^ live[b]).bit_count())
        for x, a in enumerate(ids)
        for b in ids[x + 1 :]
        if (live[a] ^ live[b]).bit_count() <= k
    ]
    for index in indexes:
        pairs, distances = index.pairs()
        assert pairs.dtype == np.uint64
        assert [(a, b, d) for (a, b), d in zip(pairs.tolist(), distances.tolist())] == expected


def test_index_batch_insert():
    fps = clustered_fingerprints(3, 50, 3)
    ids = np.arange(100, 100 + len(fps), dtype=np.uint64)
    indexes = (_core.SimHashIndex(3, 6), _reference.SimHashIndex(3, 6))
    for index in indexes:
        index.insert_batch(ids, fps)
    for r, p in zip(indexes[0].pairs(), indexes[1].pairs()):
        same_arrays(r, p)
    raises_alike(lambda: indexes[0].insert_batch(ids[:2], fps[:2]), lambda: indexes[1].insert_batch(ids[:2], fps[:2]))
    raises_alike(lambda: indexes[0].insert_batch(ids[:2], fps[:3]), lambda: indexes[1].insert_batch(ids[:2], fps[:3]))
    assert len(indexes[0]) == len(indexes[1]) == len(fps)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.simhash_texts(["ok", "bad \ud800"]),
        lambda m: m.simhash_texts(["ok", 3]),
        lambda m: m.simhash_text("a \udfff b"),
        lambda m: m.simhash_texts(["x"], 0),
        lambda m: m.simhash_texts(["x"], 3, "line"),
        lambda m: m.simhash_texts(["x"], 3, "word", "idf"),
        lambda m: m.simhash_shingles(np.array([1, 2], dtype=np.uint64), np.array([0, 3], dtype=np.int64)),
        lambda m: m.simhash_shingles(np.array([1, 2], dtype=np.uint64), np.array([0, 2, 1, 2], dtype=np.int64)),
        lambda m: m.simhash_weighted(np.array([1, 2], dtype=np.uint64), np.array([1.0]), np.array([0, 2], dtype=np.int64)),
        lambda m: m.simhash_weighted(
            np.array([1, 2, 3], dtype=np.uint64), np.array([1.0, 1.0, np.nan]), np.array([0, 1, 3], dtype=np.int64)
        ),
        lambda m: m.simhash_weighted(np.array([1, 2], dtype=np.uint64), np.array([np.inf, 1.0]), np.array([0, 2], dtype=np.int64)),
        lambda m: m.simhash_weighted(np.array([1, 2], dtype=np.uint64), np.array([1.0, -np.inf]), np.array([0, 2], dtype=np.int64)),
        lambda m: m.simhash_weighted(np.array([1, 2], dtype=np.uint64), np.array([1.0, -1e-9]), np.array([0, 1, 2], dtype=np.int64)),
        lambda m: m.simhash_pairs(np.zeros(3, dtype=np.uint64), 64),
        lambda m: m.simhash_pairs(np.zeros(3, dtype=np.uint64), 3, 3),
        lambda m: m.simhash_pairs(np.zeros(3, dtype=np.uint64), 3, 65),
        lambda m: m.simhash_pairs(np.zeros(3, dtype=np.uint64), 10, 40),
        lambda m: m.SimHashIndex(5, 2),
    ],
)
def test_errors_alike(call):
    raises_alike(lambda: call(_core), lambda: call(_reference))
