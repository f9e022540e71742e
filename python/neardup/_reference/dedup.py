"""Pure-Python reference of neardup's dedup primitives: MinHash signatures (neardup's
classic and OPH schemes, and datasketch's schemes), LSH band keys and candidate pairs,
verification and clusters. The Rust core (rust/minhash.rs, rust/lsh.rs, rust/cluster.rs)
is held to these functions bit for bit; numpy is used where its uint64 arithmetic (which
wraps mod 2**64) is exactly the specified arithmetic.

The specification of every hash (also in rust/minhash.rs):

* ``splitmix64``: ``state += 0x9E3779B97F4A7C15; z = state;
  z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9; z = (z ^ z >> 27) * 0x94D049BB133111EB;
  return z ^ z >> 31`` (mod 2**64). All parameters derive from the 64-bit ``seed`` with it.
* ``fmix64`` / ``fmix32``: the MurmurHash3 finalizers.
* classic: ``a_i = splitmix64() | 1``, ``b_i = splitmix64()`` for ``i = 0 .. num_perm - 1``
  from a generator seeded with ``seed``;
  ``sig[i] = min over shingles x of (a_i * fmix64(x) + b_i) mod 2**64``.
* oph: ``key, dkey`` = the first two splitmix64 outputs; ``v = fmix64(x ^ key)``, bin
  ``v % k``, value ``v // k``, minimum per bin. An empty bin ``j`` takes the value of bin
  ``fmix64(dkey ^ (j << 32 | t)) % k`` for the first ``t = 1, 2, ...`` landing on an
  originally filled bin; after ``64 k`` misses, the first filled bin after ``j`` cyclically.
* An empty shingle set signs as ``2**64 - 1`` everywhere.
* band key of band ``j`` (values ``v`` of ``sig[j*rows:(j+1)*rows]`` in order):
  ``h = fmix64(j + 0x9E3779B97F4A7C15)``, then ``h = fmix64(h ^ v)`` per value.
"""

from __future__ import annotations

import hashlib
from collections import deque

import numpy as np

from . import text as _text

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15
MERSENNE_61 = (1 << 61) - 1
MAX_NUM_PERM = 1 << 16
SCHEMES = ("classic", "oph")
DATASKETCH_SCHEMES = ("affine32", "affine64", "legacy")

_U64 = np.uint64
_FMIX64 = (_U64(33), _U64(0xFF51AFD7ED558CCD), _U64(0xC4CEB9FE1A85EC53))
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
# Rows of shingles multiplied at once by the classic scheme (bounds the temporary matrix).
_CHUNK = 2048


def splitmix64_stream(seed: int, count: int) -> list[int]:
    state = seed
    out = []
    for _ in range(count):
        state = (state + GOLDEN_GAMMA) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        out.append(z ^ (z >> 31))
    return out


def fmix64_int(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & M64
    return k ^ (k >> 33)


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer over a uint64 array (wrapping multiplication)."""
    s, m1, m2 = _FMIX64
    h = values ^ (values >> s)
    h = h * m1
    h = h ^ (h >> s)
    h = h * m2
    return h ^ (h >> s)


def fmix32(values: np.ndarray) -> np.ndarray:
    s16, m1, s13, m2 = _FMIX32
    h = values ^ (values >> s16)
    h = h * m1
    h = h ^ (h >> s13)
    h = h * m2
    return h ^ (h >> s16)


def check_num_perm(num_perm: int) -> None:
    if isinstance(num_perm, bool) or not isinstance(num_perm, int) or not 1 <= num_perm <= MAX_NUM_PERM:
        raise ValueError(f"num_perm must be in [1, {MAX_NUM_PERM}], got {num_perm!r}")


def check_scheme(scheme: str) -> None:
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ValueError(f"scheme must be 'classic' or 'oph', got {scheme!r}")


def classic_permutations(num_perm, seed=1):
    check_num_perm(num_perm)
    _text.check_seed(seed)
    stream = splitmix64_stream(seed, 2 * num_perm)
    a = np.array(stream[0::2], dtype=np.uint64) | _U64(1)
    b = np.array(stream[1::2], dtype=np.uint64)
    return a, b


class _Signer:
    def __init__(self, num_perm: int, seed: int, scheme: str):
        check_scheme(scheme)
        check_num_perm(num_perm)
        _text.check_seed(seed)
        self.num_perm = num_perm
        self.scheme = scheme
        if scheme == "classic":
            self.a, self.b = classic_permutations(num_perm, seed)
        else:
            self.key, self.dkey = splitmix64_stream(seed, 2)

    def sign(self, shingles: np.ndarray) -> np.ndarray:
        out = np.full(self.num_perm, M64, dtype=np.uint64)
        if len(shingles) == 0:
            return out
        if self.scheme == "classic":
            x = fmix64(shingles)
            for start in range(0, len(x), _CHUNK):
                block = x[start : start + _CHUNK, None] * self.a[None, :] + self.b[None, :]
                out = np.minimum(out, block.min(axis=0))
            return out
        k = _U64(self.num_perm)
        v = fmix64(shingles ^ _U64(self.key))
        bins = (v % k).astype(np.intp)
        np.minimum.at(out, bins, v // k)
        filled = np.zeros(self.num_perm, dtype=bool)
        filled[bins] = True
        return densify(self.dkey, filled, out)


# Probes computed at once by densify (rows x attempts): bounds its temporary arrays.
_PROBES_AT_ONCE = 1 << 20


def densify(dkey: int, filled: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Fill the empty bins of an OPH signature ``out`` (``filled[j]`` False) by optimal
    densification, as specified above: bin ``j`` copies the first originally filled bin among
    ``fmix64(dkey ^ (j << 32 | t)) % k`` for ``t = 1, 2, ...``, else, after ``64 k`` misses,
    the first filled bin after ``j`` cyclically. Returns ``out``.

    The specification's values; the work is the core's (rust/minhash.rs ``densify``): when
    every filled bin holds one value (one shingle) every donor gives it and nothing is probed;
    otherwise the probes of all empty bins run as numpy arrays, a block of attempts at a time,
    and a bin is settled at its first hit."""
    k = len(out)
    donors = np.flatnonzero(filled)
    if len(donors) == 0:
        return out
    if (out[donors] == out[donors[0]]).all():
        out[:] = out[donors[0]]
        return out
    original = out.copy()
    pending = np.flatnonzero(~filled).astype(np.uint64)
    base = _U64(dkey) ^ (pending << _U64(32))  # t <= 64 k < 2**32: `| t` is `^ t`
    max_attempts = 64 * k
    # A bin needs k / f attempts on average: a block of about twice that settles most bins.
    block = min(max(8, 2 * k // len(donors)), max_attempts)
    t = 1
    while len(pending) and t <= max_attempts:
        width = min(block, max_attempts - t + 1)
        rows = max(1, _PROBES_AT_ONCE // width)
        settled = np.zeros(len(pending), dtype=bool)
        for start in range(0, len(pending), rows):
            attempts = _U64(t) + np.arange(width, dtype=np.uint64)
            candidates = fmix64(base[start : start + rows, None] ^ attempts[None, :]) % _U64(k)
            hits = filled[candidates.astype(np.intp)]
            found = hits.any(axis=1)
            first = hits.argmax(axis=1)
            chosen = candidates[np.arange(len(first)), first].astype(np.intp)
            where = pending[start : start + rows].astype(np.intp)
            out[where[found]] = original[chosen[found]]
            settled[start : start + rows] = found
        pending, base = pending[~settled], base[~settled]
        t += width
    for j in pending.astype(np.intp).tolist():  # 64 k misses (probability below e**-64)
        donor = next((j + s) % k for s in range(1, k) if filled[(j + s) % k])
        out[j] = original[donor]
    return out


def _as_u64(values) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.uint64)


def minhash_texts(texts, num_perm=128, seed=1, scheme="classic", n=5, kind="word", shingle_seed=0, num_threads=None):
    signer = _Signer(num_perm, seed, scheme)
    _text.check_shingle_args(n, kind, shingle_seed)
    docs = [_text.check_text(t, i) for i, t in enumerate(texts)]
    out = np.empty((len(docs), num_perm), dtype=np.uint64)
    for i, t in enumerate(docs):
        out[i] = signer.sign(np.array(_text.shingles(t, n, kind, shingle_seed), dtype=np.uint64))
    return out


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


def minhash_shingles(hashes, offsets, num_perm=128, seed=1, scheme="classic", num_threads=None):
    signer = _Signer(num_perm, seed, scheme)
    hashes = _as_u64(hashes)
    offsets = check_offsets(offsets, len(hashes))
    out = np.empty((len(offsets) - 1, num_perm), dtype=np.uint64)
    for i in range(len(offsets) - 1):
        out[i] = signer.sign(hashes[offsets[i] : offsets[i + 1]])
    return out


# ---------------------------------------------------------------------------------------
# datasketch interoperability


def datasketch_permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutation parameters ``(a, b)`` (datasketch 2.x
    ``MinHash._init_permutations``), drawn from ``numpy.random.RandomState(seed)`` exactly as
    datasketch draws them, as uint64 arrays."""
    check_datasketch_scheme(scheme)
    check_num_perm(num_perm)
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        pairs = np.array(
            [
                (gen.randint(1, MERSENNE_61, dtype=np.uint64), gen.randint(0, MERSENNE_61, dtype=np.uint64))
                for _ in range(num_perm)
            ],
            dtype=np.uint64,
        ).T
        return pairs[0].copy(), pairs[1].copy()
    width = 32 if scheme == "affine32" else 64
    dtype = np.uint32 if width == 32 else np.uint64
    a = gen.randint(0, 1 << (width - 1), num_perm, dtype=dtype) * dtype(2) + dtype(1)
    b = gen.randint(0, 1 << width, num_perm, dtype=dtype)
    return a.astype(np.uint64), b.astype(np.uint64)


def check_datasketch_scheme(scheme: str) -> None:
    if not isinstance(scheme, str) or scheme not in DATASKETCH_SCHEMES:
        raise ValueError(f"datasketch scheme must be 'affine32', 'affine64' or 'legacy', got {scheme!r}")


def _byte_docs(docs) -> list[list[bytes]]:
    out = []
    for i, doc in enumerate(docs):
        if isinstance(doc, (str, bytes)):
            raise TypeError(f"document {i}: expected a sequence of bytes shingles, got {type(doc).__name__}")
        shingles = []
        for j, item in enumerate(doc):
            if isinstance(item, str):
                raise TypeError(f"document {i}, shingle {j}: expected bytes, got str (encode it, e.g. as UTF-8)")
            try:
                shingles.append(bytes(memoryview(item)))
            except TypeError:
                raise TypeError(f"document {i}, shingle {j}: expected bytes, got {type(item).__name__}") from None
        out.append(shingles)
    return out


def datasketch_minhash(docs, a, b, scheme="affine32", num_threads=None):
    check_datasketch_scheme(scheme)
    a = _as_u64(a)
    b = _as_u64(b)
    if len(a) != len(b):
        raise ValueError(f"permutation parameters differ in length: {len(a)} and {len(b)}")
    check_num_perm(len(a))
    if scheme == "affine32" and (np.any(a > _U64(M32)) or np.any(b > _U64(M32))):
        raise ValueError("affine32 permutation parameters must fit in 32 bits")
    if scheme != "legacy" and np.any(a & _U64(1) == _U64(0)):
        raise ValueError("affine permutation parameters `a` must be odd")
    docs = _byte_docs(docs)
    empty = M64 if scheme == "affine64" else M32
    out = np.full((len(docs), len(a)), empty, dtype=np.uint64)
    for i, shingles in enumerate(docs):
        if not shingles:
            continue
        digests = [hashlib.sha1(s).digest() for s in shingles]
        if scheme == "affine32":
            hv = fmix32(np.array([int.from_bytes(d[:4], "little") for d in digests], dtype=np.uint32))
            phv = hv[:, None] * a.astype(np.uint32)[None, :] + b.astype(np.uint32)[None, :]
        elif scheme == "affine64":
            hv = fmix64(np.array([int.from_bytes(d[:8], "little") for d in digests], dtype=np.uint64))
            phv = hv[:, None] * a[None, :] + b[None, :]
        else:
            hv = np.array([int.from_bytes(d[:4], "little") for d in digests], dtype=np.uint64)
            phv = ((hv[:, None] * a[None, :] + b[None, :]) % _U64(MERSENNE_61)) & _U64(M32)
        out[i] = phv.min(axis=0)
    return out


# ---------------------------------------------------------------------------------------
# LSH


def check_bands(num_perm: int, bands: int, rows: int) -> None:
    if bands < 1 or rows < 1 or bands * rows > num_perm:
        raise ValueError(
            f"bands and rows must be >= 1 with bands * rows <= num_perm ({num_perm}), got bands={bands}, rows={rows}"
        )


def _matrix(signatures) -> np.ndarray:
    signatures = np.asarray(signatures, dtype=np.uint64)
    if signatures.ndim != 2:
        raise ValueError(f"signatures must be a 2-dimensional array, got {signatures.ndim} dimensions")
    return signatures


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
    signatures = _matrix(signatures)
    check_bands(signatures.shape[1], bands, rows)
    return _band_key_columns(signatures, bands, rows)


def _pairs_array(pairs) -> np.ndarray:
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def candidate_pairs(signatures, bands, rows, num_threads=None):
    signatures = _matrix(signatures)
    check_bands(signatures.shape[1], bands, rows)
    keys = _band_key_columns(signatures, bands, rows)
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
        signatures = _matrix(signatures)
        n, num_perm = signatures.shape
        if len(ids) != n:
            raise ValueError(f"{len(ids)} ids for {n} signatures")
        if num_perm != self.num_perm:
            raise ValueError(f"signatures have {num_perm} values, the index expects num_perm={self.num_perm}")
        seen = set()
        for k, id in enumerate(ids):
            if id in self._keys or id in seen:
                raise ValueError(f"document {k}: id {id} is already in the index")
            seen.add(id)
        keys = _band_key_columns(signatures, self.bands, self.rows).tolist()
        for id, row in zip(ids, keys):
            self._insert_keys(id, row)

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
        keys = _matrix(keys)
        n, bands = keys.shape
        if n != len(ids):
            raise ValueError(f"{len(ids)} ids for {n} rows of band keys")
        if n and bands != self.bands:
            raise ValueError(f"rows of {bands} band keys, the index has {self.bands} bands")
        seen = set()
        for k, id in enumerate(ids):
            if id in self._keys or id in seen:
                raise ValueError(f"document {k}: id {id} is already in the index")
            seen.add(id)
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
        signatures = _matrix(signatures)
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


# ---------------------------------------------------------------------------------------
# Verification and clusters


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


def estimate_pairs(signatures, pairs, num_threads=None):
    signatures = _matrix(signatures)
    n, num_perm = signatures.shape
    pairs = check_pairs(n, pairs)
    if num_perm == 0:
        return np.zeros(len(pairs), dtype=np.float64)
    return np.array(
        [int(np.count_nonzero(signatures[i] == signatures[j])) / num_perm for i, j in pairs], dtype=np.float64
    )


def set_overlaps(hashes, offsets, pairs, num_threads=None):
    hashes = _as_u64(hashes)
    offsets = check_offsets(offsets, len(hashes))
    n = len(offsets) - 1
    pairs = check_pairs(n, pairs)
    sets = [set(hashes[offsets[i] : offsets[i + 1]].tolist()) for i in range(n)]
    inter = np.array([len(sets[i] & sets[j]) for i, j in pairs], dtype=np.int64)
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    return inter, sizes


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
