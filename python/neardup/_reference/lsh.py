"""Pure-Python reference of neardup's LSH: band keys of MinHash signatures, candidate pairs
and a banded index (the twin of rust/lsh.rs, held to these functions bit for bit).

The band key of band ``j`` (values ``v`` of ``sig[j*rows:(j+1)*rows]`` in order):
``h = fmix64(j + 0x9E3779B97F4A7C15)``, then ``h = fmix64(h ^ v)`` per value.
"""

from __future__ import annotations

import numpy as np

from .csr import as_uint64, as_uint64_matrix, check_offsets
from .hash import GOLDEN_GAMMA, M64, fmix64


def check_bands(num_perm: int, bands: int, rows: int) -> None:
    if bands < 1 or rows < 1 or bands * rows > num_perm:
        raise ValueError(
            f"bands and rows must be >= 1 with bands * rows <= num_perm ({num_perm}), got bands={bands}, rows={rows}"
        )


def _band_key_columns(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    n = signatures.shape[0]
    keys = np.empty((n, bands), dtype=np.uint64)
    for j in range(bands):
        h = fmix64(np.full(n, (j + GOLDEN_GAMMA) & M64, dtype=np.uint64))
        for t in range(rows):
            h = fmix64(h ^ signatures[:, j * rows + t])
        keys[:, j] = h
    return keys


def band_keys(signatures, bands, rows, num_threads=None):
    signatures = as_uint64_matrix(signatures)
    check_bands(signatures.shape[1], bands, rows)
    return _band_key_columns(signatures, bands, rows)


def _pairs_array(pairs) -> np.ndarray:
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def candidate_pairs(signatures, bands, rows, num_threads=None):
    signatures = as_uint64_matrix(signatures)
    check_bands(signatures.shape[1], bands, rows)
    return _pairs_of_keys(_band_key_columns(signatures, bands, rows))


def candidate_pairs_of_keys(keys, num_threads=None):
    keys = as_uint64_matrix(keys)
    if keys.shape[1] == 0:
        raise ValueError(f"keys must be an (n, bands) matrix with bands >= 1; {keys.size} values do not divide into rows of 0")
    return _pairs_of_keys(keys)


def anchor_pairs(values, offsets, max_docs, num_threads=None):
    values = as_uint64(values)
    offsets = check_offsets(offsets, len(values))
    held = [set(values[offsets[i] : offsets[i + 1]].tolist()) for i in range(len(offsets) - 1)]
    docs_of: dict[int, list[int]] = {}
    for i, anchors in enumerate(held):
        for value in anchors:
            docs_of.setdefault(value, []).append(i)
    shared: dict[tuple[int, int], int] = {}
    for docs in docs_of.values():
        if len(docs) <= max_docs:
            for x in range(len(docs)):
                for y in range(x + 1, len(docs)):
                    shared[(docs[x], docs[y])] = shared.get((docs[x], docs[y]), 0) + 1
    return _pairs_array(pair for pair, count in shared.items() if 2 * count >= min(len(held[pair[0]]), len(held[pair[1]])))


def _pairs_of_keys(keys) -> np.ndarray:
    bands = keys.shape[1]
    pairs: set[tuple[int, int]] = set()
    for j in range(bands):
        buckets: dict[int, list[int]] = {}
        for i, key in enumerate(keys[:, j].tolist()):
            buckets.setdefault(key, []).append(i)
        for members in buckets.values():
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    pairs.add((members[x], members[y]))
    return _pairs_array(pairs)


class LshIndex:
    """A banded LSH index keyed by uint64 ids (mirror of the core's ``LshIndex``)."""

    def __init__(self, num_perm, bands, rows):
        check_bands(num_perm, bands, rows)
        self.num_perm, self.bands, self.rows = num_perm, bands, rows
        self._tables: list[dict[int, list[int]]] = [{} for _ in range(bands)]
        self._keys: dict[int, list[int]] = {}

    def __len__(self):
        return len(self._keys)

    def __contains__(self, id):
        return id in self._keys

    def _keys_of(self, signature) -> list[int]:
        signature = np.asarray(signature, dtype=np.uint64)
        if signature.shape != (self.num_perm,):
            raise ValueError(
                f"signature has {signature.size} values, the index expects num_perm={self.num_perm}"
            )
        return _band_key_columns(signature[None, :], self.bands, self.rows)[0].tolist()

    def _insert_keys(self, id: int, keys: list[int]) -> None:
        for table, key in zip(self._tables, keys):
            table.setdefault(key, []).append(id)
        self._keys[id] = keys

    def insert(self, id, signature):
        keys = self._keys_of(signature)
        if id in self._keys:
            raise ValueError(f"id {id} is already in the index")
        self._insert_keys(int(id), keys)

    def insert_batch(self, ids, signatures, num_threads=None):
        ids = [int(i) for i in np.asarray(ids, dtype=np.uint64).tolist()]
        signatures = as_uint64_matrix(signatures)
        n, num_perm = signatures.shape
        if len(ids) != n:
            raise ValueError(f"{len(ids)} ids for {n} signatures")
        if num_perm != self.num_perm:
            raise ValueError(f"signatures have {num_perm} values, the index expects num_perm={self.num_perm}")
        self._check_new_ids(ids)
        keys = _band_key_columns(signatures, self.bands, self.rows).tolist()
        for id, row in zip(ids, keys):
            self._insert_keys(id, row)

    def _check_new_ids(self, ids):
        """No id of ``ids`` in the index or twice in ``ids``, before a batch inserts any."""
        seen = set()
        for k, id in enumerate(ids):
            if id in self._keys or id in seen:
                raise ValueError(f"document {k}: id {id} is already in the index")
            seen.add(id)

    def remove(self, id):
        keys = self._keys.pop(id, None)
        if keys is None:
            raise ValueError(f"id {id} is not in the index")
        for table, key in zip(self._tables, keys):
            bucket = table.get(key)
            if bucket is not None:
                bucket[:] = [other for other in bucket if other != id]
                if not bucket:
                    del table[key]

    def band_table(self):
        ids = sorted(self._keys)
        keys = np.array([self._keys[i] for i in ids], dtype=np.uint64).reshape(len(ids), self.bands)
        return np.array(ids, dtype=np.uint64), keys

    def insert_band_keys(self, ids, keys):
        ids = [int(i) for i in np.asarray(ids, dtype=np.uint64).tolist()]
        keys = as_uint64_matrix(keys)
        n, bands = keys.shape
        if n != len(ids):
            raise ValueError(f"{len(ids)} ids for {n} rows of band keys")
        if n and bands != self.bands:
            raise ValueError(f"rows of {bands} band keys, the index has {self.bands} bands")
        self._check_new_ids(ids)
        for id, row in zip(ids, keys.tolist()):
            self._insert_keys(id, row)

    def _query_keys(self, keys: list[int]) -> np.ndarray:
        found: set[int] = set()
        for table, key in zip(self._tables, keys):
            found.update(table.get(key, ()))
        return np.array(sorted(found), dtype=np.uint64)

    def query(self, signature):
        return self._query_keys(self._keys_of(signature))

    def query_batch(self, signatures, num_threads=None):
        signatures = as_uint64_matrix(signatures)
        n, num_perm = signatures.shape
        if n > 0 and num_perm != self.num_perm:
            raise ValueError(f"signatures have {num_perm} values, the index expects num_perm={self.num_perm}")
        keys = _band_key_columns(signatures, self.bands, self.rows).tolist() if n else []
        found = [self._query_keys(row) for row in keys]
        # The ids of every query in one array, query i's at offsets[i]:offsets[i + 1].
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(ids) for ids in found], out=offsets[1:])
        ids = np.concatenate(found) if found else np.zeros(0, dtype=np.uint64)
        return ids.astype(np.uint64), offsets

    def candidate_pairs(self):
        pairs: set[tuple[int, int]] = set()
        for table in self._tables:
            for bucket in table.values():
                for x in range(len(bucket)):
                    for y in range(x + 1, len(bucket)):
                        a, b = bucket[x], bucket[y]
                        pairs.add((min(a, b), max(a, b)))
        return np.array(sorted(pairs), dtype=np.uint64).reshape(-1, 2)
