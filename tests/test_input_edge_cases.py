"""Edge cases of reading inputs, each once a silent loss or a confusing failure: made-up ids
of files of one name, empty compressed files, broken links in a folder, named pipes, site
and url fields that are not strings, a byte order mark, compressed data read as plain."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from neardup.cli import main
from neardup.io import Fields, InputError, RecordReader


def jsonl(path: Path, records: list[dict] | list[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records))
    return path


def clean(tmp_path: Path, *args: str, name: str = "out") -> tuple[int, list[dict]]:
    """``neardup clean ARGS -o OUT``: exit code and the rows of decisions.jsonl."""
    out = tmp_path / name
    code = main(["clean", *args, "-o", str(out), "--num-perm", "16"])
    rows = [json.loads(line) for line in (out / "decisions.jsonl").read_text(encoding="utf-8").splitlines()] if code == 0 else []
    return code, rows


def both_paths(paths: list[str], **options) -> list:
    """The records of ``paths`` read by the reader's default path (the core, with the compiled
    backend) and line by line in Python, which must agree; the first."""
    default = [(r.id, r.site, r.url, r.error, r.text) for r in RecordReader(paths, **options)]
    python = [(r.id, r.site, r.url, r.error, r.text) for r in RecordReader(paths, jsonl_in_core=False, **options)]
    assert default == python
    return default


# --- made-up ids of files of one name in two folders ----------------------------------------


def test_files_of_one_name_in_two_folders_are_two_documents(tmp_path, monkeypatch):
    """A record without an id was named FILE:LINE from the file name alone: day1/pages.jsonl
    and day2/pages.jsonl gave the same ids, and clean failed on a duplicate id (or, with
    --on-error skip, skipped the second day's documents)."""
    monkeypatch.chdir(tmp_path)
    jsonl(Path("d1/pages.jsonl"), [{"text": "first day story about a bridge"}])
    jsonl(Path("d2/pages.jsonl"), [{"text": "second day story about a ferry"}])
    assert [r[0] for r in both_paths(["d1/pages.jsonl", "./d2/pages.jsonl"])] == ["d1/pages.jsonl:1", "d2/pages.jsonl:1"]
    for extra in ([], ["--on-error", "skip"]):
        code, rows = clean(tmp_path, "d1/pages.jsonl", "d2/pages.jsonl", *extra)
        assert code == 0 and [(r["id"], r["action"]) for r in rows] == [("d1/pages.jsonl:1", "kept"), ("d2/pages.jsonl:1", "kept")]
    # Distinct file names keep their ids; a file given twice (however spelled alike) is still
    # the same ids twice, duplicates.
    jsonl(Path("d2/other.jsonl"), [{"text": "a third story"}])
    assert [r[0] for r in both_paths(["d1/pages.jsonl", "d2/other.jsonl"])] == ["pages.jsonl:1", "other.jsonl:1"]
    twice = both_paths(["d1/pages.jsonl", "./d1/pages.jsonl"], on_error="skip")
    assert twice[1][0] == "pages.jsonl:1" and twice[1][3] == "duplicate id 'pages.jsonl:1' (first seen at d1/pages.jsonl:1)"


def test_parquet_files_of_one_name_in_two_folders_are_two_documents(tmp_path, monkeypatch):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    monkeypatch.chdir(tmp_path)
    for day in ("d1", "d2"):
        Path(day).mkdir()
        pq.write_table(pa.table({"text": [f"the {day} page"]}), f"{day}/part.parquet")
    assert [r.id for r in RecordReader(["d1/part.parquet", "d2/part.parquet"])] == ["d1/part.parquet#0", "d2/part.parquet#0"]
    assert [r.id for r in RecordReader(["d1/part.parquet"])] == ["part.parquet#0"]


# --- a 0-byte .gz or .zst --------------------------------------------------------------------


@pytest.mark.parametrize("suffix, header", [(".gz", "gzip"), (".zst", "zstd")])
def test_an_empty_compressed_file_is_a_truncated_file(tmp_path, suffix, header):
    """A 0-byte .gz or .zst read as an empty corpus (exit 0, "0 documents"); gzip -t and
    zstd -t refuse it, and a truncated .gz/.zst is an input error."""
    if suffix == ".zst":
        pytest.importorskip("zstandard")
    zero = tmp_path / f"zero.jsonl{suffix}"
    zero.write_bytes(b"")
    for on_error in ("fail", "skip"):
        message = rf"^{re.escape(str(zero))}:1: truncated: the file is empty \(0 bytes\), without even a {header} header$"
        with pytest.raises(InputError, match=message):
            list(RecordReader([str(zero)], on_error=on_error))
        assert clean(tmp_path, str(zero), "--on-error", on_error)[0] == 1
    # An empty plain file, and a gzip member of nothing, are valid empty inputs.
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "nothing.jsonl.gz").write_bytes(gzip.compress(b""))
    assert list(RecordReader([str(tmp_path / "empty.jsonl"), str(tmp_path / "nothing.jsonl.gz")])) == []


# --- folder entries that cannot be read -----------------------------------------------------


def test_a_broken_link_in_a_folder_is_an_unreadable_record(tmp_path):
    """A dangling symbolic link broken.txt in a folder input disappeared: 1 document, no
    row, no message."""
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "a.txt").write_text("hello", encoding="utf-8")
    (folder / "broken.txt").symlink_to(tmp_path / "nonexistent")
    message = f"{folder / 'broken.txt'}: cannot read: a symbolic link to {str(tmp_path / 'nonexistent')!r}: No such file or directory"
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        list(RecordReader([str(folder)]))
    assert clean(tmp_path, str(folder))[0] == 1
    code, rows = clean(tmp_path, str(folder), "--on-error", "skip")
    assert code == 0 and [(r["id"], r["action"]) for r in rows] == [("a", "kept"), ("broken", "skipped")]
    assert rows[1]["reason"] == message.split(": ", 1)[1]
    # A folder holding only a broken link holds a record, not "no .txt files".
    (folder / "a.txt").unlink()
    assert [r.error is not None for r in RecordReader([str(folder)], on_error="skip")] == [True]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_in_a_folder_is_an_unreadable_record_not_a_wait(tmp_path):
    """A .txt named pipe in a folder was left out unsaid; read, it would wait for a writer."""
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "a.txt").write_text("hello", encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    records = list(RecordReader([str(folder)], on_error="skip"))
    assert [(r.id, r.error) for r in records] == [("a", None), ("pipe", "cannot read: a named pipe, not a regular file")]


# --- named pipes as inputs ------------------------------------------------------------------


def _feed(fifo: Path, data: bytes) -> threading.Thread:
    """Write ``data`` to the named pipe ``fifo`` once, from a thread (its open waits for a reader)."""

    def write() -> None:
        try:
            with open(fifo, "wb") as pipe:
                pipe.write(data)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def _release(fifo: Path, writer: threading.Thread) -> None:
    """Let a writer still waiting for a reader go (a run that failed before reading)."""
    if writer.is_alive():
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(5)


def _neardup(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, stopped after 60 s: a run blocked on a second
    open of a named pipe fails the test rather than hanging it."""
    return subprocess.run([sys.executable, "-m", "neardup", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


DOCS = [{"id": i, "text": f"document number {i} about things and other things {i % 5}"} for i in range(30)]
DOCS_BYTES = b"".join(json.dumps(d).encode() + b"\n" for d in DOCS)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
@pytest.mark.parametrize("name, data", [("f.jsonl", DOCS_BYTES), ("f.jsonl.gz", gzip.compress(DOCS_BYTES))])
def test_clean_reads_a_named_pipe_once(tmp_path, name, data):
    """clean reads its inputs two or three times: on a named pipe the second open waited for
    a writer forever. The pipe is copied on the first pass, as - is; stats and dups (one
    pass) read it as before."""
    fifo = tmp_path / name
    os.mkfifo(fifo)
    for command in (["clean", name, "-o", "out", "--threads", "2"], ["stats", name], ["dups", name, "-o", "dups.jsonl"]):
        writer = _feed(fifo, data)
        try:
            done = _neardup(*command, cwd=tmp_path)
        finally:
            _release(fifo, writer)
        assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (tmp_path / "out" / "decisions.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == list(range(30))
    # A damaged one is named as a damaged file is (read again from the copy, not the pipe).
    writer = _feed(fifo, data[: len(data) // 2])
    try:
        done = _neardup("clean", name, "-o", "out2", cwd=tmp_path)
    finally:
        _release(fifo, writer)
    if name.endswith(".gz"):
        assert done.returncode == 1 and re.search(rf"error: {re.escape(name)}:\d+: truncated: the file ends before the end of its gzip data", done.stderr)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_parquet_or_warc_named_pipe_is_refused_up_front(tmp_path):
    """Parquet is read from its end and WARC opened by name more than once: a named pipe is
    refused before anything is read (a WARC one hung, a Parquet one failed with "lseek
    failed"), whatever --on-error says."""
    for name, what in (("f.parquet", "Parquet"), ("f.warc.wet", "WARC or WET")):
        os.mkfifo(tmp_path / name)
        for on_error in ("fail", "skip"):
            with pytest.raises(InputError, match=rf"^{re.escape(str(tmp_path / name))}: a {what} input must be a regular file, not a named pipe: save it to a file first$"):
                RecordReader([str(tmp_path / name)], on_error=on_error)


# --- site and url fields that are not strings -----------------------------------------------


def test_site_and_url_values_that_are_not_strings(tmp_path):
    """A site that was not a string was ignored without a word (CleanPortalEval with
    "site_id": 3: no chrome stripped, every site "(none)"); so were lists, objects and
    numeric urls. A number is a site's text; any other value is an unreadable record."""
    lines = [
        b'{"id": "n", "text": "x", "site": 3}',
        b'{"id": "f", "text": "x", "site": 2.5, "url": null}',
        b'{"id": "e", "text": "x", "\\u0073it\\u0065": 7}',  # the key escaped: still the site field
        b'{"id": "s", "text": "x", "site": "s.org", "meta": {"site": 1, "url": 2}}',
        b'{"id": "u", "text": "x", "site": null, "url": "https://www.u.org/p"}',
        b'{"id": "l", "text": "x", "site": ["a.org"]}',
        b'{"id": "b", "text": "x", "site": true}',
        b'{"id": "o", "text": "x", "site": {"host": "a.org"}}',
        b'{"id": "nan", "text": "x", "site": NaN}',
        b'{"id": "un", "text": "x", "url": 5}',
        b'{"id": "ul", "text": "x", "site": "kept.org", "url": ["https://a.org"]}',
    ]
    path = jsonl(tmp_path / "sites.jsonl", lines)
    records = both_paths([str(path)], on_error="skip")
    assert [(i, site, error) for i, site, _, error, _ in records] == [
        ("n", "3", None),
        ("f", "2.5", None),
        ("e", "7", None),
        ("s", "s.org", None),
        ("u", "u.org", None),
        ("l", None, "site field 'site' is an array, expected a string or a number"),
        ("b", None, "site field 'site' is a boolean (true), expected a string or a number"),
        ("o", None, "site field 'site' is an object, expected a string or a number"),
        ("nan", None, "site field 'site' is NaN, expected a string or a finite number"),
        ("un", None, "url field 'url' is a number, expected a string"),
        ("ul", None, "url field 'url' is an array, expected a string"),
    ]
    with pytest.raises(InputError, match=r"sites\.jsonl:6: site field 'site' is an array, expected a string or a number$"):
        list(RecordReader([str(path)]))
    # The field named by --site-field, in Parquet too (an integer column).
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x", "y"], "site_id": [3, None]}), tmp_path / "s.parquet")
    assert [r.site for r in RecordReader([str(tmp_path / "s.parquet")], fields=Fields(site="site_id"))] == ["3", None]


def test_a_misspelled_site_field_is_visible_in_the_count_of_site_fields(tmp_path):
    """No record has the field --site-field names: site_fields_read is 0 after the pass (the
    CLI can say so); with the right name it counts the records that have one."""
    path = jsonl(tmp_path / "s.jsonl", [{"id": 1, "text": "x", "site_id": 3}, {"id": 2, "text": "y", "site_id": "a"}, {"id": 3, "text": "z"}])
    for in_core in (None, False):
        for name, count in (("site_id", 2), ("siteid", 0)):
            reader = RecordReader([str(path)], fields=Fields(site=name), jsonl_in_core=in_core)
            assert len(list(reader)) == 3 and reader.site_fields_read == count


def test_numeric_site_ids_strip_chrome_as_the_same_sites_as_text(tmp_path, shared_data):
    """CleanPortalEval with its sites as numbers ("site_id": 3) is cleaned exactly as with
    the same ids as text: 70 of 71 pages changed, not 0."""
    source = shared_data / "chrome-cleanportaleval.jsonl.gz"
    numbers: dict[str, int] = {}
    as_number, as_text = [], []
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for k, line in enumerate(lines):
            page = json.loads(line)
            site = numbers.setdefault(page.pop("site"), len(numbers))
            page.pop("url")
            as_number.append({"id": k, **page, "site_id": site})
            as_text.append({"id": k, **page, "site_id": str(site)})
    results = []
    for name, pages in (("number", as_number), ("text", as_text)):
        code, rows = clean(tmp_path, str(jsonl(tmp_path / f"{name}.jsonl", pages)), "--site-field", "site_id", name=name)
        assert code == 0
        results.append([(r["id"], r["action"], r["removed"]) for r in rows])
    assert results[0] == results[1]
    assert sum(action == "changed" for _, action, _ in results[0]) > len(as_number) // 2


# --- a byte order mark; compressed data read as plain ---------------------------------------


def test_a_byte_order_mark_at_the_start_of_a_file_is_skipped(tmp_path):
    """A JSONL file written with a UTF-8 BOM was refused: 'malformed JSON: Unexpected UTF-8
    BOM (decode using utf-8-sig)', which a CLI user cannot act on."""
    bom = b"\xef\xbb\xbf"
    path = jsonl(tmp_path / "bom.jsonl", [bom + b'{"id": "a", "text": "hello"}', b'{"id": "b", "text": "there"}'])
    assert [(i, e) for i, _, _, e, _ in both_paths([str(path)])] == [("a", None), ("b", None)]
    gz = tmp_path / "bom.jsonl.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert [r.id for r in RecordReader([str(gz)])] == ["a", "b"]
    # A line of nothing but the mark is blank, as the line without it would be.
    blank = jsonl(tmp_path / "blank.jsonl", [bom, b'{"text": "x"}'])
    assert [i for i, *_ in both_paths([str(blank)])] == ["blank.jsonl:2"]
    # One inside a file (files that begin with one, joined) is a record error a user can act on.
    joined = tmp_path / "joined.jsonl"
    joined.write_bytes(path.read_bytes() + bom + b'{"id": "c", "text": "more"}\n')
    errors = [e for *_, e, _ in both_paths([str(joined)], on_error="skip")]
    assert errors[2] == (
        "a byte order mark (U+FEFF) at the start of the line: one is accepted only at the start of a file "
        "(were files that begin with one joined together?)"
    )


def test_compressed_data_read_as_plain_jsonl_says_so(tmp_path, monkeypatch, capsys):
    """gzip data piped to - failed with '<stdin>:1: invalid UTF-8 at byte 1 of the line' and
    no word of why."""
    import io

    data = gzip.compress(DOCS_BYTES)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["stats", "-"]) == 1
    assert capsys.readouterr().err == (
        "neardup: error: <stdin>:1: invalid UTF-8 at byte 1 of the line (this is gzip-compressed data: "
        "decompress it first, gunzip -c FILE | neardup ... -, or give the file itself, named .gz)\n"
    )
    misnamed = tmp_path / "gz.jsonl"
    misnamed.write_bytes(data)
    with pytest.raises(InputError, match=r"gz\.jsonl:1: invalid UTF-8 at byte 1 of the line \(this is gzip-compressed data: name the file \.gz, or decompress it first, gunzip -c FILE\)$"):
        list(RecordReader([str(misnamed)]))
    zstandard = pytest.importorskip("zstandard")
    (tmp_path / "zst.jsonl").write_bytes(zstandard.ZstdCompressor().compress(DOCS_BYTES))
    with pytest.raises(InputError, match=r"zst\.jsonl:1: invalid UTF-8 at byte 1 of the line \(this is zstd-compressed data: name the file \.zst, or decompress it first, zstd -dc FILE\)$"):
        list(RecordReader([str(tmp_path / "zst.jsonl")]))


def test_one_file_under_two_spellings_is_one_file_its_ids_duplicates(tmp_path, monkeypatch):
    from neardup.io import InputError, RecordReader

    (tmp_path / "d1").mkdir()
    source = tmp_path / "d1" / "pages.jsonl"
    source.write_text('{"text": "first day story about a bridge"}\n')
    (tmp_path / "d2").mkdir()
    (tmp_path / "d2" / "pages.jsonl").symlink_to(source)
    monkeypatch.chdir(tmp_path / "d1")
    for other in (str(source), str(tmp_path / "d2" / "pages.jsonl")):
        with pytest.raises(InputError, match="duplicate id 'pages.jsonl:1'"):
            list(RecordReader(["pages.jsonl", other]))


def test_one_file_under_two_spellings_beside_a_file_of_its_name_is_still_one_file(tmp_path, monkeypatch):
    from neardup.io import InputError, RecordReader

    for folder in ("d1", "d2"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "pages.jsonl").write_text(json.dumps({"text": f"a story from {folder}"}) + "\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="duplicate id 'd1/pages.jsonl:1'"):
        list(RecordReader(["d1/pages.jsonl", "d2/pages.jsonl", str(tmp_path / "d1" / "pages.jsonl")]))
