"""``neardup index add|query|stats``: the persistent index on the command line (wired into
:func:`neardup.cli.main`; exit codes as there)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from ..index import Index, IndexDataError
from ..io.errors import InputError
from ..io.read import Record
from ..io.write import json_line, open_output
from ..pipeline import learnable
from .arguments import EXIT_FAILED, EXIT_OK, add_input_arguments, positive_int, progress, reader_from, refuse_to_overwrite, unit_float

#: What ``neardup index --help`` says (the module docstring is for the code).
DESCRIPTION = (
    "A persistent near-duplicate index in one SQLite file: has this document been seen before? "
    "`add` indexes documents (with --decisions, deciding each against everything indexed before it), "
    "`query` looks documents up, `stats` shows counts and checks consistency. Exit codes: 0 done, "
    "1 an input or index problem (the message names the file and line, or the index), 2 wrong usage, "
    "3 the index or an output could not be written, 130 interrupted."
)

#: Ids looked up in the index at a time by the checking pass of ``index add``.
CHECK_CHUNK = 20_000


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


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """``records`` (unreadable ones too: the caller accounts for them) in lists of ``size``."""
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _decision_row(record: Record, d: Any) -> dict[str, Any]:
    return {
        "id": record.id,
        "action": d.action,
        "kept_id": d.kept_id,
        "seen_before": d.seen_before,
        "score": d.score,
        "method": d.method,
        "reason": d.reason,
    }


def _skipped_row(record: Record, reason: str) -> dict[str, Any]:
    # The fields of a decision row, as clean's decisions.jsonl has them for a skipped record.
    return {"id": record.id, "action": "skipped", "kept_id": None, "seen_before": None, "score": None, "method": None, "reason": reason, "source": record.source}


def _refuse_to_overwrite(args: argparse.Namespace) -> None:
    """The decisions file must not be an input (as clean refuses) nor the index itself."""
    refuse_to_overwrite("--decisions", args.decisions, args.inputs)
    if os.path.exists(args.decisions) and os.path.exists(args.index) and os.path.samefile(args.decisions, args.index):
        raise InputError(f"--decisions {args.decisions}: is the index; refusing to overwrite it")


def _where_to_go_on(args: argparse.Namespace) -> str:
    if args.decisions:
        return "--on-error skip records such documents as skipped"
    return "--skip-existing leaves such documents out, --on-error skip records them as skipped"


def _check_input(args: argparse.Namespace, reader: Any, index: Index) -> None:
    """The first pass of ``index add``: a record that cannot be read (with --on-error fail)
    or a damaged input file raises here, and so does (without --skip-existing or --on-error
    skip) an id already indexed, before anything is added."""
    check_ids = args.on_error == "fail" and not args.skip_existing
    pending: list[Record] = []

    def look_up() -> None:
        taken = index.existing([r.id for r in pending])
        for record in pending:
            if record.id in taken:
                raise IndexDataError(f"{record.source}: id {record.id!r} is already in the index; nothing was added ({_where_to_go_on(args)})")
        pending.clear()

    for record in progress(reader, desc="index add: check"):
        if check_ids and record.text is not None:
            pending.append(record)
            if len(pending) >= CHECK_CHUNK:
                look_up()
    look_up()


def _add(args: argparse.Namespace, index: Index, records: list[Record], decide: bool, added_before: int) -> tuple[list[Any], int]:
    """Add ``records`` in one transaction: their decisions (with --decisions; else an empty
    list) and the number added."""
    texts, ids, sites = [r.text for r in records], [r.id for r in records], [r.site for r in records]
    metas = [{"url": r.url, "source": r.source} if r.url else {"source": r.source} for r in records]
    if args.chrome:
        chrome_texts, chrome_sites = learnable(records)  # as clean does: pages with a site
        if chrome_texts:
            index.update_chrome(chrome_texts, chrome_sites)
    try:
        if decide:
            # In input order, so that --batch-size (the transaction size) changes no decision.
            return index.add_and_dedup(texts, ids, sites=sites, metas=metas, sequential=True), len(records)
        return [], index.add(texts, ids, sites=sites, metas=metas, existing="skip" if args.skip_existing else "error")
    except IndexDataError:
        # The input was checked: only another writer (or an input changed since the check)
        # can have put one of these ids there. Name the record, and what this run added.
        taken = index.existing(ids)
        if not taken:
            raise
        first = next(r for r in records if r.id in taken)
        again = f"run again with the input from {records[0].source} on" if args.decisions else "run again with --skip-existing to add the rest"
        raise IndexDataError(
            f"{first.source}: id {first.id!r} was indexed since this run checked its input; the {added_before} documents "
            f"added before this batch stay in the index: {again}"
        ) from None


def cmd_add(args: argparse.Namespace) -> int:
    """Add documents to an index (created when missing), one transaction per --batch-size
    documents. The input is read twice: first to check it, so that a record that cannot be
    read (--on-error fail), or whose id is already indexed (without --skip-existing or
    --on-error skip), stops the command before anything is added; then to add it. With
    --decisions, each document is decided against everything indexed before it: the index and
    the documents before it in the input (whatever --batch-size), every pair scored from the
    MinHash signatures; the decisions are written as JSONL. With --on-error skip, a record
    that cannot be read or whose id is already indexed is skipped: a skipped row in the
    decisions, else a line on stderr."""
    if args.decisions and args.decisions != "-":
        _refuse_to_overwrite(args)
    reader = reader_from(args, keep_extra=False)
    skipped = already = added = dropped = 0
    with _open(args, create=True) as index:
        # Atomic: a failed run leaves the decisions file as it was (and a close error after
        # an error is not reported over it: GuardedFile's exit).
        decisions_file: Any = nullcontext(None)
        if args.decisions:
            decisions_file = nullcontext(sys.stdout) if args.decisions == "-" else open_output(args.decisions, atomic=True)
        with decisions_file as out:
            try:
                _check_input(args, reader, index)
                # Ids indexed before this run: the check refused them unless asked to skip them.
                look_up = args.skip_existing or args.on_error == "skip"
                for batch in _batches(progress(reader, desc="index add"), args.batch_size):
                    taken = index.existing([r.id for r in batch if r.text is not None]) if look_up else set()
                    rows: list[tuple[Record, str | None]] = []  # (record, why it is skipped)
                    for record in batch:
                        if record.text is None:
                            rows.append((record, record.error or "unreadable"))
                        elif record.id in taken and args.skip_existing:
                            already += 1
                        else:
                            rows.append((record, f"id {record.id!r} is already in the index" if record.id in taken else None))
                    chosen = [r for r, why in rows if why is None]
                    decisions, count = _add(args, index, chosen, out is not None, added) if chosen else ([], 0)
                    added += count
                    already += len(chosen) - count  # --skip-existing: indexed by another writer meanwhile
                    decided = iter(decisions)
                    for record, why in rows:
                        if why is not None:
                            skipped += 1
                            if out is not None:
                                out.write(json_line(_skipped_row(record, why)))
                            else:
                                print(f"neardup: skipped {record.source}: {why}", file=sys.stderr)
                        elif out is not None:
                            decision = next(decided)
                            out.write(json_line(_decision_row(record, decision)))
                            dropped += decision.action == "dropped"
            finally:
                reader.close()
        summary = {"added": added, "skipped_records": skipped, "documents": len(index)}
        if args.decisions:
            summary["dropped"] = dropped
        if args.skip_existing:
            summary["already_indexed"] = already
    print(json.dumps(summary), file=sys.stderr)
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    """Look documents up in an index: one JSON line per input document with its matches
    (indexed id, score, jaccard, containment, duplicate, method), best first; an unreadable record
    (with --on-error skip) gets a line with "skipped" and why."""
    reader = reader_from(args, keep_extra=False)
    with Index(args.index, readonly=True) if Path(args.index).is_file() else _open(args, create=False) as index:
        try:
            for batch in _batches(progress(reader, desc="index query"), args.batch_size):
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
    parser = commands.add_parser("index", help="a persistent index: has this document been seen before?", description=DESCRIPTION)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add documents (creates the index)", description=cmd_add.__doc__)
    add.add_argument("index", metavar="INDEX", help="the index file (SQLite)")
    add_input_arguments(add)
    add.add_argument(
        "--batch-size", type=positive_int, default=10_000,
        help="documents per transaction (default: 10000); the decisions do not depend on it (each document is decided "
        "against the ones before it), only what a failed or interrupted run leaves added: whole batches",
    )
    # Exclusive: --decisions adds every document it decides (add_and_dedup skips none).
    existing = add.add_mutually_exclusive_group()
    existing.add_argument("--skip-existing", action="store_true", help="leave out documents whose id is already indexed, counted in the summary as already_indexed (default: an error naming the record, before anything is added)")
    existing.add_argument(
        "--decisions", metavar="PATH",
        help="decide each document against everything indexed before it (the index, then the documents before it in the "
        "input) first; write the decisions as JSONL, one line per input record (- for stdout; never over an input or the index)",
    )
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
