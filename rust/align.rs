//! Passage alignment: the passages two documents share, as spans of the original texts.
//!
//! The pure-Python reference (`python/neardup/_reference/align.py`) is the specification;
//! this module follows it step for step (docs/align.md describes the method). All arithmetic
//! is on integers except the score, one IEEE division of two integers, so both backends give
//! the same bits.

use std::collections::hash_map::Entry;
use std::hash::Hash;

use foldhash::HashMap;

use crate::error::Error;
use crate::parallel::{map_ordered, map_ordered_init};
use crate::text::{self, is_py_space, JoinedTokens, Span};

pub const DEFAULT_K: usize = 3;
pub const DEFAULT_MAX_GAP: usize = 24;
pub const DEFAULT_MIN_TOKENS: usize = 8;
/// A k-gram seen c_a times in a and c_b times in b gives all c_a * c_b pairs while the product
/// is at most this; beyond it the i-th occurrence in a is paired with the i-th in b only, so
/// degenerate input (one word repeated 100k times) stays linear.
pub const MAX_PAIRS: usize = 16;
/// The chaining look-back scans at most this many earlier anchors.
pub const MAX_LOOKBACK: usize = 256;

/// Alignment parameters (see `check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Anchor length in tokens.
    pub k: usize,
    /// Largest gap (tokens, in either text) bridged inside one passage.
    pub max_gap: usize,
    /// Fewest matched tokens a passage needs to be reported.
    pub min_tokens: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params { k: DEFAULT_K, max_gap: DEFAULT_MAX_GAP, min_tokens: DEFAULT_MIN_TOKENS }
    }
}

impl Params {
    pub fn check(&self) -> Result<(), Error> {
        if self.k == 0 || self.k > 64 {
            return Err(Error::InvalidArgument(format!(
                "k must be an int >= 1 and at most 64, got {}",
                self.k
            )));
        }
        if self.max_gap > 1000 {
            return Err(Error::InvalidArgument(format!(
                "max_gap must be at most 1000, got {}",
                self.max_gap
            )));
        }
        if self.min_tokens == 0 {
            return Err(Error::InvalidArgument("min_tokens must be an int >= 1, got 0".into()));
        }
        Ok(())
    }
}

/// A shared passage: original spans, exact matched-token count and token lengths.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub a: Span,
    pub b: Span,
    pub score: f64,
    pub matches: usize,
    pub tokens_a: usize,
    pub tokens_b: usize,
    pub anchors: usize,
}

/// Token ids of texts: equal tokens get equal ids across all of `texts` (ids are only ever
/// compared, so which id a token gets does not matter), each text's tokens in order.
pub fn token_ids(texts: &[&JoinedTokens]) -> Result<Vec<Vec<u32>>, Error> {
    let mut ids: HashMap<&str, u32> = HashMap::default();
    let mut out = Vec::with_capacity(texts.len());
    for joined in texts {
        let mut text_ids = Vec::with_capacity(joined.len());
        for &(start, end) in &joined.ranges {
            let next = ids.len();
            let id = match ids.entry(&joined.text[start..end]) {
                Entry::Occupied(known) => *known.get(),
                Entry::Vacant(new) => *new.insert(u32::try_from(next).map_err(|_| {
                    Error::InvalidArgument(
                        "more than 2**32 distinct tokens in the texts aligned at once".into(),
                    )
                })?),
            };
            text_ids.push(id);
        }
        out.push(text_ids);
    }
    Ok(out)
}

/// Working memory of alignments, reused from one pair to the next so that aligning a pair
/// allocates little; nothing in it carries over between pairs.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Per k-gram position of `a`: its gram's index (grams numbered in order of first sight).
    gram_a: Vec<usize>,
    /// Per gram: its occurrences in `a`.
    count_a: Vec<usize>,
    /// Per gram: where its next position in `b` goes, then the rank of its next occurrence in
    /// `a`.
    cursor: Vec<usize>,
    /// Per gram g: its positions in `b` are `pos_b[start_b[g]..start_b[g + 1]]`, ascending.
    start_b: Vec<usize>,
    pos_b: Vec<usize>,
    /// Per k-gram position of `b`: its gram's index, or `NO_GRAM` if `a` lacks it.
    gram_b: Vec<usize>,
    anchors: Vec<(usize, usize)>,
    score: Vec<i64>,
    pred: Vec<isize>,
    order: Vec<usize>,
    buckets: Vec<usize>,
    used: Vec<bool>,
    members: Vec<usize>,
    lcs_rows: (Vec<usize>, Vec<usize>),
    /// The gram numbers of `number_grams` for k <= 4 (a gram packed into one u128), kept
    /// with its capacity from one pair to the next.
    packed_grams: HashMap<u128, usize>,
}

const NO_GRAM: usize = usize::MAX;

/// Every (i, j) with ia[i..i+k] == ib[j..j+k], frequent k-grams paired by rank; sorted.
pub fn anchors(ia: &[u32], ib: &[u32], k: usize) -> Vec<(usize, usize)> {
    let mut scratch = Scratch::default();
    anchors_into(ia, ib, k, &mut scratch);
    scratch.anchors
}

/// `anchors` into `s.anchors`. Made in order of `i`, and for one `i` (one gram) in order of
/// `j`, so they come out sorted without a sort; each position of `a` has one gram, so no
/// anchor appears twice.
fn anchors_into(ia: &[u32], ib: &[u32], k: usize, s: &mut Scratch) {
    s.anchors.clear();
    if k == 0 || ia.len() < k || ib.len() < k {
        return;
    }
    // Up to four ids make one u128 exactly: a key held in the map itself, hashed and compared
    // in one piece.
    if k <= 4 {
        let mut index = std::mem::take(&mut s.packed_grams);
        index.clear();
        number_grams(ia, ib, k, s, &mut index, |gram| {
            gram.iter().fold(0u128, |key, &id| (key << 32) | u128::from(id))
        });
        s.packed_grams = index;
    } else {
        number_grams(ia, ib, k, s, &mut HashMap::default(), |gram| gram);
    }
    // Positions of b by gram, as compressed rows (a counting sort keeps each row ascending).
    let grams = s.count_a.len();
    s.start_b.clear();
    s.start_b.resize(grams + 1, 0);
    for &g in &s.gram_b {
        if g != NO_GRAM {
            s.start_b[g + 1] += 1;
        }
    }
    for g in 0..grams {
        s.start_b[g + 1] += s.start_b[g];
    }
    s.pos_b.clear();
    s.pos_b.resize(s.start_b[grams], 0);
    s.cursor.clear();
    s.cursor.extend_from_slice(&s.start_b[..grams]);
    for (j, &g) in s.gram_b.iter().enumerate() {
        if g != NO_GRAM {
            s.pos_b[s.cursor[g]] = j;
            s.cursor[g] += 1;
        }
    }
    s.cursor.fill(0);
    for (i, &g) in s.gram_a.iter().enumerate() {
        let pos_b = &s.pos_b[s.start_b[g]..s.start_b[g + 1]];
        if pos_b.is_empty() {
            continue;
        }
        if s.count_a[g].saturating_mul(pos_b.len()) <= MAX_PAIRS {
            s.anchors.extend(pos_b.iter().map(|&j| (i, j)));
        } else {
            // The rank-th occurrence in a pairs with the rank-th in b, while b has one.
            let rank = s.cursor[g];
            s.cursor[g] += 1;
            if let Some(&j) = pos_b.get(rank) {
                s.anchors.push((i, j));
            }
        }
    }
}

/// Number the k-grams of `ia` in order of first sight (`s.gram_a`, with their counts in
/// `s.count_a`) and give each k-gram of `ib` its number (`s.gram_b`, `NO_GRAM` if `ia` lacks
/// it); `key` maps a k-gram to a value equal for equal k-grams only.
fn number_grams<'a, K: Hash + Eq>(
    ia: &'a [u32],
    ib: &'a [u32],
    k: usize,
    s: &mut Scratch,
    index: &mut HashMap<K, usize>,
    key: impl Fn(&'a [u32]) -> K,
) {
    index.reserve(ia.len() - k + 1);
    s.gram_a.clear();
    s.count_a.clear();
    for gram in ia.windows(k) {
        let next = s.count_a.len();
        let g = *index.entry(key(gram)).or_insert(next);
        if g == next {
            s.count_a.push(0);
        }
        s.count_a[g] += 1;
        s.gram_a.push(g);
    }
    s.gram_b.clear();
    s.gram_b.extend(ib.windows(k).map(|gram| index.get(&key(gram)).copied().unwrap_or(NO_GRAM)));
}

/// Chaining DP over anchors sorted by (i, j): score and predecessor of each anchor.
/// Gain min(di, dj, k) minus drift |di - dj|; nearest predecessor wins ties; the scan stops
/// at a same-diagonal predecessor within k tokens (see the reference for the reasoning).
pub fn chain(anchors: &[(usize, usize)], k: usize, max_gap: usize) -> (Vec<i64>, Vec<isize>) {
    let (mut score, mut pred) = (Vec::new(), Vec::new());
    chain_into(anchors, k, max_gap, &mut score, &mut pred);
    (score, pred)
}

fn chain_into(
    anchors: &[(usize, usize)],
    k: usize,
    max_gap: usize,
    score: &mut Vec<i64>,
    pred: &mut Vec<isize>,
) {
    let n = anchors.len();
    score.clear();
    score.resize(n, k as i64);
    pred.clear();
    pred.resize(n, -1);
    let reach = max_gap + k;
    for x in 0..n {
        let (i, j) = anchors[x];
        let mut best = k as i64;
        let mut best_m = -1isize;
        let low = x.saturating_sub(MAX_LOOKBACK);
        for m in (low..x).rev() {
            let (im, jm) = anchors[m];
            if i <= im {
                continue;
            }
            let di = i - im;
            if di > reach {
                break;
            }
            if j <= jm || j - jm > reach {
                continue;
            }
            let dj = j - jm;
            let s = score[m] + di.min(dj).min(k) as i64 - di.abs_diff(dj) as i64;
            if s > best {
                best = s;
                best_m = m as isize;
            }
            if di == dj && di <= k {
                break;
            }
        }
        score[x] = best;
        pred[x] = best_m;
    }
}

/// The anchor indices by score, highest first, lowest index on ties. Scores of a chain span
/// little more than the number of anchors (a step gains at most k), so a counting sort by
/// score usually replaces the comparison sort; `buckets` is its working memory.
fn best_first(score: &[i64], order: &mut Vec<usize>, buckets: &mut Vec<usize>) {
    order.clear();
    let (Some(&low), Some(&high)) = (score.iter().min(), score.iter().max()) else { return };
    let span = high.abs_diff(low);
    if span > 2 * score.len() as u64 + 64 {
        order.extend(0..score.len());
        order.sort_unstable_by_key(|&x| (std::cmp::Reverse(score[x]), x));
        return;
    }
    // Bucket b holds score high - b; buckets[b] is where its next index goes.
    let bucket = |v: i64| high.abs_diff(v) as usize;
    buckets.clear();
    buckets.resize(span as usize + 2, 0);
    for &v in score {
        buckets[bucket(v) + 1] += 1;
    }
    for b in 1..buckets.len() {
        buckets[b] += buckets[b - 1];
    }
    order.resize(score.len(), 0);
    // Indices in ascending order, so each bucket lists them lowest first.
    for (x, &v) in score.iter().enumerate() {
        let b = bucket(v);
        order[buckets[b]] = x;
        buckets[b] += 1;
    }
}

/// Length of the longest common subsequence (plain DP; the inputs are small gaps).
pub fn lcs_length(a: &[u32], b: &[u32]) -> usize {
    lcs_length_with(a, b, &mut (Vec::new(), Vec::new()))
}

/// `lcs_length` with its two DP rows in `rows`.
fn lcs_length_with(a: &[u32], b: &[u32], rows: &mut (Vec<usize>, Vec<usize>)) -> usize {
    if a.is_empty() || b.is_empty() {
        return 0;
    }
    let (prev, cur) = rows;
    prev.clear();
    prev.resize(b.len() + 1, 0);
    cur.clear();
    cur.resize(b.len() + 1, 0);
    for &x in a {
        for (jj, &y) in b.iter().enumerate() {
            cur[jj + 1] = if x == y { prev[jj] + 1 } else { prev[jj + 1].max(cur[jj]) };
        }
        std::mem::swap(prev, cur);
    }
    prev[b.len()]
}

/// Token ranges of a chain and its exact matched-token count: (a0, a1, b0, b1, matches).
pub fn passage(
    ia: &[u32],
    ib: &[u32],
    anchors: &[(usize, usize)],
    members: &[usize],
    k: usize,
) -> (usize, usize, usize, usize, usize) {
    passage_with(ia, ib, anchors, members, k, &mut (Vec::new(), Vec::new()))
}

fn passage_with(
    ia: &[u32],
    ib: &[u32],
    anchors: &[(usize, usize)],
    members: &[usize],
    k: usize,
    lcs_rows: &mut (Vec<usize>, Vec<usize>),
) -> (usize, usize, usize, usize, usize) {
    let (a0, b0) = anchors[members[0]];
    let (mut ca, mut cb) = (a0, b0);
    let mut matches = 0;
    for &x in members {
        let (i, j) = anchors[x];
        let skip = (ca.saturating_sub(i)).max(cb.saturating_sub(j));
        if skip >= k {
            continue;
        }
        matches += lcs_length_with(&ia[ca..i + skip], &ib[cb..j + skip], lcs_rows) + (k - skip);
        ca = i + k;
        cb = j + k;
    }
    (a0, ca, b0, cb, matches)
}

/// Passages over token positions: (a0, a1, b0, b1, matches, anchors), sorted.
pub fn align_tokens(ia: &[u32], ib: &[u32], p: Params) -> Vec<(usize, usize, usize, usize, usize, usize)> {
    align_tokens_with(ia, ib, p, &mut Scratch::default())
}

/// `align_tokens` with its working memory in `s`. Chains are taken best first: from the
/// unused anchor of highest score (lowest index on ties), predecessors are followed until an
/// anchor already taken; each chain is made into its passage at once.
pub fn align_tokens_with(
    ia: &[u32],
    ib: &[u32],
    p: Params,
    s: &mut Scratch,
) -> Vec<(usize, usize, usize, usize, usize, usize)> {
    anchors_into(ia, ib, p.k, s);
    let n = s.anchors.len();
    chain_into(&s.anchors, p.k, p.max_gap, &mut s.score, &mut s.pred);
    best_first(&s.score, &mut s.order, &mut s.buckets);
    s.used.clear();
    s.used.resize(n, false);
    let mut out = Vec::new();
    for &end in &s.order {
        if s.used[end] {
            continue;
        }
        s.members.clear();
        let mut x = end as isize;
        while x != -1 && !s.used[x as usize] {
            s.used[x as usize] = true;
            s.members.push(x as usize);
            x = s.pred[x as usize];
        }
        s.members.reverse();
        let (a0, a1, b0, b1, matches) = passage_with(ia, ib, &s.anchors, &s.members, p.k, &mut s.lcs_rows);
        if matches >= p.min_tokens {
            out.push((a0, a1, b0, b1, matches, s.members.len()));
        }
    }
    out.sort_unstable();
    out
}

/// Dice share of matched tokens: 2 * matches / (tokens in a's span + tokens in b's span).
pub fn score(matches: usize, tokens_a: usize, tokens_b: usize) -> f64 {
    (2 * matches) as f64 / (tokens_a + tokens_b) as f64
}

/// The passages of token ids `ia`, `ib` whose tokens have original spans `spans_a`, `spans_b`.
fn passages(
    ia: &[u32],
    ib: &[u32],
    spans_a: &[Span],
    spans_b: &[Span],
    p: Params,
    s: &mut Scratch,
) -> Vec<Passage> {
    align_tokens_with(ia, ib, p, s)
        .into_iter()
        .map(|(a0, a1, b0, b1, matches, count)| Passage {
            a: (spans_a[a0].0, spans_a[a1 - 1].1),
            b: (spans_b[b0].0, spans_b[b1 - 1].1),
            score: score(matches, a1 - a0, b1 - b0),
            matches,
            tokens_a: a1 - a0,
            tokens_b: b1 - b0,
            anchors: count,
        })
        .collect()
}

/// The passages shared by `a` and `b`, with spans into the original strings.
pub fn align(a: &str, b: &str, p: Params) -> Result<Vec<Passage>, Error> {
    p.check()?;
    let (joined_a, joined_b) = (text::tokenize_joined(a), text::tokenize_joined(b));
    let ids = token_ids(&[&joined_a, &joined_b])?;
    Ok(passages(&ids[0], &ids[1], &joined_a.spans, &joined_b.spans, p, &mut Scratch::default()))
}

/// Texts of a batch are tokenised and interned this many bytes at a time (at least one pair
/// each time), so that the tokens held at once stay bounded whatever the batch's size.
const BATCH_CHUNK_BYTES: usize = 8 << 20;

/// `align(texts[a], texts[b], p)` for each pair `(a, b)` of indices into `texts`, in parallel
/// on `num_threads` threads (`None`: one per core). A text that several pairs share is
/// tokenised once. Results never depend on the thread count or on how texts are shared.
pub fn align_batch<T: AsRef<str> + Sync>(
    texts: &[T],
    pairs: &[(usize, usize)],
    p: Params,
    num_threads: Option<usize>,
) -> Result<Vec<Vec<Passage>>, Error> {
    align_batch_in_chunks(texts, pairs, p, num_threads, BATCH_CHUNK_BYTES)
}

/// `align_batch`, the pairs taken in chunks naming about `chunk_bytes` of distinct texts.
fn align_batch_in_chunks<T: AsRef<str> + Sync>(
    texts: &[T],
    pairs: &[(usize, usize)],
    p: Params,
    num_threads: Option<usize>,
    chunk_bytes: usize,
) -> Result<Vec<Vec<Passage>>, Error> {
    map_pairs_in_chunks(texts, pairs, p, num_threads, chunk_bytes, |s, a, b| {
        passages(a.ids, b.ids, &a.joined.spans, &b.joined.spans, p, s)
    })
}

/// Per pair `(a, b)` of `align_batch`: the number of tokens of `b` and, per passage in
/// `align_batch`'s order, the token range `[b0, b1)` of `b` it covers and its matched tokens
/// `(b0, b1, matches)`. The same alignment as `align_batch`, without the character spans.
pub type TokenRanges = (usize, Vec<(usize, usize, usize)>);

/// `align_batch`, each pair's passages given as token ranges of `b` (`TokenRanges`).
pub fn align_token_ranges_batch<T: AsRef<str> + Sync>(
    texts: &[T],
    pairs: &[(usize, usize)],
    p: Params,
    num_threads: Option<usize>,
) -> Result<Vec<TokenRanges>, Error> {
    align_token_ranges_in_chunks(texts, pairs, p, num_threads, BATCH_CHUNK_BYTES)
}

/// `align_token_ranges_batch`, the pairs taken in chunks naming about `chunk_bytes` of
/// distinct texts.
fn align_token_ranges_in_chunks<T: AsRef<str> + Sync>(
    texts: &[T],
    pairs: &[(usize, usize)],
    p: Params,
    num_threads: Option<usize>,
    chunk_bytes: usize,
) -> Result<Vec<TokenRanges>, Error> {
    map_pairs_in_chunks(texts, pairs, p, num_threads, chunk_bytes, |s, a, b| {
        let ranges = align_tokens_with(a.ids, b.ids, p, s)
            .into_iter()
            .map(|(_, _, b0, b1, matches, _)| (b0, b1, matches))
            .collect();
        (b.ids.len(), ranges)
    })
}

/// Per pair `(a, b)` of `align_batch`: the share of `b`'s tokens matched inside the passages
/// aligned with `a` (`matched_tokens` of its token ranges over `b`'s tokens, at most 1; 0 when
/// `b` has no token): how much of `b` is found in `a`.
pub fn matched_share_batch<T: AsRef<str> + Sync>(
    texts: &[T],
    pairs: &[(usize, usize)],
    p: Params,
    num_threads: Option<usize>,
) -> Result<Vec<f64>, Error> {
    map_pairs_in_chunks(texts, pairs, p, num_threads, BATCH_CHUNK_BYTES, |s, a, b| {
        let ranges: Vec<_> = align_tokens_with(a.ids, b.ids, p, s)
            .into_iter()
            .map(|(_, _, b0, b1, matches, _)| (b0, b1, matches))
            .collect();
        match b.ids.len() {
            0 => 0.0,
            tokens => (matched_tokens(&ranges) / tokens as f64).min(1.0),
        }
    })
}

/// Per pair `(outer, inner)` of `align_batch`: whether `outer` wraps `inner`: the passages
/// aligned between them cover at least `min_share` of `inner`'s characters (Python's
/// `str.strip` of it: blank edges left out; the union of the passages' spans in `inner`), and
/// `outer` has at least `min_chars` characters of its own, blank edges left out, both before
/// its first aligned character and after its last (an article inside a page's header and
/// footer). Lengths count code points, as the spans do.
pub fn wraps_batch<T: AsRef<str> + Sync>(
    texts: &[T],
    pairs: &[(usize, usize)],
    p: Params,
    min_chars: usize,
    min_share: f64,
    num_threads: Option<usize>,
) -> Result<Vec<bool>, Error> {
    if !(0.0..=1.0).contains(&min_share) {
        return Err(Error::InvalidArgument(format!("min_share must be in [0, 1], got {min_share}")));
    }
    map_pairs_in_chunks(texts, pairs, p, num_threads, BATCH_CHUNK_BYTES, |s, outer, inner| {
        let found = passages(outer.ids, inner.ids, &outer.joined.spans, &inner.joined.spans, p, s);
        if found.is_empty() {
            return false;
        }
        let mut spans: Vec<Span> = found.iter().map(|q| q.b).filter(|&(start, end)| end > start).collect();
        spans.sort_unstable();
        let (mut covered, mut reach) = (0, 0);
        for (start, end) in spans {
            let start = start.max(reach);
            if end > start {
                covered += end - start;
                reach = end;
            }
        }
        if (covered as f64) < min_share * stripped_chars(inner.text, 0, usize::MAX) as f64 {
            return false;
        }
        let first = found.iter().map(|q| q.a.0).min().unwrap_or(0);
        let last = found.iter().map(|q| q.a.1).max().unwrap_or(0);
        stripped_chars(outer.text, 0, first) >= min_chars
            && stripped_chars(outer.text, last, usize::MAX) >= min_chars
    })
}

/// Per pair `(a, b)`: the one-for-one word swaps between the two texts, as `(most, all)`:
/// where a context (the two tokens before a token and the two after it, as `text::tokenize`
/// gives them) occurs exactly once in `a` and once in `b` and the token it surrounds differs,
/// the pair of tokens is a swap; `all` counts such places and `most` those of the commonest
/// swap, leaving out swaps of two tokens one character apart (one added, dropped or changed:
/// character noise). Two instances of one template with a name swapped throughout have a
/// large `most`; an edited copy makes many different swaps.
pub fn word_swaps_batch<T: AsRef<str> + Sync>(
    texts: &[T],
    pairs: &[(usize, usize)],
    num_threads: Option<usize>,
) -> Result<Vec<(u64, u64)>, Error> {
    map_prepared_pairs_in_chunks(
        texts,
        pairs,
        Params::default(),
        num_threads,
        BATCH_CHUNK_BYTES,
        |t| once_seen_contexts(t.ids),
        |_, a, b, in_a, in_b| word_swaps(&a, &b, in_a, in_b),
    )
}

/// `word_swaps_batch` of one pair, given the contexts each text has once.
fn word_swaps(
    a: &BatchText<'_>,
    b: &BatchText<'_>,
    in_a: &[(u128, usize)],
    in_b: &[(u128, usize)],
) -> (u64, u64) {
    // (token of a, token of b, their positions) where a context of both surrounds different tokens.
    let mut swaps: Vec<(u32, u32, usize, usize)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < in_a.len() && j < in_b.len() {
        match in_a[i].0.cmp(&in_b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let (x, y) = (a.ids[in_a[i].1], b.ids[in_b[j].1]);
                if x != y {
                    swaps.push((x, y, in_a[i].1, in_b[j].1));
                }
                i += 1;
                j += 1;
            }
        }
    }
    swaps.sort_unstable();
    let (mut most, mut all) = (0u64, 0u64);
    for run in swaps.chunk_by(|p, q| (p.0, p.1) == (q.0, q.1)) {
        let (_, _, at_a, at_b) = run[0];
        if !one_edit_apart(token_of(a, at_a), token_of(b, at_b)) {
            most = most.max(run.len() as u64);
            all += run.len() as u64;
        }
    }
    (most, all)
}

/// The token at position `at` of `t`.
fn token_of<'c>(t: &BatchText<'c>, at: usize) -> &'c str {
    let (start, end) = t.joined.ranges[at];
    &t.joined.text[start..end]
}

/// The contexts of `ids` (two tokens before a position and two after) that occur once, sorted,
/// with the position each surrounds.
fn once_seen_contexts(ids: &[u32]) -> Vec<(u128, usize)> {
    if ids.len() < 5 {
        return Vec::new();
    }
    // The four token ids in one key: one comparison per step of the sort.
    let key = |k: usize| {
        [ids[k], ids[k + 1], ids[k + 3], ids[k + 4]].iter().fold(0u128, |key, &id| key << 32 | u128::from(id))
    };
    let mut all: Vec<(u128, usize)> = (0..ids.len() - 4).map(|k| (key(k), k + 2)).collect();
    all.sort_unstable();
    all.chunk_by(|p, q| p.0 == q.0).filter(|run| run.len() == 1).map(|run| run[0]).collect()
}

/// Whether `b` is `a` with one character (code point) added, dropped or changed.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (a, b) = if a.len() > b.len() { (b, a) } else { (a, b) };
    if b.len() - a.len() > 1 {
        return false;
    }
    let start = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let rest_a = a.get(start + usize::from(a.len() == b.len())..).unwrap_or(&[]);
    rest_a == b.get(start + 1..).unwrap_or(&[])
}

/// Per pair `(a, b)` of `align_batch`: per line of `a` (`text::segment`'s lines), whether at
/// least `min_line_share` of its word characters (the characters of its tokens) lie in the
/// passages aligned with `b`: the lines `a` shares with `b`. A line without tokens is not.
pub fn lines_shared_batch<T: AsRef<str> + Sync>(
    texts: &[T],
    pairs: &[(usize, usize)],
    p: Params,
    min_line_share: f64,
    num_threads: Option<usize>,
) -> Result<Vec<Vec<bool>>, Error> {
    if !(min_line_share > 0.0 && min_line_share <= 1.0) {
        return Err(Error::InvalidArgument(format!(
            "min_line_share must be in (0, 1], got {min_line_share}"
        )));
    }
    map_pairs_in_chunks(texts, pairs, p, num_threads, BATCH_CHUNK_BYTES, |s, a, b| {
        let found = passages(a.ids, b.ids, &a.joined.spans, &b.joined.spans, p, s);
        let mut spans: Vec<Span> = found.iter().map(|q| q.a).filter(|&(start, end)| end > start).collect();
        spans.sort_unstable();
        let lines = text::segment(a.text).0;
        let mut total = vec![0usize; lines.len()];
        let mut inside = vec![0usize; lines.len()];
        // Tokens and lines both in order: one sweep, with the passages merged as it goes.
        let (mut line, mut next_span) = (0, 0);
        let mut merged: Vec<Span> = Vec::new();
        for &(start, end) in &spans {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        for &(start, end) in &a.joined.spans {
            // A token never crosses a line break, so it lies in the last line starting at or
            // before it.
            while line + 1 < lines.len() && lines[line + 1].0 <= start {
                line += 1;
            }
            total[line] += end - start;
            while next_span < merged.len() && merged[next_span].1 <= start {
                next_span += 1;
            }
            let mut covered = 0;
            for &(m0, m1) in &merged[next_span..] {
                if m0 >= end {
                    break;
                }
                covered += m1.min(end) - m0.max(start);
            }
            inside[line] += covered;
        }
        total.iter().zip(&inside).map(|(&t, &i)| t > 0 && i as f64 >= min_line_share * t as f64).collect()
    })
}

/// The length in code points of the characters `start..end` (code point positions, `end`
/// clipped to the text) of `text` after Python's `str.strip()`.
fn stripped_chars(text: &str, start: usize, end: usize) -> usize {
    // Only the blank edges are tested character by character; the rest is counted by bytes.
    let from = byte_at(text, start);
    let to = from + byte_at(&text[from..], end.saturating_sub(start));
    let part = &text[from..to];
    let Some((first, _)) = part.char_indices().find(|&(_, c)| !is_py_space(c)) else { return 0 };
    let last = part.char_indices().rev().find(|&(_, c)| !is_py_space(c)).map_or(first, |(last, _)| last);
    // Up to the last one's first byte: its continuation bytes are not counted anyway.
    code_points(&part.as_bytes()[first..=last])
}

/// The byte offset of code point `position` of `text`, or its length if it has fewer.
fn byte_at(text: &str, position: usize) -> usize {
    if position == 0 {
        return 0;
    }
    let mut seen = 0;
    for (offset, &byte) in text.as_bytes().iter().enumerate() {
        if is_char_start(byte) {
            if seen == position {
                return offset;
            }
            seen += 1;
        }
    }
    text.len()
}

/// The code points of UTF-8 `bytes`: the bytes that are not continuation bytes.
fn code_points(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&byte| is_char_start(byte)).count()
}

fn is_char_start(byte: u8) -> bool {
    (byte as i8) >= -0x40
}

/// Exactly matched tokens of `b`, each token counted once, from the passages' `(b0, b1,
/// matches)` (token range `[b0, b1)` of `b`): a passage of `b` found twice in `a` is reported
/// twice, and neighbouring passages may share a few edge tokens, so where passages overlap
/// (transitively) on `b` each token counts the highest match rate (`matches / tokens`) of
/// the passages covering it, summed by `pairwise_sum`; a passage overlapping no other counts
/// its `matches`. Groups are added up in order of their first token (the reference's order).
pub fn matched_tokens(ranges: &[(usize, usize, usize)]) -> f64 {
    let mut ranges = ranges.to_vec();
    ranges.sort_unstable();
    let mut total = 0.0;
    let mut best: Vec<f64> = Vec::new();
    let mut i = 0;
    while i < ranges.len() {
        let (mut j, mut end) = (i + 1, ranges[i].1);
        while j < ranges.len() && ranges[j].0 < end {
            end = end.max(ranges[j].1);
            j += 1;
        }
        if j == i + 1 {
            total += ranges[i].2 as f64;
        } else {
            let start = ranges[i].0;
            best.clear();
            best.resize(end - start, 0.0);
            for &(t0, t1, matches) in &ranges[i..j] {
                if t1 > t0 {
                    let rate = matches as f64 / (t1 - t0) as f64;
                    for value in &mut best[t0 - start..t1 - start] {
                        *value = value.max(rate);
                    }
                }
            }
            total += pairwise_sum(&best);
        }
        i = j;
    }
    total
}

/// The sum of `values` as numpy sums a float64 array, step for step (the reference's
/// `pairwise_sum` says how): the scores stay those of the reference bit for bit.
pub fn pairwise_sum(values: &[f64]) -> f64 {
    0.0 + pairwise(values)
}

fn pairwise(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 8 {
        return values.iter().fold(0.0, |total, &value| total + value);
    }
    if n <= 128 {
        let mut partial = [0.0; 8];
        partial.copy_from_slice(&values[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (sum, &value) in partial.iter_mut().zip(&values[i..i + 8]) {
                *sum += value;
            }
            i += 8;
        }
        let head = ((partial[0] + partial[1]) + (partial[2] + partial[3]))
            + ((partial[4] + partial[5]) + (partial[6] + partial[7]));
        return values[i..].iter().fold(head, |total, &value| total + value);
    }
    let half = n / 2 - (n / 2) % 8;
    pairwise(&values[..half]) + pairwise(&values[half..])
}

/// One text of a batch as the per-pair function of `map_pairs_in_chunks` sees it.
struct BatchText<'c> {
    text: &'c str,
    joined: &'c JoinedTokens,
    ids: &'c [u32],
}

/// `f(scratch, a, b)` for each pair `(a, b)` of indices into `texts`, in parallel on
/// `num_threads` threads, in the order of `pairs`. The pairs are taken in chunks naming about
/// `chunk_bytes` of distinct texts; each distinct text of a chunk is tokenised once and the
/// chunk's tokens interned together, and each thread reuses one `Scratch`.
fn map_pairs_in_chunks<T, R, F>(
    texts: &[T],
    pairs: &[(usize, usize)],
    p: Params,
    num_threads: Option<usize>,
    chunk_bytes: usize,
    f: F,
) -> Result<Vec<R>, Error>
where
    T: AsRef<str> + Sync,
    R: Send,
    F: Fn(&mut Scratch, BatchText<'_>, BatchText<'_>) -> R + Sync + Send,
{
    map_prepared_pairs_in_chunks(
        texts,
        pairs,
        p,
        num_threads,
        chunk_bytes,
        |_| (),
        |s, a, b, _, _| f(s, a, b),
    )
}

/// `map_pairs_in_chunks` where `f` also gets what `prepare` made of each text of the pair,
/// once per distinct text of a chunk.
fn map_prepared_pairs_in_chunks<T, P, R, G, F>(
    texts: &[T],
    pairs: &[(usize, usize)],
    p: Params,
    num_threads: Option<usize>,
    chunk_bytes: usize,
    prepare: G,
    f: F,
) -> Result<Vec<R>, Error>
where
    T: AsRef<str> + Sync,
    P: Send + Sync,
    R: Send,
    G: Fn(BatchText<'_>) -> P + Sync + Send,
    F: Fn(&mut Scratch, BatchText<'_>, BatchText<'_>, &P, &P) -> R + Sync + Send,
{
    p.check()?;
    if let Some(&(a, b)) = pairs.iter().find(|&&(a, b)| a.max(b) >= texts.len()) {
        return Err(Error::InvalidArgument(format!(
            "pair ({a}, {b}) names a text beyond the {} given",
            texts.len()
        )));
    }
    let mut out = Vec::with_capacity(pairs.len());
    let mut first = 0;
    while first < pairs.len() {
        // The pairs of this chunk and the distinct texts they name, in order of first use.
        let mut local: HashMap<usize, usize> = HashMap::default();
        let mut chunk_texts: Vec<&str> = Vec::new();
        let mut bytes = 0;
        let mut end = first;
        let mut chunk_pairs = Vec::new();
        while end < pairs.len() && (end == first || bytes < chunk_bytes) {
            let (a, b) = pairs[end];
            let mut slot = |t: usize| {
                *local.entry(t).or_insert_with(|| {
                    bytes += texts[t].as_ref().len();
                    chunk_texts.push(texts[t].as_ref());
                    chunk_texts.len() - 1
                })
            };
            chunk_pairs.push((slot(a), slot(b)));
            end += 1;
        }
        let joined = map_ordered(&chunk_texts, num_threads, |t| text::tokenize_joined(t))?;
        let ids = token_ids(&joined.iter().collect::<Vec<_>>())?;
        let text = |t: usize| BatchText { text: chunk_texts[t], joined: &joined[t], ids: &ids[t] };
        let prepared =
            map_ordered(&(0..chunk_texts.len()).collect::<Vec<_>>(), num_threads, |&t| prepare(text(t)))?;
        let results = map_ordered_init(&chunk_pairs, num_threads, Scratch::default, |s, &(a, b)| {
            f(s, text(a), text(b), &prepared[a], &prepared[b])
        })?;
        out.extend(results);
        first = end;
    }
    Ok(out)
}

/// The anchors of `a` and `b` as token positions, sorted (exposed for testing).
pub fn align_anchors(a: &str, b: &str, k: usize) -> Result<Vec<(usize, usize)>, Error> {
    Params { k, ..Params::default() }.check()?;
    let (joined_a, joined_b) = (text::tokenize_joined(a), text::tokenize_joined(b));
    let ids = token_ids(&[&joined_a, &joined_b])?;
    Ok(anchors(&ids[0], &ids[1], k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_apart_counts_code_points() {
        for (a, b) in [
            ("the", "tbe"),
            ("o", "on"),
            ("salute", "salue"),
            ("", "a"),
            ("caf\u{e9}", "cafe"),
            ("\u{6771}", "\u{4eac}"),
        ] {
            assert!(one_edit_apart(a, b) && one_edit_apart(b, a), "{a} {b}");
        }
        for (a, b) in [("create", "update"), ("abcd", "abdc"), ("abc", "a"), ("\u{e9}\u{e9}", "ee")] {
            assert!(!one_edit_apart(a, b) && !one_edit_apart(b, a), "{a} {b}");
        }
    }

    #[test]
    fn a_name_swapped_throughout_is_one_swap() {
        let a = "a b name c d e f name g h i j name k l m";
        let b = "a b other c d e f other g h i j names k l m";
        assert_eq!(
            word_swaps_batch(&[a, b], &[(0, 1), (1, 0), (0, 0)], Some(1)).unwrap(),
            vec![(2, 2), (2, 2), (0, 0)]
        );
    }

    #[test]
    fn identical_texts_align_fully() {
        let t = "The quick brown fox jumps over the lazy dog near the river bank today.";
        let ps = align(t, t, Params::default()).unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].a, (0, t.len() - 1));
        assert_eq!(ps[0].score, 1.0);
    }

    #[test]
    fn robust_to_case_quotes_and_one_edit() {
        let a =
            "He said \u{201C}the alliance is strong and will remain so for many years to come\u{201D} today.";
        let b = "HE SAID \"the alliance is STRONG and shall remain so for many years to come\" today.";
        let ps = align(a, b, Params::default()).unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].matches, ps[0].tokens_a - 1);
    }

    #[test]
    fn moved_paragraph_is_a_second_passage() {
        let p1 = "alpha beta gamma delta epsilon zeta eta theta iota kappa";
        let p2 = "one two three four five six seven eight nine ten eleven";
        let a = format!("{p1}\n{p2}");
        let b = format!("{p2}\n{p1}");
        let ps = align(&a, &b, Params::default()).unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].a.0, 0);
        assert_eq!(ps[0].b.0, p2.len() + 1);
    }

    #[test]
    fn degenerate_repetition_stays_linear() {
        let a = "word ".repeat(50_000);
        let ps = align(&a, &a, Params::default()).unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].matches, 50_000);
    }

    /// Every ordered pair of `n` texts, then two again: texts recur across pairs, on either
    /// side, and with themselves.
    fn every_pair(n: usize) -> Vec<(usize, usize)> {
        (0..n).flat_map(|a| (0..n).map(move |b| (a, b))).chain([(4, 0), (0, 4)]).collect()
    }

    #[test]
    fn batches_equal_pairs_aligned_alone() {
        let texts = [
            "the minister said the alliance is strong and will remain so for many years to come",
            "THE MINISTER said the alliance is strong and shall remain so for many years to come, today",
            "",
            "word word word word word word word word word word word word word word word word word word",
            "and the alliance is strong and will remain so for many years; the minister said so",
            "word word word word word word word word word word word word word word word word word word word",
        ];
        let pairs = every_pair(texts.len());
        let p = Params { k: 2, max_gap: 5, min_tokens: 3 };
        let alone: Vec<_> = pairs.iter().map(|&(a, b)| align(texts[a], texts[b], p).unwrap()).collect();
        assert!(alone.iter().filter(|passages| !passages.is_empty()).count() >= 10);
        for threads in [Some(1), Some(2), None] {
            for chunk_bytes in [0, 1, 100, 300, usize::MAX] {
                let batch = align_batch_in_chunks(&texts, &pairs, p, threads, chunk_bytes).unwrap();
                assert_eq!(batch, alone, "threads {threads:?}, chunks of {chunk_bytes} bytes");
            }
        }
        assert!(align_batch(&texts, &[(0, 6)], p, None).is_err());
    }

    #[test]
    fn token_ranges_are_the_batch_passages_b_side() {
        let texts = [
            "the minister said the alliance is strong and will remain so for many years to come",
            "THE MINISTER said the alliance is strong and shall remain so for many years to come, today",
            "",
            "\u{6771}\u{4eac}\u{6771}\u{4eac} word word word word word word word word word word word word",
            "and the alliance is strong and will remain so for many years; the minister said so",
        ];
        let pairs = every_pair(texts.len());
        let p = Params { k: 2, max_gap: 5, min_tokens: 3 };
        // Each pair alone: b's token count and its passages' token ranges, from align_tokens.
        let alone: Vec<TokenRanges> = pairs
            .iter()
            .map(|&(a, b)| {
                let joined = [text::tokenize_joined(texts[a]), text::tokenize_joined(texts[b])];
                let ids = token_ids(&[&joined[0], &joined[1]]).unwrap();
                let ranges = align_tokens(&ids[0], &ids[1], p).into_iter().map(|t| (t.2, t.3, t.4)).collect();
                (joined[1].len(), ranges)
            })
            .collect();
        assert!(alone.iter().filter(|(_, ranges)| !ranges.is_empty()).count() >= 10);
        let passages = align_batch(&texts, &pairs, p, Some(1)).unwrap();
        for threads in [Some(1), Some(2), None] {
            for chunk_bytes in [0, 1, 100, usize::MAX] {
                let batch = align_token_ranges_in_chunks(&texts, &pairs, p, threads, chunk_bytes).unwrap();
                assert_eq!(batch, alone, "threads {threads:?}, chunks of {chunk_bytes} bytes");
            }
        }
        // One range per passage of align_batch, in its order, with its matches and b tokens.
        for ((_, ranges), passages) in alone.iter().zip(&passages) {
            let from_passages: Vec<_> = passages.iter().map(|q| q.matches).collect();
            assert_eq!(ranges.iter().map(|r| r.2).collect::<Vec<_>>(), from_passages);
            assert!(ranges.iter().zip(passages).all(|(r, q)| r.1 - r.0 == q.tokens_b));
        }
        assert!(align_token_ranges_batch(&texts, &[(0, 5)], p, None).is_err());
        assert!(align_token_ranges_batch(&texts, &[(0, 1)], Params { k: 0, ..p }, None).is_err());
    }

    /// The anchors by the reference's method: positions grouped by k-gram in an ordered map.
    fn plain_anchors(ia: &[u32], ib: &[u32], k: usize) -> Vec<(usize, usize)> {
        let grams = |ids: &[u32]| {
            let mut positions: std::collections::BTreeMap<Vec<u32>, Vec<usize>> = Default::default();
            for (i, gram) in ids.windows(k).enumerate() {
                positions.entry(gram.to_vec()).or_default().push(i);
            }
            positions
        };
        let grams_b = grams(ib);
        let mut out = Vec::new();
        for (gram, pos_a) in grams(ia) {
            let Some(pos_b) = grams_b.get(&gram) else { continue };
            if pos_a.len() * pos_b.len() <= MAX_PAIRS {
                out.extend(pos_a.iter().flat_map(|&i| pos_b.iter().map(move |&j| (i, j))));
            } else {
                out.extend(pos_a.iter().copied().zip(pos_b.iter().copied()));
            }
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn anchors_match_a_plain_grouping_for_any_ids() {
        // Six ids spread over all 32 bits, 0 among them (a key that dropped or overlapped bits
        // would merge k-grams); over so few, short k-grams are frequent enough to be paired by
        // rank and long ones are not.
        let alphabet = [1 << 31, 1 << 30 | 1, 3 << 16, 1 << 16, 1, 0];
        let word = |i: u64| alphabet[((i.wrapping_mul(2654435761) >> 11) % 6) as usize];
        let ia: Vec<u32> = (0..300).map(word).collect();
        let ib: Vec<u32> =
            (120..330).chain(0..90).map(|i| if i % 17 == 0 { 1 << 31 } else { word(i) }).collect();
        for k in 1..=6 {
            let expected = plain_anchors(&ia, &ib, k);
            assert!(!expected.is_empty(), "k {k}");
            assert_eq!(anchors(&ia, &ib, k), expected, "k {k}");
        }
    }

    #[test]
    fn stripped_chars_counts_code_points_between_blank_edges() {
        // Python's str.strip() of the code points start..end, counted: the definition.
        let plain = |text: &str, start: usize, end: usize| {
            let part: Vec<char> = text.chars().skip(start).take(end.saturating_sub(start)).collect();
            let first = part.iter().position(|&c| !is_py_space(c));
            let last = part.iter().rposition(|&c| !is_py_space(c));
            first.zip(last).map_or(0, |(first, last)| last - first + 1)
        };
        let pieces =
            [" ", "\u{3000}", "\u{85}", "\t\n", "a", "\u{e9}", "\u{20ac}", "\u{1f600}", "\u{200b}", "x y"];
        for seed in 0u64..400 {
            let text: String = (0..seed % 13)
                .map(|i| pieces[((seed.wrapping_mul(2654435761) >> (3 * i)) % pieces.len() as u64) as usize])
                .collect();
            let count = text.chars().count();
            for start in 0..=count + 1 {
                for end in [0, start, start + 1, start + 3, count, count + 2, usize::MAX] {
                    assert_eq!(
                        stripped_chars(&text, start, end),
                        plain(&text, start, end),
                        "{text:?} {start} {end}"
                    );
                }
            }
        }
    }

    #[test]
    fn scratch_left_by_other_pairs_changes_nothing() {
        // Overlapping windows of one pseudo-random word sequence, of different lengths.
        let words: Vec<String> =
            (0u64..400).map(|i| format!("w{}", i.wrapping_mul(2654435761) % 97)).collect();
        let texts: Vec<String> = (0..6).map(|n| words[20 * n..100 + 45 * n].join(" ")).collect();
        let joined: Vec<_> = texts.iter().map(|t| text::tokenize_joined(t)).collect();
        let ids = token_ids(&joined.iter().collect::<Vec<_>>()).unwrap();
        let p = Params { k: 2, max_gap: 4, min_tokens: 2 };
        let mut scratch = Scratch::default();
        for (a, b) in [(0, 5), (5, 0), (1, 2), (4, 4), (3, 1), (2, 0)] {
            let reused = align_tokens_with(&ids[a], &ids[b], p, &mut scratch);
            assert!(!reused.is_empty(), "pair ({a}, {b})");
            assert_eq!(reused, align_tokens(&ids[a], &ids[b], p), "pair ({a}, {b})");
        }
    }

    #[test]
    fn best_first_orders_by_score_then_index() {
        let plain = |score: &[i64]| {
            let mut order: Vec<usize> = (0..score.len()).collect();
            order.sort_unstable_by_key(|&x| (std::cmp::Reverse(score[x]), x));
            order
        };
        let narrow: Vec<i64> = (0..500).map(|i| 3 + (i * 7919 % 41)).collect();
        let wide: Vec<i64> = (0..500).map(|i| 3 + (i * 7919 % 41) * 1000).collect();
        let extremes = vec![i64::MAX, 3, i64::MIN, 3, 0];
        let (mut order, mut buckets) = (Vec::new(), Vec::new());
        for score in [&narrow[..], &wide, &extremes, &[5], &[]] {
            best_first(score, &mut order, &mut buckets);
            assert_eq!(order, plain(score), "{score:?}");
        }
    }

    #[test]
    fn pairwise_sum_follows_numpy() {
        // np.array(values).sum() for these (numpy 2.4); a running sum differs in the last
        // bits for each (0.9999999999999999, 98.33333333333333, 20.000000000000014,
        // 1596.4285714285713): the grouping of the additions shows.
        assert_eq!(pairwise_sum(&[0.1; 10]), 1.0);
        let thirds: Vec<f64> = (0..100).map(|i| (i % 7) as f64 / 3.0).collect();
        assert_eq!(pairwise_sum(&thirds), 98.33333333333334);
        assert_eq!(pairwise_sum(&[0.1; 200]), 20.0);
        let sevenths: Vec<f64> = (0..150).map(|i| i as f64 / 7.0).collect();
        assert_eq!(pairwise_sum(&sevenths), 1596.4285714285716);
        assert_eq!(pairwise_sum(&[]), 0.0);
    }

    #[test]
    fn matched_tokens_counts_each_token_once_at_its_best_rate() {
        assert_eq!(matched_tokens(&[]), 0.0);
        assert_eq!(matched_tokens(&[(10, 20, 9), (0, 5, 5)]), 14.0);
        // [0, 10) at 0.8 and [5, 15) at 1.0: five tokens at 0.8, ten at 1.0.
        assert_eq!(matched_tokens(&[(5, 15, 10), (0, 10, 8)]), 14.0);
        // The same passage found twice counts once; an empty range counts nothing.
        assert_eq!(matched_tokens(&[(0, 3, 2), (0, 3, 2), (1, 1, 0)]), 2.0);
    }

    #[test]
    fn empty_and_bad_params() {
        assert!(align("", "abc def", Params::default()).unwrap().is_empty());
        assert!(align("a", "a", Params { k: 0, ..Params::default() }).is_err());
        assert_eq!(lcs_length(&[1, 2, 3, 4], &[2, 4, 3]), 2);
    }
}
