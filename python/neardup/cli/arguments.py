"""What the commands share: the input arguments and the reader they make, the chrome
parameters, the argument types (a value the library refuses is a usage error before any input
is read), the guards of files named by options (an output that is an input, a model or
parameters file that cannot be read), standard output whose write errors name it, the line
of an unreadable record, the progress bar and the exit codes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from .._reference.minhash import MAX_NUM_PERM
from .._reference.text import MAX_THREADS
from ..chrome import load_params
from ..decide import MIN_EVIDENCE_SHINGLES
from ..io.errors import InputError, OutputError, explain
from ..io.read import DEFAULT_MAX_CHARS, DEFAULT_MAX_LINE_CHARS, OVERSIZE_POLICIES, Fields, Record, RecordReader

T = TypeVar("T")

#: How --min-evidence is explained (clean, dups, spark-clean).
MIN_EVIDENCE_HELP = (
    "a pair whose smaller text has fewer distinct shingles than this is scored by Jaccard similarity "
    f"instead of containment: a short text is a duplicate only of a nearly equal one (default: {MIN_EVIDENCE_SHINGLES})"
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANNOT_WRITE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def progress(iterable, *, desc: str, unit: str = "doc"):
    """A progress bar with rates on a terminal (stderr), silent otherwise."""
    if not sys.stderr.isatty():
        # What tqdm's disable=None does, without importing tqdm (a tenth of a short run's start-up).
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, unit=unit, disable=None, file=sys.stderr, dynamic_ncols=True, mininterval=0.5)


def add_input_arguments(parser: argparse.ArgumentParser, *, truncate: bool = False) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL[.gz|.zst], Parquet, WET/WARC (.warc.wet[.gz], .warc[.gz]: a document per conversion record; "
                        "needs neardup[warc]), a folder of .txt files, or - for JSONL on stdin")
    parser.add_argument("--id-field", default="id", help="field holding the document id (default: id)")
    parser.add_argument("--text-field", default="text", help="field holding the text (default: text)")
    parser.add_argument("--site-field", default="site", help="field holding the site key (default: site; without it, the host of the url)")
    parser.add_argument("--url-field", default="url", help="field holding the url (default: url)")
    parser.add_argument(
        "--on-error",
        choices=("fail", "skip"),
        default="fail",
        help="a record that cannot be read: stop with an error naming it (fail, default) or account for it as skipped",
    )
    parser.add_argument("--max-chars", type=positive_int, default=DEFAULT_MAX_CHARS, help=f"the longest document, in characters (default: {DEFAULT_MAX_CHARS:,})")
    parser.add_argument(
        "--max-line-chars",
        type=positive_int,
        default=DEFAULT_MAX_LINE_CHARS,
        help=f"the longest line (characters between two line feeds) (default: {DEFAULT_MAX_LINE_CHARS:,})",
    )
    policies = OVERSIZE_POLICIES if truncate else tuple(p for p in OVERSIZE_POLICIES if p != "truncate")
    parser.add_argument(
        "--oversize",
        choices=policies,
        default="refuse",
        help="a document over --max-chars or --max-line-chars: refuse it as an unreadable record, with an error naming "
        "it, the line and the lengths (refuse, default; --on-error decides whether the run stops), skip it (a skipped "
        "decision, whatever --on-error says)"
        + (
            ", or truncate it: cut every long line to --max-line-chars, then the document after the last whole line "
            "within --max-chars; its decision (changed, or dropped as a duplicate) carries \"truncated\": true and lists the cut parts of "
            "the original as removed spans with the reason 'truncated: ...'"
            if truncate
            else ""
        ),
    )


def reader_from(args: argparse.Namespace, keep_extra: bool = True) -> RecordReader:
    """The reader of a command's inputs; ``keep_extra=False`` for a command that uses no field
    but the id, the text, the site and the url."""
    fields = Fields(id=args.id_field, text=args.text_field, site=args.site_field, url=args.url_field)
    # An index keeps ids as text: there 1 and "1" are one id (the second is a duplicate).
    ids_as_text = args.command == "index" or bool(getattr(args, "index", None))
    return RecordReader(
        args.inputs, fields=fields, on_error=args.on_error, max_chars=args.max_chars, max_line_chars=args.max_line_chars, oversize=args.oversize,
        ids_as_text=ids_as_text, keep_extra=keep_extra,
    )


def refuse_to_overwrite(option: str, output: str | None, inputs: Iterable[Any]) -> None:
    """Raise :class:`InputError` (exit 1, as ``clean`` refuses to write over an input) when
    the file ``output``, written by ``option``, is one of ``inputs``: under any name (a
    symlink, a hard link, ``./x``, an absolute path), or a ``.txt`` file of an input folder.
    ``None`` and ``-`` (standard output) and inputs that are not paths pass."""
    if not output or output == "-" or not os.path.exists(output):
        return  # no file there yet: not an input
    for spec in inputs:
        if not isinstance(spec, str) or spec == "-":
            continue
        try:
            if os.path.isdir(spec):
                # A folder input reads each .txt file in it (the suffix in any case).
                same = Path(output).suffix.lower() == ".txt" and os.path.samefile(os.path.dirname(os.path.abspath(output)), spec)
                shown = f"a document of the input folder {spec}"
            else:
                same = os.path.samefile(output, spec)
                shown = spec
        except OSError:  # an input that cannot be looked at is reported by its reader
            continue
        if same:
            also = "" if shown == output else f" ({shown})"
            raise InputError(f"{option} {output}: is an input{also}; refusing to overwrite it")


def load_option(option: str, path: str, load: Callable[[str], T]) -> T:
    """``load(path)`` of a file an option names (a chrome model, chrome parameters); an error
    names the option and the file: ``--model m.json: cannot read: No such file or directory
    [ENOENT]`` (an input that cannot be read: exit 1)."""
    try:
        return load(path)
    except OSError as error:
        raise InputError(f"{option} {path}: cannot read: {explain(error)}") from None
    except ValueError as error:
        message = str(error)
        if not message.startswith(f"{path}:"):
            message = f"{path}: {message}"
        raise InputError(f"{option} {message}") from None


def check_readable(option: str, path: str) -> None:
    """Raise as :func:`load_option` does when the file an option names cannot be opened for
    reading: before a run that would read it only after a pass over the input."""
    load_option(option, path, lambda p: open(p, "rb").close())


def skipped_row(record: Record) -> dict[str, Any]:
    """The output line of an unreadable record (``--on-error skip``) in a command's JSONL
    output of one line per input record: its id, why it was skipped and where it is."""
    return {"id": record.written_id, "skipped": record.error or "unreadable", "source": record.source}


#: How messages name standard output.
STANDARD_OUTPUT = "standard output"


class StandardOutputError(OutputError):
    """Standard output could not be written (``> file`` on a full disk, ...); unlike an output
    file, what reached it before the error stays there."""


class GuardedStdout:
    """Standard output while a command runs: a write or flush error other than a closed pipe
    (the reader went away, ``neardup ... | head``) raises :class:`StandardOutputError` naming
    standard output and the cause (``cannot write standard output: No space left on device
    [ENOSPC]``); everything else is the wrapped stream's."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _failed(self, error: OSError) -> StandardOutputError:
        return StandardOutputError(error.errno, f"cannot write {STANDARD_OUTPUT}: {explain(error)}")

    def write(self, data: str) -> int:
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise self._failed(error) from None

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise self._failed(error) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def chrome_params_of(args: argparse.Namespace) -> dict[str, Any]:
    """The chrome parameters a command's options ask for: a tuned file (--chrome-params),
    then --run-cost and --cut-comments / --no-cut-comments over it."""
    params: dict[str, Any] = load_option("--chrome-params", args.chrome_params, load_params) if args.chrome_params else {}
    if args.run_cost is not None:
        params["run_cost"] = None if args.run_cost == "none" else int(args.run_cost)
    if args.cut_comments is not None:
        params["cut_comments"] = args.cut_comments
    return params


def _run_cost(text: str) -> str:
    if text != "none" and not (text.isdigit() and int(text) < 1 << 32):
        raise argparse.ArgumentTypeError(f"must be an int in [0, 2**32) or 'none', got {text!r}")
    return text


def add_chrome_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chrome-params", metavar="PARAMS.json", help="chrome parameters chosen on labelled pages (neardup chrome tune)")
    parser.add_argument(
        "--run-cost", type=_run_cost, metavar="N|none",
        help="the chrome knob: lower keeps more of each page (0: every run of prose outside the main body region), "
        "higher cuts more, 'none' keeps the main region only (default: the package's, 100; docs/chrome.md has the curve)",
    )
    parser.add_argument(
        "--cut-comments", action=argparse.BooleanOptionalAction, default=None,
        help="cut readers' comments (and forum replies) below the article on sites of min_pages (3) pages or more, found "
        "by the time stamps that sign them (reason 'comments'; default: the package's, on; docs/chrome.md)",
    )


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an int in [low, high], so that a value the library refuses is a usage
    error before any input is read (not an error after a pass over the corpus)."""

    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in [{low:,}, {high:,}], got {value:,}")
        return value

    return parse


permutation_count = int_in(1, MAX_NUM_PERM)
thread_count = int_in(1, MAX_THREADS)
ngram_size = int_in(1, (1 << 32) - 1)


def unit_float(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return value
