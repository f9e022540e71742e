//! Site chrome: masked line fingerprints, per-site page counts, and a decision per line.
//!
//! The pure-Python reference (`python/neardup/_reference/chrome.py`) is the specification;
//! this module follows it step for step, in integer arithmetic so both agree bit for bit.
//! docs/chrome.md describes the method in prose.

use std::collections::BTreeMap;

use crate::error::Error;
use crate::hash::{hash64, KeyMap, KeySet};
use crate::repeats::{self, Repeat, RepeatParams, REPEAT_SEED};
use crate::text::{ascii_fold, char_class, is_decimal_digit, normalize_with, simple_fold, Span, CLASS_OTHER};

/// Seeds of the two line keys (fixed: a stored model stays valid).
pub const FINGERPRINT_SEED: u64 = 0x6e65_6172_6475_7001;
pub const SHAPE_SEED: u64 = 0x6e65_6172_6475_7002;
/// Seeds of the time-stamp keys of a line and of its last two words ([`stamp_keys`]).
pub const STAMP_LINE_SEED: u64 = 0x6e65_6172_6475_7003;
pub const STAMP_TAIL_SEED: u64 = 0x6e65_6172_6475_7004;
/// Seed of [`stamp_text`].
pub const STAMP_TEXT_SEED: u64 = 0x6e65_6172_6475_7005;

/// Whether a run of ASCII lower-case letters is a month name or abbreviation (folded to `0`
/// like digits, so dates do not split a line); a match on the string compiles to a length
/// switch and a few comparisons.
fn is_month(word: &str) -> bool {
    // Most words fail on length or first letter.
    let first = word.as_bytes().first().copied().unwrap_or(0);
    if !(3..=9).contains(&word.len())
        || !matches!(first, b'a' | b'd' | b'f' | b'j' | b'm' | b'n' | b'o' | b's')
    {
        return false;
    }
    matches!(
        word,
        "january"
            | "february"
            | "march"
            | "april"
            | "may"
            | "june"
            | "july"
            | "august"
            | "september"
            | "october"
            | "november"
            | "december"
            | "jan"
            | "feb"
            | "mar"
            | "apr"
            | "jun"
            | "jul"
            | "aug"
            | "sep"
            | "sept"
            | "oct"
            | "nov"
            | "dec"
    )
}

/// Decision codes, one per line.
pub const BODY: u8 = 0;
/// A line that recurs on many pages of its site (a template line).
pub const TEMPLATE: u8 = 1;
/// A page-specific line outside the page's body region (between template blocks).
pub const OUTSIDE_BODY: u8 = 2;
/// Boilerplate that many sites share (the cross-site model).
pub const CROSS_SITE: u8 = 3;
/// Readers' comments below the article (with `Params::cut_comments`; see [`comment_thread`]).
/// Code 4 is [`REPEAT`], which only removed spans carry.
pub const COMMENTS: u8 = 5;

/// The per-line keys of one page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineKeys {
    pub spans: Vec<Span>,
    /// Hash of the masked line (0: a blank line).
    pub fingerprints: Vec<u64>,
    /// Hash of the first two and last two words of a line of >= 4 words (0: none).
    pub shapes: Vec<u64>,
    /// Length of the original line in characters.
    pub lengths: Vec<u32>,
    /// The masked line ends in one of [`CLAUSE_ENDS`], closing quotes and brackets aside (a
    /// sentence or clause, not a box item).
    pub closed: Vec<bool>,
    /// The line has a word character (`text::char_class` not OTHER): false for blank lines,
    /// separators and lone punctuation.
    pub worded: Vec<bool>,
    /// Time-stamp keys ([`stamp_keys`]) of a line holding a clock time: the key of the whole
    /// line (when short) and of its last two words (0: none).
    pub stamps: Vec<u64>,
    pub stamp_tails: Vec<u64>,
    /// For a line with a time-stamp key, the hash of its normalised text with the digits as
    /// they are ([`stamp_text`]; 0 otherwise): a thread's stamps differ in their times.
    pub stamp_texts: Vec<u64>,
}

/// The hash of a normalised line (digits not masked) with a time-stamp key.
pub fn stamp_text(normal: &str) -> u64 {
    hash64(normal.as_bytes(), STAMP_TEXT_SEED).max(1)
}

/// A line of at most this many characters holding a clock time is a time stamp as a whole.
pub const STAMP_LINE_CHARS: u32 = 60;
/// A line of at most this many characters, three words or more and a clock time ("by Ann
/// on 0 00, 0000 at 0:00 pm. reply #") is a time stamp by its last two words.
pub const STAMP_TAIL_CHARS: u32 = 120;

/// Whether a masked line holds a clock time: one or two `0`s, not after a `.`, then `:00`
/// not followed by another `0` (`0:00`, `00:00:00`; not `0.0:00`, `000:00` or `0:000`).
/// Masked digits are all `0` and the bytes compared are ASCII, so a byte scan is exact.
pub fn has_clock(masked: &str) -> bool {
    let b = masked.as_bytes();
    (0..b.len()).any(|j| {
        if b[j] != b':' || j + 2 >= b.len() || b[j + 1] != b'0' || b[j + 2] != b'0' {
            return false;
        }
        if b.get(j + 3) == Some(&b'0') {
            return false;
        }
        let zeros = b[..j].iter().rev().take_while(|&&c| c == b'0').count();
        (1..=2).contains(&zeros) && (j == zeros || b[j - zeros - 1] != b'.')
    })
}

/// The time-stamp keys of a masked line of `length` characters, when it has at most
/// [`STAMP_TAIL_CHARS`] characters and a clock time (else (0, 0)), from the masked line with
/// each run of `0`s made one `0` (9:59 and 10:12, May 5 and May 25 alike): the hash of that
/// line when it has at most [`STAMP_LINE_CHARS`] characters (else 0), and the hash of its
/// last two words when it has three words or more (else 0). Comments are signed by
/// different readers, so their stamps agree at the end, not as a whole.
pub fn stamp_keys(masked: &str, length: u32) -> (u64, u64) {
    if length > STAMP_TAIL_CHARS || !has_clock(masked) {
        return (0, 0);
    }
    let mut folded: Vec<u8> = Vec::with_capacity(masked.len());
    for &b in masked.as_bytes() {
        if !(b == b'0' && folded.last() == Some(&b'0')) {
            folded.push(b);
        }
    }
    let line = if length <= STAMP_LINE_CHARS { hash64(&folded, STAMP_LINE_SEED).max(1) } else { 0 };
    let mut spaces = folded.iter().enumerate().rev().filter(|(_, &b)| b == b' ').map(|(i, _)| i);
    let tail = match (spaces.next(), spaces.next()) {
        (Some(_), Some(before)) => hash64(&folded[before + 1..], STAMP_TAIL_SEED).max(1),
        _ => 0,
    };
    (line, tail)
}

/// Last characters that close a sentence or clause.
pub const CLAUSE_ENDS: [char; 6] = ['.', ',', ';', ':', '!', '?'];
/// Closing quotes and brackets after a clause's end (masked lines have ASCII quotes).
const CLOSERS: [char; 4] = ['"', '\'', ')', ']'];

fn is_closed(masked: &str) -> bool {
    masked.trim_end_matches(CLOSERS).chars().next_back().is_some_and(|c| CLAUSE_ENDS.contains(&c))
}

/// Masking keeps a character's class (digits and month names become `0`, a word
/// character), so this is the same on the masked and the normalised line.
fn is_worded(masked: &str) -> bool {
    masked.chars().any(|c| char_class(c) != CLASS_OTHER)
}

/// The masked form of a line: normalised (NFKC, case, quotes, whitespace), digits masked to
/// `0`, and each maximal run of ASCII letters that is a month name replaced by `0`.
pub fn mask_line(line: &str) -> String {
    let mut normal = String::with_capacity(line.len());
    if line.is_ascii() {
        // For ASCII, normalisation is exactly: lower-case, digits to 0, whitespace runs to
        // one space, trimmed (NFKC and case folding change nothing else); a byte loop is
        // several times faster than the general pipeline and gives the same string.
        ascii_fold(line, true, |c| normal.push(c));
    } else {
        normalize_with(line, true, |c, _, _| normal.push(c));
    }
    let bytes = normal.as_bytes();
    if !bytes.iter().any(|b| b.is_ascii_lowercase()) {
        return normal;
    }
    let mut out = String::with_capacity(normal.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_lowercase() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_lowercase() {
                i += 1;
            }
            let word = &normal[start..i];
            out.push_str(if is_month(word) { "0" } else { word });
        } else {
            // Copy one whole UTF-8 character.
            let len = utf8_len(bytes[i]);
            out.push_str(&normal[i..i + len]);
            i += len;
        }
    }
    out
}

#[inline]
fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// Fingerprint and shape key of one masked line.
pub fn line_key(masked: &str) -> (u64, u64) {
    if masked.is_empty() {
        return (0, 0);
    }
    // 0 means "blank"; a real line never hashes to it.
    let fingerprint = hash64(masked.as_bytes(), FINGERPRINT_SEED).max(1);
    let words: Vec<&str> = masked.split(' ').collect();
    let shape = if words.len() >= 4 {
        let n = words.len();
        let key = format!("{} {}\u{1f}{} {}", words[0], words[1], words[n - 2], words[n - 1]);
        hash64(key.as_bytes(), SHAPE_SEED).max(1)
    } else {
        0
    };
    (fingerprint, shape)
}

/// The keys of every line of `text` (lines as in `text::segment`: split on LF, one
/// trailing CR left out; spans in characters).
pub fn line_keys(text: &str) -> LineKeys {
    let mut keys = LineKeys::default();
    let mut start = 0usize;
    for piece in text.split('\n') {
        let count = piece.chars().count();
        let line = piece.strip_suffix('\r').unwrap_or(piece);
        let length = if line.len() < piece.len() { count - 1 } else { count };
        let masked = mask_line(line);
        let (fingerprint, shape) = line_key(&masked);
        let (stamp, stamp_tail) = stamp_keys(&masked, length as u32);
        let text = if stamp != 0 || stamp_tail != 0 {
            let mut normal = String::with_capacity(line.len());
            normalize_with(line, false, |c, _, _| normal.push(c));
            stamp_text(&normal)
        } else {
            0
        };
        keys.spans.push((start, start + length));
        keys.fingerprints.push(fingerprint);
        keys.shapes.push(shape);
        keys.lengths.push(length as u32);
        keys.closed.push(is_closed(&masked));
        keys.worded.push(is_worded(&masked));
        keys.stamps.push(stamp);
        keys.stamp_tails.push(stamp_tail);
        keys.stamp_texts.push(text);
        start += count + 1;
    }
    keys
}

/// Decision code of a line removed as an in-page repeat (only in removed spans).
pub const REPEAT: u8 = 4;

/// Every key of every line of a page from one normalisation per line: the chrome keys
/// (as [`line_keys`]) and the repeat keys (as `repeats::repeat_key`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageKeys {
    pub keys: LineKeys,
    pub repeat_keys: Vec<u64>,
}

/// [`line_keys`] and the repeat key of every line in one pass. The masked form equals the
/// unmasked normalised form with decimal digits replaced by `0` (normalisation never turns
/// a digit into whitespace or back), so one normalisation serves both keys.
pub fn page_keys(text: &str) -> PageKeys {
    let mut out = PageKeys::default();
    out.reserve(text.bytes().filter(|&b| b == b'\n').count() + 1);
    let (mut normal, mut masked, mut folded, mut shape_buf) =
        (String::new(), String::new(), Vec::<u8>::new(), String::new());
    let mut start = 0usize;
    for piece in text.split('\n') {
        let ascii = piece.is_ascii();
        let count = if ascii { piece.len() } else { piece.chars().count() };
        let line = piece.strip_suffix('\r').unwrap_or(piece);
        let length = if line.len() < piece.len() { count - 1 } else { count };
        folded.clear();
        if ascii {
            ascii_normal_and_masked(line, &mut normal, &mut masked);
            repeats::fold_repeat_ascii(normal.as_bytes(), &mut folded);
        } else {
            normal.clear();
            if !simple_fold(line, &mut normal) {
                normal.clear();
                normalize_with(line, false, |c, _, _| normal.push(c));
            }
            mask_and_fold(&normal, &mut masked, &mut folded);
        }
        let (fingerprint, shape) = line_key_buf(&masked, &mut shape_buf);
        let repeat = if folded.is_empty() { 0 } else { hash64(&folded, REPEAT_SEED).max(1) };
        let (stamp, stamp_tail) = stamp_keys(&masked, length as u32);
        out.keys.spans.push((start, start + length));
        out.keys.fingerprints.push(fingerprint);
        out.keys.shapes.push(shape);
        out.keys.lengths.push(length as u32);
        out.keys.closed.push(is_closed(&masked));
        // The repeat key folds exactly the word characters of the line.
        out.keys.worded.push(!folded.is_empty());
        out.keys.stamps.push(stamp);
        out.keys.stamp_tails.push(stamp_tail);
        out.keys.stamp_texts.push(if stamp != 0 || stamp_tail != 0 { stamp_text(&normal) } else { 0 });
        out.repeat_keys.push(repeat);
        start += count + 1;
    }
    out
}

impl PageKeys {
    /// Room for `lines` lines in every column.
    fn reserve(&mut self, lines: usize) {
        let keys = &mut self.keys;
        keys.spans.reserve(lines);
        keys.fingerprints.reserve(lines);
        keys.shapes.reserve(lines);
        keys.lengths.reserve(lines);
        keys.closed.reserve(lines);
        keys.worded.reserve(lines);
        keys.stamps.reserve(lines);
        keys.stamp_tails.reserve(lines);
        keys.stamp_texts.reserve(lines);
        self.repeat_keys.reserve(lines);
    }
}

/// For an ASCII line, in one pass over its bytes: its normalised form (`ascii_fold` without
/// masking: lower-case, whitespace runs to one space, trimmed) in `normal`, and the masked
/// form of that ([`Masker`]) in `masked`.
fn ascii_normal_and_masked(line: &str, normal: &mut String, masked: &mut String) {
    normal.clear();
    masked.clear();
    let mut masker = Masker::default();
    // ascii_fold's loop written out: called through its closure instead, core add_strip on
    // Dragnet took 7% longer (0.199-0.218 against 0.185-0.196 CPU s, four pairs).
    let (mut pending_space, mut emitted) = (false, false);
    for &b in line.as_bytes() {
        if matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ') {
            pending_space = true;
            continue;
        }
        if pending_space && emitted {
            normal.push(' ');
            masker.push(masked, ' ');
        }
        pending_space = false;
        emitted = true;
        let c = char::from(b.to_ascii_lowercase());
        normal.push(c);
        masker.push(masked, c);
    }
    masker.finish(masked);
}

/// In one pass over the characters of a normalised line: its masked form ([`Masker`]) in
/// `masked` and its repeat key's folded text (`repeats::fold_repeat_char`) in `folded`.
fn mask_and_fold(normal: &str, masked: &mut String, folded: &mut Vec<u8>) {
    masked.clear();
    let mut masker = Masker::default();
    let mut gap = false;
    for c in normal.chars() {
        masker.push(masked, c);
        repeats::fold_repeat_char(c, &mut gap, folded);
    }
    masker.finish(masked);
}

/// The masked form of a normalised line, made a character at a time: decimal digits to `0`,
/// each maximal run of ASCII lower-case letters that is a month name to `0`.
#[derive(Default)]
struct Masker {
    /// Where the run of lower-case letters being read starts in the masked line.
    word: Option<usize>,
}

impl Masker {
    #[inline(always)]
    fn push(&mut self, masked: &mut String, c: char) {
        if c.is_ascii_lowercase() {
            self.word.get_or_insert(masked.len());
            masked.push(c);
        } else {
            self.finish(masked);
            let digit = if c.is_ascii() { c.is_ascii_digit() } else { is_decimal_digit(c as u32) };
            masked.push(if digit { '0' } else { c });
        }
    }

    /// Ends the run of lower-case letters being read (if any), made `0` if a month name.
    #[inline(always)]
    fn finish(&mut self, masked: &mut String) {
        if let Some(start) = self.word.take() {
            if is_month(&masked[start..]) {
                masked.truncate(start);
                masked.push('0');
            }
        }
    }
}

/// [`line_key`] without allocating: the shape key is built in `buf`.
fn line_key_buf(masked: &str, buf: &mut String) -> (u64, u64) {
    if masked.is_empty() {
        return (0, 0);
    }
    let fingerprint = hash64(masked.as_bytes(), FINGERPRINT_SEED).max(1);
    // The first two words and the last two, from the first two spaces and the last two: the
    // line has four words or more when its second-last space comes after its first.
    let bytes = masked.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == b' ') else { return (fingerprint, 0) };
    let Some(last) = bytes.iter().rposition(|&b| b == b' ') else { return (fingerprint, 0) };
    let Some(before_last) = bytes[..last].iter().rposition(|&b| b == b' ') else { return (fingerprint, 0) };
    if before_last <= first {
        return (fingerprint, 0);
    }
    let second = first + 1 + bytes[first + 1..].iter().position(|&b| b == b' ').unwrap_or(0);
    let (w0, w1) = (&masked[..first], &masked[first + 1..second]);
    let (z0, z1) = (&masked[before_last + 1..last], &masked[last + 1..]);
    buf.clear();
    buf.push_str(w0);
    buf.push(' ');
    buf.push_str(w1);
    buf.push('\u{1f}');
    buf.push_str(z0);
    buf.push(' ');
    buf.push_str(z1);
    (fingerprint, hash64(buf.as_bytes(), SHAPE_SEED).max(1))
}

/// The removed spans `(start, end, code)` of a page from its line spans, decisions and
/// in-page repeats: a body line inside a repeat becomes [`REPEAT`]; runs of lines with the
/// same code merge into one span that takes the line break after it (or, at the end of the
/// text, the one before it, unless an earlier span already took it).
pub fn removed_spans(spans: &[Span], decisions: &[u8], repeats: &[Repeat]) -> Vec<(usize, usize, u8)> {
    let n = spans.len();
    let mut codes = decisions.to_vec();
    let mut k = 0usize;
    for (i, &(start, _)) in spans.iter().enumerate() {
        while k < repeats.len() && repeats[k].end <= start {
            k += 1;
        }
        if codes[i] == BODY && k < repeats.len() && repeats[k].start <= start {
            codes[i] = REPEAT;
        }
    }
    let mut removed: Vec<(usize, usize, u8)> = Vec::new();
    let mut i = 0usize;
    while i < n {
        let code = codes[i];
        if code == BODY {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < n && codes[j + 1] == code {
            j += 1;
        }
        let (mut start, mut end) = (spans[i].0, spans[j].1);
        if j + 1 < n {
            end = spans[j + 1].0;
        } else if i > 0 {
            start = start.min(spans[i - 1].1);
        }
        if let Some(last) = removed.last() {
            if last.1 > start {
                start = last.1;
            }
        }
        // An empty last line (after a final line break, or an empty page) whose break the
        // span before took is nothing to remove.
        if start < end {
            removed.push((start, end, code));
        }
        i = j + 1;
    }
    removed
}

/// Decision thresholds. Fractions are in permille of the site's pages, so that both
/// backends decide in integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// A line must recur on at least this many pages of its site to count as recurring.
    pub min_pages: u32,
    /// A recurring line is a template line when it is on >= this share of pages and sits in
    /// a run of such lines (or at the page's edge, or is on >= `inner_permille`).
    pub template_permille: u32,
    /// A recurring line inside the body region is chrome only when on >= this share.
    pub inner_permille: u32,
    /// A shape (first two + last two words) counts when on >= this share of pages.
    pub shape_permille: u32,
    /// Extra cost, in characters, of a template line inside the body region.
    pub penalty: u32,
    /// The extra cost instead of `penalty` for a template line without word characters (a
    /// separator, a lone bullet): it does not cut an article in two.
    pub small_penalty: u32,
    /// A line on >= this many distinct sites is cross-site boilerplate (0: off).
    pub cross_sites: u32,
    /// How many non-template lines above the body region the title rescue looks at (0: off).
    pub title_lines: u32,
    /// A page-specific line with this many page-specific characters above it scores half
    /// its length in the body region's search (0: no position weighting).
    pub decay_chars: u32,
    /// The position weighting applies on sites with at least this many counted pages: on a
    /// site with fewer, no line is a template line, so the menus above the article count as
    /// page-specific text and would weigh the article down (0: on every site).
    pub decay_pages: u32,
    /// The position weight never falls below this share of the line's length.
    pub decay_floor_permille: u32,
    /// A box's items are page-specific lines shorter than this after a template line between
    /// the page's first and last body line (see [`template_boxes`]; 0: off).
    pub box_chars: u32,
    /// The knob between keeping body and cutting chrome: what a run of prose outside the main
    /// body region must be worth, in characters of closed lines, to be kept as more body
    /// ([`extra_runs`]). Lower keeps more of the page; None keeps the main region only.
    pub run_cost: Option<u32>,
    /// At most this many runs above and this many below the main region are kept, the
    /// nearest ones (None: all).
    pub max_runs: Option<u32>,
    /// Cut readers' comments below the article ([`comment_thread`]) on pages of sites of
    /// `min_pages` pages or more (a page alone may be a forum thread whose entries are its text).
    pub cut_comments: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_pages: 3,
            template_permille: 300,
            inner_permille: 500,
            shape_permille: 300,
            penalty: 200,
            small_penalty: 20,
            cross_sites: 3,
            title_lines: 3,
            decay_chars: 3000,
            decay_pages: 0,
            decay_floor_permille: 250,
            box_chars: 0,
            run_cost: Some(100),
            max_runs: None,
            cut_comments: true,
        }
    }
}

impl Params {
    pub fn check(&self) -> Result<(), Error> {
        if self.min_pages < 2 {
            return Err(Error::InvalidArgument(format!("min_pages must be >= 2, got {}", self.min_pages)));
        }
        for (name, value) in [
            ("template_permille", self.template_permille),
            ("inner_permille", self.inner_permille),
            ("shape_permille", self.shape_permille),
            ("decay_floor_permille", self.decay_floor_permille),
        ] {
            if value > 1000 {
                return Err(Error::InvalidArgument(format!("{name} must be in [0, 1000], got {value}")));
            }
        }
        if self.title_lines > MAX_TITLE_LINES {
            return Err(Error::InvalidArgument(format!(
                "title_lines must be in [0, {MAX_TITLE_LINES}], got {}",
                self.title_lines
            )));
        }
        Ok(())
    }
}

/// Per-site statistics: on how many distinct pages each line fingerprint and shape occurs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteStats {
    pub pages: u64,
    pub lines: KeyMap<u32>,
    pub shapes: KeyMap<u32>,
}

/// The chrome model: statistics of every site seen, and of lines across sites.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub params: Params,
    pub sites: BTreeMap<String, SiteStats>,
    /// On how many distinct sites each fingerprint occurs.
    pub cross: KeyMap<u32>,
    /// The fingerprints on two or more pages of at least one site.
    pub recurring: KeySet,
}

fn distinct(values: &[u64]) -> Vec<u64> {
    let mut seen = KeySet::with_capacity_and_hasher(values.len(), Default::default());
    values.iter().copied().filter(|&v| v != 0 && seen.insert(v)).collect()
}

impl Model {
    pub fn new(params: Params) -> Result<Self, Error> {
        params.check()?;
        Ok(Model { params, ..Default::default() })
    }

    /// Count one page (its keys) for `site`.
    pub fn add(&mut self, site: &str, keys: &LineKeys) {
        let stats = self.sites.entry(site.to_owned()).or_default();
        // Counts are u32 (insert_site's limit): a site at that many pages is refused before
        // it gets here (python/neardup/chrome.py); saturating, the core never panics.
        stats.pages = (stats.pages + 1).min(u64::from(u32::MAX));
        for fingerprint in distinct(&keys.fingerprints) {
            let count = stats.lines.entry(fingerprint).or_insert(0);
            if *count == 0 {
                *self.cross.entry(fingerprint).or_insert(0) += 1;
            }
            *count = count.saturating_add(1);
            if *count == 2 {
                self.recurring.insert(fingerprint);
            }
        }
        for shape in distinct(&keys.shapes) {
            let count = stats.shapes.entry(shape).or_insert(0);
            *count = count.saturating_add(1);
        }
    }

    /// The statistics of `site`.
    pub fn site(&self, site: &str) -> Result<&SiteStats, Error> {
        self.sites.get(site).ok_or_else(|| Error::NotFound(format!("site \"{site}\" is not in the model")))
    }

    /// Restore one site's statistics (from a saved model); the cross-site counts follow.
    /// Keys must be non-zero and distinct, counts at most `pages`.
    pub fn insert_site(
        &mut self,
        site: &str,
        pages: u64,
        lines: &[(u64, u32)],
        shapes: &[(u64, u32)],
    ) -> Result<(), Error> {
        if self.sites.contains_key(site) {
            return Err(Error::InvalidArgument(format!("site \"{site}\" appears twice in the model")));
        }
        // Counts are u32, so no counted site has more pages; the shares' products of pages
        // and permille stay far inside u64 below it.
        if pages == 0 || pages > u64::from(u32::MAX) {
            return Err(Error::InvalidArgument(format!(
                "site \"{site}\": pages must be in [1, 2**32), got {pages}"
            )));
        }
        let mut stats = SiteStats { pages, ..Default::default() };
        for (table, entries) in [(&mut stats.lines, lines), (&mut stats.shapes, shapes)] {
            for &(key, count) in entries {
                if key == 0 || u64::from(count) > pages {
                    return Err(Error::InvalidArgument(format!(
                        "site \"{site}\": invalid entry {key}: {count} (keys in [1, 2**64), counts in [0, pages={pages}])"
                    )));
                }
                if table.insert(key, count).is_some() {
                    return Err(Error::InvalidArgument(format!("site \"{site}\": duplicate keys")));
                }
            }
        }
        for (&fingerprint, &count) in &stats.lines {
            if count > 0 {
                *self.cross.entry(fingerprint).or_insert(0) += 1;
            }
            if count >= 2 {
                self.recurring.insert(fingerprint);
            }
        }
        self.sites.insert(site.to_owned(), stats);
        Ok(())
    }

    /// The removed spans of a page of `site` (see [`removed_spans`]), its in-page repeats
    /// found with `repeats` when given.
    pub fn strip_keys(
        &self,
        site: &str,
        page: &PageKeys,
        repeats: Option<&RepeatParams>,
    ) -> Vec<(usize, usize, u8)> {
        let decisions = self.decide(site, &page.keys);
        let copies = match repeats {
            Some(params) => repeats::find_repeats_keyed(&page.keys.spans, &page.repeat_keys, params),
            None => Vec::new(),
        };
        removed_spans(&page.keys.spans, &decisions, &copies)
    }

    /// Per line (by its fingerprint), on how many of `site`'s counted pages it occurs and on
    /// how many sites; 0 and 0 for a blank line, and the first 0 on a site not in the model.
    pub fn line_counts(&self, site: &str, fingerprints: &[u64]) -> Vec<[u32; 2]> {
        let stats = self.sites.get(site);
        // A blank line's key, 0, is never counted (`add`, `insert_site`).
        fingerprints
            .iter()
            .map(|fingerprint| {
                let pages = stats.and_then(|s| s.lines.get(fingerprint)).copied().unwrap_or(0);
                [pages, self.cross.get(fingerprint).copied().unwrap_or(0)]
            })
            .collect()
    }

    /// A decision per line of a page of `site` (the site need not be in the model).
    pub fn decide(&self, site: &str, keys: &LineKeys) -> Vec<u8> {
        let p = &self.params;
        let empty = SiteStats::default();
        let stats = self.sites.get(site).unwrap_or(&empty);
        let pages = stats.pages;
        let n = keys.fingerprints.len();
        // Share of pages (permille) on which each line recurs; None for blank lines.
        let mut share: Vec<Option<u64>> = Vec::with_capacity(n);
        let mut site_share: Vec<u64> = vec![0; n];
        let mut cross = vec![false; n];
        let count_of = |fingerprint: u64| u64::from(stats.lines.get(&fingerprint).copied().unwrap_or(0));
        // A site of too few pages for `min_pages` counts the lines on every one of its pages
        // (below), unless this page has next to no line the others lack: a copy of one of
        // them, or a page of a line or two, whose every line would go.
        let few_pages = pages >= 2 && pages < u64::from(p.min_pages) && {
            let own: u64 = (keys.fingerprints.iter().zip(&keys.lengths))
                .filter(|&(&fingerprint, _)| fingerprint != 0 && count_of(fingerprint) < pages)
                .map(|(_, &length)| u64::from(length))
                .sum();
            own >= COPY_OWN_CHARS
        };
        for (i, (&fingerprint, &shape)) in keys.fingerprints.iter().zip(&keys.shapes).enumerate() {
            if fingerprint == 0 {
                share.push(None);
                continue;
            }
            let mut value = 0u64;
            let count = count_of(fingerprint);
            if count >= u64::from(p.min_pages) {
                value = count * 1000 / pages;
            } else if few_pages && count == pages && !keys.closed[i] {
                // A line on every page of a site of too few pages for `min_pages` that does
                // not end a clause (a menu entry, a sidebar heading, a footer link; an article
                // at two addresses shares its prose) recurs at the template share, so it is a
                // template line in a block of recurring lines, not alone.
                value = u64::from(p.template_permille).max(1);
            }
            if shape != 0 {
                let count = u64::from(stats.shapes.get(&shape).copied().unwrap_or(0));
                if count >= u64::from(p.min_pages) && count * 1000 >= u64::from(p.shape_permille) * pages {
                    value = value.max(count * 1000 / pages);
                }
            }
            site_share[i] = value;
            if p.cross_sites > 0 && value < 1000 {
                let sites = self.cross.get(&fingerprint).copied().unwrap_or(0);
                if sites >= p.cross_sites {
                    value = 1000;
                    cross[i] = true;
                }
            }
            share.push(Some(value));
        }
        // Cross-site lines that may be text the sites share: long enough to carry words, and on
        // a single page of every site that has them.
        let single: Vec<bool> = (0..n)
            .map(|i| {
                cross[i]
                    && keys.lengths[i] >= SHARED_LINE_CHARS
                    && !self.recurring.contains(&keys.fingerprints[i])
            })
            .collect();
        keep_shared_prose(&mut share, &mut cross, &site_share, &keys.lengths, &single);
        let lines = Lines {
            pages,
            share: &share,
            cross: &cross,
            lengths: &keys.lengths,
            fingerprints: &keys.fingerprints,
            closed: &keys.closed,
            worded: &keys.worded,
            stamps: &keys.stamps,
            stamp_tails: &keys.stamp_tails,
            stamp_texts: &keys.stamp_texts,
        };
        decide_lines(p, &lines)
    }
}

/// A cross-site line longer than this many characters is prose, not boilerplate.
pub const CROSS_PROSE_CHARS: u32 = 120;
/// Cross-site lines that no site repeats on two of its pages, with this many characters in
/// one run (one line may hold them), are text the sites share.
pub const SHARED_TEXT_CHARS: u32 = 40;
/// A shorter cross-site line (a button, a menu entry) is never taken for shared text.
pub const SHARED_LINE_CHARS: u32 = 15;

/// Lines that many sites share are boilerplate ("Share this article") or an article that
/// several sites published. In a run of cross-site lines (blank lines do not break it):
/// - a line longer than `CROSS_PROSE_CHARS` makes the run an article: all its lines go back
///   to their own site's statistics;
/// - otherwise its `single` lines (of `SHARED_LINE_CHARS` or more, and on one page of every
///   site that has them), when they hold `SHARED_TEXT_CHARS` characters or more, are a short
///   article (a news brief, a caption) that every site carrying it has on one page, unlike
///   boilerplate, which some site repeats: those lines go back, the others stay cross-site.
pub fn keep_shared_prose(
    share: &mut [Option<u64>],
    cross: &mut [bool],
    site_share: &[u64],
    lengths: &[u32],
    single: &[bool],
) {
    let n = cross.len();
    let mut i = 0;
    while i < n {
        if !cross[i] {
            i += 1;
            continue;
        }
        let (mut last, mut longest, mut k) = (i, 0u32, i);
        let mut single_chars = 0u64;
        while k < n && (cross[k] || share[k].is_none()) {
            if cross[k] {
                longest = longest.max(lengths[k]);
                last = k;
                if single[k] {
                    single_chars += u64::from(lengths[k]);
                }
            }
            k += 1;
        }
        let article = longest > CROSS_PROSE_CHARS;
        let shared_text = single_chars >= u64::from(SHARED_TEXT_CHARS);
        if article || shared_text {
            for m in i..=last {
                if cross[m] && (article || single[m]) {
                    cross[m] = false;
                    share[m] = Some(site_share[m]);
                }
            }
        }
        i = last + 1;
    }
}

/// The page's own headline among the template lines right above its body (`decide_lines`,
/// step 5): one of the `OWN_TITLE_LINES` non-blank lines nearest the first run, of at least
/// `OWN_TITLE_CHARS` characters, on the page twice or more (the page's title at its top, or a
/// list of the site's latest stories that holds it) and not in a run. The site's other pages
/// list it among their headlines, so it recurs; a menu entry or a section name is shorter
/// or once on the page.
pub const OWN_TITLE_LINES: usize = 2;
pub const OWN_TITLE_CHARS: u32 = 30;

/// Upper bound of `Params::title_lines` (a title sits right above the byline and buttons).
pub const MAX_TITLE_LINES: u32 = 16;

/// Score of a page-specific line of `length` characters (or cost of a separator of
/// [`decide_lines`]' step 2) with `before` characters of page-specific lines above it:
/// `length * decay_chars / (decay_chars + before)`, at least
/// `decay_floor` permille of `length` and at least 1; `length` when `decay_chars` is 0.
/// Integer arithmetic (u128: no overflow), as the reference.
pub fn position_weighted(length: u64, before: u64, decay_chars: u32, decay_floor: u32) -> i64 {
    // At most `length` (Params::check: decay_floor <= 1000); lengths here are a line's
    // characters plus a penalty, far below i64::MAX.
    let clamp = |value: u128| i64::try_from(value).unwrap_or(i64::MAX);
    if decay_chars == 0 {
        return clamp(u128::from(length));
    }
    let (length, decay) = (u128::from(length), u128::from(decay_chars));
    let decayed = length * decay / (decay + u128::from(before));
    let floor = length * u128::from(decay_floor) / 1000;
    clamp(decayed.max(floor).max(1))
}

/// Per-line inputs of [`decide_lines`], one entry per line of the page.
#[derive(Debug, Clone, Copy)]
pub struct Lines<'a> {
    /// Counted pages of the page's site.
    pub pages: u64,
    /// Share of the site's pages (permille) the line recurs on; None for a blank line.
    pub share: &'a [Option<u64>],
    /// Cross-site boilerplate.
    pub cross: &'a [bool],
    /// Length in characters.
    pub lengths: &'a [u32],
    pub fingerprints: &'a [u64],
    /// Ends a sentence or clause ([`LineKeys::closed`]).
    pub closed: &'a [bool],
    /// Has a word character ([`LineKeys::worded`]).
    pub worded: &'a [bool],
    /// Time-stamp keys ([`LineKeys::stamps`], [`LineKeys::stamp_tails`],
    /// [`LineKeys::stamp_texts`]).
    pub stamps: &'a [u64],
    pub stamp_tails: &'a [u64],
    pub stamp_texts: &'a [u64],
}

/// The shares `decide_lines` decides a page with when its own lines (page-specific: share 0)
/// hold fewer than `COPY_OWN_CHARS` characters (none, or a title or a date) and the lines that
/// recur below `template_permille` ten times as many or more: those are then taken as
/// page-specific (share 0). Such a page is one of several copies of an article on its site (a
/// story at several addresses, a republished piece placed on three pages), whose lines all
/// recur; decided as it is, it keeps its own short line at most. None for any other page.
pub fn copies_taken_as_text(p: &Params, share: &[Option<u64>], lengths: &[u32]) -> Option<Vec<Option<u64>>> {
    let tmin = u64::from(p.template_permille);
    let below_template = |s: &Option<u64>| s.is_some_and(|v| v > 0 && v < tmin);
    let (mut own, mut below) = (0u64, 0u64);
    for (s, &length) in share.iter().zip(lengths) {
        if *s == Some(0) {
            own += u64::from(length);
        } else if below_template(s) {
            below += u64::from(length);
        }
    }
    if own >= COPY_OWN_CHARS || below == 0 || below < COPY_RECURRING_TIMES * own {
        return None;
    }
    Some(share.iter().map(|s| if below_template(s) { Some(0) } else { *s }).collect())
}

/// A page's own characters below which [`copies_taken_as_text`] looks at it, and below which
/// a page of a site of fewer than `min_pages` pages (its lines the others lack) is left alone.
pub const COPY_OWN_CHARS: u64 = 100;
/// How many times its own characters a page's lines below the template share must hold.
pub const COPY_RECURRING_TIMES: u64 = 10;

/// The decision of a page from its [`Lines`] (a page with next to no page-specific text is
/// decided with the shares of [`copies_taken_as_text`]).
///
/// 1. A recurring line (share >= template_permille) is a *template* line when it has a
///    recurring neighbour (the nearest non-blank line above or below), is the first or last
///    non-blank line, or is on >= inner_permille of pages: templates come in blocks at the
///    top and bottom; a lone recurring heading inside the text ("Note") is not one.
/// 2. Each line scores: template -(penalty + length) (-(small_penalty + length) without a
///    word character), other recurring 0, blank 0, any other line its length weighted by
///    position (`position_weighted`, on sites with >= `decay_pages` counted pages: the
///    article comes before the comment thread or teaser list that may outweigh it). On a
///    site of fewer than `min_pages` pages, a *separator* (a template line whose nearest
///    non-blank neighbours above and below are both lines that are not template lines) costs
///    its -(penalty + length) weighted by position too. The main body region is the
///    highest-scoring run of lines (Kadane, the first best run wins).
/// 3. With `run_cost`, more runs outside the main region are body ([`extra_runs`]): runs
///    scored on their closed (prose) lines only, each worth more than `run_cost` (an article
///    that a video box or a gallery link cut in two, a last paragraph after a tag line), at
///    most `max_runs` on each side of the main region, the nearest ones.
/// 4. Each run is widened over the lines of score 0 at its edges (it reaches the template
///    lines around it); lines outside every run are chrome.
/// 5. Title rescue: going up from the first run, past blank and template lines, the first
///    `title_lines` other lines are looked at; a page-specific one whose fingerprint is not
///    in a run is kept (the headline above the byline and share buttons). A template line
///    passed on the way is the page's own headline, kept, when it is one of the
///    `OWN_TITLE_LINES` non-blank lines nearest the run, is not cross-site, has at least
///    `OWN_TITLE_CHARS` characters, is on the page twice or more and is not in a run.
/// 6. Inside a run, a line on >= inner_permille of pages is still chrome.
/// 7. Template boxes (`box_chars` > 0): see [`template_boxes`].
/// 8. With `cut_comments`, on a site of `min_pages` pages or more, the body lines of a
///    comment thread become [`COMMENTS`] (see [`comment_thread`]).
pub fn decide_lines(p: &Params, lines: &Lines<'_>) -> Vec<u8> {
    let copies = copies_taken_as_text(p, lines.share, lines.lengths);
    let lines = &Lines { share: copies.as_deref().unwrap_or(lines.share), ..*lines };
    let Lines { pages, share, cross, lengths, fingerprints, closed, worded, .. } = *lines;
    let decay_chars = if pages >= u64::from(p.decay_pages) { p.decay_chars } else { 0 };
    let n = share.len();
    let tmin = u64::from(p.template_permille);
    let inner = u64::from(p.inner_permille);
    let recurring = |i: usize| share[i].is_some_and(|s| s > 0 && s >= tmin);
    let mut template = vec![false; n];
    let (mut previous, mut previous_recurring) = (None::<usize>, false);
    // One pass over the non-blank lines: a line's flag is final once its next non-blank
    // neighbour is known.
    let mut pending: Option<usize> = None;
    for i in 0..n {
        if share[i].is_none() {
            continue;
        }
        let here = recurring(i);
        if let Some(j) = pending.take() {
            template[j] = template[j] || here;
        }
        if here {
            let is_first = previous.is_none();
            template[i] = previous_recurring || is_first || share[i].unwrap_or(0) >= inner;
            pending = Some(i);
        }
        previous = Some(i);
        previous_recurring = here;
    }
    // The last non-blank line is an edge line.
    if let Some(j) = pending {
        template[j] = true;
    }
    // On a site of fewer than `min_pages` pages, a template line alone between two lines that
    // are not (a cross-site "Advertisement" marker between an article's paragraphs, the
    // signature under each post of a blog's front page) costs what it costs weighted by
    // position, as the text around it counts: at full cost, the later paragraphs of a long
    // article could not pay for the markers between them. A block of template lines costs
    // its whole cost everywhere, and on a larger site a lone template line is on most of
    // its pages, part of its layout.
    let mut separator = vec![false; n];
    if decay_chars > 0 && pages < u64::from(p.min_pages) {
        let nonblank: Vec<usize> = (0..n).filter(|&i| share[i].is_some()).collect();
        for k in 1..nonblank.len().saturating_sub(1) {
            let i = nonblank[k];
            separator[i] = template[i] && !template[nonblank[k - 1]] && !template[nonblank[k + 1]];
        }
    }
    let mut before = 0u64;
    let scores: Vec<i64> = (0..n)
        .map(|i| match share[i] {
            None => 0,
            Some(_) if template[i] => {
                let penalty = if worded[i] { p.penalty } else { p.small_penalty };
                let cost = u64::from(penalty) + u64::from(lengths[i]);
                if separator[i] {
                    -position_weighted(cost, before, decay_chars, p.decay_floor_permille)
                } else {
                    -i64::try_from(cost).unwrap_or(i64::MAX)
                }
            }
            Some(s) if s > 0 => 0,
            Some(_) => {
                let score =
                    position_weighted(u64::from(lengths[i]), before, decay_chars, p.decay_floor_permille);
                before += u64::from(lengths[i]);
                score
            }
        })
        .collect();
    let mut best = 0i64;
    let (mut best_start, mut best_end) = (0usize, 0usize);
    let (mut current, mut current_start) = (0i64, 0usize);
    for (i, &score) in scores.iter().enumerate() {
        if current <= 0 {
            current = 0;
            current_start = i;
        }
        current += score;
        if current > best {
            best = current;
            best_start = current_start;
            best_end = i + 1;
        }
    }
    let mut runs = vec![false; n];
    runs[best_start..best_end].fill(true);
    if let Some(cost) = p.run_cost {
        if best_end > best_start {
            // Outside the main region, only closed lines (prose) count for a run.
            let prose: Vec<i64> = (0..n)
                .map(|i| match share[i] {
                    Some(0) if !template[i] && !closed[i] => 0,
                    _ => scores[i],
                })
                .collect();
            extra_runs(&prose[..best_start], cost, &mut runs[..best_start]);
            extra_runs(&prose[best_end..], cost, &mut runs[best_end..]);
            if let Some(most) = p.max_runs {
                // The runs nearest the main region: an article cut by a box or two is a few
                // runs, a comment thread many.
                keep_nearest_runs(&mut runs[best_end..], most as usize);
                runs[..best_start].reverse();
                keep_nearest_runs(&mut runs[..best_start], most as usize);
                runs[..best_start].reverse();
            }
        }
    }
    // Each run reaches the lines of score 0 at its edges (blank, or recurring on a few pages:
    // a list of sections), up to the template lines around it.
    let mut inside = runs.clone();
    for i in 0..n {
        if !runs[i] {
            continue;
        }
        if i + 1 == n || !runs[i + 1] {
            let mut k = i + 1;
            while k < n && scores[k] == 0 && !runs[k] {
                inside[k] = true;
                k += 1;
            }
        }
        if i == 0 || !runs[i - 1] {
            let mut k = i;
            while k > 0 && scores[k - 1] == 0 && !runs[k - 1] {
                inside[k - 1] = true;
                k -= 1;
            }
        }
    }
    let mut rescued: Vec<usize> = Vec::new();
    let mut own_titles: Vec<usize> = Vec::new();
    if let Some(first) = inside.iter().position(|&b| b) {
        let kept: KeySet = (0..n).filter(|&i| inside[i]).map(|i| fingerprints[i]).collect();
        let mut seen = 0usize;
        let mut nonblank = 0usize; // non-blank lines from k down to the run
        for k in (0..first).rev() {
            if seen == p.title_lines as usize {
                break;
            }
            if share[k].is_none() {
                continue;
            }
            nonblank += 1;
            if template[k] {
                if nonblank <= OWN_TITLE_LINES
                    && !cross[k]
                    && lengths[k] >= OWN_TITLE_CHARS
                    && !kept.contains(&fingerprints[k])
                    && fingerprints.iter().filter(|&&f| f == fingerprints[k]).count() >= 2
                {
                    own_titles.push(k);
                }
                continue;
            }
            if scores[k] > 0 && !kept.contains(&fingerprints[k]) {
                rescued.push(k);
            }
            seen += 1;
        }
    }
    let mut decisions: Vec<u8> = (0..n)
        .map(|i| {
            if own_titles.contains(&i) {
                return BODY;
            }
            let inside = inside[i] || rescued.contains(&i);
            let recurring_reason = if cross[i] { CROSS_SITE } else { TEMPLATE };
            match share[i] {
                None if inside => BODY,
                None => OUTSIDE_BODY,
                Some(s) if inside => {
                    if s > 0 && s >= inner {
                        recurring_reason
                    } else {
                        BODY
                    }
                }
                Some(s) if s > 0 => recurring_reason,
                Some(_) => OUTSIDE_BODY,
            }
        })
        .collect();
    if p.box_chars > 0 {
        template_boxes(&mut decisions, &template, share, lengths, closed, p.box_chars);
    }
    if p.cut_comments && pages >= u64::from(p.min_pages) {
        if let Some((start, end)) = comment_thread(&decisions, lines) {
            for decision in &mut decisions[start..end] {
                if *decision == BODY {
                    *decision = COMMENTS;
                }
            }
        }
    }
    decisions
}

/// A time-stamp key must be on at least this many lines of the page to mark a thread.
pub const THREAD_STAMPS: usize = 3;
/// Body characters above the thread's first stamp: the article comes first.
pub const THREAD_AFTER_CHARS: u64 = 500;
/// A body line of this many characters between two stamps is a comment's prose.
pub const THREAD_PROSE_CHARS: u32 = 40;
/// The body text between the first two stamps may be at most this many times the median of
/// the later gaps plus `THREAD_FIRST_GAP_CHARS` (else the first stamp is the article's
/// dateline, the text after it the article).
pub const THREAD_FIRST_GAP: u64 = 3;
pub const THREAD_FIRST_GAP_CHARS: u64 = 500;
/// The body text after the last stamp, up to the next line that is not body, may be at most
/// this many mean gaps plus `THREAD_TAIL_CHARS` (a thread ends the page's text or runs into
/// the comment form; times in a story told hour by hour are followed by more of the story).
pub const THREAD_TAIL: u64 = 2;
pub const THREAD_TAIL_CHARS: u64 = 300;
/// At most this many non-blank body lines per stamp between the first and the last stamp:
/// a comment is a few lines; a manual whose examples print timed log lines spreads them
/// over its sections.
pub const THREAD_LINES_PER_STAMP: usize = 20;
/// How many lines above the first stamp a heading of the thread ("12 comments", a line
/// that is not body) is looked for; the body lines between it and the stamp are the first
/// comment.
pub const THREAD_HEADER_LINES: usize = 3;

/// The lines `[start, end)` of the comment thread of a decided page, if it has one: it ends
/// at the first non-blank line that is not body after its last stamp (the comment form, a
/// footer), or at the page's end; a page may go on after it (a teaser list signed with
/// times above the article is such a thread). Its *stamps* are
/// the lines whose time-stamp key ([`stamp_keys`]) is on [`THREAD_STAMPS`] or more of the
/// page's lines with at least as many distinct texts ([`LineKeys::stamp_texts`]: the times
/// differ; a code example repeating one date does not) ("by Ann on 0 00, 0000 at 0:00 pm.
/// Reply", "0 0, 0000 at 0:00 am") and whose nearest non-blank lines above and below have
/// no time-stamp key. The
/// thread starts at the first stamp that has
/// - [`THREAD_AFTER_CHARS`] or more body characters above it,
/// - at least `THREAD_STAMPS` stamps from it on, with a body line of
///   [`THREAD_PROSE_CHARS`] or more between at least `THREAD_STAMPS - 1` pairs of
///   consecutive ones (comments between them, not a table of times),
/// - a first gap (body characters between it and the next stamp) of at most
///   [`THREAD_FIRST_GAP`] times the median of the others plus [`THREAD_FIRST_GAP_CHARS`],
/// - at most [`THREAD_LINES_PER_STAMP`] non-blank body lines per stamp between the first
///   and the last,
/// - at most [`THREAD_TAIL`] mean gaps plus [`THREAD_TAIL_CHARS`] of body characters after
///   the last stamp, up to the next non-blank line that is not body (or the page's end);
///
/// or, when a non-blank line that is not body sits at most [`THREAD_HEADER_LINES`] lines
/// above that stamp with only body or blank lines between, at the line below it.
pub fn comment_thread(decisions: &[u8], lines: &Lines<'_>) -> Option<(usize, usize)> {
    let Lines { lengths, fingerprints, stamps, stamp_tails, stamp_texts, .. } = *lines;
    let n = decisions.len();
    // Per key: its lines and how many distinct texts they have.
    let mut counts: [KeyMap<(u32, KeySet)>; 2] = Default::default();
    for (table, keys) in counts.iter_mut().zip([stamps, stamp_tails]) {
        for (i, &key) in keys.iter().enumerate().filter(|(_, &k)| k != 0) {
            let entry = table.entry(key).or_default();
            entry.0 += 1;
            entry.1.insert(stamp_texts[i]);
        }
    }
    let stamped = |i: usize| {
        [stamps[i], stamp_tails[i]].iter().zip(&counts).any(|(&key, table)| {
            key != 0
                && table
                    .get(&key)
                    .is_some_and(|(c, texts)| *c as usize >= THREAD_STAMPS && texts.len() >= THREAD_STAMPS)
        })
    };
    // A stamp heads or closes one comment: a line next to another time stamp is a row of a
    // table of times (or a log) instead.
    let clocked = |i: usize| stamps[i] != 0 || stamp_tails[i] != 0;
    let nonblank: Vec<usize> = (0..n).filter(|&i| fingerprints[i] != 0).collect();
    let mut is_stamp = vec![false; n];
    for (j, &i) in nonblank.iter().enumerate() {
        let lone = (j == 0 || !clocked(nonblank[j - 1])) && nonblank.get(j + 1).is_none_or(|&k| !clocked(k));
        is_stamp[i] = lone && stamped(i);
    }
    let marks: Vec<usize> = (0..n).filter(|&i| is_stamp[i]).collect();
    if marks.len() < THREAD_STAMPS {
        return None;
    }
    // kept[i]: body characters of the lines above line i.
    let mut kept = vec![0u64; n + 1];
    for i in 0..n {
        kept[i + 1] = kept[i] + if decisions[i] == BODY { u64::from(lengths[i]) } else { 0 };
    }
    let removed = |i: usize| decisions[i] != BODY && fingerprints[i] != 0;
    for (c, &first) in marks.iter().enumerate() {
        if kept[first] < THREAD_AFTER_CHARS {
            continue;
        }
        let later = &marks[c..];
        if later.len() < THREAD_STAMPS {
            return None;
        }
        let prose = later
            .windows(2)
            .filter(|w| {
                (w[0] + 1..w[1])
                    .any(|t| decisions[t] == BODY && lengths[t] >= THREAD_PROSE_CHARS && !is_stamp[t])
            })
            .count();
        if prose < THREAD_STAMPS - 1 {
            continue;
        }
        let gaps: Vec<u64> = later.windows(2).map(|w| kept[w[1]] - kept[w[0] + 1]).collect();
        let mut rest = gaps[1..].to_vec();
        rest.sort_unstable();
        if gaps[0] > THREAD_FIRST_GAP * rest[rest.len() / 2] + THREAD_FIRST_GAP_CHARS {
            continue;
        }
        let last = later[later.len() - 1];
        let body_lines = (first..last).filter(|&t| decisions[t] == BODY && fingerprints[t] != 0).count();
        if body_lines > THREAD_LINES_PER_STAMP * (later.len() - 1) {
            continue;
        }
        // The thread's last entry ends at the next line that is not body (the comment form, a
        // footer): a sidebar after it is not the article going on.
        let end = (last + 1..n).find(|&t| removed(t)).unwrap_or(n);
        let (span, after) = (kept[last] - kept[first], kept[end] - kept[last + 1]);
        let intervals = (later.len() - 1) as u64;
        if after * intervals > THREAD_TAIL * span + THREAD_TAIL_CHARS * intervals {
            continue;
        }
        let mut start = first;
        while start > 0 && first - start < THREAD_HEADER_LINES && !removed(start - 1) {
            start -= 1;
        }
        return Some((if start > 0 && removed(start - 1) { start } else { first }, end));
    }
    None
}

/// Clears every run of `runs` after the first `most` (runs: maximal stretches of `true`).
fn keep_nearest_runs(runs: &mut [bool], most: usize) {
    let mut seen = 0usize;
    for i in 0..runs.len() {
        if runs[i] && (i == 0 || !runs[i - 1]) {
            seen += 1;
        }
        if seen > most {
            runs[i] = false;
        }
    }
}

/// Marks in `runs` the runs of `scores` that maximise the total of the chosen runs minus
/// `cost` per run (a 2-state decode: outside, in a run). Ties keep fewer runs: a run is
/// kept only when strictly better, and continued rather than re-entered (so lines of score
/// 0 just before a run join it).
pub fn extra_runs(scores: &[i64], cost: u32, runs: &mut [bool]) {
    let cost = i64::from(cost);
    let (mut outside, mut within) = (0i64, None::<i64>);
    // Per line: (state before a line in a run, state before a line outside), 1 = in a run.
    let mut back: Vec<(bool, bool)> = Vec::with_capacity(scores.len());
    for &score in scores {
        let enter = outside - cost;
        let (into_run, from_run) = match within {
            Some(v) if v >= enter => (v, true),
            _ => (enter, false),
        };
        let (stay_out, from_run_out) = match within {
            Some(v) if v > outside => (v, true),
            _ => (outside, false),
        };
        back.push((from_run, from_run_out));
        within = Some(into_run + score);
        outside = stay_out;
    }
    let mut in_run = within.is_some_and(|v| v > outside);
    for i in (0..scores.len()).rev() {
        runs[i] = in_run;
        in_run = if in_run { back[i].0 } else { back[i].1 };
    }
}

/// A template line between the page's first and last body line heads a box the site embeds
/// in the article (related stories, a fact box, market data): the page-specific body lines
/// after it that are shorter than `box_chars` and not closed are the box's items when a
/// page-specific body line (the article resuming) ends the run; they become [`TEMPLATE`].
/// Documentation sites put no template block inside the text, so this leaves them alone.
pub fn template_boxes(
    decisions: &mut [u8],
    template: &[bool],
    share: &[Option<u64>],
    lengths: &[u32],
    closed: &[bool],
    box_chars: u32,
) {
    let nonblank: Vec<usize> = (0..share.len()).filter(|&i| share[i].is_some()).collect();
    let mut body = nonblank.iter().copied().filter(|&i| decisions[i] == BODY);
    let Some(first) = body.next() else { return };
    let last = body.next_back().unwrap_or(first);
    for j in 0..nonblank.len() {
        let i = nonblank[j];
        if !(first < i && i < last && template[i]) {
            continue;
        }
        let page_body = |t: usize, decisions: &[u8]| share[t] == Some(0) && decisions[t] == BODY;
        let mut k = j + 1;
        while k < nonblank.len() {
            let t = nonblank[k];
            if !page_body(t, decisions) || lengths[t] >= box_chars || closed[t] {
                break;
            }
            k += 1;
        }
        // Runs cannot overlap (a template line ends one), so marking in place is safe.
        if k > j + 1 && k < nonblank.len() && page_body(nonblank[k], decisions) {
            for &t in &nonblank[j + 1..k] {
                decisions[t] = TEMPLATE;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_site_refuses_page_counts_no_site_can_have() {
        // A saved model's page count beyond u32 (its counts' width) made the shape share's
        // product overflow (a panic in a debug build, a wrong share in a release one).
        let page = "Home\nNews\nA story of its own here.\nFooter";
        let keys = line_keys(page);
        let lines: Vec<(u64, u32)> = keys.fingerprints.iter().filter(|&&f| f != 0).map(|&f| (f, 1)).collect();
        let shapes: Vec<(u64, u32)> = keys.shapes.iter().filter(|&&s| s != 0).map(|&s| (s, 1)).collect();
        for pages in [0, u64::from(u32::MAX) + 1, 1 << 60] {
            let mut model = Model::new(Params::default()).unwrap();
            assert!(model.insert_site("a.com", pages, &lines, &shapes).is_err(), "pages {pages}");
        }
        let mut model = Model::new(Params::default()).unwrap();
        model.insert_site("a.com", u64::from(u32::MAX), &lines, &shapes).unwrap();
        assert_eq!(model.decide("a.com", &keys).len(), keys.fingerprints.len());
    }

    #[test]
    fn position_weight_bounds() {
        assert_eq!(position_weighted(200, 0, 3000, 250), 200);
        assert_eq!(position_weighted(200, 3000, 3000, 250), 100); // half at decay_chars
        assert_eq!(position_weighted(200, 1_000_000, 3000, 250), 50); // the floor
        assert_eq!(position_weighted(3, 1_000_000, 3000, 0), 1); // never 0
        assert_eq!(position_weighted(200, 1_000_000, 0, 250), 200); // off

        // No overflow at the extremes of the inputs.
        assert_eq!(position_weighted(u64::from(u32::MAX), 0, u32::MAX, 1000), i64::from(u32::MAX));
        assert_eq!(position_weighted(u64::from(u32::MAX), u64::MAX, u32::MAX, 0), 1);
        assert_eq!(position_weighted(u64::MAX, 0, 3000, 250), i64::MAX);
    }

    #[test]
    fn extra_runs_are_worth_their_cost() {
        let runs = |scores: &[i64], cost: u32| {
            let mut flags = vec![false; scores.len()];
            extra_runs(scores, cost, &mut flags);
            flags
        };
        // Two runs of 60 and 40 apart: each is kept while it is worth more than the cost.
        let scores = [60, -100, 0, 40, -5];
        // (a line of score 0 before a run joins it: continuing beats entering on a tie)
        assert_eq!(runs(&scores, 0), [true, false, true, true, false]);
        assert_eq!(runs(&scores, 50), [true, false, false, false, false]);
        assert_eq!(runs(&scores, 60), [false; 5]); // a tie is not kept
                                                   // A cheap gap is crossed rather than paying for a second run.
        assert_eq!(runs(&[30, -10, 30], 20), [true, true, true]);
        assert_eq!(runs(&[30, -10, 30], 5), [true, false, true]);
        assert_eq!(runs(&[], 0), [false; 0]);
    }

    #[test]
    fn worded_follows_the_repeat_key() {
        let keys = line_keys("* * *\n\u{2014}\n9\nMay\n\u{301}\n \n");
        assert_eq!(keys.worded, vec![false, false, true, true, true, false, false]);
    }

    #[test]
    fn page_keys_equal_line_keys_and_repeat_keys() {
        let text = "Caf\u{e9} \u{2019}Na\u{ef}ve\u{2019} 12 May\n  Plain_ASCII -- line, 12 May 2024! \n\u{a0}Stra\u{df}e \u{bd}\n\u{3a3}\u{39f}\u{3a6} \u{661}\r\n\n\u{5b57} e\u{301}";
        let page = page_keys(text);
        assert_eq!(page.keys, line_keys(text));
        let expected: Vec<u64> =
            text.split('\n').map(|l| repeats::repeat_key(l.strip_suffix('\r').unwrap_or(l)).0).collect();
        assert_eq!(page.repeat_keys, expected);
    }

    #[test]
    fn page_keys_of_generated_pages_equal_line_keys() {
        // Generated pages: month names and their near misses cut by digits, case, punctuation
        // and every kind of ASCII whitespace, at the start, inside and at the end of lines
        // (page_keys' one-pass path for ASCII against mask_line's two passes), and characters
        // that normalise to ASCII (curly quotes, dashes, a no-break space, a ligature,
        // full-width digits) or not (accents, CJK, a combining accent), for the path of
        // non-ASCII lines (simple_fold or the general normalisation, then mask_and_fold).
        let pieces = [
            "\u{2019}",
            "\u{201c}",
            "\u{201d}",
            "\u{2014}",
            "\u{a0}",
            "\u{fb01}",
            "\u{ff11}\u{ff12}",
            "caf\u{e9}",
            "\u{5b57}",
            "e\u{301}",
            "\u{3000}",
            "May",
            "may",
            "MAYOR",
            "mays",
            "dec",
            "Decem",
            "sept",
            "September",
            "jun",
            "jUNE",
            "oct0",
            "5",
            "12",
            "2024",
            "x",
            "ab",
            "Q",
            ".",
            ",",
            ":",
            "!",
            "'",
            "\"",
            ")",
            " ",
            "  ",
            "\t",
            "\x0b",
            "\x0c",
            "\r",
            "\x1c",
            "-",
            "by",
            "at",
            "9:59",
            "am",
            "PM",
            "0",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |bound: usize| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % bound
        };
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..next(6) {
                for _ in 0..next(9) {
                    text.push_str(pieces[next(pieces.len())]);
                }
                text.push(if next(5) == 0 { '\r' } else { ' ' });
                text.push('\n');
            }
            for _ in 0..next(5) {
                text.push_str(pieces[next(pieces.len())]);
            }
            let page = page_keys(&text);
            assert_eq!(page.keys, line_keys(&text), "{text:?}");
            let expected: Vec<u64> =
                text.split('\n').map(|l| repeats::repeat_key(l.strip_suffix('\r').unwrap_or(l)).0).collect();
            assert_eq!(page.repeat_keys, expected, "{text:?}");
        }
    }

    #[test]
    fn masking_folds_case_digits_and_months() {
        assert_eq!(mask_line("  Last updated on October 07, 2026. "), "last updated on 0 00, 0000.");
        assert_eq!(mask_line("Mayor"), "mayor");
        let months = "january february march april may june july august september october november december \
                      jan feb mar apr jun jul aug sep sept oct nov dec";
        assert!(months.split_whitespace().all(is_month));
        assert!(["ma", "mays", "junes", "decem", "", "0"].iter().all(|w| !is_month(w)));
        assert_eq!(line_key("").0, 0);
        assert_ne!(line_key("a").0, 0);
    }

    #[test]
    fn clock_times_and_their_stamps() {
        for (masked, clock) in [
            ("0:00", true),
            ("at 00:00 pm", true),
            ("00:00:00", true),
            ("000:00", false),
            ("0.0:00", false),
            ("00:000", false),
            ("00:0", false),
            (":00", false),
        ] {
            assert_eq!(has_clock(masked), clock, "{masked}");
        }
        // Runs of 0s fold: one-digit and two-digit hours and days sign alike.
        let a = stamp_keys(&mask_line("by Ann on May 5, 2012 at 9:59 am. Reply"), 39);
        let b = stamp_keys(&mask_line("by Bo on May 25, 2012 at 10:12 am. Reply"), 40);
        assert_eq!(a.1, b.1);
        assert_ne!(a.0, b.0);
        assert_eq!(stamp_keys(&mask_line("9:59 am"), 7), stamp_keys(&mask_line("10:12 am"), 8));
        assert_eq!(stamp_keys("no clock here", 13), (0, 0));
        assert_eq!(stamp_keys("0:00", 200), (0, 0)); // too long to be a stamp
        assert_eq!(stamp_keys("0:00 pm", 7).1, 0); // two words: no tail
    }

    #[test]
    fn shapes_ignore_the_middle() {
        let a = line_key(&mask_line("Prev Up Chapter 5. Data Home Next")).1;
        let b = line_key(&mask_line("Prev  Up Part VII. Internals Home Next")).1;
        assert_eq!(a, b);
        assert_eq!(line_key("a b c").1, 0);
    }

    #[test]
    fn line_keys_follow_segment() {
        let text = "é1\r\n\nB2\r";
        let keys = line_keys(text);
        assert_eq!(keys.spans, crate::text::segment(text).0);
        assert_eq!(keys.fingerprints[1], 0);
        assert_eq!(keys.fingerprints[0], line_key("é0").0);
        assert_eq!(keys.lengths, vec![2, 0, 2]);
    }

    #[test]
    fn template_blocks_are_cut_and_lone_headings_kept() {
        let mut model = Model::new(Params::default()).unwrap();
        // "Note" is on 3 of 8 pages: recurring, but alone inside the text, so body.
        let pages: Vec<String> = (0..8)
            .map(|i| {
                let note = if i % 3 == 0 { "Note\n" } else { "" };
                let word = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"][i];
                format!(
                    "Home\nNews\nSport\n{word} is the topic of this story, with more words {word}\n{note}{word} body text goes on and on, {word}\nAbout us\nContact"
                )
            })
            .collect();
        for page in &pages {
            model.add("site", &line_keys(page));
        }
        let decisions = model.decide("site", &line_keys(&pages[0]));
        assert_eq!(decisions, vec![TEMPLATE, TEMPLATE, TEMPLATE, BODY, BODY, BODY, TEMPLATE, TEMPLATE]);
        // A site the model has not seen keeps everything.
        assert!(model.decide("other", &line_keys(&pages[0])).iter().all(|&d| d == BODY));
    }

    #[test]
    fn lines_on_both_pages_of_a_two_page_site_frame_the_text() {
        let mut model = Model::new(Params::default()).unwrap();
        let page = |word: &str| {
            format!(
                "Home\nNews\n{word} is the topic of this story, with more words about {word}\nBackground\n{word} text goes on and on, and on again for a while.\nBoth pages quote this line of prose.\nAbout us\nContact"
            )
        };
        let pages = [page("alpha"), page("beta")];
        for page in &pages {
            model.add("site", &line_keys(page));
        }
        // Unclosed lines on both pages: template in blocks, body alone ("Background"); the
        // closed line both pages carry stays the page's own.
        let decisions = model.decide("site", &line_keys(&pages[0]));
        assert_eq!(decisions, vec![TEMPLATE, TEMPLATE, BODY, BODY, BODY, BODY, TEMPLATE, TEMPLATE]);
        // One page counted: nothing recurs.
        let mut one = Model::new(Params::default()).unwrap();
        one.add("site", &line_keys(&pages[0]));
        assert!(one.decide("site", &line_keys(&pages[0])).iter().all(|&d| d == BODY));
        // Pages with next to no line the other lacks (under COPY_OWN_CHARS) keep their lines:
        // one-line pages equal once digits are masked, a page and its copy.
        let mut tiny = Model::new(Params::default()).unwrap();
        tiny.add("tiny", &line_keys("document number 1"));
        tiny.add("tiny", &line_keys("document number 2"));
        assert_eq!(tiny.decide("tiny", &line_keys("document number 1")), vec![BODY]);
        let mut copies = Model::new(Params::default()).unwrap();
        copies.add("copies", &line_keys(&pages[0]));
        copies.add("copies", &line_keys(&pages[0]));
        assert!(copies.decide("copies", &line_keys(&pages[0])).iter().all(|&d| d == BODY));
    }

    #[test]
    fn separators_on_a_one_page_site_cost_what_the_text_around_them_counts() {
        // One page per site; "Advertisement" after each paragraph is on every site (cross-site,
        // a template line alone between paragraphs). Weighted by position like the text around
        // it, it does not end the main region before the article does.
        let params = Params { run_cost: None, ..Params::default() };
        let mut model = Model::new(params).unwrap();
        let words = ["alpha", "beta", "gamma", "delta"];
        let page = |word: &str| {
            let paragraphs: Vec<String> = (0..16)
                .map(|k| {
                    format!("{word} paragraph {} says {}.", "ab".repeat(k + 1), format!("{word} ").repeat(45))
                })
                .collect();
            format!("Home\nNews\n{}\nShare this article", paragraphs.join("\nAdvertisement\n"))
        };
        for word in words {
            model.add(word, &line_keys(&page(word)));
        }
        let decisions = model.decide("beta", &line_keys(&page("beta")));
        let paragraphs: Vec<u8> = decisions.iter().copied().skip(2).step_by(2).take(16).collect();
        assert_eq!(paragraphs, vec![BODY; 16]);
        assert_eq!(decisions[3], CROSS_SITE);
        // Without the weighting on such sites (decay_pages 3), paragraphs and separators at
        // full value: the same decisions.
        let mut unweighted = Model::new(Params { decay_pages: 3, ..params }).unwrap();
        for word in words {
            unweighted.add(word, &line_keys(&page(word)));
        }
        assert_eq!(unweighted.decide("beta", &line_keys(&page("beta"))), decisions);
    }

    #[test]
    fn a_site_not_counted_is_not_found() {
        let mut model = Model::new(Params::default()).unwrap();
        model.add("a", &line_keys("x"));
        assert_eq!(model.site("a").unwrap().pages, 1);
        assert_eq!(model.site("b"), Err(Error::NotFound("site \"b\" is not in the model".into())));
    }

    #[test]
    fn a_short_article_on_one_page_of_each_site_is_not_boilerplate() {
        let mut model = Model::new(Params::default()).unwrap();
        let brief = "Storm closes the harbour\nFerries stay in port until Friday;";
        for site in ["a", "b", "c"] {
            model.add(site, &line_keys(&format!("Share this story on Facebook\n{brief}")));
        }
        // One site repeats the share line, so it is boilerplate; the brief is on one page of each.
        model.add("a", &line_keys("Share this story on Facebook\nanother page of a with its words"));
        let decisions = model.decide("b", &line_keys(&format!("Share this story on Facebook\n{brief}")));
        assert_eq!(decisions, vec![CROSS_SITE, BODY, BODY]);
        // A single such line is not enough to tell it from boilerplate.
        let decisions = model.decide("d", &line_keys("Storm closes the harbour\nA new body line with words"));
        assert_eq!(decisions, vec![CROSS_SITE, BODY]);
    }

    #[test]
    fn cross_site_lines_are_recognised_on_a_new_site() {
        let mut model = Model::new(Params::default()).unwrap();
        for site in ["a", "b", "c"] {
            model.add(site, &line_keys(&format!("Share this article\nbody of {site} with several words")));
        }
        let decisions = model.decide("d", &line_keys("Share this article\nA brand new body with words"));
        assert_eq!(decisions, vec![CROSS_SITE, BODY]);
    }
}
