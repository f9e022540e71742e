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
use crate::simd::{self, SimdPath};

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
        let path = simd::current();
        match self.scheme {
            Scheme::Classic => {
                mix_in_place(path, shingles, 0);
                classic_min(path, shingles, &self.a, &self.b, out);
            }
            Scheme::Oph => {
                mix_in_place(path, shingles, self.key);
                self.oph_from_mixed(path, shingles.iter().copied(), out);
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
    fn oph_from_mixed(&self, path: SimdPath, mixed: impl Iterator<Item = u64>, out: &mut [u64]) {
        let k = self.num_perm as u64;
        let mut filled = vec![false; self.num_perm];
        if k.is_power_of_two() {
            // Same values as `% k` and `/ k`, without a division per shingle.
            let shift = k.trailing_zeros();
            for v in mixed {
                let bin = (v & (k - 1)) as usize;
                let value = v >> shift;
                filled[bin] = true;
                // A store either way: a branch on `value < out[bin]` mispredicts often.
                out[bin] = out[bin].min(value);
            }
        } else {
            for v in mixed {
                let bin = (v % k) as usize;
                let value = v / k;
                filled[bin] = true;
                out[bin] = out[bin].min(value);
            }
        }
        densify_on(path, self.dkey, &filled, out);
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
    densify_on(simd::current(), dkey, filled, out)
}

/// [`densify`] on a given SIMD path (one the CPU can run).
fn densify_on(path: SimdPath, dkey: u64, filled: &[bool], out: &mut [u64]) {
    let k = out.len();
    if filled.iter().all(|&f| f) {
        return; // no empty bin (most documents of a few hundred shingles or more)
    }
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
        let donor = first_probe_hit(path, dkey, j as u64, &reducer, &bits, few)
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
/// Eight probes at a time on the AVX-512 path when `k` is a power of two (the remainder is
/// then a mask); the same first hit on every path.
fn first_probe_hit(
    path: SimdPath,
    dkey: u64,
    j: u64,
    reducer: &Reducer,
    bits: &[u64],
    few: &[u64],
) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if reducer.power_of_two && path == SimdPath::Avx512 {
        // SAFETY: the AVX-512 path is taken only on a CPU that has its features (F, DQ and VL:
        // `simd`); `bits` covers every bin below `k` (it has `k.div_ceil(64)` words).
        return unsafe { first_probe_hit_avx512(dkey, j, reducer.k, bits, few) };
    }
    let _ = path;
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

/// `mix_generic` as the compiler vectorizes it with AVX2 (four lanes, each 64-bit multiply
/// from three 32-bit ones), twice as wide as the baseline's SSE2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn mix_avx2(values: &mut [u64], key: u64) {
    mix_generic(values, key)
}

/// `x = fmix64(x ^ key)` for every value, eight at a time on the AVX-512 path (AVX-512DQ
/// multiplies 64-bit lanes), four on the AVX2 path; the same values on every path.
fn mix_in_place(path: SimdPath, values: &mut [u64], key: u64) {
    #[cfg(target_arch = "x86_64")]
    match path {
        // SAFETY (both): a path is taken only on a CPU that has its features (`simd`).
        SimdPath::Avx512 => return unsafe { mix_avx512(values, key) },
        SimdPath::Avx2 => return unsafe { mix_avx2(values, key) },
        SimdPath::Portable => {}
    }
    let _ = path;
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

// ---------------------------------------------------------------------------------------
// The classic scheme with AVX2 (no 64-bit multiply, no unsigned 64-bit minimum)
//
// Every value `a * x + b mod 2^64` computed exactly costs, per four lanes, a 32x32->64-bit
// multiply, a 32-bit multiply, shifts and adds, and a signed compare and blend for the
// unsigned minimum (`classic_min_exact_avx2`: about 9 instructions per 4 pairs). The kernel
// (`classic_min_avx2`) instead compares 32-bit keys, 8 lanes per register: with `a = ah 2^32
// + al`, `x = xh 2^32 + xl`, `b = bh 2^32 + bl` (all arithmetic mod 2^32 below),
//
//     hi32(a x + b) = hi32(al xl + bl) + ah xl + al xh + bh,
//
// the two cross products exact (`vpmulld`) and `hi32(al xl + bl)` estimated by one
// single-precision FMA of `al 2^-32` and `xl` and a truncating conversion. The key is that
// high word, sign-flipped (so that signed comparisons order it as unsigned) and raised by
// `KEY_BIAS`, so that it exceeds the exact flipped high word by 0 to `KEY_SLACK`, modulo
// 2^32 (the bound is proved at `KEY_BIAS`). Each key keeps its top 16 bits and takes the
// shingle's index in its low 16; per permutation the kernel tracks the smallest and the
// second-smallest of these packed keys (11 instructions per 8 pairs in all). After a chunk
// of up to `AVX2_CHUNK` shingles, the candidate (the smallest key's shingle) is computed
// exactly; it is the chunk's minimum when its exact high word is consistent with its key
// (its key did not wrap) and the second-smallest key lies two 2^16-buckets higher or more
// (then every other shingle's value has a larger high word). Otherwise (a repeated shingle,
// or another one within about 2^17 in the high word) the chunk is scanned exactly for that
// permutation, unless no value of the chunk can be below the minimum so far.

/// Shingles per chunk of the AVX2 kernel: a chunk's shingles are broadcast once into a
/// buffer (128 bytes each: 32 KB, the L1 cache) that every permutation reads, and a
/// shingle's index in its chunk fits in the 16 low bits of a packed key.
const AVX2_CHUNK: usize = 192;

/// Below this many shingles the AVX2 kernel computes every value exactly: a chunk's fixed
/// costs (broadcasts, the candidates' exact values) exceed what the keys save.
const AVX2_EXACT_BELOW: usize = 16;

/// The key of shingle `x` for a permutation, `cvtt(fl(alf xlf - 2^31)) + ah xl + al xh + bh +
/// KEY_BIAS` (mod 2^32, with `alf = fl(al) 2^-32`, `xlf = fl(xl)`, `cvtt` the truncating
/// conversion to `i32`), exceeds the exact sign-flipped high word `hi32(a x + b) - 2^31` by 0
/// to `KEY_SLACK` (mod 2^32). Proof: let `P = al xl 2^-32 < 2^32` and `H = hi32(al xl + bl)`,
/// so `P - 1 < H < P + 1`. Rounding a 32-bit integer to f32 has relative error at most 2^-24,
/// so `y = alf xlf` has `|y - P| <= P (2^-23 + 2^-48) < 512.0001`; the FMA rounds `y - 2^31`
/// (magnitude below 2^31 + 513) once, by at most 128, to `r >= -2^31`. For `r < 2^31` the
/// truncation moves it by less than 1, so `cvtt(r)` differs from `H - 2^31` by less than 643.
/// For `r >= 2^31` the conversion gives `-2^31`, which is `2^31` modulo 2^32, and `H - 2^31 >
/// r - 642 >= 2^31 - 642`: it exceeds that residue by less than 642. With the two exact cross
/// products and `bh` added (mod 2^32), the key minus `KEY_BIAS` is within 643 of the exact
/// flipped high word, so the key exceeds it by 0 to 1286.
const KEY_BIAS: u32 = 643;
const KEY_SLACK: i64 = 2048;

/// The AVX2 classic kernel: filtered by keys in chunks (module comment above) for the
/// permutations in whole groups of 16 when there are enough shingles, exact for the rest.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn classic_min_avx2(mixed: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    debug_assert!(a.len() == b.len() && a.len() == out.len());
    let filtered = if mixed.len() < AVX2_EXACT_BELOW { 0 } else { a.len() / 16 * 16 };
    if filtered > 0 {
        // Per shingle of the chunk: `fl(xl)`, `xl`, `xh` and its index, each in 8 lanes.
        let mut buffer = [const { MaybeUninit::<[__m256i; 4]>::uninit() }; AVX2_CHUNK];
        for chunk in mixed.chunks(AVX2_CHUNK) {
            for (slot, (j, &x)) in buffer.iter_mut().zip(chunk.iter().enumerate()) {
                slot.write([
                    _mm256_castps_si256(_mm256_set1_ps(x as u32 as f32)),
                    _mm256_set1_epi32(x as u32 as i32),
                    _mm256_set1_epi32((x >> 32) as u32 as i32),
                    _mm256_set1_epi32(j as i32),
                ]);
            }
            // SAFETY: the first `chunk.len()` entries were written just above.
            let shingles =
                unsafe { std::slice::from_raw_parts(buffer.as_ptr().cast::<[__m256i; 4]>(), chunk.len()) };
            for ((ba, bb), bo) in
                a[..filtered].chunks_exact(16).zip(b.chunks_exact(16)).zip(out.chunks_exact_mut(16))
            {
                // SAFETY: the caller's CPU has AVX2 and FMA; the slices have 16 elements.
                unsafe { classic_chunk_avx2(shingles, chunk, ba, bb, bo) };
            }
        }
    }
    // SAFETY: as above.
    unsafe { classic_min_exact_avx2(mixed, &a[filtered..], &b[filtered..], &mut out[filtered..]) }
}

/// The 8 lanes of `key_constants`: `fl(al) 2^-32`, `al`, `ah`, `bh + KEY_BIAS`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn key_constants(a: &[u64], b: &[u64]) -> [std::arch::x86_64::__m256i; 4] {
    use std::arch::x86_64::*;
    let (mut alf, mut al, mut ah, mut bh) = ([0f32; 8], [0u32; 8], [0u32; 8], [0u32; 8]);
    for lane in 0..8 {
        alf[lane] = a[lane] as u32 as f32 * (1.0 / 4_294_967_296.0);
        al[lane] = a[lane] as u32;
        ah[lane] = (a[lane] >> 32) as u32;
        bh[lane] = ((b[lane] >> 32) as u32).wrapping_add(KEY_BIAS);
    }
    // SAFETY: each array is 32 bytes.
    unsafe {
        [
            _mm256_loadu_si256(alf.as_ptr().cast()),
            _mm256_loadu_si256(al.as_ptr().cast()),
            _mm256_loadu_si256(ah.as_ptr().cast()),
            _mm256_loadu_si256(bh.as_ptr().cast()),
        ]
    }
}

/// The FMA's addend, `-2^31`.
const KEY_FLOAT_SHIFT: f32 = -2_147_483_648.0;

/// The keys of one shingle (`fl(xl)`, `xl`, `xh` in every lane) for the 8 permutations of
/// `key_constants`: `cvtt(fma(alf, xlf, shift)) + ah xl + al xh + bh` (mod 2^32), see
/// `KEY_BIAS`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn key_avx2(
    [alf, al, ah, bh]: [std::arch::x86_64::__m256i; 4],
    xlf: std::arch::x86_64::__m256,
    xl: std::arch::x86_64::__m256i,
    xh: std::arch::x86_64::__m256i,
    shift: std::arch::x86_64::__m256,
) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    let cross = _mm256_add_epi32(_mm256_mullo_epi32(ah, xl), _mm256_mullo_epi32(al, xh));
    let low = _mm256_cvttps_epi32(_mm256_fmadd_ps(_mm256_castsi256_ps(alf), xlf, shift));
    _mm256_add_epi32(_mm256_add_epi32(low, cross), bh)
}

/// One chunk for 16 permutations: keys, then the candidates' exact values (`resolve_avx2`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn classic_chunk_avx2(
    shingles: &[[std::arch::x86_64::__m256i; 4]],
    chunk: &[u64],
    a: &[u64],
    b: &[u64],
    out: &mut [u64],
) {
    use std::arch::x86_64::*;
    let [alf0, al0, ah0, bh0] = key_constants(&a[..8], &b[..8]);
    let [alf1, al1, ah1, bh1] = key_constants(&a[8..16], &b[8..16]);
    let shift = _mm256_set1_ps(KEY_FLOAT_SHIFT);
    let mut smallest = [_mm256_set1_epi32(i32::MAX); 2];
    let mut second = [_mm256_set1_epi32(i32::MAX); 2];
    for &[xlf, xl, xh, index] in shingles {
        let xlf = _mm256_castsi256_ps(xlf);
        // The key's top 16 bits, the shingle's index in the low 16.
        let p0 = _mm256_blend_epi16::<0x55>(key_avx2([alf0, al0, ah0, bh0], xlf, xl, xh, shift), index);
        let p1 = _mm256_blend_epi16::<0x55>(key_avx2([alf1, al1, ah1, bh1], xlf, xl, xh, shift), index);
        second[0] = _mm256_min_epi32(second[0], _mm256_max_epi32(smallest[0], p0));
        smallest[0] = _mm256_min_epi32(smallest[0], p0);
        second[1] = _mm256_min_epi32(second[1], _mm256_max_epi32(smallest[1], p1));
        smallest[1] = _mm256_min_epi32(smallest[1], p1);
    }
    for half in 0..2 {
        let lanes = 8 * half..8 * half + 8;
        // SAFETY: as the caller's.
        unsafe {
            resolve_avx2(
                smallest[half],
                second[half],
                chunk,
                &a[lanes.clone()],
                &b[lanes.clone()],
                &mut out[lanes],
            )
        };
    }
}

/// `a x + b` (mod 2^64) in 4 lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn mul_add_epi64(
    a: std::arch::x86_64::__m256i,
    x: std::arch::x86_64::__m256i,
    b: std::arch::x86_64::__m256i,
) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    let low = _mm256_mul_epu32(a, x);
    let cross = _mm256_add_epi64(
        _mm256_mul_epu32(_mm256_srli_epi64::<32>(a), x),
        _mm256_mul_epu32(a, _mm256_srli_epi64::<32>(x)),
    );
    _mm256_add_epi64(_mm256_add_epi64(low, b), _mm256_slli_epi64::<32>(cross))
}

/// After a chunk, for 8 permutations: `out = min(out, chunk's minimum)` from the smallest and
/// second-smallest packed keys (module comment above; the proof of each test is inline).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn resolve_avx2(
    smallest: std::arch::x86_64::__m256i,
    second: std::arch::x86_64::__m256i,
    chunk: &[u64],
    a: &[u64],
    b: &[u64],
    out: &mut [u64],
) {
    use std::arch::x86_64::*;
    let bucket = _mm256_srai_epi32::<16>(smallest);
    let second_bucket = _mm256_srai_epi32::<16>(second);
    let index = _mm256_and_si256(smallest, _mm256_set1_epi32(0xFFFF));
    // SAFETY: every index is that of a shingle of the chunk (the low 16 bits of a packed key,
    // and the chunk is not empty, so the smallest key is one of its shingles').
    let (x0, x1) = unsafe {
        (
            _mm256_i32gather_epi64::<8>(chunk.as_ptr().cast(), _mm256_castsi256_si128(index)),
            _mm256_i32gather_epi64::<8>(chunk.as_ptr().cast(), _mm256_extracti128_si256::<1>(index)),
        )
    };
    // SAFETY: `a`, `b` and `out` have 8 elements.
    let (a0, a1, b0, b1) = unsafe {
        (
            _mm256_loadu_si256(a.as_ptr().cast()),
            _mm256_loadu_si256(a[4..].as_ptr().cast()),
            _mm256_loadu_si256(b.as_ptr().cast()),
            _mm256_loadu_si256(b[4..].as_ptr().cast()),
        )
    };
    let (v0, v1) = (mul_add_epi64(a0, x0, b0), mul_add_epi64(a1, x1, b1));
    // The candidates' exact flipped high words, in lane order.
    let high =
        _mm256_castps_si256(_mm256_shuffle_ps::<0xDD>(_mm256_castsi256_ps(v0), _mm256_castsi256_ps(v1)));
    let high = _mm256_xor_si256(_mm256_permute4x64_epi64::<0xD8>(high), _mm256_set1_epi32(i32::MIN));
    // Consistent: the candidate's key did not wrap, i.e. key >= its exact flipped high word t,
    // i.e. (its key's bucket is `bucket`) t >> 16 <= bucket. (A wrapped key is below
    // -2^31 + KEY_SLACK, bucket -2^15, while t >= 2^31 - KEY_SLACK, t >> 16 = 2^15 - 1.)
    // Separated: every other shingle's packed key is >= `second`, so its key's bucket is >=
    // `second_bucket` >= bucket + 2; if its key did not wrap, its flipped high word is >= key -
    // KEY_SLACK >= (bucket + 2) 2^16 - KEY_SLACK > bucket 2^16 + 2^16 - 1 >= the candidate's key
    // >= t: its value is larger. A wrapped key would be in bucket -2^15 < bucket + 2.
    let inconsistent = _mm256_cmpgt_epi32(_mm256_srai_epi32::<16>(high), bucket);
    let separated = _mm256_cmpgt_epi32(second_bucket, _mm256_add_epi32(bucket, _mm256_set1_epi32(1)));
    let decided = _mm256_andnot_si256(inconsistent, separated);
    let sign = _mm256_set1_epi64x(i64::MIN);
    for (half, v) in [v0, v1].into_iter().enumerate() {
        let mask = _mm256_cvtepi32_epi64(if half == 0 {
            _mm256_castsi256_si128(decided)
        } else {
            _mm256_extracti128_si256::<1>(decided)
        });
        let slot = out[4 * half..].as_mut_ptr().cast::<__m256i>();
        // SAFETY: `out` has 8 elements.
        let current = unsafe { _mm256_loadu_si256(slot) };
        let smaller = _mm256_cmpgt_epi64(_mm256_xor_si256(current, sign), _mm256_xor_si256(v, sign));
        let take = _mm256_and_si256(mask, smaller);
        // SAFETY: as above.
        unsafe { _mm256_storeu_si256(slot, _mm256_blendv_epi8(current, v, take)) };
    }
    let mut undecided = !_mm256_movemask_ps(_mm256_castsi256_ps(decided)) as u32 & 0xFF;
    if undecided == 0 {
        return;
    }
    let mut buckets = [0i32; 8];
    // SAFETY: 32 bytes into an array of 32 bytes.
    unsafe { _mm256_storeu_si256(buckets.as_mut_ptr().cast(), bucket) };
    while undecided != 0 {
        let lane = undecided.trailing_zeros() as usize;
        undecided &= undecided - 1;
        // Every shingle of the chunk has a flipped high word >= bucket 2^16 - KEY_SLACK (its key
        // is in that bucket or above and exceeds it by at most KEY_SLACK; a wrapped key's is >=
        // 2^31 - KEY_SLACK, larger still): when that is above the minimum so far's, skip.
        let lower = buckets[lane] as i64 * 65536 - KEY_SLACK;
        let current = ((out[lane] >> 32) as u32 ^ 0x8000_0000) as i32 as i64;
        if lower <= current {
            // SAFETY: as the caller's.
            out[lane] = out[lane].min(unsafe { exact_min_avx2(chunk, a[lane], b[lane]) });
        }
    }
}

/// `min over x in xs of a x + b` (mod 2^64), exactly, 4 shingles at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn exact_min_avx2(xs: &[u64], a: u64, b: u64) -> u64 {
    use std::arch::x86_64::*;
    let sign = _mm256_set1_epi64x(i64::MIN);
    let (va, vb) = (_mm256_set1_epi64x(a as i64), _mm256_set1_epi64x((b ^ (1 << 63)) as i64));
    let mut smallest = _mm256_set1_epi64x(i64::MAX);
    let mut quads = xs.chunks_exact(4);
    for quad in &mut quads {
        // SAFETY: 4 elements.
        let x = unsafe { _mm256_loadu_si256(quad.as_ptr().cast()) };
        let v = mul_add_epi64(va, x, vb);
        smallest = _mm256_blendv_epi8(smallest, v, _mm256_cmpgt_epi64(smallest, v));
    }
    let mut lanes = [0u64; 4];
    // SAFETY: 32 bytes into an array of 32 bytes.
    unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), _mm256_xor_si256(smallest, sign)) };
    let tail = quads.remainder().iter().map(|&x| a.wrapping_mul(x).wrapping_add(b));
    lanes.into_iter().chain(tail).min().unwrap_or(u64::MAX)
}

/// The classic scheme with every value computed exactly, 16 permutations per pass over the
/// shingles (four registers of 4 lanes): `a x` as `al xl + (lo32(al xh) + lo32(ah xl)) 2^32`,
/// the cross terms by one 32-bit multiply of `a` with `x` rotated by 32 bits; the minimum
/// compares values whose top bit is flipped (`b`'s, which flips it) as signed. The last
/// `k mod 16` permutations as `classic_min_generic` (which the compiler vectorizes).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn classic_min_exact_avx2(mixed: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    use std::arch::x86_64::*;
    let whole = a.len() / 16 * 16;
    let sign = _mm256_set1_epi64x(i64::MIN);
    let high_half = _mm256_set1_epi64x(0xFFFF_FFFF_0000_0000_u64 as i64);
    for ((ba, bb), bo) in a[..whole].chunks_exact(16).zip(b.chunks_exact(16)).zip(out.chunks_exact_mut(16)) {
        let mut va = [_mm256_setzero_si256(); 4];
        let mut vb = [_mm256_setzero_si256(); 4];
        let mut smallest = [_mm256_setzero_si256(); 4];
        for r in 0..4 {
            // SAFETY: each slice has 16 elements.
            unsafe {
                va[r] = _mm256_loadu_si256(ba[4 * r..].as_ptr().cast());
                vb[r] = _mm256_xor_si256(_mm256_loadu_si256(bb[4 * r..].as_ptr().cast()), sign);
                smallest[r] = _mm256_xor_si256(_mm256_loadu_si256(bo[4 * r..].as_ptr().cast()), sign);
            }
        }
        for &x in mixed {
            let xl = _mm256_set1_epi64x(x as i64);
            let rotated = _mm256_set1_epi64x(x.rotate_left(32) as i64);
            for r in 0..4 {
                let low = _mm256_mul_epu32(va[r], xl);
                let cross = _mm256_mullo_epi32(va[r], rotated);
                let v = _mm256_add_epi64(
                    _mm256_add_epi64(low, vb[r]),
                    _mm256_add_epi64(_mm256_slli_epi64::<32>(cross), _mm256_and_si256(cross, high_half)),
                );
                smallest[r] = _mm256_blendv_epi8(smallest[r], v, _mm256_cmpgt_epi64(smallest[r], v));
            }
        }
        for r in 0..4 {
            // SAFETY: as above.
            unsafe {
                _mm256_storeu_si256(bo[4 * r..].as_mut_ptr().cast(), _mm256_xor_si256(smallest[r], sign))
            };
        }
    }
    classic_min_generic(mixed, &a[whole..], &b[whole..], &mut out[whole..])
}

/// `out[i] = min(out[i], min over x in mixed of a[i] * x + b[i])`, wrapping arithmetic, on
/// the given SIMD path (the same integer values on every path).
fn classic_min(path: SimdPath, mixed: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    match path {
        // SAFETY (both): a path is taken only on a CPU that has its features (`simd`).
        SimdPath::Avx512 => return unsafe { classic_min_avx512(mixed, a, b, out) },
        SimdPath::Avx2 => return unsafe { classic_min_avx2(mixed, a, b, out) },
        SimdPath::Portable => {}
    }
    let _ = path;
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

    /// `classic_min` on every SIMD path this CPU can run, against the definition.
    fn check_classic_paths(mixed: &[u64], a: &[u64], b: &[u64], what: &str) {
        let expected: Vec<u64> = a
            .iter()
            .zip(b)
            .map(|(&a, &b)| {
                mixed.iter().map(|&x| a.wrapping_mul(x).wrapping_add(b)).min().unwrap_or(u64::MAX)
            })
            .collect();
        for path in simd::supported() {
            let mut out = vec![u64::MAX; a.len()];
            classic_min(path, mixed, a, b, &mut out);
            assert_eq!(out, expected, "{} {what}", path.name());
        }
    }

    #[test]
    fn classic_blocks_equal_the_definition() {
        let shingles: Vec<u64> =
            (0..300u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i << 7)).collect();
        for k in [1, 5, 15, 16, 17, 31, 32, 33, 64, 100, 128, 257] {
            let hasher = MinHasher::new(Scheme::Classic, k, 99).unwrap();
            let (a, b) = hasher.permutations();
            for len in [0, 1, 2, 11, 12, 17, 300] {
                let set = &shingles[..len];
                let expected: Vec<u64> = (0..k)
                    .map(|i| {
                        set.iter()
                            .map(|&x| a[i].wrapping_mul(fmix64(x)).wrapping_add(b[i]))
                            .min()
                            .unwrap_or(u64::MAX)
                    })
                    .collect();
                for path in simd::supported() {
                    let sig = simd::tests::force(path, || hasher.sign(set));
                    assert_eq!(sig, expected, "{} k={k} len={len}", path.name());
                }
                let mixed: Vec<u64> = set.iter().map(|&x| fmix64(x)).collect();
                check_classic_paths(&mixed, a, b, &format!("k={k} len={len}"));
            }
        }
    }

    /// The inverse of an odd `a` modulo 2^64 (Newton's iteration).
    fn inverse(a: u64) -> u64 {
        let mut inv = a;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(inv)));
        }
        assert_eq!(a.wrapping_mul(inv), 1);
        inv
    }

    /// The shingle whose value under permutation `(a, b)` is `target`.
    fn planted(a: u64, b: u64, target: u64) -> u64 {
        target.wrapping_sub(b).wrapping_mul(inverse(a))
    }

    /// Permutation parameters that stress the AVX2 keys: the low and high words of `a` and
    /// `b` at their extremes, then random ones (`a` odd, as the scheme draws it).
    fn stress_permutations(k: usize, state: &mut u64) -> (Vec<u64>, Vec<u64>) {
        let words = [0u64, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF];
        let mut a = Vec::new();
        let mut b = Vec::new();
        for i in 0..k {
            let r = splitmix64(state);
            let (ah, al) = (words[i % 5], words[(i / 5) % 5]);
            let (bh, bl) = (words[(i / 25) % 5], words[(i / 125) % 5]);
            if i < 250 && i % 3 != 0 {
                a.push((ah << 32 | al) | 1);
                b.push(bh << 32 | bl);
            } else {
                a.push(r | 1);
                b.push(splitmix64(state));
            }
        }
        (a, b)
    }

    #[test]
    fn avx2_keys_exceed_the_high_word_by_at_most_the_slack() {
        #[cfg(target_arch = "x86_64")]
        if SimdPath::Avx2.is_supported() {
            use std::arch::x86_64::*;
            let mut state = 11;
            let (a, b) = stress_permutations(256, &mut state);
            let mut xs = vec![
                0u64,
                1,
                u64::MAX,
                0xFFFF_FFFF,
                1 << 32,
                0x8000_0000_8000_0000,
                0x00FF_FFFF,
                0x0100_0001,
            ];
            for word in [
                0u64,
                1,
                0xFF,
                0xFFFF,
                0xFF_FFFF,
                0x100_0000,
                0x7FFF_FFFF,
                0x8000_0000,
                0xFFFF_FF80,
                0xFFFF_FFFF,
            ] {
                xs.push(word);
                xs.push(word << 32 | 0xFFFF_FFFF);
                xs.push(splitmix64(&mut state) << 32 | word);
            }
            xs.extend((0..2000).map(|_| splitmix64(&mut state)));
            for (ba, bb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
                // Shingles whose values have the smallest and largest high words.
                let mut group_xs = xs.clone();
                for (&pa, &pb) in ba.iter().zip(bb) {
                    for target in [
                        0,
                        1,
                        0xFFFF_FFFF,
                        1 << 32,
                        642 << 32,
                        644 << 32,
                        u64::MAX,
                        u64::MAX << 32,
                        (u64::MAX - 1700) << 32,
                    ] {
                        group_xs.push(planted(pa, pb, target));
                    }
                }
                for &x in &group_xs {
                    // SAFETY: the CPU has AVX2 and FMA.
                    let keys = unsafe {
                        let key = key_avx2(
                            key_constants(ba, bb),
                            _mm256_set1_ps(x as u32 as f32),
                            _mm256_set1_epi32(x as u32 as i32),
                            _mm256_set1_epi32((x >> 32) as u32 as i32),
                            _mm256_set1_ps(KEY_FLOAT_SHIFT),
                        );
                        let mut lanes = [0u32; 8];
                        _mm256_storeu_si256(lanes.as_mut_ptr().cast(), key);
                        lanes
                    };
                    for lane in 0..8 {
                        let flipped =
                            ((ba[lane].wrapping_mul(x).wrapping_add(bb[lane]) >> 32) as u32) ^ 0x8000_0000;
                        let excess = keys[lane].wrapping_sub(flipped) as i64;
                        assert!(
                            (0..=KEY_SLACK).contains(&excess),
                            "a={:#x} b={:#x} x={x:#x}: key exceeds the high word by {excess}",
                            ba[lane],
                            bb[lane]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn classic_paths_agree_on_planted_minima() {
        // Per permutation, shingles planted at values that stress the AVX2 resolution: the
        // smallest possible values (a key that rounds to the bottom of the range), values
        // equal in the high word, repeated shingles, values at the top of the range (wrapped
        // keys), the minimum first or last in a chunk, many chunks.
        let mut state = 3;
        for k in [16, 20, 128] {
            let (a, b) = stress_permutations(k, &mut state);
            for n in [16, 40, AVX2_CHUNK - 1, AVX2_CHUNK, AVX2_CHUNK + 1, 3 * AVX2_CHUNK + 7] {
                for case in 0..10 {
                    let mut mixed: Vec<u64> = (0..n).map(|_| splitmix64(&mut state)).collect();
                    for (i, (&pa, &pb)) in a.iter().zip(&b).enumerate() {
                        let at = |slot: u64| (slot as usize + i) % n;
                        match case {
                            0 => mixed[at(0)] = planted(pa, pb, 0),
                            1 => {
                                mixed[at(1)] = planted(pa, pb, 5 << 32 | 7);
                                mixed[at(2)] = planted(pa, pb, 5 << 32 | 3);
                            }
                            2 => {
                                let x = planted(pa, pb, 1 << 40);
                                mixed[at(3)] = x;
                                mixed[at(n as u64 - 1)] = x;
                            }
                            3 => {
                                // Every value in the top 2^-20 of the range: wrapped keys.
                                for slot in 0..n as u64 {
                                    let target = u64::MAX - (splitmix64(&mut state) >> 20);
                                    if slot % 4 == (i as u64) % 4 {
                                        mixed[slot as usize] = planted(pa, pb, target);
                                    }
                                }
                            }
                            4 => mixed[at(AVX2_CHUNK as u64 - 1)] = planted(pa, pb, 1666 << 32),
                            5 => {
                                // Two shingles 2^16 buckets apart in the high word, and one close.
                                mixed[at(4)] = planted(pa, pb, 1 << 48);
                                mixed[at(5)] = planted(pa, pb, (1 << 48) + (3 << 47));
                                mixed[at(6)] = planted(pa, pb, (1 << 48) + (1 << 33));
                            }
                            6 => {
                                let x = mixed[0];
                                mixed.iter_mut().step_by(3).for_each(|m| *m = x);
                            }
                            7 => {
                                // Two values just below a multiple of 2^16 in the high word: the
                                // smaller one's key may fall in the next bucket, the other's not.
                                let edge = 65536 * (1 + i as u64 % 3);
                                mixed[at(7)] = planted(pa, pb, (edge - 643) << 32);
                                mixed[at(8)] = planted(pa, pb, (edge - 644) << 32 | 5);
                            }
                            8 => {
                                // A minimum so far in the first chunk, and in a later chunk a
                                // smaller value, repeated (so undecided), whose key may lie in
                                // the bucket above the minimum so far.
                                let edge = 65536 * (1 + i as u64 % 3);
                                mixed[at(9)] = planted(pa, pb, (edge - 100) << 32);
                                let x = planted(pa, pb, (edge - 200) << 32);
                                mixed[(at(9) + AVX2_CHUNK) % n] = x;
                                mixed[(at(9) + AVX2_CHUNK + 2) % n] = x;
                            }
                            _ => {}
                        }
                    }
                    check_classic_paths(&mixed, &a, &b, &format!("k={k} n={n} case={case}"));
                }
            }
        }
    }

    #[test]
    fn classic_paths_agree_on_random_sets() {
        let mut state = 17;
        for round in 0..60 {
            let k = [1, 7, 16, 33, 64, 128, 200][round % 7];
            let n = (splitmix64(&mut state) % 1200) as usize;
            let hasher = MinHasher::new(Scheme::Classic, k, splitmix64(&mut state)).unwrap();
            let (a, b) = hasher.permutations();
            let mut mixed: Vec<u64> = Vec::with_capacity(n);
            for _ in 0..n {
                let r = splitmix64(&mut state);
                // A tenth of the shingles repeat earlier ones.
                if !mixed.is_empty() && r.is_multiple_of(10) {
                    let i = (r >> 8) as usize % mixed.len();
                    mixed.push(mixed[i]);
                } else {
                    mixed.push(fmix64(r));
                }
            }
            check_classic_paths(&mixed, a, b, &format!("round {round} k={k} n={n}"));
        }
    }

    #[test]
    fn mixing_paths_agree() {
        let values: Vec<u64> = (0..37u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
        for path in simd::supported() {
            let mut mixed = values.clone();
            mix_in_place(path, &mut mixed, 12345);
            let expected: Vec<u64> = values.iter().map(|&x| fmix64(x ^ 12345)).collect();
            assert_eq!(mixed, expected, "{}", path.name());
        }
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
                let expected = spec(dkey, &filled, &values);
                for path in simd::supported() {
                    let mut out = values.clone();
                    simd::tests::force(path, || densify(dkey, &filled, &mut out));
                    assert_eq!(out, expected, "{} k={k} filled={filled_count}", path.name());
                }
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
                    for path in simd::supported() {
                        let name = path.name();
                        assert_eq!(
                            scalar,
                            first_probe_hit(path, dkey, j as u64, &reducer, &bits, few),
                            "{name} k={k} j={j}"
                        );
                        assert_eq!(
                            scalar,
                            first_probe_hit(path, dkey, j as u64, &reducer, &bits, &[]),
                            "{name} gather k={k} j={j}"
                        );
                    }
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
