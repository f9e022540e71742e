"""Pure-Python reference of neardup's verification and clusters: MinHash estimates and
exact overlaps of candidate pairs, and deterministic clusters (the twin of rust/cluster.rs,
held to these functions bit for bit).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from . import text as _text
from .csr import as_uint64, as_uint64_matrix, check_offsets


def check_pairs(n: int, pairs) -> list[tuple[int, int]]:
    pairs = np.asarray(pairs, dtype=np.int64)
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise ValueError(f"pairs must be an (m, 2) array, got shape {pairs.shape}")
    out = [(int(i), int(j)) for i, j in pairs.tolist()]
    for k, (i, j) in enumerate(out):
        if i < 0 or j < 0:
            raise ValueError(f"pair {k}: negative document index")
    for k, (i, j) in enumerate(out):
        if i >= n or j >= n:
            raise ValueError(f"pair {k}: document {i if i >= n else j} out of range for {n} documents")
    return out


def check_need(need, pairs: int) -> list[int] | None:
    """The needs of ``set_overlaps`` and ``text_overlaps``: one count >= 0 per pair, or None."""
    if need is None:
        return None
    values = np.asarray(need, dtype=np.int64).reshape(-1).tolist()
    for k, v in enumerate(values):
        if v < 0:
            raise ValueError(f"need[{k}] must be >= 0, got {v}")
    if len(values) != pairs:
        raise ValueError(f"need has {len(values)} values for {pairs} pairs")
    return values


def at_least(counts: list[int], need: list[int] | None) -> np.ndarray:
    """``counts``, with each below its pair's ``need`` given as 0."""
    if need is not None:
        counts = [c if c >= k else 0 for c, k in zip(counts, need)]
    return np.array(counts, dtype=np.int64)


def estimate_pairs(signatures, pairs, num_threads=None):
    signatures = as_uint64_matrix(signatures)
    n, num_perm = signatures.shape
    pairs = check_pairs(n, pairs)
    if num_perm == 0:
        return np.zeros(len(pairs), dtype=np.float64)
    return np.array(
        [int(np.count_nonzero(signatures[i] == signatures[j])) / num_perm for i, j in pairs], dtype=np.float64
    )


def set_overlaps(hashes, offsets, pairs, num_threads=None, need=None):
    hashes = as_uint64(hashes)
    offsets = check_offsets(offsets, len(hashes))
    n = len(offsets) - 1
    pairs = check_pairs(n, pairs)
    need = check_need(need, len(pairs))
    sets = [set(hashes[offsets[i] : offsets[i + 1]].tolist()) for i in range(n)]
    inter = at_least([len(sets[i] & sets[j]) for i, j in pairs], need)
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    return inter, sizes


def text_overlaps(texts, pairs, n=5, kind="word", seed=0, num_threads=None, need=None):
    n, kind, seed = _text.check_shingle_args(n, kind, seed)
    docs = [_text.check_text(t, i) for i, t in enumerate(texts)]
    pairs = check_pairs(len(docs), pairs)
    need = check_need(need, len(pairs))
    sets: dict[int, set[int]] = {}
    for pair in pairs:
        for d in pair:
            if d not in sets:
                sets[d] = set(_text.shingles(docs[d], n, kind, seed))
    return at_least([len(sets[i] & sets[j]) for i, j in pairs], need)


def cluster(n, pairs, priority):
    pairs = check_pairs(n, pairs)
    priority = np.asarray(priority, dtype=np.float64)
    if priority.ndim != 2 or priority.shape[0] != n:
        raise ValueError(f"priority has {priority.shape[0] if priority.ndim else 0} rows for {n} documents")
    try:
        root = list(range(n))
    except MemoryError:  # as the core: an error rather than a crash for an absurd n
        raise ValueError(f"n = {n} documents do not fit in memory") from None
    nan = np.flatnonzero(np.isnan(priority).any(axis=1)) if priority.shape[1] else []
    if len(nan):
        raise ValueError(f"document {int(nan[0])}: priority is NaN")
    rows = [tuple(row) for row in priority.tolist()]

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for i, j in pairs:
        a, b = find(i), find(j)
        if a < b:
            root[b] = a
        elif b < a:
            root[a] = b
    best = list(range(n))
    for i in range(n):
        r = find(i)
        if rows[i] > rows[best[r]]:
            best[r] = i
    rep = [best[find(i)] for i in range(n)]
    adjacency: list[set[int]] = [set() for _ in range(n)]
    for i, j in pairs:
        if i != j:
            adjacency[i].add(j)
            adjacency[j].add(i)
    via = list(range(n))
    seen = [False] * n
    for start in range(n):
        if rep[start] != start or not adjacency[start]:
            continue
        seen[start] = True
        queue = deque([start])
        while queue:
            u = queue.popleft()
            for v in sorted(adjacency[u]):
                if not seen[v]:
                    seen[v] = True
                    via[v] = u
                    queue.append(v)
    return np.array(rep, dtype=np.int64), np.array(via, dtype=np.int64)
