//! The bodies of the cargo-fuzz targets: each takes the fuzzer's bytes, drives one area of
//! the core with them and checks invariants that must hold for every input. A panic (or a
//! failed check, which panics) is a bug.
//!
//! Plain functions with no dependency but `neardup`, so that the same bodies run twice:
//! under libFuzzer (`cargo +nightly fuzz run <target>`, fuzz_targets/) and on stable as the
//! replay test of the saved corpus (`cargo test --lib fuzz_replay`: fuzz/replay.rs, a test module
//! of the main crate).

use neardup::align::{self, Params as AlignParams};
use neardup::chrome::{self, Model, Params as ChromeParams};
use neardup::cluster;
use neardup::fuzzy::{self, Measure};
use neardup::lsh::{self, LshIndex};
use neardup::minhash::{DatasketchHasher, DatasketchScheme, MinHasher, Scheme};
use neardup::repeats::{self, RepeatParams};
use neardup::simhash::{self, SimHashIndex, Tables, Weighting};
use neardup::text::{self, ShingleKind};

/// A target's body: drive the core with the fuzzer's bytes, panic on a broken invariant.
pub type Check = fn(&[u8]);

/// Every target, by name: the fuzz target `name` runs `check(data)`.
pub const TARGETS: &[(&str, Check)] = &[
    ("text", text),
    ("minhash", minhash),
    ("simhash", simhash),
    ("align", align),
    ("fuzzy", fuzzy),
    ("chrome", chrome),
    ("repeats", repeats),
    ("csr", csr),
];

/// Reads parameters from the front of the fuzzer's bytes; past the end every read is 0.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0u64, |acc, _| acc << 8 | u64::from(self.byte()))
    }

    /// A length-prefixed piece of text (invalid UTF-8 replaced, as Python's errors='replace').
    pub fn text(&mut self) -> String {
        let len = usize::from(self.byte()) * 4;
        let take = len.min(self.data.len());
        let (piece, rest) = self.data.split_at(take);
        self.data = rest;
        String::from_utf8_lossy(piece).into_owned()
    }

    /// Whatever is left, as text.
    pub fn rest(&mut self) -> String {
        let out = String::from_utf8_lossy(self.data).into_owned();
        self.data = &[];
        out
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Spans are `[start, end)` char indices inside a text of `len` chars, in order.
fn check_spans(spans: &[(usize, usize)], len: usize, what: &str, allow_empty: bool) {
    let mut last = (0usize, 0usize);
    for &(s, e) in spans {
        assert!(s <= e && e <= len, "{what}: span ({s}, {e}) outside [0, {len}]");
        assert!(allow_empty || s < e, "{what}: empty span at {s}");
        assert!(s >= last.1 || (s >= last.0 && allow_empty), "{what}: span ({s}, {e}) before {last:?}");
        last = (s, e);
    }
}

/// normalize / segment / tokenize / shingles.
pub fn text(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    let n = usize::from(input.byte() % 12);
    let seed = input.u64();
    let t = input.rest();
    let len = chars(&t);

    let normal = text::normalize(&t, flags & 1 == 1);
    let count = chars(&normal.text);
    assert_eq!(normal.starts.len(), count);
    assert_eq!(normal.ends.len(), count);
    for i in 0..count {
        assert!(normal.starts[i] < normal.ends[i] && normal.ends[i] <= len, "normalize: bad span at {i}");
        if i > 0 {
            assert!(normal.starts[i] >= normal.starts[i - 1], "normalize: starts decrease at {i}");
            assert!(normal.ends[i] >= normal.ends[i - 1], "normalize: ends decrease at {i}");
        }
    }
    assert!(!normal.text.starts_with(' ') && !normal.text.ends_with(' ') && !normal.text.contains("  "));
    assert_eq!(
        text::normalize(&normal.text, flags & 1 == 1).text,
        normal.text,
        "normalize is not idempotent"
    );

    let (lines, paragraphs) = text::segment(&t);
    assert_eq!(lines.len(), t.split('\n').count());
    check_spans(&lines, len, "segment lines", true);
    check_spans(&paragraphs, len, "segment paragraphs", false);

    let (tokens, spans) = text::tokenize(&t);
    assert_eq!(tokens.len(), spans.len());
    check_spans(&spans, len, "tokenize", false);
    assert!(tokens.iter().all(|w| !w.is_empty() && !w.contains(' ')), "tokenize: empty or spaced token");

    for kind in [ShingleKind::Word, ShingleKind::Char] {
        match text::shingles(&t, n, kind, seed) {
            Err(_) => assert_eq!(n, 0, "shingles refused n = {n}"),
            Ok(hashes) => {
                let units = if kind == ShingleKind::Word { tokens.len() } else { count };
                let expected = if units == 0 { 0 } else { units.saturating_sub(n) + 1 };
                assert_eq!(hashes.len(), expected, "shingles: count for {units} units, n = {n}");
            }
        }
    }
    let _ = ShingleKind::parse(&t);
}

fn hashes(input: &mut Input<'_>, count: usize) -> Vec<u64> {
    (0..count).map(|_| input.u64()).collect()
}

/// MinHash (classic, OPH, datasketch) and the LSH index.
pub fn minhash(data: &[u8]) {
    let mut input = Input::new(data);
    // Mostly small signatures; the largest allowed (and one past it) on a marker byte only,
    // as OPH densification of a one-shingle set costs num_perm**2 (docs/fuzzing.md).
    let low = usize::from(input.byte());
    let num_perm = match input.byte() {
        0xff => 8193,
        0xfe => 8192 - low,
        _ => low,
    };
    let seed = input.u64();
    let count = usize::from(input.byte());
    let shingles = hashes(&mut input, count);
    for scheme in [Scheme::Classic, Scheme::Oph] {
        let Ok(hasher) = MinHasher::new(scheme, num_perm, seed) else {
            assert!(num_perm == 0 || num_perm > 8192, "MinHasher refused num_perm = {num_perm}");
            continue;
        };
        let signature = hasher.sign(&shingles);
        assert_eq!(signature.len(), num_perm);
        // A set: order and repeats do not matter.
        let mut shuffled: Vec<u64> = shingles.iter().rev().copied().chain(shingles.iter().copied()).collect();
        shuffled.rotate_left(shingles.len() / 2);
        assert_eq!(hasher.sign(&shuffled), signature, "{scheme:?}: signature depends on order or repeats");
        if shingles.is_empty() {
            assert!(signature.iter().all(|&v| v == u64::MAX), "{scheme:?}: empty set must sign as 2**64 - 1");
        }
        let estimate = neardup::minhash::estimate_jaccard(&signature, &signature);
        assert!(estimate == 1.0, "estimate of a signature with itself is {estimate}");

        let bands = usize::from(input.byte() % 16) + 1;
        let rows = usize::from(input.byte() % 16) + 1;
        match LshIndex::new(num_perm, bands, rows) {
            Err(_) => assert!(bands * rows > num_perm, "LshIndex refused {bands} x {rows} of {num_perm}"),
            Ok(mut index) => {
                index.insert(7, &signature).expect("insert");
                assert!(index.insert(7, &signature).is_err(), "a key inserted twice");
                assert_eq!(index.query(&signature).expect("query"), vec![7]);
                assert!(index.query(&signature[..num_perm - 1]).is_err(), "a short signature was accepted");
                let flat: Vec<u64> = signature.iter().chain(&signature).copied().collect();
                let pairs =
                    lsh::candidate_pairs(&flat, num_perm, bands, rows, Some(1)).expect("candidate_pairs");
                assert_eq!(pairs, vec![[0, 1]]);
                index.remove(7).expect("remove");
                assert!(index.remove(7).is_err() && index.is_empty());
            }
        }
    }
    let a: Vec<u64> = hashes(&mut input, 4);
    let b: Vec<u64> = hashes(&mut input, 4);
    for scheme in [DatasketchScheme::Affine32, DatasketchScheme::Affine64, DatasketchScheme::Legacy] {
        if let Ok(hasher) = DatasketchHasher::new(scheme, a.clone(), b.clone()) {
            let words: Vec<Vec<u8>> = shingles.iter().map(|h| h.to_le_bytes().to_vec()).collect();
            assert_eq!(hasher.sign(&words).len(), a.len());
        }
    }
}

/// SimHash fingerprints, the table layout and the index.
pub fn simhash(data: &[u8]) {
    let mut input = Input::new(data);
    let k = u32::from(input.byte() % 70);
    let blocks = match input.byte() {
        0 => None,
        b => Some(u32::from(b % 70)),
    };
    let n = usize::from(input.byte() % 8);
    let count = usize::from(input.byte() % 64);
    let features = hashes(&mut input, count);
    let weights: Vec<f64> = (0..count).map(|_| f64::from_bits(input.u64())).collect();
    match simhash::from_weighted(&features, &weights) {
        Ok(_) => assert!(weights.iter().all(|w| w.is_finite() && *w >= 0.0), "a bad weight was accepted"),
        Err(_) => assert!(weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))),
    }
    let t = input.rest();
    for weighting in [Weighting::Tf, Weighting::Binary] {
        let _ = simhash::from_shingles(&features, weighting);
        let from_text = simhash::from_text(&t, n, ShingleKind::Word, weighting, 0);
        assert_eq!(from_text.is_err(), n == 0);
    }
    let tables = Tables::new(k, blocks);
    let mut index = match SimHashIndex::new(k, blocks) {
        Ok(index) => index,
        Err(_) => {
            assert!(tables.is_err());
            return;
        }
    };
    for (id, &fp) in features.iter().enumerate() {
        index.insert(id as u64, fp).expect("insert");
    }
    for &fp in &features {
        let found = index.query(fp);
        assert!(found.iter().any(|&(_, d)| d == 0), "a fingerprint does not find itself");
        // Exact: the index finds every fingerprint a linear scan finds within k.
        let within = features.iter().filter(|&&g| simhash::hamming(fp, g) <= k).count();
        assert_eq!(found.len(), within, "index search differs from a linear scan");
    }
    let pairs = simhash::pairs_within(&features, &tables.expect("tables"), Some(1)).expect("pairs_within");
    let linear = (0..count)
        .flat_map(|i| (i + 1..count).map(move |j| (i, j)))
        .filter(|&(i, j)| simhash::hamming(features[i], features[j]) <= k)
        .count();
    assert_eq!(pairs.len(), linear, "pairs_within differs from a linear scan");
}

/// Passage alignment.
pub fn align(data: &[u8]) {
    let mut input = Input::new(data);
    let params = AlignParams {
        k: usize::from(input.byte() % 70),
        max_gap: usize::from(input.byte()) * 5,
        min_tokens: usize::from(input.byte() % 20),
    };
    let a = input.text();
    let b = input.rest();
    match align::align(&a, &b, params) {
        Err(_) => assert!(params.check().is_err(), "align refused valid {params:?}"),
        Ok(passages) => {
            let (la, lb) = (chars(&a), chars(&b));
            let mut last = 0;
            for p in &passages {
                assert!(p.a.0 < p.a.1 && p.a.1 <= la, "passage outside a: {p:?}");
                assert!(p.b.0 < p.b.1 && p.b.1 <= lb, "passage outside b: {p:?}");
                assert!(p.a.0 >= last, "passages not sorted by a");
                assert!(p.matches >= params.min_tokens && p.matches <= p.tokens_a.min(p.tokens_b), "{p:?}");
                assert!((0.0..=1.0).contains(&p.score), "score {}", p.score);
                last = p.a.0;
            }
        }
    }
}

/// The fuzzy measures: ranges and symmetry.
pub fn fuzzy(data: &[u8]) {
    let mut input = Input::new(data);
    let a = input.text();
    let b = input.rest();
    let (la, lb) = (chars(&a), chars(&b));
    let distance = fuzzy::levenshtein(&a, &b);
    assert_eq!(distance, fuzzy::levenshtein(&b, &a), "levenshtein is not symmetric");
    assert!(distance <= la.max(lb) && distance >= la.abs_diff(lb));
    let indel = fuzzy::indel(&a, &b);
    assert!(indel >= distance && indel <= la + lb);
    for name in ["levenshtein_similarity", "ratio", "token_sort_ratio", "token_set_ratio"] {
        let measure = Measure::parse(name).expect("measure");
        let value = measure.apply(&a, &b);
        assert!((0.0..=100.0).contains(&value), "{name} = {value}"); // rapidfuzz's 0-100 scale
        assert_eq!(value, measure.apply(&b, &a), "{name} is not symmetric");
    }
    let _ = Measure::parse(&a);
}

/// Chrome: learn a model from pages of a few sites, strip a page, restore a saved site.
pub fn chrome(data: &[u8]) {
    let mut input = Input::new(data);
    // title_lines, the position decay and box_chars come from bytes already read for other parameters,
    // so the saved corpus keeps its meaning.
    let first = input.byte();
    let template = input.byte();
    // Read in the order the fields were read before (the saved corpus keeps its meaning).
    let inner_permille = u32::from(input.byte()) * 5;
    let shape_permille = u32::from(input.byte()) * 5;
    let penalty = u32::from(input.byte()) * 4;
    let params = ChromeParams {
        min_pages: u32::from(first % 6),
        template_permille: u32::from(template) * 5,
        inner_permille,
        shape_permille,
        penalty,
        cross_sites: u32::from(input.byte() % 5),
        title_lines: u32::from(first / 6 % 20),
        // 0 (off, as migrated older models decide) to 9,000; the floor within [0, 1000].
        decay_chars: u32::from(first / 6 % 4) * 3000,
        decay_floor_permille: u32::from(template.rotate_left(4)) * 1000 / 255,
        // Template boxes: 0 (off, as migrated older models decide), 80 or 160.
        box_chars: u32::from(first.rotate_left(3) % 3) * 80,
        // The same penalty (as migrated older models decide) or a smaller one.
        small_penalty: if template.is_multiple_of(2) { penalty } else { 20 },
        // None (one region, as migrated older models decide), 0 or 50.
        run_cost: match template.rotate_left(2) % 3 {
            0 => None,
            k => Some(u32::from(k - 1) * 50),
        },
        // 0 (weighting on every site, as migrated older models decide) to 3.
        decay_pages: u32::from(first.rotate_left(5) % 4),
        // None (every extra run) or 0 to 2.
        max_runs: match template.rotate_left(6) % 4 {
            0 => None,
            k => Some(u32::from(k - 1)),
        },
        cut_comments: first.rotate_left(7) % 2 == 1,
    };
    let mut model = match Model::new(params) {
        Ok(model) => model,
        Err(_) => {
            assert!(params.check().is_err());
            return;
        }
    };
    let pages = usize::from(input.byte() % 8);
    let template = input.text();
    let mut texts = Vec::new();
    for i in 0..pages {
        let site = format!("site{}", input.byte() % 3);
        let page = format!("{template}\n{}\n{template}", input.text());
        model.add(&site, &chrome::line_keys(&page));
        texts.push((site, page, i));
    }
    texts.push(("site0".to_owned(), input.rest(), pages));
    let repeat_params = RepeatParams::default();
    for (site, page, _) in &texts {
        let keys = chrome::page_keys(page);
        assert_eq!(keys.keys, chrome::line_keys(page), "page_keys and line_keys disagree");
        let removed = model.strip_keys(site, &keys, Some(&repeat_params));
        let len = chars(page);
        let mut last = 0;
        for &(s, e, _) in &removed {
            assert!(last <= s && s <= e && e <= len, "removed span ({s}, {e}) of {len}, after {last}");
            last = e;
        }
    }
    // A saved site restored from (possibly corrupt) entries: an error, never a panic.
    let entries: Vec<(u64, u32)> =
        (0..input.byte() % 4).map(|_| (input.u64(), u32::from(input.byte()))).collect();
    let _ = model.insert_site("restored", u64::from(input.byte()), &entries, &entries);
    let _ = model.insert_site("site0", 1, &[], &[]);
}

/// In-page repeats and the Gopher repetition counts.
pub fn repeats(data: &[u8]) {
    let mut input = Input::new(data);
    let params = RepeatParams {
        min_lines: u32::from(input.byte() % 5),
        min_chars: u32::from(input.byte()),
        long_chars: u32::from(input.byte()) * 4,
    };
    let top_ns: Vec<usize> = (0..input.byte() % 4).map(|_| usize::from(input.byte() % 12)).collect();
    let dup_ns: Vec<usize> = (0..input.byte() % 4).map(|_| usize::from(input.byte() % 12)).collect();
    let t = input.rest();
    let len = chars(&t);
    match repeats::find_repeats(&t, &params) {
        Err(_) => assert_eq!(params.min_lines, 0),
        Ok(copies) => {
            let mut last = 0;
            for r in &copies {
                assert!(last <= r.start && r.start < r.end && r.end <= len, "repeat {r:?} of {len}");
                assert!(r.source_start < r.source_end && r.source_end <= r.start, "source after copy: {r:?}");
                // Enough lines, or long lines (any number of lines of >= long_chars).
                let long = r.end - r.start >= params.long_chars as usize;
                assert!(r.lines >= params.min_lines as usize || long, "short repeat {r:?}");
                last = r.end;
            }
        }
    }
    match repeats::repetition_counts(&t, &top_ns, &dup_ns) {
        Err(_) => assert!(top_ns.iter().chain(&dup_ns).any(|&n| n == 0)),
        Ok(counts) => {
            assert_eq!(counts.chars, len);
            assert!(counts.dup_paragraphs <= counts.paragraphs && counts.dup_lines <= counts.lines);
            assert!(counts.dup_line_chars <= len && counts.dup_paragraph_chars <= len);
            assert!(counts.dup_ngram_chars.iter().all(|&c| c <= len));
        }
    }
}

/// CSR checks, exact overlaps, anchor pairs, MinHash estimates and clusters from arbitrary
/// (often invalid) offsets, pairs and priorities: an error, never a panic or an out-of-bounds read.
pub fn csr(data: &[u8]) {
    let mut input = Input::new(data);
    let count = usize::from(input.byte() % 32);
    let values: Vec<u64> = (0..count).map(|_| u64::from(input.byte() % 8)).collect();
    let offsets: Vec<usize> = (0..input.byte() % 8).map(|_| usize::from(input.byte() % 40)).collect();
    let pairs: Vec<(usize, usize)> = (0..input.byte() % 8)
        .map(|_| (usize::from(input.byte() % 9), usize::from(input.byte() % 9)))
        .collect();
    if let Ok((inter, sizes)) = cluster::set_overlaps(&values, &offsets, &pairs, None, Some(1)) {
        for (&(i, j), &x) in pairs.iter().zip(&inter) {
            assert!(x <= sizes[i].min(sizes[j]), "intersection larger than a set");
        }
    } else {
        let valid = neardup::csr::check_offsets(&offsets, values.len())
            .map(|n| cluster::check_pairs(n, &pairs).is_ok())
            .unwrap_or(false);
        assert!(!valid, "set_overlaps refused valid input");
    }
    let max_docs = usize::from(input.byte() % 4);
    match lsh::anchor_pairs(&values, &offsets, max_docs, Some(1)) {
        Ok(found) => {
            let n = offsets.len() - 1;
            assert!(found.iter().all(|&[i, j]| i < j && j < n), "anchor pair out of order or range");
            assert!(found.windows(2).all(|w| w[0] < w[1]), "anchor pairs not sorted once each");
        }
        Err(_) => assert!(
            neardup::csr::check_offsets(&offsets, values.len()).is_err(),
            "anchor_pairs refused valid input"
        ),
    }
    let num_perm = usize::from(input.byte() % 5);
    // Shapes that the values fill or not (a partial last row, a width of 0).
    let rows = values.len() / num_perm.max(1);
    let _ = cluster::estimate_pairs(&values, (rows, num_perm), &pairs, Some(1));
    let _ = simhash::from_shingles_csr(&values, &offsets, Weighting::Tf, Some(1));
    let n = usize::from(input.byte() % 9);
    let width = usize::from(input.byte() % 3);
    let priority: Vec<f64> =
        (0..usize::from(input.byte() % 20)).map(|_| f64::from(input.byte()) - 2.0).collect();
    let rows = priority.len().checked_div(width).unwrap_or(n);
    if let Ok((rep, via)) = cluster::cluster(n, &pairs, &priority, (rows, width)) {
        assert_eq!((rep.len(), via.len()), (n, n));
        assert!(rep.iter().all(|&r| r < n && rep[r] == r), "a representative is not its own");
    }
}
