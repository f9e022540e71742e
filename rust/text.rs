//! Text primitives: normalise, segment, tokenise, shingle.
//!
//! The pure-Python reference (`python/neardup/_reference/text.py`) is the specification;
//! this module follows it step for step. All positions are indices of Unicode scalar values
//! (Python `str` indices) into the caller's original text.

use std::mem::MaybeUninit;

use unicode_normalization::UnicodeNormalization;

use crate::error::Error;
use crate::hash::hash64;
use crate::unicode_tables as tables;

/// casefold(NFKC(x)) is applied to a segment until it no longer changes, at most this often.
const MAX_FOLD_ROUNDS: usize = 4;

pub const CLASS_OTHER: u8 = 0;
pub const CLASS_WORD: u8 = 1;
pub const CLASS_MARK: u8 = 2;
pub const CLASS_SPACELESS: u8 = 3;

/// Invisible formatting removed before anything else (soft hyphen, zero-width characters, BOM).
#[inline]
fn is_ignorable(c: char) -> bool {
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
fn is_unsafe_start(cp: u32) -> bool {
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

/// Whether `fold_segment(segment) == segment`, known without allocating: already NFKC (the
/// quick check says so) and no character case-folds. Most non-ASCII segments of real text
/// (dashes, no-break spaces, box drawing, lowercase letters) are.
fn is_fold_stable(segment: &str) -> bool {
    unicode_normalization::is_nfkc_quick(segment.chars()) == unicode_normalization::IsNormalized::Yes
        && segment.chars().all(|c| {
            c.is_ascii_lowercase()
                || (!c.is_ascii_uppercase()
                    && tables::CASEFOLD.binary_search_by_key(&(c as u32), |&(k, _)| k).is_err())
        })
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
        if opaque || is_fold_stable(segment) {
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
    /// The last lone non-ASCII character found to fold to itself: real text repeats a few
    /// (box drawing, dashes, no-break spaces) many times.
    stable: Option<char>,
}

impl Segment {
    #[inline]
    fn flush(&mut self, sink: &mut impl Produce) {
        if self.chars.is_empty() {
            return;
        }
        let mut chars = self.chars.chars();
        if let (Some(only), None) = (chars.next(), chars.next()) {
            if !only.is_ascii() && (self.stable == Some(only) || is_fold_stable(&self.chars)) {
                self.stable = Some(only);
                sink.produce(only, self.start, self.end);
                self.chars.clear();
                return;
            }
        }
        sink.flush_segment(&self.chars, self.start, self.end, self.opaque);
        self.chars.clear();
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

/// [`normalize_with`] of an ASCII line, streamed without spans (digits masked when
/// `mask_digits`): for ASCII, normalisation is exactly lower-case, digits to `0` when masked,
/// whitespace runs to one space, trimmed, and a byte loop is several times faster.
pub fn ascii_fold<F: FnMut(char)>(line: &str, mask_digits: bool, mut emit: F) {
    let (mut pending_space, mut emitted) = (false, false);
    for &b in line.as_bytes() {
        if matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ') {
            pending_space = true;
            continue;
        }
        if pending_space && emitted {
            emit(' ');
        }
        pending_space = false;
        emitted = true;
        let c = if mask_digits && b.is_ascii_digit() { b'0' } else { b.to_ascii_lowercase() };
        emit(c as char);
    }
}

/// Code points below this have a precomputed single-character normalisation (Latin, Greek,
/// Cyrillic, general punctuation, ...).
const SIMPLE_LIMIT: u32 = 0x3000;
const SIMPLE_FALLBACK: u32 = u32::MAX;
const SIMPLE_SPACE: u32 = u32::MAX - 1;

/// Per code point below [`SIMPLE_LIMIT`]: what normalisation makes of it between two plain
/// letters when it is its own segment: one character (its code), whitespace
/// ([`SIMPLE_SPACE`]), or anything else ([`SIMPLE_FALLBACK`]: ignorable, several
/// characters, or a character that combines with its neighbour).
fn simple_table() -> &'static [u32] {
    static TABLE: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..SIMPLE_LIMIT)
            .map(|cp| {
                let Some(c) = char::from_u32(cp) else { return SIMPLE_FALLBACK };
                if cp < 0x80 || is_unsafe_start(cp) || is_ignorable(c) {
                    return SIMPLE_FALLBACK;
                }
                let mut out = String::new();
                normalize_with(&format!("a{c}a"), false, |x, _, _| out.push(x));
                let inner: Vec<char> = out.chars().collect();
                match inner.as_slice() {
                    ['a', ' ', 'a'] => SIMPLE_SPACE,
                    ['a', x, 'a'] if *x != ' ' => *x as u32,
                    _ => SIMPLE_FALLBACK,
                }
            })
            .collect()
    })
}

/// [`normalize_with`] (digits unmasked, no spans) of a line whose characters are ASCII or in the
/// simple table and none of which combines with its neighbour: every character is then its
/// own segment, so the line normalises character by character. Returns false (with `out`
/// partly written) when the line needs the general pipeline.
pub fn simple_fold(line: &str, out: &mut String) -> bool {
    let table = simple_table();
    let (mut pending_space, mut emitted) = (false, false);
    for c in line.chars() {
        let cp = c as u32;
        let mapped = if cp < 0x80 {
            if matches!(cp, 0x09..=0x0D | 0x20) {
                SIMPLE_SPACE
            } else {
                (c.to_ascii_lowercase()) as u32
            }
        } else if cp < SIMPLE_LIMIT {
            table[cp as usize]
        } else {
            SIMPLE_FALLBACK
        };
        if mapped == SIMPLE_FALLBACK {
            return false;
        }
        if mapped == SIMPLE_SPACE {
            pending_space = true;
            continue;
        }
        if pending_space && emitted {
            out.push(' ');
        }
        pending_space = false;
        emitted = true;
        out.push(char::from_u32(mapped).unwrap_or('\u{fffd}'));
    }
    true
}

/// Python's `str.isspace`: what `str.strip()` removes and `str.split()` splits on (Rust's
/// `char::is_whitespace` leaves out U+001C..U+001F).
pub fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r' | '\u{1C}'..='\u{1F}' | ' ' | '\u{85}' | '\u{A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}'
            | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
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

    #[cfg(test)]
    fn open(&mut self, start: usize) {
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.ranges.push((self.text.len(), self.text.len()));
        self.spans.push((start, start));
    }

    #[cfg(test)]
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
    let mut out = JoinedTokens::with_capacity(text.len());
    tokens_into::<true>(text, &mut out);
    out
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
/// token at once; the tokens and spans are those of `reference_tokens`. With `SPANS` false
/// the original spans are not recorded (`out.spans` stays empty): shingling needs only the
/// joined text and the token ranges.
struct Tokenizer<'a, const SPANS: bool> {
    out: &'a mut JoinedTokens,
    in_token: bool,
    kind: u8,
    last_end: usize,
}

impl<const SPANS: bool> Tokenizer<'_, SPANS> {
    #[inline]
    fn open(&mut self, start: usize) {
        let out = &mut *self.out;
        if !out.text.is_empty() {
            out.text.push(' ');
        }
        out.ranges.push((out.text.len(), out.text.len()));
        if SPANS {
            out.spans.push((start, start));
        }
    }

    #[inline]
    fn close(&mut self) {
        let out = &mut *self.out;
        let last = out.ranges.len() - 1;
        out.ranges[last].1 = out.text.len();
        if SPANS {
            out.spans[last].1 = self.last_end;
        }
        self.in_token = false;
    }

    /// A maximal stretch of ASCII bytes each followed by an ASCII byte (or the end): each is
    /// its own normalisation segment, normalised by lowercasing, starting at char `index`.
    #[inline]
    fn ascii_run(&mut self, run: &str, index: usize) {
        let bytes = run.as_bytes();
        #[cfg(target_arch = "x86_64")]
        if !SPANS {
            match packing() {
                // SAFETY (both): the CPU has the features the function is compiled for (`packing`).
                Packing::Avx512 => return unsafe { self.ascii_run_packed_avx512(bytes) },
                Packing::Avx2 => return unsafe { self.ascii_run_packed_avx2(bytes) },
                Packing::Words => {}
            }
        }
        // The joined text grows by at most the run's bytes plus one separator; `push_lower`
        // may write 16 bytes past what it keeps.
        self.out.text.reserve(bytes.len() + 1 + LOWER_SLACK);
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
                    self.close();
                }
                i += (bits.trailing_zeros() as usize).min(64 - rel);
                continue;
            }
            // Word bytes up to the end of this block: a whole word or a piece of one, which
            // the next piece extends.
            let end = i + ((!bits).trailing_zeros() as usize).min(64 - rel);
            if !(self.in_token && self.kind == CLASS_WORD) {
                if self.in_token {
                    self.close();
                }
                self.open(index + i);
                (self.in_token, self.kind) = (true, CLASS_WORD);
            }
            push_lower(&mut self.out.text, bytes, i, end);
            self.last_end = index + end;
            i = end;
        }
    }

    /// `ascii_run` without spans (`SPANS` false), 64 bytes per step and no work per byte: the
    /// bytes to keep (word bytes, and the one non-word byte before each word that becomes the
    /// separating space) are lowercased and packed into the joined text, and the token starts
    /// and ends are read off the packed bit masks. `load(bytes, at)` gives the block of the up
    /// to 64 bytes from `at` (zeros past the end) and the mask of its word bytes;
    /// `pack(block, words, keep, spare)` writes the `keep` bytes of the block, in order, word
    /// bytes lowercased and the others as spaces, at the start of `spare` (it may write all
    /// 64); `squeeze(bits, keep)` is `pext(bits, keep)` for `bits` within `keep`.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn ascii_run_packed<B: Copy>(
        &mut self,
        bytes: &[u8],
        load: impl Fn(&[u8], usize) -> (B, u64),
        empty: B,
        pack: impl Fn(B, u64, u64, &mut [MaybeUninit<u8>; 64]),
        squeeze: impl Fn(u64, u64) -> u64,
    ) {
        debug_assert!(!SPANS, "records no spans");
        let len = bytes.len();
        if len == 0 {
            return;
        }
        let first_word = is_ascii_word_byte(bytes[0]);
        // An open token goes on only if it is a word and the run starts with a word byte.
        if self.in_token && !(self.kind == CLASS_WORD && first_word) {
            self.close();
        }
        let out = &mut *self.out;
        // The joined text grows by at most `len + 1` bytes, and each block may write 64.
        out.text.reserve(len + 1 + 64);
        out.ranges.reserve(len / 2 + 2);
        if first_word && !self.in_token && !out.text.is_empty() {
            out.text.push(' ');
        }
        // Whether the byte before the current one belongs to an open word token.
        let mut carry = self.in_token as u64;
        // Index of the first token whose end is still to be set.
        let mut closed = out.ranges.len() - self.in_token as usize;
        let (mut v, mut w) = load(bytes, 0);
        let mut at = 0;
        while at < len {
            let next_at = at + 64;
            let (next_v, next_w) = if next_at < len { load(bytes, next_at) } else { (empty, 0) };
            let valid = if len - at >= 64 { u64::MAX } else { (1u64 << (len - at)) - 1 };
            // Bit j: byte j + 1 is a word byte (nothing follows the run: no separator there).
            let next = (w >> 1) | (next_w << 63);
            // The run's last byte, if a word byte, leaves its token open: a following
            // non-ASCII character may extend it; `close` ends it.
            let last = if next_at >= len { 1u64 << (len - 1 - at) } else { 0 };
            let separators = !w & next & valid;
            let starts = w & !((w << 1) | carry);
            let ends = w & !next & !last;
            let mut keep = w | separators;
            if out.text.is_empty() {
                // No separator before the first token of the text.
                let lowest = keep & keep.wrapping_neg();
                keep &= !(lowest & separators);
            }
            let base = out.text.len();
            // SAFETY: the text is only read back as the `keep.count_ones()` bytes `pack` wrote
            // (lowercase ASCII and spaces, valid UTF-8); the reserve above leaves at least 64
            // bytes of spare capacity (the text has grown by at most `at + 1` bytes since,
            // `at < len`), so the `expect` cannot fail.
            unsafe {
                let vec = out.text.as_mut_vec();
                let spare = (&mut vec.spare_capacity_mut()[..64]).try_into().expect("64 spare bytes");
                pack(v, w, keep, spare);
                vec.set_len(base + keep.count_ones() as usize);
            }
            let mut s = squeeze(starts, keep);
            while s != 0 {
                let p = base + s.trailing_zeros() as usize;
                out.ranges.push((p, p));
                s &= s - 1;
            }
            let mut e = squeeze(ends, keep);
            while e != 0 {
                out.ranges[closed].1 = base + e.trailing_zeros() as usize + 1;
                closed += 1;
                e &= e - 1;
            }
            carry = w >> 63;
            (v, w, at) = (next_v, next_w, next_at);
        }
        let last_word = is_ascii_word_byte(bytes[len - 1]);
        debug_assert_eq!(closed, out.ranges.len() - last_word as usize);
        self.in_token = last_word;
        if last_word {
            self.kind = CLASS_WORD;
        }
    }

    /// `ascii_run_packed` with AVX-512: masked loads and compares, and VBMI2's byte compress.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,bmi2,popcnt")]
    fn ascii_run_packed_avx512(&mut self, bytes: &[u8]) {
        use std::arch::x86_64::*;
        self.ascii_run_packed(
            bytes,
            |bytes, at| load_block_avx512(bytes, at),
            _mm512_setzero_si512(),
            |v, words, keep, spare| {
                let upper = _mm512_cmplt_epu8_mask(
                    _mm512_sub_epi8(v, _mm512_set1_epi8(b'A' as i8)),
                    _mm512_set1_epi8(26),
                );
                let lowered = _mm512_mask_add_epi8(v, upper, v, _mm512_set1_epi8(0x20));
                let mapped = _mm512_mask_mov_epi8(_mm512_set1_epi8(b' ' as i8), words, lowered);
                // SAFETY: `spare` has 64 bytes.
                unsafe {
                    _mm512_storeu_si512(spare.as_mut_ptr().cast(), _mm512_maskz_compress_epi8(keep, mapped))
                };
            },
            |bits, keep| _pext_u64(bits, keep),
        )
    }

    /// `ascii_run_packed` with AVX2: the block mapped (lowercased, non-word bytes as spaces)
    /// 32 bytes at a time, packed 8 bytes at a time by a byte shuffle from a table; the token
    /// bounds squeezed by counting bits (no `pext`, which some AVX2 CPUs microcode slowly).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt")]
    fn ascii_run_packed_avx2(&mut self, bytes: &[u8]) {
        use std::arch::x86_64::*;
        self.ascii_run_packed(
            bytes,
            |bytes, at| load_block_avx2(bytes, at),
            [_mm256_setzero_si256(); 2],
            |mapped, _, keep, spare| {
                let mut dst = spare.as_mut_ptr();
                for (half, v) in mapped.into_iter().enumerate() {
                    for (quarter, lane) in
                        [_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v)].into_iter().enumerate()
                    {
                        let bits = keep >> (32 * half + 16 * quarter);
                        for (upper, byte_keep) in [bits as u8, (bits >> 8) as u8].into_iter().enumerate() {
                            let order =
                                PACK_SHUFFLES[byte_keep as usize] | (0x0808_0808_0808_0808 * upper as u64);
                            // SAFETY: each store writes 8 bytes at the count of kept bytes
                            // before them, at most 56: inside `spare`'s 64.
                            unsafe {
                                _mm_storel_epi64(
                                    dst.cast(),
                                    _mm_shuffle_epi8(lane, _mm_cvtsi64_si128(order as i64)),
                                );
                                dst = dst.add(byte_keep.count_ones() as usize);
                            }
                        }
                    }
                }
            },
            |bits, keep| {
                let (mut rest, mut squeezed) = (bits, 0u64);
                while rest != 0 {
                    squeezed |= 1 << (keep & ((1u64 << rest.trailing_zeros()) - 1)).count_ones();
                    rest &= rest - 1;
                }
                squeezed
            },
        )
    }
}

/// How `Tokenizer::ascii_run` handles a run when it records no spans: 64 bytes per step with
/// AVX-512 (VBMI2's byte compress) or AVX2, or word by word (the portable path, and any run
/// whose spans are recorded).
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Packing {
    Words,
    Avx2,
    Avx512,
}

/// The widest packing the SIMD path (`simd::current`, which `NEARDUP_SIMD` may narrow) and
/// the CPU allow.
#[cfg(target_arch = "x86_64")]
#[inline]
fn packing() -> Packing {
    use crate::simd::SimdPath;
    use std::arch::is_x86_feature_detected as has;
    let path = crate::simd::current();
    if path == SimdPath::Avx512
        && has!("avx512f")
        && has!("avx512bw")
        && has!("avx512vbmi2")
        && has!("bmi2")
        && has!("popcnt")
    {
        Packing::Avx512
    } else if path >= SimdPath::Avx2 && has!("avx2") && has!("popcnt") {
        Packing::Avx2
    } else {
        Packing::Words
    }
}

/// Per 8-bit keep mask, the byte shuffle that moves the kept bytes of 8 to the front, in
/// order (one index per byte, little-endian; 0x80 zeroes the bytes past them). Or-ing
/// 0x08 into every byte takes the upper 8 bytes of a 16-byte lane instead (0x88 still zeroes).
#[cfg(target_arch = "x86_64")]
const PACK_SHUFFLES: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut mask = 0;
    while mask < 256 {
        let (mut order, mut bit, mut kept) = (0x8080_8080_8080_8080u64, 0, 0);
        while bit < 8 {
            if mask >> bit & 1 == 1 {
                order = order & !(0xFF << (8 * kept)) | (bit as u64) << (8 * kept);
                kept += 1;
            }
            bit += 1;
        }
        table[mask] = order;
        mask += 1;
    }
    table
};

/// Load the up to 64 bytes of `bytes` from `at` (zeros past the end) and the mask of its
/// ASCII word bytes `[0-9A-Za-z_]`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
fn load_block_avx512(bytes: &[u8], at: usize) -> (std::arch::x86_64::__m512i, u64) {
    use std::arch::x86_64::*;
    debug_assert!(at < bytes.len());
    let valid = match bytes.len() - at {
        rest if rest >= 64 => u64::MAX,
        rest => (1u64 << rest) - 1,
    };
    // SAFETY: `at` is inside `bytes`; the masked load reads only the `valid` bytes, all in it.
    let v = unsafe { _mm512_maskz_loadu_epi8(valid, bytes.as_ptr().add(at) as *const i8) };
    let letter = _mm512_cmplt_epu8_mask(
        _mm512_sub_epi8(_mm512_or_si512(v, _mm512_set1_epi8(0x20)), _mm512_set1_epi8(b'a' as i8)),
        _mm512_set1_epi8(26),
    );
    let digit =
        _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8(b'0' as i8)), _mm512_set1_epi8(10));
    let underscore = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'_' as i8));
    (v, (letter | digit | underscore) & valid)
}

/// The up to 64 bytes of `bytes` from `at` (zeros past the end) mapped for packing (word
/// bytes lowercased, the others spaces), and the mask of its ASCII word bytes `[0-9A-Za-z_]`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn load_block_avx2(bytes: &[u8], at: usize) -> ([std::arch::x86_64::__m256i; 2], u64) {
    use std::arch::x86_64::*;
    let rest = &bytes[at..];
    let mut padded = [0u8; 64];
    let block = match <&[u8; 64]>::try_from(rest.get(..64).unwrap_or_default()) {
        Ok(block) => block,
        Err(_) => {
            padded[..rest.len()].copy_from_slice(rest);
            &padded
        }
    };
    let (mut mapped, mut words) = ([_mm256_setzero_si256(); 2], 0u64);
    for (half, slot) in mapped.iter_mut().enumerate() {
        // SAFETY: bytes `32 half .. 32 half + 32` of a 64-byte array.
        let v = unsafe { _mm256_loadu_si256(block.as_ptr().add(32 * half).cast()) };
        // `x - lo` as unsigned `< n`, as a signed compare of both sides biased by 128.
        let bias = _mm256_set1_epi8(i8::MIN);
        let below = |x: __m256i, lo: u8, n: u8| {
            _mm256_cmpgt_epi8(
                _mm256_set1_epi8((n ^ 0x80) as i8),
                _mm256_xor_si256(_mm256_sub_epi8(x, _mm256_set1_epi8(lo as i8)), bias),
            )
        };
        let word = _mm256_or_si256(
            _mm256_or_si256(below(_mm256_or_si256(v, _mm256_set1_epi8(0x20)), b'a', 26), below(v, b'0', 10)),
            _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'_' as i8)),
        );
        let lowered = _mm256_or_si256(v, _mm256_and_si256(below(v, b'A', 26), _mm256_set1_epi8(0x20)));
        *slot = _mm256_blendv_epi8(_mm256_set1_epi8(b' ' as i8), lowered, word);
        words |= (_mm256_movemask_epi8(word) as u32 as u64) << (32 * half);
    }
    (mapped, words)
}

/// Bytes `push_lower` may write past the end of what it appends (capacity it needs spare).
const LOWER_SLACK: usize = 16;

/// Append the ASCII lowercase of `bytes[start..end]` (ASCII word bytes) to `text`, whose spare
/// capacity must be at least `end - start + LOWER_SLACK`. 16 bytes at a time where the input
/// has 16 readable bytes: a word is then one load, a few vector operations and one store
/// instead of a call to memcpy.
#[inline]
fn push_lower(text: &mut String, bytes: &[u8], start: usize, end: usize) {
    debug_assert!(bytes[start..end].is_ascii() && text.capacity() - text.len() >= end - start + LOWER_SLACK);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        let mut k = start;
        while k < end && k + 16 <= bytes.len() {
            // SAFETY: `bytes[k..k + 16]` is in bounds (checked above); the store writes 16
            // bytes at `text.len()`, inside the spare capacity the caller reserved, and only
            // the `take` lowercased ASCII bytes of the word (valid UTF-8) become part of the
            // string. SSE2 is part of every x86_64 CPU.
            unsafe {
                let v = _mm_loadu_si128(bytes.as_ptr().add(k) as *const __m128i);
                let bias = _mm_set1_epi8(i8::MIN);
                let upper = _mm_cmplt_epi8(
                    _mm_xor_si128(_mm_sub_epi8(v, _mm_set1_epi8(b'A' as i8)), bias),
                    _mm_set1_epi8((26u8 ^ 0x80) as i8),
                );
                let lower = _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
                let vec = text.as_mut_vec();
                let take = (end - k).min(16);
                _mm_storeu_si128(vec.as_mut_ptr().add(vec.len()) as *mut __m128i, lower);
                vec.set_len(vec.len() + take);
                k += take;
            }
        }
        if k < end {
            // SAFETY: ASCII bytes keep the string valid UTF-8.
            unsafe { text.as_mut_vec() }.extend(bytes[k..end].iter().map(u8::to_ascii_lowercase));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: ASCII bytes keep the string valid UTF-8.
    unsafe { text.as_mut_vec() }.extend(bytes[start..end].iter().map(u8::to_ascii_lowercase));
}

impl<const SPANS: bool> Produce for Tokenizer<'_, SPANS> {
    /// One normalised character (after NFKC and case folding) of a non-trivial segment.
    #[inline]
    fn produce(&mut self, c: char, start: usize, end: usize) {
        let c = fold_punctuation(c);
        if is_whitespace(c) {
            if self.in_token {
                self.close();
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
            self.close();
        }
        if class == CLASS_WORD || class == CLASS_SPACELESS {
            self.open(start);
            self.out.text.push(c);
            (self.in_token, self.kind, self.last_end) = (true, class, end);
        }
    }
}

/// `reference_tokens` with the segmentation loop of `normalize_with` inlined: runs of ASCII
/// bytes go through `Tokenizer::ascii_run`, only the segments holding non-ASCII characters
/// (and the ASCII character just before one, which a combining mark may extend) through the
/// general machinery. Appends to `out`, which the caller cleared.
fn general_tokens_into<const SPANS: bool>(text: &str, out: &mut JoinedTokens) {
    let bytes = text.as_bytes();
    let mut tok = Tokenizer::<SPANS> { out, in_token: false, kind: CLASS_OTHER, last_end: 0 };
    let mut segment = Segment::default();
    let (mut pos, mut index) = (0usize, 0usize);
    while pos < bytes.len() {
        if bytes[pos] < 0x80 {
            segment.flush(&mut tok);
            let run_end = pos + ascii_prefix_len(&bytes[pos..]);
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
        tok.close();
    }
}

/// The length of the longest all-ASCII prefix of `bytes`, eight bytes per step.
#[inline]
fn ascii_prefix_len(bytes: &[u8]) -> usize {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    for (k, word) in (&mut words).enumerate() {
        let high = u64::from_le_bytes(word.try_into().expect("8 bytes")) & HIGH_BITS;
        if high != 0 {
            return 8 * k + (high.trailing_zeros() / 8) as usize;
        }
    }
    let done = bytes.len() - words.remainder().len();
    done + words.remainder().iter().position(|&b| b >= 0x80).unwrap_or(words.remainder().len())
}

/// `tokenize_joined` for all-ASCII text, where normalising is lowercasing and a token is a run
/// of `[a-z0-9_]` whose span is its own bytes. Most real text is ASCII; this loop is the same
/// rule without the general machinery.
fn ascii_tokens_into<const SPANS: bool>(text: &str, out: &mut JoinedTokens) {
    let mut tok = Tokenizer::<SPANS> { out, in_token: false, kind: CLASS_OTHER, last_end: 0 };
    tok.ascii_run(text, 0);
    if tok.in_token {
        tok.close();
    }
}

/// The tokens of `text` into `out` (cleared first), without their original spans when
/// `SPANS` is false.
fn tokens_into<const SPANS: bool>(text: &str, out: &mut JoinedTokens) {
    out.text.clear();
    out.ranges.clear();
    out.spans.clear();
    // Without spans the general loop costs an ASCII text no more than the check would.
    if SPANS && text.is_ascii() {
        ascii_tokens_into::<SPANS>(text, out)
    } else {
        general_tokens_into::<SPANS>(text, out)
    }
}

#[cfg(test)]
fn general_tokens(text: &str) -> JoinedTokens {
    let mut out = JoinedTokens::with_capacity(text.len());
    general_tokens_into::<true>(text, &mut out);
    out
}

#[cfg(test)]
fn ascii_tokens(text: &str) -> JoinedTokens {
    let mut out = JoinedTokens::with_capacity(text.len());
    ascii_tokens_into::<true>(text, &mut out);
    out
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
    let mut out = Vec::new();
    shingles_into(text, n, kind, seed, &mut ShingleBuffers::default(), &mut out)?;
    Ok(out)
}

/// Working memory of `shingles_into`, kept between documents so that a batch allocates it
/// once per thread instead of once per document.
#[derive(Debug, Default)]
pub struct ShingleBuffers {
    units: JoinedTokens,
}

/// `shingles`, written into `out` (cleared first) with the buffers of `buffers`.
pub fn shingles_into(
    text: &str,
    n: usize,
    kind: ShingleKind,
    seed: u64,
    buffers: &mut ShingleBuffers,
    out: &mut Vec<u64>,
) -> Result<(), Error> {
    check_ngram(n)?;
    out.clear();
    let units = &mut buffers.units;
    match kind {
        // The tokens without their original spans: only the joined text and ranges are hashed.
        ShingleKind::Word => tokens_into::<false>(text, units),
        ShingleKind::Char => {
            units.text.clear();
            units.ranges.clear();
            normalize_with(text, false, |c, _, _| {
                let start = units.text.len();
                units.text.push(c);
                units.ranges.push((start, units.text.len()));
            });
        }
    }
    let ranges = &units.ranges;
    let count = ranges.len();
    if count == 0 {
        return Ok(());
    }
    let width = n.min(count);
    let bytes = units.text.as_bytes();
    out.extend((0..=count - width).map(|i| hash64(&bytes[ranges[i].0..ranges[i + width - 1].1], seed)));
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
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
    fn fold_stable_segments_fold_to_themselves() {
        for segment in [
            "\u{2500}", "\u{A0}", "\u{2010}", "é", "e\u{301}", "\u{FB01}", "É", "ß", "Ab", "ab", "東",
            "\u{2126}", "\u{130}",
        ] {
            if is_fold_stable(segment) {
                assert_eq!(fold_segment(segment), segment, "{segment:?}");
            }
        }
        assert!(is_fold_stable("\u{2500}") && is_fold_stable("é") && is_fold_stable("東"));
        assert!(!is_fold_stable("É") && !is_fold_stable("\u{FB01}") && !is_fold_stable("e\u{301}"));
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

    /// The tokens without spans (on x86_64 with AVX2 or AVX-512: 64 bytes per step) equal the
    /// tokens with spans, for ASCII and mixed texts, at every block boundary, on every SIMD
    /// path this CPU can run.
    #[test]
    fn tokens_without_spans_equal_tokens_with_spans() {
        let pieces = [
            "a", "Ab", "x_1", " ", "  ", "-", ", ", "9", "\t", "Z", "\u{301}", "\u{E9}", "\u{2014}", "東京",
            "\u{A0}", "\u{FB01}", "q\u{308}",
        ];
        let mut texts: Vec<String> = Vec::new();
        let mut state = 0x1234_5678_9abc_def0u64;
        for _ in 0..3000 {
            let mut text = String::new();
            let count = (crate::hash::splitmix64(&mut state) % 120) as usize;
            for _ in 0..count {
                let r = crate::hash::splitmix64(&mut state);
                // Mostly ASCII pieces, sometimes long words, rarely non-ASCII.
                let piece = pieces[(r % 11) as usize + if r >> 60 == 0 { 6 } else { 0 }];
                text.push_str(piece);
                if r >> 56 & 7 == 0 {
                    text.push_str(&"w".repeat((r >> 40 & 127) as usize));
                }
            }
            texts.push(text);
        }
        for text in [" a", "a ", "", " ", "-x-", &"ab ".repeat(50), &format!("{}b", "a".repeat(64))] {
            texts.push(text.to_owned());
        }
        let mut without = JoinedTokens::default();
        for path in crate::simd::supported() {
            crate::simd::tests::force(path, || {
                // Every SIMD path packs 64 bytes per step (a CPU with AVX2 has POPCNT).
                #[cfg(target_arch = "x86_64")]
                assert_eq!(packing() == Packing::Words, path == crate::simd::SimdPath::Portable, "{path:?}");
                for text in &texts {
                    let with = tokenize_joined(text);
                    tokens_into::<false>(text, &mut without);
                    let what = format!("{} path: {text:?}", path.name());
                    assert_eq!((&with.text, &with.ranges), (&without.text, &without.ranges), "{what}");
                    assert!(without.spans.is_empty());
                }
            });
        }
    }

    #[test]
    fn ascii_prefix_lengths() {
        for (text, expected) in [
            ("", 0),
            ("abc", 3),
            ("é", 0),
            ("abcdefgh", 8),
            ("abcdefghé", 8),
            ("abcdefgé", 7),
            ("abcdefghijk東", 11),
        ] {
            assert_eq!(ascii_prefix_len(text.as_bytes()), expected, "{text:?}");
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

    #[test]
    fn ascii_fast_path_equals_normalize() {
        for line in ["", "  A\tb  9\x0b\x0cC\r ", "\x1c\x00 x", "MiXeD 123 words,  here."] {
            let mut fast = String::new();
            ascii_fold(line, true, |c| fast.push(c));
            assert_eq!(fast, normalize(line, true).text);
        }
    }

    #[test]
    fn simple_fold_equals_normalize() {
        // Every code point of the table, alone and between neighbours of several kinds.
        for cp in 0x80..SIMPLE_LIMIT {
            let Some(c) = char::from_u32(cp) else { continue };
            for context in ["a{}b", "{}", " {} ", "{}{}", "X{}\u{e9}", "1{}\u{301}", "{}\u{a0}\u{2019}q"] {
                let line = context.replace("{}", &c.to_string());
                let mut fast = String::new();
                if simple_fold(&line, &mut fast) {
                    assert_eq!(fast, normalize(&line, false).text, "U+{cp:04X} in {context:?}");
                }
            }
        }
    }
}
