"""The clean job: its stages in order over one run's state.

The corpus is read three times (inputs are files; stdin is spooled), so that nothing but the
chrome model, the signatures and a small per-document table is held in memory:

1. learn (:mod:`.learn`): the chrome model counts every page's lines per site;
2. sign (:mod:`.sign`): each page is stripped (:mod:`.strip`: its repeated passages and its
   site's chrome), the cleaned text goes to a spool file next to the output and its
   signature is kept for the duplicate search;
3. decide (:mod:`.decide`) and write (:mod:`.write`): candidate pairs of cleaned texts are
   verified and decided; every input record gets exactly one row in ``decisions.jsonl``.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from ..io.read import RecordReader, input_kind
from ..io.write import AtomicOutputDir
from .decide import decide
from .learn import learn
from .read import Corpus
from .sign import sign
from .state import CleanOptions, Progress, Run, Spool, no_progress, open_index
from .write import write


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
    options = options or CleanOptions()
    options.check()
    started = time.perf_counter()
    parquet_out = all(spec != "-" and input_kind(spec) == "parquet" for spec in reader.inputs)
    try:
        if options.index:
            # Opened once up front: a read-only index or one with other parameters fails
            # the run before the work, not after it.
            open_index(options).close()
        with AtomicOutputDir(outdir, protected=reader.inputs, last="summary.json") as out:
            spool = Spool(out)
            try:
                summary = run_stages(Run(options, Corpus(reader), out, spool, progress, parquet_out))
            finally:
                spool.close()
            summary["seconds"] = round(time.perf_counter() - started, 3)
            with out.open("summary.json") as handle:
                json.dump(summary, handle, indent=2, ensure_ascii=False)
    finally:
        reader.close()
    return summary


def run_stages(run: Run) -> dict[str, Any]:
    """The stages over ``run``, in order; returns the summary."""
    learn(run)
    sign(run)
    decided = decide(run)
    return write(run, decided)
