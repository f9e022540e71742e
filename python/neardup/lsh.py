"""Locality-sensitive hashing of MinHash signatures: the S-curve, the choice of bands and
rows, the candidate pairs of many signatures and an index under arbitrary keys; and the
anchors' pairs (:func:`anchor_pairs`), the candidates of a short text inside a long one.

The vocabulary is datasketch's: ``threshold``, ``weights``, ``params=(bands, rows)``,
``insert`` / ``query`` / ``remove``. Band keys are specified in ``neardup._reference.lsh``.

LSH S-curve: with ``bands`` bands of ``rows`` values, two documents of Jaccard similarity
``s`` become candidates with probability ``P(s) = 1 - (1 - s**rows)**bands``
(:func:`lsh_probability`). :func:`lsh_params` picks ``(bands, rows)`` with
``bands * rows <= num_perm`` minimising ``w_fp * FP + w_fn * FN``, where
``FP = integral of P(s) over [0, threshold]`` and ``FN = integral of 1 - P(s) over
[threshold, 1]``: datasketch's ``_optimal_param`` criterion, integrated with a fixed
composite Simpson rule so the choice is reproducible.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from . import _backend
from ._arrays import as_list, check_new_keys, float_array, uint64_array
from ._reference.minhash import check_num_perm
from ._reference.text import as_real, check_threads
from .minhash import Signatures, signature_matrix

__all__ = [
    "MinHashLSH",
    "anchor_pairs",
    "band_keys",
    "candidate_pairs",
    "candidate_threshold",
    "check_params",
    "check_threshold",
    "check_weights",
    "lsh_params",
    "lsh_probability",
]

_impl = _backend.IMPL

# Simpson intervals for the LSH error integrals (even); enough for the polynomial integrands.
_SIMPSON_INTERVALS = 256


def check_threshold(threshold: float, name: str = "threshold") -> float:
    value = as_real(threshold)  # numpy's float32 too
    if value is None or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number in [0.0, 1.0], got {threshold!r}")
    return value


def check_weights(weights: tuple[float, float]) -> tuple[float, float]:
    try:
        fp, fn = (float(w) for w in weights)
    except (TypeError, ValueError):
        raise ValueError(f"weights must be a pair (false_positive_weight, false_negative_weight), got {weights!r}") from None
    if not (0.0 <= fp <= 1.0 and 0.0 <= fn <= 1.0) or abs(fp + fn - 1.0) > 1e-9:
        raise ValueError(f"weights must be in [0.0, 1.0] and sum to 1.0, got {weights!r}")
    return fp, fn


def check_params(params: tuple[int, int], num_perm: int) -> tuple[int, int]:
    try:
        bands, rows = params
    except (TypeError, ValueError):
        raise ValueError(f"params must be a pair (bands, rows), got {params!r}") from None
    for name, value in (("bands", bands), ("rows", rows)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"params: {name} must be an int >= 1, got {value!r}")
    bands, rows = int(bands), int(rows)  # Python ints: numpy's would wrap around in the product
    if bands * rows > num_perm:
        raise ValueError(f"params: bands * rows = {bands * rows} exceeds num_perm = {num_perm}")
    return bands, rows


def lsh_probability(similarity: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """The LSH S-curve: the probability that two documents of Jaccard ``similarity`` share at
    least one of ``bands`` bands of ``rows`` MinHash values, ``1 - (1 - s**rows)**bands``."""
    for name, value in (("bands", bands), ("rows", rows)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    s = float_array(similarity, "similarity")
    if np.isnan(s).any() or (s < 0.0).any() or (s > 1.0).any():
        raise ValueError(f"similarity must be in [0.0, 1.0], got {similarity!r}")
    p = 1.0 - (1.0 - s**rows) ** bands
    return float(p) if p.ndim == 0 else p


@lru_cache(maxsize=256)
def _optimal_params(threshold: float, num_perm: int, fp_weight: float, fn_weight: float) -> tuple[int, int]:
    candidates = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    bands = np.array([c[0] for c in candidates], dtype=np.float64)[:, None]
    rows = np.array([c[1] for c in candidates], dtype=np.float64)[:, None]
    weights = np.ones(_SIMPSON_INTERVALS + 1)
    weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0

    def integral(lo: float, hi: float, false_negative: bool) -> np.ndarray:
        s = np.linspace(lo, hi, _SIMPSON_INTERVALS + 1)[None, :]
        p = 1.0 - (1.0 - s**rows) ** bands
        values = 1.0 - p if false_negative else p
        return (values * weights).sum(axis=1) * (hi - lo) / (3.0 * _SIMPSON_INTERVALS)

    error = fp_weight * integral(0.0, threshold, False) + fn_weight * integral(threshold, 1.0, True)
    best = int(np.argmin(error))  # the first minimum, in datasketch's (b, r) iteration order
    return candidates[best]


def lsh_params(threshold: float, num_perm: int = 128, weights: tuple[float, float] = (0.5, 0.5)) -> tuple[int, int]:
    """``(bands, rows)`` for an LSH index over ``num_perm``-value signatures that minimise the
    weighted false-positive and false-negative areas under the S-curve around ``threshold``
    (datasketch's criterion; ``weights = (false_positive_weight, false_negative_weight)``)."""
    threshold = check_threshold(threshold)
    num_perm = check_num_perm(num_perm)
    fp, fn = check_weights(weights)
    return _optimal_params(threshold, num_perm, fp, fn)


def candidate_threshold(threshold: float, measure: str, min_size_ratio: float) -> float:
    """The Jaccard similarity LSH must catch for ``measure`` at ``threshold``.

    For ``"jaccard"`` it is ``threshold``. For ``"containment"`` it is the lowest Jaccard
    similarity two sets can have when the smaller, at least ``min_size_ratio`` times the size
    of the larger, is contained in it to ``threshold``: ``t r / (1 + r - t r)``.
    """
    if measure == "jaccard":
        return threshold
    t, r = threshold, min_size_ratio
    return t * r / (1.0 + r - t * r)


def candidate_pairs(
    signatures: Signatures | np.ndarray,
    *,
    threshold: float = 0.8,
    weights: tuple[float, float] = (0.5, 0.5),
    params: tuple[int, int] | None = None,
    num_threads: int | None = None,
) -> np.ndarray:
    """Every pair ``(i, j)``, ``i < j``, of documents sharing an LSH band: an ``(m, 2)`` int64
    array, sorted. ``params=(bands, rows)`` overrides the choice from ``threshold``/``weights``."""
    values = signature_matrix(signatures)
    num_perm = values.shape[1]
    bands, rows = check_params(params, num_perm) if params is not None else lsh_params(threshold, num_perm, weights)
    check_threads(num_threads)
    return np.asarray(_impl.candidate_pairs(values, bands, rows, num_threads), dtype=np.int64).reshape(-1, 2)


def anchor_pairs(values: np.ndarray, offsets: np.ndarray, *, max_docs: int = 20, num_threads: int | None = None) -> np.ndarray:
    """Every pair ``(i, j)``, ``i < j``, of documents sharing at least half the anchors of the
    one with fewer (and at least one): an ``(m, 2)`` int64 array, sorted. Document ``i``'s
    anchors are ``values[offsets[i]:offsets[i + 1]]`` (uint64; repeats count once), a fixed
    sample of its shingle hashes such as the one ``neardup clean`` keeps (the hashes whose top
    5 bits are 0: docs/dedup.md); a value held by more than ``max_docs`` documents is passed
    over. What banding cannot find: a short text inside a long one."""
    if isinstance(max_docs, bool) or not isinstance(max_docs, (int, np.integer)) or max_docs < 0:
        raise ValueError(f"max_docs must be an int >= 0, got {max_docs!r}")
    check_threads(num_threads)
    values = uint64_array(values, "values", 1)
    offsets = uint64_array(offsets, "offsets", 1)
    if len(offsets) and int(offsets.max()) >= 1 << 63:
        raise ValueError(f"offsets must be below 2**63, got {int(offsets.max())}")
    offsets = offsets.astype(np.int64)
    # No value is held by more documents than there are: a larger max_docs means the same.
    held_at_most = min(int(max_docs), len(offsets))
    return np.asarray(_impl.anchor_pairs(values, offsets, held_at_most, num_threads), dtype=np.int64).reshape(-1, 2)


def band_keys(signatures: Signatures | np.ndarray, bands: int, rows: int, *, num_threads: int | None = None) -> np.ndarray:
    """The LSH band keys of each signature, ``(n, bands)`` uint64: band ``j`` of a signature is
    its values ``j * rows`` to ``(j + 1) * rows``, and two documents share a band when their
    keys of it are equal (the key is specified in rust/lsh.rs, so stored keys stay valid)."""
    values = signature_matrix(signatures)
    bands, rows = check_params((bands, rows), values.shape[1])
    check_threads(num_threads)
    return np.asarray(_impl.band_keys(values, bands, rows, num_threads), dtype=np.uint64).reshape(-1, bands)


def _signature_row(signature: Any, num_perm: int | None = None) -> np.ndarray:
    values = getattr(signature, "hashvalues", signature)  # a datasketch MinHash works too
    values = uint64_array(values, "a signature", 1)
    if num_perm is not None and len(values) != num_perm:
        raise ValueError(f"signature has {len(values)} values, the index expects num_perm={num_perm}")
    return values


#: Format and version of a pickled MinHashLSH's state (``MinHashLSH.__getstate__``).
LSH_STATE_FORMAT = "neardup-minhash-lsh"
LSH_STATE_VERSION = 1


class MinHashLSH:
    """An LSH index of MinHash signatures under arbitrary hashable keys (datasketch's
    ``MinHashLSH`` vocabulary). Signatures are 1-d arrays of ``num_perm`` values, rows of a
    :class:`Signatures`, or datasketch ``MinHash`` objects.

    ``query`` returns the keys of indexed documents sharing a band with the signature, in
    insertion order; they are candidates, to be verified.
    """

    def __init__(
        self,
        threshold: float = 0.9,
        num_perm: int = 128,
        weights: tuple[float, float] = (0.5, 0.5),
        params: tuple[int, int] | None = None,
    ) -> None:
        self.num_perm = check_num_perm(num_perm)
        self.threshold = check_threshold(threshold)
        if params is not None:
            self.bands, self.rows = check_params(params, self.num_perm)
        else:
            self.bands, self.rows = lsh_params(self.threshold, self.num_perm, weights)
        self._index = _impl.LshIndex(self.num_perm, self.bands, self.rows)
        self._ids: dict[Hashable, int] = {}
        self._keys: dict[int, Hashable] = {}
        self._next_id = 0

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._ids

    def is_empty(self) -> bool:
        return not self._ids

    def insert(self, key: Hashable, minhash: Any) -> None:
        """Index ``minhash`` under ``key`` (a key already present raises ``ValueError``)."""
        if key in self._ids:
            raise ValueError(f"key {key!r} is already in the index")
        self._index.insert(self._next_id, _signature_row(minhash, self.num_perm))
        self._remember([key])

    def _remember(self, keys: list[Hashable]) -> None:
        """Give ``keys`` the next ids, in order (they are already in the core index)."""
        ids = range(self._next_id, self._next_id + len(keys))
        self._ids.update(zip(keys, ids))
        self._keys.update(zip(ids, keys))
        self._next_id += len(keys)

    def insert_batch(
        self, keys: Sequence[Hashable], signatures: Signatures | np.ndarray, *, num_threads: int | None = None
    ) -> None:
        """Index row ``i`` of ``signatures`` under ``keys[i]``, all or nothing."""
        keys = list(as_list(keys, "keys"))
        values = signature_matrix(signatures)
        check_new_keys(keys, len(values), self._ids, "signatures")
        check_threads(num_threads)
        first = self._next_id
        ids = np.arange(first, first + len(keys), dtype=np.uint64)
        self._index.insert_batch(ids, values, num_threads)
        self._remember(keys)

    def remove(self, key: Hashable) -> None:
        """Remove ``key`` from the index (an absent key raises ``ValueError``)."""
        if key not in self._ids:
            raise ValueError(f"key {key!r} is not in the index")
        id_ = self._ids.pop(key)
        self._index.remove(id_)
        del self._keys[id_]

    def query(self, minhash: Any) -> list[Hashable]:
        """Keys of indexed documents sharing at least one band with ``minhash``."""
        found = self._index.query(_signature_row(minhash, self.num_perm))
        return [self._keys[int(i)] for i in np.asarray(found).tolist()]

    def query_batch(self, signatures: Signatures | np.ndarray, *, num_threads: int | None = None) -> list[list[Hashable]]:
        """:meth:`query` for every row of ``signatures``, in parallel with the GIL released."""
        values = signature_matrix(signatures)
        if len(values) and values.shape[1] != self.num_perm:
            raise ValueError(f"signatures have {values.shape[1]} values, the index expects num_perm={self.num_perm}")
        check_threads(num_threads)
        ids, offsets = self._index.query_batch(values, num_threads)
        keys = list(map(self._keys.__getitem__, np.asarray(ids).tolist()))
        bounds = np.asarray(offsets).tolist()
        return [keys[start:end] for start, end in zip(bounds, bounds[1:])]

    def candidate_pairs(self) -> list[tuple[Hashable, Hashable]]:
        """Every pair of indexed keys sharing a band, earlier-inserted key first, sorted by
        insertion order."""
        pairs = np.asarray(self._index.candidate_pairs()).reshape(-1, 2).tolist()
        return [(self._keys[a], self._keys[b]) for a, b in pairs]

    def __getstate__(self) -> dict[str, Any]:
        """The index as plain data (format ``neardup-minhash-lsh``, version 1): its parameters,
        the keys in insertion order and each one's band keys. Pickling goes through it."""
        ids, band_keys = self._index.band_table()
        return {"format": LSH_STATE_FORMAT, "version": LSH_STATE_VERSION, "threshold": self.threshold,
                "num_perm": self.num_perm, "bands": self.bands, "rows": self.rows,
                "keys": [self._keys[int(i)] for i in np.asarray(ids).tolist()],
                "band_keys": np.asarray(band_keys, dtype=np.uint64), "next_id": self._next_id}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or state.get("format") != LSH_STATE_FORMAT or state.get("version") != LSH_STATE_VERSION:
            raise ValueError(f"not a MinHashLSH state (expected format {LSH_STATE_FORMAT!r} version {LSH_STATE_VERSION})")
        self.threshold, self.num_perm = check_threshold(state["threshold"]), check_num_perm(state["num_perm"])
        self.bands, self.rows = check_params((state["bands"], state["rows"]), self.num_perm)
        keys, band_keys = list(state["keys"]), np.asarray(state["band_keys"], dtype=np.uint64).reshape(-1, self.bands)
        if len(keys) != len(band_keys):
            raise ValueError(f"MinHashLSH state: {len(keys)} keys for {len(band_keys)} rows of band keys")
        self._index = _impl.LshIndex(self.num_perm, self.bands, self.rows)
        # Ids are renumbered in insertion order: queries answer in that order all the same.
        self._index.insert_band_keys(np.arange(len(keys), dtype=np.uint64), band_keys)
        self._ids, self._keys, self._next_id = {}, {}, 0
        self._remember(keys)
