//! SimHash (Charikar 2002) 64-bit fingerprints of weighted features, and an exact
//! Hamming-distance search over many fingerprints with permuted tables (Manku, Jain,
//! Das Sarma 2007). The pure-Python twin is `python/neardup/_reference/simhash.py`.
//!
//! Fingerprint (specified, so that stored fingerprints stay valid):
//! * each feature is a 64-bit hash `x` with a weight `w`; its bit pattern is `fmix64(x)`
//!   (the MurmurHash3 finalizer, so that structured hashes such as small token ids spread);
//! * `V[b] = sum over features of (+w if bit b of fmix64(x) is set else -w)`, in feature
//!   order (f64 additions for given weights, exact integers for counted ones);
//! * bit `b` of the fingerprint is 1 iff `V[b] > 0`. No features: fingerprint 0.
//!
//! From text the features are neardup's shingle hashes; weighting `tf` gives each occurrence
//! weight 1 (a repeated shingle counts as often as it occurs), `binary` each distinct shingle
//! weight 1. Both are integer sums: `V[b] = 2 * ones[b] - count`.
//!
//! Search: with `blocks = B > k`, the 64 bits are cut into `B` contiguous blocks (the first
//! `64 % B` one bit wider), bit 0 first. Two fingerprints within distance `k` differ in at
//! most `k` blocks, so they agree exactly on the other `B - k`: one table per choice of the
//! `k` free blocks (`C(B, k)` tables, in lexicographic order of the free blocks), keyed by
//! the fingerprint masked to the remaining blocks, finds every pair within `k` and only
//! compares fingerprints that share a key. Results are exact, so they equal a linear scan.

use std::collections::HashSet;

use crate::csr::check_offsets;
use crate::error::Error;
use crate::hash::{fmix64, KeyMap};
use crate::parallel::map_ordered;
use crate::text::{self, ShingleKind};

/// Upper bound of the number of tables `C(blocks, k)` (memory: one entry per table per id).
pub const MAX_TABLES: usize = 1024;

/// How shingles of a text are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    /// Every occurrence counts 1 (term frequency).
    Tf,
    /// Every distinct shingle counts 1.
    Binary,
}

impl Weighting {
    pub fn parse(name: &str) -> Result<Self, Error> {
        match name {
            "tf" => Ok(Weighting::Tf),
            "binary" => Ok(Weighting::Binary),
            other => {
                Err(Error::InvalidArgument(format!("weighting must be 'tf' or 'binary', got '{other}'")))
            }
        }
    }
}

/// Fingerprint of features of weight 1 each: bit b is set iff more than half of them have it.
pub fn from_counted(hashes: &[u64]) -> u64 {
    let mut ones = [0u64; 64];
    for &h in hashes {
        let x = fmix64(h);
        for (b, count) in ones.iter_mut().enumerate() {
            *count += (x >> b) & 1;
        }
    }
    let n = hashes.len() as u64;
    // 2 * ones > n, written without overflow.
    ones.iter().enumerate().fold(0u64, |fp, (b, &c)| if c > n - c { fp | 1 << b } else { fp })
}

/// Fingerprint of shingle hashes under a weighting.
pub fn from_shingles(hashes: &[u64], weighting: Weighting) -> u64 {
    match weighting {
        Weighting::Tf => from_counted(hashes),
        Weighting::Binary => {
            let mut distinct = hashes.to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            from_counted(&distinct)
        }
    }
}

/// Check weights: finite and >= 0 (a NaN or infinity would make every later sum meaningless).
pub fn check_weights(weights: &[f64], doc: Option<usize>) -> Result<(), Error> {
    if let Some((j, w)) = weights.iter().enumerate().find(|(_, w)| !(w.is_finite() && **w >= 0.0)) {
        let prefix = doc.map(|d| format!("document {d}, ")).unwrap_or_default();
        return Err(Error::InvalidArgument(format!(
            "{prefix}feature {j}: weight must be finite and >= 0, got {}",
            describe_weight(*w)
        )));
    }
    Ok(())
}

/// A bad weight in words both backends share (float formatting differs between languages).
fn describe_weight(w: f64) -> &'static str {
    if w.is_nan() {
        "nan"
    } else if w == f64::INFINITY {
        "inf"
    } else if w == f64::NEG_INFINITY {
        "-inf"
    } else {
        "a negative number"
    }
}

/// Fingerprint of `(hash, weight)` features, summed in the given order.
pub fn from_weighted(hashes: &[u64], weights: &[f64]) -> Result<u64, Error> {
    if hashes.len() != weights.len() {
        return Err(Error::InvalidArgument(format!("{} hashes for {} weights", hashes.len(), weights.len())));
    }
    check_weights(weights, None)?;
    Ok(weighted_unchecked(hashes, weights))
}

fn weighted_unchecked(hashes: &[u64], weights: &[f64]) -> u64 {
    let mut v = [0.0f64; 64];
    for (&h, &w) in hashes.iter().zip(weights) {
        let x = fmix64(h);
        for (b, sum) in v.iter_mut().enumerate() {
            if (x >> b) & 1 == 1 {
                *sum += w;
            } else {
                *sum -= w;
            }
        }
    }
    v.iter().enumerate().fold(0u64, |fp, (b, &s)| if s > 0.0 { fp | 1 << b } else { fp })
}

/// Fingerprint of a text: its shingles (as `text::shingles`) under a weighting.
pub fn from_text(
    text: &str,
    n: usize,
    kind: ShingleKind,
    weighting: Weighting,
    shingle_seed: u64,
) -> Result<u64, Error> {
    Ok(from_shingles(&text::shingles(text, n, kind, shingle_seed)?, weighting))
}

/// Fingerprints of many texts, in parallel; independent of the thread count.
pub fn from_texts<T: AsRef<str> + Sync>(
    texts: &[T],
    n: usize,
    kind: ShingleKind,
    weighting: Weighting,
    shingle_seed: u64,
    num_threads: Option<usize>,
) -> Result<Vec<u64>, Error> {
    text::check_ngram(n)?;
    map_ordered(texts, num_threads, |t| from_text(t.as_ref(), n, kind, weighting, shingle_seed))?
        .into_iter()
        .collect()
}

/// Fingerprints of documents of weighted features in CSR layout: document `i` owns
/// `hashes[offsets[i]..offsets[i + 1]]` and the same range of `weights`.
pub fn from_weighted_csr(
    hashes: &[u64],
    weights: &[f64],
    offsets: &[usize],
    num_threads: Option<usize>,
) -> Result<Vec<u64>, Error> {
    if hashes.len() != weights.len() {
        return Err(Error::InvalidArgument(format!("{} hashes for {} weights", hashes.len(), weights.len())));
    }
    let n = check_offsets(offsets, hashes.len())?;
    for d in 0..n {
        check_weights(&weights[offsets[d]..offsets[d + 1]], Some(d))?;
    }
    let docs: Vec<usize> = (0..n).collect();
    map_ordered(&docs, num_threads, |&d| {
        let range = offsets[d]..offsets[d + 1];
        weighted_unchecked(&hashes[range.clone()], &weights[range])
    })
}

/// Fingerprints of documents of shingle hashes in CSR layout under a weighting.
pub fn from_shingles_csr(
    hashes: &[u64],
    offsets: &[usize],
    weighting: Weighting,
    num_threads: Option<usize>,
) -> Result<Vec<u64>, Error> {
    let n = check_offsets(offsets, hashes.len())?;
    let docs: Vec<usize> = (0..n).collect();
    map_ordered(&docs, num_threads, |&d| from_shingles(&hashes[offsets[d]..offsets[d + 1]], weighting))
}

#[inline]
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The table layout of a search for distance `k` with `blocks` blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub k: u32,
    pub blocks: u32,
    /// One mask per table: the bits of the blocks a table keys on.
    pub masks: Vec<u64>,
}

/// `C(n, r)`, saturating at `usize::MAX`.
fn binomial(n: u64, r: u64) -> usize {
    let r = r.min(n - r);
    let mut out: u128 = 1;
    for i in 0..r {
        out = out * (n - i) as u128 / (i + 1) as u128;
        if out > usize::MAX as u128 {
            return usize::MAX;
        }
    }
    out as usize
}

impl Tables {
    /// `k` in `[0, 63]`; `blocks` in `[k + 1, 64]` (`None`: `k + 1`, the fewest tables).
    pub fn new(k: u32, blocks: Option<u32>) -> Result<Self, Error> {
        if k > 63 {
            return Err(Error::InvalidArgument(format!("k must be in [0, 63], got {k}")));
        }
        let blocks = blocks.unwrap_or(k + 1);
        if blocks <= k || blocks > 64 {
            return Err(Error::InvalidArgument(format!(
                "blocks must be in [k + 1, 64] = [{}, 64], got {blocks}",
                k + 1
            )));
        }
        let count = binomial(blocks as u64, k as u64);
        if count > MAX_TABLES {
            return Err(Error::InvalidArgument(format!(
                "blocks={blocks} with k={k} needs C({blocks}, {k}) = {count} tables, more than {MAX_TABLES}; \
                 use fewer blocks"
            )));
        }
        let (base, wide) = (64 / blocks, 64 % blocks);
        let mut block_masks = Vec::with_capacity(blocks as usize);
        let mut start = 0u32;
        for i in 0..blocks {
            let width = base + u32::from(i < wide);
            let ones = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
            block_masks.push(ones << start);
            start += width;
        }
        // Free blocks in lexicographic order of combinations; each table keys on the rest.
        let mut masks = Vec::with_capacity(count);
        let mut free: Vec<usize> = (0..k as usize).collect();
        loop {
            let free_bits = free.iter().fold(0u64, |m, &i| m | block_masks[i]);
            masks.push(!free_bits);
            // Next combination of k out of `blocks`.
            let Some(pos) = (0..free.len()).rev().find(|&p| free[p] != p + blocks as usize - k as usize)
            else {
                break;
            };
            free[pos] += 1;
            for q in pos + 1..free.len() {
                free[q] = free[q - 1] + 1;
            }
        }
        Ok(Tables { k, blocks, masks })
    }

    /// True when `(a, b)` already shares the key of a table before `table` (so a pair is
    /// reported by the first table it meets and no deduplication is needed).
    #[inline]
    fn met_before(&self, diff: u64, table: usize) -> bool {
        self.masks[..table].iter().any(|&m| diff & m == 0)
    }
}

/// Every pair `(i, j)`, `i < j`, of fingerprints within Hamming distance `k`, sorted, with its
/// distance. Exact (equal to a linear scan); independent of the thread count.
pub fn pairs_within(
    fingerprints: &[u64],
    tables: &Tables,
    num_threads: Option<usize>,
) -> Result<Vec<(usize, usize, u32)>, Error> {
    let ids: Vec<usize> = (0..tables.masks.len()).collect();
    let per_table = map_ordered(&ids, num_threads, |&t| {
        let mask = tables.masks[t];
        let mut keyed: Vec<(u64, usize)> =
            fingerprints.iter().enumerate().map(|(i, &fp)| (fp & mask, i)).collect();
        keyed.sort_unstable();
        let mut out = Vec::new();
        let mut start = 0;
        while start < keyed.len() {
            let mut end = start + 1;
            while end < keyed.len() && keyed[end].0 == keyed[start].0 {
                end += 1;
            }
            for x in start..end {
                let (i, a) = (keyed[x].1, fingerprints[keyed[x].1]);
                for &(_, j) in &keyed[x + 1..end] {
                    let diff = a ^ fingerprints[j];
                    if diff.count_ones() <= tables.k && !tables.met_before(diff, t) {
                        out.push((i, j, diff.count_ones()));
                    }
                }
            }
            start = end;
        }
        out
    })?;
    let mut pairs: Vec<(usize, usize, u32)> = per_table.into_iter().flatten().collect();
    pairs.sort_unstable();
    Ok(pairs)
}

/// A Hamming-distance index of fingerprints under caller-chosen 64-bit ids.
#[derive(Debug, Clone)]
pub struct SimHashIndex {
    tables: Tables,
    buckets: Vec<KeyMap<Vec<u64>>>,
    fingerprints: KeyMap<u64>,
}

impl SimHashIndex {
    pub fn new(k: u32, blocks: Option<u32>) -> Result<Self, Error> {
        let tables = Tables::new(k, blocks)?;
        let buckets = tables.masks.iter().map(|_| KeyMap::default()).collect();
        Ok(SimHashIndex { tables, buckets, fingerprints: KeyMap::default() })
    }

    pub fn k(&self) -> u32 {
        self.tables.k
    }
    pub fn blocks(&self) -> u32 {
        self.tables.blocks
    }
    pub fn num_tables(&self) -> usize {
        self.tables.masks.len()
    }
    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
    pub fn contains(&self, id: u64) -> bool {
        self.fingerprints.contains_key(&id)
    }
    pub fn fingerprint(&self, id: u64) -> Option<u64> {
        self.fingerprints.get(&id).copied()
    }

    pub fn insert(&mut self, id: u64, fingerprint: u64) -> Result<(), Error> {
        if self.fingerprints.contains_key(&id) {
            return Err(Error::InvalidArgument(format!("id {id} is already in the index")));
        }
        for (table, &mask) in self.buckets.iter_mut().zip(&self.tables.masks) {
            table.entry(fingerprint & mask).or_default().push(id);
        }
        self.fingerprints.insert(id, fingerprint);
        Ok(())
    }

    /// Insert `fingerprints[i]` under `ids[i]`, all or nothing: every check passes before
    /// anything is inserted.
    pub fn insert_batch(&mut self, ids: &[u64], fingerprints: &[u64]) -> Result<(), Error> {
        if ids.len() != fingerprints.len() {
            return Err(Error::InvalidArgument(format!(
                "{} ids for {} fingerprints",
                ids.len(),
                fingerprints.len()
            )));
        }
        let mut seen = HashSet::with_capacity(ids.len());
        for (k, &id) in ids.iter().enumerate() {
            if self.contains(id) || !seen.insert(id) {
                return Err(Error::InvalidArgument(format!("document {k}: id {id} is already in the index")));
            }
        }
        for (&id, &fingerprint) in ids.iter().zip(fingerprints) {
            self.insert(id, fingerprint)?;
        }
        Ok(())
    }

    pub fn remove(&mut self, id: u64) -> Result<(), Error> {
        let fingerprint = self
            .fingerprints
            .remove(&id)
            .ok_or_else(|| Error::InvalidArgument(format!("id {id} is not in the index")))?;
        for (table, &mask) in self.buckets.iter_mut().zip(&self.tables.masks) {
            let key = fingerprint & mask;
            if let Some(bucket) = table.get_mut(&key) {
                bucket.retain(|&other| other != id);
                if bucket.is_empty() {
                    table.remove(&key);
                }
            }
        }
        Ok(())
    }

    /// The ids within distance `k` of `fingerprint`, ascending, with their distances.
    pub fn query(&self, fingerprint: u64) -> Vec<(u64, u32)> {
        let mut found = Vec::new();
        for (t, (table, &mask)) in self.buckets.iter().zip(&self.tables.masks).enumerate() {
            if let Some(bucket) = table.get(&(fingerprint & mask)) {
                for &id in bucket {
                    let diff = fingerprint ^ self.fingerprints[&id];
                    if diff.count_ones() <= self.tables.k && !self.tables.met_before(diff, t) {
                        found.push((id, diff.count_ones()));
                    }
                }
            }
        }
        found.sort_unstable();
        found
    }

    /// Every pair of indexed ids within distance `k`, as `(smaller, larger, distance)`, sorted.
    pub fn pairs(&self) -> Vec<(u64, u64, u32)> {
        let mut out = Vec::new();
        for (t, table) in self.buckets.iter().enumerate() {
            for bucket in table.values() {
                for (x, &a) in bucket.iter().enumerate() {
                    let fa = self.fingerprints[&a];
                    for &b in &bucket[x + 1..] {
                        let diff = fa ^ self.fingerprints[&b];
                        if diff.count_ones() <= self.tables.k && !self.tables.met_before(diff, t) {
                            out.push((a.min(b), a.max(b), diff.count_ones()));
                        }
                    }
                }
            }
        }
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_insert_is_all_or_nothing() {
        let mut index = SimHashIndex::new(3, None).unwrap();
        index.insert(9, 0).unwrap();
        assert!(index.insert_batch(&[1, 9], &[5, 6]).is_err());
        assert!(index.insert_batch(&[1, 1], &[5, 6]).is_err());
        assert!(index.insert_batch(&[1], &[5, 6]).is_err());
        assert_eq!(index.len(), 1);
        index.insert_batch(&[1, 2], &[5, 6]).unwrap();
        assert_eq!(index.query(5), vec![(1, 0), (2, 2), (9, 2)]);
    }

    fn brute(fps: &[u64], k: u32) -> Vec<(usize, usize, u32)> {
        let mut out = Vec::new();
        for i in 0..fps.len() {
            for j in i + 1..fps.len() {
                let d = hamming(fps[i], fps[j]);
                if d <= k {
                    out.push((i, j, d));
                }
            }
        }
        out
    }

    #[test]
    fn fingerprint_rules() {
        assert_eq!(from_counted(&[]), 0);
        // One feature: the fingerprint is its mixed hash.
        assert_eq!(from_counted(&[42]), fmix64(42));
        assert_eq!(from_weighted(&[42], &[0.5]).unwrap(), fmix64(42));
        // Two opposite-ish features of equal weight tie everywhere they differ: ties give 0.
        let (a, b) = (fmix64(1), fmix64(2));
        assert_eq!(from_counted(&[1, 2]), a & b);
        // A heavier feature wins.
        assert_eq!(from_weighted(&[1, 2], &[2.0, 1.0]).unwrap(), a);
        // tf counts repeats, binary does not.
        assert_eq!(from_shingles(&[1, 1, 2], Weighting::Tf), a);
        assert_eq!(from_shingles(&[1, 1, 2], Weighting::Binary), a & b);
        assert!(from_weighted(&[1], &[f64::NAN]).is_err());
        assert!(from_weighted(&[1], &[-1.0]).is_err());
        assert!(from_weighted(&[1, 2], &[1.0]).is_err());
    }

    #[test]
    fn weighted_with_unit_weights_equals_counted() {
        let hashes: Vec<u64> = (0..200).map(|i| fmix64(i) % 50).collect();
        let ones = vec![1.0; hashes.len()];
        assert_eq!(from_weighted(&hashes, &ones).unwrap(), from_counted(&hashes));
    }

    #[test]
    fn table_layout() {
        let t = Tables::new(3, None).unwrap();
        assert_eq!(t.masks, vec![0xFFFF << 48, 0xFFFF << 32, 0xFFFF << 16, 0xFFFF]);
        let t = Tables::new(2, Some(5)).unwrap();
        assert_eq!(t.masks.len(), 10);
        // Blocks 13, 13, 13, 13, 12 bits; every table keys on 3 blocks.
        assert!(t.masks.iter().all(|m| (38..=39).contains(&m.count_ones())));
        assert_eq!(Tables::new(0, None).unwrap().masks, vec![u64::MAX]);
        assert_eq!(Tables::new(63, None).unwrap().masks.len(), 64);
        assert!(Tables::new(64, None).is_err());
        assert!(Tables::new(3, Some(3)).is_err());
        assert!(Tables::new(3, Some(65)).is_err());
        assert!(Tables::new(10, Some(40)).is_err());
    }

    #[test]
    fn pairs_equal_brute_force() {
        let mut state = 7u64;
        let mut fps = Vec::new();
        for i in 0..400u64 {
            let base = crate::hash::splitmix64(&mut state);
            fps.push(base);
            // Near copies: flip a few bits.
            let flips = crate::hash::splitmix64(&mut state);
            let mut near = base;
            for f in 0..(i % 6) {
                near ^= 1 << ((flips >> (6 * f)) & 63);
            }
            fps.push(near);
        }
        fps.extend([0, 0, 1, u64::MAX]);
        for (k, blocks) in [(0, None), (1, None), (3, None), (3, Some(6)), (5, Some(8)), (7, None)] {
            let tables = Tables::new(k, blocks).unwrap();
            let found = pairs_within(&fps, &tables, Some(2)).unwrap();
            assert_eq!(found, brute(&fps, k), "k={k} blocks={blocks:?}");
            assert_eq!(found, pairs_within(&fps, &tables, Some(1)).unwrap());
            let mut index = SimHashIndex::new(k, blocks).unwrap();
            for (i, &fp) in fps.iter().enumerate() {
                index.insert(i as u64, fp).unwrap();
            }
            let from_index: Vec<(usize, usize, u32)> =
                index.pairs().into_iter().map(|(a, b, d)| (a as usize, b as usize, d)).collect();
            assert_eq!(from_index, found);
        }
    }

    #[test]
    fn index_insert_query_remove() {
        let mut index = SimHashIndex::new(3, None).unwrap();
        index.insert(1, 0b1111).unwrap();
        index.insert(2, 0b0111).unwrap();
        index.insert(3, u64::MAX).unwrap();
        assert!(index.insert(1, 0).is_err());
        // Id 1 is 4 bits away from 0, beyond k = 3.
        assert_eq!(index.query(0), vec![(2, 3)]);
        assert_eq!(index.query(0b1111), vec![(1, 0), (2, 1)]);
        index.remove(2).unwrap();
        assert!(index.remove(2).is_err());
        assert_eq!(index.query(0b1111), vec![(1, 0)]);
        assert_eq!(index.len(), 2);
        assert_eq!(index.pairs(), vec![]);
    }
}
