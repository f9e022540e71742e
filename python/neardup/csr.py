"""Many documents' shingle hashes in one flat array (CSR layout, as the core takes them):
document ``i`` owns ``hashes[offsets[i]:offsets[i + 1]]``. MinHash, SimHash and the exact
overlaps accept documents as texts, a :class:`neardup.Shingles`, or a sequence of ``uint64``
arrays of shingle hashes; these functions tell them apart and convert the arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ._arrays import as_list, count_array, uint64_array
from .text import Shingles


def shingle_csr(docs: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(hashes, offsets)`` if ``docs`` are pre-hashed shingles, ``None`` if they are texts.

    A user-built :class:`Shingles` is checked as arrays of shingle hashes are: ``uint64``
    hashes and integer offsets >= 0, never cast (a float hash would be truncated to another
    shingle). That the offsets start at 0, never decrease and end at ``len(hashes)`` is
    checked by the core (both backends, with the same messages)."""
    if isinstance(docs, Shingles):
        return uint64_array(docs.hashes, "Shingles.hashes (shingle hashes)", 1), count_array(docs.offsets, "Shingles.offsets")
    return None


def document_list(docs: Iterable[Any]) -> list[Any]:
    """The documents argument as a list (a single str or a non-iterable refused)."""
    docs = as_list(docs, "documents")
    return docs if isinstance(docs, list) else list(docs)


def arrays_to_csr(arrays: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, offsets)`` of documents given as ``uint64`` arrays of shingle hashes."""
    parts = []
    for i, a in enumerate(arrays):
        try:
            parts.append(uint64_array(a, "shingle hashes", 1))
        except ValueError:
            raise TypeError(f"document {i}: expected a 1-d array of uint64 shingle hashes") from None
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    hashes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    return hashes, offsets


def csr_rows(values: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(values, offsets)`` of the documents ``rows`` (an int64 array of positions, in the
    order wanted) of a CSR ``(values, offsets)``."""
    starts = offsets[rows]
    counts = offsets[rows + 1] - starts
    taken = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=taken[1:])
    # Row k's values are at starts[k] + (0 .. counts[k]): the positions, made in one pass.
    return values[np.arange(taken[-1], dtype=np.int64) - np.repeat(taken[:-1] - starts, counts)], taken
