//! MinHash signatures: neardup's own schemes over 64-bit shingle hashes, and datasketch's
//! schemes over byte shingles, reproduced bit for bit.
//!
//! Every value here is specified so that stored signatures stay valid across releases
//! (the pure-Python twin is `python/neardup/_reference/dedup.py`):
//!
//! * `splitmix64` (Steele, Lea, Flood 2014): `state += 0x9E3779B97F4A7C15; z = state;
//!   z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9; z = (z ^ z >> 27) * 0x94D049BB133111EB;
//!   z ^ z >> 31`, all mod 2^64. Derives every parameter from the user's 64-bit `seed`.
//! * `fmix64` / `fmix32`: the MurmurHash3 finalizers, applied once per shingle so that
//!   structured inputs (e.g. small integers) are spread before permuting.
//! * Classic (k permutations): `a_i = splitmix64() | 1`, `b_i = splitmix64()` for
//!   `i = 0..num_perm`, drawn in that order from a generator seeded with `seed`;
//!   `sig[i] = min over shingles x of (a_i * fmix64(x) + b_i) mod 2^64`.
//! * OPH (one-permutation hashing with optimal densification, Shrivastava 2017): with
//!   `key, dkey` the first two splitmix64 outputs, `v = fmix64(x ^ key)`, bin `v % k`,
//!   value `v / k` (so that values within a bin keep the order of `v`); the minimum per bin.
//!   An empty bin `j` copies the value of bin `fmix64(dkey ^ (j << 32 | t)) % k` for the
//!   first attempt `t = 1, 2, ...` that lands on an originally filled bin; after `64 k`
//!   failed attempts (probability below e^-64), the first filled bin after `j`, cyclically.
//! * An empty shingle set gives `u64::MAX` in every position, in every scheme.

use crate::error::Error;
use crate::hash::{fmix32, fmix64, splitmix64};

/// Upper bound of `num_perm`, so that OPH's `j << 32 | t` packing and memory stay in range.
pub const MAX_NUM_PERM: usize = 1 << 16;

/// The Mersenne prime 2^61 - 1 of datasketch's legacy scheme.
pub const MERSENNE_61: u64 = (1 << 61) - 1;

/// neardup's MinHash schemes over 64-bit shingle hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// k independent affine permutations (one pass over the shingles per permutation).
    Classic,
    /// One-permutation hashing with optimal densification (one hash per shingle).
    Oph,
}

impl Scheme {
    pub fn parse(name: &str) -> Result<Self, Error> {
        match name {
            "classic" => Ok(Scheme::Classic),
            "oph" => Ok(Scheme::Oph),
            other => Err(Error::InvalidArgument(format!("scheme must be 'classic' or 'oph', got '{other}'"))),
        }
    }
}

pub fn check_num_perm(num_perm: usize) -> Result<(), Error> {
    if num_perm == 0 || num_perm > MAX_NUM_PERM {
        return Err(Error::InvalidArgument(format!(
            "num_perm must be in [1, {MAX_NUM_PERM}], got {num_perm}"
        )));
    }
    Ok(())
}

/// A MinHash function: the scheme, its size and the parameters derived from the seed.
#[derive(Debug, Clone)]
pub struct MinHasher {
    scheme: Scheme,
    num_perm: usize,
    a: Vec<u64>,
    b: Vec<u64>,
    key: u64,
    dkey: u64,
}

impl MinHasher {
    pub fn new(scheme: Scheme, num_perm: usize, seed: u64) -> Result<Self, Error> {
        check_num_perm(num_perm)?;
        let mut state = seed;
        let (mut a, mut b, mut key, mut dkey) = (Vec::new(), Vec::new(), 0, 0);
        match scheme {
            Scheme::Classic => {
                a.reserve(num_perm);
                b.reserve(num_perm);
                for _ in 0..num_perm {
                    a.push(splitmix64(&mut state) | 1);
                    b.push(splitmix64(&mut state));
                }
            }
            Scheme::Oph => {
                key = splitmix64(&mut state);
                dkey = splitmix64(&mut state);
            }
        }
        Ok(MinHasher { scheme, num_perm, a, b, key, dkey })
    }

    pub fn num_perm(&self) -> usize {
        self.num_perm
    }

    /// The classic scheme's permutation parameters `(a, b)` (empty for OPH).
    pub fn permutations(&self) -> (&[u64], &[u64]) {
        (&self.a, &self.b)
    }

    /// The signature of a set of shingle hashes (repeats do not matter).
    pub fn sign(&self, shingles: &[u64]) -> Vec<u64> {
        let mut out = vec![u64::MAX; self.num_perm];
        self.sign_into(shingles, &mut out);
        out
    }

    /// `sign_into`, free to overwrite `shingles` (the classic scheme mixes them in place
    /// instead of into a new buffer).
    pub fn sign_scratch(&self, shingles: &mut [u64], out: &mut [u64]) {
        debug_assert_eq!(out.len(), self.num_perm);
        out.fill(u64::MAX);
        if shingles.is_empty() {
            return;
        }
        match self.scheme {
            Scheme::Classic => {
                mix_in_place(shingles, 0);
                classic_min(shingles, &self.a, &self.b, out);
            }
            Scheme::Oph => {
                mix_in_place(shingles, self.key);
                self.oph_from_mixed(shingles.iter().copied(), out);
            }
        }
    }

    /// `sign_into` with a caller's buffer for the mixed hashes of the classic scheme, so that
    /// signing many documents allocates nothing per document.
    pub fn sign_with(&self, shingles: &[u64], scratch: &mut Vec<u64>, out: &mut [u64]) {
        debug_assert_eq!(out.len(), self.num_perm);
        out.fill(u64::MAX);
        if shingles.is_empty() {
            return;
        }
        scratch.clear();
        scratch.extend_from_slice(shingles);
        self.sign_scratch(scratch, out);
    }

    /// Write the signature into `out` (`out.len() == num_perm`); one path for every caller
    /// ([`Self::sign_scratch`]), so that no other mixing code can drift from it.
    pub fn sign_into(&self, shingles: &[u64], out: &mut [u64]) {
        self.sign_with(shingles, &mut Vec::new(), out);
    }

    /// OPH from the mixed values `v = fmix64(x ^ key)` of a non-empty shingle set.
    fn oph_from_mixed(&self, mixed: impl Iterator<Item = u64>, out: &mut [u64]) {
        let k = self.num_perm as u64;
        let mut filled = vec![false; self.num_perm];
        if k.is_power_of_two() {
            // Same values as `% k` and `/ k`, without a division per shingle.
            let shift = k.trailing_zeros();
            for v in mixed {
                let bin = (v & (k - 1)) as usize;
                let value = v >> shift;
                filled[bin] = true;
                if value < out[bin] {
                    out[bin] = value;
                }
            }
        } else {
            for v in mixed {
                let bin = (v % k) as usize;
                let value = v / k;
                filled[bin] = true;
                if value < out[bin] {
                    out[bin] = value;
                }
            }
        }
        densify(self.dkey, &filled, out);
    }
}

/// Fill the empty bins of an OPH signature (`filled[j]` false) by optimal densification, as
/// specified in the module's documentation: bin `j` copies the first originally filled bin
/// among `fmix64(dkey ^ (j << 32 | t)) % k`, `t = 1, 2, ...`, else (after `64 k` misses) the
/// first filled bin after `j`, cyclically.
///
/// The values are the specification's; only the work differs. With `f` filled bins an empty
/// bin takes `k / f` probes on average, so the whole costs about `k^2 / f` probes: quadratic
/// for the tiny sets that leave most bins empty. When every filled bin holds the same value
/// (one shingle: `f = 1`), every donor gives that value and no probe is needed (linear).
/// Otherwise each probe is a hash, a division-free remainder and a test in a bitmap of the
/// filled bins (8 KB at `k = 65536`: it stays in the L1 cache), eight probes at a time with
/// AVX-512 (for a power-of-two `k`), where up to [`FEW_DONORS`] filled bins are compared
/// directly. Measured (dev build, one document of two shingles, `k = 65536`, about `2^31`
/// probes): 4.9 s of CPU probe by probe, 0.74 s eight at a time.
pub fn densify(dkey: u64, filled: &[bool], out: &mut [u64]) {
    let k = out.len();
    let mut donors = (0..k).filter(|&i| filled[i]);
    let Some(first) = donors.next() else {
        return; // an empty set: no bin to copy from (all u64::MAX already)
    };
    if donors.all(|i| out[i] == out[first]) {
        let value = out[first];
        out.fill(value);
        return;
    }
    let mut bits = vec![0u64; k.div_ceil(64)];
    for (i, _) in filled.iter().enumerate().filter(|(_, &f)| f) {
        bits[i / 64] |= 1 << (i % 64);
    }
    let few: Vec<u64> = (0..k).filter(|&i| filled[i]).take(FEW_DONORS + 1).map(|i| i as u64).collect();
    let few = if few.len() <= FEW_DONORS { &few[..] } else { &[] };
    let original = out.to_vec();
    let reducer = Reducer::new(k as u64);
    for j in 0..k {
        if filled[j] {
            continue;
        }
        let donor = first_probe_hit(dkey, j as u64, &reducer, &bits, few)
            .unwrap_or_else(|| (1..k).map(|s| (j + s) % k).find(|&i| filled[i]).unwrap_or(j));
        out[j] = original[donor];
    }
}

/// `a % k` for a fixed `k` in `[1, 2^32)` without a division: a mask for a power of two, else
/// a quotient estimate `a * floor((2^64 - 1) / k) >> 64`, at most two below the true one.
#[derive(Debug, Clone, Copy)]
struct Reducer {
    k: u64,
    power_of_two: bool,
    inverse: u64,
}

impl Reducer {
    fn new(k: u64) -> Self {
        debug_assert!((1..1 << 32).contains(&k));
        Reducer { k, power_of_two: k.is_power_of_two(), inverse: u64::MAX / k }
    }

    #[inline(always)]
    fn rem(&self, a: u64) -> u64 {
        if self.power_of_two {
            return a & (self.k - 1);
        }
        let quotient = ((a as u128 * self.inverse as u128) >> 64) as u64;
        let mut r = a - quotient * self.k;
        // a / k - quotient < 2 (k < 2^32, a < 2^64): at most two corrections.
        while r >= self.k {
            r -= self.k;
        }
        r
    }
}

/// Up to this many filled bins, the AVX-512 probes compare each bin with them instead of
/// looking it up in the bitmap (a gather): the case that costs, `k / f` probes per empty bin.
const FEW_DONORS: usize = 8;

/// The donor of empty bin `j`: the first probe `t = 1 ..= 64 k` landing on a set bit of
/// `bits` (`few`: the filled bins when there are at most [`FEW_DONORS`], else empty), or None.
/// Eight probes at a time with AVX-512 where the CPU has it and `k` is a power of two (the
/// remainder is then a mask); the same first hit on every path.
fn first_probe_hit(dkey: u64, j: u64, reducer: &Reducer, bits: &[u64], few: &[u64]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if reducer.power_of_two
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
    {
        // SAFETY: the CPU has the features the function is compiled for; `bits` covers every
        // bin below `k` (it has `k.div_ceil(64)` words).
        return unsafe { first_probe_hit_avx512(dkey, j, reducer.k, bits, few) };
    }
    let _ = few; // (the scalar path tests the bitmap)
    first_probe_hit_scalar(dkey, j, reducer, bits, 1)
}

/// [`first_probe_hit`] one probe at a time, from attempt `from`.
fn first_probe_hit_scalar(dkey: u64, j: u64, reducer: &Reducer, bits: &[u64], from: u64) -> Option<usize> {
    // `j << 32 | t` with `t <= 64 k <= 2^22`: the two parts never share a bit, so `|` is `^`.
    let base = dkey ^ (j << 32);
    for t in from..=64 * reducer.k {
        let bin = reducer.rem(fmix64(base ^ t));
        if (bits[(bin / 64) as usize] >> (bin % 64)) & 1 == 1 {
            return Some(bin as usize);
        }
    }
    None
}

/// [`first_probe_hit`] for a power-of-two `k`, eight attempts per step: fmix64 in 64-bit lanes
/// (AVX-512DQ multiplies them), the bins by a mask, their bitmap words by a gather.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn first_probe_hit_avx512(dkey: u64, j: u64, k: u64, bits: &[u64], few: &[u64]) -> Option<usize> {
    use std::arch::x86_64::*;

    debug_assert!(k.is_power_of_two() && bits.len() as u64 >= k.div_ceil(64));
    let max_attempts = 64 * k;
    let base = _mm512_set1_epi64((dkey ^ (j << 32)) as i64);
    let lanes = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    let m1 = _mm512_set1_epi64(0xFF51_AFD7_ED55_8CCD_u64 as i64);
    let m2 = _mm512_set1_epi64(0xC4CE_B9FE_1A85_EC53_u64 as i64);
    let mask = _mm512_set1_epi64((k - 1) as i64);
    let low_six = _mm512_set1_epi64(63);
    let one = _mm512_set1_epi64(1);
    let mut donors = [_mm512_setzero_si512(); FEW_DONORS];
    for (slot, &bin) in donors.iter_mut().zip(few) {
        *slot = _mm512_set1_epi64(bin as i64);
    }
    let count = few.len().min(FEW_DONORS);
    let mut t = 1;
    while t + 7 <= max_attempts {
        let mut h = _mm512_xor_si512(base, _mm512_add_epi64(_mm512_set1_epi64(t as i64), lanes));
        h = _mm512_xor_si512(h, _mm512_srli_epi64::<33>(h));
        h = _mm512_mullo_epi64(h, m1);
        h = _mm512_xor_si512(h, _mm512_srli_epi64::<33>(h));
        h = _mm512_mullo_epi64(h, m2);
        h = _mm512_xor_si512(h, _mm512_srli_epi64::<33>(h));
        let bin = _mm512_and_si512(h, mask);
        let hits = if count > 0 {
            // Few filled bins (the costly case: k / f probes per empty bin): compared directly.
            donors[..count].iter().fold(0, |found, &d| found | _mm512_cmpeq_epi64_mask(bin, d))
        } else {
            // SAFETY: every bin is below k, so every word index is below bits.len().
            let words = unsafe {
                _mm512_i64gather_epi64::<8>(_mm512_srli_epi64::<6>(bin), bits.as_ptr() as *const i64)
            };
            let set = _mm512_and_si512(_mm512_srlv_epi64(words, _mm512_and_si512(bin, low_six)), one);
            _mm512_test_epi64_mask(set, set)
        };
        if hits != 0 {
            let mut bins = [0u64; 8];
            // SAFETY: 64 bytes written into an array of 64 bytes.
            unsafe { _mm512_storeu_si512(bins.as_mut_ptr() as *mut _, bin) };
            return Some(bins[hits.trailing_zeros() as usize] as usize);
        }
        t += 8;
    }
    // 64 k is a multiple of 8, so nothing is left; kept for the invariant's sake.
    first_probe_hit_scalar(dkey, j, &Reducer::new(k), bits, t)
}

#[inline(always)]
fn mix_generic(values: &mut [u64], key: u64) {
    for x in values {
        *x = fmix64(*x ^ key);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
unsafe fn mix_avx512(values: &mut [u64], key: u64) {
    mix_generic(values, key)
}

/// `x = fmix64(x ^ key)` for every value, eight at a time where the CPU multiplies 64-bit
/// lanes (AVX-512DQ); the same values on every path.
fn mix_in_place(values: &mut [u64], key: u64) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
    {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { mix_avx512(values, key) };
    }
    mix_generic(values, key)
}

/// Permutations per block of the classic scheme: 32 lanes are four 512-bit (or eight
/// 256-bit) registers each of accumulators, `a` and `b`.
const CLASSIC_BLOCK: usize = 32;

#[inline(always)]
fn classic_min_generic(mixed: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    let mut blocks_a = a.chunks_exact(CLASSIC_BLOCK);
    let mut blocks_b = b.chunks_exact(CLASSIC_BLOCK);
    let mut blocks_out = out.chunks_exact_mut(CLASSIC_BLOCK);
    for ((ba, bb), bo) in (&mut blocks_a).zip(&mut blocks_b).zip(&mut blocks_out) {
        let ba: &[u64; CLASSIC_BLOCK] = ba.try_into().expect("block");
        let bb: &[u64; CLASSIC_BLOCK] = bb.try_into().expect("block");
        let mut acc = [u64::MAX; CLASSIC_BLOCK];
        for &x in mixed {
            for j in 0..CLASSIC_BLOCK {
                acc[j] = acc[j].min(ba[j].wrapping_mul(x).wrapping_add(bb[j]));
            }
        }
        for (slot, v) in bo.iter_mut().zip(acc) {
            *slot = (*slot).min(v);
        }
    }
    let (ra, rb, ro) = (blocks_a.remainder(), blocks_b.remainder(), blocks_out.into_remainder());
    for &x in mixed {
        for ((slot, &a), &b) in ro.iter_mut().zip(ra).zip(rb) {
            *slot = (*slot).min(a.wrapping_mul(x).wrapping_add(b));
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
unsafe fn classic_min_avx512(mixed: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    classic_min_generic(mixed, a, b, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn classic_min_avx2(mixed: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    classic_min_generic(mixed, a, b, out)
}

/// `out[i] = min(out[i], min over x in mixed of a[i] * x + b[i])`, wrapping arithmetic; the
/// widest instruction set the CPU has (the same integer values on every path).
fn classic_min(mixed: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { classic_min_avx512(mixed, a, b, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { classic_min_avx2(mixed, a, b, out) };
        }
    }
    classic_min_generic(mixed, a, b, out)
}

/// The share of equal positions of two signatures of equal length: the MinHash estimate of
/// their Jaccard similarity (0.0 for empty signatures).
pub fn estimate_jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f64 / a.len() as f64
}

// ---------------------------------------------------------------------------------------
// datasketch interoperability

/// datasketch's permutation schemes (datasketch >= 2.0: `MinHash(scheme=...)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasketchScheme {
    /// `fmix32(sha1_hash32(b))`, then `a * h + b mod 2^32` (the default since 2.0).
    Affine32,
    /// `fmix64(sha1_hash64(b))`, then `a * h + b mod 2^64`.
    Affine64,
    /// The pre-2.0 scheme: `((a * h + b) mod 2^64 mod (2^61 - 1)) & (2^32 - 1)`, h = sha1_hash32.
    Legacy,
}

impl DatasketchScheme {
    pub fn parse(name: &str) -> Result<Self, Error> {
        match name {
            "affine32" => Ok(DatasketchScheme::Affine32),
            "affine64" => Ok(DatasketchScheme::Affine64),
            "legacy" => Ok(DatasketchScheme::Legacy),
            other => Err(Error::InvalidArgument(format!(
                "datasketch scheme must be 'affine32', 'affine64' or 'legacy', got '{other}'"
            ))),
        }
    }

    /// The value of an empty datasketch MinHash in every position.
    pub fn empty_value(self) -> u64 {
        match self {
            DatasketchScheme::Affine64 => u64::MAX,
            _ => u32::MAX as u64,
        }
    }
}

/// datasketch's signing, given its permutation parameters (which datasketch draws from
/// `numpy.random.RandomState(seed)`; the Python layer passes them in).
#[derive(Debug, Clone)]
pub struct DatasketchHasher {
    scheme: DatasketchScheme,
    a: Vec<u64>,
    b: Vec<u64>,
}

impl DatasketchHasher {
    pub fn new(scheme: DatasketchScheme, a: Vec<u64>, b: Vec<u64>) -> Result<Self, Error> {
        if a.len() != b.len() {
            return Err(Error::InvalidArgument(format!(
                "permutation parameters differ in length: {} and {}",
                a.len(),
                b.len()
            )));
        }
        check_num_perm(a.len())?;
        if scheme == DatasketchScheme::Affine32 && a.iter().chain(&b).any(|&v| v > u32::MAX as u64) {
            return Err(Error::InvalidArgument("affine32 permutation parameters must fit in 32 bits".into()));
        }
        if scheme != DatasketchScheme::Legacy && a.iter().any(|&v| v & 1 == 0) {
            return Err(Error::InvalidArgument("affine permutation parameters `a` must be odd".into()));
        }
        Ok(DatasketchHasher { scheme, a, b })
    }

    /// Hash values identical to `datasketch.MinHash(...).update_batch(shingles)`.
    pub fn sign<S: AsRef<[u8]>>(&self, shingles: &[S]) -> Vec<u64> {
        let mut out = vec![self.scheme.empty_value(); self.a.len()];
        for shingle in shingles {
            let digest = sha1(shingle.as_ref());
            match self.scheme {
                DatasketchScheme::Affine32 => {
                    let h = fmix32(u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]));
                    for ((slot, &a), &b) in out.iter_mut().zip(&self.a).zip(&self.b) {
                        let v = (a as u32).wrapping_mul(h).wrapping_add(b as u32) as u64;
                        *slot = (*slot).min(v);
                    }
                }
                DatasketchScheme::Affine64 => {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(&digest[..8]);
                    let h = fmix64(u64::from_le_bytes(word));
                    for ((slot, &a), &b) in out.iter_mut().zip(&self.a).zip(&self.b) {
                        *slot = (*slot).min(a.wrapping_mul(h).wrapping_add(b));
                    }
                }
                DatasketchScheme::Legacy => {
                    let h = u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]) as u64;
                    for ((slot, &a), &b) in out.iter_mut().zip(&self.a).zip(&self.b) {
                        // numpy's uint64 arithmetic wraps before the modulo; so must this.
                        let v = (a.wrapping_mul(h).wrapping_add(b) % MERSENNE_61) & (u32::MAX as u64);
                        *slot = (*slot).min(v);
                    }
                }
            }
        }
        out
    }
}

/// SHA-1 (FIPS 180-4): datasketch's default hash functions take the first 4 or 8 bytes of it.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];
    let bit_len = (data.len() as u64).wrapping_mul(8);
    let mut tail = Vec::with_capacity(128);
    let full = data.len() / 64 * 64;
    tail.extend_from_slice(&data[full..]);
    tail.push(0x80);
    while tail.len() % 64 != 56 {
        tail.push(0);
    }
    tail.extend_from_slice(&bit_len.to_be_bytes());
    for block in data[..full].chunks_exact(64).chain(tail.chunks_exact(64)) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, &wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let temp = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (state, value) in h.iter_mut().zip([a, b, c, d, e]) {
            *state = state.wrapping_add(value);
        }
    }
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha1_published_vectors() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(hex(&sha1(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(hex(&sha1(long)), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
        assert_eq!(hex(&sha1(&[b'a'; 1000])), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
    }

    #[test]
    fn empty_set_is_all_max() {
        for scheme in [Scheme::Classic, Scheme::Oph] {
            let hasher = MinHasher::new(scheme, 16, 7).unwrap();
            assert_eq!(hasher.sign(&[]), vec![u64::MAX; 16]);
        }
    }

    #[test]
    fn repeats_and_order_do_not_matter() {
        for scheme in [Scheme::Classic, Scheme::Oph] {
            for k in [1, 5, 64] {
                let hasher = MinHasher::new(scheme, k, 42).unwrap();
                let sig = hasher.sign(&[3, 1, 2]);
                let mut scratch = vec![u64::MAX; k];
                hasher.sign_scratch(&mut [1, 3, 2, 3], &mut scratch);
                assert_eq!(sig, scratch);
                let mut buffer = vec![7; 9];
                hasher.sign_with(&[2, 1, 3, 1], &mut buffer, &mut scratch);
                assert_eq!(sig, scratch);
                assert_eq!(sig, hasher.sign(&[2, 2, 3, 1, 1]));
                assert!(sig.iter().all(|&v| v != u64::MAX || k == 1));
            }
        }
    }

    #[test]
    fn estimates_track_jaccard() {
        // Sets {0..1000} and {500..1500}: Jaccard 1/3.
        let a: Vec<u64> = (0..1000).collect();
        let b: Vec<u64> = (500..1500).collect();
        for scheme in [Scheme::Classic, Scheme::Oph] {
            let hasher = MinHasher::new(scheme, 1024, 1).unwrap();
            let est = estimate_jaccard(&hasher.sign(&a), &hasher.sign(&b));
            // Binomial sd at k = 1024 is 0.0147; allow 5 sd.
            assert!((est - 1.0 / 3.0).abs() < 0.074, "{scheme:?}: {est}");
        }
    }

    #[test]
    fn classic_blocks_equal_the_definition() {
        let shingles: Vec<u64> =
            (0..300u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i << 7)).collect();
        for k in [1, 5, 31, 32, 33, 64, 100, 128, 257] {
            let hasher = MinHasher::new(Scheme::Classic, k, 99).unwrap();
            let (a, b) = hasher.permutations();
            for len in [0, 1, 2, 17, 300] {
                let set = &shingles[..len];
                let expected: Vec<u64> = (0..k)
                    .map(|i| {
                        set.iter()
                            .map(|&x| a[i].wrapping_mul(fmix64(x)).wrapping_add(b[i]))
                            .min()
                            .unwrap_or(u64::MAX)
                    })
                    .collect();
                assert_eq!(hasher.sign(set), expected, "k={k} len={len}");
                let mixed: Vec<u64> = set.iter().map(|&x| fmix64(x)).collect();
                let mut generic = vec![u64::MAX; k];
                classic_min_generic(&mixed, a, b, &mut generic);
                assert_eq!(generic, expected, "generic k={k} len={len}");
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    let mut wide = vec![u64::MAX; k];
                    // SAFETY: the CPU has AVX2.
                    unsafe { classic_min_avx2(&mixed, a, b, &mut wide) };
                    assert_eq!(wide, expected, "avx2 k={k} len={len}");
                }
            }
        }
    }

    #[test]
    fn mixing_paths_agree() {
        let values: Vec<u64> = (0..37u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
        let mut fast = values.clone();
        mix_in_place(&mut fast, 12345);
        let mut generic = values.clone();
        mix_generic(&mut generic, 12345);
        assert_eq!(fast, generic);
        assert_eq!(fast[3], fmix64(values[3] ^ 12345));
    }

    #[test]
    fn densify_paths_agree_with_the_spec() {
        // The spec, probe by probe (the first hit, else the first filled bin after j).
        fn spec(dkey: u64, filled: &[bool], values: &[u64]) -> Vec<u64> {
            let k = filled.len();
            (0..k)
                .map(|j| {
                    if filled[j] {
                        return values[j];
                    }
                    let hit = (1..=64 * k as u64)
                        .map(|t| (fmix64(dkey ^ ((j as u64) << 32 | t)) % k as u64) as usize)
                        .find(|&b| filled[b]);
                    values[hit.unwrap_or_else(|| (1..k).map(|s| (j + s) % k).find(|&i| filled[i]).unwrap())]
                })
                .collect()
        }
        let mut state = 5;
        for k in [1usize, 2, 3, 7, 8, 64, 100, 128, 1000, 1024] {
            for filled_count in [1, 2, 3, k / 2 + 1, k] {
                let filled_count = filled_count.clamp(1, k);
                let mut filled = vec![false; k];
                let mut values = vec![u64::MAX; k];
                let mut placed = 0;
                while placed < filled_count {
                    let bin = (splitmix64(&mut state) % k as u64) as usize;
                    if !filled[bin] {
                        filled[bin] = true;
                        values[bin] = splitmix64(&mut state);
                        placed += 1;
                    }
                }
                let dkey = splitmix64(&mut state);
                let mut out = values.clone();
                densify(dkey, &filled, &mut out);
                assert_eq!(out, spec(dkey, &filled, &values), "k={k} filled={filled_count}");
                // The scalar path alone (the AVX-512 one is taken above where the CPU has it).
                let mut bits = vec![0u64; k.div_ceil(64)];
                for i in (0..k).filter(|&i| filled[i]) {
                    bits[i / 64] |= 1 << (i % 64);
                }
                let reducer = Reducer::new(k as u64);
                for j in (0..k).filter(|&j| !filled[j]) {
                    let scalar = first_probe_hit_scalar(dkey, j as u64, &reducer, &bits, 1);
                    let few: Vec<u64> = (0..k).filter(|&i| filled[i]).map(|i| i as u64).collect();
                    let few = if few.len() <= FEW_DONORS { &few[..] } else { &[] };
                    assert_eq!(scalar, first_probe_hit(dkey, j as u64, &reducer, &bits, few), "k={k} j={j}");
                    assert_eq!(
                        scalar,
                        first_probe_hit(dkey, j as u64, &reducer, &bits, &[]),
                        "gather k={k} j={j}"
                    );
                }
            }
        }
        for a in [0, 1, 2, 12345, u64::MAX, u64::MAX - 1, 1 << 63] {
            for k in [1u64, 3, 7, 100, 997, 65535, (1 << 32) - 1] {
                assert_eq!(Reducer::new(k).rem(a), a % k, "a={a} k={k}");
            }
        }
    }

    #[test]
    fn rejects_bad_sizes() {
        assert!(MinHasher::new(Scheme::Classic, 0, 0).is_err());
        assert!(MinHasher::new(Scheme::Oph, MAX_NUM_PERM + 1, 0).is_err());
        assert!(Scheme::parse("nope").is_err());
        assert!(DatasketchHasher::new(DatasketchScheme::Affine32, vec![2], vec![0]).is_err());
        assert!(DatasketchHasher::new(DatasketchScheme::Legacy, vec![2], vec![0, 1]).is_err());
    }
}
