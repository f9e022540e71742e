"""``neardup clean`` as a datatrove pipeline of five chained executors (docs/datatrove.md):

    python examples/datatrove_clean.py INPUT_FOLDER WORK_FOLDER [--tasks 4] [--workers 4] [--site-key site]

INPUT_FOLDER holds JSONL files (``id``, ``text``, and ``site`` or ``url``); the kept documents,
cleaned, go to WORK_FOLDER/kept, the dropped ones (as read) to WORK_FOLDER/dropped, each with its
``neardup_*`` metadata. Any datatrove executor works the same way (SlurmPipelineExecutor: the
same pipelines, each with ``depends=`` the stage before).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from neardup.datatrove import ChromeCounts, ChromeMerge, Decide, DuplicateFilter, Signatures, StripChrome


def executors(
    input_folder: str, work: Path, tasks: int, workers: int, site_key: str, compression: str | None = "gzip", start_method: str = "forkserver"
) -> list[LocalPipelineExecutor]:
    """The five stages, each depending on the one before."""

    def reader() -> JsonlReader:
        # The same reader (and the same filters, were there any) in stages 1, 3 and 5.
        return JsonlReader(input_folder)

    def stage(name: str, pipeline: list, n: int, depends: LocalPipelineExecutor | None) -> LocalPipelineExecutor:
        return LocalPipelineExecutor(
            pipeline, tasks=n, workers=min(workers, n), logging_dir=str(work / "logs" / name), depends=depends, start_method=start_method
        )

    counts = stage("1-chrome-counts", [reader(), ChromeCounts(str(work / "chrome"), site_key=site_key)], tasks, None)
    merge = stage("2-chrome-merge", [ChromeMerge(str(work / "chrome"))], 1, counts)
    sign = stage(
        "3-signatures", [reader(), StripChrome(str(work / "chrome"), site_key=site_key), Signatures(str(work / "signatures"), site_key=site_key)], tasks, merge
    )
    decide = stage("4-decide", [Decide(str(work / "signatures"), str(work / "decisions"))], 1, sign)
    write = stage(
        "5-filter",
        [
            reader(),
            DuplicateFilter(str(work / "decisions"), exclusion_writer=JsonlWriter(str(work / "dropped"), compression=compression)),
            JsonlWriter(str(work / "kept"), compression=compression),
        ],
        tasks,
        decide,
    )
    return [counts, merge, sign, decide, write]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input_folder")
    parser.add_argument("work_folder", type=Path)
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--site-key", default="site", help="the metadata field holding the site (else the url's host)")
    parser.add_argument("--start-method", choices=["forkserver", "spawn"], default="forkserver", help="of the worker processes (datatrove's default: forkserver)")
    parser.add_argument("--compression", choices=["gzip", "none"], default="gzip", help="of the output JSONL files (datatrove's default: gzip)")
    args = parser.parse_args()
    # In order, stopping at a failed stage: the last one alone would run the others first
    # (depends=), but datatrove then waits for a failed stage to complete, forever.
    for stage in executors(
        args.input_folder, args.work_folder, args.tasks, args.workers, args.site_key, None if args.compression == "none" else args.compression, args.start_method
    ):
        stage.run()
        failed = stage.get_incomplete_ranks()
        if failed:
            sys.exit(f"tasks {failed} of {stage.logging_dir.path} failed: see the logs there")


if __name__ == "__main__":
    main()
