#!/usr/bin/env python3
"""neardup benchmark harness.

    python benches/run.py                   # every benchmark, printed as a table
    python benches/run.py --quick           # fewer repeats and smaller subsets (CI smoke run)
    python benches/run.py --only shingle-hash --json /tmp/bench.json

Every measurement runs in a child process of its own, so its ``peak_rss_mb`` (ru_maxrss read
in the child) is that measurement's own peak: data loading plus the work. Throughput is the
best of a few timed repeats (time.perf_counter) after one untimed warm-up.

Adding a benchmark: write a ``prepare`` function (top level of this file, so a child process
can find it) that loads its input and returns a :class:`Workload`, then register a function
that lists the measurements::

    @benchmark("minhash", requires=["bench-corpus-22k.jsonl.gz"])
    def minhash(ctx):
        path = str(ctx.data / "bench-corpus-22k.jsonl.gz")
        return [Case("neardup (rust)", prepare_minhash, {"path": path, "impl": "rust"})]

A module that times itself (``run(quick) -> rows``, like benches/chrome_quality.py) is
registered with a ``Rows`` case instead: it runs in one child and its rows are kept as they are.

Optional peers (datasketch, rensa, rapidfuzz, ...) are skipped with a note when missing: return
``Skip("datasketch", "not installed")`` in place of a Case. A ``summary`` hook may add ratio
fields to the rows and return summary lines.

Only the standard library is imported here at the top; numpy, neardup and peers are imported
inside the children (and lazily in the parent), so the parent stays small.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import importlib.util
import json
import multiprocessing
import os
import platform
import resource
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
#: The evaluation data shared between projects (``../shared/data`` from the repository root).
DATA = REPO.parent / "shared" / "data"

MB = 1e6  # throughput and sizes are in decimal megabytes of UTF-8 text


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


@dataclass
class Workload:
    """What a child process times: ``run()`` once per repeat over ``docs`` documents of
    ``nbytes`` UTF-8 bytes. ``run`` may return a dict of fields to add to the row (a checksum,
    a quality score); the last repeat's is kept. ``extra`` is added to the row as is.
    ``finish``, if given, runs once after the timed repeats and after peak RSS is read, and
    returns more fields (quality scores whose computation is not part of the work timed)."""

    run: Callable[[], dict[str, Any] | None]
    docs: int
    nbytes: int
    extra: dict[str, Any] = field(default_factory=dict)
    finish: Callable[[], dict[str, Any]] | None = None


@dataclass
class Case:
    """One measurement: ``prepare(**kwargs)`` runs in a fresh child and returns a Workload."""

    implementation: str
    prepare: Callable[..., Workload]
    kwargs: dict[str, Any] = field(default_factory=dict)
    repeats: int | None = None  # timed repeats; None: the context's default
    extra: dict[str, Any] = field(default_factory=dict)  # fields known before running


@dataclass
class Skip:
    """A measurement that cannot run here (a peer not installed, ...), printed as a note."""

    implementation: str
    reason: str


@dataclass
class Rows:
    """A benchmark module that times itself: ``produce(**kwargs)`` runs in a fresh child and
    returns finished rows (each with at least ``implementation``; ``docs_per_s``, ``mb_per_s``
    and ``peak_rss_mb`` where it measured them). Rows keep their own ``benchmark`` field."""

    implementation: str
    produce: Callable[..., list[dict[str, Any]]]
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    quick: bool
    repeats: int  # default number of timed repeats (after one warm-up)
    data: Path
    # NEARDUP_SIMD paths whose rows a benchmark adds beside the default (widest) path's
    # (--simd; the minhash benchmark uses them): each is forced in the row's child process.
    simd_paths: list[str] = field(default_factory=list)


@dataclass
class Benchmark:
    name: str
    cases: Callable[[Context], Sequence[Case | Rows | Skip]]
    requires: list[str]  # data file names, looked up in Context.data
    summary: Callable[[list[dict[str, Any]]], list[str]] | None = None
    doc: str = ""


BENCHMARKS: dict[str, Benchmark] = {}


def benchmark(name: str, *, requires: Sequence[str] = (), summary=None):
    """Register ``fn(ctx) -> [Case | Skip, ...]`` as benchmark ``name``. ``requires`` lists
    data files (names in the data directory); when one is missing the benchmark is skipped
    with a message naming it."""

    def register(fn):
        if name in BENCHMARKS:
            raise ValueError(f"benchmark {name!r} registered twice")
        BENCHMARKS[name] = Benchmark(name, fn, list(requires), summary, (fn.__doc__ or "").strip())
        return fn

    return register


# --------------------------------------------------------------------------------------------
# Running one measurement in a child
# --------------------------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MB if sys.platform == "darwin" else peak * 1024 / MB  # bytes on macOS, else KiB


def _child(case: Case, repeats: int, conn) -> None:
    try:
        workload = case.prepare(**case.kwargs)
        workload.run()  # warm-up: imports, caches, thread pools
        times, cpu_times = [], []
        fields: dict[str, Any] = {}
        for _ in range(repeats):
            start, cpu_start = time.perf_counter(), time.process_time()
            result = workload.run()
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
            fields = result or {}
        best = min(times)
        # CPU time of the whole process (every thread): on a shared machine the fairer measure
        # of single-threaded work; wall-clock time is what multi-threaded speed-ups need.
        cpu_best = min(cpu_times)
        row = {
            "docs_per_s": workload.docs / best,
            "mb_per_s": workload.nbytes / MB / best,
            "mb_per_s_cpu": workload.nbytes / MB / cpu_best if cpu_best > 0 else None,
            "peak_rss_mb": _peak_rss_mb(),
            "docs": workload.docs,
            "mb": workload.nbytes / MB,
            "best_s": best,
            "times_s": times,
            "cpu_best_s": cpu_best,
            "cpu_times_s": cpu_times,
            "repeats": repeats,
            **workload.extra,
            **fields,
        }
        if workload.finish is not None:
            row.update(workload.finish())
        conn.send(("ok", row))
    except BaseException:  # reported to the parent, which prints it and fails the run
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def _mp_context():
    # forkserver: children fork from a small server process, so ru_maxrss starts from scratch.
    # ("spawn" would not do: Linux carries the parent's peak RSS across fork+exec into ru_maxrss.)
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def busy_cores(interval: float = 0.25) -> float | None:
    """How many cores other processes kept busy over ``interval`` seconds (Linux /proc/stat),
    sampled before each measurement: a shared machine's load skews timings, multi-core most."""

    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return sum(values[:8]) - idle, sum(values[:8])

    try:
        busy0, total0 = sample()
        time.sleep(interval)
        busy1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    if total1 <= total0:
        return None
    return core_count() * (busy1 - busy0) / (total1 - total0)


def _rows_child(case: Rows, conn) -> None:
    try:
        conn.send(("ok", case.produce(**case.kwargs)))
    except BaseException:  # reported to the parent, which prints it and fails the run
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def _in_child(target, args: tuple, name: str) -> tuple[str, Any]:
    mp = _mp_context()
    receive, send = mp.Pipe(duplex=False)
    process = mp.Process(target=target, args=(*args, send), name=name)
    process.start()
    send.close()
    try:
        status, payload = receive.recv()
    except EOFError:
        process.join()
        status, payload = "error", f"child exited without a result (exit code {process.exitcode})"
    process.join()
    return status, payload


def measure_rows(bench: str, case: Rows) -> list[dict[str, Any]]:
    """Run a self-timing benchmark module in a child; its rows, completed for the table."""
    busy = busy_cores()
    status, payload = _in_child(_rows_child, (case,), f"bench {bench} {case.implementation}")
    if status != "ok":
        return [{"benchmark": bench, "implementation": case.implementation, "docs_per_s": None, "mb_per_s": None,
                 "peak_rss_mb": None, "error": payload.strip()}]
    rows = []
    for payload_row in payload:
        row = {"benchmark": bench, "docs_per_s": None, "mb_per_s": None, "peak_rss_mb": None, **payload_row}
        row["suite"] = bench  # the name --only knows; `benchmark` may be the module's finer one
        if busy is not None:
            row["busy_cores_before"] = round(busy, 2)
        rows.append(row)
    return rows


def measure(bench: str, case: Case, ctx: Context) -> dict[str, Any]:
    repeats = case.repeats if case.repeats is not None else ctx.repeats
    busy = busy_cores()
    status, payload = _in_child(_child, (case, repeats), f"bench {bench} {case.implementation}")
    row = {"benchmark": bench, "implementation": case.implementation}
    if busy is not None:
        row["busy_cores_before"] = round(busy, 2)
    if status == "ok":
        row.update(case.extra)
        row.update(payload)
    else:
        row.update({"docs_per_s": None, "mb_per_s": None, "peak_rss_mb": None, "error": payload.strip()})
    return row


# --------------------------------------------------------------------------------------------
# Shared helpers for benchmarks
# --------------------------------------------------------------------------------------------


def read_jsonl(path: Path, field_name: str = "text") -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line)[field_name] for line in f if line.strip()]


def utf8_size(texts: Sequence[str]) -> int:
    return sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)


def prefix_by_bytes(texts: Sequence[str], budget: int) -> list[str]:
    """The first documents whose UTF-8 size adds up to at most ``budget`` (at least one)."""
    total, count = 0, 0
    for text in texts:
        size = len(text.encode("utf-8", "surrogatepass"))
        if count and total + size > budget:
            break
        total += size
        count += 1
    return list(texts[:count])


def core_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


#: The CPU flags that decide which SIMD code runs (neardup's paths, the peers' kernels).
SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "bmi2", "avx512f", "avx512dq", "avx512vl", "avx512bw",
              "avx512vbmi", "avx512_vbmi2", "avx512ifma")


def cpu_description() -> dict[str, Any]:
    """The CPU every figure of a run comes from: model (with family/model/stepping, which name
    the microarchitecture when a hypervisor hides the model name) and its SIMD flags."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor is enough
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    model = fields.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in fields:
        model += f" (family {fields['cpu family']}, model {fields.get('model')}, stepping {fields.get('stepping')})"
    flags = set(fields.get("flags", "").split())
    return {"cpu": model, "cpu_flags": [flag for flag in SIMD_FLAGS if flag in flags]}


def simd_paths() -> list[str]:
    """The NEARDUP_SIMD paths this CPU can run, narrowest first (empty without the core)."""
    try:
        from neardup import _core
    except ImportError:
        return []
    return list(_core._simd_paths())


def rust_build() -> str:
    """``release``, ``debug`` (the quick test build), ``unknown`` or ``missing``."""
    try:
        from neardup import _core
    except ImportError:
        return "missing"
    flag = getattr(_core, "DEBUG_BUILD", None)
    return "unknown" if flag is None else ("debug" if flag else "release")


# --------------------------------------------------------------------------------------------
# Benchmark: shingle-hash
# --------------------------------------------------------------------------------------------

CHROME_PY = "chrome-python3.11-doc.jsonl.gz"
SHINGLE_N = 5


def _digest(hashes, offsets, docs: int) -> str:
    """A digest of the shingles of the first ``docs`` documents, to check that
    implementations which must agree bit for bit do."""
    import hashlib

    import numpy as np

    end = int(offsets[docs])
    body = np.ascontiguousarray(hashes[:end], dtype="<u8").tobytes()
    bounds = np.ascontiguousarray(offsets[: docs + 1], dtype="<i8").tobytes()
    return hashlib.blake2b(body + bounds, digest_size=8).hexdigest()


def prepare_shingle_hash(path: str, impl: str, num_threads: int | None = None,
                         subset_bytes: int | None = None, check_bytes: int | None = None) -> Workload:
    import numpy as np

    texts = read_jsonl(Path(path))
    total_docs = len(texts)
    # The check digest covers the documents of the reference's subset, so rows can be compared.
    check_docs = len(prefix_by_bytes(texts, check_bytes)) if check_bytes is not None else 0
    if subset_bytes is not None:
        texts = prefix_by_bytes(texts, subset_bytes)
    extra: dict[str, Any] = {"ngram": SHINGLE_N, "kind": "word"}
    if len(texts) < total_docs:
        extra["subset"] = f"first {len(texts)} of {total_docs} docs"

    if impl == "rust":
        from neardup import Shingles, _core

        extra["rust_build"] = rust_build()

        def shingle():  # what neardup.shingles_batch does with the Rust backend
            hashes, offsets = _core.shingles_batch(texts, SHINGLE_N, "word", 0, num_threads)
            return Shingles(np.asarray(hashes, dtype=np.uint64), np.asarray(offsets, dtype=np.int64))

    elif impl == "reference":
        from neardup import Shingles, _reference

        def shingle():  # what neardup.shingles_batch does with the Python backend
            hashes, offsets = _reference.shingles_batch(texts, SHINGLE_N, "word", 0, None)
            return Shingles(np.asarray(hashes, dtype=np.uint64), np.asarray(offsets, dtype=np.int64))

    elif impl == "peer-xxhash":
        import xxhash

        xxh3 = xxhash.xxh3_64_intdigest

        def shingle():
            flat: list[int] = []
            offsets = [0]
            for text in texts:
                words = text.lower().split()
                if len(words) >= SHINGLE_N:
                    grams = [" ".join(words[i : i + SHINGLE_N]) for i in range(len(words) - SHINGLE_N + 1)]
                else:
                    grams = [" ".join(words)] if words else []
                flat.extend([xxh3(gram.encode()) for gram in grams])
                offsets.append(len(flat))
            return np.array(flat, dtype=np.uint64), np.array(offsets, dtype=np.int64)

    else:
        raise ValueError(f"unknown implementation {impl!r}")

    def run():
        hashes, offsets = shingle()
        fields = {"shingles": int(len(hashes))}
        if check_docs:
            fields["check_digest"] = _digest(hashes, offsets, check_docs)
        return fields

    return Workload(run, len(texts), utf8_size(texts), extra)


def _reference_budget(ctx: Context) -> int:
    """UTF-8 bytes of the reference's subset: a few seconds per repeat, well under one in --quick."""
    return int((0.2 if ctx.quick else 2.0) * MB)


def _shingle_summary(rows: list[dict[str, Any]]) -> list[str]:
    by_impl = {r["implementation"]: r for r in rows if r.get("mb_per_s")}
    ref = by_impl.get("reference (pure Python)")
    one = by_impl.get("rust 1 thread")
    many = next((r for name, r in by_impl.items() if name.startswith("rust all cores")), None)
    lines = []
    for row in by_impl.values():
        if ref is not None and row is not ref:
            row["speedup_vs_reference"] = row["mb_per_s"] / ref["mb_per_s"]
    if one is not None and many is not None:
        many["speedup_vs_1_thread"] = many["mb_per_s"] / one["mb_per_s"]
    if ref is not None and one is not None:
        ratio = one["speedup_vs_reference"]
        lines.append(f"rust 1 thread vs reference: {ratio:.1f}x per MB (target >= 50x)"
                     + ("" if ratio >= 50 else "  ** BELOW TARGET **"))
    if many is not None and one is not None:
        ratio = many["speedup_vs_1_thread"]
        lines.append(f"rust on {many.get('threads')} cores vs 1 thread: {ratio:.2f}x (target >= 1.7x on 2 cores)"
                     + ("" if ratio >= 1.7 else "  ** BELOW TARGET **"))
    if ref is not None:
        digest = ref.get("check_digest")
        for name in ("rust 1 thread", many and many["implementation"]):
            row = by_impl.get(name) if name else None
            if row is None or digest is None:
                continue
            same = row.get("check_digest") == digest
            row["matches_reference"] = same
            if not same:
                lines.append(f"{name}: shingles of the first {ref['docs']} docs DIFFER from the reference")
    return lines


@benchmark("shingle-hash", requires=[CHROME_PY], summary=_shingle_summary)
def shingle_hash(ctx: Context) -> list[Case | Skip]:
    """Word 5-gram shingling + XXH3-64 hashing, raw str to uint64 arrays, on the text of the
    528 pages of the Python 3.11 documentation."""
    path = str(ctx.data / CHROME_PY)
    subset_bytes = _reference_budget(ctx)
    cores = core_count()
    cases: list[Case | Skip] = []
    if rust_build() == "missing":
        cases.append(Skip("rust", "neardup._core is not built (make dev, or make bench for release)"))
    else:
        cases += [
            Case("rust 1 thread", prepare_shingle_hash,
                 {"path": path, "impl": "rust", "num_threads": 1, "check_bytes": subset_bytes}, extra={"threads": 1}),
            Case(f"rust all cores ({cores})", prepare_shingle_hash,
                 {"path": path, "impl": "rust", "num_threads": None, "check_bytes": subset_bytes},
                 extra={"threads": cores, "rayon_num_threads_env": os.environ.get("RAYON_NUM_THREADS")}),
        ]
    cases.append(Case("reference (pure Python)", prepare_shingle_hash,
                      {"path": path, "impl": "reference", "subset_bytes": subset_bytes, "check_bytes": subset_bytes},
                      repeats=1 if ctx.quick else 2, extra={"threads": 1}))
    if importlib.util.find_spec("xxhash") is None:
        cases.append(Skip("peer: str.split + xxhash", "the xxhash package is not installed (pip install xxhash)"))
    else:
        cases.append(Case("peer: str.split + xxhash", prepare_shingle_hash, {"path": path, "impl": "peer-xxhash"},
                          repeats=1 if ctx.quick else 3,
                          extra={"threads": 1, "note": "peer for context, not the reference: "
                                                       "lower().split() tokens, xxh3_64 per joined 5-gram"}))
    return cases


# --------------------------------------------------------------------------------------------
# Benchmark: minhash (signatures + LSH candidate pairs, raw text to pairs, against the peers)
# --------------------------------------------------------------------------------------------

BENCH_CORPUS = "bench-corpus-22k.jsonl.gz"
BENCH_PLANTED = "bench-corpus-22k-planted.json"
NUM_PERM = 128
# One banding for every implementation so that recall compares like with like: rensa needs
# bands dividing num_perm, and 16 x 8 (S-curve midpoint (1/16)^(1/8) = 0.71) is the choice
# nearest the 0.8 threshold that it accepts with a recall margin (8 x 16 sits at 0.88).
LSH_BANDS, LSH_ROWS = 16, 8
TARGET_JACCARD = 0.8
# --quick: the first documents of the corpus plus the sources of the planted copies among them.
QUICK_DOCS = 1200


def load_bench_corpus(path: str, quick: bool) -> tuple[list[str], list[tuple[int, int, float]]]:
    """Texts, and the planted pairs ``(copy index, source index, word 5-gram Jaccard)`` among them."""
    corpus = Path(path)
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if quick:
        chosen = set(range(min(QUICK_DOCS, len(rows))))
        position = {row["id"]: i for i, row in enumerate(rows)}
        chosen |= {position[rows[i]["dup_of"]] for i in list(chosen) if rows[i].get("dup_of") is not None}
        rows = [rows[i] for i in sorted(chosen)]
    position = {row["id"]: i for i, row in enumerate(rows)}
    planted_path = corpus.with_name(BENCH_PLANTED)
    jaccard = {}
    if planted_path.exists():
        jaccard = {p["id"]: p["jaccard5"] for p in json.loads(planted_path.read_text())["planted"]}
    planted = [
        (i, position[row["dup_of"]], float(jaccard.get(row["id"], float("nan"))))
        for i, row in enumerate(rows)
        if row.get("dup_of") is not None and row["dup_of"] in position
    ]
    return [row["text"] for row in rows], planted


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _python_shingles(text: str) -> list[str]:
    """What a user of datasketch or rensa writes: lowercase, split on whitespace, join 5-grams."""
    words = text.lower().split()
    if len(words) < SHINGLE_N:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + SHINGLE_N]) for i in range(len(words) - SHINGLE_N + 1)]


def _pairs_from_buckets(results) -> set[tuple[int, int]]:
    pairs = set()
    for i, found in enumerate(results):
        for j in found:
            if j != i:
                pairs.add((min(i, j), max(i, j)))
    return pairs


def _rss_bytes() -> int:
    """The current resident set size (Linux /proc/self/statm); 0 where it cannot be read."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _quality(texts: list[str], planted: list[tuple[int, int, float]], found: Any) -> dict[str, Any]:
    """Recall of the planted copies among candidate pairs ``found``, and precision of the
    candidates against the exact word 5-gram Jaccard (neardup's shingles, the same yardstick
    for every row)."""
    import numpy as np

    import neardup

    found = {(int(i), int(j)) for i, j in (found.tolist() if hasattr(found, "tolist") else found)}
    hits = [(min(c, s), max(c, s)) in found for c, s, _ in planted]
    strong = [hit for hit, (_, _, j) in zip(hits, planted) if j >= TARGET_JACCARD]
    fields: dict[str, Any] = {
        "candidates": len(found),
        "planted_pairs": len(planted),
        "recall_planted": sum(hits) / len(hits) if hits else None,
        f"recall_planted_j{TARGET_JACCARD:g}": sum(strong) / len(strong) if strong else None,
    }
    if found:
        shingles = neardup.shingles_batch(texts, n=SHINGLE_N)
        jaccard = neardup.exact_jaccard(shingles, np.array(sorted(found), dtype=np.int64))
        fields[f"precision_j{TARGET_JACCARD:g}"] = float((jaccard >= TARGET_JACCARD).mean())
    return fields


#: What a row of the minhash benchmark times (``stage`` field of its rows).
MINHASH_STAGES = {
    "text-signatures": "raw text -> signatures",
    "text-pairs": "raw text -> LSH candidate pairs",
    "prehashed": "pre-hashed shingles -> signatures",
    "lsh": "LSH index: insert every signature, then query every signature",
}


def _rensa_lsh_pairs(minhashes) -> set[tuple[int, int]]:
    from rensa import RMinHashLSH

    lsh = RMinHashLSH(TARGET_JACCARD, NUM_PERM, LSH_BANDS)
    lsh.insert_many(minhashes, 0)
    return _pairs_from_buckets(lsh.query_all(minhashes))


def _datasketch_lsh_pairs(minhashes) -> set[tuple[int, int]]:
    from datasketch import MinHashLSH

    lsh = MinHashLSH(num_perm=NUM_PERM, params=(LSH_BANDS, LSH_ROWS))
    for i, m in enumerate(minhashes):
        lsh.insert(i, m)
    return _pairs_from_buckets(lsh.query(m) for m in minhashes)


def _gaoya_index():
    from gaoya.minhash import MinHashStringIndex

    # gaoya's own raw-text path: its Rust word analyzer, lowercased, word 5-grams only, 16
    # bands x 8 rows = 128 hashes of 32 bits (its default hash size).
    return MinHashStringIndex(hash_size=32, jaccard_threshold=TARGET_JACCARD, num_bands=LSH_BANDS,
                              band_size=LSH_ROWS, analyzer="word", lowercase=True,
                              ngram_range=(SHINGLE_N, SHINGLE_N))


def _gaoya_pairs(index, texts: list[str]) -> set[tuple[int, int]]:
    return _pairs_from_buckets(index.query(text) for text in texts)


def prepare_minhash(path: str, impl: str, stage: str = "text-pairs", quick: bool = False,
                    num_threads: int | None = None,
                    corpus: tuple[list[str], list[tuple[int, int, float]]] | None = None,
                    simd: str | None = None) -> Workload:
    """One row of the minhash benchmark: ``impl`` doing ``stage`` (MINHASH_STAGES). The timed
    ``work`` returns what ``to_pairs`` turns into candidate pairs after timing (recall and
    precision are measured on every row, outside the time). ``corpus``: the subset already
    loaded by the parent (--quick: loading the whole file in every child would cost more
    than the work). ``simd``: the NEARDUP_SIMD path forced in this child (set before neardup
    is imported: the core reads it once)."""
    if simd is not None:
        os.environ["NEARDUP_SIMD"] = simd
    import numpy as np

    texts, planted = corpus if corpus is not None else load_bench_corpus(path, quick)
    extra: dict[str, Any] = {"num_perm": NUM_PERM, "bands": LSH_BANDS, "rows": LSH_ROWS, "ngram": SHINGLE_N,
                             "stage": stage}
    if quick:
        extra["subset"] = f"{len(texts)} docs (first {QUICK_DOCS} + planted sources)"
    state: dict[str, Any] = {}
    params = (LSH_BANDS, LSH_ROWS)

    def identity(found):
        return found

    to_pairs: Callable[[Any], Any] = identity

    if impl.startswith("neardup-"):
        import neardup
        from neardup import _backend

        extra["rust_build"] = rust_build()
        extra["backend"] = neardup.backend()
        if extra["backend"] == "rust":
            extra["simd_path"] = _backend.IMPL._simd_path()
            extra["simd_forced"] = simd is not None
            if simd is not None and extra["simd_path"] != simd:
                raise RuntimeError(f"NEARDUP_SIMD={simd} but the core runs {extra['simd_path']}")
        scheme = impl.removeprefix("neardup-")

        def signature_pairs(signatures):
            return neardup.candidate_pairs(signatures, params=params, num_threads=num_threads)

        if scheme == "simhash":
            def work():
                fingerprints = neardup.simhash_batch(texts, num_threads=num_threads)
                return neardup.simhash_pairs(fingerprints, 3, num_threads=num_threads).pairs
        elif stage == "text-signatures":
            def work():
                return neardup.minhash(texts, num_perm=NUM_PERM, scheme=scheme, n=SHINGLE_N, num_threads=num_threads)
            to_pairs = signature_pairs
        elif stage == "text-pairs":
            def work():
                return signature_pairs(neardup.minhash(texts, num_perm=NUM_PERM, scheme=scheme, n=SHINGLE_N,
                                                       num_threads=num_threads))
        elif stage == "prehashed":
            shingles = neardup.shingles_batch(texts, n=SHINGLE_N)
            extra["shingles"] = int(len(shingles.hashes))

            def work():
                return neardup.minhash(shingles, num_perm=NUM_PERM, scheme=scheme, num_threads=num_threads)
            to_pairs = signature_pairs
        elif stage == "lsh":
            signatures = neardup.minhash(texts, num_perm=NUM_PERM, scheme=scheme, n=SHINGLE_N)
            keys = list(range(len(texts)))

            def work():
                index = neardup.MinHashLSH(TARGET_JACCARD, num_perm=NUM_PERM, params=params)
                before = _rss_bytes()
                index.insert_batch(keys, signatures, num_threads=num_threads)
                state.setdefault("index_bytes", _rss_bytes() - before)
                return _pairs_from_buckets(index.query_batch(signatures, num_threads=num_threads))
        else:
            raise ValueError(f"unknown stage {stage!r}")

    elif impl == "datasketch":
        from datasketch import MinHash

        extra["peer_version"] = _version("datasketch")

        def signatures():
            out = []
            for text in texts:
                m = MinHash(num_perm=NUM_PERM)
                m.update_batch([s.encode("utf-8") for s in _python_shingles(text)])
                out.append(m)
            return out

        if stage == "text-signatures":
            work, to_pairs = signatures, _datasketch_lsh_pairs
        elif stage == "text-pairs":
            def work():
                return _datasketch_lsh_pairs(signatures())
        else:
            raise ValueError(f"unknown stage {stage!r}")

    elif impl.startswith("rensa"):
        from rensa import RMinHash, RMinHashLSH

        extra["peer_version"] = _version("rensa")

        def minhashes(token_lists):
            out = []
            for tokens in token_lists:
                m = RMinHash(NUM_PERM, 42)
                m.update(tokens)
                out.append(m)
            return out

        if stage == "text-signatures":
            def work():
                return minhashes(_python_shingles(text) for text in texts)
            to_pairs = _rensa_lsh_pairs
        elif stage == "text-pairs":
            def work():
                return _rensa_lsh_pairs(minhashes(_python_shingles(text) for text in texts))
        elif stage == "prehashed" and impl == "rensa":
            token_lists = [_python_shingles(text) for text in texts]
            extra["shingles"] = sum(len(tokens) for tokens in token_lists)

            def work():
                return minhashes(token_lists)
            to_pairs = _rensa_lsh_pairs
        elif stage == "prehashed" and impl == "rensa-matrix":
            import neardup

            shingles = neardup.shingles_batch(texts, n=SHINGLE_N)
            hashes = np.ascontiguousarray(shingles.hashes, dtype=np.uint64)
            offsets = np.ascontiguousarray(shingles.offsets, dtype=np.uint64)
            extra["shingles"] = int(len(hashes))

            def work():
                return RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets, NUM_PERM, 42)

            def to_pairs(matrix):  # the same 16 x 8 banding, applied to rensa's digests
                return neardup.candidate_pairs(np.array(matrix.to_rows(), dtype=np.uint64), params=params)
        elif stage == "lsh":
            signatures = minhashes(_python_shingles(text) for text in texts)

            def work():
                lsh = RMinHashLSH(TARGET_JACCARD, NUM_PERM, LSH_BANDS)
                before = _rss_bytes()
                lsh.insert_many(signatures, 0)
                state.setdefault("index_bytes", _rss_bytes() - before)
                return _pairs_from_buckets(lsh.query_all(signatures))
        else:
            raise ValueError(f"unknown stage {stage!r}")

    elif impl == "gaoya":
        extra["peer_version"] = _version("gaoya")

        def build():
            index = _gaoya_index()
            for i, text in enumerate(texts):
                index.insert_document(i, text)
            return index

        if stage == "text-signatures":
            work = build

            def to_pairs(index):
                return _gaoya_pairs(index, texts)
        elif stage == "text-pairs":
            def work():
                return _gaoya_pairs(build(), texts)
        else:
            raise ValueError(f"unknown stage {stage!r}")

    else:
        raise ValueError(f"unknown implementation {impl!r}")

    def run():
        state["result"] = work()
        return None

    def finish() -> dict[str, Any]:
        fields = _quality(texts, planted, to_pairs(state.pop("result")))
        if "index_bytes" in state:
            fields["index_bytes_per_doc"] = state["index_bytes"] / len(texts)
        return fields

    return Workload(run, len(texts), utf8_size(texts), extra, finish=finish)


def _forced_path(row: dict[str, Any]) -> str | None:
    """The NEARDUP_SIMD path a row forced (``--simd``), None for the default path and peers."""
    return row.get("simd_path") if row.get("simd_forced") else None


def _minhash_summary(rows: list[dict[str, Any]]) -> list[str]:
    """The targets of issues #3 and #21 as ratios of CPU-time throughput (MB of raw text per
    CPU second) of rows measured in this run, and 2 cores against 1 in wall-clock time; with
    ``--simd``, the single-thread targets again for each forced SIMD path."""
    ok = [r for r in rows if r.get("mb_per_s")]

    def find(stage: str, prefix: str, forced: str | None = None) -> dict[str, Any] | None:
        return next((r for r in ok if r.get("stage") == stage and r["implementation"].startswith(prefix)
                     and _forced_path(r) == forced), None)

    def cpu(row: dict[str, Any]) -> float:
        return row.get("mb_per_s_cpu") or row["mb_per_s"]

    def verdict(ratio: float, target: float) -> str:
        return f"{ratio:.2f}x (target >= {target:g}x)" + ("" if ratio >= target else "  ** BELOW TARGET **")

    lines = []
    recall_key = f"recall_planted_j{TARGET_JACCARD:g}"
    for row in ok:
        recall, precision = row.get(recall_key), row.get(f"precision_j{TARGET_JACCARD:g}")
        line = (f"[{row.get('stage')}] {row['implementation']}: {cpu(row):.1f} MB/s CPU, {row['mb_per_s']:.1f} MB/s wall"
                f"; recall@{TARGET_JACCARD:g} " + (f"{recall:.3f}" if recall is not None else "-")
                + f", precision@{TARGET_JACCARD:g} " + (f"{precision:.3f}" if precision is not None else "-"))
        if row.get("index_bytes_per_doc") is not None:
            line += f", index {row['index_bytes_per_doc']:.0f} B/doc (RSS delta)"
        lines.append(line)
    # Raw text: classic >= 10x rensa and >= 5x gaoya (issues #3, #21); OPH >= 13x rensa (#21).
    raw_targets = {"classic": {"peer: rensa": 10, "peer: gaoya": 5}, "oph": {"peer: rensa": 13, "peer: gaoya": 5}}
    forced_paths = list(dict.fromkeys(path for row in ok if (path := _forced_path(row)) is not None))
    rensa_lists = find("prehashed", "peer: rensa RMinHash.update")
    rensa_matrix = find("prehashed", "peer: rensa digest_matrix")
    for forced in [None, *forced_paths]:
        for scheme in ("classic", "oph"):
            one = find("text-signatures", f"neardup {scheme} 1 thread", forced)
            if one is None:
                continue
            label = f"neardup {scheme} 1 thread (SIMD path {one.get('simd_path')}{', forced' if forced else ''})"
            for peer in ("peer: rensa", "peer: gaoya", "peer: datasketch"):
                other = find("text-signatures", peer)
                if other is not None:
                    ratio = cpu(one) / cpu(other)
                    target = raw_targets[scheme].get(peer)
                    lines.append(f"raw text -> signatures, {label} vs {other['implementation']}: "
                                 + (verdict(ratio, target) if target else f"{ratio:.1f}x"))
            many = find("text-signatures", f"neardup {scheme} all cores", forced)
            if many is not None:
                many["speedup_vs_1_thread"] = many["mb_per_s"] / one["mb_per_s"]
                lines.append(f"raw text -> signatures, neardup {scheme} on {many.get('threads')} cores vs 1 thread "
                             f"(wall clock): " + verdict(many["speedup_vs_1_thread"], 1.7))
        for scheme, target in (("classic", 1), ("oph", 3)):
            row = find("prehashed", f"neardup {scheme}", forced)
            for other in (rensa_lists, rensa_matrix):
                if row is not None and other is not None:
                    lines.append(f"pre-hashed shingles -> signatures, neardup {scheme} (SIMD path "
                                 f"{row.get('simd_path')}{', forced' if forced else ''}) vs {other['implementation']}: "
                                 + verdict(cpu(row) / cpu(other), target))
    index, rensa_index = find("lsh", "neardup"), find("lsh", "peer: rensa")
    if index is not None and rensa_index is not None:
        lines.append("LSH build + query, neardup vs rensa RMinHashLSH: " + verdict(cpu(index) / cpu(rensa_index), 1))
        mine, theirs = index.get("index_bytes_per_doc"), rensa_index.get("index_bytes_per_doc")
        if mine is not None and theirs:
            lines.append(f"LSH index memory per document (RSS delta of the insert): neardup {mine:.0f} B, "
                         f"rensa {theirs:.0f} B: " + ("within target" if mine <= theirs else "** ABOVE rensa **"))
    return lines


@benchmark("minhash", requires=[BENCH_CORPUS], summary=_minhash_summary)
def minhash(ctx: Context) -> list[Case | Skip]:
    """MinHash and LSH on the 22k-document corpus with planted near-duplicates (word 5-grams,
    num_perm=128, 16 bands x 8 rows everywhere), each row with recall and precision: raw text
    to signatures and to LSH candidate pairs (neardup classic/OPH on 1 thread and all cores;
    rensa and datasketch with Python tokenising, gaoya's own Rust tokenizer), pre-hashed
    shingles to signatures (neardup against rensa), LSH index build + query (neardup against
    rensa's RMinHashLSH, with index memory per document). With --simd, neardup's single-thread
    raw-text and pre-hashed rows again on each SIMD path the CPU can run, each forced
    (NEARDUP_SIMD) in its own child."""
    path = str(ctx.data / BENCH_CORPUS)
    cores = core_count()
    quick = ctx.quick
    shared: dict[str, Any] = {"path": path, "quick": quick}
    if quick:
        shared["corpus"] = load_bench_corpus(path, True)
    cases: list[Case | Skip] = []
    have_rust = rust_build() != "missing"

    def peer(module: str, name: str, impl: str, stage: str, note: str, repeats: int | None = None) -> Case | Skip:
        if importlib.util.find_spec(module) is None:
            return Skip(name, f"the {module} package is not installed (pip install {module})")
        return Case(name, prepare_minhash, {**shared, "impl": impl, "stage": stage},
                    repeats=repeats if repeats is not None else (1 if quick else 2), extra={"threads": 1, "note": note})

    def forced_simd(stage: str) -> list[Case | Skip]:
        """One thread of each scheme on each SIMD path ``--simd`` asked for, forced in the child."""
        return [Case(f"neardup {scheme} 1 thread, NEARDUP_SIMD={path}", prepare_minhash,
                     {**shared, "impl": f"neardup-{scheme}", "stage": stage, "num_threads": 1, "simd": path},
                     extra={"threads": 1})
                for path in ctx.simd_paths for scheme in ("classic", "oph")]

    python_tokens = "lower().split() 5-grams in Python"
    for stage in ("text-signatures", "text-pairs"):
        if not have_rust:
            cases.append(Skip("neardup", "neardup._core is not built (make dev, or make bench for release)"))
            break
        for scheme in ("classic", "oph"):
            cases.append(Case(f"neardup {scheme} 1 thread", prepare_minhash,
                              {**shared, "impl": f"neardup-{scheme}", "stage": stage, "num_threads": 1},
                              extra={"threads": 1}))
            cases.append(Case(f"neardup {scheme} all cores ({cores})", prepare_minhash,
                              {**shared, "impl": f"neardup-{scheme}", "stage": stage, "num_threads": None},
                              extra={"threads": cores}))
        if stage == "text-signatures":
            cases += forced_simd("text-signatures")
        if stage == "text-pairs":
            cases.append(Case("neardup simhash k=3 1 thread", prepare_minhash,
                              {**shared, "impl": "neardup-simhash", "stage": stage, "num_threads": 1},
                              extra={"threads": 1, "note": "SimHash of word 3-grams, pairs within 3 bits; not MinHash"}))
    cases += [
        peer("rensa", "peer: rensa (Python tokenising)", "rensa", "text-signatures",
             f"RMinHash.update per document; {python_tokens}"),
        peer("gaoya", "peer: gaoya (its Rust tokenizer)", "gaoya", "text-signatures",
             "MinHashStringIndex.insert_document per document: signature and band insert (gaoya has no "
             "signature-only raw-text call); analyzer='word', lowercase, ngram_range=(5, 5)"),
        peer("datasketch", "peer: datasketch (Python tokenising)", "datasketch", "text-signatures",
             f"MinHash.update_batch of UTF-8 5-grams; {python_tokens}", repeats=1),
        peer("rensa", "peer: rensa (Python tokenising)", "rensa", "text-pairs",
             f"RMinHash + RMinHashLSH (insert_many/query_all); {python_tokens}"),
        peer("gaoya", "peer: gaoya (its Rust tokenizer)", "gaoya", "text-pairs",
             "MinHashStringIndex insert_document + query per document (query keeps candidates whose "
             "signatures estimate Jaccard >= 0.8)"),
    ]
    if have_rust:
        for scheme in ("classic", "oph"):
            cases.append(Case(f"neardup {scheme} 1 thread", prepare_minhash,
                              {**shared, "impl": f"neardup-{scheme}", "stage": "prehashed", "num_threads": 1},
                              extra={"threads": 1, "note": "neardup.minhash of neardup.shingles_batch output (uint64 CSR)"}))
        cases += forced_simd("prehashed")
    cases += [
        peer("rensa", "peer: rensa RMinHash.update (pre-built shingle lists)", "rensa", "prehashed",
             "RMinHash.update of each document's list of 5-gram strings (built before timing)"),
        peer("rensa", "peer: rensa digest_matrix_from_flat_token_hashes", "rensa-matrix", "prehashed",
             "the same uint64 CSR shingle hashes as neardup's row; recall via the same 16 x 8 banding"),
    ]
    if have_rust:
        cases.append(Case("neardup MinHashLSH 1 thread", prepare_minhash,
                          {**shared, "impl": "neardup-classic", "stage": "lsh", "num_threads": 1},
                          extra={"threads": 1, "note": "insert_batch then query_batch of neardup classic signatures"}))
    cases.append(peer("rensa", "peer: rensa RMinHashLSH", "rensa", "lsh",
                      "insert_many then query_all of RMinHash signatures"))
    return cases


# --------------------------------------------------------------------------------------------
# Benchmarks that time themselves: chrome-quality and align-speed (modules next to this file)
# --------------------------------------------------------------------------------------------


def run_module(module: str, quick: bool) -> list[dict[str, Any]]:
    """``benches/<module>.py``'s ``run(quick)`` rows (the module reads ../shared/data itself)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    return importlib.import_module(module).run(quick)


@benchmark("chrome-quality", requires=["chrome-python3.11-doc.jsonl.gz", "chrome-postgresql-doc-15.jsonl.gz", "chrome-cleaneval.jsonl.gz", "chrome-readability.jsonl.gz", "chrome-dragnet.jsonl.gz",
                                       "chrome-cleanportaleval.jsonl.gz"])
def chrome_quality(ctx: Context) -> list[Rows]:
    """Chrome stripping quality per site (body kept, chrome removed) and learn + strip
    throughput, against the ">= 3 pages" rule (benches/chrome_quality.py)."""
    return [Rows("chrome_quality.run", run_module, {"module": "chrome_quality", "quick": ctx.quick})]


@benchmark("align-speed", requires=["dups-bbc-news.jsonl.gz"])
def align_speed(ctx: Context) -> list[Rows]:
    """Alignment of long edited document pairs, neardup.align against rapidfuzz partial_ratio
    and difflib, 1k to 200k characters (benches/align_speed.py)."""
    return [Rows("align_speed.run", run_module, {"module": "align_speed", "quick": ctx.quick})]


@benchmark("index", requires=["bench-corpus-22k.jsonl.gz"])
def index_bench(ctx: Context) -> list[Rows]:
    """The persistent SQLite index: add throughput, query latency p50/p99, bytes on disk per
    document and peak RSS, filled to 1,000,000 documents (20,000 with --quick)
    (benches/index_bench.py)."""
    return [Rows("index_bench.run", run_module, {"module": "index_bench", "quick": ctx.quick})]


@benchmark("spark", requires=["dups-bbc-news.jsonl.gz"])
def spark_bench(ctx: Context) -> list[Rows]:
    """neardup.spark in local mode against the local job, and its scaling from 1 to 2
    executor cores (benches/spark_bench.py; needs pyspark and Java 17+)."""
    return [Rows("spark_bench.run", run_module, {"module": "spark_bench", "quick": ctx.quick})]


@benchmark("clean", requires=["dups-syndication-cleanportaleval.jsonl.gz", "bench-corpus-22k.jsonl.gz"])
def clean_job(ctx: Context) -> list[Rows]:
    """`neardup clean` end to end per corpus: MB/s, peak RSS, syndication pairwise F1 and
    recall of the planted copies (benches/clean_bench.py)."""
    return [Rows("clean_bench.run", run_module, {"module": "clean_bench", "quick": ctx.quick})]


@benchmark("end-to-end", requires=["bench-corpus-22k.jsonl.gz"])
def end_to_end(ctx: Context) -> list[Rows]:
    """The jobs as whole processes on bench-corpus-22k: `neardup dups`, `neardup clean` with 1
    and 2 threads, and datatrove's MinHash pipeline as the peer; CPU and wall MB/s, peak RSS
    (benches/end_to_end.py)."""
    return [Rows("end_to_end.run", run_module, {"module": "end_to_end", "quick": ctx.quick})]


@benchmark("scaling")
def scaling(ctx: Context) -> list[Rows]:
    """Time and peak RSS against document size (1-256 MB, one line / many lines / one page
    repeated, per stage) and against the number of identical documents (1-100,000), with the
    fitted log-log exponent per series (benches/scaling_bench.py; 500 MB: run it with --huge)."""
    return [Rows("scaling_bench.run", run_module, {"module": "scaling_bench", "quick": ctx.quick})]


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _notes(row: dict[str, Any]) -> str:
    notes = []
    if "subset" in row:
        notes.append(f"subset: {row['subset']}, {row['mb']:.2f} MB")
    if "speedup_vs_reference" in row:
        notes.append(f"{row['speedup_vs_reference']:.1f}x reference")
    if "speedup_vs_1_thread" in row:
        notes.append(f"{row['speedup_vs_1_thread']:.2f}x 1 thread")
    if row.get("matches_reference") is False:
        notes.append("DIFFERS from reference")
    if row.get("rust_build") == "debug":
        notes.append("debug build")
    if str(row.get("implementation", "")).startswith("peer"):
        notes.append("peer, not the reference")
    if (row.get("busy_cores_before") or 0) >= BUSY_WARN:
        notes.append(f"machine busy: {row['busy_cores_before']:.1f} cores in use before the run")
    if row.get("simd_path"):
        notes.append(f"SIMD path {row['simd_path']} ({'forced' if row.get('simd_forced') else 'auto'})")
    if row.get("stage"):
        notes.append(MINHASH_STAGES.get(row["stage"], row["stage"]))
    if row.get("index_bytes_per_doc") is not None:
        notes.append(f"index {row['index_bytes_per_doc']:.0f} B/doc (RSS delta)")
    if "recall_planted_j0.8" in row:
        notes.append(f"recall@0.8 {_fmt(row['recall_planted_j0.8'], 3)}, precision@0.8 "
                     f"{_fmt(row.get('precision_j0.8'), 3)}, {row.get('candidates')} candidates")
    if "suite" in row:  # rows of a self-timing module: show what it measured
        notes += [f"{key} {_fmt(row[key], 4)}" for key in ("site", "length", "body_kept", "chrome_removed",
                                                           "seconds_per_pair", "result") if row.get(key) is not None]
        if row.get("note"):
            notes.append(str(row["note"]))
    if "error" in row:
        notes.append("ERROR: " + row["error"].splitlines()[-1])
    return "; ".join(notes)


BUSY_WARN = 0.3  # cores kept busy by other processes before a run that make its row suspect


def print_table(rows: list[dict[str, Any]]) -> None:
    header = ["benchmark", "implementation", "docs/s", "MB/s", "MB/s CPU", "peak RSS MB", "notes"]
    table = [header] + [
        [r["benchmark"], r["implementation"], _fmt(r["docs_per_s"], 0), _fmt(r["mb_per_s"], 2),
         _fmt(r.get("mb_per_s_cpu"), 2), _fmt(r["peak_rss_mb"], 0), _notes(r)]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    right = {2, 3, 4, 5}
    for k, line in enumerate(table):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))]
        print("  ".join(cells + [line[-1]]).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths) + "  " + "-" * 5)


def warn_build() -> str:
    build = rust_build()
    if build == "debug":
        bar = "!" * 78
        print(f"{bar}\n!! WARNING: neardup._core is the quick TEST build (DEBUG_BUILD is True).\n"
              f"!! Rust timings below are NOT representative; `make bench` builds the release profile.\n{bar}",
              file=sys.stderr)
    elif build == "unknown":
        print("warning: neardup._core does not say whether it is a release build (no DEBUG_BUILD); "
              "rebuild with `make bench` for release timings", file=sys.stderr)
    elif build == "missing":
        print("warning: neardup._core is not built; Rust rows are skipped (`make bench` builds it)", file=sys.stderr)
    return build


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="benchmarks: " + ", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller subsets (well under a minute)")
    parser.add_argument("--only", metavar="NAME", action="append", choices=sorted(BENCHMARKS),
                        help="run only this benchmark (repeatable)")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the rows as a JSON list to PATH")
    parser.add_argument("--data", metavar="DIR", type=Path, default=DATA,
                        help=f"the evaluation data directory (default: {DATA})")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--simd", action="store_true",
                        help="also time neardup's single-thread minhash rows on each SIMD path this CPU can run "
                             "(NEARDUP_SIMD forced in each row's child)")
    args = parser.parse_args(argv)

    if args.list:
        for bench in BENCHMARKS.values():
            print(f"{bench.name}: {' '.join(bench.doc.split())}")
        return 0

    ctx = Context(quick=args.quick, repeats=2 if args.quick else 5, data=args.data.resolve())
    build = warn_build()
    if args.simd:
        ctx.simd_paths = simd_paths()
        if not ctx.simd_paths:
            print("warning: --simd needs the compiled core; no forced SIMD rows", file=sys.stderr)
    cpu = cpu_description()
    print(f"python {platform.python_version()} on {platform.machine()}, {core_count()} cores, "
          f"rust core: {build}, {'quick' if args.quick else 'full'} run "
          f"(best of {ctx.repeats} after 1 warm-up unless noted)")
    print(f"cpu: {cpu['cpu']}; SIMD flags: {' '.join(cpu['cpu_flags']) or 'none'}"
          + (f"; forced SIMD paths: {', '.join(ctx.simd_paths)}" if ctx.simd_paths else ""))

    rows: list[dict[str, Any]] = []
    summaries: list[str] = []
    failed = False
    for name in args.only or list(BENCHMARKS):
        bench = BENCHMARKS[name]
        missing = [ctx.data / p for p in bench.requires if not (ctx.data / p).exists()]
        if missing:
            print(f"skipping {name}: data file not found: {', '.join(str(p) for p in missing)}")
            continue
        bench_rows = []
        for case in bench.cases(ctx):
            if isinstance(case, Skip):
                print(f"skipping {name} / {case.implementation}: {case.reason}")
                continue
            print(f"  running {name} / {case.implementation} ...", file=sys.stderr, flush=True)
            new_rows = measure_rows(name, case) if isinstance(case, Rows) else [measure(name, case, ctx)]
            for row in new_rows:
                if "error" in row:
                    failed = True
                    print(f"{name} / {case.implementation} failed:\n{row['error']}", file=sys.stderr)
            for row in new_rows:
                row.update(cpu)  # every figure names the CPU it came from
            bench_rows += new_rows
        if bench.summary is not None:
            summaries += [f"{name}: {line}" for line in bench.summary(bench_rows)]
        rows += bench_rows

    if rows:
        print()
        print_table(rows)
    for line in summaries:
        print(line)
    if any((r.get("busy_cores_before") or 0) >= BUSY_WARN for r in rows):
        print("warning: other processes were using the CPU during some runs (see notes); "
              "rerun on an idle machine for numbers to quote")
    if build == "debug" and rows:
        print("(Rust rows come from the quick test build; run `make bench` for release numbers.)")
    if args.json:
        for row in rows:
            row.setdefault("quick", args.quick)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
        print(f"wrote {len(rows)} rows to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
