"""The datatrove pipeline (examples/datatrove_clean.py) against ``neardup clean`` on the same
JSONL files: wall and CPU seconds of each, and whether their decisions and cleaned texts agree.

    python benches/datatrove_bench.py FOLDER_OF_JSONL [--site-key topic] [--tasks 2] [--workers 2]

CPU is the user + system time of the child processes the run waited for (``getrusage``). The
datatrove runs start their worker processes with ``spawn`` (datatrove's default, forkserver,
makes them children of the fork server, whose time does not reach this process), and write
uncompressed JSONL, as ``neardup clean`` does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from neardup.datatrove import decision_row

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of running ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def local_result(out: Path) -> tuple[dict, dict]:
    with open(out / "decisions.jsonl", encoding="utf-8") as handle:
        decisions = {row["id"]: row for row in map(json.loads, handle)}
    with open(out / "documents.jsonl", encoding="utf-8") as handle:
        texts = {row["id"]: row["text"] for row in map(json.loads, handle)}
    return decisions, texts


def pipeline_result(work: Path) -> tuple[dict, dict]:
    decisions, texts = {}, {}
    for folder in ("kept", "dropped"):
        for path in sorted((work / folder).glob("*.jsonl*")):
            with (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8") as handle:
                for doc in map(json.loads, handle):
                    decisions[doc["id"]] = decision_row(doc["id"], doc["metadata"])
                    if folder == "kept":
                        texts[doc["id"]] = doc["text"]
    return decisions, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--site-key", default="site")
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1])
    args = parser.parse_args()
    inputs = sorted(str(p) for p in args.folder.glob("*.jsonl"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "local"
        wall, cpu = timed([sys.executable, "-m", "neardup", "clean", *inputs, "-o", str(out), "--site-field", args.site_key])
        print(f"neardup clean: {wall:.1f} s wall, {cpu:.1f} s CPU")
        expected = local_result(out)
        for workers in args.workers:
            work = Path(tmp) / f"datatrove-{workers}"
            command = [sys.executable, str(ROOT / "examples" / "datatrove_clean.py"), str(args.folder), str(work)]
            # Uncompressed output, as neardup clean writes.
            wall, cpu = timed(command + ["--tasks", str(args.tasks), "--workers", str(workers), "--site-key", args.site_key, "--compression", "none", "--start-method", "spawn"])
            same = pipeline_result(work) == expected
            print(f"datatrove, {args.tasks} tasks, {workers} workers: {wall:.1f} s wall, {cpu:.1f} s CPU; same decisions and texts: {same}")


if __name__ == "__main__":
    main()
