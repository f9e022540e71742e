"""The ``neardup`` command line: :func:`main` (the ``neardup`` script and ``python -m
neardup``) parses the arguments and runs a command of :mod:`neardup.cli.commands` or
:mod:`neardup.cli.index`; the arguments they share are in :mod:`neardup.cli.arguments`.

Exit codes: 0 success; 1 the input could not be processed (a bad record with
``--on-error fail``, an unreadable file, a model or parameters file an option names that cannot
be read, an output that is an input); 2 wrong usage; 3 an output or the index could not be
written (disk full, file size limit, no permission, the output folder removed during the
run; standard output too); 130 interrupted (Ctrl-C or SIGTERM). After 1, 3 and 130 no output
file was left half-written (the output folder holds what it held before; standard output may
hold part of the output) and the command can be repeated.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from .._backend import backend
from .._version import __version__
from ..decide import MIN_EVIDENCE_SHINGLES
from ..index import IndexDataError, IndexWriteError
from ..io.errors import InputError, OutputError
from .arguments import (
    EXIT_CANNOT_WRITE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    MIN_EVIDENCE_HELP,
    GuardedStdout,
    StandardOutputError,
    add_chrome_arguments,
    add_input_arguments,
    ngram_size,
    nonnegative_int,
    permutation_count,
    positive_int,
    thread_count,
    unit_float,
)
from .commands import cmd_align, cmd_chrome_learn, cmd_chrome_strip, cmd_chrome_tune, cmd_clean, cmd_dups, cmd_spark_clean, cmd_stats
from .index import add_index_parser

#: What ``neardup --help`` says the command is for.
DESCRIPTION = "neardup: find and remove the repetition in scraped web and news text."


class Interrupted(KeyboardInterrupt):
    """Raised from SIGTERM so that the same clean-up runs as for Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Interrupted(f"signal {signum}")


def _discard_output(stream: Any) -> None:
    """Point the file descriptor of ``stream`` (standard output) at devnull, so that what is
    still buffered in it goes nowhere instead of failing again at exit; a stream with no
    descriptor (a test's) is left alone."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neardup", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"neardup {__version__} ({backend()} backend)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    stats = commands.add_parser("stats", help="count documents, skipped records, sites, characters and lines of an input", description=cmd_stats.__doc__)
    add_input_arguments(stats)
    stats.set_defaults(run=cmd_stats)

    clean = commands.add_parser("clean", help="remove repeats, chrome and duplicates; one decision per input document", description=cmd_clean.__doc__)
    add_input_arguments(clean, truncate=True)
    clean.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder (created if missing)")
    clean.add_argument("--threshold", type=unit_float, default=0.8, help="containment of the smaller document's shingles in the larger's for a duplicate (default: 0.8)")
    clean.add_argument("--min-evidence", type=nonnegative_int, default=MIN_EVIDENCE_SHINGLES, help=MIN_EVIDENCE_HELP)
    clean.add_argument("--num-perm", type=permutation_count, default=128, help="MinHash permutations (default: 128)")
    clean.add_argument("--ngram", type=ngram_size, default=5, help="word n-gram size of the shingles (default: 5)")
    clean.add_argument("--batch-size", type=positive_int, default=512, help="documents per batch (default: 512)")
    clean.add_argument("--threads", type=thread_count, default=None, help="worker threads (default: all cores; with more than one, the next batch is also read ahead in a thread of its own, and after the first pass gzip inputs are inflated in another)")
    clean.add_argument("--no-repeats", action="store_true", help="keep passages repeated inside a page")
    clean.add_argument("--no-chrome", action="store_true", help="do not learn or strip site chrome")
    clean.add_argument("--no-dedup", action="store_true", help="do not look for duplicate documents")
    clean.add_argument("--chrome-model", metavar="PATH", help="start from a saved chrome model (neardup chrome learn)")
    add_chrome_arguments(clean)
    clean.add_argument("--index", metavar="PATH", help="a persistent index (created if missing): drop documents seen in earlier runs, then add this run's kept ones")
    clean.set_defaults(run=cmd_clean)

    dups = commands.add_parser("dups", help="find near-duplicate documents (no chrome stripping)", description=cmd_dups.__doc__)
    add_input_arguments(dups)
    dups.add_argument("-o", "--output", metavar="FILE", help="write the clusters here (default: stdout)")
    dups.add_argument("--threshold", type=unit_float, default=0.8, help="similarity for a duplicate (default: 0.8)")
    dups.add_argument("--measure", choices=("containment", "jaccard"), default="containment", help="similarity measure (default: containment)")
    dups.add_argument("--min-evidence", type=nonnegative_int, default=MIN_EVIDENCE_SHINGLES, help=MIN_EVIDENCE_HELP)
    dups.add_argument("--keep", choices=("longest", "earliest", "most_complete"), default="longest", help="which copy each cluster keeps (default: longest)")
    dups.add_argument("--num-perm", type=permutation_count, default=128, help="MinHash permutations (default: 128)")
    dups.add_argument("--ngram", type=ngram_size, default=5, help="word n-gram size (default: 5)")
    dups.add_argument("--threads", type=thread_count, default=None, help="worker threads (default: all cores)")
    dups.set_defaults(run=cmd_dups)

    chrome = commands.add_parser(
        "chrome", help="learn, strip or tune site chrome",
        description="Learn each site's chrome (learn), strip it with a saved model (strip), or choose the chrome parameters on labelled pages (tune).",
    )
    chrome_commands = chrome.add_subparsers(dest="chrome_command", metavar="ACTION", required=True)
    learn = chrome_commands.add_parser("learn", help="learn a chrome model from an input", description=cmd_chrome_learn.__doc__)
    add_input_arguments(learn)
    learn.add_argument("-m", "--model", required=True, metavar="MODEL.json", help="where to save the model")
    add_chrome_arguments(learn)
    learn.add_argument("--update", action="store_true", help="add to the model at --model instead of starting afresh")
    learn.add_argument("--threads", type=thread_count, default=None, help="worker threads (default: all cores)")
    learn.set_defaults(run=cmd_chrome_learn)
    strip = chrome_commands.add_parser("strip", help="strip chrome with a saved model", description=cmd_chrome_strip.__doc__)
    add_input_arguments(strip)
    strip.add_argument("-m", "--model", required=True, metavar="MODEL.json", help="a model saved by `neardup chrome learn`")
    strip.add_argument("-o", "--output", metavar="FILE", help="write JSONL here (default: stdout)")
    strip.add_argument("--threads", type=thread_count, default=None, help="worker threads (default: all cores)")
    strip.set_defaults(run=cmd_chrome_strip)
    tune_cmd = chrome_commands.add_parser("tune", help="choose chrome parameters on labelled pages", description=cmd_chrome_tune.__doc__)
    add_input_arguments(tune_cmd)
    tune_cmd.add_argument("-o", "--output", required=True, metavar="PARAMS.json", help="where to save the chosen parameters")
    tune_cmd.add_argument("--labels-field", default="line_is_body", help="field holding one boolean per line, true for body (default: line_is_body)")
    tune_cmd.add_argument("--group-field", help="field naming each page's group (a labelled set): the choice is best on average over the groups")
    tune_cmd.add_argument("--threads", type=thread_count, default=None, help="worker threads (default: all cores)")
    tune_cmd.set_defaults(run=cmd_chrome_tune)

    sc = commands.add_parser("spark-clean", help="the clean job on Apache Spark (neardup[spark])", description=cmd_spark_clean.__doc__)
    sc.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL(.gz) files or Parquet files/folders (any Spark path)")
    sc.add_argument("output", metavar="OUTPUT", help="a new folder for the outputs")
    sc.add_argument("--master", default=None, help="Spark master (default: spark-submit's, else local[*])")
    sc.add_argument("--partitions", type=positive_int, default=None, help="repartition the input into this many partitions")
    for field, default in (("text", "text"), ("id", "id"), ("site", "site"), ("url", "url")):
        sc.add_argument(f"--{field}-field", default=default, help=f"the {field} column (default: {default})")
    sc.add_argument("--threshold", type=unit_float, default=0.8, help="containment from which two pages are copies (default 0.8)")
    sc.add_argument("--min-evidence", type=nonnegative_int, default=MIN_EVIDENCE_SHINGLES, help=MIN_EVIDENCE_HELP)
    sc.add_argument("--no-repeats", action="store_true", help="keep repeated passages")
    sc.add_argument("--no-chrome", action="store_true", help="keep site chrome")
    sc.add_argument("--no-dedup", action="store_true", help="keep near-duplicates")
    sc.set_defaults(run=cmd_spark_clean)

    align_cmd = commands.add_parser("align", help="the passages two text files share", description=cmd_align.__doc__)
    align_cmd.add_argument("a", metavar="A", help="a UTF-8 text file")
    align_cmd.add_argument("b", metavar="B", help="a UTF-8 text file")
    align_cmd.add_argument(
        "--on-error",
        choices=("fail", "skip"),
        default="fail",
        help="an input that is not UTF-8 text: stop with an error naming its file and line (fail, default), or report it "
        "and write {\"passages\": 0, \"skipped\": [...]} (skip)",
    )
    align_cmd.set_defaults(run=cmd_align)

    add_index_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # A saved model decides with its own parameters.
    saved = getattr(args, "chrome_model", None) or (getattr(args, "update", False) and os.path.exists(args.model))
    if saved and (getattr(args, "chrome_params", None) or getattr(args, "run_cost", None) is not None
                  or getattr(args, "cut_comments", None) is not None):
        parser.error("--chrome-params, --run-cost and --[no-]cut-comments set a new model's parameters; a saved model "
                     "(--chrome-model, chrome learn --update) keeps its own")
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    # Every command's writes to stdout (print too) go through the guard, so that a failed
    # one (`> /dev/full`) is an output error naming standard output, not an OSError.
    stdout = sys.stdout
    sys.stdout = GuardedStdout(stdout)
    try:
        code = int(args.run(args))
        sys.stdout.flush()  # a full disk is often noticed only here, when the buffer is written
        return code
    except BrokenPipeError:
        # The reader of our output went away (`neardup ... | head`): not an error of ours.
        # Point stdout at devnull so that the interpreter's final flush does not fail again.
        _discard_output(stdout)
        return EXIT_OK
    except (OutputError, IndexWriteError) as error:
        # Disk full, no permission, the output folder gone: nothing was left half-written.
        print(f"neardup: error: {error}", file=sys.stderr)
        if isinstance(error, StandardOutputError):
            # What could not be written is still buffered: dropped, so that the interpreter's
            # final flush does not fail (and change the exit code) again.
            _discard_output(stdout)
            print("neardup: what reached standard output before the error is incomplete; fix the cause and run the command again", file=sys.stderr)
            return EXIT_CANNOT_WRITE
        if isinstance(error, IndexWriteError):
            after = "the index holds whole batches only (the one under way was rolled back)"
        else:
            after = "no output was left half-written"
        again = ""
        if args.command == "index" and getattr(args, "decisions", None):
            # --skip-existing cannot go with --decisions: the documents added are in the index
            # for good, and their decisions are not in the (untouched) decisions file.
            again = " on the documents not added yet (the batches added before the error stay in the index)"
        elif args.command == "index":
            again = " (with --skip-existing to add the rest)"
        print(f"neardup: {after}; fix the cause and run the command again{again}", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    except (InputError, ValueError, OSError, IndexDataError, sqlite3.Error) as error:
        # ValueError: bad content (a corrupt model file, a bad record); OSError: files;
        # IndexDataError: the index file or its content; sqlite3.Error: the index is busy.
        print(f"neardup: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("neardup: interrupted; no output was left half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        sys.stdout = stdout
        signal.signal(signal.SIGTERM, previous)
