//! Passage alignment: the passages two documents share, as spans of the original texts.
//!
//! The pure-Python reference (`python/neardup/_reference/align.py`) is the specification;
//! this module follows it step for step (docs/align.md describes the method). All arithmetic
//! is on integers except the score, one IEEE division of two integers, so both backends give
//! the same bits.

use std::collections::HashMap;

use crate::error::Error;
use crate::text::{self, Span};

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

/// Intern the tokens of both texts: equal tokens get equal ids.
pub fn token_ids(tokens_a: &[String], tokens_b: &[String]) -> (Vec<u32>, Vec<u32>) {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut out = (Vec::with_capacity(tokens_a.len()), Vec::with_capacity(tokens_b.len()));
    for (tokens, target) in [(tokens_a, &mut out.0), (tokens_b, &mut out.1)] {
        for t in tokens {
            let next = ids.len() as u32;
            target.push(*ids.entry(t.as_str()).or_insert(next));
        }
    }
    out
}

fn grams(ids: &[u32], k: usize) -> HashMap<&[u32], Vec<usize>> {
    let mut positions: HashMap<&[u32], Vec<usize>> = HashMap::new();
    if ids.len() >= k {
        for i in 0..=ids.len() - k {
            positions.entry(&ids[i..i + k]).or_default().push(i);
        }
    }
    positions
}

/// Every (i, j) with ia[i..i+k] == ib[j..j+k], frequent k-grams paired by rank; sorted.
pub fn anchors(ia: &[u32], ib: &[u32], k: usize) -> Vec<(usize, usize)> {
    let grams_b = grams(ib, k);
    let mut out = Vec::new();
    for (gram, pos_a) in grams(ia, k) {
        let Some(pos_b) = grams_b.get(gram) else { continue };
        if pos_a.len() * pos_b.len() <= MAX_PAIRS {
            for &i in &pos_a {
                out.extend(pos_b.iter().map(|&j| (i, j)));
            }
        } else {
            out.extend(pos_a.iter().copied().zip(pos_b.iter().copied()));
        }
    }
    out.sort_unstable();
    out
}

/// Chaining DP over anchors sorted by (i, j): score and predecessor of each anchor.
/// Gain min(di, dj, k) minus drift |di - dj|; nearest predecessor wins ties; the scan stops
/// at a same-diagonal predecessor within k tokens (see the reference for the reasoning).
pub fn chain(anchors: &[(usize, usize)], k: usize, max_gap: usize) -> (Vec<i64>, Vec<isize>) {
    let n = anchors.len();
    let mut score = vec![k as i64; n];
    let mut pred = vec![-1isize; n];
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
    (score, pred)
}

/// Disjoint chains (anchor indices in order), best-scoring first.
pub fn chains(anchors: &[(usize, usize)], k: usize, max_gap: usize) -> Vec<Vec<usize>> {
    let (score, pred) = chain(anchors, k, max_gap);
    let mut order: Vec<usize> = (0..anchors.len()).collect();
    order.sort_unstable_by_key(|&x| (std::cmp::Reverse(score[x]), x));
    let mut used = vec![false; anchors.len()];
    let mut out = Vec::new();
    for end in order {
        if used[end] {
            continue;
        }
        let mut members = Vec::new();
        let mut x = end as isize;
        while x != -1 && !used[x as usize] {
            used[x as usize] = true;
            members.push(x as usize);
            x = pred[x as usize];
        }
        members.reverse();
        out.push(members);
    }
    out
}

/// Length of the longest common subsequence (plain DP; the inputs are small gaps).
pub fn lcs_length(a: &[u32], b: &[u32]) -> usize {
    if a.is_empty() || b.is_empty() {
        return 0;
    }
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for &x in a {
        for (jj, &y) in b.iter().enumerate() {
            cur[jj + 1] = if x == y { prev[jj] + 1 } else { prev[jj + 1].max(cur[jj]) };
        }
        std::mem::swap(&mut prev, &mut cur);
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
    let (a0, b0) = anchors[members[0]];
    let (mut ca, mut cb) = (a0, b0);
    let mut matches = 0;
    for &x in members {
        let (i, j) = anchors[x];
        let skip = (ca.saturating_sub(i)).max(cb.saturating_sub(j));
        if skip >= k {
            continue;
        }
        matches += lcs_length(&ia[ca..i + skip], &ib[cb..j + skip]) + (k - skip);
        ca = i + k;
        cb = j + k;
    }
    (a0, ca, b0, cb, matches)
}

/// Passages over token positions: (a0, a1, b0, b1, matches, anchors), sorted.
pub fn align_tokens(ia: &[u32], ib: &[u32], p: Params) -> Vec<(usize, usize, usize, usize, usize, usize)> {
    let anchor_list = anchors(ia, ib, p.k);
    let mut out = Vec::new();
    for members in chains(&anchor_list, p.k, p.max_gap) {
        let (a0, a1, b0, b1, matches) = passage(ia, ib, &anchor_list, &members, p.k);
        if matches >= p.min_tokens {
            out.push((a0, a1, b0, b1, matches, members.len()));
        }
    }
    out.sort_unstable();
    out
}

/// Dice share of matched tokens: 2 * matches / (tokens in a's span + tokens in b's span).
pub fn score(matches: usize, tokens_a: usize, tokens_b: usize) -> f64 {
    (2 * matches) as f64 / (tokens_a + tokens_b) as f64
}

/// The passages shared by `a` and `b`, with spans into the original strings.
pub fn align(a: &str, b: &str, p: Params) -> Result<Vec<Passage>, Error> {
    p.check()?;
    let (tokens_a, spans_a) = text::tokenize(a);
    let (tokens_b, spans_b) = text::tokenize(b);
    let (ia, ib) = token_ids(&tokens_a, &tokens_b);
    Ok(align_tokens(&ia, &ib, p)
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
        .collect())
}

/// The anchors of `a` and `b` as token positions, sorted (exposed for testing).
pub fn align_anchors(a: &str, b: &str, k: usize) -> Result<Vec<(usize, usize)>, Error> {
    Params { k, ..Params::default() }.check()?;
    let (ia, ib) = token_ids(&text::tokenize(a).0, &text::tokenize(b).0);
    Ok(anchors(&ia, &ib, k))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn empty_and_bad_params() {
        assert!(align("", "abc def", Params::default()).unwrap().is_empty());
        assert!(align("a", "a", Params { k: 0, ..Params::default() }).is_err());
        assert_eq!(lcs_length(&[1, 2, 3, 4], &[2, 4, 3]), 2);
    }
}
