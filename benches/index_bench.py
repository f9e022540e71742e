#!/usr/bin/env python3
"""Benchmark of the persistent index (neardup.Index): add throughput, query latency p50/p99,
bytes on disk per document, peak RSS, at up to 1,000,000 indexed documents.

    python benches/index_bench.py --quick            # 20,000 documents
    python benches/index_bench.py                    # 1,000,000 documents (a few minutes)
    python benches/index_bench.py --docs 200000 --json /tmp/index.json

``run(quick) -> list[dict]`` returns the rows (``benchmark``, ``implementation``,
``docs_per_s``, ``mb_per_s``, ``peak_rss_mb``, ...), as benches/run.py's do.

How the documents are made: hashing a million real texts would take most of the time on a
2-core machine and measure MinHash, not the index. So a pool of real texts (the first
``pool`` documents of ../shared/data/bench-corpus-22k.jsonl.gz, or generated word salad when
that file is absent) is signed for real with the index's parameters, and the index is filled
with those signatures plus synthetic ones: 90% are new random signatures (unrelated
articles, with the distinct-shingle count of a random pool document), 10% are variants of a
pool document with each MinHash value replaced by a random one with probability
U(0, 0.4) (an edited copy, Jaccard about 0.6-1). Every signature goes through the same
``Index.add_signatures`` transaction path as ``Index.add`` after hashing. Query latency is
measured on real pool texts (shingling and MinHash included) and on signatures alone.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "bench-corpus-22k.jsonl.gz"
BATCH = 10_000
MB = 1e6


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB  # ru_maxrss: KiB on Linux


def _rss_mb() -> float:
    """Current resident set (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB
    except OSError:
        return 0.0


def _pool_texts(count: int) -> tuple[list[str], str]:
    if DATA.is_file():
        texts = []
        with gzip.open(DATA, "rt", encoding="utf-8") as lines:
            for line in lines:
                texts.append(json.loads(line)["text"])
                if len(texts) == count:
                    break
        return texts, DATA.name
    rng = random.Random(0)
    words = [f"w{i}" for i in range(20_000)]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(100, 1500))) for _ in range(count)], "generated word salad"


def _synthetic(rng: np.random.Generator, pool_sigs: np.ndarray, pool_sizes: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` signatures: 90% random (unrelated), 10% edited variants of pool documents."""
    sigs = rng.integers(0, 2**63, size=(count, pool_sigs.shape[1]), dtype=np.uint64)
    sizes = pool_sizes[rng.integers(0, len(pool_sizes), count)]
    variants = np.flatnonzero(rng.random(count) < 0.10)
    base = rng.integers(0, len(pool_sigs), len(variants))
    keep = rng.random((len(variants), pool_sigs.shape[1])) >= rng.uniform(0.0, 0.4, (len(variants), 1))
    sigs[variants] = np.where(keep, pool_sigs[base], sigs[variants])
    sizes[variants] = pool_sizes[base]
    return sigs, sizes


def _query_child(path: str, texts: list[str], sigs: np.ndarray, sizes: np.ndarray, queue: Any) -> None:
    """Query latencies in a fresh process, so that its peak RSS is the query's alone."""
    from neardup.index import Index

    rss_open = _peak_rss_mb()
    index = Index(path, readonly=True)
    out: dict[str, Any] = {}
    for name, call in (
        ("text", lambda i: index.query([texts[i]])),
        ("signature", lambda i: index.query_signatures(sigs[i : i + 1], sizes[i : i + 1])),
    ):
        call(0)  # warm-up
        times, hits, candidates = [], 0, 0
        for i in range(len(texts)):
            start = time.perf_counter()
            result = call(i)
            times.append(time.perf_counter() - start)
            hits += bool(result[0])
            candidates += len(result[0])
        out[name] = {"times": times, "hits": hits, "candidates": candidates, "peak_rss_mb": _peak_rss_mb(), "rss_mb": _rss_mb()}
    start = time.perf_counter()
    index.query(texts)
    out["batch_s"] = time.perf_counter() - start
    out["peak_rss_mb"] = _peak_rss_mb()
    out["rss_before_open_mb"] = rss_open
    index.close()
    queue.put(out)


def run(quick: bool, docs: int | None = None, workdir: str | None = None) -> list[dict[str, Any]]:
    import neardup
    from neardup.index import Index

    total = docs or (20_000 if quick else 1_000_000)
    pool_count = 2_000 if quick else 10_000
    queries = 200 if quick else 1_000
    # The query child comes from a fork server started now, while this process is small:
    # Linux keeps ru_maxrss across fork and exec, so a child forked later would report ours.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["neardup.index"])
    from multiprocessing import forkserver

    forkserver.ensure_running()
    load = os.getloadavg()[0]
    rng = np.random.default_rng(42)
    texts, source = _pool_texts(pool_count)
    text_mb = sum(len(t.encode("utf-8")) for t in texts) / MB
    tmp = Path(tempfile.mkdtemp(prefix="neardup-index-bench-", dir=workdir))
    path = tmp / "index.db"
    rows: list[dict[str, Any]] = []
    common = {"backend": neardup.backend(), "load_avg_1m_before": round(load, 2), "source": source, "indexed_docs": total}
    try:
        index = Index(path)
        common["params"] = f"bands={index.bands} rows={index.rows} num_perm={index.num_perm}"
        # 1. the pool of real texts through the whole path (shingles, MinHash, band keys, SQL)
        start = time.perf_counter()
        for s in range(0, len(texts), 2_000):
            index.add(texts[s : s + 2_000], [f"p{s + i}" for i in range(len(texts[s : s + 2_000]))])
        took = time.perf_counter() - start
        rows.append(
            {
                "benchmark": "index-add-texts",
                "implementation": f"neardup Index.add ({neardup.backend()})",
                "docs_per_s": round(len(texts) / took, 1),
                "mb_per_s": round(text_mb / took, 2),
                "peak_rss_mb": round(_peak_rss_mb(), 1),
                "docs": len(texts),
                "mb": round(text_mb, 2),
                **common,
            }
        )
        pool_sigs = neardup.minhash(texts, num_perm=index.num_perm, seed=index.seed, scheme=index.scheme, n=index.n, kind=index.kind).values
        pool_sizes = np.array([len(np.unique(neardup.shingles(t, n=index.n, kind=index.kind))) for t in texts], dtype=np.int64)

        # 2. fill to `total` documents with synthetic signatures, in transactions of BATCH
        added, batch_times = len(texts), []
        start = time.perf_counter()
        while added < total:
            count = min(BATCH, total - added)
            sigs, sizes = _synthetic(rng, pool_sigs, pool_sizes, count)
            t0 = time.perf_counter()
            index.add_signatures([f"s{added + i}" for i in range(count)], sigs, sizes)
            batch_times.append((count, time.perf_counter() - t0))
            added += count
            if not quick and len(batch_times) % 10 == 0:
                print(f"  {added:,} documents indexed, {time.perf_counter() - start:.0f} s", file=sys.stderr)
        fill_s = sum(t for _, t in batch_times)
        tail = batch_times[-max(1, len(batch_times) // 10) :]
        index._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        disk = index.stats()["bytes_on_disk"]
        rows.append(
            {
                "benchmark": "index-add-signatures",
                "implementation": "neardup Index.add_signatures",
                "docs_per_s": round((total - len(texts)) / fill_s, 1) if fill_s else None,
                "docs_per_s_last_10pct": round(sum(c for c, _ in tail) / sum(t for _, t in tail), 1),
                "mb_per_s": None,
                "peak_rss_mb": round(_peak_rss_mb(), 1),
                "docs": total - len(texts),
                "batch": BATCH,
                "bytes_on_disk": disk,
                "bytes_per_doc": round(disk / total, 1),
                **common,
            }
        )

        # 3. add_and_dedup of real texts against the full index (what `clean --index` does)
        probe = texts[:1_000] if not quick else texts[:500]
        variants = [t.replace(" the ", " a ", 3) for t in probe]
        start = time.perf_counter()
        decisions = index.add_and_dedup(variants, [f"v{i}" for i in range(len(variants))])
        took = time.perf_counter() - start
        seen = sum(d.seen_before for d in decisions)
        rows.append(
            {
                "benchmark": "index-add-and-dedup",
                "implementation": "neardup Index.add_and_dedup",
                "docs_per_s": round(len(variants) / took, 1),
                "mb_per_s": round(sum(len(t.encode()) for t in variants) / MB / took, 2),
                "peak_rss_mb": round(_peak_rss_mb(), 1),
                "docs": len(variants),
                "seen_before": seen,
                **common,
            }
        )
        index.close()

        # 4. query latency, in a fresh process
        queue = ctx.Queue()
        q_texts = texts[:queries]
        child = ctx.Process(target=_query_child, args=(str(path), q_texts, pool_sigs[:queries], pool_sizes[:queries], queue))
        child.start()
        result = queue.get()
        child.join()
        for name in ("text", "signature"):
            times = np.array(result[name]["times"]) * 1000
            rows.append(
                {
                    "benchmark": f"index-query-{name}",
                    "implementation": f"neardup Index.query{'' if name == 'text' else '_signatures'} (one document per call)",
                    "docs_per_s": round(len(times) / (times.sum() / 1000), 1),
                    "mb_per_s": round(sum(len(t.encode()) for t in q_texts) / MB / (times.sum() / 1000), 2) if name == "text" else None,
                    "peak_rss_mb": round(result[name]["peak_rss_mb"], 1),
                    "rss_after_imports_mb": round(result["rss_before_open_mb"], 1),
                    "p50_ms": round(float(np.percentile(times, 50)), 2),
                    "p99_ms": round(float(np.percentile(times, 99)), 2),
                    "found_itself": f"{result[name]['hits']}/{len(times)}",
                    "candidates_per_query": round(result[name]["candidates"] / len(times), 1),
                    "docs": len(times),
                    **common,
                }
            )
        rows.append(
            {
                "benchmark": "index-query-batch",
                "implementation": "neardup Index.query (all documents in one call)",
                "docs_per_s": round(len(q_texts) / result["batch_s"], 1),
                "mb_per_s": round(sum(len(t.encode()) for t in q_texts) / MB / result["batch_s"], 2),
                "peak_rss_mb": round(result["peak_rss_mb"], 1),
                "docs": len(q_texts),
                **common,
            }
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 documents")
    parser.add_argument("--docs", type=int, help="indexed documents (default: 1,000,000; 20,000 with --quick)")
    parser.add_argument("--dir", help="where to put the temporary index (default: the system's temp dir)")
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args()
    rows = run(args.quick, args.docs, args.dir)
    for row in rows:
        shown = {k: v for k, v in row.items() if k not in ("source", "params", "backend")}
        print(json.dumps(shown))
    print(f"backend {rows[0]['backend']}; {rows[0]['params']}; pool: {rows[0]['source']}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
