"""Pure-Python reference of SimHash fingerprints and the Hamming-distance table search. The
Rust core (rust/simhash.rs) is held to these functions bit for bit.

Specification (also in rust/simhash.rs and docs/simhash.md):

* A feature is a 64-bit hash ``x`` with a weight ``w``; its bits are ``fmix64(x)``.
* ``V[b] = sum of (+w if bit b of fmix64(x) is set else -w)`` over the features in order
  (IEEE double additions for given weights; exact integers for counted shingles).
* Fingerprint bit ``b`` is 1 iff ``V[b] > 0``; no features give 0.
* Text: the features are :func:`neardup.shingles`; ``tf`` weights every occurrence 1,
  ``binary`` every distinct shingle 1.
* Search for distance ``k`` with ``blocks`` (default ``k + 1``): 64 bits cut into ``blocks``
  contiguous blocks from bit 0 (the first ``64 % blocks`` one bit wider); one table per choice
  of ``k`` free blocks (lexicographic order), keyed by the fingerprint masked to the other
  blocks. A pair is reported by the first table whose key it shares; only pairs within ``k``.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np

from . import text as _text
from .csr import check_offsets
from .hash import fmix64

MAX_TABLES = 1024
WEIGHTINGS = ("tf", "binary")

_BITS = np.arange(64, dtype=np.uint64)
# Rows of features turned into sign matrices at once (bounds the temporary arrays).
_CHUNK = 4096


def check_weighting(weighting: str) -> None:
    if not isinstance(weighting, str) or weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be 'tf' or 'binary', got {weighting!r}")


def _bits(hashes: np.ndarray) -> np.ndarray:
    """``(n, 64)`` 0/1 matrix: column b is bit b of fmix64(hash)."""
    return ((fmix64(hashes)[:, None] >> _BITS[None, :]) & np.uint64(1)).astype(np.int64)


def _pack(positive: np.ndarray) -> int:
    return sum(1 << b for b in np.flatnonzero(positive).tolist())


def from_counted(hashes: np.ndarray) -> int:
    if len(hashes) == 0:
        return 0
    ones = np.zeros(64, dtype=np.int64)
    for start in range(0, len(hashes), _CHUNK):
        ones += _bits(hashes[start : start + _CHUNK]).sum(axis=0)
    return _pack(2 * ones > len(hashes))


def from_shingles(hashes, weighting: str) -> int:
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    if weighting == "binary":
        hashes = np.unique(hashes)
    return from_counted(hashes)


def describe_weight(w: float) -> str:
    """A bad weight as both backends word it (float formatting differs between languages)."""
    w = float(w)
    return "nan" if math.isnan(w) else "inf" if w == math.inf else "-inf" if w == -math.inf else "a negative number"


def check_weights(weights: np.ndarray, doc: int | None = None) -> None:
    bad = np.flatnonzero(~(np.isfinite(weights) & (weights >= 0.0)))
    if len(bad):
        prefix = f"document {doc}, " if doc is not None else ""
        j = int(bad[0])
        raise ValueError(f"{prefix}feature {j}: weight must be finite and >= 0, got {describe_weight(weights[j])}")


def _weighted(hashes: np.ndarray, weights: np.ndarray) -> int:
    # Sequential sums in feature order: cumsum accumulates one row at a time, as the core does.
    total = np.zeros(64, dtype=np.float64)
    for start in range(0, len(hashes), _CHUNK):
        bits = _bits(hashes[start : start + _CHUNK])
        w = weights[start : start + _CHUNK, None]
        signed = np.where(bits == 1, w, -w)
        total = np.cumsum(np.vstack([total[None, :], signed]), axis=0)[-1]
    return _pack(total > 0.0)


def from_weighted(hashes, weights) -> int:
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if len(hashes) != len(weights):
        raise ValueError(f"{len(hashes)} hashes for {len(weights)} weights")
    check_weights(weights)
    return _weighted(hashes, weights)


def simhash_text(text, n=3, kind="word", weighting="tf", shingle_seed=0):
    n, kind, shingle_seed = _text.check_shingle_args(n, kind, shingle_seed)
    check_weighting(weighting)
    return from_shingles(_text.shingles(_text.check_text(text), n, kind, shingle_seed), weighting)


def simhash_texts(texts, n=3, kind="word", weighting="tf", shingle_seed=0, num_threads=None):
    n, kind, shingle_seed = _text.check_shingle_args(n, kind, shingle_seed)
    check_weighting(weighting)
    docs = [_text.check_text(t, i) for i, t in enumerate(texts)]
    return np.array(
        [from_shingles(_text.shingles(t, n, kind, shingle_seed), weighting) for t in docs], dtype=np.uint64
    )


def simhash_shingles(hashes, offsets, weighting="tf", num_threads=None):
    check_weighting(weighting)
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    offsets = check_offsets(offsets, len(hashes))
    return np.array(
        [from_shingles(hashes[offsets[i] : offsets[i + 1]], weighting) for i in range(len(offsets) - 1)],
        dtype=np.uint64,
    )


def simhash_weighted(hashes, weights, offsets, num_threads=None):
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if len(hashes) != len(weights):
        raise ValueError(f"{len(hashes)} hashes for {len(weights)} weights")
    offsets = check_offsets(offsets, len(hashes))
    n = len(offsets) - 1
    for d in range(n):
        check_weights(weights[offsets[d] : offsets[d + 1]], d)
    return np.array(
        [_weighted(hashes[offsets[d] : offsets[d + 1]], weights[offsets[d] : offsets[d + 1]]) for d in range(n)],
        dtype=np.uint64,
    )


# ---------------------------------------------------------------------------------------
# Hamming-distance search


def table_masks(k: int, blocks: int | None = None) -> list[int]:
    """One mask per table: the bits of the blocks it keys on."""
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= 63:
        raise ValueError(f"k must be in [0, 63], got {k!r}")
    if blocks is None:
        blocks = k + 1
    if isinstance(blocks, bool) or not isinstance(blocks, int) or not k < blocks <= 64:
        raise ValueError(f"blocks must be in [k + 1, 64] = [{k + 1}, 64], got {blocks!r}")
    count = math.comb(blocks, k)
    if count > MAX_TABLES:
        raise ValueError(
            f"blocks={blocks} with k={k} needs C({blocks}, {k}) = {count} tables, more than {MAX_TABLES}; "
            "use fewer blocks"
        )
    base, wide = divmod(64, blocks)
    block_masks, start = [], 0
    for i in range(blocks):
        width = base + (1 if i < wide else 0)
        block_masks.append(((1 << width) - 1) << start)
        start += width
    full = (1 << 64) - 1
    return [full & ~sum(block_masks[i] for i in free) for free in combinations(range(blocks), k)]


def _distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _met_before(masks: list[int], diff: int, table: int) -> bool:
    return any(diff & m == 0 for m in masks[:table])


def _fingerprints(fingerprints) -> list[int]:
    array = np.asarray(fingerprints, dtype=np.uint64)
    if array.ndim != 1:
        raise ValueError(f"fingerprints must be a 1-dimensional array, got {array.ndim} dimensions")
    return array.tolist()


def _pairs_out(pairs: list[tuple[int, int, int]], dtype) -> tuple[np.ndarray, np.ndarray]:
    pairs.sort()
    return (
        np.array([(i, j) for i, j, _ in pairs], dtype=dtype).reshape(-1, 2),
        np.array([d for _, _, d in pairs], dtype=np.int64),
    )


def simhash_pairs(fingerprints, k=3, blocks=None, num_threads=None):
    masks = table_masks(k, blocks)
    fps = _fingerprints(fingerprints)
    pairs = []
    for t, mask in enumerate(masks):
        buckets: dict[int, list[int]] = {}
        for i, fp in enumerate(fps):
            buckets.setdefault(fp & mask, []).append(i)
        for members in buckets.values():
            for x, i in enumerate(members):
                for j in members[x + 1 :]:
                    diff = fps[i] ^ fps[j]
                    if diff.bit_count() <= k and not _met_before(masks, diff, t):
                        pairs.append((i, j, diff.bit_count()))
    return _pairs_out(pairs, np.int64)


class SimHashIndex:
    """A Hamming-distance index keyed by uint64 ids (mirror of the core's ``SimHashIndex``)."""

    def __init__(self, k=3, blocks=None):
        self._masks = table_masks(k, blocks)
        self.k = k
        self.blocks = k + 1 if blocks is None else blocks
        self._tables: list[dict[int, list[int]]] = [{} for _ in self._masks]
        self._fingerprints: dict[int, int] = {}

    @property
    def num_tables(self):
        return len(self._masks)

    def __len__(self):
        return len(self._fingerprints)

    def __contains__(self, id):
        return id in self._fingerprints

    def insert(self, id, fingerprint):
        id, fingerprint = _u64(id, "id"), _u64(fingerprint, "fingerprint")
        if id in self._fingerprints:
            raise ValueError(f"id {id} is already in the index")
        for table, mask in zip(self._tables, self._masks):
            table.setdefault(fingerprint & mask, []).append(id)
        self._fingerprints[id] = fingerprint

    def insert_batch(self, ids, fingerprints):
        ids = np.asarray(ids, dtype=np.uint64).tolist()
        fps = _fingerprints(fingerprints)
        if len(ids) != len(fps):
            raise ValueError(f"{len(ids)} ids for {len(fps)} fingerprints")
        seen = set()
        for k, id in enumerate(ids):
            if id in self._fingerprints or id in seen:
                raise ValueError(f"document {k}: id {id} is already in the index")
            seen.add(id)
        for id, fp in zip(ids, fps):
            self.insert(id, fp)

    def remove(self, id):
        id = _u64(id, "id")
        fingerprint = self._fingerprints.pop(id, None)
        if fingerprint is None:
            raise ValueError(f"id {id} is not in the index")
        for table, mask in zip(self._tables, self._masks):
            bucket = table.get(fingerprint & mask)
            if bucket is not None:
                bucket[:] = [other for other in bucket if other != id]
                if not bucket:
                    del table[fingerprint & mask]

    def query(self, fingerprint):
        fingerprint = _u64(fingerprint, "fingerprint")
        hits = []
        for t, (table, mask) in enumerate(zip(self._tables, self._masks)):
            for id in table.get(fingerprint & mask, ()):
                diff = fingerprint ^ self._fingerprints[id]
                if diff.bit_count() <= self.k and not _met_before(self._masks, diff, t):
                    hits.append((id, diff.bit_count()))
        hits.sort()
        return np.array([h[0] for h in hits], dtype=np.uint64), np.array([h[1] for h in hits], dtype=np.int64)

    def pairs(self):
        pairs = []
        for t, table in enumerate(self._tables):
            for bucket in table.values():
                for x, a in enumerate(bucket):
                    for b in bucket[x + 1 :]:
                        diff = self._fingerprints[a] ^ self._fingerprints[b]
                        if diff.bit_count() <= self.k and not _met_before(self._masks, diff, t):
                            pairs.append((min(a, b), max(a, b), diff.bit_count()))
        return _pairs_out(pairs, np.uint64)


def _u64(value, name: str) -> int:
    """An int in [0, 2**64), as the core's u64 arguments accept (OverflowError/TypeError otherwise)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if not 0 <= value < 1 << 64:
        raise OverflowError(f"{name} must be in [0, 2**64), got {value}")
    return value
