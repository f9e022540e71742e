"""Reading corpora and writing results.

Inputs: JSONL (optionally ``.gz`` or ``.zst``), Parquet, a folder of ``.txt`` files (the file
name is the id), or ``-`` for JSONL on stdin. Every record comes out as a :class:`Record`;
one that cannot be read carries an ``error`` naming the file, the line and the problem, so
that callers either fail on it or account for it as skipped. Nothing is dropped silently.

Outputs go through :class:`AtomicOutputDir`: files are written into a staging folder inside
the output directory and moved into place only when the whole run succeeded, so an
interrupted run leaves no half-written file behind.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from ._reference.text import check_text

#: Documents longer than this many characters are refused (``--max-chars``): a limit that a
#: 200 MB scrape artefact trips, and no real article comes near.
DEFAULT_MAX_CHARS = 20_000_000

JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")


class InputError(ValueError):
    """A record that cannot be read; the message names the file, the line and the problem."""


@dataclass
class Record:
    """One input document (or the reason it could not be read)."""

    #: Position in the whole input, from 0: decisions come out in this order.
    index: int
    id: str
    text: str | None
    site: str | None = None
    url: str | None = None
    #: Where it came from, ``path:line`` (or ``path`` for a .txt file, ``path#row`` for Parquet).
    source: str = ""
    #: Why it could not be read; ``text`` is None then.
    error: str | None = None
    #: The other fields of the input record, written back with the cleaned document.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fields:
    id: str = "id"
    text: str = "text"
    site: str = "site"
    url: str = "url"


def site_of(site: object, url: object) -> str | None:
    """The site key of a record: its site field, else the host of its url."""
    if isinstance(site, str) and site.strip():
        return site.strip()
    if isinstance(url, str) and url.strip():
        try:
            host = urlsplit(url.strip()).hostname
        except ValueError:
            return None
        if host:
            return host[4:] if host.startswith("www.") else host
    return None


def _open_binary(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".zst"):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True))
    return open(path, "rb")


def input_kind(spec: str) -> str:
    """``stdin``, ``folder``, ``parquet`` or ``jsonl``; raises InputError for anything else."""
    if spec == "-":
        return "stdin"
    path = Path(spec)
    if path.is_dir():
        return "folder"
    if not path.exists():
        raise InputError(f"{spec}: no such file or folder")
    name = path.name.lower()
    for compression in (".gz", ".zst"):
        if name.endswith(compression):
            name = name[: -len(compression)]
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    raise InputError(f"{spec}: unknown input type (expected .jsonl[.gz|.zst], .parquet, a folder of .txt or -)")


class RecordReader:
    """Reads records from the given inputs, in order, numbering them from 0.

    Records that cannot be read carry an ``error`` (or raise :class:`InputError` with
    ``on_error="fail"``). Duplicate ids are an error too: decisions are keyed by id.
    """

    def __init__(
        self,
        inputs: Iterable[str],
        *,
        fields: Fields = Fields(),
        on_error: str = "fail",
        max_chars: int = DEFAULT_MAX_CHARS,
        stdin: IO[bytes] | None = None,
    ) -> None:
        if not isinstance(on_error, str) or on_error not in ("fail", "skip"):
            raise ValueError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
        self.inputs = list(inputs)
        if not self.inputs:
            raise InputError("no input given")
        for spec in self.inputs:
            input_kind(spec)  # fail early on a missing or unknown input
        self.fields = fields
        self.on_error = on_error
        self.max_chars = max_chars
        self._stdin = stdin
        self._stdin_spool: Path | None = None

    def __iter__(self) -> Iterator[Record]:
        seen: dict[str, str] = {}
        index = 0
        for spec in self.inputs:
            for record in self._read(spec):
                record.index = index
                index += 1
                if record.error is None:
                    first = seen.setdefault(record.id, record.source)
                    if first != record.source:
                        record.error = f"duplicate id {record.id!r} (first seen at {first})"
                        record.text = None
                if record.error is not None and self.on_error == "fail":
                    raise InputError(f"{record.source}: {record.error}")
                yield record

    def close(self) -> None:
        if self._stdin_spool is not None:
            self._stdin_spool.unlink(missing_ok=True)
            self._stdin_spool = None

    def _read(self, spec: str) -> Iterator[Record]:
        kind = input_kind(spec)
        if kind == "folder":
            yield from self._read_folder(Path(spec))
        elif kind == "parquet":
            yield from self._read_parquet(Path(spec))
        elif kind == "stdin":
            # Spooled to a temporary file so that the corpus can be read more than once.
            if self._stdin_spool is None:
                handle, name = tempfile.mkstemp(prefix="neardup-stdin-", suffix=".jsonl")
                with os.fdopen(handle, "wb") as spool:
                    shutil.copyfileobj(self._stdin or sys.stdin.buffer, spool)
                self._stdin_spool = Path(name)
            with open(self._stdin_spool, "rb") as stream:
                yield from self._read_jsonl(stream, "<stdin>")
        else:
            with _open_binary(Path(spec)) as stream:
                yield from self._read_jsonl(stream, spec)

    def _make(self, source: str, default_id: str, obj: dict[str, Any]) -> Record:
        f = self.fields
        raw_id = obj.get(f.id, default_id)
        record = Record(index=-1, id=str(raw_id) if raw_id is not None else default_id, text=None, source=source)
        record.url = obj.get(f.url) if isinstance(obj.get(f.url), str) else None
        record.site = site_of(obj.get(f.site), record.url)
        record.extra = {k: v for k, v in obj.items() if k not in (f.id, f.text)}
        if f.text not in obj:
            record.error = f"missing text field {f.text!r}"
            return record
        text = obj[f.text]
        if not isinstance(text, str):
            record.error = f"text field {f.text!r} is {type(text).__name__}, expected a string"
            return record
        return self._with_text(record, text)

    def _with_text(self, record: Record, text: str) -> Record:
        if len(text) > self.max_chars:
            record.error = f"document has {len(text):,} characters, more than the limit of {self.max_chars:,} (--max-chars)"
            return record
        try:
            check_text(text)
        except ValueError as error:
            record.error = str(error).removeprefix("text: ")
            return record
        record.text = text
        return record

    def _read_jsonl(self, stream: IO[bytes], name: str) -> Iterator[Record]:
        stem = Path(name).name
        for line_number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            source = f"{name}:{line_number}"
            default_id = f"{stem}:{line_number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield Record(-1, default_id, None, source=source, error=f"invalid UTF-8 at byte {error.start} of the line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as error:
                yield Record(-1, default_id, None, source=source, error=f"malformed JSON: {error.msg} at column {error.colno}")
                continue
            if not isinstance(obj, dict):
                yield Record(-1, default_id, None, source=source, error=f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield self._make(source, default_id, obj)

    def _read_folder(self, folder: Path) -> Iterator[Record]:
        for path in sorted(p for p in folder.iterdir() if p.suffix == ".txt" and p.is_file()):
            record = Record(-1, path.stem, None, source=str(path))
            try:
                text = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError as error:
                record.error = f"invalid UTF-8 at byte {error.start}"
            except OSError as error:
                record.error = f"cannot read: {error.strerror}"
            else:
                record = self._with_text(record, text)
            yield record

    def _read_parquet(self, path: Path) -> Iterator[Record]:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        row = 0
        for batch in parquet.iter_batches(batch_size=1024):
            for obj in batch.to_pylist():
                yield self._make(f"{path}#{row}", f"{path.name}#{row}", obj)
                row += 1


class AtomicOutputDir:
    """Stage output files inside ``outdir`` and move them into place only on success.

    Refuses to write over any of ``protected`` (the inputs). On an exception, including
    KeyboardInterrupt, the staging folder is removed and files already in place are untouched.
    """

    def __init__(self, outdir: str | os.PathLike[str], protected: Iterable[str] = ()) -> None:
        self.outdir = Path(outdir)
        self.protected = {Path(p).resolve() for p in protected if p != "-"}
        self.staging: Path | None = None
        self._names: list[str] = []

    def __enter__(self) -> AtomicOutputDir:
        if self.outdir.exists() and not self.outdir.is_dir():
            raise InputError(f"{self.outdir}: exists and is not a folder")
        if self.outdir.resolve() in self.protected:
            raise InputError(f"{self.outdir}: is an input; refusing to write into it")
        self.outdir.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=".neardup-staging-", dir=self.outdir))
        return self

    def path(self, name: str) -> Path:
        """Where to write the output file ``name`` (a plain file name) while staging."""
        if self.staging is None:
            raise RuntimeError("AtomicOutputDir used outside its with-block")
        if Path(name).name != name or name in ("", ".", ".."):
            raise ValueError(f"output name must be a plain file name, got {name!r}")
        final = (self.outdir / name).resolve()
        if final in self.protected:
            raise InputError(f"{final}: is an input; refusing to overwrite it")
        self._names.append(name)
        return self.staging / name

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.staging is not None
        try:
            if exc_type is None:
                for name in self._names:
                    os.replace(self.staging / name, self.outdir / name)
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False))
            out.write("\n")
            count += 1
    return count
