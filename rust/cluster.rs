//! Verification of candidate pairs and deterministic clusters with a chosen representative.
//!
//! Shingle sets come in CSR layout: document `i` owns `hashes[offsets[i]..offsets[i + 1]]`
//! (repeats allowed; a set is the distinct values). Pairs are `(i, j)` document indices.

use std::borrow::Cow;

use crate::csr::{check_offsets, check_shape};
use crate::error::Error;
use crate::hash::HashSorter;
use crate::parallel::{fill_rows, map_ordered, map_ordered_zip};
use crate::text::{check_ngram, shingles_into, ShingleBuffers, ShingleKind};

/// Check that every pair indexes one of `n` documents.
pub fn check_pairs(n: usize, pairs: &[(usize, usize)]) -> Result<(), Error> {
    for (k, &(i, j)) in pairs.iter().enumerate() {
        if i >= n || j >= n {
            return Err(Error::InvalidArgument(format!(
                "pair {k}: document {} out of range for {n} documents",
                if i >= n { i } else { j }
            )));
        }
    }
    Ok(())
}

/// The sorted distinct values of a shingle list.
pub fn distinct(hashes: &[u64]) -> Vec<u64> {
    let mut set = hashes.to_vec();
    HashSorter::default().sort_distinct(&mut set);
    set
}

/// The number of distinct values of a shingle list, sorted in `scratch` (reused between
/// documents, so that counting allocates nothing per document).
fn distinct_count(hashes: &[u64], (scratch, sorter): &mut (Vec<u64>, HashSorter)) -> usize {
    // A list that is a set already (callers holding distinct sets) is counted without a copy.
    if hashes.windows(2).all(|w| w[0] < w[1]) {
        return hashes.len();
    }
    scratch.clear();
    scratch.extend_from_slice(hashes);
    sorter.sort_distinct(scratch);
    scratch.len()
}

/// The size of the intersection of two strictly increasing sets.
fn intersection_size(a: &[u64], b: &[u64]) -> usize {
    intersection_at_least(a, b, 0)
}

/// Merge steps between two checks of whether a pair can still reach its `need`.
const NEED_CHECK_STEPS: usize = 64;

/// The size of the intersection of two strictly increasing sets when it is at least `need`,
/// else 0: the merge stops as soon as the values left cannot lift the count to `need` (most
/// candidate pairs share far fewer shingles than a duplicate needs, and are settled a
/// fraction of the way in). Where the check falls changes no result: it is a bound.
fn intersection_at_least(a: &[u64], b: &[u64], need: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::current() >= crate::simd::SimdPath::Avx2 {
        // SAFETY: the avx2 and avx512 paths are taken only on CPUs with AVX2 (`simd`).
        return unsafe { intersection_at_least_avx2(a, b, need) };
    }
    merge_at_least(a, b, (0, 0, 0), need)
}

/// `intersection_at_least` by a merge without data-dependent branches (a mispredicted branch
/// per step cost more than the comparisons), from positions `x` of `a` and `y` of `b`, with
/// `count` common values before them.
#[inline(always)]
fn merge_at_least(
    a: &[u64],
    b: &[u64],
    (mut x, mut y, mut count): (usize, usize, usize),
    need: usize,
) -> usize {
    while x < a.len() && y < b.len() {
        if count + (a.len() - x).min(b.len() - y) < need {
            return 0;
        }
        // Each step advances x or y, so this many steps cannot pass either end.
        let steps = NEED_CHECK_STEPS.min((a.len() - x).min(b.len() - y));
        for _ in 0..steps {
            let (u, v) = (a[x], b[y]);
            count += usize::from(u == v);
            x += usize::from(u <= v);
            y += usize::from(u >= v);
        }
    }
    if count >= need {
        count
    } else {
        0
    }
}

/// `intersection_at_least` with AVX2, four values of each set per step: each of `a`'s four
/// is compared with all of `b`'s four (three rotations), and the block with the smaller
/// last value moves on (both when the last values are equal). In sets of distinct values
/// each common value is counted once, when its two blocks meet; the tail merges as above.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn intersection_at_least_avx2(a: &[u64], b: &[u64], need: usize) -> usize {
    use std::arch::x86_64::*;
    let (mut x, mut y, mut count) = (0, 0, 0);
    while x + 4 <= a.len() && y + 4 <= b.len() {
        if count + (a.len() - x).min(b.len() - y) < need {
            return 0;
        }
        // Each step advances x or y by 4, so this many steps leave 4 values in both.
        let steps = (NEED_CHECK_STEPS / 4).min((a.len() - x).min(b.len() - y) / 4);
        for _ in 0..steps {
            // SAFETY: x + 4 <= a.len() and y + 4 <= b.len() (the bound on `steps`).
            let (va, vb) = unsafe {
                (_mm256_loadu_si256(a.as_ptr().add(x).cast()), _mm256_loadu_si256(b.as_ptr().add(y).cast()))
            };
            let equal = _mm256_or_si256(
                _mm256_or_si256(
                    _mm256_cmpeq_epi64(va, vb),
                    _mm256_cmpeq_epi64(va, _mm256_permute4x64_epi64::<0b00_11_10_01>(vb)),
                ),
                _mm256_or_si256(
                    _mm256_cmpeq_epi64(va, _mm256_permute4x64_epi64::<0b01_00_11_10>(vb)),
                    _mm256_cmpeq_epi64(va, _mm256_permute4x64_epi64::<0b10_01_00_11>(vb)),
                ),
            );
            count += (_mm256_movemask_pd(_mm256_castsi256_pd(equal)) as u32).count_ones() as usize;
            let (last_a, last_b) = (a[x + 3], b[y + 3]);
            x += 4 * usize::from(last_a <= last_b);
            y += 4 * usize::from(last_a >= last_b);
        }
    }
    merge_at_least(a, b, (x, y, count), need)
}

/// Check that `need`, when given, has one value per pair.
fn check_need(need: Option<&[usize]>, pairs: usize) -> Result<(), Error> {
    match need {
        Some(need) if need.len() != pairs => {
            Err(Error::InvalidArgument(format!("need has {} values for {pairs} pairs", need.len())))
        }
        _ => Ok(()),
    }
}

/// Exact set statistics: the distinct-shingle count of every document, and for every pair
/// the size of the intersection of the two sets. Jaccard is `inter / (a + b - inter)`,
/// containment of the smaller in the larger `inter / min(a, b)`. With `need` (one value per
/// pair), an intersection smaller than its pair's need is given as 0: the pairs that cannot
/// be duplicates are settled without a whole merge.
///
/// Only the documents of some pair have their set held (sorted, for the merges); the others
/// are counted one at a time, so memory grows with the documents paired, not all of them.
pub fn set_overlaps(
    hashes: &[u64],
    offsets: &[usize],
    pairs: &[(usize, usize)],
    need: Option<&[usize]>,
    num_threads: Option<usize>,
) -> Result<(Vec<usize>, Vec<usize>), Error> {
    let n = check_offsets(offsets, hashes.len())?;
    check_pairs(n, pairs)?;
    check_need(need, pairs.len())?;
    let list = |i: usize| &hashes[offsets[i]..offsets[i + 1]];
    let (slot, paired) = paired_documents(n, pairs);
    // A list already strictly increasing (a distinct set, as callers that cache sets pass)
    // is its own set: borrowed, not copied and sorted again.
    let sets = map_ordered(&paired, num_threads, |&i| {
        let values = list(i);
        if values.windows(2).all(|w| w[0] < w[1]) {
            Cow::Borrowed(values)
        } else {
            Cow::Owned(distinct(values))
        }
    })?;
    let unpaired: Vec<usize> = (0..n).filter(|&i| slot[i] == usize::MAX).collect();
    let mut unpaired_sizes = vec![0usize; unpaired.len()];
    if !unpaired.is_empty() {
        fill_rows(&unpaired, &mut unpaired_sizes, 1, num_threads, Default::default, |scratch, &i, row| {
            row[0] = distinct_count(list(i), scratch)
        })?;
    }
    let mut sizes = vec![0usize; n];
    for (&i, &size) in unpaired.iter().zip(&unpaired_sizes) {
        sizes[i] = size;
    }
    for (&i, set) in paired.iter().zip(&sets) {
        sizes[i] = set.len();
    }
    let inter = pair_intersections(pairs, need, num_threads, |i| &sets[slot[i]])?;
    Ok((inter, sizes))
}

/// The documents of `pairs` in order of first appearance, and `slot[i]`, the position of
/// document `i` among them (`usize::MAX` when it is in no pair).
fn paired_documents(n: usize, pairs: &[(usize, usize)]) -> (Vec<usize>, Vec<usize>) {
    let mut slot = vec![usize::MAX; n];
    let mut paired = Vec::new();
    for &(i, j) in pairs {
        for d in [i, j] {
            if slot[d] == usize::MAX {
                slot[d] = paired.len();
                paired.push(d);
            }
        }
    }
    (slot, paired)
}

/// The number of distinct shingles (`text::shingles` of `n`, `kind`, `seed`) each pair of
/// texts shares: the intersections of `set_overlaps` straight from the texts (`need` as
/// there), shingling only the texts of some pair, each once, and holding nothing but their sets.
pub fn text_overlaps<S: AsRef<str> + Sync>(
    texts: &[S],
    pairs: &[(usize, usize)],
    need: Option<&[usize]>,
    n: usize,
    kind: ShingleKind,
    seed: u64,
    num_threads: Option<usize>,
) -> Result<Vec<usize>, Error> {
    check_ngram(n)?;
    check_pairs(texts.len(), pairs)?;
    check_need(need, pairs.len())?;
    let (slot, paired) = paired_documents(texts.len(), pairs);
    // The sets of a block of documents in one vector (CSR): a vector per document left
    // freed-but-held allocator memory behind; a block's vector is returned whole.
    let blocks: Vec<&[usize]> = paired.chunks(SET_BLOCK).collect();
    let sets = map_ordered(&blocks, num_threads, |block| {
        let mut buffers = ShingleBuffers::default();
        let mut sorter = HashSorter::default();
        let mut list = Vec::new();
        let mut flat = Vec::new();
        let mut offsets = Vec::with_capacity(block.len() + 1);
        offsets.push(0);
        for &i in block.iter() {
            shingles_into(texts[i].as_ref(), n, kind, seed, &mut buffers, &mut list)
                .expect("check_ngram passed");
            sorter.sort_distinct(&mut list);
            flat.extend_from_slice(&list);
            offsets.push(flat.len());
        }
        (flat, offsets)
    })?;
    let set_of = |i: usize| {
        let (flat, offsets) = &sets[slot[i] / SET_BLOCK];
        let k = slot[i] % SET_BLOCK;
        &flat[offsets[k]..offsets[k + 1]]
    };
    pair_intersections(pairs, need, num_threads, set_of)
}

/// The intersection of each pair's two sets (`set_of` a document's sorted set), 0 below its need.
fn pair_intersections<'a>(
    pairs: &[(usize, usize)],
    need: Option<&[usize]>,
    num_threads: Option<usize>,
    set_of: impl Fn(usize) -> &'a [u64] + Sync,
) -> Result<Vec<usize>, Error> {
    match need {
        None => map_ordered(pairs, num_threads, |&(i, j)| intersection_size(set_of(i), set_of(j))),
        Some(need) => map_ordered_zip(pairs, need, num_threads, |&(i, j), &need| {
            intersection_at_least(set_of(i), set_of(j), need)
        }),
    }
}

/// Documents whose shingle sets `text_overlaps` builds in one vector.
const SET_BLOCK: usize = 256;

/// MinHash estimates of the Jaccard similarity of each pair (share of equal positions) from
/// signatures of shape `(n, num_perm)`; signatures of no values estimate 0 for every pair.
pub fn estimate_pairs(
    signatures: &[u64],
    (n, num_perm): (usize, usize),
    pairs: &[(usize, usize)],
    num_threads: Option<usize>,
) -> Result<Vec<f64>, Error> {
    check_shape(signatures.len(), (n, num_perm), "signatures")?;
    check_pairs(n, pairs)?;
    if num_perm == 0 {
        return Ok(vec![0.0; pairs.len()]);
    }
    let row = |i: usize| &signatures[i * num_perm..(i + 1) * num_perm];
    map_ordered(pairs, num_threads, |&(i, j)| crate::minhash::estimate_jaccard(row(i), row(j)))
}

/// `n` copies of `value`, or an error instead of an abort when they do not fit in memory
/// (`n` comes from the caller; with no priority columns nothing else bounds it).
fn filled<T: Clone>(n: usize, value: T) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    out.try_reserve_exact(n)
        .map_err(|_| Error::InvalidArgument(format!("n = {n} documents do not fit in memory")))?;
    out.resize(n, value);
    Ok(out)
}

fn identity(n: usize) -> Result<Vec<usize>, Error> {
    let mut out = filled(n, 0)?;
    out.iter_mut().enumerate().for_each(|(i, x)| *x = i);
    Ok(out)
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Clusters of `n` documents linked by `pairs` (connected components; self-pairs ignored).
///
/// Returns, per document, `(representative, via)`: the representative is the member whose
/// row of `priority` (shape `(n, width)`) is lexicographically greatest, ties going to
/// the lowest index; `via` is the next document on a shortest path of pairs from the
/// document to its representative (breadth-first from the representative, neighbours in
/// ascending order), the document itself for the representative and for singletons.
/// Depends only on the set of pairs, not on their order or repeats.
pub fn cluster(
    n: usize,
    pairs: &[(usize, usize)],
    priority: &[f64],
    (rows, width): (usize, usize),
) -> Result<(Vec<usize>, Vec<usize>), Error> {
    check_shape(priority.len(), (rows, width), "priority")?;
    if rows != n {
        return Err(Error::InvalidArgument(format!("priority has {rows} rows for {n} documents")));
    }
    check_pairs(n, pairs)?;
    if let Some(k) = priority.iter().position(|v| v.is_nan()) {
        return Err(Error::InvalidArgument(format!("document {}: priority is NaN", k / width.max(1))));
    }
    let mut root = identity(n)?;
    for &(i, j) in pairs {
        let (a, b) = (find(&mut root, i), find(&mut root, j));
        // The smaller index becomes the root, so roots do not depend on the pair order.
        if a < b {
            root[b] = a;
        } else if b < a {
            root[a] = b;
        }
    }
    let row = |i: usize| &priority[i * width..(i + 1) * width];
    let mut best = identity(n)?;
    for i in 0..n {
        let r = find(&mut root, i);
        let current = best[r];
        if row(i).partial_cmp(row(current)) == Some(std::cmp::Ordering::Greater) {
            best[r] = i;
        }
    }
    let rep: Vec<usize> = (0..n).map(|i| best[find(&mut root, i)]).collect();

    // Neighbours in CSR form, each list sorted (repeats are harmless: `seen` skips them):
    // one allocation for all of them rather than one per document.
    let mut start_of = filled(n + 1, 0usize)?;
    for &(i, j) in pairs {
        if i != j {
            start_of[i + 1] += 1;
            start_of[j + 1] += 1;
        }
    }
    for x in 0..n {
        start_of[x + 1] += start_of[x];
    }
    let mut fill = start_of.clone();
    let mut neighbours = filled(start_of[n], 0usize)?;
    for &(i, j) in pairs {
        if i != j {
            neighbours[fill[i]] = j;
            fill[i] += 1;
            neighbours[fill[j]] = i;
            fill[j] += 1;
        }
    }
    drop(fill);
    for x in 0..n {
        neighbours[start_of[x]..start_of[x + 1]].sort_unstable();
    }
    let adjacency = |x: usize| &neighbours[start_of[x]..start_of[x + 1]];
    let mut via = identity(n)?;
    let mut seen = filled(n, false)?;
    let mut queue = std::collections::VecDeque::new();
    for start in 0..n {
        if rep[start] != start || adjacency(start).is_empty() {
            continue;
        }
        seen[start] = true;
        queue.push_back(start);
        while let Some(u) = queue.pop_front() {
            for &v in adjacency(u) {
                if !seen[v] {
                    seen[v] = true;
                    via[v] = u;
                    queue.push_back(v);
                }
            }
        }
    }
    Ok((rep, via))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_count_distinct_values() {
        let hashes = [1, 2, 2, 3, 2, 3, 4, 9];
        let offsets = [0, 4, 7, 7, 8];
        let (inter, sizes) =
            set_overlaps(&hashes, &offsets, &[(0, 1), (0, 2), (1, 1)], None, Some(2)).unwrap();
        assert_eq!(sizes, vec![3, 3, 0, 1]);
        assert_eq!(inter, vec![2, 0, 3]);
        assert!(set_overlaps(&hashes, &[0, 9], &[], None, None).is_err());
        assert!(set_overlaps(&hashes, &[0, 5, 4, 8], &[], None, None).is_err());
        assert!(set_overlaps(&hashes, &offsets, &[(0, 4)], None, None).is_err());
    }

    #[test]
    fn sizes_of_unpaired_lists_count_distinct_values() {
        // Sorted with a repeat, a set already, unsorted with a repeat, empty, one value.
        let hashes = [1, 1, 2, 1, 2, 5, 5, 1, 5, 7];
        let offsets = [0, 3, 6, 9, 9, 10];
        let (_, sizes) = set_overlaps(&hashes, &offsets, &[], None, Some(2)).unwrap();
        assert_eq!(sizes, vec![2, 3, 2, 0, 1]);
    }

    #[test]
    fn text_overlaps_are_set_overlaps_of_the_shingles() {
        let texts = ["the cat sat on the mat", "the cat sat on a mat", "", "a mat"];
        let pairs = [(0, 1), (1, 3), (0, 2), (3, 3)];
        let mut hashes = Vec::new();
        let mut offsets = vec![0];
        for t in texts {
            hashes.extend(crate::text::shingles(t, 2, ShingleKind::Word, 7).unwrap());
            offsets.push(hashes.len());
        }
        let (expected, _) = set_overlaps(&hashes, &offsets, &pairs, None, None).unwrap();
        assert_eq!(text_overlaps(&texts, &pairs, None, 2, ShingleKind::Word, 7, Some(2)).unwrap(), expected);
        assert_eq!(expected, vec![3, 1, 0, 1]);
        assert!(text_overlaps(&texts, &[(0, 4)], None, 2, ShingleKind::Word, 7, None).is_err());
        assert!(text_overlaps(&texts, &pairs, None, 0, ShingleKind::Word, 7, None).is_err());
    }

    #[test]
    fn text_overlaps_across_blocks_of_sets() {
        // More paired texts than one block holds, paired out of order.
        let texts: Vec<String> = (0..3 * SET_BLOCK + 5)
            .map(|k| (0..40).map(|w| format!("w{}", (k * 7 + w * 13) % 97)).collect::<Vec<_>>().join(" "))
            .collect();
        let n = texts.len();
        let pairs: Vec<(usize, usize)> = (0..n).map(|k| ((k * 31) % n, (k * 17 + 5) % n)).collect();
        let mut hashes = Vec::new();
        let mut offsets = vec![0];
        for t in &texts {
            hashes.extend(crate::text::shingles(t, 3, ShingleKind::Word, 0).unwrap());
            offsets.push(hashes.len());
        }
        let (expected, _) = set_overlaps(&hashes, &offsets, &pairs, None, None).unwrap();
        assert!(expected.iter().any(|&x| x > 0));
        assert_eq!(text_overlaps(&texts, &pairs, None, 3, ShingleKind::Word, 0, Some(2)).unwrap(), expected);
    }

    /// Every SIMD path's merge counts the common values of sets of every size and overlap
    /// (blocks of 4 meeting at every offset, equal last values, tails), exactly, and gives 0
    /// exactly when that count is below the need.
    #[test]
    fn intersections_equal_the_common_values_on_every_path() {
        let mut state = 0x5EED_0F5E_u64;
        let mut random = |bound: u64| crate::hash::splitmix64(&mut state) % bound;
        let mut cases = Vec::new();
        for _ in 0..600 {
            // Values from a small range, so that the sets share many, in runs and alone.
            let range = 1 + random(400);
            let mut pair = [Vec::new(), Vec::new()];
            for values in &mut pair {
                let size = random(140);
                *values = (0..size).map(|_| random(range) * 1_000_003 + 7).collect();
                values.sort_unstable();
                values.dedup();
            }
            let [a, b] = pair;
            cases.push((a, b));
        }
        let run: Vec<u64> = (0..300).collect();
        cases.push((run.clone(), run.clone()));
        cases.push((run.clone(), run.iter().map(|v| v + 150).collect()));
        cases.push((run.iter().map(|v| 2 * v).collect(), run.iter().map(|v| 2 * v + 1).collect()));
        cases.push((vec![], run.clone()));
        cases.push((vec![u64::MAX], vec![0, u64::MAX]));
        for path in crate::simd::supported() {
            crate::simd::tests::force(path, || {
                for (a, b) in &cases {
                    let expected = a.iter().filter(|v| b.binary_search(v).is_ok()).count();
                    let what = format!("{} path, {} and {} values", path.name(), a.len(), b.len());
                    assert_eq!(intersection_size(a, b), expected, "{what}");
                    assert_eq!(intersection_size(b, a), expected, "{what}");
                    for need in
                        [1, expected.saturating_sub(1), expected, expected + 1, a.len().max(b.len()) + 1]
                    {
                        let at_least = if expected >= need { expected } else { 0 };
                        assert_eq!(intersection_at_least(a, b, need), at_least, "{what}, need {need}");
                        assert_eq!(intersection_at_least(b, a, need), at_least, "{what}, need {need}");
                    }
                }
            });
        }
    }

    #[test]
    fn intersections_below_their_need_are_zero() {
        // Long sets, so that the merge is cut short between two checks and at one.
        let a: Vec<u64> = (0..1000).map(|k| 3 * k).collect();
        let b: Vec<u64> = (0..1000).map(|k| 2 * k).collect();
        let exact = intersection_size(&a, &b);
        assert_eq!(exact, 334);
        for need in [0, 1, 333, 334] {
            assert_eq!(intersection_at_least(&a, &b, need), exact, "need {need}");
            assert_eq!(intersection_at_least(&b, &a, need), exact, "need {need}");
        }
        for need in [335, 700, 1000, 5000] {
            assert_eq!(intersection_at_least(&a, &b, need), 0, "need {need}");
        }
        assert_eq!(intersection_at_least(&[], &a, 1), 0);
        assert_eq!(intersection_at_least(&a, &a, 1000), 1000);
        let hashes: Vec<u64> = a.iter().chain(&b).copied().collect();
        let offsets = [0, 1000, 2000];
        let pairs = [(0, 1), (0, 1), (1, 1)];
        let (inter, _) = set_overlaps(&hashes, &offsets, &pairs, Some(&[334, 335, 1000]), None).unwrap();
        assert_eq!(inter, vec![334, 0, 1000]);
        assert!(set_overlaps(&hashes, &offsets, &pairs, Some(&[1]), None).is_err());
        let texts = ["a b c d e f", "a b c d x y", "q r s"];
        let pairs = [(0, 1), (0, 1), (0, 2)];
        let need = [3, 4, 0];
        assert_eq!(
            text_overlaps(&texts, &pairs, Some(&need), 2, ShingleKind::Word, 0, None).unwrap(),
            vec![3, 0, 0]
        );
    }

    #[test]
    fn clusters_are_order_independent_with_priorities() {
        let priority = [1.0, 5.0, 5.0, 0.0, 2.0, 0.0];
        let pairs = [(0, 1), (2, 1), (4, 3)];
        let (rep, via) = cluster(6, &pairs, &priority, (6, 1)).unwrap();
        assert_eq!(rep, vec![1, 1, 1, 4, 4, 5]);
        assert_eq!(via, vec![1, 1, 1, 4, 4, 5]);
        let reversed: Vec<_> = pairs.iter().rev().map(|&(a, b)| (b, a)).collect();
        assert_eq!(cluster(6, &reversed, &priority, (6, 1)).unwrap(), (rep, via));
    }

    #[test]
    fn via_follows_shortest_paths() {
        // A chain 0 - 1 - 2 - 3 with 3 the representative.
        let priority = [0.0, 0.0, 0.0, 1.0];
        let (rep, via) = cluster(4, &[(0, 1), (1, 2), (2, 3)], &priority, (4, 1)).unwrap();
        assert_eq!(rep, vec![3; 4]);
        assert_eq!(via, vec![1, 2, 3, 3]);
        assert!(cluster(4, &[(0, 1)], &[0.0, f64::NAN, 0.0, 0.0], (4, 1)).is_err());
        assert!(cluster(4, &[(0, 1)], &[0.0], (1, 1)).is_err());
        assert!(cluster(4, &[(0, 1)], &[0.0], (4, 1)).is_err());
    }
}
