//! Locality-sensitive hashing of MinHash signatures by banding.
//!
//! A signature of `num_perm` values is cut into `bands` bands of `rows` consecutive values
//! (band `j` is `sig[j * rows .. (j + 1) * rows]`; values past `bands * rows` are unused).
//! Two documents become candidates when all values of at least one band agree, which for
//! Jaccard similarity `s` happens with probability `1 - (1 - s^rows)^bands` (the S-curve).
//!
//! Band key (specified, so that a stored index stays valid): `h = fmix64(j + 0x9E3779B97F4A7C15)`,
//! then `h = fmix64(h ^ v)` for each value `v` of the band in order, all mod 2^64.
//!
//! The other source of candidates, for a short text inside a long one (which no banding of
//! whole-set signatures finds): `anchors`, a fixed sample of a document's shingle hashes, and
//! `anchor_pairs`, the documents sharing half the anchors of the one with fewer.

use std::collections::HashSet;

use crate::csr::{check_offsets, check_shape};
use crate::error::Error;
use crate::hash::{fmix64, KeyMap, GOLDEN_GAMMA};
use crate::parallel::map_ordered;

pub fn check_bands(num_perm: usize, bands: usize, rows: usize) -> Result<(), Error> {
    if bands == 0 || rows == 0 || bands.checked_mul(rows).is_none_or(|used| used > num_perm) {
        return Err(Error::InvalidArgument(format!(
            "bands and rows must be >= 1 with bands * rows <= num_perm ({num_perm}), got bands={bands}, rows={rows}"
        )));
    }
    Ok(())
}

#[inline]
pub fn band_key(band: usize, values: &[u64]) -> u64 {
    let mut h = fmix64((band as u64).wrapping_add(GOLDEN_GAMMA));
    for &v in values {
        h = fmix64(h ^ v);
    }
    h
}

/// The `bands` band keys of one signature.
pub fn band_keys(signature: &[u64], bands: usize, rows: usize) -> Vec<u64> {
    (0..bands).map(|j| band_key(j, &signature[j * rows..(j + 1) * rows])).collect()
}

/// Check a flat row-major matrix of signatures and return the number of rows.
pub fn check_signatures(flat: &[u64], num_perm: usize) -> Result<usize, Error> {
    if num_perm == 0 || !flat.len().is_multiple_of(num_perm) {
        return Err(Error::InvalidArgument(format!(
            "signatures must be an (n, num_perm) matrix; {} values do not divide into rows of {num_perm}",
            flat.len()
        )));
    }
    Ok(flat.len() / num_perm)
}

/// Bands keyed at once by [`candidate_pairs`]: each group's pairs join the distinct pairs found
/// so far and are sorted and deduplicated with them, so memory holds the distinct pairs and one
/// group's, not every band's with their repeats (a near-duplicate pair shares most bands).
const BAND_GROUP: usize = 8;

/// Every pair `(i, j)`, `i < j`, of documents sharing at least one band key, sorted and unique.
/// `signatures` is row-major `(n, num_perm)`. Independent of the thread count.
pub fn candidate_pairs(
    signatures: &[u64],
    num_perm: usize,
    bands: usize,
    rows: usize,
    num_threads: Option<usize>,
) -> Result<Vec<[usize; 2]>, Error> {
    check_bands(num_perm, bands, rows)?;
    let n = check_signatures(signatures, num_perm)?;
    pairs_of_bands(n, bands, num_threads, |i, j| {
        band_key(j, &signatures[i * num_perm + j * rows..i * num_perm + (j + 1) * rows])
    })
}

/// [`candidate_pairs`] of documents given by their band keys, row-major `(n, bands)` (as
/// [`band_keys`] makes them): the same pairs as from the signatures, from half their size at
/// 128 permutations in 64 bands.
pub fn candidate_pairs_of_keys(
    keys: &[u64],
    bands: usize,
    num_threads: Option<usize>,
) -> Result<Vec<[usize; 2]>, Error> {
    if bands == 0 || !keys.len().is_multiple_of(bands) {
        return Err(Error::InvalidArgument(format!(
            "keys must be an (n, bands) matrix with bands >= 1; {} values do not divide into rows of {bands}",
            keys.len()
        )));
    }
    pairs_of_bands(keys.len() / bands, bands, num_threads, |i, j| keys[i * bands + j])
}

/// The anchors of a document: the values of its sorted distinct shingle set `set` whose top
/// `bits` bits are 0 (one in `2**bits`, the same hashes in every document that holds them;
/// `bits` 0: all of them). The set being sorted, they are its first values.
pub fn anchors(set: &[u64], bits: u32) -> &[u64] {
    // (A shift by 64, for bits 0, keeps everything.)
    &set[..set.partition_point(|&h| h.checked_shr(64 - bits).unwrap_or(0) == 0)]
}

/// Anchor entries `(value, document)` sorted at once, at most about this many: a corpus's
/// anchors are taken in parts (by value modulo the number of parts) so that the memory of the
/// sort stays bounded whatever the corpus's size.
const ANCHOR_PART: usize = 1 << 22;

/// The pairs of documents that share at least half the anchors of the one with fewer (at
/// least one): candidates for a short text contained in a long one, which banding whole-set
/// signatures cannot find (the Jaccard similarity of a 500-word article and the 10,000-word
/// page holding it is 0.05). Document `i` owns the values `values[offsets[i]..offsets[i + 1]]`
/// (repeats count once), typically a fixed sample of its shingle hashes; a value that more
/// than `max_docs` documents hold is passed over (boilerplate, or one text copied many times,
/// which signatures find). Sorted `[i, j]` with `i < j`; the same for any thread count.
pub fn anchor_pairs(
    values: &[u64],
    offsets: &[usize],
    max_docs: usize,
    num_threads: Option<usize>,
) -> Result<Vec<[usize; 2]>, Error> {
    anchor_pairs_in_parts(values, offsets, max_docs, num_threads, ANCHOR_PART)
}

/// `anchor_pairs`, the anchors sorted in parts of about `part` entries.
fn anchor_pairs_in_parts(
    values: &[u64],
    offsets: &[usize],
    max_docs: usize,
    num_threads: Option<usize>,
    part: usize,
) -> Result<Vec<[usize; 2]>, Error> {
    let n = check_offsets(offsets, values.len())?;
    let parts = values.len().div_ceil(part).max(1) as u64;
    let part_ids: Vec<u64> = (0..parts).collect();
    // Per part: each document's distinct anchors, and one entry per pair per shared anchor.
    let found = map_ordered(&part_ids, num_threads, |&part| {
        let mut keyed: Vec<(u64, usize)> = Vec::new();
        for i in 0..n {
            keyed.extend(
                values[offsets[i]..offsets[i + 1]].iter().filter(|&&v| v % parts == part).map(|&v| (v, i)),
            );
        }
        keyed.sort_unstable();
        keyed.dedup();
        let mut held = vec![0usize; n];
        for &(_, i) in &keyed {
            held[i] += 1;
        }
        let mut shared = Vec::new();
        let mut start = 0;
        while start < keyed.len() {
            let end = start + keyed[start..].iter().take_while(|&&(v, _)| v == keyed[start].0).count();
            if end - start <= max_docs {
                bucket_pairs(&keyed[start..end], &mut shared);
            }
            start = end;
        }
        (held, shared)
    })?;
    let mut held = vec![0usize; n];
    let mut shared: Vec<[usize; 2]> = Vec::with_capacity(found.iter().map(|(_, s)| s.len()).sum());
    for (part_held, part_shared) in found {
        for (total, count) in held.iter_mut().zip(part_held) {
            *total += count;
        }
        shared.extend(part_shared);
    }
    shared.sort_unstable();
    let mut pairs = Vec::new();
    let mut start = 0;
    while start < shared.len() {
        let end = start + shared[start..].iter().take_while(|&&p| p == shared[start]).count();
        let [i, j] = shared[start];
        if 2 * (end - start) >= held[i].min(held[j]) {
            pairs.push([i, j]);
        }
        start = end;
    }
    Ok(pairs)
}

/// The pairs of `n` documents sharing the key `key(i, j)` of some band `j < bands`.
fn pairs_of_bands(
    n: usize,
    bands: usize,
    num_threads: Option<usize>,
    key: impl Fn(usize, usize) -> u64 + Sync + Send,
) -> Result<Vec<[usize; 2]>, Error> {
    let band_ids: Vec<usize> = (0..bands).collect();
    let mut pairs: Vec<[usize; 2]> = Vec::new();
    for group in band_ids.chunks(BAND_GROUP) {
        let per_band = map_ordered(group, num_threads, |&j| {
            let mut keyed: Vec<(u64, usize)> = (0..n).map(|i| (key(i, j), i)).collect();
            keyed.sort_unstable();
            let mut found = Vec::new();
            bucket_pairs(&keyed, &mut found);
            drop(keyed);
            found.sort_unstable();
            found.dedup();
            found
        })?;
        // Reserved exactly: a growing vector would hold up to twice the pairs while it grows.
        pairs.reserve_exact(per_band.iter().map(Vec::len).sum());
        for band in per_band {
            pairs.extend(band);
        }
        // A stable sort merges the sorted runs (the pairs so far, each band's) instead of
        // sorting from scratch: 0.157 -> 0.105 s on bench-corpus-22k's 407,000 candidates, for a
        // scratch of half the pairs.
        pairs.sort();
        pairs.dedup();
    }
    pairs.shrink_to_fit();
    Ok(pairs)
}

/// All pairs within runs of equal keys of a sorted `(key, doc)` list (docs ascending in a run).
fn bucket_pairs(keyed: &[(u64, usize)], pairs: &mut Vec<[usize; 2]>) {
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        while end < keyed.len() && keyed[end].0 == keyed[start].0 {
            end += 1;
        }
        for x in start..end {
            for y in x + 1..end {
                pairs.push([keyed[x].1, keyed[y].1]);
            }
        }
        start = end;
    }
}

/// The ids of one band bucket. Most buckets of a corpus hold one document: those need no
/// allocation of their own (faster inserts, less memory per document).
#[derive(Debug, Clone)]
enum Bucket {
    One(u64),
    Many(Vec<u64>),
}

impl Bucket {
    fn push(&mut self, id: u64) {
        match self {
            Bucket::One(first) => *self = Bucket::Many(vec![*first, id]),
            Bucket::Many(ids) => ids.push(id),
        }
    }

    fn ids(&self) -> &[u64] {
        match self {
            Bucket::One(id) => std::slice::from_ref(id),
            Bucket::Many(ids) => ids,
        }
    }

    /// Remove `id`; whether the bucket is then empty.
    fn remove(&mut self, id: u64) -> bool {
        match self {
            Bucket::One(only) => *only == id,
            Bucket::Many(ids) => {
                ids.retain(|&other| other != id);
                match ids.as_slice() {
                    [] => true,
                    &[last] => {
                        *self = Bucket::One(last);
                        false
                    }
                    _ => false,
                }
            }
        }
    }
}

/// A banded LSH index over MinHash signatures, keyed by caller-chosen 64-bit ids.
#[derive(Debug, Clone)]
pub struct LshIndex {
    num_perm: usize,
    bands: usize,
    rows: usize,
    tables: Vec<KeyMap<Bucket>>,
    /// Each indexed id's band keys, so that `remove` finds its buckets.
    keys: KeyMap<Box<[u64]>>,
}

impl LshIndex {
    pub fn new(num_perm: usize, bands: usize, rows: usize) -> Result<Self, Error> {
        check_bands(num_perm, bands, rows)?;
        Ok(LshIndex {
            num_perm,
            bands,
            rows,
            tables: (0..bands).map(|_| KeyMap::default()).collect(),
            keys: KeyMap::default(),
        })
    }

    pub fn num_perm(&self) -> usize {
        self.num_perm
    }
    pub fn bands(&self) -> usize {
        self.bands
    }
    pub fn rows(&self) -> usize {
        self.rows
    }
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
    pub fn contains(&self, id: u64) -> bool {
        self.keys.contains_key(&id)
    }

    fn check_signature(&self, signature: &[u64]) -> Result<(), Error> {
        if signature.len() != self.num_perm {
            return Err(Error::InvalidArgument(format!(
                "signature has {} values, the index expects num_perm={}",
                signature.len(),
                self.num_perm
            )));
        }
        Ok(())
    }

    /// The band keys of a signature of this index's size.
    pub fn keys_of(&self, signature: &[u64]) -> Result<Vec<u64>, Error> {
        self.check_signature(signature)?;
        Ok(band_keys(signature, self.bands, self.rows))
    }

    pub fn insert(&mut self, id: u64, signature: &[u64]) -> Result<(), Error> {
        let keys = self.keys_of(signature)?;
        self.insert_keys(id, keys)
    }

    /// Make room for `additional` more ids without growing the tables one by one.
    pub fn reserve(&mut self, additional: usize) {
        for table in &mut self.tables {
            table.reserve(additional);
        }
        self.keys.reserve(additional);
    }

    /// Insert an id whose band keys were computed by `keys_of` (lets batch inserts hash in parallel).
    pub fn insert_keys(&mut self, id: u64, keys: Vec<u64>) -> Result<(), Error> {
        if keys.len() != self.bands {
            return Err(Error::InvalidArgument(format!(
                "expected {} band keys, got {}",
                self.bands,
                keys.len()
            )));
        }
        if self.keys.contains_key(&id) {
            return Err(Error::InvalidArgument(format!("id {id} is already in the index")));
        }
        for (table, &key) in self.tables.iter_mut().zip(&keys) {
            table.entry(key).and_modify(|bucket| bucket.push(id)).or_insert(Bucket::One(id));
        }
        self.keys.insert(id, keys.into_boxed_slice());
        Ok(())
    }

    /// Check that no id of `ids` is in the index or twice in `ids`, before a batch inserts any.
    fn check_new_ids(&self, ids: &[u64]) -> Result<(), Error> {
        let mut seen = HashSet::with_capacity(ids.len());
        for (k, &id) in ids.iter().enumerate() {
            if self.contains(id) || !seen.insert(id) {
                return Err(Error::InvalidArgument(format!("document {k}: id {id} is already in the index")));
            }
        }
        Ok(())
    }

    /// Insert `ids[i]` with row `i` of `signatures` (shape `(n, num_perm)`), all or nothing:
    /// every check passes before anything is inserted. The band keys are hashed in parallel.
    pub fn insert_batch(
        &mut self,
        ids: &[u64],
        signatures: &[u64],
        (n, num_perm): (usize, usize),
        num_threads: Option<usize>,
    ) -> Result<(), Error> {
        check_shape(signatures.len(), (n, num_perm), "signatures")?;
        if ids.len() != n {
            return Err(Error::InvalidArgument(format!("{} ids for {n} signatures", ids.len())));
        }
        if num_perm != self.num_perm {
            return Err(Error::InvalidArgument(format!(
                "signatures have {num_perm} values, the index expects num_perm={}",
                self.num_perm
            )));
        }
        self.check_new_ids(ids)?;
        self.reserve(n);
        let docs: Vec<usize> = (0..n).collect();
        let (bands, rows) = (self.bands, self.rows);
        let keys = map_ordered(&docs, num_threads, |&i| {
            band_keys(&signatures[i * num_perm..(i + 1) * num_perm], bands, rows)
        })?;
        for (&id, keys) in ids.iter().zip(keys) {
            self.insert_keys(id, keys)?;
        }
        Ok(())
    }

    /// Index `ids[i]` with row `i` of `keys` (shape `(n, bands)`: rows of
    /// [`band_table`](Self::band_table)), all or nothing.
    pub fn insert_band_keys(
        &mut self,
        ids: &[u64],
        keys: &[u64],
        (n, bands): (usize, usize),
    ) -> Result<(), Error> {
        check_shape(keys.len(), (n, bands), "band keys")?;
        if n != ids.len() {
            return Err(Error::InvalidArgument(format!("{} ids for {n} rows of band keys", ids.len())));
        }
        if n > 0 && bands != self.bands {
            return Err(Error::InvalidArgument(format!(
                "rows of {bands} band keys, the index has {} bands",
                self.bands
            )));
        }
        self.check_new_ids(ids)?;
        for (k, &id) in ids.iter().enumerate() {
            self.insert_keys(id, keys[k * bands..(k + 1) * bands].to_vec())?;
        }
        Ok(())
    }

    pub fn remove(&mut self, id: u64) -> Result<(), Error> {
        let keys = self
            .keys
            .remove(&id)
            .ok_or_else(|| Error::InvalidArgument(format!("id {id} is not in the index")))?;
        for (table, key) in self.tables.iter_mut().zip(keys.iter()) {
            if table.get_mut(key).is_some_and(|bucket| bucket.remove(id)) {
                table.remove(key);
            }
        }
        Ok(())
    }

    /// The ids sharing at least one band with `signature`, ascending.
    pub fn query(&self, signature: &[u64]) -> Result<Vec<u64>, Error> {
        let keys = self.keys_of(signature)?;
        Ok(self.query_keys(&keys))
    }

    /// [`query`](Self::query) for each row of `signatures` (shape `(n, num_perm)`), in
    /// parallel.
    pub fn query_batch(
        &self,
        signatures: &[u64],
        (n, num_perm): (usize, usize),
        num_threads: Option<usize>,
    ) -> Result<Vec<Vec<u64>>, Error> {
        check_shape(signatures.len(), (n, num_perm), "signatures")?;
        if n > 0 && num_perm != self.num_perm {
            return Err(Error::InvalidArgument(format!(
                "signatures have {num_perm} values, the index expects num_perm={}",
                self.num_perm
            )));
        }
        let docs: Vec<usize> = (0..n).collect();
        map_ordered(&docs, num_threads, |&i| self.query(&signatures[i * num_perm..(i + 1) * num_perm]))?
            .into_iter()
            .collect()
    }

    pub fn query_keys(&self, keys: &[u64]) -> Vec<u64> {
        let mut found: Vec<u64> = Vec::new();
        for (table, key) in self.tables.iter().zip(keys) {
            if let Some(bucket) = table.get(key) {
                found.extend_from_slice(bucket.ids());
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Every indexed id, ascending, with its band keys (`bands` per id, row by row): what
    /// [`insert_keys`](Self::insert_keys) rebuilds the index from.
    pub fn band_table(&self) -> (Vec<u64>, Vec<u64>) {
        let mut ids: Vec<u64> = self.keys.keys().copied().collect();
        ids.sort_unstable();
        let keys = ids.iter().flat_map(|id| self.keys[id].iter().copied()).collect();
        (ids, keys)
    }

    /// Every pair of indexed ids sharing a band, as `(smaller, larger)`, sorted and unique.
    pub fn candidate_pairs(&self) -> Vec<(u64, u64)> {
        let mut pairs = Vec::new();
        for table in &self.tables {
            for bucket in table.values() {
                let bucket = bucket.ids();
                for (x, &a) in bucket.iter().enumerate() {
                    for &b in &bucket[x + 1..] {
                        pairs.push((a.min(b), a.max(b)));
                    }
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::{MinHasher, Scheme};

    #[test]
    fn anchors_are_the_values_with_the_top_bits_zero() {
        let set = [0, 1, (1 << 59) - 1, 1 << 59, 1 << 62, u64::MAX];
        assert_eq!(anchors(&set, 5), &[0, 1, (1 << 59) - 1]);
        assert_eq!(anchors(&set, 1), &[0, 1, (1 << 59) - 1, 1 << 59, 1 << 62]);
        assert_eq!(anchors(&set, 0), &set);
        assert_eq!(anchors(&set, 63), &[0, 1]);
        assert!(anchors(&[], 5).is_empty());
    }

    #[test]
    fn anchor_pairs_do_not_depend_on_the_parts_or_threads() {
        // 40 documents of 0-11 anchors drawn from 30 values (a fixed generator), repeats within
        // a document included: sorted in one part, in parts of 1, 3 and 7 entries, and on 1
        // and 3 threads, the pairs are the same.
        let mut state = 7u64;
        let mut next = |m: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        let (mut values, mut offsets) = (Vec::new(), vec![0usize]);
        for _ in 0..40 {
            for _ in 0..next(12) {
                values.push(next(30).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            }
            offsets.push(values.len());
        }
        let whole = anchor_pairs_in_parts(&values, &offsets, 6, Some(1), usize::MAX).unwrap();
        assert!(
            !whole.is_empty() && whole.windows(2).all(|w| w[0] < w[1]) && whole.iter().all(|[i, j]| i < j)
        );
        for part in [1, 3, 7] {
            for threads in [Some(1), Some(3)] {
                assert_eq!(anchor_pairs_in_parts(&values, &offsets, 6, threads, part).unwrap(), whole);
            }
        }
        assert_eq!(anchor_pairs(&values, &offsets, 6, None).unwrap(), whole);
    }

    #[test]
    fn anchor_pairs_need_half_the_smaller_set_and_skip_crowded_values() {
        // 0: {1, 2, 3, 4}; 1: {1, 2} (half of 0's, all its own); 2: {3} shared with 0 only;
        // 3: {9}, held with 4 and 5 too: with max_docs 2 the value is passed over.
        let values = [1, 2, 3, 4, 2, 1, 1, 3, 9, 9, 9];
        let offsets = [0, 4, 7, 8, 9, 10, 11];
        assert_eq!(anchor_pairs(&values, &offsets, 2, None).unwrap(), vec![[0, 1], [0, 2]]);
        assert_eq!(
            anchor_pairs(&values, &offsets, 3, None).unwrap(),
            vec![[0, 1], [0, 2], [3, 4], [3, 5], [4, 5]]
        );
        assert!(anchor_pairs(&values, &[0, 4, 20], 3, None).is_err());
    }

    #[test]
    fn band_key_depends_on_band_and_values() {
        assert_ne!(band_key(0, &[1, 2]), band_key(1, &[1, 2]));
        assert_ne!(band_key(0, &[1, 2]), band_key(0, &[2, 1]));
        assert_eq!(band_key(3, &[5]), band_key(3, &[5]));
    }

    #[test]
    fn index_insert_query_remove() {
        let hasher = MinHasher::new(Scheme::Classic, 32, 1).unwrap();
        let a = hasher.sign(&(0..100).collect::<Vec<_>>());
        let b = hasher.sign(&(0..99).collect::<Vec<_>>());
        let c = hasher.sign(&(1000..1100).collect::<Vec<_>>());
        let mut index = LshIndex::new(32, 16, 2).unwrap();
        index.insert(10, &a).unwrap();
        index.insert(11, &b).unwrap();
        index.insert(12, &c).unwrap();
        assert!(index.insert(10, &a).is_err());
        assert_eq!(index.query(&a).unwrap(), vec![10, 11]);
        assert_eq!(index.candidate_pairs(), vec![(10, 11)]);
        index.insert(13, &a).unwrap();
        assert_eq!(index.query(&a).unwrap(), vec![10, 11, 13]);
        index.remove(13).unwrap();
        index.remove(11).unwrap();
        assert!(index.remove(11).is_err());
        assert_eq!(index.query(&a).unwrap(), vec![10]);
        assert_eq!(index.len(), 2);
        assert!(index.query(&a[..5]).is_err());
    }

    #[test]
    fn batches_are_all_or_nothing_and_equal_one_by_one() {
        let hasher = MinHasher::new(Scheme::Classic, 8, 1).unwrap();
        let flat: Vec<u64> = (0..3u64).flat_map(|d| hasher.sign(&[d, d + 1, 100])).collect();
        let mut index = LshIndex::new(8, 4, 2).unwrap();
        index.insert(7, &flat[..8]).unwrap();
        // A repeated id refuses the whole batch, before anything is inserted.
        assert!(index.insert_batch(&[1, 2, 1], &flat, (3, 8), Some(2)).is_err());
        assert!(index.insert_batch(&[1, 2], &flat, (3, 8), None).is_err());
        assert_eq!(index.len(), 1);
        index.insert_batch(&[1, 2, 3], &flat, (3, 8), Some(2)).unwrap();
        let one_by_one: Vec<Vec<u64>> = flat.chunks(8).map(|sig| index.query(sig).unwrap()).collect();
        assert_eq!(index.query_batch(&flat, (3, 8), Some(2)).unwrap(), one_by_one);
        assert!(index.query_batch(&[], (2, 0), None).is_err());
        let (ids, keys) = index.band_table();
        let mut rebuilt = LshIndex::new(8, 4, 2).unwrap();
        rebuilt.insert_band_keys(&ids, &keys, (ids.len(), 4)).unwrap();
        assert_eq!(rebuilt.band_table(), (ids.clone(), keys.clone()));
        assert!(rebuilt.insert_band_keys(&ids[..1], &keys[..4], (1, 4)).is_err());
    }

    #[test]
    fn corpus_pairs_match_index_and_threads() {
        let hasher = MinHasher::new(Scheme::Oph, 16, 3).unwrap();
        let mut flat = Vec::new();
        for d in 0..30u64 {
            let set: Vec<u64> = (d / 3 * 100..d / 3 * 100 + 50).chain([d]).collect();
            flat.extend(hasher.sign(&set));
        }
        let one = candidate_pairs(&flat, 16, 8, 2, Some(1)).unwrap();
        let two = candidate_pairs(&flat, 16, 8, 2, Some(2)).unwrap();
        assert_eq!(one, two);
        let mut index = LshIndex::new(16, 8, 2).unwrap();
        for (i, sig) in flat.chunks(16).enumerate() {
            index.insert(i as u64, sig).unwrap();
        }
        let from_index: Vec<[usize; 2]> =
            index.candidate_pairs().into_iter().map(|(a, b)| [a as usize, b as usize]).collect();
        assert_eq!(one, from_index);
        assert!(one.contains(&[0, 1]));
        let keys: Vec<u64> = flat.chunks(16).flat_map(|sig| band_keys(sig, 8, 2)).collect();
        assert_eq!(candidate_pairs_of_keys(&keys, 8, Some(2)).unwrap(), one);
        assert!(candidate_pairs_of_keys(&keys[..9], 8, None).is_err());
        assert!(candidate_pairs_of_keys(&keys, 0, None).is_err());
        assert!(candidate_pairs(&flat, 16, 9, 2, None).is_err());
        assert!(candidate_pairs(&flat[..17], 16, 8, 2, None).is_err());
    }
}
