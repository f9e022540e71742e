"""Reading corpora and writing results.

Inputs: JSONL (optionally ``.gz`` or ``.zst``), Parquet, a folder of ``.txt`` files (the file
name is the id; ``.TXT`` too; a folder without any is an error), or ``-`` for JSONL on stdin. Every record comes out as a :class:`Record`;
one that cannot be read carries an ``error`` naming the file, the line and the problem, so
that callers either fail on it or account for it as skipped. Nothing is dropped silently.

Outputs go through :class:`AtomicOutputDir`: files are written into a staging folder inside
the output directory and moved into place only when the whole run succeeded, so an
interrupted run leaves no half-written file behind. A file that cannot be written (disk
full, no permission, the output folder removed during the run) raises :class:`OutputError`
naming it; an input that cannot be read raises :class:`InputError` naming it.
"""

from __future__ import annotations

import base64
import datetime
import errno
import gzip
import io
import itertools
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from ._reference.text import check_text
from .spans import CutText

try:
    import fcntl
except ImportError:  # not on Windows: leftover staging folders are then ignored, not removed
    fcntl = None  # type: ignore[assignment]

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

#: How text outputs encode what UTF-8 cannot: a lone surrogate (a file name that is not UTF-8,
#: as Python decodes it, say) becomes ``\udXXX``, in a JSON string the very escape of it, so
#: that writing never fails on text neardup accepted.
OUTPUT_ERRORS = "backslashreplace"


class InputError(ValueError):
    """A record that cannot be read; the message names the file, the line and the problem."""


class OutputError(OSError):
    """A file or folder that neardup must write and cannot (disk full, file size limit, no
    permission, the output folder removed during the run); the message names it. Nothing is
    left half-written: see :class:`AtomicOutputDir`."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


def _explain(error: OSError) -> str:
    """``strerror [ENAME]`` of an OS error, e.g. ``No space left on device [ENOSPC]``."""
    name = errno.errorcode.get(error.errno) if error.errno is not None else None
    text = error.strerror or str(error)
    return f"{text} [{name}]" if name else text


def output_error(path: str | os.PathLike[str], error: OSError, doing: str = "cannot write") -> OutputError:
    """An :class:`OutputError` saying that ``path`` could not be written, and why."""
    if isinstance(error, OutputError):
        return error
    return OutputError(error.errno, f"{doing} {os.fspath(path)}: {_explain(error)}")


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
    return None


class _Corrupt(Exception):
    """A compressed input that is truncated or corrupt (raised as InputError naming it)."""


class _ZstdFrames(io.RawIOBase):
    """The decompressed bytes of every frame of a ``.zst`` file, in order. A file that ends
    inside a frame raises :class:`_Corrupt`: zstandard's stream reader returns what it has
    then, so a truncated file would read as fewer records without a word."""

    # Compressed bytes per step: under a MB of output for text; small, as it also bounds what
    # one step of a pathological file (long runs of one byte) expands to in memory.
    CHUNK = 1 << 16

    def __init__(self, path: Path) -> None:
        import zstandard

        super().__init__()
        self._error = zstandard.ZstdError
        self._decompressor = zstandard.ZstdDecompressor()
        self._frame: Any = None  # the decompressobj of the frame under way; None between frames
        self._file = open(path, "rb")
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
            self._file.close()
        finally:
            super().close()


def _open_binary(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".zst"):
        return io.BufferedReader(_ZstdFrames(path))
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
    ``on_error="fail"``): malformed JSON, nesting deeper than :data:`MAX_DEPTH`, an integer
    longer than Python converts, a missing or non-string text, an id that is an array, an
    object, NaN or infinity, a lone surrogate in the text, the id, the site or the url. Duplicate
    ids are an error too: decisions are keyed by id. An id keeps its JSON type (``1`` and
    ``"1"`` are two ids, :attr:`Record.written_id`); with ``ids_as_text`` (for an index, whose
    ids are text) they are one, and the second is a duplicate.

    Size limits: a text longer than ``max_chars``, or with a line (characters between two line
    feeds) longer than ``max_line_chars`` (None: no line limit), is refused with an error naming
    the line and the lengths (``oversize="refuse"``), refused without ever being fatal
    (``"skip"``), or truncated (``"truncate"``): then ``text`` is what is left, ``original`` the
    text as read and ``truncated`` the cut spans of it with their reasons (see
    :func:`truncation`). Finding the long lines is one linear pass.
    """

    def __init__(
        self,
        inputs: Iterable[str],
        *,
        fields: Fields = Fields(),
        on_error: str = "fail",
        max_chars: int = DEFAULT_MAX_CHARS,
        max_line_chars: int | None = DEFAULT_MAX_LINE_CHARS,
        oversize: str = "refuse",
        stdin: IO[bytes] | None = None,
        ids_as_text: bool = False,
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
        for spec in self.inputs:
            input_kind(spec)  # fail early on a missing or unknown input
        self.fields = fields
        self.on_error = on_error
        self.max_chars = max_chars
        self.max_line_chars = max_line_chars
        self.oversize = oversize
        self.ids_as_text = ids_as_text
        self._stdin = stdin
        self._stdin_spool: IO[bytes] | None = None
        #: The line of a JSONL input being read: a truncated or corrupt file is named with
        #: the line where its data ends.
        self._line, self._line_input = 0, False

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
                fatal = self.on_error == "fail" and not (record.oversized and self.oversize == "skip")
                if record.error is not None and fatal:
                    raise InputError(f"{record.source}: {record.error}")
                yield record

    def close(self) -> None:
        if self._stdin_spool is not None:
            self._stdin_spool.close()
            self._stdin_spool = None

    def _read(self, spec: str) -> Iterator[Record]:
        self._line, self._line_input = 0, False
        try:
            yield from self._read_kind(spec)
        except _Corrupt as error:
            raise InputError(f"{self._where(spec)}: {error}") from None
        except EOFError:  # gzip's word for a file cut short
            raise InputError(f"{self._where(spec)}: truncated: the file ends before the end of its gzip data") from None
        except zlib.error as error:
            raise InputError(f"{self._where(spec)}: corrupt gzip data ({error})") from None
        except OSError as error:
            if isinstance(error, OutputError):
                raise
            if isinstance(error, gzip.BadGzipFile):
                raise InputError(f"{self._where(spec)}: corrupt gzip data ({error})") from None
            # An input that vanished, lost its permissions or fails to read mid-way.
            raise InputError(f"{self._where(spec)}: cannot read: {_explain(error)}") from None

    def _where(self, spec: str) -> str:
        """``spec:LINE`` for the line of a JSONL input being read when it failed (the line
        after the last one read), ``spec`` for other inputs and failures before any line."""
        return f"{spec}:{self._line + 1}" if self._line_input else spec

    def _read_kind(self, spec: str) -> Iterator[Record]:
        kind = input_kind(spec)
        if kind == "folder":
            yield from self._read_folder(Path(spec))
        elif kind == "parquet":
            yield from self._read_parquet(Path(spec))
        elif kind == "stdin":
            spool = self._spool_stdin()
            # One pass at a time reads the spool: passes are sequential.
            spool.seek(0)
            yield from self._read_jsonl(spool, "<stdin>")
        else:
            with _open_binary(Path(spec)) as stream:
                yield from self._read_jsonl(stream, spec)

    def _spool_stdin(self) -> IO[bytes]:
        """Standard input copied to a temporary file, so that the corpus can be read more
        than once. The file has no name (unlinked at once), so a killed run leaves none."""
        if self._stdin_spool is None:
            folder = tempfile.gettempdir()
            spool = tempfile.TemporaryFile(prefix="neardup-stdin-", suffix=".jsonl")
            try:
                source = self._stdin or sys.stdin.buffer
                # Only the writes are the copy's: an error reading standard input stays an input error.
                while chunk := source.read(1 << 20):
                    self._write_spool(spool, folder, chunk)
                self._write_spool(spool, folder, None)
            except BaseException:
                spool.close()
                raise
            self._stdin_spool = spool
        return self._stdin_spool

    @staticmethod
    def _write_spool(spool: IO[bytes], folder: str, chunk: bytes | None) -> None:
        """Write ``chunk`` to the copy of standard input (None: flush it)."""
        try:
            spool.write(chunk) if chunk is not None else spool.flush()
        except OSError as error:
            raise output_error(f"a copy of standard input in {folder} (set TMPDIR to a folder with room)", error) from None

    def _make(self, source: str, default_id: str, obj: dict[str, Any]) -> Record:
        f = self.fields
        record = Record(index=-1, id=default_id, text=None, source=source)
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
        url = obj.get(f.url)
        for name, value in ((f.site, obj.get(f.site)), (f.url, url)):
            problem = _surrogate_problem(f"{name} field {name!r}", value) if isinstance(value, str) else None
            if problem:
                record.error = problem
                return record
        record.url = url if isinstance(url, str) else None
        record.site = site_of(obj.get(f.site), record.url)
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
        stem = Path(name).name
        self._line, self._line_input = 0, True
        for line_number, raw in enumerate(stream, start=1):
            self._line = line_number
            if not raw.strip():
                continue
            source = f"{name}:{line_number}"
            default_id = f"{stem}:{line_number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield Record(-1, default_id, None, source=source, error=f"invalid UTF-8 at byte {error.start} of the line")
                continue
            # Without its line ending: else an error at the end of the line is placed on the next.
            line = line.removesuffix("\n").removesuffix("\r")
            obj, problem = parse_json_line(line)
            if problem is not None:
                yield Record(-1, default_id, None, source=source, error=problem)
                continue
            if not isinstance(obj, dict):
                yield Record(-1, default_id, None, source=source, error=f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield self._make(source, default_id, obj)

    def _read_folder(self, folder: Path) -> Iterator[Record]:
        # .txt in any case, as file inputs' suffixes are (.JSONL, .Parquet).
        entries = sorted(folder.iterdir())
        texts = [p for p in entries if p.suffix.lower() == ".txt" and p.is_file()]
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
        import pyarrow as pa
        import pyarrow.parquet as pq

        row = 0
        try:
            parquet = pq.ParquetFile(path)
            for batch in parquet.iter_batches(batch_size=1024):
                for obj in batch.to_pylist():
                    yield self._make(f"{path}#{row}", f"{path.name}#{row}", obj)
                    row += 1
        except (pa.ArrowException, OSError) as error:
            # pyarrow's messages (magic bytes not found, a bad page header: a plain OSError)
            # do not name the file.
            where = f" after row {row - 1}" if row else ""
            detail = _explain(error) if isinstance(error, OSError) else str(error)
            raise InputError(f"{path}: cannot read as Parquet{where}: {detail.strip()}") from None


def open_output(path: str | os.PathLike[str], *, atomic: bool = False) -> _GuardedFile:
    """Open the output file ``path`` for writing text (UTF-8, with :data:`OUTPUT_ERRORS`);
    errors opening or writing it raise :class:`OutputError` naming it. ``atomic``: write a
    temporary file beside it and move it into place when closed after success (a failed run
    leaves ``path`` as it was); a path that is not a regular file (a device, a pipe) is
    written directly."""
    target = Path(path)
    try:
        if atomic and (not target.exists() or target.is_file()):
            temporary = target.with_name(f".{target.name}.neardup-{os.getpid()}.tmp")
            return _GuardedFile(open(temporary, "w", encoding="utf-8", errors=OUTPUT_ERRORS), target, temporary)
        return _GuardedFile(open(target, "w", encoding="utf-8", errors=OUTPUT_ERRORS), target)
    except OSError as error:
        raise output_error(path, error) from None


#: Staging folders are named with this prefix inside the output folder.
STAGING_PREFIX = ".neardup-staging-"
#: Inside a staging folder: locked (flock) by the live run that owns it, so that a later run
#: can tell a killed run's leftover (lock free) from a running one's (lock held).
_LOCK_NAME = ".lock"
#: Inside a staging folder: the names to move into place, written when the run succeeded and
#: before the first move, so that a run killed between the moves is completed by the next one.
_COMMIT_NAME = ".commit"


def _try_lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on ``path``, or None when it is missing or held."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done (then they act as usual): the moves
    of a finished run's files into place are not cut in the middle by Ctrl-C or a stop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            # None: a handler not set from Python (an embedding application's)
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        for sig in dict.fromkeys(caught):
            signal.raise_signal(sig)


class _GuardedFile:
    """An output file whose write errors (disk full, ...) raise :class:`OutputError` naming
    the output file (not a staging path). With ``temporary``, the data goes there and is moved
    to ``shown`` by :meth:`close`; leaving a ``with`` block by an exception removes it."""

    def __init__(self, handle: IO[Any], shown: Path, temporary: Path | None = None) -> None:
        self._handle, self._shown, self._temporary = handle, shown, temporary

    def write(self, data: Any) -> int:
        try:
            return self._handle.write(data)
        except OSError as error:
            raise output_error(self._shown, error) from None

    def writelines(self, lines: Iterable[Any]) -> None:
        try:
            self._handle.writelines(lines)
        except OSError as error:
            raise output_error(self._shown, error) from None

    def close(self) -> None:
        # Buffered data reaches the disk here: a full disk is often noticed only now.
        try:
            self._handle.close()
            if self._temporary is not None:
                os.replace(self._temporary, self._shown)
                self._temporary = None
        except OSError as error:
            self._discard()
            raise output_error(self._shown, error) from None

    def _discard(self) -> None:
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)
            self._temporary = None

    def __enter__(self) -> _GuardedFile:
        return self

    def abandon(self) -> None:
        """Close quietly and discard a temporary file: on the way out of an error, the first
        error is the one to report."""
        try:
            self._handle.close()
        except OSError:
            pass
        self._discard()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abandon()


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


class AtomicOutputDir:
    """Stage output files inside ``outdir`` and move them into place only on success.

    Refuses to write over any of ``protected`` (the inputs). On an exception, including
    KeyboardInterrupt, the staging folder is removed and files already in place are untouched.

    ``last`` names the output that marks a finished result (``summary.json`` for ``clean``):
    its old copy is removed before the first file is moved and the new one is moved last, so
    a folder holding it holds one complete result. The moves run with SIGINT/SIGTERM
    deferred; a run killed (SIGKILL, power) between them leaves its staging folder with a
    commit list, and the next run into the same folder completes the moves first. Staging
    folders of killed runs are removed by the next run (each live run holds a lock on its
    own, so concurrent runs never remove each other's).

    Errors writing into the folder raise :class:`OutputError` naming the output file.
    """

    def __init__(self, outdir: str | os.PathLike[str], protected: Iterable[str] = (), *, last: str | None = None) -> None:
        self.outdir = Path(outdir)
        self.protected = {Path(p).resolve() for p in protected if p != "-"}
        self.last = last
        self.staging: Path | None = None
        self._names: list[str] = []
        self._lock: int | None = None

    def __enter__(self) -> AtomicOutputDir:
        if self.outdir.exists() and not self.outdir.is_dir():
            raise InputError(f"{self.outdir}: exists and is not a folder")
        if self.outdir.resolve() in self.protected:
            raise InputError(f"{self.outdir}: is an input; refusing to write into it")
        try:
            self.outdir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise output_error(self.outdir, error, "cannot create the output folder") from None
        self.recover()
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.outdir))
            lock = self.staging / _LOCK_NAME
            lock.touch()
            self._lock = _try_lock(lock)
            if self._lock is None and fcntl is not None:
                raise OutputError(errno.ENOLCK, f"cannot lock {lock}")
        except OSError as error:
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
                self.staging = None
            raise output_error(self.outdir, error, "cannot write into the output folder") from None
        return self

    def recover(self) -> list[Path]:
        """Deal with the staging folders of killed runs: complete the moves of one that had
        finished (its commit list is there), remove the rest. Folders of live runs (locked)
        are left alone. Returns the folders removed."""
        removed = []
        for leftover in sorted(self.outdir.glob(STAGING_PREFIX + "*")):
            if leftover == self.staging or not leftover.is_dir():
                continue
            lock = _try_lock(leftover / _LOCK_NAME)
            if lock is None:  # a live run's, or one killed before its lock existed: ignored
                continue
            try:
                commit = leftover / _COMMIT_NAME
                if commit.is_file():
                    try:
                        listed = json.loads(commit.read_text(encoding="utf-8"))
                        names, last = listed["names"], listed["last"]
                    except (ValueError, TypeError, KeyError):
                        names, last = [], None  # killed while writing the list: nothing was moved yet
                    plain = [n for n in names if isinstance(n, str) and Path(n).name == n and n not in (_LOCK_NAME, _COMMIT_NAME)]
                    self._move(leftover, plain, last if last in plain else None)
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(leftover)
            except OSError as error:
                raise output_error(leftover, error, "cannot clean up the leftover staging folder") from None
            finally:
                os.close(lock)
        return removed

    def _move(self, staging: Path, names: list[str], last: str | None) -> None:
        """Move the staged ``names`` into place, ``last`` last, after removing its old copy
        (so that a folder holding it never holds a mixed result)."""
        if last in names:
            names = [n for n in names if n != last] + [last]
            if (staging / last).exists():
                (self.outdir / last).unlink(missing_ok=True)
        for name in names:
            if (staging / name).exists():  # already moved by an earlier, killed attempt
                os.replace(staging / name, self.outdir / name)

    def check(self) -> None:
        """Raise :class:`OutputError` when the staging folder is gone (the output folder was
        removed or moved during the run): better now than after the rest of the work."""
        if self.staging is None or not self.staging.is_dir():
            raise OutputError(
                errno.ENOENT,
                f"cannot write {self.outdir}: the output folder was removed or moved during the run (run again)",
            )

    def path(self, name: str) -> Path:
        """Where to write the output file ``name`` (a plain file name) while staging."""
        if self.staging is None:
            raise RuntimeError("AtomicOutputDir used outside its with-block")
        if Path(name).name != name or name in ("", ".", "..", _LOCK_NAME, _COMMIT_NAME):
            raise ValueError(f"output name must be a plain file name, got {name!r}")
        final = (self.outdir / name).resolve()
        if final in self.protected:
            raise InputError(f"{final}: is an input; refusing to overwrite it")
        if name not in self._names:
            self._names.append(name)
        return self.staging / name

    def open(self, name: str, mode: str = "w") -> _GuardedFile:
        """Open the staged output file ``name`` for writing (text modes as UTF-8, with
        :data:`OUTPUT_ERRORS`); errors writing it raise :class:`OutputError` naming
        ``outdir/name``."""
        staged = self.path(name)
        try:
            handle = open(staged, mode, encoding=None if "b" in mode else "utf-8", errors=None if "b" in mode else OUTPUT_ERRORS)
        except OSError as error:
            self.check()
            raise output_error(self.outdir / name, error) from None
        return _GuardedFile(handle, self.outdir / name)

    @contextmanager
    def guard(self, name: str) -> Iterator[None]:
        """OS errors in the block (writing the output ``name`` by other means, such as a
        Parquet writer) raise :class:`OutputError` naming ``outdir/name``."""
        try:
            yield
        except OSError as error:
            if not isinstance(error, OutputError):
                self.check()
            raise output_error(self.outdir / name, error) from None

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.staging is not None
        staging = self.staging
        try:
            if exc_type is None:
                self.check()
                with _signals_deferred():
                    try:
                        commit = staging / _COMMIT_NAME
                        last = self.last if self.last in self._names else None
                        commit.write_text(json.dumps({"names": self._names, "last": last}), encoding="utf-8")
                        self._move(staging, self._names, last)
                    except OSError as error:
                        self.check()
                        raise output_error(self.outdir, error, "cannot move the finished files into") from None
        finally:
            shutil.rmtree(self._where(staging), ignore_errors=True)
            if self._lock is not None:
                os.close(self._lock)
                self._lock = None
            self.staging = None

    def _where(self, staging: Path) -> Path:
        """Where the staging folder is now: the output folder may have been moved (renamed)
        during the run, and the lock file still open says where (Linux /proc)."""
        if staging.is_dir() or self._lock is None:
            return staging
        try:
            moved = Path(os.readlink(f"/proc/self/fd/{self._lock}")).parent
        except OSError:
            return staging
        return moved if moved.name == staging.name and moved.is_dir() else staging


# Line separators other than \n that json.dumps(ensure_ascii=False) leaves raw: escaped, so
# that every reader splitting lines (str.splitlines, JavaScript) sees one record per line.
_LINE_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


def _duration(value: datetime.timedelta) -> str:
    """ISO 8601, in days and seconds: ``P1DT2.5S``, ``-P0DT1.5S``."""
    micro = value // datetime.timedelta(microseconds=1)
    days, rest = divmod(abs(micro), 86_400_000_000)
    seconds, micro = divmod(rest, 1_000_000)
    fraction = f".{micro:06d}".rstrip("0") if micro else ""
    return f"{'-' if value < datetime.timedelta(0) else ''}P{days}DT{seconds}{fraction}S"


def _as_json(value: Any) -> Any:
    """The JSON form of a value that JSON has no type for (Parquet input's columns, via
    pyarrow): dates and times as ISO 8601 text, bytes as base64, anything else as its text."""
    if isinstance(value, (datetime.date, datetime.time)):  # (datetime is a date)
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return _duration(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    return str(value)  # Decimal (exact), UUID, ...


def _finite(value: Any) -> Any:
    """``value`` with NaN and ±infinity (floats) replaced by None, at any depth."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def json_line(value: Any) -> str:
    """``value`` as one line of strict JSON (UTF-8 text kept as is, newline at the end; a lone
    surrogate, which UTF-8 cannot encode, as its ``\\udXXX`` escape). NaN and ±infinity
    become null: the NaN token of Python's json is not JSON, and most readers (JavaScript,
    jq, Spark) refuse it. Values JSON has no type for: :func:`_as_json`."""
    try:
        line = json.dumps(value, ensure_ascii=False, allow_nan=False, default=_as_json)
    except ValueError:  # a NaN or infinity; rare, so the walk is paid only then
        line = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, default=_as_json)
    for raw, escaped in _LINE_BREAKS.items():
        if raw in line:
            line = line.replace(raw, escaped)
    if not line.isascii() and _LONE_SURROGATE.search(line):
        # A lone surrogate (read from a \udXXX escape of a field neardup does not use, or a
        # file name that is not UTF-8) cannot be encoded as UTF-8: written as the JSON escape
        # it was read from. Outside strings JSON text is ASCII, so this touches strings only.
        line = _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", line)
    return line + "\n"
