//! Fuzzy similarity of short texts: edit distances and the ratios rapidfuzz defines.
//!
//! Strings are sequences of Unicode scalar values (Python `str` indices). The definitions and
//! the floating-point formulas follow rapidfuzz 3.x (`Levenshtein`, `Indel`, `fuzz.ratio`,
//! `fuzz.token_sort_ratio`, `fuzz.token_set_ratio`) exactly; the reference
//! (`python/neardup/_reference/fuzzy.py`) is the specification and the tests compare both
//! backends with each other and with rapidfuzz.

use std::collections::{BTreeSet, HashMap};

use crate::error::Error;
use crate::text::is_py_space;

/// The measures, by name (the batch forms take one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Levenshtein,
    Indel,
    LevenshteinSimilarity,
    Ratio,
    TokenSortRatio,
    TokenSetRatio,
}

impl Measure {
    pub fn parse(name: &str) -> Result<Self, Error> {
        Ok(match name {
            "levenshtein" => Measure::Levenshtein,
            "indel" => Measure::Indel,
            "levenshtein_similarity" => Measure::LevenshteinSimilarity,
            "ratio" => Measure::Ratio,
            "token_sort_ratio" => Measure::TokenSortRatio,
            "token_set_ratio" => Measure::TokenSetRatio,
            other => {
                return Err(Error::InvalidArgument(format!(
                    "measure must be one of levenshtein, indel, levenshtein_similarity, ratio, \
                     token_sort_ratio, token_set_ratio; got '{other}'"
                )))
            }
        })
    }

    pub fn apply(self, a: &str, b: &str) -> f64 {
        match self {
            Measure::Levenshtein => levenshtein(a, b) as f64,
            Measure::Indel => indel(a, b) as f64,
            Measure::LevenshteinSimilarity => levenshtein_similarity(a, b),
            Measure::Ratio => ratio(a, b),
            Measure::TokenSortRatio => token_sort_ratio(a, b),
            Measure::TokenSetRatio => token_set_ratio(a, b),
        }
    }
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// Levenshtein distance with unit costs (two-row DP over the shorter string).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let (mut a, mut b) = (chars(a), chars(b));
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &y) in b.iter().enumerate() {
            let next = if x == y { diag } else { 1 + diag.min(row[j]).min(row[j + 1]) };
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Length of the longest common subsequence of two char sequences (bit-parallel, 64 chars
/// per word, Allison-Dix / Hyyrö).
pub fn lcs_chars(a: &[char], b: &[char]) -> usize {
    if a.is_empty() || b.is_empty() {
        return 0;
    }
    let words = a.len().div_ceil(64);
    let mut peq: HashMap<char, Vec<u64>> = HashMap::new();
    for (i, &c) in a.iter().enumerate() {
        peq.entry(c).or_insert_with(|| vec![0; words])[i / 64] |= 1u64 << (i % 64);
    }
    let mut v = vec![u64::MAX; words];
    for c in b {
        let Some(eq) = peq.get(c) else { continue };
        let mut carry = 0u64;
        for w in 0..words {
            let u = v[w] & eq[w];
            let (s1, c1) = v[w].overflowing_add(u);
            let (s2, c2) = s1.overflowing_add(carry);
            carry = (c1 || c2) as u64;
            v[w] = s2 | (v[w] - u);
        }
    }
    let mut ones = 0usize;
    for (w, &word) in v.iter().enumerate() {
        let bits = if w + 1 == words && !a.len().is_multiple_of(64) { a.len() % 64 } else { 64 };
        let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        ones += (!word & mask).count_ones() as usize;
    }
    ones
}

/// Indel distance: insertions and deletions only, len(a) + len(b) - 2 * LCS.
pub fn indel(a: &str, b: &str) -> usize {
    let (a, b) = (chars(a), chars(b));
    a.len() + b.len() - 2 * lcs_chars(&a, &b)
}

/// rapidfuzz `Levenshtein.normalized_similarity`: 1 - distance / max(len a, len b).
pub fn levenshtein_similarity(a: &str, b: &str) -> f64 {
    let maximum = a.chars().count().max(b.chars().count());
    if maximum == 0 {
        return 1.0;
    }
    1.0 - levenshtein(a, b) as f64 / maximum as f64
}

fn indel_ratio(a: &[char], b: &[char]) -> f64 {
    let lensum = a.len() + b.len();
    if lensum == 0 {
        return 100.0;
    }
    let dist = lensum - 2 * lcs_chars(a, b);
    (1.0 - dist as f64 / lensum as f64) * 100.0
}

/// rapidfuzz `fuzz.ratio`: the normalised Indel similarity times 100.
pub fn ratio(a: &str, b: &str) -> f64 {
    indel_ratio(&chars(a), &chars(b))
}

fn split(s: &str) -> Vec<&str> {
    s.split(is_py_space).filter(|t| !t.is_empty()).collect()
}

/// rapidfuzz `fuzz.token_sort_ratio`: `ratio` of the whitespace tokens sorted and joined.
pub fn token_sort_ratio(a: &str, b: &str) -> f64 {
    let sorted = |s: &str| {
        let mut tokens = split(s);
        // UTF-8 byte order is code point order, which is Python's string order.
        tokens.sort_unstable();
        tokens.join(" ")
    };
    ratio(&sorted(a), &sorted(b))
}

fn norm_distance(dist: usize, lensum: usize) -> f64 {
    if lensum == 0 {
        return 100.0;
    }
    100.0 - (100 * dist) as f64 / lensum as f64
}

/// rapidfuzz `fuzz.token_set_ratio`: compares the common and the differing whitespace tokens.
pub fn token_set_ratio(a: &str, b: &str) -> f64 {
    let set_a: BTreeSet<&str> = split(a).into_iter().collect();
    let set_b: BTreeSet<&str> = split(b).into_iter().collect();
    if set_a.is_empty() || set_b.is_empty() {
        return 0.0;
    }
    let intersect: Vec<&str> = set_a.intersection(&set_b).copied().collect();
    let diff_ab: Vec<&str> = set_a.difference(&set_b).copied().collect();
    let diff_ba: Vec<&str> = set_b.difference(&set_a).copied().collect();
    if !intersect.is_empty() && (diff_ab.is_empty() || diff_ba.is_empty()) {
        return 100.0;
    }
    let joined_ab: Vec<char> = diff_ab.join(" ").chars().collect();
    let joined_ba: Vec<char> = diff_ba.join(" ").chars().collect();
    let (ab_len, ba_len) = (joined_ab.len(), joined_ba.len());
    let sect_len = intersect.join(" ").chars().count();
    let sep = (sect_len != 0) as usize;
    let sect_ab_len = sect_len + sep + ab_len;
    let sect_ba_len = sect_len + sep + ba_len;
    let dist = ab_len + ba_len - 2 * lcs_chars(&joined_ab, &joined_ba);
    let result = norm_distance(dist, sect_ab_len + sect_ba_len);
    if sect_len == 0 {
        return result;
    }
    let sect_ab_ratio = norm_distance(sep + ab_len, sect_len + sect_ab_len);
    let sect_ba_ratio = norm_distance(sep + ba_len, sect_len + sect_ba_len);
    result.max(sect_ab_ratio).max(sect_ba_ratio)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(indel("kitten", "sitting"), 5);
        let long_a: String = "abcdefghij".repeat(20);
        let long_b: String = "abcdefghiJ".repeat(20);
        assert_eq!(indel(&long_a, &long_b), 40);
        assert_eq!(lcs_chars(&chars(&long_a), &chars(&long_b)), 180);
    }

    #[test]
    fn ratios_match_rapidfuzz_examples() {
        assert_eq!(ratio("", ""), 100.0);
        assert!((levenshtein_similarity("lewenstein", "levenshtein") - 0.8181818181818181).abs() < 1e-15);
        assert_eq!(token_sort_ratio("fuzzy wuzzy was a bear", "wuzzy fuzzy was a bear"), 100.0);
        assert_eq!(token_set_ratio("fuzzy was a bear", "fuzzy fuzzy was a bear"), 100.0);
        let r = token_set_ratio("fuzzy was a bear but not a dog", "fuzzy was a bear but not a cat");
        assert!((r - 92.3076923076923).abs() < 1e-12);
        assert!(Measure::parse("nope").is_err());
    }
}
