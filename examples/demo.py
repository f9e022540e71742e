"""The demo: `neardup clean` on the example corpus (examples/corpus.jsonl, pages of two
invented local news sites and a read-later app, written for this project).

It strips each site's chrome, collapses the body the read-later export carries twice, and
finds the wire story that both sites published; then it prints one line per decision.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import neardup
from neardup.cli import main as neardup_main

HERE = Path(__file__).resolve().parent


def main() -> int:
    corpus = HERE / "corpus.jsonl"
    outdir = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "out" / "demo"
    print(f"neardup {neardup.__version__} ({neardup.backend()} backend)")
    print(f"$ neardup clean {corpus.relative_to(HERE.parent)} -o {outdir}")
    status = neardup_main(["clean", str(corpus), "-o", str(outdir)])
    if status:
        return status
    texts = {json.loads(line)["id"]: json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines()}
    print(f"\n{'document':24} {'action':8} {'removed':>8}  why")
    for line in (outdir / "decisions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        removed = sum(end - start for start, end, _ in row["removed"])
        share = f"{removed / max(len(texts[row['id']]), 1):.0%}"
        print(f"{row['id']:24} {row['action']:8} {share:>8}  {row['reason']}")
    print(f"\nopen {outdir / 'report.html'} for the report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
