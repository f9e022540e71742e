"""JSONL lines parsed in the compiled core (rust/jsonl.rs) give exactly the records, and the
errors, of the reader's line-by-line Python path, which is the reference: every field, the
type of every id and field value, every line number and message."""

from __future__ import annotations

import gzip
import io
import json
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neardup import backend
from neardup.io import Fields, InputError, RecordReader
from neardup.io import read as read_module

from equivalence import _core
from strategies import INTERESTING

# Calls both paths directly (`make test` runs it in the Rust pass); the reader parses in the
# core only when the core is the backend.
pytestmark = [
    pytest.mark.core,
    pytest.mark.backend_independent,
    pytest.mark.skipif(backend() != "rust", reason="the reader parses JSONL in the core only when the core is the backend"),
]

FIELDS = ("id", "text", "site", "url")
#: (max_chars, max_line_chars, oversize): the defaults, and small limits of each policy.
LIMITS = [(20_000_000, 1_000_000, "refuse"), (40, 12, "truncate"), (40, None, "skip"), (12, 12, "refuse")]


def typed(value):
    """``value`` with the type of every part spelt out: 1, 1.0 and True differ, and so do
    0.0 and -0.0, as they do when written back."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


def outcome(data: bytes, in_core: bool, **options) -> list:
    """Every record read from ``data`` (as standard input, and its ``index``, ``source``, ...),
    typed, then the error that ended the reading, if any."""
    reader = RecordReader(["-"], stdin=io.BytesIO(data), jsonl_in_core=in_core, **options)
    records = []
    try:
        for record in reader:
            records.append(typed(vars(record)))
    except InputError as error:
        records.append(("error", str(error)))
    finally:
        reader.close()
    return records


# Number literals where parsers part ways: beyond 64 bits, -0, denormals and underflow, many
# digits (all valid JSON); and the literals Python accepts and JSON has not, numbers out of
# float range, more digits than Python converts, malformed numbers.
TRICKY_NUMBERS = [
    "-0", "-0.0", "0.0", "1e-400", "5e-324", "2e-324", "1.7976931348623157e308", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
    "18446744073709551616", "123456789012345678901234567890", "1" * 400, "0e99999", "1E5", "1e+5", "-2.5E-3",
    "0.1000000000000000055511151231257827021181583404541015625",
    # Rounded otherwise by serde_json without float_roundtrip.
    "6.11178003e-79", "41038131617600698983578434.40868e-163", "97.005886291956207e-255", "4473.33805507830e-304",
]
HOSTILE_NUMBERS = ["1e400", "-1e400", "1.7976931348623159e308", "1" * 4301, "NaN", "Infinity", "-Infinity", "01", "1.", ".5", "-", "+1", "1e", "0x10"]
decimal_literals = st.builds(
    lambda sign, whole, frac, exp: f"{sign}{whole}{frac}{exp}",
    st.sampled_from(["", "-"]),
    st.one_of(st.just("0"), st.integers(1, 10**30).map(str)),
    st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=30).map(lambda d: "." + d)),
    st.one_of(st.just(""), st.integers(-330, 330).map(lambda e: f"e{e}")),
)


def random_decimal(seed: int) -> str:
    """A decimal literal of 1 to 40 digits and any exponent: about one in six is rounded
    differently by a parser that is not correctly rounded (serde_json without float_roundtrip).
    Drawn from a seed: hypothesis's own draws favour short, easy numbers."""
    rng = random.Random(seed)
    digits = str(rng.randrange(1, 10 ** rng.randint(1, 40)))
    point = rng.randint(1, len(digits))
    return f"{rng.choice(['', '-'])}{digits[:point]}.{digits[point:] or '0'}e{rng.randint(-340, 305)}"


clean_numbers = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(TRICKY_NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    decimal_literals,
    st.integers(0, 2**32).map(random_decimal),
)
hostile_numbers = st.sampled_from(HOSTILE_NUMBERS)

# Strings of any code point but the surrogates, and strings with lone surrogates too.
clean_strings = st.one_of(st.text(max_size=10), st.text(alphabet=INTERESTING, max_size=10))
hostile_strings = st.lists(
    st.one_of(st.characters(codec=None), st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\x00", "\x1f"])), max_size=6
).map("".join)


@st.composite
def string_literals(draw, value) -> str:
    """``value`` written as a JSON string: escaped, raw (a raw lone surrogate is bytes that are
    not UTF-8), or raw but for surrogates (a pair written as two escapes)."""
    text = draw(value)
    style = draw(st.sampled_from(["ascii", "raw", "escaped-surrogates"]))
    if style == "ascii":
        return json.dumps(text)
    if style == "raw":
        return json.dumps(text, ensure_ascii=False)
    return "".join(f"\\u{ord(c):04x}" if "\ud800" <= c <= "\udfff" else c for c in json.dumps(text, ensure_ascii=False))


def json_values(numbers, strings):
    """JSON text of any value: nested arrays and objects (keys may repeat)."""
    scalars = st.one_of(st.sampled_from(["null", "true", "false"]), numbers, string_literals(strings))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
            st.lists(st.tuples(string_literals(strings), inner), max_size=3).map(
                lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
            ),
        ),
        max_leaves=5,
    )


clean_values = json_values(clean_numbers, clean_strings)
hostile_values = json_values(hostile_numbers, hostile_strings)
# Keys: now and then the id or the text again (a key given twice), plainly or escaped.
NAMED_KEYS = ["site", "url", "site", "url", "title", "n", "lang", "", "text", "id", "\\u0074ext", "\\u0069d"]
keys = st.one_of(st.sampled_from(NAMED_KEYS).map(lambda k: f'"{k}"'), string_literals(st.text(max_size=3)))
urls = st.sampled_from(["https://www.a.org/x", " b.net ", "", "http://[::1", "HTTP://WWW.B.ORG:80/"])


@st.composite
def objects(draw, hostile: bool) -> str:
    """A JSON object of fields drawn freely (keys may repeat), mostly with a text and an id;
    a hostile one draws its values from everything that is not read as usual."""
    values = st.one_of(hostile_values, clean_values) if hostile else clean_values
    # Texts long enough for the size limits the test sets, too.
    strings = st.one_of(clean_strings, st.text(alphabet="ab \n\u00e9", max_size=60))
    strings = st.one_of(hostile_strings, strings) if hostile else strings
    # Numbers given a branch of their own: in nested values they would be rare.
    numbers = st.one_of(clean_numbers, hostile_numbers) if hostile else clean_numbers
    pairs = draw(st.lists(st.tuples(keys, st.one_of(values, string_literals(urls), numbers)), max_size=4))
    # (Drawn from lists: hypothesis draws the integer 0 much more often than 1 in 10.)
    if draw(st.sampled_from([True] * 9 + [False])):
        pairs.insert(draw(st.integers(0, len(pairs))), ('"text"', draw(string_literals(strings))))
    if draw(st.sampled_from([True] * 3 + [False])):
        ids = st.one_of(st.integers(-(2**63), 2**64 - 1).map(str), string_literals(clean_strings), st.just("null"), clean_numbers)
        if hostile:
            ids = st.one_of(ids, hostile_numbers, st.sampled_from(["true", "[1]", "{}", "1.0"]), string_literals(hostile_strings))
        pairs.insert(0, ('"id"', draw(ids)))
    space = draw(st.sampled_from(["", " ", "\t", "\r"]))
    return "{" + space + ("," + space).join(f"{k}{space}:{v}" for k, v in pairs) + space + "}"


@st.composite
def lines(draw) -> bytes:
    """One line: a record (most), a hostile record, another value, blank, or mangled bytes."""
    kind = draw(st.sampled_from(["record"] * 6 + ["hostile"] * 2 + ["value", "blank", "mangled"]))
    if kind == "blank":
        return draw(st.text(" \t\r\x0b\x0c", max_size=3)).encode()
    if kind == "value":
        line = draw(st.one_of(clean_values, hostile_values))
    else:
        line = draw(objects(hostile=kind != "record"))
    raw = line.encode("utf-8", "surrogatepass")
    if kind == "mangled":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"", b"\xff", b"\xc3", b"}", b",", b"\x00", b"\x0b"])) + raw[at + 1 :]
    if kind != "record":
        raw = draw(st.sampled_from([b"", b" ", b"\t", b"\xef\xbb\xbf", b"\x0c"])) + raw
        raw += draw(st.sampled_from([b"", b" ", b"\r", b"\r\r", b" x", b"\x0b"]))
    return raw


@given(
    st.lists(lines(), max_size=6),
    st.sampled_from([b"\n", b"\r\n"]),
    st.booleans(),
    st.integers(1, 80),
    st.sampled_from(LIMITS),
    st.booleans(),
)
def test_the_core_reads_every_line_as_python_does(line_list, ending, final_ending, block_bytes, limits, keep_extra):
    data = ending.join(line_list) + (ending if final_ending and line_list else b"")
    max_chars, max_line_chars, oversize = limits
    options = dict(
        on_error="skip", max_chars=max_chars, max_line_chars=max_line_chars, oversize=oversize, keep_extra=keep_extra
    )
    reference = outcome(data, False, **options)
    with pytest.MonkeyPatch.context() as patch:
        # Small blocks: lines cut across reads, blocks of one line and of many.
        patch.setattr(read_module, "JSONL_BLOCK_BYTES", block_bytes)
        assert outcome(data, True, **options) == reference


def edge_lines() -> list[bytes]:
    """Lines at every edge the two paths must agree on, each in an otherwise ordinary record."""
    found = []
    for number in TRICKY_NUMBERS + HOSTILE_NUMBERS:
        found += [f'{{"id": {number}, "text": "x"}}', f'{{"text": "x", "n": {number}, "m": [{{"k": {number}}}]}}']
    for string in ["\\ud800", "\\udfff", "\\ud83d\\ude00", "\\ud83d\\u0041", "\\udc00\\ud800", "\\u0000\\u001f", "\\/\\b\\f"]:
        for field in FIELDS + ("other",):
            found.append(f'{{"{field}": "{string}", "text": "t"}}' if field != "text" else f'{{"text": "{string}"}}')
        found.append(f'{{"text": "t", "{string}": 1}}')
    found += [
        '{"text": "a", "text": "b", "id": 1, "id": "1", "x": 1, "x": 2.0, "y": true}',
        '{"z": 1, "text": "a", "b": 0, "z": [2, {"y": 0, "x": 1, "y": 2}]}',
        '{"\\u0074ext": "escaped name", "\\u0069d": 3}',
        '{"text": "x", "site": 5, "url": ["http://a.org"]}', '{"text": "x", "site": " ", "url": "https://www.b.org:8080/p"}',
        '{"text": "x", "site": null, "url": "http://[::1"}', '{"id": false, "text": "x"}', '{"id": {}, "text": "x"}',
        '{"id": "", "text": ""}', '{"text": null}', '{}', "[]", '"text"', "1", "null", "{", '{"text": "x"}}', '{"text": "x",}',
        '{"text": "\t\u2028\u0085"}', '{"text": "raw \u00e9 and é 😀"}', '{"text": "x"}\r', '{"text": "x"} \r',
        '\ufeff{"text": "x"}', '{"text": "\x7f"}', '{"text": "x", "n": 1.5E+3}',
        '{"text": "x", "n": ' + "[" * 127 + "]" * 127 + "}", '{"text": "x", "n": ' + "[" * 128 + "]" * 128 + "}",
        '{"text": "x", "n": ' + "[" * 300 + "]" * 300 + "}",
    ]
    # Texts at and over the size limits the test sets.
    found += [json.dumps({"text": text}) for n in (11, 12, 13, 40, 41, 90) for text in ("a" * n, ("b" * 11 + "\n") * (n // 12) + "c" * (n % 12))]
    lines = [line.encode("utf-8", "surrogatepass") for line in found]
    lines += [b"", b" \t\x0b\x0c\r", b"\x1c", b'{"text": "\xff"}', b'{"text": "\xed\xa0\x80"}', b'{"text": "a\x00"}', b'{"text": "\xc3"}']
    return lines


@pytest.mark.parametrize(("block_bytes", "keep_extra", "limits"), [(1, True, LIMITS[0]), (1 << 20, False, LIMITS[0])] + [(1 << 20, True, limits) for limits in LIMITS[1:]])
def test_the_core_reads_every_edge_as_python_does(block_bytes, keep_extra, limits):
    data = b"\n".join(edge_lines())
    max_chars, max_line_chars, oversize = limits
    options = dict(on_error="skip", keep_extra=keep_extra, max_chars=max_chars, max_line_chars=max_line_chars, oversize=oversize)
    reference = outcome(data, False, **options)
    assert len(reference) == len(edge_lines()) - 2  # every line but the two blank ones
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(read_module, "JSONL_BLOCK_BYTES", block_bytes)
        assert outcome(data, True, **options) == reference


def test_the_core_takes_the_ordinary_lines_and_leaves_the_rest():
    """Without this, equal outcomes could mean that every line went the Python way."""
    taken = [
        b'{"id": 7, "text": "caf\\u00e9 \\ud83d\\ude00", "site": null, "n": [1.5, -2, true, {"k": "v"}]}',
        b'{"text": "x", "id": "a", "text": "y", "id": -9223372036854775808}\r',
        '{"text": "\u6771\u4eac", "url": "https://www.a.org/", "id": 18446744073709551615}'.encode(),
    ]
    left = [
        b'{"text": "x", "n": NaN}',
        b'{"text": "x", "n": 123456789012345678901234567890}',
        b'{"text": "x", "n": -0}',
        b'{"text": "\\ud800"}',
        b'{"text": "x", "id": 1.5}',
        b'{"text": "x", "id": true}',
        b'{"text": 1}',
        b"[1]",
        b'{"text": "\xff"}',
        b'\xef\xbb\xbf{"text": "x"}',
        b'{"text": "x"',
    ]
    block = b"\n".join(taken + [b" \x0b"] + left)
    items = _core.parse_jsonl_block(block, len(block), *FIELDS)
    assert [type(item) for item in items] == [tuple] * len(taken) + [type(None)] + [bytes] * len(left)
    assert items[0] == (7, "caf\u00e9 \U0001f600", None, None, {"site": None, "n": [1.5, -2, True, {"k": "v"}]})
    assert items[1] == (-(2**63), "y", None, None, {})
    assert items[len(taken) + 1 :] == left
    assert math.copysign(1, items[0][4]["n"][0]) == 1


def read_file(path, in_core: bool) -> list:
    """Every record read from the file ``path``, typed, then the error that ended the reading."""
    found = []
    try:
        for record in RecordReader([str(path)], jsonl_in_core=in_core, on_error="skip"):
            found.append(typed(vars(record)))
    except InputError as error:
        found.append(("error", str(error)))
    return found


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.97])
def test_a_truncated_gzip_ends_at_the_same_line_in_the_core(tmp_path, cut):
    """The records of the whole lines before the damage come out, and the error names the
    line after them, whichever path reads, whatever the block size."""
    data = b"".join(json.dumps({"id": i, "text": f"line {i} " * (i % 7 + 1)}).encode() + b"\n" for i in range(400))
    packed = gzip.compress(data)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: int(len(packed) * cut)])
    reference = read_file(path, in_core=False)
    assert reference[-1][1].startswith(f"{path}:") and "truncated" in reference[-1][1]
    for block_bytes in (1, 100, 1 << 20):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(read_module, "JSONL_BLOCK_BYTES", block_bytes)
            assert read_file(path, in_core=True) == reference


def test_a_corrupt_gzip_stops_at_the_same_line_in_the_core(tmp_path):
    """Damaged deflate data: how much gzip decompresses per read decides how many lines come
    out before its error, so the core's reader must read as line-by-line iteration does."""
    rng = random.Random(5)
    data = b"".join(json.dumps({"id": i, "text": f"line {i} {rng.random()} " * (i % 5 + 1)}).encode() + b"\n" for i in range(1500))
    packed = gzip.compress(data)
    path = tmp_path / "bad.jsonl.gz"
    inflate_errors = 0
    for at in range(len(packed) // 9, len(packed) - 20, len(packed) // 9):
        path.write_bytes(packed[:at] + b"\xff" * 8 + packed[at + 8 :])  # (nearly always an inflate error)
        reference = read_file(path, in_core=False)
        assert read_file(path, in_core=True) == reference, at
        # (zlib says "Error -3 while decompressing data: ...", ISA-L "Error -1 Invalid deflate block found")
        inflate_errors += "corrupt gzip data (Error -" in reference[-1][1]
    assert inflate_errors >= 2  # the case this test is for did occur


def test_without_extra_fields_records_are_otherwise_the_same(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"id": 1, "text": "a", "site": "s", "n": 2}\n{"id": 2, "text": "b", "n": NaN}\n')
    for in_core in (False, True):
        full = list(RecordReader([str(path)], jsonl_in_core=in_core))
        bare = list(RecordReader([str(path)], jsonl_in_core=in_core, keep_extra=False))
        assert [r.extra for r in full] == [{"site": "s", "n": 2}, {"n": full[1].extra["n"]}]
        assert [r.extra for r in bare] == [{}, {}]
        for r in full:
            r.extra = {}
        assert bare == full


def test_field_names_are_the_readers(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"key": "k1", "body": "a b", "host": "h.org", "link": "https://x.org/", "id": 5}\n')
    fields = Fields(id="key", text="body", site="host", url="link")
    records = [list(RecordReader([str(path)], fields=fields, jsonl_in_core=c)) for c in (False, True)]
    assert records[0] == records[1]
    assert (records[1][0].id, records[1][0].text, records[1][0].site) == ("k1", "a b", "h.org")
    assert records[1][0].extra == {"host": "h.org", "link": "https://x.org/", "id": 5}
