"""Reading corpora: every record of every input, in order, or the reason it cannot be read.

Inputs: JSONL (optionally ``.gz`` or ``.zst``), Parquet, WET and WARC files (``.warc.wet[.gz]``,
``.warc[.gz]``: each ``conversion`` record is a document, see :meth:`RecordReader._read_warc`), a
folder of ``.txt`` files (the file name is the id; ``.TXT`` too; a folder without any is an
error), ``-`` for JSONL on stdin (copied to a temporary file, as is a JSONL input that is a
named pipe, so that every pass reads it), or an Arrow table held in memory (:class:`ArrowInput`: a
``pyarrow.Table``, record batches, a Hugging Face ``datasets.Dataset``). Every record comes out as a :class:`Record`;
one that cannot be read carries an ``error`` naming the file, the line and the problem, so
that callers either fail on it or account for it as skipped. Nothing is dropped silently.
An input that cannot be read at all raises :class:`InputError` naming it.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import json
import math
import os
import re
import stat
import sys
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from .. import _backend
from .._reference.text import check_text
from ..spans import CutText
from .errors import InputError, OutputError, explain, output_error
from .warc import WARC_SUFFIXES, DamagedWarc, read_warc, require_warcio

try:
    # ISA-L's inflate reads gzip about three times as fast as zlib (docs/input.md, "Speed");
    # where it has no wheel the standard library reads the same files.
    from isal import igzip as gzip_reader
    from isal import igzip_threaded
    from isal.isal_zlib import error as InflateError
except ImportError:  # pragma: no cover - isal is a dependency wherever it has wheels
    gzip_reader = gzip  # type: ignore[misc]
    igzip_threaded = None  # type: ignore[assignment]
    InflateError = zlib.error  # type: ignore[misc,assignment]

#: Documents longer than this many characters are refused (``--max-chars``): a limit that a
#: 200 MB scrape artefact trips, and no real article comes near.
DEFAULT_MAX_CHARS = 20_000_000
#: Lines (characters between two line feeds) longer than this are refused
#: (``--max-line-chars``): no paragraph of prose comes near it; a minified script, an inlined
#: image or a whole page without line breaks does.
DEFAULT_MAX_LINE_CHARS = 1_000_000
#: What to do with a document over either limit: refuse it (an error naming the record, as
#: any unreadable record: ``--on-error`` decides), skip it (a ``skipped`` decision whatever
#: ``--on-error`` says), or truncate it (cut to the limits; the decision says what was cut).
OVERSIZE_POLICIES = ("refuse", "skip", "truncate")

JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
#: Bytes of a JSONL input the compiled core parses at a time: whole lines (a longer line is
#: parsed whole), enough that the call costs nothing per line, little enough to hold in memory.
JSONL_BLOCK_BYTES = 1 << 20
#: The first block of an input is this small, and each next one twice the last, up to
#: JSONL_BLOCK_BYTES: the first records come at once, and a pass a few records into an input
#: has read little more than them, as a line-by-line reader has (so that an input appended to
#: during a run is seen to change, pipeline/read.py).
JSONL_FIRST_BLOCK_BYTES = 1 << 14
#: Rows of an Arrow input converted to Python values at a time (as Parquet inputs are read).
ARROW_BATCH_ROWS = 1024


@dataclass
class Record:
    """One input document (or the reason it could not be read)."""

    #: Position in the whole input, from 0: decisions come out in this order.
    index: int
    #: The id as text (a string id itself, a number's or a boolean's ``str``): what the index,
    #: the report and messages show. Identity is this text with the id's type (``1`` is not
    #: ``"1"``; see :attr:`written_id`).
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
    #: Over a size limit (the error says which); with ``oversize="skip"`` never fatal.
    oversized: bool = False
    #: With ``oversize="truncate"``: the text as read, of which ``text`` is what was left, and
    #: the spans of it that were cut, ``(start, end, reason)``; empty when nothing was cut.
    original: str | None = None
    truncated: list[tuple[int, int, str]] = field(default_factory=list)
    #: The id as read, with its JSON type (``1`` and ``"1"`` are two ids): what the JSONL
    #: outputs write. None means the same as :attr:`id` (an id given as text, or made up).
    id_value: Any = None

    @property
    def written_id(self) -> Any:
        """The id as the JSONL outputs write it: the input's value, with its type."""
        return self.id if self.id_value is None else self.id_value


@dataclass(frozen=True)
class Fields:
    id: str = "id"
    text: str = "text"
    site: str = "site"
    url: str = "url"


def site_of(site: object, url: object) -> str | None:
    """The site key of a record: its site field (a string, or a number as its text: a site id
    ``3`` is the site ``"3"``), else the host of its url."""
    if (isinstance(site, int) and not isinstance(site, bool)) or (isinstance(site, float) and math.isfinite(site)):
        site = str(site)
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


#: The deepest nesting of arrays and objects a JSONL record may have (the record itself is
#: level 1). Deeper is an unreadable record, refused before parsing: Python's json parses
#: (and writes) nested values recursively, and a record ~1,000 levels deep would end the
#: run with a RecursionError. 256 leaves json room under the interpreter's default limit of
#: 1,000 frames, for parsing and for writing the record back; no real record comes near it.
MAX_DEPTH = 256

# A JSON string literal (the parser's own rule: from a quote to the next unescaped quote).
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: The compiled core when it is the backend: it parses JSONL lines a block at a time
#: (rust/jsonl.rs). None under the reference backend, which reads line by line in Python.
_jsonl_core = _backend.IMPL if _backend.NAME == "rust" else None


def nesting_depth(line: str) -> int:
    """The deepest nesting of arrays and objects in the JSON text ``line``, as the parser
    meets it: brackets inside strings do not count, nor does anything after a string that is
    never closed (the parser stops there). Linear time, no recursion."""
    outside = _JSON_STRING.sub("", line)
    unclosed = outside.find('"')
    if unclosed >= 0:
        outside = outside[:unclosed]
    brackets = _NOT_BRACKETS.sub("", outside)
    return max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def parse_json_line(line: str) -> tuple[Any, str | None]:
    """The value of one JSONL line, or why it cannot be read: ``(value, None)`` or
    ``(None, problem)``. Nesting deeper than :data:`MAX_DEPTH` and integers longer than
    Python converts (``sys.get_int_max_str_digits()``, 4,300 digits by default) are
    problems of the record, like malformed JSON; nothing is raised."""
    # Counting brackets is enough for nearly every line; only a line with many is walked.
    if line.count("[") + line.count("{") > MAX_DEPTH and (depth := nesting_depth(line)) > MAX_DEPTH:
        return None, f"nested too deeply: {depth:,} levels of arrays and objects, more than the limit of {MAX_DEPTH}"
    if line.startswith("\ufeff"):
        # json's own message ("decode using utf-8-sig") is for a programmer. The reader
        # strips one at the start of a file: one here is inside it (files joined with cat).
        return None, "a byte order mark (U+FEFF) at the start of the line: one is accepted only at the start of a file (were files that begin with one joined together?)"
    try:
        return json.loads(line), None
    except json.JSONDecodeError as error:
        # Some of json's messages end in " at" ("Invalid control character at").
        where = f"column {error.pos + 1}" + (" (the end of the line)" if error.pos >= len(line) else "")
        return None, f"malformed JSON: {error.msg.removesuffix(' at')} at {where}"
    except ValueError as error:
        # json converts integer literals with int(), which refuses more digits than the
        # interpreter's limit (a guard against quadratic conversions), with a ValueError.
        if "integer string conversion" not in str(error):
            raise
        return None, f"an integer of more than {sys.get_int_max_str_digits():,} digits (the limit of Python's integer conversion)"
    except RecursionError:
        # Only if the interpreter's stack is already deep (an embedding application's).
        return None, "nested too deeply for the interpreter's recursion limit"


def _surrogate_problem(what: str, value: str) -> str | None:
    """Why ``value`` cannot be accepted as ``what`` (a lone surrogate: not Unicode text), or None."""
    found = _LONE_SURROGATE.search(value)
    if found is None:
        return None
    return f"{what}: lone surrogate U+{ord(found.group()):04X} at index {found.start()} (not valid Unicode text)"


def _id_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be a record's id (field ``name``), or None. An id is a string, a
    number or a boolean (kept with its type); not an array or object, not NaN or infinity
    (JSON has none), not text with a lone surrogate."""
    if isinstance(value, str):
        return _surrogate_problem(f"id field {name!r}", value)
    if isinstance(value, float) and not math.isfinite(value):
        return f"id field {name!r} is {'NaN' if math.isnan(value) else 'infinite'}, expected a string or a finite number"
    if isinstance(value, (list, tuple, dict)):
        return f"id field {name!r} is {'an object' if isinstance(value, dict) else 'an array'}, expected a string or a number"
    if not isinstance(value, (int, float)):
        # Only from typed inputs (an Arrow column of bytes, dates, decimals): JSON has none.
        return f"id field {name!r} is {type(value).__name__}, expected a string or a number"
    return None


def _is_number(value: object) -> bool:
    """Whether ``value`` is a JSON number (an int or a float; a boolean is not one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_of(value: object) -> str:
    """What a JSON value is, as messages name it (``an array``); a typed input's values (a
    Parquet column of dates, bytes, decimals) by their Python type."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if _is_number(value):
        return "a number"
    return type(value).__name__


def _site_or_url(role: str, name: str, value: Any) -> tuple[str | None, str | None]:
    """The site or url (``role``) of a record, from its field ``name``, as text, and why it
    cannot be read: ``(text, None)`` or ``(None, problem)``. Absent or null: none (the site
    is then the url's host). A string; a site may be a number too, used as its text (a site
    id: ``3`` is the site ``"3"``, as an id ``3`` is the text ``"3"``). Any other value is a
    problem of the record, not ignored: ignoring it would leave the record without its site,
    and its chrome unstripped, without a word."""
    if value is None:
        return None, None
    if isinstance(value, str):
        return value, _surrogate_problem(f"{role} field {name!r}", value)
    if role == "site" and _is_number(value):
        if isinstance(value, float) and not math.isfinite(value):  # (an int of any size is finite)
            return None, f"site field {name!r} is {'NaN' if math.isnan(value) else 'infinite'}, expected a string or a finite number"
        return str(value), None
    expected = "a string or a number" if role == "site" else "a string"
    return None, f"{role} field {name!r} is {_type_of(value)}, expected {expected}"


#: What a file begins with when it is compressed: the hint for a compressed input read as
#: plain JSONL (on standard input, or a file without its .gz or .zst name).
_COMPRESSED_MAGIC = {b"\x1f\x8b": ("gzip", ".gz", "gunzip -c"), b"\x28\xb5\x2f\xfd": ("zstd", ".zst", "zstd -dc")}
_BOM = b"\xef\xbb\xbf"


def _compressed_hint(raw: bytes, stdin: bool) -> str:
    """A hint for the first line of a JSONL input that is not UTF-8 because the input is
    compressed data; empty otherwise."""
    for magic, (what, suffix, command) in _COMPRESSED_MAGIC.items():
        if raw.startswith(magic):
            if stdin:
                return f" (this is {what}-compressed data: decompress it first, {command} FILE | neardup ... -, or give the file itself, named {suffix})"
            return f" (this is {what}-compressed data: name the file {suffix}, or decompress it first, {command} FILE)"
    return ""


class _Corrupt(Exception):
    """A compressed input that is truncated or corrupt (raised as InputError naming it)."""


class _ZstdFrames(io.RawIOBase):
    """The decompressed bytes of every frame of a ``.zst`` file, in order. A file that ends
    inside a frame raises :class:`_Corrupt`: zstandard's stream reader returns what it has
    then, so a truncated file would read as fewer records without a word."""

    # Compressed bytes per step: under a MB of output for text; small, as it also bounds what
    # one step of a pathological file (long runs of one byte) expands to in memory.
    CHUNK = 1 << 16

    def __init__(self, source: Path | IO[bytes]) -> None:
        """``source``: the file, or a reader's copy of it (left open when this is closed)."""
        import zstandard

        super().__init__()
        self._error = zstandard.ZstdError
        self._decompressor = zstandard.ZstdDecompressor()
        self._frame: Any = None  # the decompressobj of the frame under way; None between frames
        self._owned = isinstance(source, Path)
        self._file: IO[bytes] = open(source, "rb") if isinstance(source, Path) else source
        self._out = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._out:
            chunk = self._file.read(self.CHUNK)
            if not chunk:
                if self._frame is not None:
                    raise _Corrupt("truncated: the file ends in the middle of a zstd frame")
                return 0
            self._out = memoryview(self._decompress(chunk))
        size = min(len(buffer), len(self._out))
        buffer[:size] = self._out[:size]
        self._out = self._out[size:]
        return size

    def _decompress(self, data: bytes) -> bytes:
        parts = []
        try:
            while data:
                if self._frame is None:
                    self._frame = self._decompressor.decompressobj()
                parts.append(self._frame.decompress(data))
                data = b""
                if self._frame.eof:  # the frame is complete: what follows starts the next one
                    data, self._frame = self._frame.unused_data, None
        except self._error as error:
            raise _Corrupt(f"corrupt zstd data ({error})") from None
        return b"".join(parts)

    def close(self) -> None:
        try:
            if self._owned:
                self._file.close()
        finally:
            super().close()


def _compression(path: Path) -> str:
    """``gzip``, ``zstd`` or ``""``: how a JSONL input is compressed, by its name."""
    name = path.name.lower()
    return "gzip" if name.endswith(".gz") else "zstd" if name.endswith(".zst") else ""


def _open_binary(path: Path, inflate_in_thread: bool = False, copy: IO[bytes] | None = None) -> IO[bytes]:
    """The bytes of the JSONL input ``path``, decompressed; for a compressed input, read from
    ``copy`` when given (the reader's copy of an input that can be read only once, which
    closing this leaves open; a plain input's copy is read as it is)."""
    source: Path | IO[bytes] = path if copy is None else copy
    compression = _compression(path)
    if compression == "gzip":
        if inflate_in_thread and igzip_threaded is not None:
            # ISA-L inflates in a thread of its own, without the GIL, a block of 1 MiB ahead.
            return igzip_threaded.open(source, "rb", threads=1)
        return gzip_reader.open(source, "rb")
    if compression == "zstd":
        return io.BufferedReader(_ZstdFrames(source))
    return open(path, "rb")


def gzip_fault(spec: object) -> str:
    """What is wrong with a gzip input whose reading ended early: ISA-L's reader says so of a
    file cut short and of bytes after the gzip data that are not gzip alike, so the file is
    read again with the standard library, which tells them apart (only on this error path).
    ``spec``: the file's path, or a binary file object holding its bytes (the reader's copy
    of a named pipe), read from its start."""
    try:
        if isinstance(spec, io.IOBase):
            spec.seek(0)
        with gzip.GzipFile(fileobj=spec) if isinstance(spec, io.IOBase) else gzip.open(str(spec), "rb") as handle:
            while handle.read(1 << 20):
                pass
    except EOFError:
        pass
    except (OSError, zlib.error) as error:
        return f"corrupt gzip data ({error})"
    return "truncated: the file ends before the end of its gzip data"


class ArrowInput:
    """A corpus held as Arrow data, read in batches of :data:`ARROW_BATCH_ROWS` rows, one
    row a record (its columns the record's fields, as a Parquet input's): a
    ``pyarrow.Table`` or ``RecordBatch``, a Hugging Face ``datasets.Dataset`` or
    ``IterableDataset`` (read through its ``arrow`` format, so a ``select``, ``shuffle`` or
    ``filter`` view is read as the view, in its order), or an iterable of record batches or
    tables. Each pass over the corpus reads the source again; an iterator or a
    ``pyarrow.RecordBatchReader`` can be read only once, so it is first copied to an unnamed
    temporary file (Arrow IPC; in ``TMPDIR``) and the passes read the copy.

    ``name`` stands for the input in messages and sources: row ``k`` is ``name#k``, which is
    also the id of a row without one.
    """

    def __init__(self, source: Any, name: str = "table") -> None:
        import pyarrow as pa

        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self.name = name
        self.source = source
        self._spool: IO[bytes] | None = None
        self._schema: Any = None
        datasets = sys.modules.get("datasets")  # a Dataset comes from an imported library
        if datasets is not None and isinstance(source, (datasets.Dataset, datasets.IterableDataset)):
            self._kind = "dataset"
        elif isinstance(source, (pa.Table, pa.RecordBatch)):
            self._kind = "table"
        elif isinstance(source, (pa.RecordBatchReader, Iterator)):
            self._kind = "once"
        elif isinstance(source, Iterable) and not isinstance(source, (str, bytes, dict)):
            self._kind = "batches"
        else:
            raise TypeError(
                f"{name}: expected a pyarrow.Table, RecordBatch or RecordBatchReader, a datasets.Dataset or "
                f"IterableDataset, or an iterable of record batches; got {type(source).__name__}"
            )

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"ArrowInput({type(self.source).__name__}, name={self.name!r})"

    def batches(self) -> Iterator[Any]:
        """One pass over the source: ``pyarrow.RecordBatch``es of at most
        :data:`ARROW_BATCH_ROWS` rows, in order, of one schema."""
        if self._kind == "dataset":
            # The arrow format yields slices of the dataset's (memory-mapped) table.
            parts: Iterable[Any] = self.source.with_format("arrow").iter(batch_size=ARROW_BATCH_ROWS)
        elif self._kind == "table":
            parts = [self.source]
        elif self._kind == "batches":
            parts = self.source
        else:
            parts = self._spooled()
        for part in self._uniform(parts):
            yield from part.to_batches(max_chunksize=ARROW_BATCH_ROWS)

    def schema(self) -> Any:
        """The columns of the source (``pyarrow.Schema``)."""
        if self._schema is None:
            if self._kind == "table":
                self._schema = self.source.schema
            elif self._kind == "dataset" and self.source.features is not None:
                self._schema = self.source.features.arrow_schema
            else:
                for _ in self.batches():  # sets the schema on its first batch
                    break
                if self._schema is None:
                    raise InputError(f"{self.name}: holds no record batch, so no columns")
        return self._schema

    def _uniform(self, parts: Iterable[Any]) -> Iterator[Any]:
        """``parts`` as tables of one schema (the first's; the others are cast to it)."""
        import pyarrow as pa

        schema = None
        for number, part in enumerate(parts):
            if isinstance(part, pa.RecordBatch):
                part = pa.Table.from_batches([part])
            elif not isinstance(part, pa.Table):
                raise InputError(f"{self.name}: item {number} is a {type(part).__name__}, expected a pyarrow.RecordBatch or Table")
            if schema is None:
                schema = part.schema
                if self._schema is None:
                    self._schema = schema
            elif not part.schema.equals(schema):
                try:
                    part = part.cast(schema)
                except (pa.ArrowException, ValueError) as error:
                    raise InputError(f"{self.name}: batch {number} has other columns than the first ({error})") from None
            yield part

    def _spooled(self) -> Iterator[Any]:
        """The batches of a source that can be read once, from a copy made on the first pass."""
        import pyarrow as pa

        if self._spool is None:
            spool = tempfile.TemporaryFile(prefix="neardup-arrow-", suffix=".arrow")
            try:
                writer = None
                for part in self._uniform(self.source):
                    if writer is None:
                        writer = pa.ipc.new_stream(pa.PythonFile(spool, mode="w"), part.schema)
                    writer.write_table(part)
                if writer is not None:
                    writer.close()
            except OSError as error:
                spool.close()
                raise output_error(f"a copy of {self.name} in {tempfile.gettempdir()} (set TMPDIR to a folder with room)", error) from None
            except BaseException:
                spool.close()
                raise
            self._spool = spool
        if self._spool.seek(0, io.SEEK_END) == 0:  # the source held no batch
            return
        self._spool.seek(0)
        yield from pa.ipc.open_stream(pa.PythonFile(self._spool, mode="r"))

    def close(self) -> None:
        """Remove the copy of a source that can be read once (it cannot be read again after)."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None


def _is_regular(path: Path) -> bool:
    """Whether ``path`` is a regular file (its target, for a symbolic link): one that can be
    opened and read again, as every pass does; not a named pipe or a device."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return True  # its reading says what is wrong with it


def _file_kind(path: Path) -> str:
    """What a file that is not a regular one is, for messages: ``a named pipe`` and so on."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "a file that cannot be read"
    for test, what in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return what
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def input_kind(spec: str | ArrowInput) -> str:
    """``stdin``, ``folder``, ``parquet``, ``jsonl``, ``warc`` or ``arrow`` (an
    :class:`ArrowInput`); raises InputError for anything else, and for a Parquet or WARC
    input that is not a regular file (a named pipe)."""
    if isinstance(spec, ArrowInput):
        return "arrow"
    if spec == "-":
        return "stdin"
    path = Path(spec)
    if path.is_dir():
        return "folder"
    if not path.exists():
        raise InputError(f"{spec}: no such file or folder")
    name = path.name.lower()
    compression = ""
    for suffix in (".gz", ".zst"):
        if name.endswith(suffix):
            name, compression = name[: -len(suffix)], suffix
    if name.endswith(".parquet"):
        if not _is_regular(path):
            # Parquet is read from its end (its footer), and the clean job reads its columns
            # by name (pipeline/write.py): a named pipe can do neither.
            raise InputError(f"{spec}: a Parquet input must be a regular file, not {_file_kind(path)}: save it to a file first")
        return "parquet"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(WARC_SUFFIXES):
        if compression == ".zst":
            raise InputError(f"{spec}: a WARC compressed with zstd is not read (give it as .warc, .warc.gz, .warc.wet or .warc.wet.gz)")
        if not _is_regular(path):
            # Its reader opens the file by name, more than once (neardup/io/warc.py): a
            # named pipe would wait for a writer (a JSONL one is copied: RecordReader).
            raise InputError(f"{spec}: a WARC or WET input must be a regular file, not {_file_kind(path)}: save it to a file first")
        return "warc"
    raise InputError(
        f"{spec}: unknown input type (expected .jsonl[.gz|.zst], .parquet, .warc.wet[.gz] or .warc[.gz], a folder of .txt or -)"
    )


def _id_names(specs: list[str]) -> dict[str, str]:
    """What stands for each file input in the ids made up for records without one
    (``NAME:LINE``, ``NAME#ROW``, ``NAME@OFFSET``): its file name, unless another input has
    the same file name in another folder, when it is the path as given (normalised:
    ``./d1/x.jsonl`` is ``d1/x.jsonl``), so that two days' ``pages.jsonl`` do not give the
    same ids. File names that clash with no other input's keep their ids whatever else is
    read; a file given twice (under any spelling: ``x.jsonl``, ``/data/x.jsonl``, a symbolic
    link) is one file, its ids duplicates."""
    files: dict[str, set[str]] = {}  # file name -> the files (real paths) of that name
    shown: dict[str, str] = {}  # real path -> its first spelling, normalised: one name per file
    for spec in specs:
        real = os.path.realpath(spec)
        files.setdefault(Path(spec).name, set()).add(real)
        shown.setdefault(real, os.path.normpath(spec))
    return {spec: Path(spec).name if len(files[Path(spec).name]) == 1 else shown[os.path.realpath(spec)] for spec in specs}


class RecordReader:
    """Reads records from the given inputs, in order, numbering them from 0.

    Records that cannot be read carry an ``error`` (or raise :class:`InputError` with
    ``on_error="fail"``): malformed JSON, nesting deeper than :data:`MAX_DEPTH`, an integer
    longer than Python converts, a missing or non-string text, an id that is an array, an
    object, NaN or infinity, a site that is not a string or a finite number, a url that is not
    a string, a lone surrogate in the text, the id, the site or the url, a folder's ``.txt``
    entry that cannot be read (a broken symbolic link, a named pipe). Duplicate
    ids are an error too: decisions are keyed by id. A record without an id is given one from
    its input's file name and its position (see :func:`_id_names`). An id keeps its JSON type (``1`` and
    ``"1"`` are two ids, :attr:`Record.written_id`); with ``ids_as_text`` (for an index, whose
    ids are text) they are one, and the second is a duplicate.

    Size limits: a text longer than ``max_chars``, or with a line (characters between two line
    feeds) longer than ``max_line_chars`` (None: no line limit), is refused with an error naming
    the line and the lengths (``oversize="refuse"``), refused without ever being fatal
    (``"skip"``), or truncated (``"truncate"``): then ``text`` is what is left, ``original`` the
    text as read and ``truncated`` the cut spans of it with their reasons (see
    :func:`truncation`). Finding the long lines is one linear pass.

    ``keep_extra=False`` leaves every :attr:`Record.extra` empty, for callers that use only the
    id, the text and the site (the other fields are still read, and checked, but not made
    Python values). ``jsonl_in_core``: whether the lines of a JSONL input are parsed in the
    compiled core, a block of lines at a time, with every line it cannot be sure to read as
    Python does (and every problem) left to the line-by-line Python path, which gives the same
    records and errors; None (default) parses in the core when the core is the backend
    (:func:`neardup.backend`), False always line by line in Python.
    """

    def __init__(
        self,
        inputs: Iterable[str | ArrowInput],
        *,
        fields: Fields = Fields(),
        on_error: str = "fail",
        max_chars: int = DEFAULT_MAX_CHARS,
        max_line_chars: int | None = DEFAULT_MAX_LINE_CHARS,
        oversize: str = "refuse",
        stdin: IO[bytes] | None = None,
        ids_as_text: bool = False,
        keep_extra: bool = True,
        jsonl_in_core: bool | None = None,
    ) -> None:
        if not isinstance(on_error, str) or on_error not in ("fail", "skip"):
            raise ValueError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
        if oversize not in OVERSIZE_POLICIES:
            raise ValueError(f"oversize must be one of {', '.join(OVERSIZE_POLICIES)}, got {oversize!r}")
        for name, limit in (("max_chars", max_chars), ("max_line_chars", max_line_chars)):
            if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
                raise ValueError(f"{name} must be an int >= 1 (or None for no line limit), got {limit!r}")
        self.inputs = list(inputs)
        if not self.inputs:
            raise InputError("no input given")
        kinds = [input_kind(spec) for spec in self.inputs]  # fails early on a missing or unknown input
        for spec, kind in zip(self.inputs, kinds):
            if kind == "warc":  # or one whose reader is not installed
                require_warcio(spec)
        self._id_names = _id_names([spec for spec, kind in zip(self.inputs, kinds) if kind in ("jsonl", "parquet", "warc")])
        self.fields = fields
        #: Records of the pass under way (or the last) whose site field held a value: none,
        #: after a pass over documents, when the site field (--site-field) is misspelled.
        self.site_fields_read = 0
        self.on_error = on_error
        self.max_chars = max_chars
        self.max_line_chars = max_line_chars
        self.oversize = oversize
        self.ids_as_text = ids_as_text
        self.keep_extra = keep_extra
        #: Gzip inputs inflated in a thread of their own while the records are made: the same
        #: records, but a corrupt or truncated file fails a block (1 MiB) earlier or later, so
        #: the line its error names depends on it (the clean job sets it for the passes after
        #: the first, which read a file the first pass has read whole).
        self.inflate_in_thread = False
        if jsonl_in_core and _jsonl_core is None:
            raise ValueError(f"jsonl_in_core=True needs the compiled core as the backend; the backend is {_backend.NAME!r}")
        self.jsonl_in_core = _jsonl_core is not None if jsonl_in_core is None else jsonl_in_core
        self._stdin = stdin
        #: Copies of the inputs that can be read only once (standard input, a named pipe),
        #: by spec, made by the first pass and read by every pass.
        self._copies: dict[str, IO[bytes]] = {}
        #: The line of a JSONL input being read: a truncated or corrupt file is named with
        #: the line where its data ends.
        self._line, self._line_input = 0, False
        #: When set (an object with ``update(bytes)``, such as a ``hashlib`` hash),
        #: everything a pass reads goes into it: the bytes of
        #: JSONL inputs parsed in the core as read, each other record's id and text (or error),
        #: so that two passes over unchanged inputs give equal digests.
        self.digest: Any = None
        # Whether the input being read goes into the digest as its bytes.
        self._digests_bytes = False

    def __iter__(self) -> Iterator[Record]:
        # One pass over the corpus; callers make several, each with its own ``seen``. Within
        # a pass an id read a second time is a duplicate, wherever it came from: a file (or -)
        # given twice reads as the same records, with the same sources, again, and would be
        # decided twice. Sounder than refusing equal paths up front: the rule decisions rely
        # on (one id, one decision) then holds however the inputs are named, with no second rule.
        # Ids are keyed with their type: 1 and "1" (or true and "True") are two ids, as they
        # are two values in the JSONL outputs, which write each id as read; with
        # ``ids_as_text`` (an index keeps ids as text) they are one.
        seen: dict[tuple[bool, str], tuple[str, Any]] = {}
        index = 0
        self.site_fields_read = 0
        for spec in self.inputs:
            for record in self._read(spec):
                record.index = index
                index += 1
                if record.error is None:
                    written = record.written_id
                    key = (self.ids_as_text or isinstance(written, str), record.id)
                    first = seen.get(key)
                    if first is None:
                        seen[key] = (record.source, written)
                    else:
                        where, before = first
                        again = ": the same input is given twice" if where == record.source else ""
                        if type(before) is not type(written):
                            again = f", as {before!r}" + (": the index keeps ids as text" if self.ids_as_text else "")
                        record.error = f"duplicate id {record.id!r} (first seen at {where}{again})"
                        record.text = None
                if self.digest is not None and not self._digests_bytes:
                    self.digest.update(f"{record.id}\0{record.text if record.text is not None else record.error}\0".encode("utf-8", "surrogatepass"))
                fatal = self.on_error == "fail" and not (record.oversized and self.oversize == "skip")
                if record.error is not None and fatal:
                    raise InputError(f"{record.source}: {record.error}")
                yield record

    @property
    def names(self) -> list[str]:
        """The inputs as messages and the summary name them (a path, ``-``, an Arrow input's name)."""
        return [str(spec) for spec in self.inputs]

    @property
    def paths(self) -> list[str]:
        """The inputs that are files or folders (an output must not overwrite them)."""
        return [spec for spec in self.inputs if isinstance(spec, str) and spec != "-"]

    def close(self) -> None:
        for copy in self._copies.values():
            copy.close()
        self._copies.clear()
        for spec in self.inputs:
            if isinstance(spec, ArrowInput):
                spec.close()

    def _read(self, spec: str | ArrowInput) -> Iterator[Record]:
        self._line, self._line_input, self._digests_bytes = 0, False, False
        try:
            yield from self._read_kind(spec)
        except (_Corrupt, DamagedWarc) as error:
            raise InputError(f"{self._where(spec)}: {error}") from None
        except EOFError:  # gzip's word for a file cut short
            raise InputError(f"{self._where(spec)}: {gzip_fault(self._copies.get(str(spec), spec))}") from None
        except (zlib.error, InflateError) as error:
            raise InputError(f"{self._where(spec)}: corrupt gzip data ({error})") from None
        except OSError as error:
            if isinstance(error, OutputError):
                raise
            if isinstance(error, gzip.BadGzipFile):
                raise InputError(f"{self._where(spec)}: corrupt gzip data ({error})") from None
            # An input that vanished, lost its permissions or fails to read mid-way.
            raise InputError(f"{self._where(spec)}: cannot read: {explain(error)}") from None

    def _where(self, spec: str | ArrowInput) -> str:
        """``spec:LINE`` for the line of a JSONL input being read when it failed (the line
        after the last one read), ``spec`` for other inputs and failures before any line."""
        return f"{spec}:{self._line + 1}" if self._line_input else spec

    def _read_kind(self, spec: str | ArrowInput) -> Iterator[Record]:
        if isinstance(spec, ArrowInput):
            yield from self._read_arrow(spec)
            return
        kind = input_kind(spec)
        if kind == "folder":
            yield from self._read_folder(Path(spec))
        elif kind == "parquet":
            yield from self._read_parquet(spec)
        elif kind == "warc":
            yield from self._read_warc(spec)
        elif kind == "stdin":
            # One pass at a time reads the copy: passes are sequential.
            yield from self._read_jsonl(self._copy_of(spec), "<stdin>")
        else:
            path = Path(spec)
            # A named pipe can be read once; every pass reads the copy the first one made.
            copy = None if _is_regular(path) else self._copy_of(spec)
            compression = _compression(path)
            if compression:
                size = copy.seek(0, io.SEEK_END) if copy is not None else path.stat().st_size
                if size == 0:
                    # Not an empty corpus: gzip -t and zstd -t refuse it, as a file cut short.
                    self._line_input = True
                    raise _Corrupt(f"truncated: the file is empty (0 bytes), without even a {compression} header")
                if copy is not None:
                    copy.seek(0)
            elif copy is not None:
                yield from self._read_jsonl(copy, spec)
                return
            with _open_binary(path, self.inflate_in_thread, copy) as stream:
                yield from self._read_jsonl(stream, spec)

    def _copy_of(self, spec: str) -> IO[bytes]:
        """An input that can be read only once (``-``, standard input; a named pipe) copied
        to a temporary file by the first pass, so that the corpus can be read more than once;
        returned at its start. The file has no name (unlinked at once), so a killed run
        leaves none."""
        copy = self._copies.get(spec)
        if copy is None:
            folder = tempfile.gettempdir()
            what = "standard input" if spec == "-" else spec
            copy = tempfile.TemporaryFile(prefix="neardup-input-", suffix=".copy")
            try:
                with contextlib.ExitStack() as opened:
                    if spec == "-":
                        source = self._stdin or sys.stdin.buffer
                    else:
                        source = opened.enter_context(open(spec, "rb"))
                    # Only the writes are the copy's: an error reading the input stays an input error.
                    while chunk := source.read(1 << 20):
                        self._write_copy(copy, what, folder, chunk)
                    self._write_copy(copy, what, folder, None)
            except BaseException:
                copy.close()
                raise
            self._copies[spec] = copy
        copy.seek(0)
        return copy

    @staticmethod
    def _write_copy(copy: IO[bytes], what: str, folder: str, chunk: bytes | None) -> None:
        """Write ``chunk`` to the copy of the input ``what`` (None: flush it)."""
        try:
            copy.write(chunk) if chunk is not None else copy.flush()
        except OSError as error:
            raise output_error(f"a copy of {what} in {folder} (set TMPDIR to a folder with room)", error) from None

    def _make(self, source: str, default_id: str, obj: dict[str, Any]) -> Record:
        f = self.fields
        record = Record(index=-1, id=default_id, text=None, source=source)
        if self.keep_extra:
            record.extra = {k: v for k, v in obj.items() if k not in (f.id, f.text)}
        raw_id = obj.get(f.id)
        if raw_id is not None:
            problem = _id_problem(f.id, raw_id)
            if problem:
                record.error = problem
                return record
            record.id = raw_id if isinstance(raw_id, str) else str(raw_id)
            record.id_value = raw_id
        # The id, the site and the url reach the core, the index, the report and Parquet
        # output, none of which can hold a lone surrogate: refused here, with the record's
        # line, as one in the text is. (Other fields are written back as read, escaped.)
        site, problem = _site_or_url("site", f.site, obj.get(f.site))
        url, url_problem = _site_or_url("url", f.url, obj.get(f.url))
        if problem or url_problem:
            record.error = problem or url_problem
            return record
        if site is not None:
            self.site_fields_read += 1
        record.url = url
        record.site = site_of(site, url)
        if f.text not in obj:
            record.error = f"missing text field {f.text!r}"
            return record
        text = obj[f.text]
        if not isinstance(text, str):
            record.error = f"text field {f.text!r} is {type(text).__name__}, expected a string"
            return record
        return self._with_text(record, text)

    def _with_text(self, record: Record, text: str) -> Record:
        long_lines = long_lines_of(text, self.max_line_chars)
        if len(text) > self.max_chars or long_lines:
            if self.oversize != "truncate":
                record.oversized = True
                record.error = oversize_message(text, long_lines, self.max_chars, self.max_line_chars)
                return record
        try:
            check_text(text)
        except ValueError as error:
            record.error = str(error).removeprefix("text: ")
            return record
        if len(text) > self.max_chars or long_lines:
            record.original = text
            record.truncated = truncation(text, long_lines, self.max_chars, self.max_line_chars)
            text = CutText(text, record.truncated).text
        record.text = text
        return record

    def _read_jsonl(self, stream: IO[bytes], name: str) -> Iterator[Record]:
        self._line, self._line_input = 0, True
        if self.jsonl_in_core:
            yield from self._read_jsonl_blocks(stream, name)
            return
        stem = self._id_names.get(name, Path(name).name)
        for line_number, raw in enumerate(stream, start=1):
            self._line = line_number
            if line_number == 1:
                raw = raw.removeprefix(_BOM)  # as most tools do (Python's utf-8-sig)
            if raw.strip():
                yield self._jsonl_record(raw, name, stem, line_number)

    def _jsonl_record(self, raw: bytes, name: str, stem: str, line_number: int) -> Record:
        """The record of the non-blank line ``raw`` of a JSONL input (line ``line_number`` of
        ``name``, whose file name is ``stem``), or why it cannot be read: the reference."""
        source = f"{name}:{line_number}"
        default_id = f"{stem}:{line_number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            hint = _compressed_hint(raw, name == "<stdin>") if line_number == 1 else ""
            return Record(-1, default_id, None, source=source, error=f"invalid UTF-8 at byte {error.start} of the line{hint}")
        # Without its line ending: else an error at the end of the line is placed on the next.
        line = line.removesuffix("\n").removesuffix("\r")
        obj, problem = parse_json_line(line)
        if problem is not None:
            return Record(-1, default_id, None, source=source, error=problem)
        if not isinstance(obj, dict):
            return Record(-1, default_id, None, source=source, error=f"expected a JSON object, got {type(obj).__name__}")
        return self._make(source, default_id, obj)

    def _read_jsonl_blocks(self, stream: IO[bytes], name: str) -> Iterator[Record]:
        """The records of a JSONL input, its lines parsed in the compiled core a block at a
        time. The stream is read as iterating over its lines reads it, ``read1(-1)``: one read
        of the stream's buffer size at a time, each handed over before the next. A truncated
        or corrupt file then fails at the same read as line by line (for a gzip file, how much
        is decompressed per read decides where a corrupt one stops), and the records of every
        whole line before the failure come out, the error naming the line after them."""
        stem = self._id_names.get(name, Path(name).name)
        self._digests_bytes = True
        pending: list[bytes] = []
        size = 0
        block_bytes = min(JSONL_FIRST_BLOCK_BYTES, JSONL_BLOCK_BYTES)
        while True:
            try:
                chunk = stream.read1(-1)
            except Exception:
                block = b"".join(pending)
                yield from self._block_records(block, block.rfind(b"\n") + 1, name, stem)
                raise
            if not chunk:  # the end: the last line may lack its line feed
                block = b"".join(pending)
                yield from self._block_records(block, len(block), name, stem)
                return
            pending.append(chunk)
            size += len(chunk)
            # Only the new chunk is searched: a long line is not searched again for each chunk.
            if size >= block_bytes and (cut := chunk.rfind(b"\n")) >= 0:
                block = b"".join(pending)
                end = size - len(chunk) + cut + 1
                yield from self._block_records(block, end, name, stem)
                pending, size = [block[end:]], size - end
                block_bytes = min(2 * block_bytes, JSONL_BLOCK_BYTES)

    def _block_records(self, block: bytes, end: int, name: str, stem: str) -> Iterator[Record]:
        """The records of the whole lines ``block[:end]``, which follow line ``self._line``."""
        if self.digest is not None:
            self.digest.update(block if end == len(block) else memoryview(block)[:end])
        f = self.fields
        items = _jsonl_core.parse_jsonl_block(block, end, f.id, f.text, f.site, f.url, self.keep_extra)
        line_number = self._line
        # A text no longer than this is within both size limits (as _with_text would find).
        within_limits = min(self.max_chars, self.max_chars if self.max_line_chars is None else self.max_line_chars)
        for item in items:
            line_number += 1
            self._line = line_number
            if item is None:  # a blank line
                continue
            if item.__class__ is bytes:  # a line the core leaves to the Python path
                if line_number == 1:
                    item = item.removeprefix(_BOM)  # (serde_json refuses a BOM)
                    if not item.strip():
                        continue
                yield self._jsonl_record(item, name, stem, line_number)
                continue
            # (A site or url that is neither text nor null left the line to the Python path.)
            id_value, text, site, url, extra = item
            if site is not None:
                self.site_fields_read += 1
            source = f"{name}:{line_number}"
            if id_value is None:
                record = Record(-1, f"{stem}:{line_number}", None, site=site_of(site, url), url=url, source=source)
            else:
                written = id_value if id_value.__class__ is str else str(id_value)
                record = Record(-1, written, None, site=site_of(site, url), url=url, source=source, id_value=id_value)
            if extra is not None:
                record.extra = extra
            # Text the core parsed has no lone surrogate (serde_json refuses one): within the
            # limits there is nothing left to check.
            if len(text) <= within_limits:
                record.text = text
            else:
                record = self._with_text(record, text)
            yield record

    def _read_folder(self, folder: Path) -> Iterator[Record]:
        # .txt in any case, as file inputs' suffixes are (.JSONL, .Parquet).
        entries = sorted(folder.iterdir())
        # Every .txt entry but a folder: one that cannot be read (a broken symbolic link, a
        # named pipe) is an unreadable record, not left out unsaid.
        texts = [p for p in entries if p.suffix.lower() == ".txt" and not p.is_dir()]
        if not texts:
            # Likely the wrong folder (say, a Spark output of part-*.parquet): not 0 documents.
            others = [p.name for p in entries]
            shown = f" ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''})" if others else ""
            raise InputError(
                f"{folder}: the folder holds no .txt files (a folder input is read as one document per .txt file; "
                f"sub-folders are not read); {len(others)} other entr{'y' if len(others) == 1 else 'ies'} ignored{shown}"
            )
        for path in texts:
            record = Record(-1, path.stem, None, source=str(path))
            if _LONE_SURROGATE.search(path.stem):  # bytes that are not UTF-8, as Python decodes file names
                record.error = "the file name (the id) is not valid UTF-8"
                yield record
                continue
            if path.exists() and not _is_regular(path):
                # Opening a named pipe would wait for a writer; each pass would read it again.
                record.error = f"cannot read: {_file_kind(path)}, not a regular file"
                yield record
                continue
            try:
                text = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError as error:
                record.error = f"invalid UTF-8 at byte {error.start}"
            except OSError as error:
                link = f"a symbolic link to {os.readlink(path)!r}: " if path.is_symlink() else ""
                record.error = f"cannot read: {link}{error.strerror}"
            else:
                record = self._with_text(record, text)
            yield record

    def _read_warc(self, spec: str) -> Iterator[Record]:
        """The documents of a WET or WARC file: one per ``conversion`` record, as the JSONL
        record ``{id: WARC-Record-ID, url: WARC-Target-URI, text: the block, ...}`` with every
        other header as a field under its own name (so ``--site-field`` can name one; without
        it the site is the host of the url, as for JSONL). ``warcinfo`` records describe the
        file and are not documents. Any other record (``response``: a crawled page's HTML,
        ``request``, ``metadata``, ``resource``, ``revisit``) is an unreadable record named by
        its offset: neardup reads text. A block that is not UTF-8 is an unreadable record, as a
        JSONL line that is not is. A record without a WARC-Record-ID is unreadable too (every
        WARC record has one); its source and made-up id are ``FILE@OFFSET``. A truncated or
        corrupt file raises :class:`DamagedWarc`, whatever ``on_error`` says."""
        name = self._id_names.get(spec, Path(spec).name)
        for warc in read_warc(Path(spec)):
            if warc.type == "warcinfo":
                continue
            source = f"{spec}@{warc.offset}"
            record = Record(-1, warc.record_id or f"{name}@{warc.offset}", None, source=source)
            if warc.type != "conversion":
                what = f"a {warc.type!r} record" if warc.type else "a record without a WARC-Type"
                record.error = (
                    f"{what}, not a document: neardup reads text, the 'conversion' records of a WET file (.warc.wet.gz); "
                    "extract the text of crawled pages first"
                )
            elif warc.record_id is None:
                record.error = "no WARC-Record-ID header (every WARC record has one)"
            else:
                try:
                    text = warc.block.decode("utf-8")
                except UnicodeDecodeError as error:
                    record.error = f"invalid UTF-8 at byte {error.start} of the record's block"
                else:
                    f = self.fields
                    url = {f.url: warc.target_uri} if warc.target_uri is not None else {}
                    record = self._make(source, record.id, {**warc.headers, f.id: warc.record_id, **url, f.text: text})
            yield record

    def _read_parquet(self, spec: str) -> Iterator[Record]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(spec)
        row = 0
        name = self._id_names.get(spec, path.name)
        try:
            parquet = pq.ParquetFile(path)
            for batch in parquet.iter_batches(batch_size=1024):
                for obj in batch.to_pylist():
                    yield self._make(f"{path}#{row}", f"{name}#{row}", obj)
                    row += 1
        except (pa.ArrowException, OSError) as error:
            # pyarrow's messages (magic bytes not found, a bad page header: a plain OSError)
            # do not name the file.
            where = f" after row {row - 1}" if row else ""
            detail = explain(error) if isinstance(error, OSError) else str(error)
            raise InputError(f"{path}: cannot read as Parquet{where}: {detail.strip()}") from None


    def _read_arrow(self, source: ArrowInput) -> Iterator[Record]:
        import pyarrow as pa

        row = 0
        try:
            for batch in source.batches():
                # One batch at a time as Python values, as a Parquet input is read.
                for obj in batch.to_pylist():
                    where = f"{source.name}#{row}"
                    yield self._make(where, where, obj)
                    row += 1
        except pa.ArrowException as error:
            where = f" after row {row - 1}" if row else ""
            raise InputError(f"{source.name}: cannot read{where}: {str(error).strip()}") from None


def long_lines_of(text: str, limit: int | None) -> list[tuple[int, int, int]]:
    """``(line number from 1, start, end)`` of each line of ``text`` (the characters between
    two line feeds) longer than ``limit``, in one linear pass."""
    if limit is None or len(text) <= limit:
        return []
    lengths = list(map(len, text.split("\n")))
    if max(lengths) <= limit:
        return []
    found, start = [], 0
    for number, length in enumerate(lengths, start=1):
        if length > limit:
            found.append((number, start, start + length))
        start += length + 1
    return found


def oversize_message(text: str, long_lines: list[tuple[int, int, int]], max_chars: int, max_line_chars: int | None) -> str:
    """Why a document over a limit is refused: its size, or its first long line (number and
    length) and how many more there are."""
    if len(text) > max_chars:
        return f"document has {len(text):,} characters, more than the limit of {max_chars:,} (--max-chars)"
    number, start, end = long_lines[0]
    more = f" ({len(long_lines) - 1:,} more lines over the limit)" if len(long_lines) > 1 else ""
    return f"line {number} has {end - start:,} characters, more than the limit of {max_line_chars:,} (--max-line-chars){more}"


def truncation(text: str, long_lines: list[tuple[int, int, int]], max_chars: int, max_line_chars: int | None) -> list[tuple[int, int, str]]:
    """The spans of ``text`` to cut so that it fits the limits, with their reasons: the end of
    every line longer than ``max_line_chars``, then, if what is left is still longer than
    ``max_chars``, everything after the last whole line that fits (or after ``max_chars``
    characters when not even the first line fits)."""
    cuts = [
        (start + max_line_chars, end, f"truncated: line {number} has {end - start:,} characters, more than the limit of {max_line_chars:,} (--max-line-chars)")
        for number, start, end in long_lines
        if max_line_chars is not None  # (long_lines is empty without a limit; for the type checker)
    ]
    kept = len(text) - sum(end - start for start, end, _ in cuts)
    if kept > max_chars:
        cut = CutText(text, list(cuts))
        # The last line break that leaves at most max_chars characters (the break included).
        end = cut.text.rfind("\n", 0, max_chars)
        end = end + 1 if end >= 0 else max_chars
        reason = f"truncated: document has {len(text):,} characters, more than the limit of {max_chars:,} (--max-chars)"
        cuts += [(s, e, reason) for s, e in cut.to_original(end, len(cut.text))]
    return sorted(cuts)
