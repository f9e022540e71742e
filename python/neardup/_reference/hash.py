"""Pure-Python reference of neardup's hashes and mixers (the twin of rust/hash.rs).

XXH3-64 with a 64-bit seed (xxHash specification v0.8, little-endian reads) is neardup's
specified hash: the Rust core uses the xxhash-rust crate, and the tests hold both to the
published algorithm with pinned vectors and random inputs. splitmix64 and the MurmurHash3
finalizers ``fmix64`` / ``fmix32`` derive MinHash permutations, LSH band keys and SimHash
bits from it (specified in ``neardup._reference.minhash``).
"""

from __future__ import annotations

import struct
from functools import lru_cache

import numpy as np

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1

PRIME32_1 = 0x9E3779B1
PRIME32_2 = 0x85EBCA77
PRIME32_3 = 0xC2B2AE3D
PRIME64_1 = 0x9E3779B185EBCA87
PRIME64_2 = 0xC2B2AE3D27D4EB4F
PRIME64_3 = 0x165667B19E3779F9
PRIME64_4 = 0x85EBCA77C2B2AE63
PRIME64_5 = 0x27D4EB2F165667C5
PRIME_MX1 = 0x165667919E3779F9
PRIME_MX2 = 0x9FB21C651E98DF25

# The 192-byte default secret of the specification.
DEFAULT_SECRET = bytes.fromhex(
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
    "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
    "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
    "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
    "eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e"
    "2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e"
)
STRIPE_LEN = 64
SECRET_CONSUME_RATE = 8
ACC_NB = 8


def _r64(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 8], "little")


def _r32(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "little")


def _mul128_fold64(lhs: int, rhs: int) -> int:
    product = lhs * rhs
    return (product & M64) ^ (product >> 64)


def _xxh64_avalanche(h: int) -> int:
    h ^= h >> 33
    h = (h * PRIME64_2) & M64
    h ^= h >> 29
    h = (h * PRIME64_3) & M64
    return h ^ (h >> 32)


def _xxh3_avalanche(h: int) -> int:
    h ^= h >> 37
    h = (h * PRIME_MX1) & M64
    return h ^ (h >> 32)


def _rotl64(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & M64


def _rrmxmx(h: int, length: int) -> int:
    h ^= _rotl64(h, 49) ^ _rotl64(h, 24)
    h = (h * PRIME_MX2) & M64
    h ^= (h >> 35) + length
    h = (h * PRIME_MX2) & M64
    return h ^ (h >> 28)


def _mix16(data: bytes, offset: int, secret: bytes, secret_offset: int, seed: int) -> int:
    lo = _r64(data, offset) ^ ((_r64(secret, secret_offset) + seed) & M64)
    hi = _r64(data, offset + 8) ^ ((_r64(secret, secret_offset + 8) - seed) & M64)
    return _mul128_fold64(lo, hi)


def _len_0to16(data: bytes, seed: int) -> int:
    length = len(data)
    if length > 8:
        lo = _read64(data, 0)[0] ^ ((_FLIP_9TO16_LO + seed) & M64)
        hi = _read64(data, length - 8)[0] ^ ((_FLIP_9TO16_HI - seed) & M64)
        acc = (length + _swap64(lo) + hi + _mul128_fold64(lo, hi)) & M64
        return _xxh3_avalanche(acc)
    if length >= 4:
        seed ^= _swap32(seed & M32) << 32
        combined = (_read32(data, length - 4)[0] + (_read32(data, 0)[0] << 32)) & M64
        return _rrmxmx(combined ^ ((_FLIP_4TO8 - seed) & M64), length)
    if length > 0:
        combined = (data[0] << 16) | (data[length >> 1] << 24) | data[length - 1] | (length << 8)
        return _xxh64_avalanche(combined ^ ((_FLIP_1TO3 + seed) & M64))
    return _xxh64_avalanche(seed ^ _FLIP_EMPTY)


_read64 = struct.Struct("<Q").unpack_from
_read32 = struct.Struct("<I").unpack_from


def _swap64(x: int) -> int:
    return int.from_bytes(x.to_bytes(8, "little"), "big")


def _swap32(x: int) -> int:
    return int.from_bytes(x.to_bytes(4, "little"), "big")


# The secret's words that the paths of 0-16 bytes combine, before the seed.
_FLIP_9TO16_LO = _r64(DEFAULT_SECRET, 24) ^ _r64(DEFAULT_SECRET, 32)
_FLIP_9TO16_HI = _r64(DEFAULT_SECRET, 40) ^ _r64(DEFAULT_SECRET, 48)
_FLIP_4TO8 = _r64(DEFAULT_SECRET, 8) ^ _r64(DEFAULT_SECRET, 16)
_FLIP_1TO3 = _r32(DEFAULT_SECRET, 0) ^ _r32(DEFAULT_SECRET, 4)
_FLIP_EMPTY = _r64(DEFAULT_SECRET, 56) ^ _r64(DEFAULT_SECRET, 64)


def _len_17to128(data: bytes, seed: int) -> int:
    # The specification's pairs of 16-byte mixes (bytes 16i.. against secret 32i.., and bytes
    # length-16(i+1).. against secret 32i+16..), with the input's words read in two unpacks
    # and the secret's seeded words looked up: the hash of every shingle goes through here.
    length = len(data)
    pairs = ((length - 1) >> 5) + 1  # 1 for 17-32 bytes, .. 4 for 97-128
    words = 2 * pairs
    front = _unpack_words[words](data, 0)
    back = _unpack_words[words](data, length - 16 * pairs)
    plus, minus = _seeded_secret(seed)
    acc = length * PRIME64_1
    for i in range(pairs):
        product = (front[2 * i] ^ plus[32 * i]) * (front[2 * i + 1] ^ minus[32 * i + 8])
        acc += (product & M64) ^ (product >> 64)
        j = words - 2 * (i + 1)
        product = (back[j] ^ plus[32 * i + 16]) * (back[j + 1] ^ minus[32 * i + 24])
        acc += (product & M64) ^ (product >> 64)
    return _xxh3_avalanche(acc & M64)


#: struct readers of little-endian u64 words (index: the number of words).
_unpack_words = [struct.Struct(f"<{n}Q").unpack_from for n in range(9)]


@lru_cache(maxsize=16)
def _seeded_secret(seed: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The default secret's u64 word at every byte offset, plus and minus ``seed`` (mod 2**64):
    what the 16-byte mix of the short paths xors into the input."""
    words = [_r64(DEFAULT_SECRET, offset) for offset in range(len(DEFAULT_SECRET) - 7)]
    return tuple((w + seed) & M64 for w in words), tuple((w - seed) & M64 for w in words)


def _len_129to240(data: bytes, seed: int) -> int:
    length = len(data)
    s = DEFAULT_SECRET
    acc = (length * PRIME64_1) & M64
    for i in range(8):
        acc += _mix16(data, 16 * i, s, 16 * i, seed)
    acc = _xxh3_avalanche(acc & M64)
    for i in range(8, length // 16):
        acc += _mix16(data, 16 * i, s, 16 * (i - 8) + 3, seed)
    acc += _mix16(data, length - 16, s, 136 - 17, seed)
    return _xxh3_avalanche(acc & M64)


def _accumulate_512(acc: list[int], data: bytes, offset: int, secret: bytes, secret_offset: int) -> None:
    for i in range(ACC_NB):
        value = _r64(data, offset + 8 * i)
        key = value ^ _r64(secret, secret_offset + 8 * i)
        acc[i ^ 1] = (acc[i ^ 1] + value) & M64
        acc[i] = (acc[i] + (key & M32) * (key >> 32)) & M64


def _scramble(acc: list[int], secret: bytes, secret_offset: int) -> None:
    for i in range(ACC_NB):
        value = acc[i]
        value ^= value >> 47
        value ^= _r64(secret, secret_offset + 8 * i)
        acc[i] = (value * PRIME32_1) & M64


def _hash_long(data: bytes, seed: int) -> int:
    if seed == 0:
        secret = DEFAULT_SECRET
    else:
        parts = []
        for i in range(len(DEFAULT_SECRET) // 16):
            parts.append(((_r64(DEFAULT_SECRET, 16 * i) + seed) & M64).to_bytes(8, "little"))
            parts.append(((_r64(DEFAULT_SECRET, 16 * i + 8) - seed) & M64).to_bytes(8, "little"))
        secret = b"".join(parts)
    length = len(data)
    acc = [PRIME32_3, PRIME64_1, PRIME64_2, PRIME64_3, PRIME64_4, PRIME32_2, PRIME64_5, PRIME32_1]
    stripes_per_block = (len(secret) - STRIPE_LEN) // SECRET_CONSUME_RATE
    block_len = STRIPE_LEN * stripes_per_block
    blocks = (length - 1) // block_len
    for block in range(blocks):
        for stripe in range(stripes_per_block):
            _accumulate_512(acc, data, block * block_len + stripe * STRIPE_LEN, secret, stripe * SECRET_CONSUME_RATE)
        _scramble(acc, secret, len(secret) - STRIPE_LEN)
    stripes = ((length - 1) - block_len * blocks) // STRIPE_LEN
    for stripe in range(stripes):
        _accumulate_512(acc, data, blocks * block_len + stripe * STRIPE_LEN, secret, stripe * SECRET_CONSUME_RATE)
    _accumulate_512(acc, data, length - STRIPE_LEN, secret, len(secret) - STRIPE_LEN - 7)
    result = (length * PRIME64_1) & M64
    for i in range(4):
        result += _mul128_fold64(acc[2 * i] ^ _r64(secret, 11 + 16 * i), acc[2 * i + 1] ^ _r64(secret, 11 + 16 * i + 8))
    return _xxh3_avalanche(result & M64)


# XXH3-64 of short inputs by (input, seed): shingles and lines recur across a corpus, and the
# hash in Python costs tens of microseconds. Cleared when full; the cache changes no result.
_SHORT_HASHES: dict[tuple[bytes, int], int] = {}
_SHORT_HASHES_LIMIT = 1 << 16


def xxh3_64(data: bytes, seed: int = 0) -> int:
    """XXH3-64 of ``data`` with ``seed`` (0 <= seed < 2**64), as an unsigned int."""
    length = len(data)
    if length > 240:
        return _hash_long(data, seed)
    if data.__class__ is not bytes:  # a bytearray or memoryview: not a key
        return _xxh3_short(data, seed)
    key = (data, seed)
    value = _SHORT_HASHES.get(key)
    if value is None:
        value = _xxh3_short(data, seed)
        if len(_SHORT_HASHES) >= _SHORT_HASHES_LIMIT:
            _SHORT_HASHES.clear()
        _SHORT_HASHES[key] = value
    return value


def _xxh3_short(data: bytes, seed: int) -> int:
    length = len(data)
    if length <= 16:
        return _len_0to16(data, seed)
    if length <= 128:
        return _len_17to128(data, seed)
    return _len_129to240(data, seed)


# ---------------------------------------------------------------------------------------
# Mixers

GOLDEN_GAMMA = 0x9E3779B97F4A7C15

_U64 = np.uint64
_FMIX64 = (_U64(33), _U64(0xFF51AFD7ED558CCD), _U64(0xC4CEB9FE1A85EC53))
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))


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
