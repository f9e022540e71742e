"""MinHash signatures of documents and their estimates of Jaccard similarity.

The vocabulary is datasketch's: ``num_perm``, ``seed``, ``scheme``. The heavy lifting runs in
the active backend (:func:`neardup.backend`); both backends give identical results.

MinHash schemes (all specified bit for bit in ``neardup._reference.minhash``, so stored
signatures stay valid across releases and platforms):

* ``"classic"``: ``num_perm`` affine permutations of the 64-bit shingle hashes, parameters
  from a splitmix64 stream seeded with ``seed``. One pass over the shingles per permutation.
* ``"oph"``: one-permutation hashing with optimal densification (Shrivastava 2017): one hash
  per shingle spread over ``num_perm`` bins, empty bins filled from other bins. Much faster
  on long documents, with the same expected estimate.
* datasketch's ``"affine32"`` (its default), ``"affine64"`` and ``"legacy"`` via
  :func:`datasketch_minhash`: byte shingles hashed and permuted exactly as
  ``datasketch.MinHash(num_perm=..., seed=..., scheme=...).update_batch(...)`` does.

Candidate pairs of similar signatures come from :mod:`neardup.lsh`; their verification and
clusters from :mod:`neardup.cluster`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from . import _backend
from ._arrays import index_pairs, uint64_array
from ._reference.minhash import DATASKETCH_SCHEMES, SCHEMES, check_num_perm, datasketch_permutations
from ._reference.text import as_int, check_seed, check_shingle_args, check_threads
from .csr import arrays_to_csr, document_list, shingle_csr

__all__ = ["Signatures", "datasketch_minhash", "estimate_jaccard", "minhash", "signature_matrix"]

_impl = _backend.IMPL


@dataclass(frozen=True, eq=False)
class Signatures:
    """MinHash signatures of many documents: ``values[i]`` is document ``i``'s signature.

    ``values`` is a ``(n_docs, num_perm)`` ``uint64`` array; ``scheme`` names how it was
    made (``"classic"``, ``"oph"`` or a datasketch scheme) and ``seed`` with which seed.
    Signatures of different schemes, seeds or sizes are not comparable.
    """

    values: np.ndarray
    seed: int
    scheme: str

    @property
    def num_perm(self) -> int:
        return int(self.values.shape[1])

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def __getitem__(self, i: int) -> np.ndarray:
        return self.values[i]

    def jaccard(self, i: int, j: int) -> float:
        """The MinHash estimate of the Jaccard similarity of documents ``i`` and ``j``."""
        return float(estimate_jaccard(self, [(i, j)])[0])

    def digest(self, i: int) -> np.ndarray:
        """Document ``i``'s hash values in datasketch's dtype (``uint32`` for ``affine32``)."""
        return self.values[i].astype(np.uint32 if self.scheme == "affine32" else np.uint64)

    def to_datasketch(self) -> list[Any]:
        """One ``datasketch.MinHash`` per document, with these hash values, seed and scheme
        (only for signatures made by :func:`datasketch_minhash` or taken from datasketch)."""
        if not isinstance(self.scheme, str) or self.scheme not in DATASKETCH_SCHEMES:
            raise ValueError(
                f"signatures of neardup's scheme {self.scheme!r} have no datasketch equivalent; "
                "make them with datasketch_minhash() to exchange them with datasketch"
            )
        import datasketch

        return [datasketch.MinHash(seed=self.seed, hashvalues=self.digest(i), scheme=self.scheme) for i in range(len(self))]

    @classmethod
    def from_datasketch(cls, minhashes: Iterable[Any]) -> Signatures:
        """Signatures from ``datasketch.MinHash`` (or ``LeanMinHash``) objects sharing one
        ``num_perm``, seed and scheme."""
        rows, seed, scheme = [], None, None
        for i, m in enumerate(minhashes):
            try:
                values, m_seed = np.asarray(m.hashvalues), int(m.seed)
            except AttributeError:
                raise TypeError(f"document {i}: expected a datasketch MinHash, got {type(m).__name__}") from None
            m_scheme = getattr(m, "scheme", "legacy")
            if seed is None:
                seed, scheme = m_seed, m_scheme
            elif (m_seed, m_scheme) != (seed, scheme):
                raise ValueError(
                    f"document {i}: seed {m_seed} / scheme {m_scheme!r} differ from document 0's {seed} / {scheme!r}"
                )
            if rows and len(values) != len(rows[0]):
                raise ValueError(f"document {i}: num_perm {len(values)} differs from document 0's {len(rows[0])}")
            rows.append(values.astype(np.uint64))
        if not rows:
            raise ValueError("from_datasketch needs at least one MinHash")
        return cls(np.vstack(rows), int(seed), str(scheme))


def minhash(
    docs: Iterable[str] | Any,
    *,
    num_perm: int = 128,
    seed: int = 1,
    scheme: str = "classic",
    n: int = 5,
    kind: str = "word",
    shingle_seed: int = 0,
    num_threads: int | None = None,
) -> Signatures:
    """MinHash signatures of many documents, in parallel with the GIL released.

    ``docs`` are texts (shingled like :func:`neardup.shingles_batch` with ``n``, ``kind`` and
    ``shingle_seed``), a :class:`neardup.Shingles` of pre-hashed shingles, or a sequence of
    ``uint64`` arrays of shingle hashes. ``scheme`` is ``"classic"`` or ``"oph"`` (see the
    module docstring). A document without shingles signs as ``2**64 - 1`` everywhere.
    """
    num_perm = check_num_perm(num_perm)
    seed = check_seed(seed)
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ValueError(f"scheme must be 'classic' or 'oph', got {scheme!r} (datasketch schemes: datasketch_minhash)")
    num_threads = check_threads(num_threads)
    csr = shingle_csr(docs)
    if csr is None:
        docs = document_list(docs)
        if docs and not isinstance(docs[0], str):
            csr = arrays_to_csr(docs)
    if csr is not None:
        values = _impl.minhash_shingles(csr[0], csr[1], num_perm, seed, scheme, num_threads)
    else:
        n, kind, shingle_seed = check_shingle_args(n, kind, shingle_seed)
        values = _impl.minhash_texts(docs, num_perm, seed, scheme, n, kind, shingle_seed, num_threads)
    return Signatures(np.asarray(values, dtype=np.uint64).reshape(-1, num_perm), seed, scheme)


def datasketch_minhash(
    docs: Iterable[Iterable[bytes]],
    *,
    num_perm: int = 128,
    seed: int = 1,
    scheme: str = "affine32",
    num_threads: int | None = None,
) -> Signatures:
    """datasketch-compatible signatures: document ``i``'s hash values equal those of
    ``m = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme=scheme);
    m.update_batch(docs[i])`` (datasketch's default SHA-1 based hash), for the schemes
    ``"affine32"`` (datasketch 2's default), ``"affine64"`` and ``"legacy"`` (datasketch < 2).
    datasketch's permutations come from ``numpy.random.RandomState(seed)``, so ``seed``
    must be in ``[0, 2**32)``. The signatures convert to datasketch objects with
    :meth:`Signatures.to_datasketch`.
    """
    if not isinstance(scheme, str) or scheme not in DATASKETCH_SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(DATASKETCH_SCHEMES)}, got {scheme!r}")
    number = as_int(seed)
    if number is None or not 0 <= number < 1 << 32:
        raise ValueError(f"seed must be an int in [0, 2**32) (numpy RandomState), got {seed!r}")
    seed = number
    num_perm = check_num_perm(num_perm)
    num_threads = check_threads(num_threads)
    a, b = _datasketch_permutations(num_perm, seed, scheme)
    values = _impl.datasketch_minhash(document_list(docs), a, b, scheme, num_threads)
    return Signatures(np.asarray(values, dtype=np.uint64).reshape(-1, num_perm), seed, scheme)


@lru_cache(maxsize=32)
def _datasketch_permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    return datasketch_permutations(num_perm, seed, scheme)


def estimate_jaccard(signatures: Signatures | np.ndarray, pairs: Any, *, num_threads: int | None = None) -> np.ndarray:
    """MinHash estimates of the Jaccard similarity of each pair: the share of equal positions."""
    num_threads = check_threads(num_threads)
    return np.asarray(_impl.estimate_pairs(signature_matrix(signatures), index_pairs(pairs), num_threads))


def signature_matrix(signatures: Signatures | np.ndarray) -> np.ndarray:
    """The ``(n_docs, num_perm)`` uint64 matrix of :class:`Signatures` or of an array, checked."""
    values = signatures.values if isinstance(signatures, Signatures) else signatures
    return uint64_array(values, "signatures (an (n_docs, num_perm) array)", 2)
