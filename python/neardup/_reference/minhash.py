"""Pure-Python reference of neardup's MinHash signatures: neardup's classic and OPH
schemes, and datasketch's schemes (the twin of rust/minhash.rs, held to these functions bit
for bit). numpy is used where its uint64 arithmetic (which wraps mod 2**64) is exactly the
specified arithmetic. The band keys of ``neardup._reference.lsh`` follow the same
specification.

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

import numpy as np

from . import text as _text
from .csr import as_uint64, check_offsets
from .hash import M32, M64, fmix32, fmix64, splitmix64_stream

MERSENNE_61 = (1 << 61) - 1
MAX_NUM_PERM = 1 << 16
SCHEMES = ("classic", "oph")
DATASKETCH_SCHEMES = ("affine32", "affine64", "legacy")

_U64 = np.uint64
# Rows of shingles multiplied at once by the classic scheme (bounds the temporary matrix).
_CHUNK = 2048


def check_num_perm(num_perm: int) -> int:
    """``num_perm`` as a Python int in [1, MAX_NUM_PERM] (a numpy integer scalar too); else a
    ValueError."""
    number = _text.as_int(num_perm)
    if number is None:
        raise ValueError(f"num_perm must be an int in [1, {MAX_NUM_PERM}], got {num_perm!r} ({type(num_perm).__name__})")
    if not 1 <= number <= MAX_NUM_PERM:
        raise ValueError(f"num_perm must be in [1, {MAX_NUM_PERM}], got {num_perm!r}")
    return number


def check_scheme(scheme: str) -> None:
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ValueError(f"scheme must be 'classic' or 'oph', got {scheme!r}")


def classic_permutations(num_perm, seed=1):
    num_perm = check_num_perm(num_perm)
    seed = _text.check_seed(seed)
    stream = splitmix64_stream(seed, 2 * num_perm)
    a = np.array(stream[0::2], dtype=np.uint64) | _U64(1)
    b = np.array(stream[1::2], dtype=np.uint64)
    return a, b


class _Signer:
    def __init__(self, num_perm: int, seed: int, scheme: str):
        check_scheme(scheme)
        num_perm = check_num_perm(num_perm)
        seed = _text.check_seed(seed)
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


def minhash_texts(texts, num_perm=128, seed=1, scheme="classic", n=5, kind="word", shingle_seed=0, num_threads=None):
    signer = _Signer(num_perm, seed, scheme)
    n, kind, shingle_seed = _text.check_shingle_args(n, kind, shingle_seed)
    docs = [_text.check_text(t, i) for i, t in enumerate(texts)]
    out = np.empty((len(docs), num_perm), dtype=np.uint64)
    for i, t in enumerate(docs):
        out[i] = signer.sign(np.array(_text.shingles(t, n, kind, shingle_seed), dtype=np.uint64))
    return out


def minhash_texts_sized(texts, num_perm=128, seed=1, scheme="classic", n=5, kind="word", shingle_seed=0, num_threads=None):
    signer = _Signer(num_perm, seed, scheme)
    n, kind, shingle_seed = _text.check_shingle_args(n, kind, shingle_seed)
    docs = [_text.check_text(t, i) for i, t in enumerate(texts)]
    out = np.empty((len(docs), num_perm), dtype=np.uint64)
    sizes = np.empty(len(docs), dtype=np.int64)
    for i, t in enumerate(docs):
        shingles = _text.shingles(t, n, kind, shingle_seed)
        out[i] = signer.sign(np.array(shingles, dtype=np.uint64))
        sizes[i] = len(set(shingles))
    return out, sizes


def minhash_texts_anchored(texts, num_perm=128, seed=1, scheme="classic", n=5, kind="word", shingle_seed=0, anchor_bits=5, num_threads=None):
    if not 0 <= anchor_bits <= 63:
        raise ValueError(f"anchor_bits must be in 0..=63, got {anchor_bits}")
    signer = _Signer(num_perm, seed, scheme)
    n, kind, shingle_seed = _text.check_shingle_args(n, kind, shingle_seed)
    docs = [_text.check_text(t, i) for i, t in enumerate(texts)]
    out = np.empty((len(docs), num_perm), dtype=np.uint64)
    sizes = np.empty(len(docs), dtype=np.int64)
    anchors: list[int] = []
    offsets = [0]
    for i, t in enumerate(docs):
        shingles = _text.shingles(t, n, kind, shingle_seed)
        out[i] = signer.sign(np.array(shingles, dtype=np.uint64))
        sizes[i] = len(set(shingles))
        # One in 2**anchor_bits of the distinct hashes: those whose top anchor_bits bits are 0.
        anchors += sorted(h for h in set(shingles) if h >> (64 - anchor_bits) == 0)
        offsets.append(len(anchors))
    return out, sizes, np.array(anchors, dtype=np.uint64), np.array(offsets, dtype=np.int64)


def minhash_shingles(hashes, offsets, num_perm=128, seed=1, scheme="classic", num_threads=None):
    signer = _Signer(num_perm, seed, scheme)
    hashes = as_uint64(hashes)
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
    num_perm = check_num_perm(num_perm)
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
    a = as_uint64(a)
    b = as_uint64(b)
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
