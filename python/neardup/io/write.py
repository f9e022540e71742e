"""Writing results: files appear whole or not at all.

Outputs go through :class:`AtomicOutputDir`: files are written into a staging folder inside
the output directory and moved into place only when the whole run succeeded, so an
interrupted run leaves no half-written file behind; a single file goes through
:func:`open_output`. A file that cannot be written (disk full, no permission, the output
folder removed during the run) raises :class:`OutputError` naming it. :func:`json_line` is
the one JSONL encoding of every output.
"""

from __future__ import annotations

import base64
import datetime
import errno
import functools
import json
import math
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .. import _backend
from .errors import InputError, OutputError, output_error

try:
    import fcntl
except ImportError:  # not on Windows: leftover staging folders are then ignored, not removed
    fcntl = None  # type: ignore[assignment]

#: How text outputs encode what UTF-8 cannot: a lone surrogate (a file name that is not UTF-8,
#: as Python decodes it, say) becomes ``\udXXX``, in a JSON string the very escape of it, so
#: that writing never fails on text neardup accepted.
OUTPUT_ERRORS = "backslashreplace"
#: The write buffer of an output file: a write call per megabyte (the default, 8 KiB, made
#: documents.jsonl thousands of calls).
OUTPUT_BUFFER_BYTES = 1 << 20

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_json_core = _backend.IMPL if _backend.NAME == "rust" else None


def open_output(path: str | os.PathLike[str], *, atomic: bool = False) -> GuardedFile:
    """Open the output file ``path`` for writing text (UTF-8, with :data:`OUTPUT_ERRORS`);
    errors opening or writing it raise :class:`OutputError` naming it. ``atomic``: write a
    temporary file beside it and move it into place when closed after success (a failed run
    leaves ``path`` as it was); a path that is not a regular file (a device, a pipe) is
    written directly."""
    target = Path(path)
    try:
        if atomic and (not target.exists() or target.is_file()):
            temporary = target.with_name(f".{target.name}.neardup-{os.getpid()}.tmp")
            return GuardedFile(open(temporary, "w", encoding="utf-8", errors=OUTPUT_ERRORS), target, temporary)
        return GuardedFile(open(target, "w", encoding="utf-8", errors=OUTPUT_ERRORS), target)
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


class GuardedFile:
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

    def __enter__(self) -> GuardedFile:
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


class AtomicOutputDir:
    """Stage output files inside ``outdir`` and move them into place only on success.

    Refuses to write over any of ``protected`` (the inputs). On an exception, including
    KeyboardInterrupt, the staging folder is removed and files already in place are untouched.

    ``last`` names the output that marks a finished result (``summary.json`` for ``clean``):
    its old copy is removed before the first file is moved and the new one is moved last, so
    a folder holding it holds one complete result. ``replaces`` names every file such a
    result may hold: those this run did not write (``documents.parquet`` of an earlier run
    on Parquet input, when this one wrote ``documents.jsonl``) are removed with it. The moves run with SIGINT/SIGTERM
    deferred; a run killed (SIGKILL, power) between them leaves its staging folder with a
    commit list, and the next run into the same folder completes the moves first. Staging
    folders of killed runs are removed by the next run (each live run holds a lock on its
    own, so concurrent runs never remove each other's).

    Errors writing into the folder raise :class:`OutputError` naming the output file.
    """

    def __init__(
        self, outdir: str | os.PathLike[str], protected: Iterable[str] = (), *, last: str | None = None, replaces: Iterable[str] = ()
    ) -> None:
        self.outdir = Path(outdir)
        self.protected = {Path(p).resolve() for p in protected if p != "-"}
        self.last = last
        self.replaces = tuple(replaces)
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
            # A stop (SIGTERM, Ctrl-C) waits until the staging folder is known, and then
            # removes it below: raised in __enter__, it would not reach __exit__.
            with _signals_deferred():
                self.staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.outdir))
            lock = self.staging / _LOCK_NAME
            lock.touch()
            self._lock = _try_lock(lock)
            if self._lock is None and fcntl is not None:
                raise OutputError(errno.ENOLCK, f"cannot lock {lock}")
        except BaseException as error:
            if self._lock is not None:
                os.close(self._lock)
                self._lock = None
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
                self.staging = None
            if isinstance(error, OSError):
                raise output_error(self.outdir, error, "cannot write into the output folder") from None
            raise
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
                        names, last, stale = listed["names"], listed["last"], listed.get("stale", [])
                    except (ValueError, TypeError, KeyError, AttributeError):
                        names, last, stale = [], None, []  # killed while writing the list: nothing was moved yet

                    def plain(listed: Any) -> list[str]:
                        return [n for n in listed if isinstance(n, str) and Path(n).name == n and n not in ("", ".", "..", _LOCK_NAME, _COMMIT_NAME)]

                    moved = plain(names)
                    self._move(leftover, moved, last if last in moved else None, self._removable([n for n in plain(stale) if n not in moved]))
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(leftover)
            except OSError as error:
                raise output_error(leftover, error, "cannot clean up the leftover staging folder") from None
            finally:
                os.close(lock)
        return removed

    def _removable(self, stale: list[str]) -> list[str]:
        """The files of ``stale`` (an earlier result's) that are not inputs: an input named
        like a result file (``out/documents.parquet`` read back) is never removed."""
        return [n for n in stale if (self.outdir / n).resolve() not in self.protected]

    def _move(self, staging: Path, names: list[str], last: str | None, stale: list[str]) -> None:
        """Move the staged ``names`` into place, ``last`` last, after removing its old copy
        (so that a folder holding it never holds a mixed result) and the ``stale`` files."""
        if last in names:
            names = [n for n in names if n != last] + [last]
            if (staging / last).exists():
                (self.outdir / last).unlink(missing_ok=True)
        for name in stale:
            (self.outdir / name).unlink(missing_ok=True)
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

    def open(self, name: str, mode: str = "w") -> GuardedFile:
        """Open the staged output file ``name`` for writing (text modes as UTF-8, with
        :data:`OUTPUT_ERRORS`); errors writing it raise :class:`OutputError` naming
        ``outdir/name``."""
        staged = self.path(name)
        try:
            handle = open(
                staged, mode, buffering=OUTPUT_BUFFER_BYTES, encoding=None if "b" in mode else "utf-8", errors=None if "b" in mode else OUTPUT_ERRORS
            )
        except OSError as error:
            self.check()
            raise output_error(self.outdir / name, error) from None
        return GuardedFile(handle, self.outdir / name)

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
                        stale = self._removable([n for n in self.replaces if n not in self._names])
                        commit.write_text(json.dumps({"names": self._names, "last": last, "stale": stale}), encoding="utf-8")
                        self._move(staging, self._names, last, stale)
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


try:
    from json.encoder import c_make_encoder
except ImportError:  # pragma: no cover - CPython has it; other interpreters may not
    c_make_encoder = None
#: json.dumps' C encoder with json_line's settings (no check for circular values, which
#: records read from JSON, Parquet or Arrow cannot hold), or None without the C extension.
_ENCODE = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, _as_json, json.encoder.encode_basestring, None, ": ", ", ", False, False, False)
)


def _finite(value: Any) -> Any:
    """``value`` with NaN and ±infinity (floats) replaced by None, at any depth."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def json_strings(texts: list[bytes]) -> list[bytes]:
    """Each of ``texts`` (a text's UTF-8 bytes) as :func:`json_line` writes a string, in
    UTF-8: its JSON, quotes included, no line break. Quoted in the core
    (``json_quote_batch``, GIL released) when it is the backend, else by json_line; bytes
    that are not UTF-8 raise ValueError."""
    if _json_core is not None:
        return _json_core.json_quote_batch(texts)
    return [json_line(text.decode("utf-8"))[:-1].encode("utf-8", OUTPUT_ERRORS) for text in texts]


def json_values(values: list[Any]) -> list[str]:
    """Each of ``values`` as :func:`json_line` writes it inside a row (an id in a
    ``decisions.jsonl`` row), without the line feed; the strings among them quoted in one call
    (:func:`json_strings`)."""
    out: list[str] = [""] * len(values)
    texts: list[int] = []
    for k, value in enumerate(values):
        if value.__class__ is str:
            texts.append(k)
        elif value.__class__ is int:
            out[k] = repr(value)
        else:
            out[k] = json_line(value)[:-1]
    encoded: list[bytes] = []
    for k in texts:
        try:
            encoded.append(values[k].encode("utf-8"))
        except UnicodeEncodeError:  # a lone surrogate: json_line writes it as its escape
            out[k] = json_line(values[k])[:-1]
    quoted = iter(json_strings(encoded))
    for k in texts:
        if not out[k]:
            out[k] = next(quoted).decode("utf-8")
    return out


@functools.lru_cache(maxsize=64)
def _json_key(key: str) -> str:
    """A field name as :func:`json_line` writes it (the same few names on every row)."""
    return json_line(key)[:-1]


def json_document(id_field: str, id_json: str, text_field: str, text_json: bytes, tail: bytes) -> bytes:
    """:func:`json_line` of ``{id_field: id, text_field: text, **rest}`` in UTF-8 (a row of
    ``documents.jsonl``; ``rest`` holds neither field), given the id's JSON
    (:func:`json_values`), the text's (:func:`json_strings`) and ``tail``, what follows the
    text (:func:`json_tail` of ``rest``): a JSON object is its members joined by ``", "``,
    each as the whole line would write it. An id field that is the text field is the text."""
    if id_field == text_field:
        return f"{{{_json_key(text_field)}: ".encode("utf-8", OUTPUT_ERRORS) + text_json + tail
    return f"{{{_json_key(id_field)}: {id_json}, {_json_key(text_field)}: ".encode("utf-8", OUTPUT_ERRORS) + text_json + tail


def json_tail(rest: dict[str, Any]) -> bytes:
    """What :func:`json_document` writes after the text: the members of ``rest``, the
    closing brace and the line feed, in UTF-8."""
    return (", " + json_line(rest)[1:]).encode("utf-8", OUTPUT_ERRORS) if rest else b"}\n"


def _dumps(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, allow_nan=False, default=_as_json)``, by
    CPython's C encoder made once (:data:`_ENCODE`) where there is one: dumps builds an encoder
    per call, which costs as much as encoding a decision row."""
    if _ENCODE is None:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_as_json)
    return "".join(_ENCODE(value, 0))


def json_line(value: Any) -> str:
    """``value`` as one line of strict JSON (UTF-8 text kept as is, newline at the end; a lone
    surrogate, which UTF-8 cannot encode, as its ``\\udXXX`` escape). NaN and ±infinity
    become null: the NaN token of Python's json is not JSON, and most readers (JavaScript,
    jq, Spark) refuse it. Values JSON has no type for: :func:`_as_json`."""
    try:
        line = _dumps(value)
    except ValueError:  # a NaN or infinity; rare, so the walk is paid only then
        line = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, default=_as_json)
    if line.isascii():  # (a flag of the string: no scan)
        return line + "\n"
    for raw, escaped in _LINE_BREAKS.items():
        if raw in line:
            line = line.replace(raw, escaped)
    try:
        line.encode("utf-8")  # fails on a surrogate only; several times faster than a search
    except UnicodeEncodeError:
        # A lone surrogate (read from a \udXXX escape of a field neardup does not use, or a
        # file name that is not UTF-8) cannot be encoded as UTF-8: written as the JSON escape
        # it was read from. Outside strings JSON text is ASCII, so this touches strings only.
        line = _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", line)
    return line + "\n"
