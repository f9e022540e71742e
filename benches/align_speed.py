"""Alignment speed on pairs of long documents: neardup.align against rapidfuzz's partial_ratio
and difflib's SequenceMatcher, from 1k to 200k characters per document.

Each pair is real news text (BBC News, ../shared/data/dups-bbc-news.jsonl.gz) and an edited
copy of it: the articles in another order (moved passages), one word in 25 replaced, OCR-like
character noise (one letter in 40), and foreign text inserted. The peers are quadratic, so each
is timed only up to the length where one pair is predicted to take longer than a budget (20 s;
0.5 s with --quick); the rows of skipped lengths say so.

    python benches/align_speed.py            # full run, prints a table
    python benches/align_speed.py --quick    # 1k..20k, for a smoke test

`run(quick)` returns the rows for the harness (benches/run.py).
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import random
import resource
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
LENGTHS = [1_000, 5_000, 20_000, 50_000, 100_000, 200_000]
QUICK_LENGTHS = [1_000, 5_000, 20_000]
# A quadratic peer is not timed at a length where one pair is predicted (time at the previous
# length times the squared length ratio) to take longer than this many seconds.
BUDGET_S = 20.0
QUICK_BUDGET_S = 0.5


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_articles(limit_chars: int) -> list[str]:
    path = DATA / "dups-bbc-news.jsonl.gz"
    if not path.exists():
        raise FileNotFoundError(f"benchmark data not found at {path}")
    articles, total = [], 0
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            articles.append(text)
            total += len(text)
            if total >= limit_chars:
                break
    return articles


def make_pair(articles: list[str], length: int, seed: int = 0) -> tuple[str, str]:
    """Document a: articles joined up to `length` characters; b: an edited copy of a."""
    rng = random.Random(seed)
    a = "\n\n".join(articles)[:length]
    paragraphs = a.split("\n\n")
    rng.shuffle(paragraphs)
    words = "\n\n".join(paragraphs).split(" ")
    for i in range(0, len(words), 25):
        words[i] = rng.choice(["alpha", "beta", "gamma", "delta"])
    chars = list(" ".join(words))
    for i in range(0, len(chars), 40):
        if chars[i].isalpha():
            chars[i] = rng.choice("rnmilI1")
    b = "".join(chars)
    insert = rng.randrange(len(b) + 1)
    b = b[:insert] + " Advertisement. Share this story on social media. " + b[insert:]
    return a, b[:length]


def _neardup_align(a: str, b: str) -> float:
    from neardup.align import align, covered

    passages = align(a, b)
    return float(covered(len(b), [p.b_span for p in passages]).mean()) if b else 0.0


def _partial_ratio(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    return fuzz.partial_ratio(a, b) / 100


def _difflib(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b)
    return sum(block.size for block in matcher.get_matching_blocks()) / max(1, len(b))


def implementations():
    import neardup

    impls = [(f"neardup.align ({neardup.backend()})", _neardup_align, None)]
    try:
        import rapidfuzz  # noqa: F401

        impls.append(("rapidfuzz.fuzz.partial_ratio", _partial_ratio, "budget"))
    except ImportError:
        pass
    impls.append(("difflib.SequenceMatcher", _difflib, "budget"))
    return impls


def run(quick: bool = False) -> list[dict]:
    import neardup

    if neardup.backend() == "rust":
        from neardup import _core

        if _core.DEBUG_BUILD and not quick:
            raise RuntimeError("neardup._core is a debug build; build it with `maturin develop --release` first")
    lengths = QUICK_LENGTHS if quick else LENGTHS
    budget = QUICK_BUDGET_S if quick else BUDGET_S
    articles = load_articles(max(lengths) + 10_000)
    pairs = {length: make_pair(articles, length) for length in lengths}
    rows = []
    for name, function, capped in implementations():
        over_budget = False
        for index, length in enumerate(lengths):
            a, b = pairs[length]
            row = {"benchmark": "align-long-pairs", "implementation": name, "length": length}
            if over_budget:
                rows.append({**row, "docs_per_s": None, "mb_per_s": None, "peak_rss_mb": None,
                             "seconds_per_pair": None, "result": None,
                             "note": f"not run: predicted over {budget:g} s per pair (quadratic)"})
                continue
            repeats = 1
            start = time.perf_counter()
            result = function(a, b)
            elapsed = time.perf_counter() - start
            # Repeat fast pairs so that the time is not dominated by timer noise.
            while elapsed < 0.2 and repeats < 1000:
                extra = max(1, int(0.2 / max(elapsed / repeats, 1e-6)))
                start = time.perf_counter()
                for _ in range(extra):
                    function(a, b)
                elapsed = (time.perf_counter() - start)
                repeats = extra
            per_pair = elapsed / repeats
            rows.append({**row, "docs_per_s": 1 / per_pair, "mb_per_s": (len(a) + len(b)) / 1e6 / per_pair,
                         "peak_rss_mb": peak_rss_mb(), "seconds_per_pair": per_pair, "result": result,
                         "note": "result: share of b covered" if "neardup" in name
                         else "result: partial_ratio/100" if "rapidfuzz" in name
                         else "result: matched chars / len(b)"})
            if capped and index + 1 < len(lengths):
                over_budget = per_pair * (lengths[index + 1] / length) ** 2 > budget
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     allow_abbrev=False)
    parser.add_argument("--quick", action="store_true", help="lengths 1k..20k and a 0.5 s budget, for a smoke test")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick)
    print(f"{'implementation':36} {'length':>8} {'s/pair':>10} {'MB/s':>8} {'rss MB':>7} {'result':>7}  note")
    for r in rows:
        if r["seconds_per_pair"] is None:
            print(f"{r['implementation']:36} {r['length']:>8} {'-':>10} {'-':>8} {'-':>7} {'-':>7}  {r['note']}")
        else:
            print(f"{r['implementation']:36} {r['length']:>8} {r['seconds_per_pair']:>10.5f} {r['mb_per_s']:>8.2f} "
                  f"{r['peak_rss_mb']:>7.0f} {r['result']:>7.3f}  {r['note']}")


if __name__ == "__main__":
    main(sys.argv[1:])
