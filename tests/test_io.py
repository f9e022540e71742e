"""Reading every input kind, and accounting for every bad record."""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

import neardup.io.read
from hypothesis import example, given
from hypothesis import strategies as st

from neardup.io import AtomicOutputDir, Fields, InputError, RecordReader, json_line, site_of
from neardup.io.write import json_document, json_strings, json_tail, json_values

# Reading and writing are Python code that no backend computes: `make test` runs these once.
pytestmark = pytest.mark.backend_independent


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


GOOD = [json.dumps({"id": i, "text": f"document number {i}", "url": f"https://www.example.org/{i}"}).encode() for i in range(3)]


def assert_unreadable(folder: Path, cases: dict[str, tuple[bytes, str]]) -> None:
    """Each file (name: content, problem) is refused whatever --on-error says (a damaged file
    is not a bad record), the message starting with the file's path (and, for a JSONL file,
    the line where its data ends) and then the problem."""
    for name, (content, problem) in cases.items():
        path = folder / name
        path.write_bytes(content)
        line = r":\d+" if ".jsonl" in name else ""
        for on_error in ("fail", "skip"):
            with pytest.raises(InputError, match=rf"^{re.escape(str(path))}{line}: {problem}"):
                list(RecordReader([str(path)], on_error=on_error))


def test_jsonl_plain_gz_and_zst(tmp_path):
    zstandard = pytest.importorskip("zstandard")
    plain = write_lines(tmp_path / "a.jsonl", GOOD)
    gz = tmp_path / "b.jsonl.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes().replace(b'"id": ', b'"id": 1')))
    zst = tmp_path / "c.jsonl.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(plain.read_bytes().replace(b'"id": ', b'"id": 2')))
    records = list(RecordReader([str(plain), str(gz), str(zst)]))
    assert [r.index for r in records] == list(range(9))
    assert [r.id for r in records] == ["0", "1", "2", "10", "11", "12", "20", "21", "22"]
    assert records[0].site == "example.org" and records[0].text == "document number 0"
    assert records[4].source == f"{gz}:2"


def numbered_jsonl(count: int = 200) -> bytes:
    return b"".join(json.dumps({"id": i, "text": f"document number {i} " * 20}).encode() + b"\n" for i in range(count))


def test_truncated_or_corrupt_zstd_input_is_an_error_naming_the_file(tmp_path):
    """A cut-short .zst, or one holding garbage, fails naming the file; never fewer records
    (.gz: the next test)."""
    zstandard = pytest.importorskip("zstandard")
    data = numbered_jsonl()
    frames = zstandard.ZstdCompressor().compress(data[:5000]) + zstandard.ZstdCompressor().compress(data[5000:])
    whole = tmp_path / "frames.jsonl.zst"
    whole.write_bytes(frames)
    assert len(list(RecordReader([str(whole)]))) == 200  # every frame is read
    cases = {
        "empty.jsonl.zst": (b"", r"truncated: the file is empty \(0 bytes\), without even a zstd header"),
        "cut.jsonl.zst": (frames[:-10], r"truncated: the file ends in the middle of a zstd frame"),
        "cut-first.jsonl.zst": (frames[: len(frames) // 4], r"truncated"),
        "junk.jsonl.zst": (b"garbage, not zstd at all", r"corrupt zstd data"),
        "tail.jsonl.zst": (frames + b"garbage after the frames", r"corrupt zstd data"),
    }
    assert_unreadable(tmp_path, cases)


@pytest.mark.parametrize("reader", ["isal", "isal-threaded", "stdlib"])
def test_truncated_or_corrupt_gzip_input_is_an_error_naming_the_file(tmp_path, monkeypatch, reader):
    """A cut-short .gz, or one holding garbage, fails naming the file and the fault, alike with
    ISA-L's gzip reader, its threaded reader (the clean job's later passes) and the standard
    library's (where ISA-L has no wheel); every member of a whole file is read."""
    if reader == "isal":
        pytest.importorskip("isal")
        assert neardup.io.read.gzip_reader.__name__ == "isal.igzip"
    elif reader == "isal-threaded":
        threaded = pytest.importorskip("isal.igzip_threaded")
        monkeypatch.setattr(neardup.io.read, "gzip_reader", SimpleNamespace(open=lambda path, mode: threaded.open(path, mode, threads=1)))
    else:
        monkeypatch.setattr(neardup.io.read, "gzip_reader", gzip)
        monkeypatch.setattr(neardup.io.read, "InflateError", zlib.error)
    gz = gzip.compress(numbered_jsonl())
    whole = tmp_path / "whole.jsonl.gz"
    whole.write_bytes(gz + gzip.compress(b'{"id": "second member", "text": "x"}\n'))
    assert [r.id for r in RecordReader([str(whole)])][-2:] == ["199", "second member"]
    cases = {
        "cut.jsonl.gz": (gz[: len(gz) // 2], r"truncated: the file ends before the end of its gzip data"),
        "junk.jsonl.gz": (gz[:20] + b"\xff" * 200 + gz[220:], r"corrupt gzip data \(Error -"),
        "tail.jsonl.gz": (gz + b"garbage after the gzip data", r"corrupt gzip data \(Not a gzipped file"),
        # Too short for a gzip header: ISA-L's reader takes it for a file cut short.
        "short-tail.jsonl.gz": (gz + b"\n", r"corrupt gzip data \(Not a gzipped file"),
        "crc.jsonl.gz": (gz[:-8] + bytes([gz[-8] ^ 0xFF]) + gz[-7:], r"corrupt gzip data \(CRC check failed"),
    }
    assert_unreadable(tmp_path, cases)


def test_bad_records_are_named_and_skippable(tmp_path):
    lines = [
        GOOD[0],
        b"{not json",
        json.dumps({"id": "x", "body": "no text field"}).encode(),
        b'{"id": "bad-utf8", "text": "caf\xe9"}',
        json.dumps({"id": "n", "text": 42}).encode(),
        b"[1, 2]",
        b'{"id": "s", "text": "lone \\ud800 surrogate"}',
        b"",
        GOOD[0],
    ]
    path = write_lines(tmp_path / "bad.jsonl", lines)
    with pytest.raises(InputError, match=r"bad\.jsonl:2: malformed JSON"):
        list(RecordReader([str(path)]))
    records = list(RecordReader([str(path)], on_error="skip"))
    assert len(records) == 8  # the blank line is not a record
    errors = [r.error for r in records]
    assert errors[0] is None
    assert errors[1].startswith("malformed JSON")
    assert errors[2] == "missing text field 'text'"
    assert errors[3] == "invalid UTF-8 at byte 31 of the line"
    assert errors[4] == "text field 'text' is int, expected a string"
    assert errors[5] == "expected a JSON object, got list"
    assert errors[6].startswith("lone surrogate U+D800 at index 5")
    assert errors[7].startswith("duplicate id '0' (first seen at ")
    assert all(r.text is None for r in records[1:])


def test_an_input_given_twice_is_a_duplicate_id_in_every_pass(tmp_path):
    """The same file (or -) given twice reads the same ids twice in one pass: duplicates, as
    from any two inputs; a reader read again (the next pass) starts afresh."""
    path = write_lines(tmp_path / "c1.jsonl", GOOD)
    with pytest.raises(InputError, match=rf"c1\.jsonl:1: duplicate id '0' \(first seen at {re.escape(str(path))}:1: the same input is given twice\)"):
        list(RecordReader([str(path), str(path)]))
    reader = RecordReader([str(path), str(path)], on_error="skip")
    for _ in range(2):
        records = list(reader)
        assert [r.error is None for r in records] == [True] * 3 + [False] * 3
        assert all(r.text is None and r.error.startswith(f"duplicate id '{r.id}'") for r in records[3:])
    stdin = RecordReader(["-", "-"], stdin=io.BytesIO(b"\n".join(GOOD)), on_error="skip")
    for _ in range(2):
        assert [r.error for r in stdin][3] == "duplicate id '0' (first seen at <stdin>:1: the same input is given twice)"
    stdin.close()


def test_malformed_json_is_placed_at_its_column(tmp_path):
    lines = [b'{"id": "a" "text": "x"}', b'{"id": "b", "text": "x"', b'{"id": "c", "text": "a\tb"}', b'{"id": "d", "text": "x', b'{"id": "e", "text": "x"} 1']
    path = write_lines(tmp_path / "m.jsonl", lines[:3] + [lines[3] + b"\r", lines[4]])  # one line ending \r\n
    errors = [r.error for r in RecordReader([str(path)], on_error="skip")]
    assert errors == [
        "malformed JSON: Expecting ',' delimiter at column 12",
        "malformed JSON: Expecting ',' delimiter at column 24 (the end of the line)",
        "malformed JSON: Invalid control character at column 23",
        "malformed JSON: Unterminated string starting at column 21",
        "malformed JSON: Extra data at column 26",
    ]


def test_field_names_and_size_limit(tmp_path):
    path = write_lines(tmp_path / "f.jsonl", [json.dumps({"key": "k1", "body": "x" * 50, "domain": "news.example"}).encode()])
    (record,) = RecordReader([str(path)], fields=Fields(id="key", text="body", site="domain"))
    assert (record.id, record.site, record.text) == ("k1", "news.example", "x" * 50)
    (refused,) = RecordReader([str(path)], fields=Fields(id="key", text="body"), on_error="skip", max_chars=10)
    assert refused.error == "document has 50 characters, more than the limit of 10 (--max-chars)"


def test_folder_of_txt_and_stdin(tmp_path):
    (tmp_path / "b.txt").write_text("second", encoding="utf-8")
    (tmp_path / "a.txt").write_text("first", encoding="utf-8")
    (tmp_path / "c.txt").write_bytes(b"\xff\xfe broken")
    (tmp_path / "notes.md").write_text("ignored: not .txt", encoding="utf-8")
    records = list(RecordReader([str(tmp_path)], on_error="skip"))
    assert [(r.id, r.text) for r in records[:2]] == [("a", "first"), ("b", "second")]
    assert records[2].error == "invalid UTF-8 at byte 0"
    stdin = io.BytesIO(b"\n".join(GOOD))
    reader = RecordReader(["-"], stdin=stdin)
    assert [r.id for r in reader] == ["0", "1", "2"]
    assert [r.id for r in reader] == ["0", "1", "2"]  # read twice: stdin is spooled
    reader.close()


def test_a_folder_without_txt_files_is_an_error_naming_it(tmp_path):
    spark = tmp_path / "spark"
    spark.mkdir()
    for name in ("part-00000.parquet", "part-00001.parquet", "_SUCCESS", "notes.jsonl"):
        (spark / name).write_bytes(b"")
    (spark / "sub").mkdir()
    (spark / "sub" / "inside.txt").write_text("not read: sub-folders are not", encoding="utf-8")
    for on_error in ("fail", "skip"):
        with pytest.raises(InputError, match=rf"^{re.escape(str(spark))}: the folder holds no \.txt files .*; 5 other entries ignored \(_SUCCESS, notes\.jsonl, part-00000\.parquet, \.\.\.\)$"):
            list(RecordReader([str(spark)], on_error=on_error))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"empty: the folder holds no \.txt files .*; 0 other entries ignored$"):
        list(RecordReader([str(empty)]))
    (spark / "Upper.TXT").write_text("read: the suffix is matched in any case", encoding="utf-8")
    assert [(r.id, r.text) for r in RecordReader([str(spark)])] == [("Upper", "read: the suffix is matched in any case")]


def test_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["one", None], "url": ["http://x.org/1", None]}), path)
    records = list(RecordReader([str(path)], on_error="skip"))
    assert records[0].text == "one" and records[0].site == "x.org"
    assert records[1].error == "text field 'text' is NoneType, expected a string"
    assert records[1].source == f"{path}#1"


def test_a_corrupt_parquet_input_is_an_error_naming_it(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"id": [str(i) for i in range(100)], "text": [f"document {i}" for i in range(100)]}), good)
    pq.write_table(pa.table({"id": [str(i) for i in range(3000)], "text": [f"document {i}" for i in range(3000)]}), tmp_path / "two.parquet", row_group_size=1500)
    broken = bytearray((tmp_path / "two.parquet").read_bytes())
    second = pq.ParquetFile(tmp_path / "two.parquet").metadata.row_group(1).column(1).data_page_offset
    broken[second + 30 : second + 60] = b"\xff" * 30  # the page header of the second row group
    cases = {
        "junk.parquet": (b"PAR1 and then not Parquet at all", "cannot read as Parquet: "),
        "cut.parquet": (good.read_bytes()[:-40], "cannot read as Parquet: "),
        "page.parquet": (bytes(broken), r"cannot read as Parquet after row \d+: "),
    }
    assert_unreadable(tmp_path, cases)


def test_json_line_writes_strict_json_for_every_parquet_type():
    import datetime
    import decimal

    def strict(line: str):
        return json.loads(line, parse_constant=lambda token: pytest.fail(f"{token} is not JSON"))

    paris = datetime.timezone(datetime.timedelta(hours=1))
    row = {
        "at": datetime.datetime(2024, 5, 1, 12, 30, 0, 250000),
        "at_tz": datetime.datetime(2024, 5, 1, 12, 30, tzinfo=paris),
        "day": datetime.date(2024, 5, 1),
        "time": datetime.time(7, 5),
        "took": -datetime.timedelta(seconds=1, microseconds=500000),
        "raw": b"\x00\xffok",
        "price": decimal.Decimal("12.50"),
        "scores": [1.5, float("nan"), {"deep": float("-inf")}],
        "inf": float("inf"),
    }
    assert strict(json_line(row)) == {
        "at": "2024-05-01T12:30:00.250000",
        "at_tz": "2024-05-01T12:30:00+01:00",
        "day": "2024-05-01",
        "time": "07:05:00",
        "took": "-P0DT1.5S",
        "raw": "AP9vaw==",
        "price": "12.50",
        "scores": [1.5, None, {"deep": None}],
        "inf": None,
    }


def test_empty_and_missing_inputs(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert list(RecordReader([str(empty)])) == []
    with pytest.raises(InputError, match="no such file"):
        RecordReader([str(tmp_path / "missing.jsonl")])
    with pytest.raises(InputError, match="unknown input type"):
        (tmp_path / "x.csv").write_text("a,b")
        RecordReader([str(tmp_path / "x.csv")])


def test_site_of():
    assert site_of(None, "https://www.bbc.co.uk/news/1") == "bbc.co.uk"
    assert site_of("given", "https://other.org") == "given"
    assert site_of("", "not a url") is None


def test_atomic_output_dir(tmp_path):
    out = tmp_path / "out"
    with AtomicOutputDir(out) as staged:
        staged.path("a.txt").write_text("done")
    assert (out / "a.txt").read_text() == "done"
    with pytest.raises(KeyboardInterrupt):
        with AtomicOutputDir(out) as staged:
            staged.path("a.txt").write_text("half")
            raise KeyboardInterrupt
    assert (out / "a.txt").read_text() == "done"
    assert [p.name for p in out.iterdir()] == ["a.txt"]
    source = tmp_path / "in.jsonl"
    source.write_text("{}")
    with pytest.raises(InputError, match="refusing to overwrite"):
        with AtomicOutputDir(tmp_path, protected=[str(source)]) as staged:
            staged.path("in.jsonl")
    with pytest.raises(ValueError, match="plain file name"):
        with AtomicOutputDir(out) as staged:
            staged.path("../escape.txt")


def test_a_full_disk_while_copying_stdin_names_the_copy(monkeypatch, tmp_path):
    """Standard input is copied to a temporary file (read more than once); when that copy
    cannot be written the error says so and where, and leaves no file behind."""
    import errno
    import tempfile

    from neardup.io import OutputError

    made = []

    class Full(io.BytesIO):
        def __init__(self, fail_on: str) -> None:
            super().__init__()
            self.fail_on = fail_on
            made.append(self)

        def write(self, data):  # type: ignore[override]
            if self.fail_on == "write":
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(data)

        def flush(self) -> None:
            if self.fail_on == "flush":
                raise OSError(errno.ENOSPC, "No space left on device")

    for fail_on in ("write", "flush"):
        monkeypatch.setattr(tempfile, "TemporaryFile", lambda fail_on=fail_on, **_: Full(fail_on))
        reader = RecordReader(["-"], stdin=io.BytesIO(b'{"text": "a"}\n'))
        with pytest.raises(OutputError, match=r"cannot write a copy of standard input in .*set TMPDIR.*\[ENOSPC\]"):
            list(reader)
        assert made[-1].closed


# --- hostile records (issue 20): each is a record error with its file and line ---------------


def _clean_skip(tmp_path: Path, lines: list[bytes], *extra: str) -> tuple[int, list[dict], str]:
    """``neardup clean --on-error skip`` on ``lines``: exit code, decisions, documents.jsonl."""
    from neardup.cli import main

    path = write_lines(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out"
    code = main(["clean", str(path), "-o", str(out), "--on-error", "skip", "--num-perm", "16", *extra])
    rows = [json.loads(line) for line in (out / "decisions.jsonl").read_text(encoding="utf-8").splitlines()] if code == 0 else []
    documents = (out / "documents.jsonl").read_text(encoding="utf-8") if code == 0 else ""
    return code, rows, documents


def test_deep_nesting_is_a_record_error(tmp_path):
    """A record nested ~990 levels deep ended clean, dups and chrome learn with a
    RecursionError traceback, whatever --on-error said."""
    deep = b'{"id": "deep", "text": "hello world", "meta": ' + b"[" * 990 + b"]" * 990 + b"}"
    path = write_lines(tmp_path / "deep.jsonl", [GOOD[0], deep])
    with pytest.raises(InputError, match=r"deep\.jsonl:2: nested too deeply: 991 levels of arrays and objects, more than the limit of 256"):
        list(RecordReader([str(path)]))

    from neardup.io import MAX_DEPTH, nesting_depth

    deepest = b'{"id": "ok", "text": "hello there", "meta": ' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}"
    # Brackets inside strings, and after a string never closed, are not nesting.
    quoted = json.dumps({"id": "q", "text": "[" * 5000 + "{" * 5000}).encode()
    lines = [GOOD[0], deep, deepest, quoted, b'{"id": "cut", "text": "' + b"[" * 5000]
    path = write_lines(tmp_path / "deep.jsonl", lines)
    records = list(RecordReader([str(path)], on_error="skip"))
    assert [r.error is None for r in records] == [True, False, True, True, False]
    assert records[4].error.startswith("malformed JSON: Unterminated string")
    assert nesting_depth('{"a": [[1], {"b": "]]]]"}]}') == 3 and nesting_depth('"[[[') == 0
    code, rows, documents = _clean_skip(tmp_path, lines)
    assert code == 0 and [r["action"] for r in rows] == ["kept", "skipped", "kept", "kept", "skipped"]
    assert rows[1]["source"] == f"{tmp_path / 'in.jsonl'}:2" and rows[1]["reason"].startswith("nested too deeply: 991 levels")
    # The deepest record allowed is written back as read.
    assert json.loads(documents.splitlines()[1])["meta"] == json.loads(deepest)["meta"]


def test_an_integer_too_long_to_convert_is_a_record_error(tmp_path):
    """An integer of more than 4,300 digits anywhere ended the run with 'Exceeds the limit
    (4300 digits) for integer string conversion': no file, no line, fatal under skip."""
    big = b"1" + b"0" * 4300
    lines = [GOOD[0], b'{"id": "b", "text": "some text", "meta": [' + big + b"]}", b'{"id": ' + big + b', "text": "x"}', GOOD[1]]
    path = write_lines(tmp_path / "big.jsonl", lines)
    with pytest.raises(InputError, match=r"big\.jsonl:2: an integer of more than 4,300 digits"):
        list(RecordReader([str(path)]))
    assert [r.error is None for r in RecordReader([str(path)], on_error="skip")] == [True, False, False, True]
    code, rows, _ = _clean_skip(tmp_path, lines)
    assert code == 0 and [r["action"] for r in rows] == ["kept", "skipped", "skipped", "kept"]
    # 4,300 digits convert: read, and written back exactly.
    fine = b'{"id": "f", "text": "x", "n": ' + b"9" * 4300 + b"}"
    code, rows, documents = _clean_skip(tmp_path, [fine])
    assert code == 0 and json.loads(documents)["n"] == int("9" * 4300)


def test_lone_surrogates_outside_the_text(tmp_path):
    """A lone surrogate in the site or url ended clean and chrome learn with 'document 0:
    site: lone surrogate' (no file or line); one in the id, a field name or another field's
    value ended clean at output time with "'utf-8' codec can't encode"."""
    lines = [
        b'{"id": "s", "text": "page one", "site": "a\\udc00.com"}',
        b'{"id": "u", "text": "page two", "url": "https://a\\ud800.com/x"}',
        b'{"id": "i\\ud800", "text": "page three"}',
        b'{"id": "k", "text": "page four", "k\\udfff": "v\\ud83d", "meta": {"x": ["\\udc00"]}}',
        b'{"id": "p\\ud83d\\ude00", "text": "a pair is one character", "site": "\\ud83d\\ude00.com"}',
    ]
    path = write_lines(tmp_path / "s.jsonl", lines)
    with pytest.raises(InputError, match=r"s\.jsonl:1: site field 'site': lone surrogate U\+DC00 at index 1"):
        list(RecordReader([str(path)]))
    errors = [r.error for r in RecordReader([str(path)], on_error="skip")]
    assert errors[1].startswith("url field 'url': lone surrogate U+D800")
    assert errors[2].startswith("id field 'id': lone surrogate U+D800")
    assert errors[3:] == [None, None]
    for command in (["chrome", "learn", str(path), "-m", str(tmp_path / "m.json")], ["dups", str(path)]):
        from neardup.cli import main

        assert main([*command, "--on-error", "skip"]) == 0
    code, rows, documents = _clean_skip(tmp_path, lines)
    assert code == 0 and [r["action"] for r in rows] == ["skipped", "skipped", "skipped", "kept", "kept"]
    # Other fields are written back as read: the escape, in valid UTF-8.
    assert '"k\\udfff": "v\\ud83d"' in documents and json.loads(documents.splitlines()[0])["meta"] == {"x": ["\udc00"]}
    assert json_line({"a\ud800": "\udfff"}) == '{"a\\ud800": "\\udfff"}\n'


def test_ids_keep_their_json_type(tmp_path):
    """Ids of different JSON types collided after conversion to text (1 and "1", true and
    "True"): the second was refused as a duplicate id, and two rows of decisions.jsonl carried
    the same id."""
    texts = ["alpha beta gamma delta", "one two three four", "red green blue", "north south east west", "a b c d e"]
    ids = [1, "1", True, "True", 1.0]
    lines = [json.dumps({"id": i, "text": t}).encode() for i, t in zip(ids, texts)]
    code, rows, documents = _clean_skip(tmp_path, lines)
    assert code == 0 and [r["id"] for r in rows] == ids and [type(r["id"]) for r in rows] == [type(i) for i in ids]
    assert [r["action"] for r in rows] == ["kept"] * 5
    assert [type(json.loads(d)["id"]) for d in documents.splitlines()] == [type(i) for i in ids]
    # Same type and value: still a duplicate, naming both records.
    path = write_lines(tmp_path / "twice.jsonl", [lines[0], lines[0]])
    with pytest.raises(InputError, match=rf"twice\.jsonl:2: duplicate id '1' \(first seen at {re.escape(str(path))}:1\)"):
        list(RecordReader([str(path)]))
    # An index keeps ids as text: there 1 and "1" are one id, and the message says so.
    path = write_lines(tmp_path / "index.jsonl", lines[:2])
    with pytest.raises(InputError, match=r"index\.jsonl:2: duplicate id '1' \(first seen at .*index\.jsonl:1, as 1: the index keeps ids as text\)"):
        list(RecordReader([str(path)], ids_as_text=True))
    # Arrays, objects, NaN and infinity are not ids.
    bad = [b'{"id": [1], "text": "x"}', b'{"id": {"a": 1}, "text": "x"}', b'{"id": NaN, "text": "x"}', b'{"id": 1e999, "text": "x"}']
    errors = [r.error for r in RecordReader([str(write_lines(tmp_path / "bad.jsonl", bad))], on_error="skip")]
    assert errors == [
        "id field 'id' is an array, expected a string or a number",
        "id field 'id' is an object, expected a string or a number",
        "id field 'id' is NaN, expected a string or a finite number",
        "id field 'id' is infinite, expected a string or a finite number",
    ]


def test_align_names_the_file_and_line_of_bytes_that_are_not_utf8(tmp_path, capsys):
    from neardup.cli import main

    a = tmp_path / "a.txt"
    a.write_bytes(b"first line\nsecond \xff line\n")
    b = tmp_path / "b.txt"
    b.write_text("first line\n", encoding="utf-8")
    assert main(["align", str(a), str(b)]) == 1
    assert capsys.readouterr().err == f"neardup: error: {a}:2: not UTF-8 text: invalid UTF-8 at byte 7 of the line\n"
    assert main(["align", str(a), str(b), "--on-error", "skip"]) == 0
    captured = capsys.readouterr()
    assert captured.err == f"neardup: skipped {a}:2: not UTF-8 text: invalid UTF-8 at byte 7 of the line\n"
    assert json.loads(captured.out) == {"passages": 0, "skipped": [f"{a}:2: not UTF-8 text: invalid UTF-8 at byte 7 of the line"]}


@pytest.mark.skipif(sys.platform != "linux", reason="file names of any bytes (Linux)")
def test_file_names_that_are_not_utf8(tmp_path):
    """An input path that is not UTF-8 ended clean when it wrote summary.json ("'utf-8' codec
    can't encode"); a folder's .txt file so named became an id no output could encode."""
    import os

    from neardup.cli import main

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "ok.txt").write_text("some text", encoding="utf-8")
    with open(os.path.join(os.fsencode(folder), b"name\xfe.txt"), "wb") as handle:
        handle.write(b"other text")
    odd = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"in\xff.jsonl"))
    Path(odd).write_bytes(GOOD[0] + b"\n")
    assert main(["clean", odd, "-o", str(tmp_path / "a")]) == 0
    assert json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))["inputs"] == [odd]
    with pytest.raises(InputError, match=r"name\udcfe\.txt: the file name \(the id\) is not valid UTF-8"):
        list(RecordReader([str(folder)]))
    assert main(["clean", str(folder), "-o", str(tmp_path / "b"), "--on-error", "skip"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "b" / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["action"] for r in rows] == ["skipped", "kept"] and rows[0]["source"] == str(folder / "name\udcfe.txt")


#: Every character class json_line treats apart: quotes, backslashes, each control character,
#: DEL, the line separators it escapes, lone surrogates, other scripts.
_JSON_CHARS = st.one_of(
    st.sampled_from(['"', "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", "\x85", "\u2028", "\u2029", "\ud800", "\udfff", "é", "\U0001d11e", "a", " "]),
    st.characters(codec=None),
)


#: Text that UTF-8 can hold (a lone surrogate made "?"): what the spool of cleaned texts holds.
_UTF8_TEXT = st.text(_JSON_CHARS, max_size=40).map(lambda text: re.sub("[\ud800-\udfff]", "?", text))


@given(st.lists(_UTF8_TEXT, max_size=6), st.booleans())
def test_json_strings_are_json_line_strings(texts, long_text):
    """The texts quoted in one call (in the core when it is the backend), UTF-8 in and out,
    are json_line's."""
    if long_text and texts:
        texts[0] = texts[0] * 5000
    assert json_strings([text.encode("utf-8") for text in texts]) == [json_line(text)[:-1].encode("utf-8") for text in texts]


@given(st.lists(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(_JSON_CHARS, max_size=12)), max_size=8))
@example(["d1", "caf\ud800e", 7, "\u2028", 1.5, float("nan"), True, "é"])
def test_json_values_are_json_line_values(values):
    """Ids quoted in one call (strings in the core, lone surrogates escaped as json_line
    escapes them; numbers, NaN, booleans) are json_line's, in order."""
    assert json_values(values) == [json_line(value)[:-1] for value in values]


def test_json_strings_refuse_bytes_that_are_not_utf8():
    with pytest.raises(ValueError, match="texts\\[1\\] is not UTF-8|can't decode"):
        json_strings([b"fine", b"caf\xe9"])


@given(
    st.one_of(st.integers(), st.text(_JSON_CHARS, max_size=8)),
    _UTF8_TEXT,
    st.dictionaries(st.text(_JSON_CHARS, max_size=5).filter(lambda key: key not in ("id", "text")), st.one_of(st.none(), st.floats(), st.text(_JSON_CHARS, max_size=8), st.lists(st.integers(), max_size=3)), max_size=3),
)
def test_a_row_with_its_text_quoted_apart_is_its_json_line(id_value, text, rest):
    """documents.jsonl's rows: the id (json_values), the text quoted apart (json_strings), the
    other fields (json_tail; NaN among them: null) give json_line of the whole row; an id
    field that is the text field is the text."""
    text_json = json_strings([text.encode("utf-8")])[0]
    row = json_document("id", json_values([id_value])[0], "text", text_json, json_tail(rest))
    assert row == json_line({"id": id_value, "text": text, **rest}).encode("utf-8", "backslashreplace")
    row = json_document("text", json_values([id_value])[0], "text", text_json, json_tail(rest))
    assert row == json_line({"text": id_value, "text": text, **rest}).encode("utf-8", "backslashreplace")  # noqa: F601


#: JSON-like values as the outputs hold them: nested rows of ids, texts, scores (NaN and
#: infinities among them), spans and nulls.
_JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(_JSON_CHARS, max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(_JSON_CHARS, max_size=5), inner, max_size=4)),
    max_leaves=12,
)


@given(_JSON_VALUES)
def test_json_line_is_json_dumps_made_strict(value):
    """json_line's encoder (json.dumps' C encoder, made once) writes what json.dumps writes,
    after the same strictness: NaN and infinities as null, line separators and lone
    surrogates escaped."""
    from neardup.io.write import _LINE_BREAKS, _LONE_SURROGATE, _as_json, _finite

    try:
        expected = json.dumps(value, ensure_ascii=False, allow_nan=False, default=_as_json)
    except ValueError:
        expected = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, default=_as_json)
    for raw, escaped in _LINE_BREAKS.items():
        expected = expected.replace(raw, escaped)
    expected = _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", expected)
    assert json_line(value) == expected + "\n"
