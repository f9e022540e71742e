"""The `neardup clean` job end to end on the shared data: MB/s, peak RSS and quality.

    python benches/clean_bench.py [--quick]

Each corpus runs in a child process of its own (multiprocessing "forkserver", so that the
child's ru_maxrss is its own peak) through ``neardup.pipeline.clean`` with the command line's
defaults, writing into a temporary folder. Quality, computed from ``decisions.jsonl`` after
the timing: pairwise F1 of the clusters against the labels on the syndication set (a dropped
document joins its ``duplicate_of``), recall of the planted copies on the 22k corpus.
"""

from __future__ import annotations

import gzip
import itertools
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"

CORPORA = [
    ("syndication", "dups-syndication-cleanportaleval.jsonl.gz", None),
    ("python-docs", "chrome-python3.11-doc.jsonl.gz", None),
    ("postgres-docs", "chrome-postgresql-doc-15.jsonl.gz", None),
    ("bench-22k", "bench-corpus-22k.jsonl.gz", 3000),  # the limit applies with --quick
]


def _pairs(labels: dict[str, str]) -> set[tuple[str, str]]:
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for doc, label in labels.items():
        groups[label].append(doc)
    return {tuple(sorted(p)) for members in groups.values() for p in itertools.combinations(members, 2)}


def _quality(name: str, rows: list[dict[str, Any]], decisions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    root = {i: d["duplicate_of"] or i for i, d in decisions.items()}
    if name == "syndication":
        gold = _pairs({str(r["id"]): str(r["cluster"]) for r in rows})
        found = _pairs({str(r["id"]): root[str(r["id"])] for r in rows})
        hit = len(gold & found)
        precision = hit / len(found) if found else 0.0
        recall = hit / len(gold) if gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if hit else 0.0
        return {"pair_precision": round(precision, 4), "pair_recall": round(recall, 4), "pair_f1": round(f1, 4)}
    if name == "bench-22k":
        planted = [(str(r["id"]), str(r["dup_of"])) for r in rows if r.get("dup_of") is not None and str(r["dup_of"]) in root]
        found = sum(1 for copy, source in planted if root[copy] == root[source])
        return {"planted_recall": round(found / len(planted), 4) if planted else None, "planted": len(planted)}
    return {}


def _child(name: str, path: str, limit: int | None, conn) -> None:
    try:
        from neardup.io import RecordReader
        from neardup.pipeline import clean

        with gzip.open(path, "rt", encoding="utf-8") as handle:
            lines = [line for _, line in zip(range(limit) if limit else itertools.count(), handle)]
        rows = [json.loads(line) for line in lines]
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "input.jsonl"
            source.write_text("".join(lines), encoding="utf-8")
            started = time.perf_counter()
            summary = clean(RecordReader([str(source)]), Path(tmp) / "out")
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000
            decisions = {}
            with open(Path(tmp) / "out" / "decisions.jsonl", encoding="utf-8") as handle:
                for line in handle:
                    row = json.loads(line)
                    decisions[row["id"]] = row
        nbytes = sum(len(str(r.get("text", "")).encode("utf-8")) for r in rows)
        import neardup

        conn.send(
            {
                "benchmark": f"clean/{name}",
                "implementation": f"neardup clean ({neardup.backend()})",
                "docs": len(rows),
                "mb": round(nbytes / 1e6, 3),
                "seconds": round(seconds, 3),
                "docs_per_s": round(len(rows) / seconds, 1),
                "mb_per_s": round(nbytes / 1e6 / seconds, 2),
                "peak_rss_mb": round(peak, 1),
                "dropped": summary["dropped"],
                "changed": summary["changed"],
                "subset": bool(limit),
                **_quality(name, rows, decisions),
            }
        )
    except BaseException as error:  # reported as a row, the parent goes on
        conn.send({"benchmark": f"clean/{name}", "implementation": "neardup clean", "error": repr(error)})


def run(quick: bool) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
    rows = []
    for name, filename, limit in CORPORA:
        path = DATA / filename
        if not path.exists():
            rows.append({"benchmark": f"clean/{name}", "implementation": "neardup clean", "error": f"missing {path}"})
            continue
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(name, str(path), limit if quick else None, send))
        child.start()
        rows.append(receive.recv())
        child.join()
    return rows


def main() -> int:
    rows = run("--quick" in sys.argv)
    for row in rows:
        print(json.dumps(row))
    return 1 if any("error" in row for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
