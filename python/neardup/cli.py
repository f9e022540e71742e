"""The ``neardup`` command line.

Exit codes: 0 success; 1 the input could not be processed (a bad record with
``--on-error fail``, an unreadable file); 2 wrong usage; 130 interrupted (Ctrl-C or SIGTERM),
in which case no output file was left half-written.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from tqdm import tqdm

import neardup

from .index import IndexDataError
from .io import DEFAULT_MAX_CHARS, Fields, InputError, RecordReader

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Interrupted(KeyboardInterrupt):
    """Raised from SIGTERM so that the same clean-up runs as for Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Interrupted(f"signal {signum}")


def progress(iterable, *, desc: str, unit: str = "doc"):
    """A progress bar with rates on a terminal (stderr), silent otherwise."""
    return tqdm(iterable, desc=desc, unit=unit, disable=None, file=sys.stderr, dynamic_ncols=True, mininterval=0.5)


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL[.gz|.zst], Parquet, a folder of .txt files, or - for JSONL on stdin")
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
    parser.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS, help=f"refuse longer documents (default: {DEFAULT_MAX_CHARS:,})")


def reader_from(args: argparse.Namespace) -> RecordReader:
    fields = Fields(id=args.id_field, text=args.text_field, site=args.site_field, url=args.url_field)
    return RecordReader(args.inputs, fields=fields, on_error=args.on_error, max_chars=args.max_chars)


def cmd_stats(args: argparse.Namespace) -> int:
    """Counts of an input: documents, unreadable records, sites, characters, lines."""
    reader = reader_from(args)
    documents = skipped = characters = lines = 0
    sites: Counter[str] = Counter()
    try:
        for record in progress(reader, desc="stats"):
            if record.text is None:
                skipped += 1
                continue
            documents += 1
            characters += len(record.text)
            lines += record.text.count("\n") + 1
            sites[record.site or "(none)"] += 1
    finally:
        reader.close()
    summary = {
        "documents": documents,
        "skipped": skipped,
        "characters": characters,
        "lines": lines,
        "sites": len(sites),
        "largest_sites": dict(sites.most_common(10)),
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neardup", description=neardup.__doc__.split("\n\n")[0] if neardup.__doc__ else None)
    parser.add_argument("--version", action="version", version=f"neardup {neardup.__version__} ({neardup.backend()} backend)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    stats = commands.add_parser("stats", help="count documents, skipped records, sites, characters and lines of an input", description=cmd_stats.__doc__)
    add_input_arguments(stats)
    stats.set_defaults(run=cmd_stats)
    from ._index_cli import add_index_parser

    add_index_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.run(args))
    except InputError as error:
        print(f"neardup: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except IndexDataError as error:  # the index file or its content (neardup index ...)
        print(f"neardup: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("neardup: interrupted; no output was left half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
