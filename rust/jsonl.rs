//! JSONL records: each line of a block of bytes parsed into the parts of a record (id, text,
//! site, url and the other fields), or marked for the reader's Python path.
//!
//! The reader's Python path (`neardup.io.read`: the line decoded, `json.loads`, the record
//! built and checked) is the specification. This parser takes a line only when it is sure to
//! give exactly what that path gives, and leaves every other line to it (`Line::Python`): bytes
//! that are not UTF-8 and anything serde_json refuses (malformed JSON, the NaN and Infinity
//! literals Python accepts, an escaped lone surrogate, nesting deeper than serde's limit, a
//! number out of range, a byte order mark), a line that is not an object, a text that is
//! missing or not a string, an id that is not a string or an integer (a float's or a boolean's
//! text is Python's to write), and a number Python reads otherwise (see [`python_reads_alike`]).
//! Every problem of a record is therefore worded by the Python path alone.
//!
//! Objects keep their key order (serde_json's `preserve_order`), and a key given twice keeps
//! its first place and its last value, as a Python dict built from the pairs does; floats are
//! parsed correctly rounded (`float_roundtrip`), as Python's `float()` parses them.

use serde_json::{Map, Number, Value};

/// `text` as a JSON string, exactly as `neardup.io.write.json_line` writes a string (its
/// specification): Python's `json.dumps(text, ensure_ascii=False)`, which escapes `"`, `\`
/// and the control characters (`\n`, `\r`, `\t`, `\b`, `\f`, the others as `\u00xx`) and
/// nothing else, then U+2028, U+2029 and U+0085 escaped as `\u2028`, `\u2029`, `\u0085`
/// (line breaks to JavaScript and to Python's `str.splitlines`). A lone surrogate, which a
/// Rust string cannot hold, is the caller's to escape.
pub fn json_quote(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 16 + 2);
    out.push('"');
    let mut plain = 0;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        // A byte that starts nothing to escape: the common case.
        if !NEEDS_LOOK[byte as usize] {
            at += 1;
            continue;
        }
        let (escape, width): (&str, usize) = match byte {
            b'"' => ("\\\"", 1),
            b'\\' => ("\\\\", 1),
            b'\n' => ("\\n", 1),
            b'\r' => ("\\r", 1),
            b'\t' => ("\\t", 1),
            0x08 => ("\\b", 1),
            0x0c => ("\\f", 1),
            0x00..=0x1f => ("", 1),
            // U+0085 is C2 85, U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
            0xc2 if bytes.get(at + 1) == Some(&0x85) => ("\\u0085", 2),
            0xe2 if bytes.get(at + 1) == Some(&0x80) && bytes.get(at + 2) == Some(&0xa8) => ("\\u2028", 3),
            0xe2 if bytes.get(at + 1) == Some(&0x80) && bytes.get(at + 2) == Some(&0xa9) => ("\\u2029", 3),
            _ => {
                at += 1;
                continue;
            }
        };
        out.push_str(&text[plain..at]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{byte:04x}"));
        } else {
            out.push_str(escape);
        }
        at += width;
        plain = at;
    }
    out.push_str(&text[plain..]);
    out.push('"');
    out
}

/// The bytes `json_quote` must look at: ASCII control characters, `"`, `\`, and the first
/// bytes of U+0085 and of U+2028 / U+2029 (which only start some of the characters they start).
const NEEDS_LOOK: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[0xc2] = true;
    table[0xe2] = true;
    table
};

/// The field names of a record (`neardup.io.Fields`).
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub id: &'a str,
    pub text: &'a str,
    pub site: &'a str,
    pub url: &'a str,
}

/// An id as read: a string, or an integer (a Python int).
#[derive(Debug, Clone, PartialEq)]
pub enum Id {
    Text(String),
    Int(Number),
}

/// The parts of a record read from one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// None when the id field is missing or null (the reader makes one up).
    pub id: Option<Id>,
    pub text: String,
    /// The site and url fields when they are strings, or for the site an integer's decimal
    /// text (None when absent or null; a line where one is another value is left to the
    /// Python path).
    pub site: Option<String>,
    pub url: Option<String>,
    /// Every field but the id and the text, in order; None when not asked for.
    pub extra: Option<Map<String, Value>>,
}

/// One line of a block.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// Nothing but whitespace (as Python's `bytes.strip` sees it): skipped, still counted.
    Blank,
    /// For the reader's Python path: the bytes `start..end` of the block (no line feed).
    Python {
        start: usize,
        end: usize,
    },
    Record(Parsed),
}

/// The bytes Python's `bytes.strip()` removes: ASCII whitespace.
fn is_python_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The lines of `block`, split at line feeds (a last line without one is a line too; an empty
/// block has none), each blank, parsed, or left to the Python path. `extra`: whether the
/// other fields are wanted (`Parsed::extra`).
pub fn parse_block(block: &[u8], fields: &Fields, extra: bool) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    while start < block.len() {
        let end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |at| start + at);
        let line = &block[start..end];
        lines.push(if line.iter().all(|&b| is_python_space(b)) {
            Line::Blank
        } else {
            match parse_line(line, fields, extra) {
                Some(parsed) => Line::Record(parsed),
                None => Line::Python { start, end },
            }
        });
        start = end + 1;
    }
    lines
}

/// The record of one line (without its line feed), or None for the Python path.
pub fn parse_line(line: &[u8], fields: &Fields, extra: bool) -> Option<Parsed> {
    // Python decodes the whole line first: a byte that is not UTF-8 anywhere is its error.
    let line = std::str::from_utf8(line).ok()?;
    // Trailing whitespace (a carriage return too) is JSON's, as Python's json skips it.
    let Value::Object(mut object) = serde_json::from_str::<Value>(line).ok()? else {
        return None;
    };
    if !object.values().all(python_reads_alike) {
        return None;
    }
    let id = match object.get(fields.id) {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(Id::Text(id.clone())),
        Some(Value::Number(id)) if !id.is_f64() => Some(Id::Int(id.clone())),
        Some(_) => return None,
    };
    let text_of = |object: &Map<String, Value>, name: &str| match object.get(name) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(value)) => Some(Some(value.clone())),
        _ => None,
    };
    // A site that is an integer is its decimal text, as Python's str() writes it (a corpus
    // keyed by site numbers stays on this path); a float site, or a site or url of another
    // type, is the Python path's (its text, or a record error).
    let site = match object.get(fields.site) {
        Some(Value::Number(number)) if !number.is_f64() => Some(number.to_string()),
        _ => text_of(&object, fields.site)?,
    };
    let url = text_of(&object, fields.url)?;
    if !matches!(object.get(fields.text), Some(Value::String(_))) {
        return None;
    }
    // Taken out, not copied; shift_remove keeps the order of the fields left.
    let Some(Value::String(text)) = object.shift_remove(fields.text) else {
        unreachable!("the text was checked to be a string just above")
    };
    let extra = extra.then(|| {
        object.shift_remove(fields.id);
        object
    });
    Some(Parsed { id, text, site, url, extra })
}

/// Whether Python's json reads this value as serde_json did. serde_json reads an integer too
/// large for 64 bits as a float (Python: an int of any size, up to its digit limit), and `-0`
/// as the float -0.0 (Python: the int 0); a float literal of those values is rare, and left to
/// Python too. Both backends refuse NaN and infinity, which Python reads.
pub fn python_reads_alike(value: &Value) -> bool {
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() => {
                float.is_finite()
                    && float.abs() < 9_223_372_036_854_775_808.0
                    && !(float == 0.0 && float.is_sign_negative())
            }
            _ => true,
        },
        Value::Array(items) => items.iter().all(python_reads_alike),
        Value::Object(object) => object.values().all(python_reads_alike),
        Value::Null | Value::Bool(_) | Value::String(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: Fields = Fields { id: "id", text: "text", site: "site", url: "url" };

    fn parse(line: &str) -> Option<Parsed> {
        parse_line(line.as_bytes(), &FIELDS, true)
    }

    #[test]
    fn a_record_is_parsed_into_its_parts() {
        let parsed =
            parse(r#"{"site": "a.org", "id": 7, "text": "T\u00e9 \ud83d\ude00", "url": null, "n": 1.5}"#)
                .unwrap();
        assert_eq!(parsed.id, Some(Id::Int(7.into())));
        assert_eq!(parsed.text, "T\u{e9} \u{1f600}");
        assert_eq!(parsed.site.as_deref(), Some("a.org"));
        assert_eq!(parsed.url, None);
        let extra = parsed.extra.unwrap();
        assert_eq!(extra.keys().collect::<Vec<_>>(), ["site", "url", "n"]);
        // A site that is an integer is its text, as Python's str() gives it.
        for (site, text) in [("3", "3"), ("-12", "-12"), ("18446744073709551615", "18446744073709551615")] {
            let parsed = parse(&format!(r#"{{"site": {site}, "text": "x"}}"#)).unwrap();
            assert_eq!(parsed.site.as_deref(), Some(text));
        }
    }

    #[test]
    fn json_quote_escapes_what_python_json_and_json_line_escape() {
        // The expected strings are Python's json_line(text)[:-1] for these texts.
        assert_eq!(json_quote(""), r#""""#);
        assert_eq!(json_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(json_quote("\n\r\t\u{8}\u{c}\u{0}\u{1f}"), r#""\n\r\t\b\f\u0000\u001f""#);
        assert_eq!(json_quote("\u{7f} \u{e9} \u{1d11e}"), "\"\u{7f} \u{e9} \u{1d11e}\"");
        assert_eq!(json_quote("\u{85}\u{2028}\u{2029}"), r#""\u0085\u2028\u2029""#);
    }

    #[test]
    fn a_key_given_twice_keeps_its_first_place_and_last_value() {
        let parsed = parse(r#"{"a": 1, "text": "x", "b": 2, "a": 3, "text": "y"}"#).unwrap();
        assert_eq!(parsed.text, "y");
        let extra = parsed.extra.unwrap();
        assert_eq!(extra.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(), ["a=3", "b=2"]);
    }

    #[test]
    fn what_python_reads_otherwise_is_left_to_it() {
        for line in [
            r#"{"text": "x", "n": NaN}"#,
            r#"{"text": "x", "n": 1e400}"#,
            r#"{"text": "x", "n": 18446744073709551616}"#,
            r#"{"text": "x", "n": -9223372036854775809}"#,
            r#"{"text": "x", "n": -0}"#,
            r#"{"text": "x", "n": [{"m": -0.0}]}"#,
            r#"{"text": "\ud800"}"#,
            r#"{"text": "x", "k": "\udc00"}"#,
            "\u{feff}{\"text\": \"x\"}",
            r#"{"text": 5}"#,
            r#"{"id": 1.0, "text": "x"}"#,
            r#"{"id": true, "text": "x"}"#,
            r#"{"id": [1], "text": "x"}"#,
            r#"{"site": 3.5, "text": "x"}"#,
            r#"{"text": "x", "url": 3}"#,
            r#"{"text": "x", "site": ["a.org"]}"#,
            r#"{"text": "x", "url": {"host": "a.org"}}"#,
            r#"{"text": "x", "url": false}"#,
            r#"{"other": "x"}"#,
            r#"["text"]"#,
            r#"{"text": "x"} {}"#,
            r#"{"text": "x",}"#,
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
        let deep = format!("{}{}{}", r#"{"text": "x", "n": "#, "[".repeat(200), "]".repeat(200) + "}");
        assert_eq!(parse(&deep), None);
        assert_eq!(parse_line(b"{\"text\": \"\xff\"}", &FIELDS, true), None);
    }

    #[test]
    fn integers_of_64_bits_are_read() {
        for (line, id) in [
            (r#"{"id": -9223372036854775808, "text": ""}"#, Number::from(i64::MIN)),
            (r#"{"id": 18446744073709551615, "text": ""}"#, Number::from(u64::MAX)),
            (r#"{"id": 0, "text": ""}"#, Number::from(0)),
        ] {
            assert_eq!(parse(line).unwrap().id, Some(Id::Int(id)));
        }
        assert!(parse(r#"{"text": "", "x": 9223372036854775807e0, "y": -0.5e-300}"#).is_none());
        assert!(parse(r#"{"text": "", "y": -0.5e-3}"#).is_some());
    }

    #[test]
    fn a_block_is_split_into_lines_as_python_splits_a_file() {
        let block = b"{\"text\": \"a\"}\r\n \t\x0b\x0c\r\n\n[1]\n{\"text\": \"b\"}";
        let lines = parse_block(block, &FIELDS, false);
        assert_eq!(lines.len(), 5);
        assert!(matches!(&lines[0], Line::Record(p) if p.text == "a" && p.extra.is_none()));
        assert_eq!(lines[1], Line::Blank);
        assert_eq!(lines[2], Line::Blank);
        assert_eq!(lines[3], Line::Python { start: 22, end: 25 });
        assert!(matches!(&lines[4], Line::Record(p) if p.text == "b"));
        assert_eq!(parse_block(b"", &FIELDS, true), []);
        assert_eq!(parse_block(b"\n", &FIELDS, true), [Line::Blank]);
    }

    #[test]
    fn fields_can_share_a_name() {
        let fields = Fields { id: "text", text: "text", site: "text", url: "u" };
        let parsed = parse_line(br#"{"text": "x", "u": "y"}"#, &fields, true).unwrap();
        assert_eq!((parsed.id, parsed.site.as_deref()), (Some(Id::Text("x".into())), Some("x")));
        assert_eq!(parsed.extra.unwrap().keys().collect::<Vec<_>>(), ["u"]);
    }
}
