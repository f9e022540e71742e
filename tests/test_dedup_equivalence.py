"""The Rust core and the pure-Python reference agree on every dedup primitive, bit for bit:
signatures (classic, OPH, datasketch schemes), band keys, candidate pairs, estimates, set
overlaps, clusters and the LSH index; and end to end, find_duplicates decides the same."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neardup
from neardup import _reference, text
from equivalence import _core
from neardup._reference.minhash import datasketch_permutations
from strategies import texts

# Rust == reference, called directly: needs the core, and the active backend changes nothing.
pytestmark = [pytest.mark.core, pytest.mark.backend_independent]

U64 = st.integers(0, 2**64 - 1)
# Shingle hash lists: empty, small, repeated, extreme values and long documents.
shingle_lists = st.one_of(
    st.lists(U64, max_size=40),
    st.lists(st.sampled_from([0, 1, 2, 2**63, 2**64 - 1]), max_size=30),
    st.tuples(st.lists(U64, min_size=1, max_size=5), st.integers(1, 200)).map(lambda p: p[0] * p[1]),
    st.integers(0, 2**32).map(lambda s: np.random.default_rng(s).integers(0, 2**64, 3000, dtype=np.uint64).tolist()),
)
num_perms = st.one_of(st.sampled_from([1, 2, 3, 7, 16, 64, 100, 128]), st.integers(1, 300))
schemes = st.sampled_from(["classic", "oph"])
# The modules find_duplicates calls the backend from (the function neardup.cluster hides its module).
FIND_DUPLICATES_MODULES = (text, importlib.import_module("neardup.cluster"))


def csr(docs: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=offsets[1:])
    hashes = np.array([h for d in docs for h in d], dtype=np.uint64)
    return hashes, offsets


def same_arrays(a, b) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a, b)


def raises_alike(call_rust, call_reference) -> None:
    """Both backends raise the same exception type with the same message."""
    with pytest.raises(Exception) as rust_error:
        call_rust()
    with pytest.raises(Exception) as reference_error:
        call_reference()
    assert type(rust_error.value) is type(reference_error.value)
    assert str(rust_error.value) == str(reference_error.value)


@given(st.lists(shingle_lists, max_size=6), num_perms, U64, schemes)
def test_minhash_shingles(docs, num_perm, seed, scheme):
    hashes, offsets = csr(docs)
    rust = _core.minhash_shingles(hashes, offsets, num_perm, seed, scheme, None)
    same_arrays(rust, _reference.minhash_shingles(hashes, offsets, num_perm, seed, scheme))
    same_arrays(rust, _core.minhash_shingles(hashes, offsets, num_perm, seed, scheme, 1))


@settings(max_examples=150)
@given(st.lists(texts, max_size=4), st.sampled_from([1, 5, 64, 128]), U64, schemes, st.integers(1, 6), st.sampled_from(["word", "char"]))
def test_minhash_texts(docs, num_perm, seed, scheme, n, kind):
    rust = _core.minhash_texts(docs, num_perm, seed, scheme, n, kind, 7)
    same_arrays(rust, _reference.minhash_texts(docs, num_perm, seed, scheme, n, kind, 7))
    hashes, offsets = _core.shingles_batch(docs, n, kind, 7)
    same_arrays(rust, _core.minhash_shingles(hashes, offsets, num_perm, seed, scheme))


@settings(max_examples=150)
@given(st.lists(texts, max_size=4), st.sampled_from([1, 5, 64, 128]), U64, schemes, st.integers(1, 6), st.sampled_from(["word", "char"]))
def test_minhash_texts_sized(docs, num_perm, seed, scheme, n, kind):
    signatures, sizes = _core.minhash_texts_sized(docs, num_perm, seed, scheme, n, kind, 7)
    expected, expected_sizes = _reference.minhash_texts_sized(docs, num_perm, seed, scheme, n, kind, 7)
    same_arrays(signatures, expected)
    same_arrays(sizes, expected_sizes)
    # minhash_texts' signatures (signed from the distinct shingles) and set_overlaps' sizes.
    same_arrays(signatures, _core.minhash_texts(docs, num_perm, seed, scheme, n, kind, 7))
    hashes, offsets = _core.shingles_batch(docs, n, kind, 7)
    same_arrays(sizes, _core.set_overlaps(hashes, offsets, np.zeros((0, 2), dtype=np.int64))[1])
    same_arrays(sizes, _core.minhash_texts_sized(docs, num_perm, seed, scheme, n, kind, 7, 1)[1])


@settings(max_examples=150)
@given(st.lists(texts, max_size=4), st.sampled_from([1, 5, 128]), U64, schemes, st.integers(1, 6), st.sampled_from(["word", "char"]), st.sampled_from([0, 1, 2, 5, 63]))
def test_minhash_texts_anchored(docs, num_perm, seed, scheme, n, kind, anchor_bits):
    signatures, sizes, anchors, offsets = _core.minhash_texts_anchored(docs, num_perm, seed, scheme, n, kind, 7, anchor_bits)
    for rust, reference in zip((signatures, sizes, anchors, offsets), _reference.minhash_texts_anchored(docs, num_perm, seed, scheme, n, kind, 7, anchor_bits)):
        same_arrays(rust, reference)
    # minhash_texts_sized's signatures and sizes; the anchors are the distinct shingle hashes
    # whose top anchor_bits bits are 0, sorted.
    expected, expected_sizes = _core.minhash_texts_sized(docs, num_perm, seed, scheme, n, kind, 7)
    same_arrays(signatures, expected)
    same_arrays(sizes, expected_sizes)
    for k, doc in enumerate(docs):
        distinct = np.unique(_core.shingles(doc, n, kind, 7))
        same_arrays(anchors[offsets[k] : offsets[k + 1]], distinct[(distinct >> np.uint64(64 - anchor_bits)) == 0] if anchor_bits else distinct)
    for rust, one_thread in zip((signatures, sizes, anchors, offsets), _core.minhash_texts_anchored(docs, num_perm, seed, scheme, n, kind, 7, anchor_bits, 1)):
        same_arrays(rust, one_thread)


anchor_sets = st.lists(st.lists(st.integers(0, 12).map(lambda v: (v * 0x9E3779B97F4A7C15) % 2**64), max_size=10), max_size=12)


@settings(max_examples=300)
@given(anchor_sets, st.integers(0, 6))
def test_anchor_pairs(docs, max_docs):
    values, offsets = csr([np.array(d, dtype=np.uint64) for d in docs])
    pairs = _core.anchor_pairs(values, offsets, max_docs)
    same_arrays(pairs, _reference.anchor_pairs(values, offsets, max_docs))
    same_arrays(pairs, _core.anchor_pairs(values, offsets, max_docs, 1))
    # The definition, counted here: i < j hold at least half the anchors of the one with fewer
    # in common, counting only values held by at most max_docs documents.
    sets = [set(d) for d in docs]
    holders = {v: sum(v in x for x in sets) for x in sets for v in x}
    expected = [[i, j] for i in range(len(sets)) for j in range(i + 1, len(sets))
                if (shared := sum(holders[v] <= max_docs for v in sets[i] & sets[j])) and 2 * shared >= min(len(sets[i]), len(sets[j]))]
    assert pairs.tolist() == expected


@settings(max_examples=150)
@given(st.lists(texts, min_size=1, max_size=5), st.integers(1, 6), st.sampled_from(["word", "char"]), st.data())
def test_text_overlaps(docs, n, kind, data):
    last = len(docs) - 1
    pairs = np.array(data.draw(st.lists(st.tuples(st.integers(0, last), st.integers(0, last)), max_size=10)), dtype=np.int64).reshape(-1, 2)
    rust = _core.text_overlaps(docs, pairs, n, kind, 7)
    same_arrays(rust, _reference.text_overlaps(docs, pairs, n, kind, 7))
    # The intersections set_overlaps gives of the texts' shingles.
    hashes, offsets = _core.shingles_batch(docs, n, kind, 7)
    same_arrays(rust, _core.set_overlaps(hashes, offsets, pairs)[0])
    same_arrays(rust, _core.text_overlaps(docs, pairs, n, kind, 7, 1))
    # With a need per pair, those below it are 0 and the others exact.
    need = np.array(data.draw(st.lists(st.integers(0, 12), min_size=len(pairs), max_size=len(pairs))), dtype=np.int64)
    bounded = _core.text_overlaps(docs, pairs, n, kind, 7, need=need)
    same_arrays(bounded, _reference.text_overlaps(docs, pairs, n, kind, 7, need=need))
    same_arrays(bounded, np.where(rust >= need, rust, 0))


@settings(max_examples=150)
@given(st.lists(st.lists(st.integers(0, 400), max_size=400), min_size=2, max_size=4), st.data())
def test_overlaps_with_a_need(docs, data):
    """Sets long enough for the merge to stop between two of its checks: every intersection
    at or above its need is exact, every one below is 0, in the core and the reference."""
    hashes, offsets = csr([np.array(d, dtype=np.uint64) for d in docs])
    n = len(docs)
    pairs = np.array(data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=8)), dtype=np.int64)
    exact = _core.set_overlaps(hashes, offsets, pairs)[0]
    need = np.array([data.draw(st.integers(max(0, int(x) - 3), int(x) + 3)) for x in exact], dtype=np.int64)
    rust, sizes = _core.set_overlaps(hashes, offsets, pairs, need=need)
    same_arrays(rust, np.where(exact >= need, exact, 0))
    reference = _reference.set_overlaps(hashes, offsets, pairs, need=need)
    same_arrays(rust, reference[0])
    same_arrays(sizes, reference[1])
    raises_alike(lambda: _core.set_overlaps(hashes, offsets, pairs, need=need[:-1]), lambda: _reference.set_overlaps(hashes, offsets, pairs, need=need[:-1]))
    negative = need.copy()
    negative[0] = -1
    raises_alike(lambda: _core.set_overlaps(hashes, offsets, pairs, need=negative), lambda: _reference.set_overlaps(hashes, offsets, pairs, need=negative))


def test_sized_signatures_and_overlaps_of_many_texts():
    """More texts than minhash_texts_sized signs per block (2048), non-ASCII ones among them,
    given as a generator; an error in a later block names its document."""
    docs = [f"w{k % 37} é{k % 11} w{k % 5} mot{k % 3} w{k % 7}" if k % 3 else f"w{k % 13} w{k % 4} w{k % 9}" for k in range(4500)]
    signatures, sizes = _core.minhash_texts_sized((d for d in docs), 16, 3, "classic", 2, "word", 0, 2)
    same_arrays(signatures, _core.minhash_texts(docs, 16, 3, "classic", 2, "word", 0))
    hashes, offsets = _core.shingles_batch(docs, 2, "word", 0)
    pairs = np.array([[k, (k * 7 + 3) % len(docs)] for k in range(0, len(docs), 3)], dtype=np.int64)
    inter, expected_sizes = _core.set_overlaps(hashes, offsets, pairs)
    same_arrays(sizes, expected_sizes)
    same_arrays(_core.text_overlaps((d for d in docs), pairs, 2, "word", 0), inter)
    bad = docs[:3000] + [5] + docs[3000:]
    raises_alike(lambda: _core.minhash_texts_sized(bad, 4, 1), lambda: _reference.minhash_texts_sized(bad, 4, 1))
    bad = docs[:3000] + ["x\udc00"]
    raises_alike(lambda: _core.text_overlaps(bad, pairs[:1]), lambda: _reference.text_overlaps(bad, pairs[:1]))


@given(num_perms, U64)
def test_classic_permutations(num_perm, seed):
    for r, p in zip(_core.classic_permutations(num_perm, seed), _reference.classic_permutations(num_perm, seed)):
        same_arrays(r, p)


byte_docs = st.lists(
    st.one_of(
        st.lists(st.binary(max_size=70), max_size=20),
        st.tuples(st.binary(max_size=3), st.integers(1, 50)).map(lambda p: [p[0]] * p[1]),
    ),
    max_size=4,
)


@given(byte_docs, st.sampled_from(["affine32", "affine64", "legacy"]), st.integers(1, 200), st.integers(0, 2**32 - 1))
def test_datasketch_minhash(docs, scheme, num_perm, seed):
    a, b = datasketch_permutations(num_perm, seed, scheme)
    same_arrays(_core.datasketch_minhash(docs, a, b, scheme), _reference.datasketch_minhash(docs, a, b, scheme))


def signature_matrices(max_docs: int = 30):
    """Signatures with many equal bands: rows drawn from a few shared base rows."""

    @st.composite
    def build(draw):
        num_perm = draw(st.integers(1, 40))
        base = draw(st.lists(st.lists(st.sampled_from([0, 1, 7, 2**64 - 1]), min_size=num_perm, max_size=num_perm), min_size=1, max_size=4))
        rows = []
        for _ in range(draw(st.integers(0, max_docs))):
            row = list(draw(st.sampled_from(base)))
            for _ in range(draw(st.integers(0, 3))):
                row[draw(st.integers(0, num_perm - 1))] = draw(U64)
            rows.append(row)
        bands = draw(st.integers(1, num_perm))
        rows_per_band = draw(st.integers(1, num_perm // bands))
        return np.array(rows, dtype=np.uint64).reshape(-1, num_perm), bands, rows_per_band

    return build()


@given(signature_matrices())
def test_band_keys_and_candidate_pairs(case):
    signatures, bands, rows = case
    same_arrays(_core.band_keys(signatures, bands, rows), _reference.band_keys(signatures, bands, rows))
    pairs = _core.candidate_pairs(signatures, bands, rows)
    same_arrays(pairs, _reference.candidate_pairs(signatures, bands, rows))
    same_arrays(pairs, _core.candidate_pairs(signatures, bands, rows, 1))
    same_arrays(pairs, _core.candidate_pairs(signatures, bands, rows, 2))
    same_arrays(_core.estimate_pairs(signatures, pairs), _reference.estimate_pairs(signatures, pairs))
    # A Fortran-ordered array is read by its rows, not as it lies in memory.
    columns = np.asfortranarray(signatures)
    same_arrays(_core.candidate_pairs(columns, bands, rows), pairs)
    same_arrays(_core.band_keys(columns, bands, rows), _reference.band_keys(signatures, bands, rows))
    same_arrays(_core.estimate_pairs(columns, pairs), _reference.estimate_pairs(signatures, pairs))
    # The same pairs from the band keys alone, in the core and the reference, whatever the
    # keys' memory order.
    keys = _core.band_keys(signatures, bands, rows)
    same_arrays(_core.candidate_pairs_of_keys(keys), pairs)
    same_arrays(_core.candidate_pairs_of_keys(np.asfortranarray(keys), 2), pairs)
    same_arrays(_reference.candidate_pairs_of_keys(keys), pairs)


def test_band_key_vectors():
    # Pinned: the specified band key (rust/lsh.rs) must never change.
    signatures = np.array([[0, 1, 2, 3], [2**64 - 1, 5, 6, 7]], dtype=np.uint64)
    keys = _reference.band_keys(signatures, 2, 2)
    assert keys.tolist() == [
        [4419026930777335657, 8985453207699046240],
        [13138892663574976281, 6315959618646133340],
    ]
    same_arrays(_core.band_keys(signatures, 2, 2), keys)


@given(st.lists(shingle_lists, min_size=1, max_size=6), st.data())
def test_set_overlaps(docs, data):
    hashes, offsets = csr(docs)
    n = len(docs)
    pairs = np.array(data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=12)), dtype=np.int64).reshape(-1, 2)
    rust = _core.set_overlaps(hashes, offsets, pairs)
    reference = _reference.set_overlaps(hashes, offsets, pairs)
    for r, p in zip(rust, reference):
        same_arrays(r, p)


@given(st.integers(0, 25), st.data())
def test_cluster(n, data):
    pairs = data.draw(st.lists(st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0))), max_size=40)) if n else []
    pairs = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    width = data.draw(st.integers(0, 2))
    values = st.sampled_from([0.0, -0.0, 1.0, 2.5, -1.0, float("inf")])
    priority = np.array(data.draw(st.lists(st.lists(values, min_size=width, max_size=width), min_size=n, max_size=n)), dtype=np.float64).reshape(n, width)
    rust = _core.cluster(n, pairs, priority)
    for r, p in zip(rust, _reference.cluster(n, pairs, priority)):
        same_arrays(r, p)
    # Only the set of pairs matters: reversed and reordered pairs cluster the same.
    shuffled = pairs[::-1][:, ::-1].copy()
    for r, s in zip(rust, _core.cluster(n, shuffled, priority)):
        same_arrays(r, s)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.integers(0, 12), st.integers(0, 5)),
        st.tuples(st.just("remove"), st.integers(0, 12), st.just(0)),
        st.tuples(st.just("query"), st.just(0), st.integers(0, 5)),
        st.tuples(st.just("pairs"), st.just(0), st.just(0)),
        st.tuples(st.just("batch"), st.integers(0, 12), st.integers(0, 5)),
    ),
    max_size=30,
)


@given(operations, st.integers(0, 2**32))
def test_lsh_index(ops, seed):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 4, (6, 12), dtype=np.uint64)  # small values: many shared bands
    indexes = (_core.LshIndex(12, 4, 3), _reference.LshIndex(12, 4, 3))
    for op, id_, row in ops:
        outcomes = []
        for index in indexes:
            try:
                if op == "insert":
                    result = index.insert(id_, base[row])
                elif op == "remove":
                    result = index.remove(id_)
                elif op == "query":
                    result = np.asarray(index.query(base[row])).tolist()
                elif op == "batch":
                    ids = np.array([id_, id_ + 100], dtype=np.uint64)
                    index.insert_batch(ids, base[[row, (row + 1) % 6]])
                    ids, offsets = index.query_batch(base)
                    result = (np.asarray(ids).tolist(), np.asarray(offsets).tolist())
                else:
                    result = np.asarray(index.candidate_pairs()).tolist()
                outcomes.append(("ok", result, len(index), id_ in index))
            except ValueError as error:
                outcomes.append(("error", str(error), len(index), id_ in index))
        assert outcomes[0] == outcomes[1]
    # The band table (what pickling stores) is the same, and rebuilds the same index in both.
    tables = [tuple(np.asarray(a).tolist() for a in index.band_table()) for index in indexes]
    assert tables[0] == tables[1]
    ids, keys = (np.asarray(a, dtype=np.uint64) for a in indexes[0].band_table())
    rebuilt = (_core.LshIndex(12, 4, 3), _reference.LshIndex(12, 4, 3))
    for index in rebuilt:
        index.insert_band_keys(ids, keys.reshape(-1, 4))
        assert np.asarray(index.candidate_pairs()).tolist() == np.asarray(indexes[0].candidate_pairs()).tolist()
        assert [np.asarray(index.query(row)).tolist() for row in base] == [np.asarray(indexes[0].query(row)).tolist() for row in base]
    if len(ids):  # an id already there is refused alike
        raises_alike(lambda: rebuilt[0].insert_band_keys(ids[:1], keys.reshape(-1, 4)[:1]),
                     lambda: rebuilt[1].insert_band_keys(ids[:1], keys.reshape(-1, 4)[:1]))


def test_errors_match():
    sigs = np.zeros((3, 8), dtype=np.uint64)
    raises_alike(lambda: _core.candidate_pairs(sigs, 3, 3), lambda: _reference.candidate_pairs(sigs, 3, 3))
    no_bands = np.zeros((3, 0), dtype=np.uint64)
    raises_alike(lambda: _core.candidate_pairs_of_keys(no_bands), lambda: _reference.candidate_pairs_of_keys(no_bands))
    bad_pairs = np.array([[0, 5]], dtype=np.int64)
    raises_alike(lambda: _core.estimate_pairs(sigs, bad_pairs), lambda: _reference.estimate_pairs(sigs, bad_pairs))
    neg = np.array([[0, -1]], dtype=np.int64)
    raises_alike(lambda: _core.estimate_pairs(sigs, neg), lambda: _reference.estimate_pairs(sigs, neg))
    hashes = np.arange(4, dtype=np.uint64)
    for offsets in ([0, 3, 2, 4], [1, 4], [0, 3]):
        off = np.array(offsets, dtype=np.int64)
        raises_alike(lambda: _core.minhash_shingles(hashes, off), lambda: _reference.minhash_shingles(hashes, off))
    none = np.zeros((0, 2), dtype=np.int64)
    raises_alike(lambda: _core.cluster(2, none, np.array([[0.0], [np.nan]])), lambda: _reference.cluster(2, none, np.array([[0.0], [np.nan]])))
    for scheme in ("nope", "affine32"):
        raises_alike(lambda: _core.minhash_texts(["a"], 4, 1, scheme), lambda: _reference.minhash_texts(["a"], 4, 1, scheme))
    raises_alike(lambda: _core.minhash_texts(["a"], 0, 1), lambda: _reference.minhash_texts(["a"], 0, 1))
    raises_alike(lambda: _core.minhash_texts(["a", "b\ud800"], 4, 1), lambda: _reference.minhash_texts(["a", "b\ud800"], 4, 1))
    raises_alike(lambda: _core.minhash_texts_sized(["a", 3], 4, 1), lambda: _reference.minhash_texts_sized(["a", 3], 4, 1))
    raises_alike(lambda: _core.minhash_texts_sized(["a"], 4, 1, "nope"), lambda: _reference.minhash_texts_sized(["a"], 4, 1, "nope"))
    raises_alike(lambda: _core.minhash_texts_anchored(["a", 3], 4, 1), lambda: _reference.minhash_texts_anchored(["a", 3], 4, 1))
    raises_alike(lambda: _core.minhash_texts_anchored(["a"], 4, 1, anchor_bits=64), lambda: _reference.minhash_texts_anchored(["a"], 4, 1, anchor_bits=64))
    for offsets in ([0, 3, 2, 4], [1, 4], [0, 3]):
        off = np.array(offsets, dtype=np.int64)
        raises_alike(lambda: _core.anchor_pairs(np.arange(4, dtype=np.uint64), off, 5), lambda: _reference.anchor_pairs(np.arange(4, dtype=np.uint64), off, 5))
    one = np.array([[0, 1]], dtype=np.int64)
    raises_alike(lambda: _core.text_overlaps(["a", "b\ud800"], one), lambda: _reference.text_overlaps(["a", "b\ud800"], one))
    raises_alike(lambda: _core.text_overlaps(["a"], one), lambda: _reference.text_overlaps(["a"], one))
    raises_alike(lambda: _core.text_overlaps(["a"], one, 0), lambda: _reference.text_overlaps(["a"], one, 0))
    a, b = datasketch_permutations(4, 1, "affine32")
    raises_alike(lambda: _core.datasketch_minhash([[b"x", "y"]], a, b), lambda: _reference.datasketch_minhash([[b"x", "y"]], a, b))
    raises_alike(lambda: _core.datasketch_minhash([b"xy"], a, b), lambda: _reference.datasketch_minhash([b"xy"], a, b))
    raises_alike(lambda: _core.datasketch_minhash([[1]], a, b), lambda: _reference.datasketch_minhash([[1]], a, b))
    raises_alike(lambda: _core.datasketch_minhash([[b"x"]], a + 1, b), lambda: _reference.datasketch_minhash([[b"x"]], a + 1, b))
    raises_alike(lambda: _core.LshIndex(8, 3, 3), lambda: _reference.LshIndex(8, 3, 3))


def test_signature_vectors():
    """Pinned signatures: stored signatures must stay valid, so these never change."""
    hashes = np.array([1, 2, 3, 2**64 - 1], dtype=np.uint64)
    offsets = np.array([0, 4], dtype=np.int64)
    expected = {
        "classic": [3197893627765856671, 1177718770235807448, 5811712435681929817, 6300821138546604704],
        "oph": [2926583389074652699, 1269518275250710660, 2474055383702231642, 1269518275250710660],
    }
    for scheme, values in expected.items():
        for impl in (_core, _reference):
            assert impl.minhash_shingles(hashes, offsets, 4, 42, scheme)[0].tolist() == values
    # Empty documents sign as all-max in every scheme.
    empty = np.array([0, 0], dtype=np.int64)
    for scheme in ("classic", "oph"):
        assert _core.minhash_shingles(hashes[:0], empty, 3, 1, scheme).tolist() == [[2**64 - 1] * 3]


def _fmix64(k: int) -> int:
    m = 2**64 - 1
    k ^= k >> 33
    k = k * 0xFF51AFD7ED558CCD & m
    k ^= k >> 33
    k = k * 0xC4CEB9FE1A85EC53 & m
    return k ^ k >> 33


@given(st.lists(U64, max_size=20), st.integers(1, 12), U64)
def test_classic_and_oph_follow_the_written_spec(shingles, k, seed):
    """Recompute both schemes from their docstring spec with plain Python ints."""
    m = 2**64 - 1
    state, stream = seed, []
    for _ in range(2 * k):
        state = (state + 0x9E3779B97F4A7C15) & m
        z = ((state ^ state >> 30) * 0xBF58476D1CE4E5B9) & m
        z = ((z ^ z >> 27) * 0x94D049BB133111EB) & m
        stream.append(z ^ z >> 31)
    a, b = [x | 1 for x in stream[0::2]], stream[1::2]
    classic = [min(((a[i] * _fmix64(x) + b[i]) & m for x in shingles), default=m) for i in range(k)]
    key, dkey = stream[0], stream[1]
    bins: dict[int, int] = {}
    for x in shingles:
        v = _fmix64(x ^ key)
        bins[v % k] = min(bins.get(v % k, m), v // k)
    oph = []
    for j in range(k):
        if j in bins or not bins:
            oph.append(bins.get(j, m))
            continue
        t = 1
        while _fmix64(dkey ^ (j << 32 | t)) % k not in bins:
            t += 1
        oph.append(bins[_fmix64(dkey ^ (j << 32 | t)) % k])
    hashes, offsets = csr([shingles])
    assert _core.minhash_shingles(hashes, offsets, k, seed, "classic")[0].tolist() == classic
    assert _core.minhash_shingles(hashes, offsets, k, seed, "oph")[0].tolist() == oph
    assert _reference.minhash_shingles(hashes, offsets, k, seed, "oph")[0].tolist() == oph


def _oph_by_the_spec(shingles: list[int], k: int, seed: int) -> list[int]:
    """OPH exactly as written in rust/minhash.rs, probe by probe (the densification that took
    k**2 probes for one shingle)."""
    m = 2**64 - 1
    state, stream = seed, []
    for _ in range(2):
        state = (state + 0x9E3779B97F4A7C15) & m
        z = ((state ^ state >> 30) * 0xBF58476D1CE4E5B9) & m
        z = ((z ^ z >> 27) * 0x94D049BB133111EB) & m
        stream.append(z ^ z >> 31)
    key, dkey = stream
    bins: dict[int, int] = {}
    for x in shingles:
        v = _fmix64(x ^ key)
        bins[v % k] = min(bins.get(v % k, m), v // k)
    out = []
    for j in range(k):
        if j in bins:
            out.append(bins[j])
            continue
        donor = next((c for t in range(1, 64 * k + 1) if (c := _fmix64(dkey ^ (j << 32 | t)) % k) in bins), None)
        if donor is None:
            donor = next((j + s) % k for s in range(1, k) if (j + s) % k in bins)
        out.append(bins[donor])
    return out


@pytest.mark.parametrize("k", [1000, 1024, 997])
@pytest.mark.parametrize("size", [1, 2, 3, 40])
def test_oph_at_large_num_perm_follows_the_spec(k, size):
    """The densification without k**2 probes for one shingle gives the written spec's values,
    on both backends (non-power-of-two k too: the remainder without a division)."""
    shingles = np.random.default_rng(size * k).integers(0, 2**64, size, dtype=np.uint64)
    hashes, offsets = csr([shingles.tolist()])
    expected = _oph_by_the_spec(shingles.tolist(), k, 7)
    for impl in (_core, _reference):
        assert impl.minhash_shingles(hashes, offsets, k, 7, "oph")[0].tolist() == expected


@pytest.mark.parametrize("k", [65536, 8192, 5000])
def test_oph_core_and_reference_agree_at_the_largest_num_perm(k):
    for size in (1, 2, 3, 1000):
        if size > 1 and k == 65536:
            continue  # k**2 / size probes: seconds on the core, minutes on the reference
        docs = [np.random.default_rng(size).integers(0, 2**64, size, dtype=np.uint64).tolist()] * 2
        hashes, offsets = csr(docs)
        same_arrays(_core.minhash_shingles(hashes, offsets, k, 3, "oph"), _reference.minhash_shingles(hashes, offsets, k, 3, "oph"))


def test_oph_of_one_shingle_costs_linear_time():
    """minhash(["word"], num_perm=65536, scheme="oph") took 9.6 s of CPU on the core (67 s in
    the issue's runs): every empty bin probed k / 1 times for the one filled bin."""
    import time

    started = time.process_time()
    signature = neardup.minhash(["word"], num_perm=65536, scheme="oph").values[0]
    assert time.process_time() - started < 1.0
    assert len(set(signature.tolist())) == 1  # one shingle: one value in every bin


def _seed_corpus(seed: int) -> list[str]:
    """Documents with planted copies, truncations and wrappers."""
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(300)]
    bodies = [" ".join(rng.choice(vocabulary, int(rng.integers(5, 80)))) for _ in range(8)]
    docs = []
    for body in bodies:
        docs.append(body)
        kind = int(rng.integers(0, 4))
        if kind == 1:
            docs.append(body)
        elif kind == 2:
            docs.append("home news sport weather " + body + " share this story about us contact")
        elif kind == 3:
            words = body.split()
            docs.append(" ".join(words[: max(1, len(words) * 9 // 10)]))
    docs.append("")
    order = rng.permutation(len(docs))
    return [docs[i] for i in order]


@settings(max_examples=40)
@given(
    st.integers(0, 2**32),
    st.sampled_from(["containment", "jaccard"]),
    st.sampled_from(["exact", "estimate"]),
    schemes,
    st.sampled_from(["longest", "earliest", "most_complete"]),
)
def test_find_duplicates_same_decisions(monkeypatch_seed, measure, verify, scheme, keep):
    docs = _seed_corpus(monkeypatch_seed)
    kwargs = dict(threshold=0.7, measure=measure, verify=verify, scheme=scheme, keep=keep, num_perm=64, n=3)
    rust = neardup.find_duplicates(docs, **kwargs) if neardup.backend() == "rust" else None
    with pytest.MonkeyPatch.context() as patch:
        for module in FIND_DUPLICATES_MODULES:
            patch.setattr(module, "_impl", _reference)
        reference = neardup.find_duplicates(docs, **kwargs)
    with pytest.MonkeyPatch.context() as patch:
        for module in FIND_DUPLICATES_MODULES:
            patch.setattr(module, "_impl", _core)
        compiled = neardup.find_duplicates(docs, **kwargs)
        threaded = neardup.find_duplicates(docs, num_threads=1, **kwargs)
    assert compiled == reference
    assert threaded == compiled
    if rust is not None:
        assert rust == compiled
