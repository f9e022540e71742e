"""Where chrome stripping loses body and misses chrome: per site and per decision reason,
body characters removed; per site and position, chrome characters kept (above the first gold
body line, between body lines, below the last one, or on a page without body); then the
worst pages' lines with their gold label and decision. Totals by reason and position first,
then the body lost by kind of line (the gold marks a line twice on a page, or on most of a
site's pages, as body), then the largest rows of each per-site table. `python tools/chrome_diagnose.py SET [--pages N] [--heldout]`
(SET: python-docs, postgres-docs, cleanportaleval, cleaneval, readability, dragnet; --heldout learns on the even-numbered pages
and diagnoses the odd-numbered ones, as the benchmark's held-out row)."""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benches"))
from chrome_quality import SETS, load  # noqa: E402

from neardup.chrome import REASONS, ChromeModel  # noqa: E402
from neardup.repeats import find_repeats_batch  # noqa: E402


#: Rows of each per-site table printed (the largest first).
TOP = 25


def share(counts: dict[str, int], total: int) -> str:
    """``counts`` largest first, each with its share of ``total``."""
    return ", ".join(f"{key} {chars:,} ({chars / max(total, 1):.2%})" for key, chars in sorted(counts.items(), key=lambda x: (-x[1], x[0])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     allow_abbrev=False)
    parser.add_argument("set", metavar="SET", choices=list(SETS), help=f"the labelled set ({', '.join(SETS)})")
    parser.add_argument("--pages", type=int, default=3, metavar="N", help="worst pages printed line by line (default: 3)")
    parser.add_argument("--heldout", action="store_true",
                        help="learn on the even-numbered pages, diagnose the odd-numbered ones")
    args = parser.parse_args()
    show = args.pages
    rows = load(args.set, False)
    learn = rows[0::2] if args.heldout else rows
    model = ChromeModel().update([r["text"] for r in learn], [r["site"] for r in learn])
    if args.heldout:
        rows = rows[1::2]
    texts, sites = [r["text"] for r in rows], [r["site"] for r in rows]
    decided = model.classify(texts, sites)
    copies = find_repeats_batch(texts)
    lost: dict[tuple[str, str], int] = defaultdict(int)
    # The gold marks every line that matches the article's text: a passage the page prints
    # twice is body twice (in-page repeats keep one), and so is a notice the site prints on
    # most of its pages when the human extraction took it in.
    lost_kind: dict[str, int] = defaultdict(int)
    pages_of_site: dict[str, int] = defaultdict(int)
    pages_with_line: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        pages_of_site[row["site"]] += 1
        for line in {line.strip() for line in row["text"].split("\n")}:
            pages_with_line[(row["site"], line)] += 1
    missed: dict[str, int] = defaultdict(int)
    missed_where: dict[tuple[str, str], int] = defaultdict(int)
    per_page = []
    for row, d, c in zip(rows, decided, copies):
        reasons = d.reasons()
        for k, (start, _) in enumerate(d.spans.tolist()):
            if any(r.start <= start < r.end for r in c) and reasons[k] == "body":
                reasons[k] = "repeat"
        bad = 0
        body_lines = [i for i, gold in enumerate(row["line_is_body"]) if gold]
        page_lines = row["text"].split("\n")
        kept = {line.strip() for line, reason in zip(page_lines, reasons) if reason == "body"}
        pages = pages_of_site[row["site"]]
        for i, (line, gold, reason) in enumerate(zip(page_lines, row["line_is_body"], reasons)):
            if gold and reason != "body":
                lost[(row["site"], reason)] += len(line)
                bad += len(line)
                if line.strip() in kept:
                    lost_kind["the same line kept elsewhere on the page"] += len(line)
                elif pages >= 4 and pages_with_line[(row["site"], line.strip())] >= max(3, pages // 2):
                    lost_kind["a line on half or more of its site's pages (sites of >= 4)"] += len(line)
                else:
                    lost_kind[f"other, {reason}"] += len(line)
            elif not gold and reason == "body":
                missed[row["site"]] += len(line)
                where = ("no body" if not body_lines else "above" if i < body_lines[0]
                         else "below" if i > body_lines[-1] else "between")
                missed_where[(row["site"], where)] += len(line)
                bad += len(line)
        per_page.append((bad, row, reasons))
    total_body = sum(len(line) for row in rows for line, gold in zip(row["text"].split("\n"), row["line_is_body"]) if gold)
    total_chrome = sum(len(line) for row in rows for line, gold in zip(row["text"].split("\n"), row["line_is_body"]) if not gold)
    by_reason: dict[str, int] = defaultdict(int)
    by_where: dict[str, int] = defaultdict(int)
    for (_, reason), chars in lost.items():
        by_reason[reason] += chars
    for (_, where), chars in missed_where.items():
        by_where[where] += chars
    print(f"{len(rows)} pages; body chars lost {sum(lost.values()):,} of {total_body:,}, by reason: {share(by_reason, total_body)}")
    print(f"chrome chars kept {sum(missed.values()):,} of {total_chrome:,}, by position: {share(by_where, total_chrome)}")
    print(f"body chars lost, by kind of line: {share(lost_kind, total_body)}")
    print(f"\nbody chars lost, the {TOP} largest by site and reason:")
    for (site, reason), chars in sorted(lost.items(), key=lambda x: (-x[1], x[0]))[:TOP]:
        print(f"  {chars:8,}  {reason:12} {site}")
    print(f"\nchrome chars kept, the {TOP} largest by site and position:")
    for (site, where), chars in sorted(missed_where.items(), key=lambda x: (-x[1], x[0]))[:TOP]:
        print(f"  {chars:8,}  {where:12} {site}")
    per_page.sort(key=lambda x: -x[0])
    for bad, row, reasons in per_page[:show]:
        print(f"\n=== {row['site']} {row['url']} ({bad} chars wrong)")
        for line, gold, reason in zip(row["text"].split("\n"), row["line_is_body"], reasons):
            mark = "  " if (gold == (reason == "body")) else "!!"
            print(f"{mark} {'B' if gold else 'C'} {reason[:8]:8} {line[:110]}")


if __name__ == "__main__":
    assert set(REASONS) >= {"body"}
    main()
