"""The jobs a user runs, end to end, as whole processes on bench-corpus-22k: `neardup dups`,
`neardup clean` with 1 and 2 threads, and datatrove's MinHash deduplication pipeline (its
defaults: signatures, buckets, clusters, filter; one task) as the peer.

    python benches/end_to_end.py [--quick] [--only dups,clean-1,clean-2,datatrove]

Each job is a child process (`os.wait4`), so its CPU time (user + system) and peak RSS are its
own and cover everything a user waits for: starting Python, reading and decompressing the
input, every stage, writing the outputs. MB are of the input's text (UTF-8), as in the other
benchmarks; CPU MB/s is that size over the CPU seconds (per core), wall MB/s over the elapsed
seconds. --quick runs the first 3,000 documents.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
CORPUS = DATA / "bench-corpus-22k.jsonl.gz"
QUICK_DOCS = 3000
#: The jobs of run(), in its order (the names --only takes).
JOBS = ("dups", "clean-1", "clean-2", "datatrove")

#: The peer: datatrove's MinHash dedup with its defaults, as its README's example runs it.
DATATROVE_SCRIPT = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
    MinhashDedupFilter, MinhashDedupSignature)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

source, work = sys.argv[1], sys.argv[2]
config = MinhashConfig()
reader = lambda: JsonlReader(source, glob_pattern="*.jsonl.gz")
stages = [
    [reader(), MinhashDedupSignature(output_folder=f"{work}/signatures", config=config)],
    [MinhashDedupBuckets(input_folder=f"{work}/signatures", output_folder=f"{work}/buckets", config=config)],
    [MinhashDedupCluster(input_folder=f"{work}/buckets", output_folder=f"{work}/remove_ids", config=config)],
    [reader(), MinhashDedupFilter(input_folder=f"{work}/remove_ids"), JsonlWriter(f"{work}/deduplicated")],
]
# The buckets stage runs a task per bucket (datatrove requires it), one after another.
for k, pipeline in enumerate(stages):
    tasks = config.num_buckets if k == 1 else 1
    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f"{work}/logs/{k}").run()
"""


def _input(folder: Path, quick: bool) -> tuple[Path, int, int]:
    """The corpus (its first QUICK_DOCS documents with --quick) as one .jsonl.gz in its own
    folder (datatrove reads folders); its document count and text bytes."""
    source = folder / "input"
    source.mkdir()
    path = source / "corpus.jsonl.gz"
    docs = nbytes = 0
    with gzip.open(CORPUS, "rt", encoding="utf-8") as src, gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as dst:
        for line in src:
            if quick and docs == QUICK_DOCS:
                break
            row = json.loads(line)
            nbytes += len(row["text"].encode("utf-8"))
            docs += 1
            dst.write(line)
    return path, docs, nbytes


def _timed(command: list[str]) -> dict[str, Any]:
    """Run ``command``; its CPU seconds, wall seconds and peak RSS (its own and its children's)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read() if process.stderr else b""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {stderr.decode(errors='replace')[-2000:]}")
    return {"cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def run(quick: bool, only: set[str] | None = None) -> list[dict[str, Any]]:
    # The script a user runs (it sets up the process before numpy loads); `-m neardup` where
    # the environment has no script beside its interpreter.
    script = Path(sys.executable).with_name("neardup")
    neardup = [str(script)] if script.exists() else [sys.executable, "-m", "neardup"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, docs, nbytes = _input(folder, quick)
        jobs = {
            "dups": ("neardup dups", neardup + ["dups", str(path), "-o", str(folder / "dups.jsonl"), "--threads", "1"]),
            "clean-1": ("neardup clean, 1 thread", neardup + ["clean", str(path), "-o", str(folder / "clean-1"), "--threads", "1"]),
            "clean-2": ("neardup clean, 2 threads", neardup + ["clean", str(path), "-o", str(folder / "clean-2"), "--threads", "2"]),
            "datatrove": ("peer: datatrove MinHash pipeline (defaults, 1 task)",
                          [sys.executable, "-c", DATATROVE_SCRIPT, str(path.parent), str(folder / "datatrove")]),
        }
        assert tuple(jobs) == JOBS
        for name, (implementation, command) in jobs.items():
            if only and name not in only:
                continue
            row: dict[str, Any] = {"benchmark": f"end-to-end/{name}", "implementation": implementation, "docs": docs,
                                   "mb": round(nbytes / 1e6, 2), "load_avg_1m_before": _load_average()}
            try:
                row.update(_timed(command))
            except (RuntimeError, OSError) as error:
                row["error"] = str(error)
                rows.append(row)
                continue
            row["mb_per_cpu_s"] = round(nbytes / 1e6 / row["cpu_s"], 2) if row["cpu_s"] else None
            row["mb_per_s"] = round(nbytes / 1e6 / row["wall_s"], 2)
            row["docs_per_s"] = round(docs / row["wall_s"], 1)
            rows.append(row)
    by_name = {row["benchmark"]: row for row in rows if "error" not in row}
    one, two = by_name.get("end-to-end/clean-1"), by_name.get("end-to-end/clean-2")
    if one and two:
        two["speedup_vs_1_thread"] = round(one["wall_s"] / two["wall_s"], 2)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     allow_abbrev=False)
    parser.add_argument("--quick", action="store_true", help=f"the first {QUICK_DOCS:,} documents")
    parser.add_argument("--only", metavar="NAME[,NAME...]", help=f"only these jobs, comma-separated ({', '.join(JOBS)})")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    # A misspelt name would otherwise run nothing and report success.
    if only and only - set(JOBS):
        parser.error(f"--only: no such job: {', '.join(sorted(only - set(JOBS)))} (there are {', '.join(JOBS)})")
    rows = run(args.quick, only)
    for row in rows:
        print(json.dumps(row))
    return 1 if any("error" in row for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
