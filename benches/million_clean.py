"""`neardup clean` on 1,000,000 documents: peak RSS and the time of each stage.

    python benches/million_clean.py [--docs N] [--threads T] [--keep]

The corpus is made from bench-corpus-22k (../shared/data): round 0 is the corpus as it is,
round k > 0 the same documents with every word given the suffix of round k (``the`` ->
``theb`` in round 1), so that each round is a corpus of new documents with the same lengths,
line structure and planted near-duplicates (2,000 per 22,000), and no round duplicates
another. Rounds are added until ``--docs`` documents (default 1,000,000: 46 rounds, ~3.5 GB
of JSONL, written uncompressed to a temporary folder and removed afterwards unless
``--keep``). The job runs as a child process under ``/usr/bin/time -v`` (its peak RSS and CPU
seconds); the stage times come from the run's ``summary.json``. Prints one JSON row.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "bench-corpus-22k.jsonl.gz"
WORD = re.compile(r"\w+")


def suffix(round_number: int) -> str:
    """``""`` for round 0, then ``b``, ``c``, ... ``z``, ``bb``, ``bc``: never empty after 0."""
    letters = ""
    while round_number:
        round_number, digit = divmod(round_number, 25)
        letters = chr(ord("b") + digit) + letters
    return letters


def make_corpus(path: Path, docs: int) -> tuple[int, int]:
    """Write ``docs`` documents to ``path``; returns (documents, UTF-8 bytes of text)."""
    rows = [json.loads(line) for line in gzip.open(DATA, "rt", encoding="utf-8")]
    written = text_bytes = 0
    with open(path, "w", encoding="utf-8") as out:
        round_number = 0
        while written < docs:
            end = suffix(round_number)
            for row in rows[: docs - written]:
                text = row["text"] if not end else WORD.sub(lambda m: m.group(0) + end, row["text"])
                dup_of = row.get("dup_of")
                out.write(json.dumps({"id": f"{row['id']}~{round_number}", "text": text,
                                      "dup_of": None if dup_of is None else f"{dup_of}~{round_number}"}) + "\n")
                text_bytes += len(text.encode("utf-8"))
                written += 1
            round_number += 1
    return written, text_bytes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the generated corpus and outputs")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"missing {DATA}", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="million-clean-"))
    try:
        corpus = folder / "corpus.jsonl"
        started = time.perf_counter()
        docs, text_bytes = make_corpus(corpus, args.docs)
        made = time.perf_counter() - started
        command = ["/usr/bin/time", "-v", sys.executable, "-m", "neardup", "clean", str(corpus), "-o", str(folder / "out"),
                   "--threads", str(args.threads)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-4000:], file=sys.stderr)
            return 1
        usage = dict(re.findall(r"^\s*(.+?): (.+)$", done.stderr, re.M))
        cpu = float(usage["User time (seconds)"]) + float(usage["System time (seconds)"])
        summary = json.loads((folder / "out" / "summary.json").read_text(encoding="utf-8"))
        print(json.dumps({
            "benchmark": "clean/million", "documents": docs, "text_mb": round(text_bytes / 1e6, 1),
            "corpus_seconds": round(made, 1), "threads": args.threads,
            "wall_seconds": summary["seconds"], "cpu_seconds": round(cpu, 1),
            "cpu_mb_per_s": round(text_bytes / 1e6 / cpu, 2), "peak_rss_mb": round(int(usage["Maximum resident set size (kbytes)"]) / 1024),
            "stages": summary["stages"], "dropped": summary["dropped"], "clusters": summary["clusters"],
        }))
        return 0
    finally:
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
