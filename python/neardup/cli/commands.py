"""The commands of ``neardup``: stats, clean, dups, chrome learn|strip|tune, align and
spark-clean (the index's are in :mod:`neardup.cli.index`). Each takes the parsed arguments and
returns its exit code; errors are raised and turned into exit codes by :func:`neardup.cli.main`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections import Counter
from typing import Any

from .. import spark
from ..align import align, covered
from ..chrome import BODY_FLOOR, BODY_WEIGHT, TUNE_GRID, ChromeModel, save_params, tune
from ..cluster import ShingledTexts, verify_duplicates
from ..io.errors import InputError
from ..io.read import Record, RecordReader
from ..io.write import json_line, open_output
from ..pipeline import CleanOptions, clean, learnable, strip_records
from .arguments import EXIT_OK, check_readable, chrome_params_of, load_option, progress, reader_from, refuse_to_overwrite, skipped_row


def cmd_stats(args: argparse.Namespace) -> int:
    """Counts of an input: records, documents, unreadable records, sites (a document without
    one is a site of its own), characters, lines."""
    reader = reader_from(args, keep_extra=False)
    documents = skipped = characters = lines = without_site = 0
    sites: Counter[str] = Counter()
    try:
        for record in progress(reader, desc="stats"):
            if record.text is None:
                skipped += 1
                continue
            documents += 1
            characters += len(record.text)
            lines += record.text.count("\n") + 1
            if record.site:
                sites[record.site] += 1
            else:
                without_site += 1
    finally:
        reader.close()
    summary = {
        "records": documents + skipped,
        "documents": documents,
        "skipped": skipped,
        "characters": characters,
        "lines": lines,
        "sites": len(sites) + without_site,
        "without_site": without_site,
        "largest_sites": dict(sites.most_common(10)),
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return EXIT_OK


def cmd_clean(args: argparse.Namespace) -> int:
    """Run repeats -> chrome -> duplicates over a corpus. Writes into OUTDIR the kept documents
    (cleaned), decisions.jsonl (one row per input record: kept, changed, dropped or skipped,
    why, the document it duplicates, the score and the removed spans), report.html and
    summary.json. Output files appear only when the whole run succeeded."""
    if args.chrome_model:
        # The job reads it only once the output folder is set up: a missing file is named,
        # with its option, before that.
        check_readable("--chrome-model", args.chrome_model)
    options = CleanOptions(
        threshold=args.threshold,
        num_perm=args.num_perm,
        ngram=args.ngram,
        batch_size=args.batch_size,
        num_threads=args.threads,
        repeats=not args.no_repeats,
        chrome=not args.no_chrome,
        dedup=not args.no_dedup,
        chrome_model=args.chrome_model,
        chrome_params=chrome_params_of(args),
        index=args.index,
        min_evidence=args.min_evidence,
    )
    reader = reader_from(args)
    summary = clean(reader, args.output, options, progress=progress)
    counts = ", ".join(f"{summary[k]} {k}" for k in ("kept", "changed", "dropped", "skipped"))
    print(f"{summary['documents']} documents: {counts}; {summary['clusters']} duplicate clusters")
    warn_unused_site_field(args, reader, summary["documents"] - summary["skipped"])
    print(f"wrote {', '.join(summary['outputs'])} to {args.output} (report: {os.path.join(args.output, 'report.html')})")
    return EXIT_OK


def warn_unused_site_field(args: argparse.Namespace, reader: RecordReader, documents: int) -> None:
    """Say so when a site field the user named (``--site-field``) is on no document read: a
    misspelled name, with which every site is a url's host (or none)."""
    if args.site_field != "site" and documents and reader.site_fields_read == 0:
        print(f"neardup: warning: no record has the site field {args.site_field!r} (--site-field): "
              "sites are the urls' hosts", file=sys.stderr)


def _output_stream(path: str | None) -> Any:
    """A context giving standard output, or the file ``path`` written atomically (it appears,
    or is replaced, only when the command succeeded)."""
    return open_output(path, atomic=True) if path and path != "-" else contextlib.nullcontext(sys.stdout)


def _read_all(reader: RecordReader, desc: str, *, report: bool = True) -> list[Record]:
    """Every record of the input, in order; the unreadable ones (--on-error skip) are
    reported on stderr unless ``report`` is false."""
    records = []
    try:
        for record in progress(reader, desc=desc):
            records.append(record)
    finally:
        reader.close()
    for record in records:
        if record.text is None and report:
            _report_skipped(record.source, record.error)
    return records


def _report_skipped(source: str, problem: str | None) -> None:
    print(f"neardup: skipped {source}: {problem}", file=sys.stderr)


def _readable(reader: RecordReader, desc: str) -> list[Record]:
    """The readable records of the input (the unreadable ones are reported: :func:`_read_all`)."""
    return [record for record in _read_all(reader, desc) if record.text is not None]


#: Texts ``neardup dups`` shingles at once as it reads (a few MB: the texts are let go after).
DUPS_BATCH = 512


def cmd_dups(args: argparse.Namespace) -> int:
    """Find near-duplicate documents (no chrome stripping): one JSON line per cluster of two or
    more documents, {"kept": ID, "members": [ID, ...], "scores": [SCORE, ...]}: the kept
    document's id, every member's id (as read: 1 and "1" are two ids) and, beside each member,
    its score against the kept one (null for the kept one itself)."""
    refuse_to_overwrite("-o", args.output, args.inputs)
    # Only what the clusters need is kept of each record (its shingle set, its length and its
    # id as read), not the records or their texts.
    sets = ShingledTexts(n=args.ngram, num_threads=args.threads)
    batch: list[str] = []
    written_ids: list[Any] = []
    reader = reader_from(args, keep_extra=False)
    try:
        for record in progress(reader, desc="read"):
            if record.text is None:
                _report_skipped(record.source, record.error)
                continue
            batch.append(record.text)
            written_ids.append(record.written_id)
            if len(batch) == DUPS_BATCH:
                sets.add(batch)
                batch = []
    finally:
        reader.close()
    sets.add(batch)
    del batch
    verified = verify_duplicates(
        sets.signed(num_perm=args.num_perm), args.threshold, measure=args.measure, num_perm=args.num_perm,
        n=args.ngram, min_evidence=args.min_evidence, num_threads=args.threads,
    )
    outcome = verified.decide(args.keep)
    with _output_stream(args.output) as out:
        for kept, members in outcome.clusters():
            # Ids as read (1 and "1" are two ids). Scores are a list beside the members, not an
            # object keyed by id: object keys are text, and would merge 1 and "1".
            scores = [None if m == kept else round(float(outcome.score[m]), 6) for m in members]
            out.write(json_line({"kept": written_ids[kept], "members": [written_ids[m] for m in members], "scores": scores}))
    print(f"{len(written_ids)} documents, {len(outcome.sizes)} clusters, {len(outcome.dropped)} duplicates", file=sys.stderr)
    return EXIT_OK


def cmd_chrome_learn(args: argparse.Namespace) -> int:
    """Learn each site's chrome from an input and save the model (versioned JSON)."""
    refuse_to_overwrite("--model", args.model, [*args.inputs, args.chrome_params])
    if args.update and os.path.exists(args.model):
        model = load_option("--model", args.model, ChromeModel.load)
    else:
        model = ChromeModel(**chrome_params_of(args))
    records = _readable(reader_from(args, keep_extra=False), "learn")
    texts, sites = learnable(records)  # as clean does
    model.update(texts, sites, num_threads=args.threads)
    model.save(args.model)
    unsited = f"; {len(records) - len(texts)} pages without a site or url not learned from" if len(texts) < len(records) else ""
    print(f"learned {len(texts)} pages of {len(model.sites)} sites into {args.model}{unsited}", file=sys.stderr)
    return EXIT_OK


def cmd_chrome_strip(args: argparse.Namespace) -> int:
    """Strip chrome (and repeats) with a saved model: one JSON line per input record, in input
    order: its id, the cleaned text and the removed spans of the original, or for an
    unreadable record (--on-error skip) its id, why it was skipped and its source."""
    refuse_to_overwrite("-o", args.output, [*args.inputs, args.model])
    model = load_option("--model", args.model, ChromeModel.load)
    records = _read_all(reader_from(args, keep_extra=False), "strip")
    # clean's own stripping: a page without a site only loses its repeats, and a removal of
    # nothing but whitespace is not made.
    stripped = iter(strip_records(model, [r for r in records if r.text is not None], CleanOptions(num_threads=args.threads)))
    with _output_stream(args.output) as out:
        for record in records:
            if record.text is None:
                out.write(json_line(skipped_row(record)))
                continue
            text, removed = next(stripped)
            out.write(json_line({"id": record.written_id, "text": text, "removed": [list(r) for r in removed]}))
    return EXIT_OK


def cmd_chrome_tune(args: argparse.Namespace) -> int:
    """Choose chrome parameters on labelled pages and save them (versioned JSON) for
    --chrome-params: each record needs its text, its site (or url) and a list of booleans (or
    0/1), one per line of the text (split on LF), true for a line of the article body
    (--labels-field).
    The grid point with the most chrome removed, counting each point of body kept under 0.99
    as twenty points of chrome lost, wins; the table of every point is printed. A record
    without such labels or without a site is an unreadable record (--on-error decides)."""
    refuse_to_overwrite("-o", args.output, args.inputs)
    read = _read_all(reader_from(args), "read", report=False)  # reported below, in input order
    records = []
    skipped = 0
    groups: dict[str, tuple[list[str], list[str], list[list[bool]]]] = {}
    for record in read:
        if record.text is None:
            _report_skipped(record.source, record.error)
            skipped += 1
            continue
        labels = record.extra.get(args.labels_field)
        lines = record.text.count("\n") + 1
        problem = None
        if not isinstance(labels, list) or len(labels) != lines or not all(b in (0, 1) and isinstance(b, int) for b in labels):
            problem = f"{args.labels_field} must be a list of {lines} booleans (or 0/1), one per line of the text"
        elif not record.site:
            problem = "no site (give --site-field or --url-field)"
        if problem is not None:
            # Decided as the reader decides an unreadable record: stop, or report it and go on.
            if args.on_error == "fail":
                raise InputError(f"{record.source}: {problem}")
            _report_skipped(record.source, problem)
            skipped += 1
            continue
        records.append(record)
        group = str(record.extra.get(args.group_field, "")) if args.group_field else ""
        texts, sites, labels_of = groups.setdefault(group, ([], [], []))
        texts.append(record.text)
        sites.append(record.site)
        labels_of.append([bool(b) for b in labels])
    if not groups:
        raise InputError("no labelled pages to tune on")
    tuning = tune(groups, num_threads=args.threads)
    for point, results in tuning.table:
        cells = " ".join(f"{name or 'all'} {r.kept:.4f}/{r.removed:.4f}" for name, r in results.items())
        print(f"{json.dumps(point)}: {cells}", file=sys.stderr)
    best = next(results for point, results in tuning.table if {**tuning.params, **point} == tuning.params)
    save_params(
        args.output, tuning.params,
        chosen_by={"grid": {k: list(v) for k, v in TUNE_GRID.items()}, "body_floor": BODY_FLOOR, "body_weight": BODY_WEIGHT,
                   "pages": len(records), "skipped": skipped, "groups": {name or "all": [r.kept, r.removed] for name, r in best.items()}},
    )
    unread = f" ({skipped} records skipped)" if skipped else ""
    print(f"chose {json.dumps({k: tuning.params[k] for k in TUNE_GRID})} on {len(records)} pages{unread}; saved {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_align(args: argparse.Namespace) -> int:
    """The passages two text files share: one JSON line per passage with its spans in A and B
    (str indices) and score, then the share of each file covered. A file that is not UTF-8
    text is named with its line (--on-error decides whether that stops the command)."""
    texts, skipped = [], []
    for name in (args.a, args.b):
        try:
            with open(name, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise InputError(f"{name}: cannot read: {error.strerror or error}") from None
        try:
            texts.append(data.decode("utf-8"))  # spans index the file's own text (no newline translation)
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            column = error.start - (data.rfind(b"\n", 0, error.start) + 1)
            problem = f"{name}:{line}: not UTF-8 text: invalid UTF-8 at byte {column} of the line"
            if args.on_error == "fail":
                raise InputError(problem) from None
            print(f"neardup: skipped {problem}", file=sys.stderr)
            skipped.append(problem)
    if skipped:
        # Nothing to align: the one line says which input was not read, and why.
        print(json.dumps({"passages": 0, "skipped": skipped}, ensure_ascii=False))
        return EXIT_OK
    a, b = texts
    passages = align(a, b)
    for p in passages:
        passage = {"a": [p.a_start, p.a_end], "b": [p.b_start, p.b_end], "score": round(p.score, 6), "a_text": a[p.a_start : p.a_end][:80]}
        sys.stdout.write(json_line(passage))
    share_a = float(covered(len(a), [p.a_span for p in passages]).mean()) if a else 0.0
    share_b = float(covered(len(b), [p.b_span for p in passages]).mean()) if b else 0.0
    sys.stdout.write(json_line({"passages": len(passages), "covered_a": round(share_a, 4), "covered_b": round(share_b, 4)}))
    return EXIT_OK


def cmd_spark_clean(args: argparse.Namespace) -> int:
    """The clean job on Apache Spark (pip install 'neardup[spark]'): JSONL or Parquet in,
    documents.parquet, decisions.parquet and summary.json out; same decisions as `clean`."""
    session = spark.session(args.master)
    summary = spark.clean_files(
        session, args.inputs, args.output, partitions=args.partitions, text_col=args.text_field, id_col=args.id_field,
        site_col=args.site_field, url_col=args.url_field, threshold=args.threshold, min_evidence=args.min_evidence,
        repeats=not args.no_repeats, chrome=not args.no_chrome, dedup=not args.no_dedup,
    )
    print(json.dumps({k: summary[k] for k in ("documents", "kept", "changed", "dropped", "skipped", "seconds")}))
    return 0
