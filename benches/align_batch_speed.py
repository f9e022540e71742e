"""Speed of the core's align_batch on the pairs `neardup clean` aligns (issue #21).

`record` runs `neardup clean` on a corpus with the decide stage's `align_batch` wrapped, and
pickles the first batches of (a, b) pairs it is given (as batches: the pipeline pairs one page
with several others, and the core shares such a text between its pairs), then stops. `time`
aligns the recorded batches with the core, one thread by default, and prints the best process
CPU time of a few repeats and a digest of the results, to compare builds (the digest of two
builds is equal when their passages are). `--unshared` gives every pair str objects of its own.
`long` times `align` alone on benches/align_speed.py's long edited pairs, in CPU time.
`in-clean` runs the whole `clean` job (one thread) and sums the CPU time of its `align_batch`
calls.

    python benches/align_batch_speed.py record /tmp/pairs.pkl            # ~3,000 pairs
    python benches/align_batch_speed.py time /tmp/pairs.pkl [--threads 2] [--unshared]
    python benches/align_batch_speed.py long
    python benches/align_batch_speed.py in-clean
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def record(out: Path, corpus: Path, limit: int) -> None:
    import tempfile

    import neardup.pipeline.decide as decide
    from neardup.cli import main

    batches: list[list[tuple[str, str]]] = []
    original = decide.align_batch

    class Recorded(Exception):
        pass

    def recording(pairs, **kwargs):
        pairs = list(pairs)
        batches.append(pairs)
        if sum(map(len, batches)) >= limit:
            raise Recorded
        return original(pairs, **kwargs)

    decide.align_batch = recording
    with tempfile.TemporaryDirectory() as scratch:
        try:
            main(["clean", str(corpus), "-o", scratch, "--threads", "1"])
        except Recorded:
            pass
    with open(out, "wb") as f:
        pickle.dump(batches, f)
    print(f"{sum(map(len, batches))} pairs in {len(batches)} batches -> {out}")


def time_in_clean(corpus: Path) -> None:
    import tempfile

    import neardup.pipeline.decide as decide
    from neardup.cli import main

    original = decide.align_batch
    totals = {"calls": 0, "pairs": 0, "chars": 0, "cpu": 0.0}

    def timed(pairs, **kwargs):
        pairs = list(pairs)
        c0 = time.process_time()
        out = original(pairs, **kwargs)
        totals["cpu"] += time.process_time() - c0
        totals["calls"] += 1
        totals["pairs"] += len(pairs)
        totals["chars"] += sum(len(a) + len(b) for a, b in pairs)
        return out

    decide.align_batch = timed
    with tempfile.TemporaryDirectory() as scratch:
        main(["clean", str(corpus), "-o", scratch, "--threads", "1"])
    print(
        f"clean's align_batch: {totals['calls']} calls, {totals['pairs']} pairs, {totals['chars']:,} chars, "
        f"CPU {totals['cpu']:.2f} s ({totals['chars'] / max(totals['cpu'], 1e-9) / 1e6:.1f} M chars/s)"
    )


def time_batches(path: Path, threads: int, repeats: int, unshared: bool) -> None:
    from neardup import _core

    with open(path, "rb") as f:
        batches = pickle.load(f)
    if unshared:
        batches = [[((a + ".")[:-1], (b + ".")[:-1]) for a, b in pairs] for pairs in batches]
    chars = sum(len(a) + len(b) for pairs in batches for a, b in pairs)
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        results = [_core.align_batch(pairs, 3, 24, 8, threads) for pairs in batches]
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    digest = hashlib.sha256(repr(results).encode()).hexdigest()[:16]
    print(
        f"{sum(map(len, batches))} pairs, {chars:,} chars, {threads} thread(s): best CPU {min(cpu):.3f} s "
        f"({chars / min(cpu) / 1e6:.1f} M chars/s), best wall {min(wall):.3f} s; results {digest}"
    )


def time_long_pairs(repeats: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import align_speed
    from neardup import _core

    lengths = [20_000, 100_000, 200_000]
    articles = align_speed.load_articles(max(lengths) + 10_000)
    for length in lengths:
        a, b = align_speed.make_pair(articles, length)
        calls = max(1, 2_000_000 // length)
        cpu = []
        for _ in range(repeats):
            c0 = time.process_time()
            for _ in range(calls):
                passages = _core.align(a, b)
            cpu.append((time.process_time() - c0) / calls)
        digest = hashlib.sha256(repr(passages).encode()).hexdigest()[:16]
        print(
            f"{length:,} chars per document: best CPU {min(cpu) * 1e3:.2f} ms per pair "
            f"({(len(a) + len(b)) / min(cpu) / 1e6:.1f} M chars/s); results {digest}"
        )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record")
    rec.add_argument("out", type=Path)
    rec.add_argument("--corpus", type=Path, default=DATA / "bench-corpus-22k.jsonl.gz")
    rec.add_argument("--pairs", type=int, default=3000, help="stop once this many pairs are recorded")
    tim = commands.add_parser("time")
    tim.add_argument("pairs", type=Path)
    tim.add_argument("--threads", type=int, default=1)
    tim.add_argument("--repeats", type=int, default=3)
    tim.add_argument("--unshared", action="store_true")
    long = commands.add_parser("long")
    long.add_argument("--repeats", type=int, default=7)
    in_clean = commands.add_parser("in-clean")
    in_clean.add_argument("--corpus", type=Path, default=DATA / "bench-corpus-22k.jsonl.gz")
    args = parser.parse_args(argv)
    if args.command == "record":
        record(args.out, args.corpus, args.pairs)
    elif args.command == "time":
        time_batches(args.pairs, args.threads, args.repeats, args.unshared)
    elif args.command == "long":
        time_long_pairs(args.repeats)
    else:
        time_in_clean(args.corpus)


if __name__ == "__main__":
    main(sys.argv[1:])
