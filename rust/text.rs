//! Text primitives: normalise, segment, tokenise, shingle.
//!
//! The pure-Python reference (`python/neardup/_reference/text.py`) is the specification;
//! this module follows it step for step. All positions are indices of Unicode scalar values
//! (Python `str` indices) into the caller's original text.

use unicode_normalization::UnicodeNormalization;

use crate::hash::hash64;
use crate::unicode_tables as tables;
use crate::Error;

/// casefold(NFKC(x)) is applied to a segment until it no longer changes, at most this often.
const MAX_FOLD_ROUNDS: usize = 4;

pub const CLASS_OTHER: u8 = 0;
pub const CLASS_WORD: u8 = 1;
pub const CLASS_MARK: u8 = 2;
pub const CLASS_SPACELESS: u8 = 3;

/// Invisible formatting removed before anything else (soft hyphen, zero-width characters, BOM).
#[inline]
pub fn is_ignorable(c: char) -> bool {
    matches!(c, '\u{AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// The Unicode White_Space property.
#[inline]
pub fn is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{B}' | '\u{C}' | '\r' | ' ' | '\u{85}' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Quote, dash and prime variants folded to ASCII after NFKC and case folding.
#[inline]
fn fold_punctuation(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{2035}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{2036}' | '\u{AB}' | '\u{BB}' => {
            '"'
        }
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        _ => c,
    }
}

fn in_ranges(table: &[(u32, u32)], cp: u32) -> bool {
    let i = table.partition_point(|&(lo, _)| lo <= cp);
    i > 0 && cp <= table[i - 1].1
}

#[inline]
pub fn is_assigned(cp: u32) -> bool {
    cp < 0x80 || in_ranges(tables::ASSIGNED, cp)
}

#[inline]
pub fn is_unsafe_start(cp: u32) -> bool {
    cp >= 0x80 && in_ranges(tables::UNSAFE_START, cp)
}

#[inline]
pub fn is_decimal_digit(cp: u32) -> bool {
    if cp < 0x80 {
        return (0x30..=0x39).contains(&cp);
    }
    in_ranges(tables::DECIMAL_DIGIT, cp)
}

/// Token class of a code point: word, mark, spaceless letter or other.
#[inline]
pub fn char_class(c: char) -> u8 {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() || c == '_' { CLASS_WORD } else { CLASS_OTHER };
    }
    let cp = c as u32;
    let i = tables::CHAR_CLASS.partition_point(|&(lo, _, _)| lo <= cp);
    if i > 0 && cp <= tables::CHAR_CLASS[i - 1].1 {
        tables::CHAR_CLASS[i - 1].2
    } else {
        CLASS_OTHER
    }
}

fn push_casefolded(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    let cp = c as u32;
    match tables::CASEFOLD.binary_search_by_key(&cp, |&(k, _)| k) {
        Ok(i) => out.push_str(tables::CASEFOLD[i].1),
        Err(_) => out.push(c),
    }
}

fn fold_segment(segment: &str) -> String {
    let mut current = segment.to_owned();
    for _ in 0..MAX_FOLD_ROUNDS {
        let mut folded = String::with_capacity(current.len());
        for c in current.nfkc() {
            push_casefolded(c, &mut folded);
        }
        if folded == current {
            break;
        }
        current = folded;
    }
    current
}

/// Where normalised characters go, each with the original span it came from.
trait Produce {
    fn produce(&mut self, c: char, start: usize, end: usize);

    /// Normalise one segment (docs/text.md: a single ASCII character is lowercased, an
    /// unassigned code point passes through, anything else is case-folded NFKC) and produce it.
    fn flush_segment(&mut self, segment: &str, start: usize, end: usize, opaque: bool) {
        let mut chars = segment.chars();
        if let (Some(only), None) = (chars.next(), chars.next()) {
            if only.is_ascii() {
                self.produce(only.to_ascii_lowercase(), start, end);
                return;
            }
        }
        if opaque {
            for c in segment.chars() {
                self.produce(c, start, end);
            }
        } else {
            for c in fold_segment(segment).chars() {
                self.produce(c, start, end);
            }
        }
    }
}

/// The normalisation unit being built: a character and those that may not be cut from it.
#[derive(Default)]
struct Segment {
    chars: String,
    start: usize,
    end: usize,
    opaque: bool,
}

impl Segment {
    #[inline]
    fn flush(&mut self, sink: &mut impl Produce) {
        if !self.chars.is_empty() {
            sink.flush_segment(&self.chars, self.start, self.end, self.opaque);
            self.chars.clear();
        }
    }

    /// Start a segment at an ASCII character that a following combining mark may extend.
    #[inline]
    fn start_ascii(&mut self, byte: u8, index: usize) {
        self.chars.push(byte as char);
        (self.start, self.end, self.opaque) = (index, index + 1, false);
    }

    /// Take the non-ASCII character `c`, the `index`-th of the text: it extends the segment
    /// (a mark or other unsafe start) or, flushing the segment first, starts a new one.
    #[inline]
    fn push_non_ascii(&mut self, c: char, index: usize, sink: &mut impl Produce) {
        if is_ignorable(c) {
            return;
        }
        let cp = c as u32;
        if !self.chars.is_empty() && !self.opaque && is_unsafe_start(cp) {
            self.chars.push(c);
            self.end = index + 1;
            return;
        }
        self.flush(sink);
        self.chars.push(c);
        (self.start, self.end, self.opaque) = (index, index + 1, !is_assigned(cp));
    }
}

/// The normalisation pipeline; calls `emit(char, start, end)` for each normalised character
/// with the span of the original text it came from.
struct Normalizer<F: FnMut(char, usize, usize)> {
    mask_digits: bool,
    emit: F,
    emitted_any: bool,
    pending_space: Option<(usize, usize)>,
}

impl<F: FnMut(char, usize, usize)> Produce for Normalizer<F> {
    #[inline]
    fn produce(&mut self, c: char, start: usize, end: usize) {
        let mut c = fold_punctuation(c);
        if self.mask_digits && is_decimal_digit(c as u32) {
            c = '0';
        }
        if is_whitespace(c) {
            self.pending_space = Some(match self.pending_space {
                Some((first, _)) => (first, end),
                None => (start, end),
            });
            return;
        }
        if let Some((first, last)) = self.pending_space.take() {
            if self.emitted_any {
                (self.emit)(' ', first, last);
            }
        }
        self.emitted_any = true;
        (self.emit)(c, start, end);
    }
}

/// Stream the normalised form of `text`: NFKC, case folding, quotes/dashes folded,
/// whitespace runs collapsed to one space and trimmed, digits optionally masked to `0`.
pub fn normalize_with<F: FnMut(char, usize, usize)>(text: &str, mask_digits: bool, emit: F) {
    let mut pipeline = Normalizer { mask_digits, emit, emitted_any: false, pending_space: None };
    let bytes = text.as_bytes();
    let mut segment = Segment::default();
    let (mut pos, mut index) = (0usize, 0usize);
    while pos < bytes.len() {
        let byte = bytes[pos];
        if byte < 0x80 {
            // ASCII is most of real text: an ASCII character always starts a segment, and
            // only a following non-ASCII character (a combining mark) can extend it.
            segment.flush(&mut pipeline);
            if bytes.get(pos + 1).is_none_or(|&next| next < 0x80) {
                pipeline.produce((byte as char).to_ascii_lowercase(), index, index + 1);
            } else {
                segment.start_ascii(byte, index);
            }
            pos += 1;
            index += 1;
            continue;
        }
        let c = text[pos..].chars().next().expect("pos is a char boundary inside the text");
        pos += c.len_utf8();
        segment.push_non_ascii(c, index, &mut pipeline);
        index += 1;
    }
    segment.flush(&mut pipeline);
}

/// The normalised text, and for each of its characters the original span `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Normalized {
    pub text: String,
    pub starts: Vec<usize>,
    pub ends: Vec<usize>,
}

pub fn normalize(text: &str, mask_digits: bool) -> Normalized {
    let mut out = Normalized::default();
    normalize_with(text, mask_digits, |c, start, end| {
        out.text.push(c);
        out.starts.push(start);
        out.ends.push(end);
    });
    out
}

pub type Span = (usize, usize);

/// Lines (split on LF, a trailing CR left out) and paragraphs (runs of non-blank lines).
pub fn segment(text: &str) -> (Vec<Span>, Vec<Span>) {
    let mut lines = Vec::new();
    let mut blank = Vec::new();
    let (mut line_start, mut line_blank, mut prev_cr) = (0usize, true, false);
    let mut index = 0usize;
    for c in text.chars() {
        if c == '\n' {
            lines.push((line_start, if prev_cr { index - 1 } else { index }));
            blank.push(line_blank);
            line_start = index + 1;
            line_blank = true;
            prev_cr = false;
        } else {
            line_blank &= is_whitespace(c);
            prev_cr = c == '\r';
        }
        index += 1;
    }
    lines.push((line_start, if prev_cr { index - 1 } else { index }));
    blank.push(line_blank);

    let mut paragraphs = Vec::new();
    let mut current: Option<Span> = None;
    for (&(start, end), &is_blank) in lines.iter().zip(&blank) {
        if is_blank {
            if let Some(paragraph) = current.take() {
                paragraphs.push(paragraph);
            }
        } else {
            current = Some((current.map_or(start, |p| p.0), end));
        }
    }
    paragraphs.extend(current);
    (lines, paragraphs)
}

/// The tokens of a text joined by one space in a single buffer, with each token's byte range
/// in that buffer and its span in the original. One buffer, so that a word n-gram is a
/// contiguous slice of it, hashed without copying.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinedTokens {
    pub text: String,
    pub ranges: Vec<(usize, usize)>,
    pub spans: Vec<Span>,
}

impl JoinedTokens {
    /// Room for the tokens of a text of `bytes` bytes: English averages about six bytes per
    /// word with its separator; more tokens than that only reallocate.
    fn with_capacity(bytes: usize) -> Self {
        let tokens = bytes / 6 + 1;
        JoinedTokens {
            text: String::with_capacity(bytes),
            ranges: Vec::with_capacity(tokens),
            spans: Vec::with_capacity(tokens),
        }
    }

    #[inline]
    fn open(&mut self, start: usize) {
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.ranges.push((self.text.len(), self.text.len()));
        self.spans.push((start, start));
    }

    #[inline]
    fn close(&mut self, end: usize) {
        let last = self.ranges.len() - 1;
        self.ranges[last].1 = self.text.len();
        self.spans[last].1 = end;
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

/// Tokens of the normalised text: runs of word characters (with their marks), and one token
/// per letter of a script written without spaces; everything else separates tokens.
pub fn tokenize_joined(text: &str) -> JoinedTokens {
    if text.is_ascii() {
        ascii_tokens(text)
    } else {
        general_tokens(text)
    }
}

/// The reference rule, written as `normalize_with` feeding the tokenizer. Kept as the
/// specification the fast path is tested against.
#[cfg(test)]
fn reference_tokens(text: &str) -> JoinedTokens {
    let mut out = JoinedTokens::default();
    let (mut in_token, mut kind, mut last_end) = (false, CLASS_OTHER, 0usize);
    normalize_with(text, false, |c, start, end| {
        let class = char_class(c);
        if in_token && (class == CLASS_MARK || (class == CLASS_WORD && kind == CLASS_WORD)) {
            out.text.push(c);
            last_end = end;
            return;
        }
        if in_token {
            out.close(last_end);
            in_token = false;
        }
        if class == CLASS_WORD || class == CLASS_SPACELESS {
            out.open(start);
            out.text.push(c);
            (in_token, kind, last_end) = (true, class, end);
        }
    });
    if in_token {
        out.close(last_end);
    }
    out
}

#[inline(always)]
fn is_ascii_word_byte(b: u8) -> bool {
    (b | 0x20).wrapping_sub(b'a') < 26 || b.wrapping_sub(b'0') < 10 || b == b'_'
}

/// Bit `j` set iff `bytes[at + j]` is an ASCII word byte `[0-9A-Za-z_]`; bits past the end of
/// `bytes` are clear.
#[inline]
fn word_mask(bytes: &[u8], at: usize) -> u64 {
    let block = &bytes[at.min(bytes.len())..bytes.len().min(at + 64)];
    #[cfg(target_arch = "x86_64")]
    if let Ok(full) = <&[u8; 64]>::try_from(block) {
        return word_mask_sse2(full);
    }
    let mut mask = 0u64;
    for (j, &b) in block.iter().enumerate() {
        mask |= (is_ascii_word_byte(b) as u64) << j;
    }
    mask
}

/// `word_mask` of a full block, 16 bytes per compare (SSE2 is part of every x86_64 CPU).
#[cfg(target_arch = "x86_64")]
#[inline]
fn word_mask_sse2(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::*;
    let mut mask = 0u64;
    for k in 0..4 {
        // SAFETY: SSE2 is enabled on every x86_64 target; the unaligned load reads the 16
        // bytes `block[16k..16k + 16]`, inside the array.
        let bits = unsafe {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k) as *const __m128i);
            let bias = _mm_set1_epi8(i8::MIN);
            // `x - lo` as unsigned `< n`, as a signed compare of both sides biased by 128.
            let letter = _mm_xor_si128(
                _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8(b'a' as i8)),
                bias,
            );
            let digit = _mm_xor_si128(_mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8)), bias);
            let word = _mm_or_si128(
                _mm_or_si128(
                    _mm_cmplt_epi8(letter, _mm_set1_epi8((26u8 ^ 0x80) as i8)),
                    _mm_cmplt_epi8(digit, _mm_set1_epi8((10u8 ^ 0x80) as i8)),
                ),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'_' as i8)),
            );
            _mm_movemask_epi8(word) as u16 as u64
        };
        mask |= bits << (16 * k);
    }
    mask
}

/// The tokenizer's state, fed by the normalisation pipeline of `normalize_with` inlined.
///
/// A whitespace character only ever turns into a separating space (collapsed, trimmed), and
/// a space only closes the open token without moving its end, so here whitespace closes the
/// token at once; the tokens and spans are those of `reference_tokens`.
struct Tokenizer {
    out: JoinedTokens,
    in_token: bool,
    kind: u8,
    last_end: usize,
}

impl Tokenizer {
    /// A maximal stretch of ASCII bytes each followed by an ASCII byte (or the end): each is
    /// its own normalisation segment, normalised by lowercasing, starting at char `index`.
    #[inline]
    fn ascii_run(&mut self, run: &str, index: usize) {
        let bytes = run.as_bytes();
        // Lowercased in one pass (vectorised), then copied word by word.
        let lower = run.to_ascii_lowercase();
        let (mut i, mut base, mut mask) = (0usize, 0usize, word_mask(bytes, 0));
        while i < bytes.len() {
            if i - base >= 64 {
                (base, mask) = (i, word_mask(bytes, i));
            }
            let rel = i - base;
            let bits = mask >> rel;
            if bits & 1 == 0 {
                // A non-word byte (bits past the end of the run are never reached here).
                if self.in_token {
                    self.out.close(self.last_end);
                    self.in_token = false;
                }
                i += (bits.trailing_zeros() as usize).min(64 - rel);
                continue;
            }
            // Word bytes up to the end of this block: a whole word or a piece of one, which
            // the next piece extends.
            let end = i + ((!bits).trailing_zeros() as usize).min(64 - rel);
            if !(self.in_token && self.kind == CLASS_WORD) {
                if self.in_token {
                    self.out.close(self.last_end);
                }
                self.out.open(index + i);
                (self.in_token, self.kind) = (true, CLASS_WORD);
            }
            self.out.text.push_str(&lower[i..end]);
            self.last_end = index + end;
            i = end;
        }
    }
}

impl Produce for Tokenizer {
    /// One normalised character (after NFKC and case folding) of a non-trivial segment.
    #[inline]
    fn produce(&mut self, c: char, start: usize, end: usize) {
        let c = fold_punctuation(c);
        if is_whitespace(c) {
            if self.in_token {
                self.out.close(self.last_end);
                self.in_token = false;
            }
            return;
        }
        let class = char_class(c);
        if self.in_token && (class == CLASS_MARK || (class == CLASS_WORD && self.kind == CLASS_WORD)) {
            self.out.text.push(c);
            self.last_end = end;
            return;
        }
        if self.in_token {
            self.out.close(self.last_end);
            self.in_token = false;
        }
        if class == CLASS_WORD || class == CLASS_SPACELESS {
            self.out.open(start);
            self.out.text.push(c);
            (self.in_token, self.kind, self.last_end) = (true, class, end);
        }
    }
}

/// `reference_tokens` with the segmentation loop of `normalize_with` inlined: runs of ASCII
/// bytes go through `Tokenizer::ascii_run`, only the segments holding non-ASCII characters
/// (and the ASCII character just before one, which a combining mark may extend) through the
/// general machinery.
fn general_tokens(text: &str) -> JoinedTokens {
    let bytes = text.as_bytes();
    let mut tok = Tokenizer {
        out: JoinedTokens::with_capacity(bytes.len()),
        in_token: false,
        kind: CLASS_OTHER,
        last_end: 0,
    };
    let mut segment = Segment::default();
    let (mut pos, mut index) = (0usize, 0usize);
    while pos < bytes.len() {
        if bytes[pos] < 0x80 {
            segment.flush(&mut tok);
            let run_end = bytes[pos..].iter().position(|&b| b >= 0x80).map_or(bytes.len(), |p| pos + p);
            // Every byte of the run but a last one followed by a non-ASCII character.
            let direct_end = if run_end == bytes.len() { run_end } else { run_end - 1 };
            tok.ascii_run(&text[pos..direct_end], index);
            index += direct_end - pos;
            pos = direct_end;
            if pos < run_end {
                segment.start_ascii(bytes[pos], index);
                pos += 1;
                index += 1;
            }
            continue;
        }
        let c = text[pos..].chars().next().expect("pos is a char boundary inside the text");
        pos += c.len_utf8();
        segment.push_non_ascii(c, index, &mut tok);
        index += 1;
    }
    segment.flush(&mut tok);
    if tok.in_token {
        tok.out.close(tok.last_end);
    }
    tok.out
}

/// `tokenize_joined` for all-ASCII text, where normalising is lowercasing and a token is a run
/// of `[a-z0-9_]` whose span is its own bytes. Most real text is ASCII; this loop is the same
/// rule without the general machinery.
fn ascii_tokens(text: &str) -> JoinedTokens {
    let mut tok = Tokenizer {
        out: JoinedTokens::with_capacity(text.len()),
        in_token: false,
        kind: CLASS_OTHER,
        last_end: 0,
    };
    tok.ascii_run(text, 0);
    if tok.in_token {
        tok.out.close(tok.last_end);
    }
    tok.out
}

pub fn tokenize(text: &str) -> (Vec<String>, Vec<Span>) {
    let joined = tokenize_joined(text);
    let tokens = joined.ranges.iter().map(|&(s, e)| joined.text[s..e].to_owned()).collect();
    (tokens, joined.spans)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShingleKind {
    Word,
    Char,
}

impl ShingleKind {
    pub fn parse(name: &str) -> Result<Self, Error> {
        match name {
            "word" => Ok(ShingleKind::Word),
            "char" => Ok(ShingleKind::Char),
            other => Err(Error::InvalidArgument(format!("kind must be 'word' or 'char', got '{other}'"))),
        }
    }
}

pub fn check_ngram(n: usize) -> Result<(), Error> {
    if n == 0 {
        return Err(Error::InvalidArgument("n must be an int >= 1, got 0".into()));
    }
    Ok(())
}

/// Hashes of the word or character n-grams of the normalised text, in order of occurrence.
/// A word n-gram is its tokens joined by one space; a text with fewer than `n` units gives
/// one shingle of all of them, an empty one none.
pub fn shingles(text: &str, n: usize, kind: ShingleKind, seed: u64) -> Result<Vec<u64>, Error> {
    check_ngram(n)?;
    let (units, ranges) = match kind {
        ShingleKind::Word => {
            let joined = tokenize_joined(text);
            (joined.text, joined.ranges)
        }
        ShingleKind::Char => {
            let mut units = String::new();
            let mut ranges = Vec::new();
            normalize_with(text, false, |c, _, _| {
                let start = units.len();
                units.push(c);
                ranges.push((start, units.len()));
            });
            (units, ranges)
        }
    };
    let count = ranges.len();
    if count == 0 {
        return Ok(Vec::new());
    }
    let width = n.min(count);
    let bytes = units.as_bytes();
    Ok((0..=count - width).map(|i| hash64(&bytes[ranges[i].0..ranges[i + width - 1].1], seed)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_case_quotes_and_space() {
        let n = normalize("  Héllo   \u{201C}World\u{201D} \u{2014} \u{FB01}ne\u{AD}x  ", false);
        assert_eq!(n.text, "héllo \"world\" - finex");
        assert_eq!(n.starts.len(), n.text.chars().count());
        // The collapsed space between words spans the whole original run.
        assert_eq!((n.starts[5], n.ends[5]), (7, 10));
    }

    #[test]
    fn normalize_masks_digits_and_keeps_unassigned() {
        assert_eq!(normalize("A1\u{0663}", true).text, "a00");
        // U+1FAF9 is unassigned in Unicode 14: passed through untouched.
        assert_eq!(normalize("\u{1FAF9}X", false).text, "\u{1FAF9}x");
    }

    #[test]
    fn normalize_composes_across_marks() {
        let n = normalize("e\u{301}A", false);
        assert_eq!(n.text, "\u{E9}a");
        assert_eq!((n.starts[0], n.ends[0]), (0, 2));
    }

    #[test]
    fn segment_lines_and_paragraphs() {
        let (lines, paragraphs) = segment("a\r\nb\n\n  \nc\nd");
        assert_eq!(lines, vec![(0, 1), (3, 4), (5, 5), (6, 8), (9, 10), (11, 12)]);
        assert_eq!(paragraphs, vec![(0, 4), (9, 12)]);
        assert_eq!(segment("").0, vec![(0, 0)]);
    }

    #[test]
    fn tokenize_words_and_spaceless_scripts() {
        let (tokens, spans) = tokenize("東京 Tower\u{2019}s café_1");
        assert_eq!(tokens, vec!["東", "京", "tower", "s", "café_1"]);
        assert_eq!(spans[2], (3, 8));
    }

    #[test]
    fn ascii_fast_path_equals_the_general_path() {
        for text in [
            "",
            " ",
            "A b_c, D9\t\n\r\x00x",
            "  lead and trail  ",
            "it's e-mail: x@y.z\r\n\r\nok_",
            "___ 123",
            &"Ab".repeat(100),
            &format!("{} {}!x", "w".repeat(63), "Q_9".repeat(50)),
            &"a b-cd".repeat(40),
        ] {
            assert_eq!(ascii_tokens(text), general_tokens(text), "{text:?}");
            assert_eq!(ascii_tokens(text), reference_tokens(text), "{text:?}");
        }
    }

    #[test]
    fn word_mask_agrees_with_the_byte_rule() {
        let bytes: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        for at in [0, 1, 63, 64, 100, 200, 300, 448, 449, 511, 512] {
            let mask = word_mask(&bytes, at);
            for j in 0..64 {
                let expected = bytes.get(at + j).is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_');
                assert_eq!(mask >> j & 1 == 1, expected, "at={at} j={j}");
            }
        }
    }

    #[test]
    fn ascii_runs_equal_the_reference_at_every_boundary() {
        let others = [
            "\u{301}",
            "\u{308}\u{301}",
            "\u{AD}",
            "\u{200B}",
            "\u{FEFF}",
            "\u{A0}",
            "\u{3000}",
            "\u{2019}",
            "\u{201C}",
            "\u{2014}",
            "\u{BB}",
            "\u{A9}",
            "\u{A8}",
            "\u{FB01}",
            "\u{2474}",
            "\u{E9}",
            "\u{130}",
            "\u{DF}",
            "東京",
            "\u{E01}\u{E31}",
            "\u{1FAF9}",
            "\u{663}",
            "\u{FF21}",
            "\u{2163}",
            "\u{85}",
        ];
        let asciis = ["", "a", "Ab", "x_1", " ", "  z ", "-", "e ", "9", "\t", "a.b"];
        for left in asciis {
            for other in others {
                for right in asciis {
                    for tail in ["", "\u{301}", "q\u{308}", " \u{E9}"] {
                        let text = format!("{left}{other}{right}{tail}{other}{left}");
                        assert_eq!(general_tokens(&text), reference_tokens(&text), "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn shingles_short_and_empty_texts() {
        assert!(shingles("", 3, ShingleKind::Word, 0).unwrap().is_empty());
        let short = shingles("one two", 3, ShingleKind::Word, 0).unwrap();
        assert_eq!(short, vec![hash64(b"one two", 0)]);
        let words = shingles("A b, C d", 3, ShingleKind::Word, 7).unwrap();
        assert_eq!(words, vec![hash64(b"a b c", 7), hash64(b"b c d", 7)]);
        assert_eq!(
            shingles("Abc", 2, ShingleKind::Char, 0).unwrap(),
            vec![hash64(b"ab", 0), hash64(b"bc", 0)]
        );
        assert!(shingles("x", 0, ShingleKind::Char, 0).is_err());
    }
}
