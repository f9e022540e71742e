#!/usr/bin/env python3
"""neardup.spark in local mode: throughput per stage, and scaling from 1 to 2 executor cores.

    python benches/spark_bench.py            # BBC news (2,225 pages) and the 22k bench corpus
    python benches/spark_bench.py --quick    # BBC news only
    python benches/spark_bench.py --json out.json

``run(quick)`` returns the rows (``benchmark, implementation, docs_per_s, mb_per_s,
peak_rss_mb`` plus ``seconds``, ``cores`` and ``stages``, the seconds of each stage). Every
configuration runs in a child process of its own with its own local SparkSession, so
``peak_rss_mb`` is that run's: the driver plus its JVM (ru_maxrss of self and children).
The local job (``neardup clean`` on one machine) is measured alongside as the baseline.

Stages are forced one by one (persist + count) so each one's time is its own; the sum is
a little more than an unforced ``clean`` because of the extra counts. docs/spark.md turns
these per-stage costs into an estimate for a billion pages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CORPORA = {
    # The topic stands in for the site so that chrome statistics are learned and applied.
    "bbc-news-2225": (DATA / "dups-bbc-news.jsonl.gz", "topic"),
    "bench-corpus-22k": (DATA / "bench-corpus-22k.jsonl.gz", None),
}


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round((own + children) / 1024, 1)


def _records(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _child_spark(name: str, cores: int) -> dict:
    from pyspark.sql import functions as F

    from neardup import spark as nspark

    path, site = CORPORA[name]
    records = _records(path)
    rows = [(i, str(r["id"]), r["text"], r.get(site) if site else None) for i, r in enumerate(records)]
    megabytes = sum(len(r[2].encode("utf-8")) for r in rows) / 1e6
    session = nspark.session(f"local[{cores}]", "neardup-bench", **{"spark.sql.shuffle.partitions": str(2 * cores)})
    session.sparkContext.setLogLevel("ERROR")
    df = session.createDataFrame(rows, "pos long, id string, text string, site string").repartition(4 * cores).persist()
    df.count()
    stages: dict[str, float] = {}

    def timed(stage: str, frame):
        started = time.perf_counter()
        frame = frame.persist()
        frame.count()
        stages[stage] = round(time.perf_counter() - started, 3)
        return frame

    started = time.perf_counter()
    docs = timed("prepare", nspark.prepare(df, order_col="pos"))
    begun = time.perf_counter()
    model = nspark.chrome_model(nspark.chrome_counts(docs))
    stages["chrome statistics"] = round(time.perf_counter() - begun, 3)
    signed = timed("strip + shingle + minhash", nspark.signatures(docs, model))
    nonempty = signed.where(F.size("shingles") > 0)
    pairs = timed("candidate pairs", nspark.candidate_pairs(nonempty))
    verified = timed("verification", nspark.verify(nonempty, pairs))
    components = timed("connected components", nspark.connected_components(verified))
    decided = timed("keep policy", nspark.decide(signed, verified, components))
    seconds = time.perf_counter() - started
    # The end-to-end job as users run it (no forced stages), on a fresh plan.
    started = time.perf_counter()
    cleaned, decisions = nspark.clean(df, order_col="pos")
    decided_rows = decisions.groupBy("action").count().collect()
    end_to_end = time.perf_counter() - started
    sizes = {"candidates": pairs.count(), "verified": verified.count(), "clusters": decided.where(F.col("action") == "kept").count()}
    session.stop()
    return {
        "benchmark": f"spark clean ({name})",
        "implementation": f"neardup.spark local[{cores}]",
        "cores": cores,
        "docs": len(rows),
        "megabytes": round(megabytes, 2),
        "docs_per_s": round(len(rows) / end_to_end, 1),
        "mb_per_s": round(megabytes / end_to_end, 3),
        "seconds": round(end_to_end, 2),
        "staged_seconds": round(seconds, 2),
        "stages": stages,
        **sizes,
        "actions": {r["action"]: r["count"] for r in decided_rows},
        "peak_rss_mb": _peak_rss_mb(),
    }


def _child_local(name: str) -> dict:
    from neardup.io import Fields, RecordReader
    from neardup.pipeline import CleanOptions, clean

    path, site = CORPORA[name]
    megabytes = sum(len(r["text"].encode("utf-8")) for r in _records(path)) / 1e6
    fields = Fields(site=site) if site else Fields()
    count = sum(1 for _ in RecordReader([str(path)], fields=fields))
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        summary = clean(RecordReader([str(path)], fields=fields), Path(out) / "clean", CleanOptions(num_threads=1))
        seconds = time.perf_counter() - started
    return {
        "benchmark": f"spark clean ({name})",
        "implementation": "neardup clean (local job, 1 thread)",
        "cores": 1,
        "docs": count,
        "megabytes": round(megabytes, 2),
        "docs_per_s": round(count / seconds, 1),
        "mb_per_s": round(megabytes / seconds, 3),
        "seconds": round(seconds, 2),
        "actions": {k: summary[k] for k in ("kept", "changed", "dropped")},
        "peak_rss_mb": _peak_rss_mb(),
    }


def _in_child(*args: str) -> dict:
    env = dict(os.environ, NEARDUP_BACKEND=os.environ.get("NEARDUP_BACKEND", "rust"))
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool) -> list[dict]:
    """The rows of every configuration (see the module docstring)."""
    names = ["bbc-news-2225"] if quick else list(CORPORA)
    rows = []
    for name in names:
        if not CORPORA[name][0].is_file():
            print(f"skipping {name}: {CORPORA[name][0]} is absent", file=sys.stderr)
            continue
        rows.append(_in_child("local", name))
        for cores in (1, 2):
            rows.append(_in_child("spark", name, str(cores)))
        one, two = rows[-2], rows[-1]
        two["speedup_vs_1_core"] = round(one["seconds"] / two["seconds"], 2)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="BBC news only")
    parser.add_argument("--json", help="also write the rows here")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, name, *rest = args.child
        row = _child_spark(name, int(rest[0])) if kind == "spark" else _child_local(name)
        print(json.dumps(row))
        return 0
    rows = run(args.quick)
    for row in rows:
        print(
            f"{row['benchmark']:<32} {row['implementation']:<38} {row['docs_per_s']:>9.1f} docs/s "
            f"{row['mb_per_s']:>7.3f} MB/s {row['peak_rss_mb']:>8.1f} MB  {row['seconds']:>7.2f} s"
        )
        if "stages" in row:
            print("    stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in row["stages"].items()))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
