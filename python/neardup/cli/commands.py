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
from ..io.read import RecordReader
from ..io.write import json_line, open_output
from ..pipeline import CleanOptions, clean, learnable, strip_records
from .arguments import EXIT_OK, chrome_params_of, progress, reader_from


def cmd_stats(args: argparse.Namespace) -> int:
    """Counts of an input: documents, unreadable records, sites, characters, lines."""
    reader = reader_from(args, keep_extra=False)
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


def cmd_clean(args: argparse.Namespace) -> int:
    """Run repeats -> chrome -> duplicates over a corpus. Writes into OUTDIR the kept documents
    (cleaned), decisions.jsonl (one row per input record: kept, changed, dropped or skipped,
    why, the document it duplicates, the score and the removed spans), report.html and
    summary.json. Output files appear only when the whole run succeeded."""
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
    summary = clean(reader_from(args), args.output, options, progress=progress)
    counts = ", ".join(f"{summary[k]} {k}" for k in ("kept", "changed", "dropped", "skipped"))
    print(f"{summary['documents']} documents: {counts}; {summary['clusters']} duplicate clusters")
    print(f"wrote {', '.join(summary['outputs'])} to {args.output} (report: {os.path.join(args.output, 'report.html')})")
    return EXIT_OK


def _output_stream(path: str | None) -> Any:
    """A context giving standard output, or the file ``path`` written atomically (it appears,
    or is replaced, only when the command succeeded)."""
    return open_output(path, atomic=True) if path and path != "-" else contextlib.nullcontext(sys.stdout)


def _readable(reader: RecordReader, desc: str) -> tuple[list[Any], list[Any]]:
    """Readable records and unreadable ones (already reported when --on-error skip)."""
    good, bad = [], []
    try:
        for record in progress(reader, desc=desc):
            (good if record.text is not None else bad).append(record)
    finally:
        reader.close()
    for record in bad:
        print(f"neardup: skipped {record.source}: {record.error}", file=sys.stderr)
    return good, bad


#: Texts ``neardup dups`` shingles at once as it reads (a few MB: the texts are let go after).
DUPS_BATCH = 512


def cmd_dups(args: argparse.Namespace) -> int:
    """Find near-duplicate documents (no chrome stripping): one JSON line per cluster with the
    kept document, the members and each dropped member's score."""
    # Only what the clusters need is kept of each record (its shingle set, its length and two
    # forms of its id), not the records or their texts.
    sets = ShingledTexts(n=args.ngram, num_threads=args.threads)
    batch: list[str] = []
    ids: list[str] = []
    written_ids: list[Any] = []
    reader = reader_from(args, keep_extra=False)
    try:
        for record in progress(reader, desc="read"):
            if record.text is None:
                print(f"neardup: skipped {record.source}: {record.error}", file=sys.stderr)
                continue
            batch.append(record.text)
            ids.append(record.id)
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
            # Ids as read (1 and "1" are two ids); the scores' keys are object keys, so text.
            scores = {ids[m]: round(float(outcome.score[m]), 6) for m in members if m != kept}
            out.write(json_line({"kept": written_ids[kept], "members": [written_ids[m] for m in members], "scores": scores}))
    print(f"{len(ids)} documents, {len(outcome.sizes)} clusters, {len(outcome.dropped)} duplicates", file=sys.stderr)
    return EXIT_OK


def cmd_chrome_learn(args: argparse.Namespace) -> int:
    """Learn each site's chrome from an input and save the model (versioned JSON)."""
    model = ChromeModel.load(args.model) if args.update and os.path.exists(args.model) else ChromeModel(**chrome_params_of(args))
    records, _ = _readable(reader_from(args, keep_extra=False), "learn")
    texts, sites = learnable(records)  # as clean does
    model.update(texts, sites, num_threads=args.threads)
    model.save(args.model)
    unsited = f"; {len(records) - len(texts)} pages without a site or url not learned from" if len(texts) < len(records) else ""
    print(f"learned {len(texts)} pages of {len(model.sites)} sites into {args.model}{unsited}", file=sys.stderr)
    return EXIT_OK


def cmd_chrome_strip(args: argparse.Namespace) -> int:
    """Strip chrome (and repeats) with a saved model: one JSON line per document with the
    cleaned text and the removed spans of the original."""
    model = ChromeModel.load(args.model)
    records, _ = _readable(reader_from(args, keep_extra=False), "strip")
    # clean's own stripping: a page without a site only loses its repeats, and a removal of
    # nothing but whitespace is not made.
    stripped = strip_records(model, records, CleanOptions(num_threads=args.threads))
    with _output_stream(args.output) as out:
        for record, (text, removed) in zip(records, stripped):
            out.write(json_line({"id": record.written_id, "text": text, "removed": [list(r) for r in removed]}))
    return EXIT_OK


def cmd_chrome_tune(args: argparse.Namespace) -> int:
    """Choose chrome parameters on labelled pages and save them (versioned JSON) for
    --chrome-params: each record needs its text, its site (or url) and a list of booleans (or
    0/1), one per line of the text (split on LF), true for a line of the article body
    (--labels-field).
    The grid point with the most chrome removed, counting each point of body kept under 0.99
    as twenty points of chrome lost, wins; the table of every point is printed."""
    records, _ = _readable(reader_from(args), "read")
    groups: dict[str, tuple[list[str], list[str], list[list[bool]]]] = {}
    for record in records:
        labels = record.extra.get(args.labels_field)
        lines = record.text.count("\n") + 1
        if not isinstance(labels, list) or len(labels) != lines or not all(b in (0, 1) and isinstance(b, int) for b in labels):
            raise InputError(f"{record.source}: {args.labels_field} must be a list of {lines} booleans (or 0/1), one per line of the text")
        if not record.site:
            raise InputError(f"{record.source}: no site (give --site-field or --url-field)")
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
                   "pages": len(records), "groups": {name or "all": [r.kept, r.removed] for name, r in best.items()}},
    )
    print(f"chose {json.dumps({k: tuning.params[k] for k in TUNE_GRID})} on {len(records)} pages; saved {args.output}", file=sys.stderr)
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
