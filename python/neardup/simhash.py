"""SimHash: 64-bit fingerprints of weighted features (Charikar 2002) and an exact search for
fingerprints within a Hamming distance ``k`` by permuted tables (Manku, Jain, Das Sarma 2007).

A fingerprint summarises a document so that similar documents get fingerprints differing in
few bits. Each feature (a 64-bit hash with a weight) votes on every bit: bit ``b`` of
``fmix64(hash)`` adds ``+weight`` when set and ``-weight`` when clear, and the fingerprint has
bit ``b`` set iff the total is ``> 0`` (no features: 0). From text the features are
:func:`neardup.shingles` (word 3-grams by default), weighted by ``weighting``:

* ``"tf"`` (default): every occurrence weighs 1, so a shingle repeated three times votes three
  times (integer sums, exact);
* ``"binary"``: every distinct shingle weighs 1.

Given ``(hash, weight)`` features (:func:`simhash_features`), weights must be finite and
``>= 0`` and are summed in the given order in IEEE double precision, so both backends agree
bit for bit. The full specification is in docs/simhash.md.

Search: the 64 bits are cut into ``blocks`` contiguous blocks (default ``k + 1``). Two
fingerprints within distance ``k`` agree exactly on at least ``blocks - k`` blocks, so one
table per choice of ``blocks - k`` blocks (``C(blocks, k)`` tables), keyed by those bits,
finds every such pair while comparing only fingerprints that share a key. More blocks mean
more tables (memory) but longer keys (fewer comparisons). Results are exact: the same as
comparing every pair.

The functions are named ``simhash_*`` (the module is ``neardup.simhash``, so a function of
that name re-exported from ``neardup`` would hide the module).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import _backend
from ._arrays import as_list, check_new_keys, float_array, uint64_array
from ._reference.simhash import WEIGHTINGS, check_weights
from ._reference.text import check_shingle_args, check_threads
from .csr import arrays_to_csr, document_list, shingle_csr

__all__ = [
    "SimHashIndex",
    "SimHashPairs",
    "hamming",
    "simhash_batch",
    "simhash_features",
    "simhash_features_batch",
    "simhash_pairs",
    "simhash_text",
]

_impl = _backend.IMPL

#: Default shingle size for SimHash: word 3-grams.
DEFAULT_SIMHASH_NGRAM = 3
#: Default search distance: fingerprints differing in at most 3 of 64 bits.
DEFAULT_K = 3


def _check_weighting(weighting: str) -> None:
    if not isinstance(weighting, str) or weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be 'tf' or 'binary', got {weighting!r}")


def _check_search(k: int, blocks: int | None) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= 63:
        raise ValueError(f"k must be an int in [0, 63], got {k!r}")
    if blocks is not None and (
        isinstance(blocks, bool) or not isinstance(blocks, (int, np.integer)) or not k < blocks <= 64
    ):
        raise ValueError(f"blocks must be None or an int in [k + 1, 64] = [{k + 1}, 64], got {blocks!r}")


def _u64(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= int(value) < 1 << 64:
        raise ValueError(f"{what} must be an int in [0, 2**64), got {value!r}")
    return int(value)


def _fingerprints(fingerprints: Any) -> np.ndarray:
    return uint64_array(fingerprints, "fingerprints", 1)


def simhash_text(
    text: str, *, n: int = DEFAULT_SIMHASH_NGRAM, kind: str = "word", weighting: str = "tf", shingle_seed: int = 0
) -> int:
    """The 64-bit SimHash fingerprint of a text, from its shingles (``n``, ``kind`` and
    ``shingle_seed`` as in :func:`neardup.shingles`) weighted by ``weighting``."""
    n, kind, shingle_seed = check_shingle_args(n, kind, shingle_seed)
    _check_weighting(weighting)
    return int(_impl.simhash_text(text, n, kind, weighting, shingle_seed))


def simhash_batch(
    docs: Iterable[str] | Any,
    *,
    n: int = DEFAULT_SIMHASH_NGRAM,
    kind: str = "word",
    weighting: str = "tf",
    shingle_seed: int = 0,
    num_threads: int | None = None,
) -> np.ndarray:
    """Fingerprints of many documents as a ``uint64`` array, in parallel with the GIL released.

    ``docs`` are texts, a :class:`neardup.Shingles` of pre-hashed shingles, or a sequence of
    ``uint64`` arrays of shingle hashes (weighted by ``weighting`` too)."""
    _check_weighting(weighting)
    num_threads = check_threads(num_threads)
    csr = shingle_csr(docs)
    if csr is None:
        docs = document_list(docs)
        csr = arrays_to_csr(docs) if docs and not isinstance(docs[0], str) else None
    if csr is not None:
        values = _impl.simhash_shingles(csr[0], csr[1], weighting, num_threads)
    else:
        n, kind, shingle_seed = check_shingle_args(n, kind, shingle_seed)
        values = _impl.simhash_texts(docs, n, kind, weighting, shingle_seed, num_threads)
    return np.asarray(values, dtype=np.uint64)


def _feature_arrays(hashes: Any, weights: Any, label: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        h = uint64_array(hashes, "hashes", 1)
    except ValueError:
        raise ValueError(f"{label}expected a 1-d array of uint64 feature hashes") from None
    if weights is None:
        w = np.ones(len(h), dtype=np.float64)
    else:
        w = float_array(weights, f"{label}weights")
        if w.ndim != 1 or len(w) != len(h):
            raise ValueError(f"{label}{len(h)} hashes for {w.size} weights")
    return h, w


def simhash_features(hashes: Any, weights: Any = None) -> int:
    """The fingerprint of ``(hash, weight)`` features: ``hashes`` a sequence of 64-bit hashes,
    ``weights`` one finite number ``>= 0`` per hash (``None``: all 1). Features are summed in
    the given order; a hash given twice votes twice."""
    h, w = _feature_arrays(hashes, weights, "")
    check_weights(w)  # here, so that the error names the feature and not a "document 0"
    return int(_impl.simhash_weighted(h, w, np.array([0, len(h)], dtype=np.int64))[0])


def simhash_features_batch(docs: Iterable[tuple[Any, Any]], *, num_threads: int | None = None) -> np.ndarray:
    """Fingerprints of many documents of features, each a pair ``(hashes, weights)``
    (``weights`` may be ``None``), as a ``uint64`` array."""
    num_threads = check_threads(num_threads)
    hashes, weights, lengths = [], [], []
    for i, doc in enumerate(docs):
        try:
            doc_hashes, doc_weights = doc
        except (TypeError, ValueError):
            raise ValueError(f"document {i}: expected a pair (hashes, weights)") from None
        h, w = _feature_arrays(doc_hashes, doc_weights, f"document {i}: ")
        hashes.append(h)
        weights.append(w)
        lengths.append(len(h))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat_h = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
    flat_w = np.concatenate(weights) if weights else np.zeros(0, dtype=np.float64)
    return np.asarray(_impl.simhash_weighted(flat_h, flat_w, offsets, num_threads), dtype=np.uint64)


def hamming(a: Any, b: Any) -> Any:
    """The number of differing bits of two fingerprints (or, element-wise, of two arrays)."""
    if np.ndim(a) == 0 and np.ndim(b) == 0:
        return (_u64(a, "a") ^ _u64(b, "b")).bit_count()
    x = np.ascontiguousarray(np.bitwise_xor(_fingerprint_array(a, "a"), _fingerprint_array(b, "b")))
    if hasattr(np, "bitwise_count"):  # numpy >= 2
        return np.bitwise_count(x).astype(np.int64)
    return np.unpackbits(x[..., None].view(np.uint8), axis=-1).sum(axis=-1).astype(np.int64)


def _fingerprint_array(values: Any, what: str) -> np.ndarray:
    return uint64_array(values, f"{what} (fingerprints)", None)


class SimHashPairs(NamedTuple):
    """Pairs ``(i, j)``, ``i < j``, as an ``(m, 2)`` int64 array, sorted, and their distances."""

    pairs: np.ndarray
    distances: np.ndarray

    def __len__(self) -> int:  # the number of pairs
        return len(self.distances)


def simhash_pairs(
    fingerprints: Any, k: int = DEFAULT_K, *, blocks: int | None = None, num_threads: int | None = None
) -> SimHashPairs:
    """Every pair of fingerprints within Hamming distance ``k``, found with ``C(blocks, k)``
    permuted tables (``blocks`` default ``k + 1``) rather than by comparing every pair; the
    result is exactly what comparing every pair gives. Tables are built in parallel."""
    _check_search(k, blocks)
    num_threads = check_threads(num_threads)
    pairs, distances = _impl.simhash_pairs(_fingerprints(fingerprints), int(k), blocks, num_threads)
    return SimHashPairs(np.asarray(pairs, dtype=np.int64).reshape(-1, 2), np.asarray(distances, dtype=np.int64))


#: Format and version of a pickled SimHashIndex's state (``SimHashIndex.__getstate__``).
SIMHASH_STATE_FORMAT = "neardup-simhash-index"
SIMHASH_STATE_VERSION = 1


class SimHashIndex:
    """A Hamming-distance index of fingerprints under arbitrary hashable keys: ``insert``,
    ``query``, ``remove`` and ``pairs``, in the vocabulary of :class:`neardup.MinHashLSH`.

    ``query`` returns the keys within distance ``k`` (or a smaller ``k`` given to it), nearest
    first, ties in insertion order. Exact: never a false positive or a missed fingerprint.
    """

    def __init__(self, k: int = DEFAULT_K, blocks: int | None = None) -> None:
        _check_search(k, blocks)
        self._index = _impl.SimHashIndex(int(k), None if blocks is None else int(blocks))
        self.k = int(k)
        self.blocks = int(self._index.blocks)
        self._ids: dict[Hashable, int] = {}
        self._keys: dict[int, Hashable] = {}
        self._fingerprints: dict[int, int] = {}
        self._next_id = 0

    @property
    def num_tables(self) -> int:
        return int(self._index.num_tables)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._ids

    def is_empty(self) -> bool:
        return not self._ids

    def fingerprint(self, key: Hashable) -> int:
        """The fingerprint indexed under ``key``."""
        if key not in self._ids:
            raise KeyError(key)
        return self._fingerprints[self._ids[key]]

    def insert(self, key: Hashable, fingerprint: int) -> None:
        """Index ``fingerprint`` under ``key`` (a key already present raises ``ValueError``)."""
        if key in self._ids:
            raise ValueError(f"key {key!r} is already in the index")
        fingerprint = _u64(fingerprint, "fingerprint")
        self._index.insert(self._next_id, fingerprint)
        self._remember(key, fingerprint)

    def _remember(self, key: Hashable, fingerprint: int) -> None:
        self._ids[key] = self._next_id
        self._keys[self._next_id] = key
        self._fingerprints[self._next_id] = fingerprint
        self._next_id += 1

    def insert_batch(self, keys: Sequence[Hashable], fingerprints: Any) -> None:
        """Index ``fingerprints[i]`` under ``keys[i]``, all or nothing."""
        keys = list(as_list(keys, "keys"))
        values = _fingerprints(fingerprints)
        check_new_keys(keys, len(values), self._ids, "fingerprints")
        ids = np.arange(self._next_id, self._next_id + len(keys), dtype=np.uint64)
        self._index.insert_batch(ids, values)
        for key, fingerprint in zip(keys, values.tolist()):
            self._remember(key, fingerprint)

    def __getstate__(self) -> dict[str, Any]:
        """The index as plain data (format ``neardup-simhash-index``, version 1): ``k``,
        ``blocks`` and the keys with their fingerprints in insertion order. Pickling goes
        through it."""
        ids = sorted(self._keys)
        return {"format": SIMHASH_STATE_FORMAT, "version": SIMHASH_STATE_VERSION, "k": self.k, "blocks": self.blocks,
                "keys": [self._keys[i] for i in ids], "fingerprints": np.array([self._fingerprints[i] for i in ids], dtype=np.uint64)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or state.get("format") != SIMHASH_STATE_FORMAT or state.get("version") != SIMHASH_STATE_VERSION:
            raise ValueError(f"not a SimHashIndex state (expected format {SIMHASH_STATE_FORMAT!r} version {SIMHASH_STATE_VERSION})")
        self.__init__(state["k"], state["blocks"])  # type: ignore[misc]
        self.insert_batch(list(state["keys"]), state["fingerprints"])

    def remove(self, key: Hashable) -> None:
        """Remove ``key`` (a key not in the index raises ``ValueError``)."""
        if key not in self._ids:
            raise ValueError(f"key {key!r} is not in the index")
        id = self._ids.pop(key)
        self._index.remove(id)
        del self._keys[id], self._fingerprints[id]

    def query_with_distances(self, fingerprint: int, k: int | None = None) -> list[tuple[Hashable, int]]:
        """``(key, distance)`` of every indexed fingerprint within ``k`` (default: the
        index's ``k``; at most it), nearest first, ties in insertion order."""
        limit = self._limit(k)
        ids, distances = self._index.query(_u64(fingerprint, "fingerprint"))
        hits = [(int(d), int(i)) for i, d in zip(np.asarray(ids).tolist(), np.asarray(distances).tolist()) if d <= limit]
        hits.sort()
        return [(self._keys[i], d) for d, i in hits]

    def query(self, fingerprint: int, k: int | None = None) -> list[Hashable]:
        """The keys of every indexed fingerprint within ``k`` of ``fingerprint``, nearest first."""
        return [key for key, _ in self.query_with_distances(fingerprint, k)]

    def _limit(self, k: int | None) -> int:
        if k is None:
            return self.k
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= self.k:
            raise ValueError(f"k must be an int in [0, {self.k}] (the index's k), got {k!r}")
        return int(k)

    def pairs(self) -> list[tuple[Hashable, Hashable, int]]:
        """Every pair of indexed keys within distance ``k``, as ``(key_a, key_b, distance)``
        with ``key_a`` inserted first, in insertion order of ``(key_a, key_b)``."""
        pairs, distances = self._index.pairs()
        rows = np.asarray(pairs).reshape(-1, 2).tolist()
        return [(self._keys[a], self._keys[b], int(d)) for (a, b), d in zip(rows, np.asarray(distances).tolist())]
