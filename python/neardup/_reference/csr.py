"""Many documents' values in one flat array (CSR layout), checked as the core checks them
(the twin of rust/csr.rs): document ``i`` owns ``values[offsets[i]:offsets[i + 1]]``.
Shingle hashes come this way to MinHash, SimHash and the exact overlaps. A dense matrix is
the case of rows of one width (signatures, band keys).
"""

from __future__ import annotations

import numpy as np


def as_uint64(values) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.uint64)


def as_uint64_matrix(values) -> np.ndarray:
    values = np.asarray(values, dtype=np.uint64)
    if values.ndim != 2:
        raise ValueError(f"signatures must be a 2-dimensional array, got {values.ndim} dimensions")
    return values


def check_offsets(offsets, length: int) -> list[int]:
    offsets = [int(v) for v in np.asarray(offsets).tolist()]
    if any(v < 0 for v in offsets):
        raise ValueError("offsets must be >= 0")
    if not offsets or offsets[0] != 0:
        raise ValueError("offsets must start with 0")
    for doc in range(len(offsets) - 1):
        if offsets[doc + 1] < offsets[doc]:
            raise ValueError(f"document {doc}: offsets decrease ({offsets[doc]} > {offsets[doc + 1]})")
    if offsets[-1] != length:
        raise ValueError(f"offsets must end at the number of hashes ({length}), got {offsets[-1]}")
    return offsets
