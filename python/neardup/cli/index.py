"""``neardup index add|query|stats``: the persistent index on the command line (wired into
:func:`neardup.cli.main`; exit codes as there)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from ..index import Index, IndexDataError
from ..io.write import json_line, open_output
from ..pipeline import learnable
from .arguments import EXIT_FAILED, EXIT_OK, add_input_arguments, positive_int, progress, reader_from, unit_float


def _open(args: argparse.Namespace, *, create: bool) -> Index:
    if not create and not Path(args.index).is_file():
        raise IndexDataError(f"{args.index}: no index there (create one with `neardup index add {args.index} INPUT`)")
    settings: dict[str, Any] = {}
    if create:
        settings = {
            "threshold": args.threshold,
            "measure": args.measure,
            "num_perm": args.num_perm,
            "params": (args.bands, args.rows) if args.bands is not None else None,
        }
        if (args.bands is None) != (args.rows is None):
            raise IndexDataError("--bands and --rows go together")
    return Index(args.index, create=create, **settings)


def _batches(args: argparse.Namespace, reader: Any, skipped: list[int], keep_unreadable: bool = False) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for record in progress(reader, desc=f"index {args.action}"):
        if record.text is None:  # unreadable with --on-error skip: counted, and query names it
            skipped[0] += 1
            if not keep_unreadable:
                continue
        batch.append(record)
        if len(batch) >= args.batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _decision_row(record: Any, d: Any) -> dict[str, Any]:
    return {
        "id": record.id,
        "action": d.action,
        "kept_id": d.kept_id,
        "seen_before": d.seen_before,
        "score": d.score,
        "method": d.method,
        "reason": d.reason,
    }


def cmd_add(args: argparse.Namespace) -> int:
    """Add documents to an index (created when missing), one transaction per --batch-size
    documents; with --decisions, decide each against the index and its batch first."""
    reader = reader_from(args, keep_extra=False)
    skipped = [0]
    added = dropped = 0
    with _open(args, create=True) as index:
        # Atomic: a failed run leaves the decisions file as it was (and a close error after
        # an error is not reported over it: GuardedFile's exit).
        decisions_file: Any = nullcontext(None)
        if args.decisions:
            decisions_file = nullcontext(sys.stdout) if args.decisions == "-" else open_output(args.decisions, atomic=True)
        with decisions_file as out:
            try:
                for batch in _batches(args, reader, skipped):
                    texts, ids, sites = [r.text for r in batch], [r.id for r in batch], [r.site for r in batch]
                    metas = [{"url": r.url, "source": r.source} if r.url else {"source": r.source} for r in batch]
                    if args.chrome:
                        chrome_texts, chrome_sites = learnable(batch)  # as clean does: pages with a site
                        if chrome_texts:
                            index.update_chrome(chrome_texts, chrome_sites)
                    if out is not None:
                        decisions = index.add_and_dedup(texts, ids, sites=sites, metas=metas)
                        for record, decision in zip(batch, decisions):
                            out.write(json_line(_decision_row(record, decision)))
                        dropped += sum(d.action == "dropped" for d in decisions)
                        added += len(batch)
                    else:
                        added += index.add(texts, ids, sites=sites, metas=metas, existing="skip" if args.skip_existing else "error")
            finally:
                reader.close()
        summary = {"added": added, "skipped_records": skipped[0], "documents": len(index)}
        if args.decisions:
            summary["dropped"] = dropped
    print(json.dumps(summary), file=sys.stderr)
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    """Look documents up in an index: one JSON line per input document with its matches
    (indexed id, score, jaccard, containment, duplicate, method), best first; an unreadable record
    (with --on-error skip) gets a line with "skipped" and why."""
    reader = reader_from(args, keep_extra=False)
    skipped = [0]
    with Index(args.index, readonly=True) if Path(args.index).is_file() else _open(args, create=False) as index:
        try:
            for batch in _batches(args, reader, skipped, keep_unreadable=True):
                readable = [r for r in batch if r.text is not None]
                found = iter(index.query([r.text for r in readable], duplicates_only=not args.all))
                for record in batch:
                    # One line per input record: an unreadable one (--on-error skip) says why.
                    if record.text is None:
                        row = {"id": record.id, "skipped": record.error or "unreadable", "source": record.source}
                    else:
                        row = {"id": record.id, "matches": [m.__dict__ for m in next(found)]}
                    sys.stdout.write(json_line(row))
        finally:
            reader.close()
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    """Counts, parameters and size of an index; --check also verifies its consistency
    (exit 1 when a problem is found)."""
    if not Path(args.index).is_file():
        raise IndexDataError(f"{args.index}: no index there")
    with Index(args.index, readonly=True) as index:
        summary = index.stats()
        if args.check:
            summary["problems"] = index.check()
    print(json.dumps(summary, indent=2))
    return EXIT_FAILED if summary.get("problems") else EXIT_OK


def add_index_parser(commands: Any) -> None:
    parser = commands.add_parser("index", help="a persistent index: has this document been seen before?", description=__doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add documents (creates the index)", description=cmd_add.__doc__)
    add.add_argument("index", metavar="INDEX", help="the index file (SQLite)")
    add_input_arguments(add)
    add.add_argument("--batch-size", type=positive_int, default=10_000, help="documents per transaction (default: 10000)")
    # Exclusive: --decisions adds every document it decides (add_and_dedup skips none).
    existing = add.add_mutually_exclusive_group()
    existing.add_argument("--skip-existing", action="store_true", help="leave out documents whose id is already indexed (default: error)")
    existing.add_argument("--decisions", metavar="PATH", help="decide each document against the index first; write the decisions as JSONL (- for stdout)")
    add.add_argument("--chrome", action="store_true", help="also count the pages into their sites' stored chrome models")
    creation = add.add_argument_group("parameters of a new index (an existing index keeps its own; a different value is an error)")
    creation.add_argument("--threshold", type=unit_float, default=None, help="duplicate threshold (default: 0.8)")
    creation.add_argument("--measure", choices=("containment", "jaccard"), default=None, help="default: containment")
    creation.add_argument("--num-perm", type=positive_int, default=None, help="MinHash size (default: 128)")
    creation.add_argument("--bands", type=positive_int, default=None, help="LSH bands (with --rows; default: chosen from the threshold)")
    creation.add_argument("--rows", type=positive_int, default=None, help="LSH rows per band")
    add.set_defaults(run=cmd_add)

    query = actions.add_parser("query", help="look documents up; JSONL of matches on stdout", description=cmd_query.__doc__)
    query.add_argument("index", metavar="INDEX", help="the index file")
    add_input_arguments(query)
    query.add_argument("--all", action="store_true", help="every LSH candidate, not only duplicates")
    query.add_argument("--batch-size", type=positive_int, default=2_000, help="documents looked up together (default: 2000)")
    query.set_defaults(run=cmd_query)

    stats = actions.add_parser("stats", help="counts, parameters and size of an index", description=cmd_stats.__doc__)
    stats.add_argument("index", metavar="INDEX", help="the index file")
    stats.add_argument("--check", action="store_true", help="verify consistency (exit 1 on a problem)")
    stats.set_defaults(run=cmd_stats)
