//! Hashes and mixers shared by the stages, each specified so that stored values stay valid
//! across platforms and releases (the pure-Python twins are in `python/neardup/_reference/`).
//!
//! * [`hash64`]: XXH3-64 (xxHash v0.8) with a 64-bit seed over UTF-8 bytes; pinned by test
//!   vectors in `tests/test_hash_vectors.py` and below.
//! * [`splitmix64`] (Steele, Lea, Flood 2014): `state += 0x9E3779B97F4A7C15; z = state;
//!   z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9; z = (z ^ z >> 27) * 0x94D049BB133111EB;
//!   z ^ z >> 31`, all mod 2^64: derives parameters from a user's 64-bit seed.
//! * [`fmix64`] / [`fmix32`]: the MurmurHash3 finalizers, which spread structured inputs
//!   (small integers, hashes combined with a key) over all bits.
//!
//! Also the maps keyed by such hashes: they are already well mixed, so each is its own hash.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

#[inline]
pub fn hash64(data: &[u8], seed: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(data, seed)
}

/// The increment of [`splitmix64`] (2^64 / golden ratio).
pub const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN_GAMMA);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[inline(always)]
pub fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    k ^= k >> 33;
    k = k.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    k ^ (k >> 33)
}

#[inline]
pub fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85EB_CA6B);
    h ^= h >> 13;
    h = h.wrapping_mul(0xC2B2_AE35);
    h ^ (h >> 16)
}

/// A hasher that passes a `u64` key through: for keys that are already hashes (line
/// fingerprints, band keys, fingerprint blocks), hashing them again would only cost time.
#[derive(Default)]
pub struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Map keyed by 64-bit hashes (see [`IdentityHasher`]).
pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<IdentityHasher>>;
/// Set of 64-bit hashes (see [`IdentityHasher`]).
pub type KeySet = HashSet<u64, BuildHasherDefault<IdentityHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_vectors() {
        // Published XXH3-64 values (seed 0) and seeded values produced by the reference.
        assert_eq!(hash64(b"", 0), 0x2D06800538D394C2);
        assert_eq!(hash64(b"a", 0), 0xE6C632B61E964E1F);
        assert_eq!(hash64(b"abc", 0), 0x78AF5F94892F3950);
    }

    #[test]
    fn splitmix_and_fmix_vectors() {
        // splitmix64 seeded with 0: the published first output.
        let mut state = 0;
        assert_eq!(splitmix64(&mut state), 0xE220_A839_7B1D_CDAF);
        assert_eq!(fmix64(0), 0);
        assert_eq!(fmix32(0), 0);
    }

    #[test]
    fn a_key_is_its_own_hash() {
        let mut hasher = IdentityHasher::default();
        hasher.write_u64(0x1234_5678_9ABC_DEF0);
        assert_eq!(hasher.finish(), 0x1234_5678_9ABC_DEF0);
    }
}
