"""WET and WARC input: real files written with warcio's WARCWriter from the shared pages, read
as documents decided exactly as the same documents given as JSONL; damaged files are errors
naming the file and the record's byte offset."""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
from pathlib import Path

import pytest

from neardup.cli import main
from neardup.io import Fields, InputError, RecordReader

warcio = pytest.importorskip("warcio")
from warcio.archiveiterator import ArchiveIterator  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

# Most of these test the reader, Python code no backend computes; the one comparing `neardup
# clean` on a WET file and on JSONL runs the job under both backends.
independent = pytest.mark.backend_independent

DATE = "2024-05-01T12:30:00Z"


def record_id(key: str) -> str:
    return f"<urn:neardup-test:{key}>"


def write_warc(path: Path, docs: list[dict], *, warcinfo: bool = True, compress: bool | None = None) -> list[int]:
    """Write ``docs`` ({key, text, url?, type?, headers?}) as WARC records of ``path`` (a
    warcinfo record first), gzipped record by record when the name ends in .gz; returns each
    doc's byte offset as warcio's own iterator reports it."""
    compress = path.name.endswith(".gz") if compress is None else compress
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=compress, warc_version="WARC/1.0")
        if warcinfo:
            info = writer.create_warcinfo_record(path.name, {"software": "neardup tests", "format": "WARC File Format 1.0"})
            writer.write_record(info)
        for doc in docs:
            block = doc["text"].encode("utf-8") if isinstance(doc["text"], str) else doc["text"]
            headers = {"WARC-Record-ID": record_id(doc["key"]), "WARC-Date": DATE, **doc.get("headers", {})}
            record = writer.create_warc_record(
                doc.get("url", ""), doc.get("type", "conversion"), payload=io.BytesIO(block), length=len(block),
                warc_content_type="text/plain", warc_headers_dict=headers,
            )
            writer.write_record(record)
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        offsets = [records.get_record_offset() for _ in records]
    return offsets[1:] if warcinfo else offsets


def shared_pages(seeds_dir: Path, shared_data: Path, pages: int = 6) -> list[dict]:
    """The seed pages (no url: each a site of its own) and the first ``pages`` CleanPortalEval
    pages (four news sites, with urls), plus a copy of one page under another url of its site,
    so that the job has chrome to learn and duplicates to drop."""
    docs = [{"key": f"seed-{p.stem}", "text": p.read_text(encoding="utf-8")} for p in sorted(seeds_dir.glob("*.txt"))]
    with gzip.open(shared_data / "chrome-cleanportaleval.jsonl.gz", "rt", encoding="utf-8") as lines:
        for number, line in zip(range(pages), lines):
            row = json.loads(line)
            docs.append({"key": f"cpe-{number}", "text": row["text"], "url": row["url"]})
    copy = dict(docs[len(docs) // 2], key="copy")
    docs.append(dict(copy, url=copy["url"] + "?syndicated=1"))
    return docs


def rows_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_clean_decides_a_wet_file_as_the_same_documents_in_jsonl(seeds_dir, shared_data, tmp_path):
    docs = shared_pages(seeds_dir, shared_data)
    wet = tmp_path / "pages.warc.wet.gz"
    write_warc(wet, docs)
    jsonl = tmp_path / "pages.jsonl"
    jsonl.write_text("".join(json.dumps({"id": d["key"], "text": d["text"], **({"url": d["url"]} if "url" in d else {})}) + "\n" for d in docs), encoding="utf-8")
    assert main(["clean", str(wet), "-o", str(tmp_path / "from-wet")]) == 0
    assert main(["clean", str(jsonl), "-o", str(tmp_path / "from-jsonl")]) == 0

    to_key = {record_id(d["key"]): d["key"] for d in docs}
    ids = re.compile("|".join(re.escape(i) for i in to_key))

    def mapped(value):
        """A row of the WET run with its record ids turned into the JSONL run's ids."""
        return json.loads(ids.sub(lambda m: to_key[m.group()], json.dumps(value)))

    from_wet, from_jsonl = rows_of(tmp_path / "from-wet" / "decisions.jsonl"), rows_of(tmp_path / "from-jsonl" / "decisions.jsonl")
    assert [mapped(row) for row in from_wet] == from_jsonl
    assert len(from_wet) == len(docs)
    actions = {row["action"] for row in from_jsonl}
    assert {"changed", "dropped"} <= actions, actions  # chrome stripped and copies dropped: a real comparison

    kept_wet = rows_of(tmp_path / "from-wet" / "documents.jsonl")
    kept_jsonl = rows_of(tmp_path / "from-jsonl" / "documents.jsonl")
    assert [(to_key[r["id"]], r["text"], r.get("url")) for r in kept_wet] == [(r["id"], r["text"], r.get("url")) for r in kept_jsonl]
    # The other headers come along as fields.
    assert all(r["WARC-Date"] == DATE and r["WARC-Type"] == "conversion" for r in kept_wet)


@independent
def test_records_become_documents_with_their_headers(tmp_path):
    docs = [
        {"key": "a", "text": "First page.\nIts second line, é.\n", "url": "https://www.example.org/a",
         "headers": {"WARC-Identified-Content-Language": "eng", "WARC-Refers-To": "<urn:uuid:x>"}},
        {"key": "b", "text": "A page whose record has no WARC-Target-URI."},
        {"key": "c", "text": "Third page.", "url": "http://news.example.com/c", "headers": {"WARC-Identified-Content-Language": "fra"}},
    ]
    # Gzipped or not by content: the last is gzipped under a plain name.
    for name, compress in [("crawl.warc.wet.gz", True), ("crawl.warc.wet", False), ("crawl.warc.gz", True), ("crawl.warc", False),
                           ("CRAWL.WET.GZ", True), ("gzipped.warc", True)]:
        path = tmp_path / name
        offsets = write_warc(path, docs, compress=compress)
        records = list(RecordReader([str(path)]))
        assert [r.id for r in records] == [record_id(d["key"]) for d in docs]  # the warcinfo record is not a document
        assert [r.text for r in records] == [d["text"] for d in docs]
        assert [r.url for r in records] == ["https://www.example.org/a", None, "http://news.example.com/c"]
        assert [r.site for r in records] == ["example.org", None, "news.example.com"]
        assert [r.source for r in records] == [f"{path}@{offset}" for offset in offsets]
        first = records[0].extra
        assert first["url"] == "https://www.example.org/a" and first["WARC-Identified-Content-Language"] == "eng"
        assert first["WARC-Refers-To"] == "<urn:uuid:x>" and first["WARC-Date"] == DATE and first["Content-Type"] == "text/plain"
        assert "WARC-Record-ID" not in first and "WARC-Target-URI" not in first and "text" not in first
    # A WARC gzipped as one stream (not record by record): a record inside the member is
    # named by the member's offset and its own within the decompressed data.
    plain_offsets = write_warc(tmp_path / "crawl.warc", docs, compress=False)
    stream = tmp_path / "one-stream.warc.gz"
    stream.write_bytes(gzip.compress((tmp_path / "crawl.warc").read_bytes()))
    records = list(RecordReader([str(stream)]))
    assert [r.source for r in records] == [f"{stream}@0+{offset}" for offset in plain_offsets]
    assert [r.text for r in records] == [d["text"] for d in docs]
    # A header can be the site (--site-field), and the id and url land under the fields named.
    path = tmp_path / "crawl.warc.wet.gz"
    records = list(RecordReader([str(path)], fields=Fields(id="doc", url="link", site="WARC-Identified-Content-Language")))
    assert [r.site for r in records] == ["eng", None, "fra"]
    assert records[0].extra["link"] == "https://www.example.org/a" and "url" not in records[0].extra


@independent
def test_empty_and_warcinfo_only_files_hold_no_documents(tmp_path):
    # (A gzipped one of 0 bytes is a file cut short: cases_of_damage.)
    empty = tmp_path / "empty.warc.wet"
    empty.write_bytes(b"")
    empty_member = tmp_path / "empty-member.warc.wet.gz"
    empty_member.write_bytes(gzip.compress(b""))
    info_only = tmp_path / "info.warc.wet.gz"
    write_warc(info_only, [])
    for path in (empty, empty_member, info_only):
        assert list(RecordReader([str(path)])) == []
        out = tmp_path / f"out-{path.name}"
        assert main(["clean", str(path), "-o", str(out)]) == 0
        assert (out / "decisions.jsonl").read_text() == ""
        assert json.loads((out / "summary.json").read_text())["documents"] == 0


def cases_of_damage(tmp_path: Path) -> tuple[list[int], dict[str, tuple[bytes, int, str]]]:
    """Damaged copies of a three-record WET file, gzipped and plain: name -> (bytes, the byte
    offset of the damaged record, the problem)."""
    docs = [{"key": str(i), "text": f"Page {i}.\n" + "Some words of the page. " * 40 * (i + 1), "url": f"https://example.org/{i}"} for i in range(3)]
    gz_offsets = write_warc(tmp_path / "good.warc.wet.gz", docs)
    plain_offsets = write_warc(tmp_path / "good.warc.wet", docs)
    gz, plain = (tmp_path / "good.warc.wet.gz").read_bytes(), (tmp_path / "good.warc.wet").read_bytes()
    flipped = bytearray(gz)
    flipped[(gz_offsets[1] + gz_offsets[2]) // 2] ^= 0x55  # inside the second record's deflate data
    first, length = plain_offsets[0], len(docs[0]["text"].encode())
    wrong_length = plain[:first] + plain[first:].replace(f"Content-Length: {length}".encode(), f"Content-Length: {length + 1000}".encode(), 1)
    plain_cut = plain_offsets[2] + plain[plain_offsets[2]:].index(b"\r\n\r\n") + 100  # inside the third record's block
    return gz_offsets, {
        "cut.warc.wet.gz": (gz[: (gz_offsets[2] + len(gz)) // 2], gz_offsets[2], "truncated: the file ends inside its gzip member"),
        "cut-early.warc.wet.gz": (gz[: gz_offsets[0] + 20], gz_offsets[0], "truncated"),
        "empty.warc.wet.gz": (b"", 0, r"truncated: the file is empty \(0 bytes\), without even a gzip header"),
        "flipped.warc.wet.gz": (bytes(flipped), gz_offsets[1], "corrupt gzip data"),
        "junk-after.warc.wet.gz": (gz + b"not gzip at all", len(gz), "not gzip data"),
        "cut.warc.wet": (plain[:plain_cut], plain_offsets[2], r"truncated: the file ends [\d,]+ bytes before the end of its block"),
        "cut-headers.warc.wet": (plain[: plain_offsets[1] + 60], plain_offsets[1], "truncated: the file ends in its headers"),
        "wrong-length.warc.wet": (wrong_length, plain_offsets[0], rf"its block \(Content-Length {length + 1000:,}\) is not followed by the blank line that ends a record"),
        "not-warc.warc.wet": (b'{"id": 1, "text": "JSON, not WARC"}\n', 0, "not a WARC record"),
    }


@independent
def test_a_truncated_or_corrupt_warc_is_an_input_error_naming_the_file_and_record_offset(tmp_path):
    _, cases = cases_of_damage(tmp_path)
    for name, (content, offset, problem) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        for on_error in ("fail", "skip"):  # a damaged file is not a bad record: never fewer records
            with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: (record at )?byte {offset}: {problem}"):
                list(RecordReader([str(path)], on_error=on_error))


@independent
def test_the_cli_names_a_damaged_warc_and_writes_nothing(tmp_path, capsys):
    offsets, cases = cases_of_damage(tmp_path)
    content, offset, _ = cases["cut.warc.wet.gz"]
    path = tmp_path / "cut.warc.wet.gz"
    path.write_bytes(content)
    out = tmp_path / "out"
    assert main(["clean", str(path), "-o", str(out), "--on-error", "skip"]) == 1
    assert f"{path}: record at byte {offset}: truncated" in capsys.readouterr().err
    assert not (out / "summary.json").exists()


@independent
def test_records_that_are_not_documents_are_refused_or_accounted_for(tmp_path, capsys):
    """A response record (a crawled page's HTML), a conversion record that is not UTF-8 or has
    no WARC-Record-ID: an error naming the file and offset, or with --on-error skip a skipped
    decision each; the good records around them are decided."""
    docs = [
        {"key": "good-1", "text": "A page of text.", "url": "https://example.org/1"},
        {"key": "html", "type": "response", "text": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><p>hi</p></html>", "url": "https://example.org/2"},
        {"key": "latin-1", "text": "caf\xe9 au lait".encode("latin-1"), "url": "https://example.org/3"},
        {"key": "no-id", "text": "A record without its id.", "url": "https://example.org/4"},
        {"key": "good-2", "text": "Another page of text.", "url": "https://example.org/5"},
    ]
    path = tmp_path / "mixed.warc"
    offsets = write_warc(path, docs)
    raw = path.read_bytes()
    at = offsets[3] + raw[offsets[3]:].index(b"WARC-Record-ID")
    path.write_bytes(raw[:at] + raw[raw.index(b"\r\n", at) + 2:])  # the header line removed: the offsets after it move
    offsets[4] -= raw.index(b"\r\n", at) + 2 - at
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}@{offsets[1]}: a 'response' record, not a document: neardup reads text"):
        list(RecordReader([str(path)]))
    records = list(RecordReader([str(path)], on_error="skip"))
    assert [r.source for r in records] == [f"{path}@{o}" for o in offsets]
    assert [r.id for r in records] == [record_id("good-1"), record_id("html"), record_id("latin-1"), f"mixed.warc@{offsets[3]}", record_id("good-2")]
    assert [r.error is None for r in records] == [True, False, False, False, True]
    assert records[2].error == "invalid UTF-8 at byte 3 of the record's block"
    assert records[3].error == "no WARC-Record-ID header (every WARC record has one)"
    out = tmp_path / "out"
    assert main(["clean", str(path), "-o", str(out), "--on-error", "skip"]) == 0
    decided = rows_of(out / "decisions.jsonl")
    assert [row["id"] for row in decided] == [r.id for r in records]
    assert [row["action"] for row in decided][1:4] == ["skipped"] * 3
    assert "'response' record" in decided[1]["reason"]


@independent
def test_without_warcio_a_warc_input_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "x.warc.wet.gz"
    write_warc(path, [])
    monkeypatch.setitem(sys.modules, "warcio", None)  # import warcio now raises ImportError
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: reading WARC and WET files needs warcio: pip install 'neardup\[warc\]'"):
        RecordReader([str(path)])
    with pytest.raises(InputError, match="zstd is not read"):
        (tmp_path / "x.warc.zst").write_bytes(b"")
        RecordReader([str(tmp_path / "x.warc.zst")])
