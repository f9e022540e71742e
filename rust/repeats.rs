//! Repeats inside one page: a run of lines that copies an earlier run of the same page (a
//! body pasted twice) is found, so it can be collapsed to its first copy.
//!
//! The pure-Python reference (`python/neardup/_reference/repeats.py`) is the specification.

use std::collections::HashMap;

use crate::error::Error;
use crate::hash::{hash64, KeyMap};
use crate::text::{char_class, check_ngram, is_py_space, normalize_with, tokenize, Span, CLASS_OTHER};

pub const REPEAT_SEED: u64 = 0x6e65_6172_6475_7003;

/// How long a repeated run must be to be collapsed: at least `min_lines` lines and
/// `min_chars` characters, or any number of lines of at least `long_chars` characters.
/// (Two-line repeats such as a traceback header are ordinary in documentation.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatParams {
    pub min_lines: u32,
    pub min_chars: u32,
    pub long_chars: u32,
}

impl Default for RepeatParams {
    fn default() -> Self {
        RepeatParams { min_lines: 3, min_chars: 200, long_chars: 500 }
    }
}

impl RepeatParams {
    pub fn check(&self) -> Result<(), Error> {
        if self.min_lines < 1 {
            return Err(Error::InvalidArgument("min_lines must be >= 1, got 0".into()));
        }
        Ok(())
    }
}

/// One collapsed copy: `[start, end)` is removed (with its line break), and it repeats
/// `[source_start, source_end)`; `lines` is the number of non-empty lines it spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub start: usize,
    pub end: usize,
    pub source_start: usize,
    pub source_end: usize,
    pub lines: usize,
}

/// Per ASCII byte: itself lowercased if it is a word character (`[A-Za-z0-9_]`), else 0.
static ASCII_WORD: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'_' {
            table[b] = c.to_ascii_lowercase();
        }
        b += 1;
    }
    table
};

/// The near-exact key of a line: its normalised text (case, quotes, whitespace folded)
/// with every run of characters that are not word characters (punctuation, symbols,
/// spaces) replaced by one space and trimmed; 0 for a line with no word characters.
pub fn repeat_key(line: &str) -> (u64, String) {
    let mut folded = Vec::new();
    let key = repeat_key_into(line, &mut folded);
    // Only whole characters are pushed: the bytes are UTF-8.
    (key, String::from_utf8(folded).expect("folded text is UTF-8"))
}

/// [`repeat_key`]'s key, its folded text left in `folded` (cleared first; reused across
/// lines, so a page's lines allocate nothing).
pub fn repeat_key_into(line: &str, folded: &mut Vec<u8>) -> u64 {
    folded.clear();
    if line.is_ascii() {
        // ASCII folds to itself lowercased, runs of whitespace as one space (text::ascii_fold):
        // neither changes which bytes are word characters, so the line is folded as it is.
        fold_repeat_ascii(line.as_bytes(), folded);
    } else {
        let mut gap = false;
        normalize_with(line, false, |c, _, _| fold_repeat_char(c, &mut gap, folded));
    }
    if folded.is_empty() {
        return 0;
    }
    hash64(folded, REPEAT_SEED).max(1)
}

/// Appends the repeat key's folded text of ASCII `bytes` to `folded` (empty): word bytes
/// lowercased, each run of other bytes one space between two words.
pub fn fold_repeat_ascii(bytes: &[u8], folded: &mut Vec<u8>) {
    // Without branches on the bytes (word and non-word bytes alternate unpredictably): the
    // output is never longer than the line, so it is written in place and cut.
    folded.resize(bytes.len() + 1, 0);
    let (mut n, mut gap) = (0usize, false);
    for &b in bytes {
        let word = ASCII_WORD[usize::from(b & 0x7f)];
        let is_word = word != 0;
        folded[n] = b' ';
        n += usize::from(gap && is_word && n > 0);
        folded[n] = word;
        n += usize::from(is_word);
        gap = !is_word;
    }
    folded.truncate(n);
}

/// Appends the normalised character `c` to a repeat key's folded text: a word character
/// after one space when others came between it and the last one (`gap`), which any other
/// character only marks.
#[inline]
pub fn fold_repeat_char(c: char, gap: &mut bool, folded: &mut Vec<u8>) {
    if char_class(c) == CLASS_OTHER {
        *gap = true;
    } else {
        if *gap && !folded.is_empty() {
            folded.push(b' ');
        }
        *gap = false;
        if c.is_ascii() {
            // One byte: pushed, not copied (a copy is a call to memcpy per character).
            folded.push(c as u8);
        } else {
            let mut utf8 = [0u8; 4];
            folded.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
    }
}

/// Lines of `text` (as `text::segment`) with their repeat keys.
fn keyed_lines(text: &str) -> (Vec<Span>, Vec<u64>) {
    let mut spans = Vec::new();
    let mut keys = Vec::new();
    let mut folded = Vec::new();
    let mut start = 0usize;
    // In ASCII text characters are bytes: no line is counted.
    let ascii = text.is_ascii();
    for piece in text.split('\n') {
        let count = if ascii { piece.len() } else { piece.chars().count() };
        let line = piece.strip_suffix('\r').unwrap_or(piece);
        let length = if line.len() < piece.len() { count - 1 } else { count };
        spans.push((start, start + length));
        keys.push(repeat_key_into(line, &mut folded));
        start += count + 1;
    }
    (spans, keys)
}

/// The runs of lines of `text` that repeat an earlier run, in order. Lines without word
/// characters (blank, rules like `---`) are skipped: they neither count nor break a run.
/// Scanning forward, a line whose key was seen before starts a candidate run against the
/// first earlier line with that key; the run extends while keys match and the copy does not
/// reach into its source; long enough runs are taken and the scan resumes after them.
pub fn find_repeats(text: &str, params: &RepeatParams) -> Result<Vec<Repeat>, Error> {
    params.check()?;
    let (spans, keys) = keyed_lines(text);
    Ok(find_repeats_keyed(&spans, &keys, params))
}

/// [`find_repeats`] from the line spans and repeat keys of a page (`params` checked).
pub fn find_repeats_keyed(spans: &[Span], keys: &[u64], params: &RepeatParams) -> Vec<Repeat> {
    let content: Vec<usize> = (0..keys.len()).filter(|&i| keys[i] != 0).collect();
    let length = |i: usize| (spans[i].1 - spans[i].0) as u64;
    let mut first: KeyMap<usize> = KeyMap::default();
    let mut repeats = Vec::new();
    let mut j = 0usize;
    while j < content.len() {
        let key = keys[content[j]];
        if let Some(&i) = first.get(&key) {
            let (mut run, mut chars) = (0usize, 0u64);
            while j + run < content.len() && i + run < j && keys[content[i + run]] == keys[content[j + run]] {
                chars += length(content[j + run]);
                run += 1;
            }
            let long_enough = (run as u64 >= u64::from(params.min_lines)
                && chars >= u64::from(params.min_chars))
                || chars >= u64::from(params.long_chars);
            if run > 0 && long_enough {
                let (first_line, last_line) = (content[j], content[j + run - 1]);
                let (mut start, mut end) = (spans[first_line].0, spans[last_line].1);
                // Take the line break with the copy: the one after it, or before it at the end
                // unless the copy just before took that one (copies never overlap).
                if last_line + 1 < spans.len() {
                    end = spans[last_line + 1].0;
                } else if first_line > 0 {
                    start = spans[first_line - 1].1.max(repeats.last().map_or(0, |r: &Repeat| r.end));
                }
                repeats.push(Repeat {
                    start,
                    end,
                    source_start: spans[content[i]].0,
                    source_end: spans[content[i + run - 1]].1,
                    lines: run,
                });
                j += run;
                continue;
            }
        } else {
            first.insert(key, j);
        }
        j += 1;
    }
    repeats
}

/// Repetition statistics of one document with the definitions of datatrove's
/// `GopherRepetitionFilter` (Rae et al. 2021, table A1), as integer counts; lengths are in
/// characters (code points). Words are `text::tokenize` tokens (datatrove's English word
/// splitter needs spaCy; the counting on the words is datatrove's, step for step).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepetitionCounts {
    /// Characters of the document (the denominator of every character fraction).
    pub chars: usize,
    /// Paragraphs: the stripped text split on runs of two or more LF.
    pub paragraphs: usize,
    /// Paragraphs equal to an earlier one, and their characters.
    pub dup_paragraphs: usize,
    pub dup_paragraph_chars: usize,
    /// Lines: the text split on runs of LF.
    pub lines: usize,
    pub dup_lines: usize,
    pub dup_line_chars: usize,
    /// Per n of `top_ns`: characters of the most frequent word n-gram (joined by spaces;
    /// ties go to the first seen) times its count; 0 without n-grams.
    pub top_ngram_chars: Vec<usize>,
    /// Per n of `dup_ns`: characters of the n-grams (words joined without separator) that
    /// repeat an earlier one, scanning left to right and skipping past each repeat.
    pub dup_ngram_chars: Vec<usize>,
}

/// `re.split(r"\n{min,}", text)`.
fn split_newline_runs(text: &str, min: usize) -> Vec<&str> {
    let bytes = text.as_bytes();
    let (mut parts, mut start, mut i) = (Vec::new(), 0usize, 0usize);
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let run_start = i;
            while i < bytes.len() && bytes[i] == b'\n' {
                i += 1;
            }
            if i - run_start >= min {
                parts.push(&text[start..run_start]);
                start = i;
            }
        } else {
            i += 1;
        }
    }
    parts.push(&text[start..]);
    parts
}

/// datatrove's `find_duplicates`: (elements equal to an earlier one, their characters).
fn duplicates(parts: &[&str]) -> (usize, usize) {
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::with_capacity(parts.len());
    let (mut count, mut chars) = (0usize, 0usize);
    for &part in parts {
        if !seen.insert(part) {
            count += 1;
            chars += part.chars().count();
        }
    }
    (count, chars)
}

/// Check the n-gram sizes of [`repetition_counts`].
pub fn check_ngram_sizes(top_ns: &[usize], dup_ns: &[usize]) -> Result<(), Error> {
    top_ns.iter().chain(dup_ns).try_for_each(|&n| check_ngram(n))
}

pub fn repetition_counts(text: &str, top_ns: &[usize], dup_ns: &[usize]) -> Result<RepetitionCounts, Error> {
    check_ngram_sizes(top_ns, dup_ns)?;
    let mut out = RepetitionCounts { chars: text.chars().count(), ..Default::default() };
    let paragraphs = split_newline_runs(text.trim_matches(is_py_space), 2);
    out.paragraphs = paragraphs.len();
    (out.dup_paragraphs, out.dup_paragraph_chars) = duplicates(&paragraphs);
    let lines = split_newline_runs(text, 1);
    out.lines = lines.len();
    (out.dup_lines, out.dup_line_chars) = duplicates(&lines);
    let (words, _) = tokenize(text);
    let lengths: Vec<usize> = words.iter().map(|w| w.chars().count()).collect();
    for &n in top_ns {
        if words.len() < n {
            out.top_ngram_chars.push(0);
            continue;
        }
        // Tokens never contain a space, so n-grams joined by spaces are equal exactly when
        // their word slices are.
        let mut counts: HashMap<&[String], (usize, usize)> = HashMap::new();
        for i in 0..=words.len() - n {
            counts.entry(&words[i..i + n]).or_insert((0, i)).0 += 1;
        }
        let (&gram, &(count, _)) = counts
            .iter()
            .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
            .expect("at least one n-gram");
        let first = counts[gram].1;
        let chars: usize = lengths[first..first + n].iter().sum::<usize>() + n - 1;
        out.top_ngram_chars.push(chars * count);
    }
    for &n in dup_ns {
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        let (mut repeated, mut i) = (0usize, 0usize);
        while words.len() >= n && i <= words.len() - n {
            let gram: String = words[i..i + n].concat();
            if seen.contains(&gram) {
                repeated += lengths[i..i + n].iter().sum::<usize>();
                i += n;
            } else {
                seen.insert(gram);
                i += 1;
            }
        }
        out.dup_ngram_chars.push(repeated);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> String {
        (0..4)
            .map(|i| format!("Paragraph {i} of the story, long enough to matter for the count here.\n"))
            .collect()
    }

    #[test]
    fn a_body_pasted_twice_is_found() {
        let text = format!("Title\n{}{}Footer", body(), body().to_uppercase().replace(',', " ;"));
        let repeats = find_repeats(&text, &RepeatParams::default()).unwrap();
        assert_eq!(repeats.len(), 1);
        let r = repeats[0];
        let chars: Vec<char> = text.chars().collect();
        let kept: String = chars[..r.start].iter().chain(&chars[r.end..]).collect();
        assert_eq!(kept, format!("Title\n{}Footer", body()));
        assert_eq!((r.source_start, r.lines), (6, 4));
    }

    #[test]
    fn short_repeats_and_single_lines_are_kept() {
        let text = "Traceback (most recent call last):\nx\nTraceback (most recent call last):\ny";
        assert!(find_repeats(text, &RepeatParams::default()).unwrap().is_empty());
        assert!(find_repeats("", &RepeatParams::default()).unwrap().is_empty());
    }

    #[test]
    fn a_copy_at_the_end_takes_the_line_break_before_it() {
        let line = "x".repeat(600);
        let text = format!("{line}\n{line}");
        let repeats = find_repeats(&text, &RepeatParams::default()).unwrap();
        assert_eq!((repeats[0].start, repeats[0].end), (600, 1201));
    }

    #[test]
    fn keys_fold_punctuation_and_case() {
        assert_eq!(repeat_key("  \u{201C}Hello,\u{201D} WORLD!! ").1, "hello world");
        assert_eq!(repeat_key("--- * ---").0, 0);
    }
}
