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
//! Also the maps keyed by such hashes: they are already well mixed, so each is its own hash;
//! and [`HashSorter`], which sorts lists of them by their top bits.

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

/// Sorts lists of hash values (shingle sets: well-spread 64-bit values) faster than a
/// comparison sort: the values are spread into buckets by their top bits (a counting pass and
/// a scatter), and each bucket, a few values when the values are well spread, is sorted on
/// its own. Any list comes out sorted, as `sort_unstable` leaves it; lists that are not
/// spread only sort slower. The buffers are kept between lists.
#[derive(Debug, Default)]
pub struct HashSorter {
    scratch: Vec<u64>,
    starts: Vec<usize>,
}

/// Below this many values a comparison sort is as fast as the buckets.
const BUCKET_SORT_FROM: usize = 128;

impl HashSorter {
    /// Sort `values` ascending, then drop repeated values (`sort_unstable` + `dedup`).
    pub fn sort_distinct(&mut self, values: &mut Vec<u64>) {
        self.sort(values);
        values.dedup();
    }

    /// Sort `values` ascending.
    pub fn sort(&mut self, values: &mut Vec<u64>) {
        let len = values.len();
        if len < BUCKET_SORT_FROM {
            values.sort_unstable();
            return;
        }
        // About two values per bucket: the buckets' own sorts are then a compare or two.
        let bits = (len / 2).ilog2().clamp(6, 16);
        let shift = 64 - bits;
        let buckets = 1usize << bits;
        let starts = &mut self.starts;
        starts.clear();
        starts.resize(buckets + 1, 0);
        for &v in values.iter() {
            starts[(v >> shift) as usize + 1] += 1;
        }
        for k in 1..=buckets {
            starts[k] += starts[k - 1];
        }
        let scratch = &mut self.scratch;
        scratch.clear();
        scratch.resize(len, 0);
        // `starts[k]` moves to the end of bucket k as it fills: then it is the next one's start.
        for &v in values.iter() {
            let bucket = (v >> shift) as usize;
            scratch[starts[bucket]] = v;
            starts[bucket] += 1;
        }
        let mut start = 0;
        for &end in &starts[..buckets] {
            let bucket = &mut scratch[start..end];
            if bucket.len() <= 8 {
                insertion_sort(bucket);
            } else {
                bucket.sort_unstable();
            }
            start = end;
        }
        std::mem::swap(values, scratch);
    }
}

/// Sort a few values in place.
#[inline]
fn insertion_sort(values: &mut [u64]) {
    for i in 1..values.len() {
        let v = values[i];
        let mut j = i;
        while j > 0 && values[j - 1] > v {
            values[j] = values[j - 1];
            j -= 1;
        }
        values[j] = v;
    }
}

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

    /// The bucket sort leaves every list as `sort_unstable` (+ `dedup`) does: spread values,
    /// values in one bucket (not spread: a user's own hashes), repeats, the extremes, every
    /// size around the switch to buckets and around each bucket count.
    #[test]
    fn hash_sorter_sorts_as_sort_unstable() {
        let mut state = 0x50_47_u64;
        let mut sorter = HashSorter::default();
        let mut lists: Vec<Vec<u64>> = Vec::new();
        for len in [0, 1, 2, 127, 128, 129, 255, 256, 257, 1000, 4096, 70_000, 300_000] {
            let spread: Vec<u64> = (0..len).map(|_| splitmix64(&mut state)).collect();
            let narrow: Vec<u64> = spread.iter().map(|v| v >> 20).collect();
            let repeated: Vec<u64> = spread.iter().map(|v| v % 7 * (u64::MAX / 6)).collect();
            let mut extremes = spread.clone();
            extremes.iter_mut().step_by(3).for_each(|v| *v = if *v & 1 == 0 { 0 } else { u64::MAX });
            lists.extend([spread, narrow, repeated, extremes]);
        }
        for list in lists {
            let mut expected = list.clone();
            expected.sort_unstable();
            let mut sorted = list.clone();
            sorter.sort(&mut sorted);
            assert_eq!(sorted, expected, "{} values", list.len());
            expected.dedup();
            let mut distinct = list.clone();
            sorter.sort_distinct(&mut distinct);
            assert_eq!(distinct, expected, "{} values", list.len());
        }
    }

    #[test]
    fn a_key_is_its_own_hash() {
        let mut hasher = IdentityHasher::default();
        hasher.write_u64(0x1234_5678_9ABC_DEF0);
        assert_eq!(hasher.finish(), 0x1234_5678_9ABC_DEF0);
    }
}
