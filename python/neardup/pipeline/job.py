"""The clean job: its stages in order over one run's state.

The corpus is read once or twice, and once more for Parquet output (inputs are files; stdin is
spooled), so that nothing but the chrome model, the signatures' LSH band keys and a small
per-document table is held in memory:

1. learn (:mod:`.learn`): the chrome model counts every page's lines per site;
2. sign (:mod:`.sign`): each page is stripped (:mod:`.strip`: its repeated passages and its
   site's chrome), the cleaned text goes to a spool file next to the output and the band keys
   of its signature are kept for the duplicate search. The pages read before the first that
   needs the chrome model (one with a site, while chrome stripping is on) are signed in the
   first pass; the corpus is read a second time only for the rest (never when no page has a
   site, or chrome stripping is off);
3. decide (:mod:`.decide`) and write (:mod:`.write`): candidate pairs of cleaned texts are
   verified and decided; every input record gets exactly one row in ``decisions.jsonl``. For
   JSONL output the sign stage also spools each page's other fields (their JSON) and the
   characters removed from it, and the write stage works from the spool; Parquet output,
   whose columns keep the input's types, reads the corpus again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

from ..io.read import DEFAULT_MAX_CHARS, DEFAULT_MAX_LINE_CHARS, ArrowInput, Fields, RecordReader, input_kind
from ..io.write import AtomicOutputDir
from .decide import decide
from .learn import learn_batch, open_model
from .read import Corpus
from .sign import sign, sign_batch
from .strip import needs_model
from .state import CleanOptions, Progress, Run, Spool, no_progress, open_index
from .write import write

#: Every file a result of ``clean`` may hold (which documents and decisions files depends on
#: the inputs): a new result in a folder replaces all of the old one's.
RESULT_FILES = ("documents.jsonl", "documents.parquet", "decisions.jsonl", "decisions.arrow", "report.html", "summary.json")


def clean(
    reader: RecordReader,
    outdir: str | os.PathLike[str],
    options: CleanOptions | None = None,
    *,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Run the whole job; returns the summary (also written to ``summary.json``).

    Outputs appear in ``outdir`` only when the whole run succeeded (see
    :class:`neardup.io.write.AtomicOutputDir`; ``summary.json`` is moved last and marks a complete
    result). A file that cannot be written raises :class:`neardup.io.OutputError` naming it,
    an input that cannot be read :class:`neardup.io.InputError`; either way ``outdir`` keeps
    what it held before and the run can simply be repeated.
    """
    # A copy is checked (which replaces numpy numbers): the caller's options stay as given.
    options = dataclasses.replace(options) if options is not None else CleanOptions()
    options.check()
    started = time.perf_counter()
    kinds = {input_kind(spec) for spec in reader.inputs}
    parquet_out, arrow_out = kinds <= {"parquet", "arrow"}, kinds == {"arrow"}
    try:
        if options.index:
            # Opened once up front: a read-only index or one with other parameters fails
            # the run before the work, not after it.
            open_index(options).close()
        # The saved model and the index are inputs too: no output may be written over them.
        protected = [*reader.paths, *(path for path in (options.chrome_model, options.index) if path)]
        with AtomicOutputDir(outdir, protected=protected, last="summary.json", replaces=RESULT_FILES) as out:
            spool = Spool(out)
            try:
                summary = run_stages(Run(options, Corpus(reader), out, spool, progress, parquet_out, arrow_out))
            finally:
                spool.close()
            summary["seconds"] = round(time.perf_counter() - started, 3)
            with out.open("summary.json") as handle:
                json.dump(summary, handle, indent=2, ensure_ascii=False)
    finally:
        reader.close()
    return summary


def run_stages(run: Run) -> dict[str, Any]:
    """The stages over ``run``, in order; returns the summary, with each stage's wall and CPU
    seconds (CPU: of the whole process, every thread) and the process's peak RSS so far (MB,
    where the platform reports it) under ``stages``. Pages signed in the first pass count to
    the sign stage's time."""
    stages: dict[str, dict[str, float]] = {}
    clock = (time.perf_counter(), time.process_time())
    # Time of the sign stage's work done in the first pass: moved from learn to sign.
    signing = [0.0, 0.0]

    def lap(stage: str, moved: float = 0.0) -> None:
        nonlocal clock
        now = (time.perf_counter(), time.process_time())
        elapsed = (now[0] - clock[0] + moved * signing[0], now[1] - clock[1] + moved * signing[1])
        stages[stage] = {"seconds": round(elapsed[0], 3), "cpu_seconds": round(elapsed[1], 3)}
        peak = peak_rss_mb()
        if peak is not None:
            stages[stage]["peak_rss_mb"] = peak
        clock = now

    open_model(run)
    unsigned = first_pass(run, signing)
    lap("learn", -1)
    if unsigned is not None:
        sign(run, unsigned)
    lap("sign", 1)
    decided = decide(run)
    lap("decide")
    summary = write(run, decided)
    lap("write")
    summary["stages"] = stages
    return summary


def first_pass(run: Run, signing: list[float]) -> int | None:
    """The first pass over the corpus: the chrome model learns every page with a site, and the
    pages read before the first that needs the model are signed (their wall and CPU seconds
    added to ``signing``). Returns the input position of the first record left unsigned, or
    None when every record was signed (no second pass is needed)."""
    unsigned: int | None = None
    for batch in run.batches("learn chrome" if run.options.chrome else "clean"):
        learn_batch(run, batch)
        if unsigned is None:
            waiting = next((k for k, record in enumerate(batch) if needs_model(record, run.options)), len(batch))
            started = (time.perf_counter(), time.process_time())
            sign_batch(run, batch[:waiting])
            signing[0] += time.perf_counter() - started[0]
            signing[1] += time.process_time() - started[1]
            if waiting < len(batch):
                unsigned = batch[waiting].index
                # The rest is signed in the next pass: this one need not make their other fields.
                run.corpus.reader.keep_extra = False
    return unsigned


def peak_rss_mb() -> float | None:
    """The process's peak resident set size so far in MB, or None where it is not reported."""
    if resource is None:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def clean_table(
    source: Any,
    outdir: str | os.PathLike[str] | None = None,
    *,
    id_field: str = "id",
    text_field: str = "text",
    site_field: str = "site",
    url_field: str = "url",
    name: str = "table",
    options: CleanOptions | None = None,
    on_error: str = "fail",
    max_chars: int = DEFAULT_MAX_CHARS,
    max_line_chars: int | None = DEFAULT_MAX_LINE_CHARS,
    oversize: str = "refuse",
    progress: Progress = no_progress,
    **settings: Any,
) -> Any:
    """Run the ``neardup clean`` job over Arrow data; returns its decisions as a
    ``pyarrow.Table``, one row per input row, in input order.

    ``source``: a ``pyarrow.Table``, ``RecordBatch`` or ``RecordBatchReader``, a Hugging Face
    ``datasets.Dataset`` or ``IterableDataset`` (a ``select``/``shuffle``/``filter`` view is
    read as the view), or an iterable of record batches (see :class:`neardup.io.ArrowInput`).
    Its columns are the records' fields, named by ``id_field``, ``text_field``,
    ``site_field`` and ``url_field`` as on the command line (``--id-field`` ...). The
    source is read three times (twice when no row has a site), ``1024`` rows at a time made into Python values, as a
    Parquet input is: the corpus is never held as Python objects.

    The decisions are the job's, the same as ``neardup clean`` gives on the same records
    as JSONL; the table has the fields of ``decisions.jsonl``, typed, plus ``row`` (the
    position in the input), ``duplicate_of_row`` and ``cleaned_text`` (the cleaned text of
    each kept or changed document, null for the others); see
    :func:`neardup.pipeline.write.decisions_schema`. Its ``id`` column has the type of the
    input's, so the table joins back on ``id``; row ``k`` is input row ``k``.

    ``outdir``: where the job's outputs go (``decisions.jsonl``, ``decisions.arrow``, the
    kept documents in ``documents.parquet``, ``report.html``, ``summary.json``); the table
    returned is ``decisions.arrow`` memory-mapped. Without it the outputs go to a temporary
    folder, removed before returning, and the table is read into memory.

    ``options`` (:class:`neardup.pipeline.CleanOptions`), or its fields as keywords
    (``threshold=0.7``, ``num_threads=4``): the job's settings. ``on_error``, ``max_chars``,
    ``max_line_chars`` and ``oversize`` are the reader's (:class:`neardup.io.RecordReader`):
    with ``on_error="fail"`` a row that cannot be read raises :class:`neardup.io.InputError`
    naming it (``table#17: text field 'text' is NoneType, expected a string``); with
    ``"skip"`` it is a ``skipped`` row of the table.
    """
    import pyarrow as pa

    if options is not None and settings:
        raise TypeError(f"give options or its fields as keywords, not both (got options and {', '.join(sorted(settings))})")
    if options is None:
        known = {f.name for f in dataclasses.fields(CleanOptions)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise TypeError(f"unknown setting(s) {', '.join(unknown)}; the settings of clean_table are CleanOptions': {', '.join(sorted(known))}")
        options = CleanOptions(**settings)
    fields = Fields(id=id_field, text=text_field, site=site_field, url=url_field)
    reader = RecordReader(
        [ArrowInput(source, name)], fields=fields, on_error=on_error, max_chars=max_chars, max_line_chars=max_line_chars, oversize=oversize
    )
    if outdir is not None:
        clean(reader, outdir, options, progress=progress)
        return read_decisions(Path(outdir) / "decisions.arrow")
    with tempfile.TemporaryDirectory(prefix="neardup-clean-table-") as folder:
        clean(reader, folder, options, progress=progress)
        with pa.ipc.open_stream(os.path.join(folder, "decisions.arrow")) as stream:
            return stream.read_all()


def read_decisions(path: str | os.PathLike[str]) -> Any:
    """``decisions.arrow`` (written when every input is Arrow: :func:`clean_table`) as a
    ``pyarrow.Table``, memory-mapped: its text stays in the file until used."""
    import pyarrow as pa

    with pa.ipc.open_stream(pa.memory_map(os.fspath(path))) as stream:
        return stream.read_all()
