"""The ``neardup`` command line.

Exit codes: 0 success; 1 the input could not be processed (a bad record with
``--on-error fail``, an unreadable file); 2 wrong usage; 3 an output or the index could not be
written (disk full, file size limit, no permission, the output folder removed during the
run); 130 interrupted (Ctrl-C or SIGTERM). After 1, 3 and 130 no output file was left
half-written (the output folder holds what it held before) and the command can be repeated.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from tqdm import tqdm

from . import _backend
from ._version import __version__
from .decide import MIN_EVIDENCE_SHINGLES
from ._reference.minhash import MAX_NUM_PERM
from ._reference.text import MAX_THREADS
from .index import IndexDataError, IndexWriteError
from .io.errors import InputError, OutputError
from .io.read import DEFAULT_MAX_CHARS, DEFAULT_MAX_LINE_CHARS, OVERSIZE_POLICIES, Fields, RecordReader
from .io.write import json_line, open_output

#: How --min-evidence is explained (clean, dups, spark-clean).
MIN_EVIDENCE_HELP = (
    "a pair whose smaller text has fewer distinct shingles than this is scored by Jaccard similarity "
    f"instead of containment: a short text is a duplicate only of a nearly equal one (default: {MIN_EVIDENCE_SHINGLES})"
)

#: What ``neardup --help`` says the command is for.
DESCRIPTION = "neardup: find and remove the repetition in scraped web and news text."

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANNOT_WRITE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class Interrupted(KeyboardInterrupt):
    """Raised from SIGTERM so that the same clean-up runs as for Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Interrupted(f"signal {signum}")


def progress(iterable, *, desc: str, unit: str = "doc"):
    """A progress bar with rates on a terminal (stderr), silent otherwise."""
    return tqdm(iterable, desc=desc, unit=unit, disable=None, file=sys.stderr, dynamic_ncols=True, mininterval=0.5)


def add_input_arguments(parser: argparse.ArgumentParser, *, truncate: bool = False) -> None:
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
    parser.add_argument("--max-chars", type=_positive_int, default=DEFAULT_MAX_CHARS, help=f"the longest document, in characters (default: {DEFAULT_MAX_CHARS:,})")
    parser.add_argument(
        "--max-line-chars",
        type=_positive_int,
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


def reader_from(args: argparse.Namespace) -> RecordReader:
    fields = Fields(id=args.id_field, text=args.text_field, site=args.site_field, url=args.url_field)
    # An index keeps ids as text: there 1 and "1" are one id (the second is a duplicate).
    ids_as_text = args.command == "index" or bool(getattr(args, "index", None))
    return RecordReader(
        args.inputs, fields=fields, on_error=args.on_error, max_chars=args.max_chars, max_line_chars=args.max_line_chars, oversize=args.oversize,
        ids_as_text=ids_as_text,
    )


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


def cmd_clean(args: argparse.Namespace) -> int:
    """Run repeats -> chrome -> duplicates over a corpus. Writes into OUTDIR the kept documents
    (cleaned), decisions.jsonl (one row per input record: kept, changed, dropped or skipped,
    why, the document it duplicates, the score and the removed spans), report.html and
    summary.json. Output files appear only when the whole run succeeded."""
    from .pipeline import CleanOptions, clean

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


def cmd_dups(args: argparse.Namespace) -> int:
    """Find near-duplicate documents (no chrome stripping): one JSON line per cluster with the
    kept document, the members and each dropped member's score."""
    from .cluster import find_duplicates

    records, _ = _readable(reader_from(args), "read")
    found = find_duplicates(
        [r.text for r in records], args.threshold, measure=args.measure, num_perm=args.num_perm, n=args.ngram, keep=args.keep,
        min_evidence=args.min_evidence, num_threads=args.threads,
    )
    with _output_stream(args.output) as out:
        for cluster in found.clusters:
            # Ids as read (1 and "1" are two ids); the scores' keys are object keys, so text.
            scores = {records[d.index].id: round(d.score, 6) for d in found.decisions if d.action == "dropped" and d.kept == cluster.kept}
            row = {"kept": records[cluster.kept].written_id, "members": [records[m].written_id for m in cluster.members], "scores": scores}
            out.write(json_line(row))
    print(f"{len(records)} documents, {len(found.clusters)} clusters, {len(found.dropped)} duplicates", file=sys.stderr)
    return EXIT_OK


def chrome_params_of(args: argparse.Namespace) -> dict[str, Any]:
    """The chrome parameters a command's options ask for: a tuned file (--chrome-params),
    then --run-cost over it."""
    from .chrome import load_params

    params: dict[str, Any] = load_params(args.chrome_params) if args.chrome_params else {}
    if args.run_cost is not None:
        params["run_cost"] = None if args.run_cost == "none" else int(args.run_cost)
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


def cmd_chrome_learn(args: argparse.Namespace) -> int:
    """Learn each site's chrome from an input and save the model (versioned JSON)."""
    from .chrome import ChromeModel
    from .pipeline import learnable

    model = ChromeModel.load(args.model) if args.update and os.path.exists(args.model) else ChromeModel(**chrome_params_of(args))
    records, _ = _readable(reader_from(args), "learn")
    texts, sites = learnable(records)  # as clean does
    model.update(texts, sites, num_threads=args.threads)
    model.save(args.model)
    unsited = f"; {len(records) - len(texts)} pages without a site or url not learned from" if len(texts) < len(records) else ""
    print(f"learned {len(texts)} pages of {len(model.sites)} sites into {args.model}{unsited}", file=sys.stderr)
    return EXIT_OK


def cmd_chrome_strip(args: argparse.Namespace) -> int:
    """Strip chrome (and repeats) with a saved model: one JSON line per document with the
    cleaned text and the removed spans of the original."""
    from .chrome import ChromeModel
    from .pipeline import CleanOptions, _strip

    model = ChromeModel.load(args.model)
    records, _ = _readable(reader_from(args), "strip")
    # clean's own stripping: a page without a site only loses its repeats, and a removal of
    # nothing but whitespace is not made.
    stripped = _strip(model, records, CleanOptions(num_threads=args.threads))
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
    from .chrome import BODY_FLOOR, BODY_WEIGHT, TUNE_GRID, save_params, tune

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
    from .align import align, covered

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
    from . import spark

    session = spark.session(args.master)
    summary = spark.clean_files(
        session, args.inputs, args.output, partitions=args.partitions, text_col=args.text_field, id_col=args.id_field,
        site_col=args.site_field, url_col=args.url_field, threshold=args.threshold, min_evidence=args.min_evidence,
        repeats=not args.no_repeats, chrome=not args.no_chrome, dedup=not args.no_dedup,
    )
    print(json.dumps({k: summary[k] for k in ("documents", "kept", "changed", "dropped", "skipped", "seconds")}))
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an int in [low, high], so that a value the library refuses is a usage
    error before any input is read (not an error after a pass over the corpus)."""

    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in [{low:,}, {high:,}], got {value:,}")
        return value

    return parse


_num_perm = _int_in(1, MAX_NUM_PERM)
_threads = _int_in(1, MAX_THREADS)
_ngram = _int_in(1, (1 << 32) - 1)


def _unit_float(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neardup", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"neardup {__version__} ({_backend.backend()} backend)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    stats = commands.add_parser("stats", help="count documents, skipped records, sites, characters and lines of an input", description=cmd_stats.__doc__)
    add_input_arguments(stats)
    stats.set_defaults(run=cmd_stats)

    clean = commands.add_parser("clean", help="remove repeats, chrome and duplicates; one decision per input document", description=cmd_clean.__doc__)
    add_input_arguments(clean, truncate=True)
    clean.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder (created if missing)")
    clean.add_argument("--threshold", type=_unit_float, default=0.8, help="containment of the smaller document's shingles in the larger's for a duplicate (default: 0.8)")
    clean.add_argument("--min-evidence", type=_count, default=MIN_EVIDENCE_SHINGLES, help=MIN_EVIDENCE_HELP)
    clean.add_argument("--num-perm", type=_num_perm, default=128, help="MinHash permutations (default: 128)")
    clean.add_argument("--ngram", type=_ngram, default=5, help="word n-gram size of the shingles (default: 5)")
    clean.add_argument("--batch-size", type=_positive_int, default=512, help="documents per batch (default: 512)")
    clean.add_argument("--threads", type=_threads, default=None, help="worker threads (default: all cores)")
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
    dups.add_argument("--threshold", type=_unit_float, default=0.8, help="similarity for a duplicate (default: 0.8)")
    dups.add_argument("--measure", choices=("containment", "jaccard"), default="containment", help="similarity measure (default: containment)")
    dups.add_argument("--min-evidence", type=_count, default=MIN_EVIDENCE_SHINGLES, help=MIN_EVIDENCE_HELP)
    dups.add_argument("--keep", choices=("longest", "earliest", "most_complete"), default="longest", help="which copy each cluster keeps (default: longest)")
    dups.add_argument("--num-perm", type=_num_perm, default=128, help="MinHash permutations (default: 128)")
    dups.add_argument("--ngram", type=_ngram, default=5, help="word n-gram size (default: 5)")
    dups.add_argument("--threads", type=_threads, default=None, help="worker threads (default: all cores)")
    dups.set_defaults(run=cmd_dups)

    chrome = commands.add_parser("chrome", help="learn or strip site chrome", description="Learn each site's chrome (learn) or strip it with a saved model (strip).")
    chrome_commands = chrome.add_subparsers(dest="chrome_command", metavar="ACTION", required=True)
    learn = chrome_commands.add_parser("learn", help="learn a chrome model from an input", description=cmd_chrome_learn.__doc__)
    add_input_arguments(learn)
    learn.add_argument("-m", "--model", required=True, metavar="MODEL.json", help="where to save the model")
    add_chrome_arguments(learn)
    learn.add_argument("--update", action="store_true", help="add to the model at --model instead of starting afresh")
    learn.add_argument("--threads", type=_threads, default=None, help="worker threads (default: all cores)")
    learn.set_defaults(run=cmd_chrome_learn)
    strip = chrome_commands.add_parser("strip", help="strip chrome with a saved model", description=cmd_chrome_strip.__doc__)
    add_input_arguments(strip)
    strip.add_argument("-m", "--model", required=True, metavar="MODEL.json", help="a model saved by `neardup chrome learn`")
    strip.add_argument("-o", "--output", metavar="FILE", help="write JSONL here (default: stdout)")
    strip.add_argument("--threads", type=_threads, default=None, help="worker threads (default: all cores)")
    strip.set_defaults(run=cmd_chrome_strip)
    tune_cmd = chrome_commands.add_parser("tune", help="choose chrome parameters on labelled pages", description=cmd_chrome_tune.__doc__)
    add_input_arguments(tune_cmd)
    tune_cmd.add_argument("-o", "--output", required=True, metavar="PARAMS.json", help="where to save the chosen parameters")
    tune_cmd.add_argument("--labels-field", default="line_is_body", help="field holding one boolean per line, true for body (default: line_is_body)")
    tune_cmd.add_argument("--group-field", help="field naming each page's group (a labelled set): the choice is best on average over the groups")
    tune_cmd.add_argument("--threads", type=_threads, default=None, help="worker threads (default: all cores)")
    tune_cmd.set_defaults(run=cmd_chrome_tune)

    sc = commands.add_parser("spark-clean", help="the clean job on Apache Spark (neardup[spark])", description=cmd_spark_clean.__doc__)
    sc.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL(.gz) files or Parquet files/folders (any Spark path)")
    sc.add_argument("output", metavar="OUTPUT", help="a new folder for the outputs")
    sc.add_argument("--master", default=None, help="Spark master (default: spark-submit's, else local[*])")
    sc.add_argument("--partitions", type=_positive_int, default=None, help="repartition the input into this many partitions")
    for field, default in (("text", "text"), ("id", "id"), ("site", "site"), ("url", "url")):
        sc.add_argument(f"--{field}-field", default=default, help=f"the {field} column (default: {default})")
    sc.add_argument("--threshold", type=_unit_float, default=0.8, help="containment from which two pages are copies (default 0.8)")
    sc.add_argument("--min-evidence", type=_count, default=MIN_EVIDENCE_SHINGLES, help=MIN_EVIDENCE_HELP)
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
    from ._index_cli import add_index_parser

    add_index_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # A saved model decides with its own parameters.
    saved = getattr(args, "chrome_model", None) or (getattr(args, "update", False) and os.path.exists(args.model))
    if saved and (getattr(args, "chrome_params", None) or getattr(args, "run_cost", None) is not None):
        parser.error("--chrome-params and --run-cost set a new model's parameters; a saved model (--chrome-model, "
                     "chrome learn --update) keeps its own")
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.run(args))
    except BrokenPipeError:
        # The reader of our output went away (`neardup ... | head`): not an error of ours.
        # Point stdout at devnull so that the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (OutputError, IndexWriteError) as error:
        # Disk full, no permission, the output folder gone: nothing was left half-written.
        print(f"neardup: error: {error}", file=sys.stderr)
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
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
