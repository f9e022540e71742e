"""Chrome stripping: quality per labelled set, per site size and per site, the knob's curve,
the protocol that chose the defaults, throughput of learning + stripping and model size.

Quality is the share of body characters kept and of chrome characters removed against the
per-line gold labels (``line_is_body``) of the chrome sets in ../shared/data. Each set's model
is counted on all of its pages (cross-site counts within the set, as a user's corpus), except
``heldout`` (counted on the even-numbered pages, scored on the odd ones). Rows:

  defaults        the package's defaults (python/neardup/chrome_params.json), all pages; its
                  "all" row also gives ``body_text_kept``: body characters kept, counting a
                  body line removed as an in-page ``repeat`` as kept when the same line (its
                  text stripped) is kept elsewhere on the page, i.e. the article's text is
                  still there once (the gold marks both copies of a repeated passage as body);
  heldout         the defaults, learned on half of each set and scored on the other half;
  rule>=3-pages   the plain rule "a line on >= 3 pages of its site is chrome" (whitespace and
                  case folded), the baseline the data README quotes;
  curve           each value of the knob run_cost (docs/chrome.md), with and without
                  cut_comments, other parameters default;
  lodo            leave one dataset out: for each set, the grid point (neardup.chrome.TUNE_GRID)
                  chosen by neardup.chrome.best_point on the *other five* sets, scored on it;
  loso            leave one site out, over the sites with >= 5 pages of every set: the point
                  chosen on all other such sites, scored on the left-out one (pooled per set).

The defaults are the point best_point chooses on all six sets (``--write-defaults`` writes it,
with the scores, to python/neardup/chrome_params.json): figures of the ``defaults`` rows are on
the data that chose them; ``lodo`` and ``loso`` rows are on data that did not.
Throughput is text (UTF-8 MB) per CPU second (best of 3) of ``fit_strip`` on one thread.
Run alone: `python benches/chrome_quality.py [--quick] [--write-defaults]` (release build).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import neardup
from neardup.chrome import (BODY_FLOOR, BODY_WEIGHT, TUNE_GRID, ChromeModel, Quality, best_point, grid_points, quality,
                            removed_lines, save_params)

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SETS = {
    "python-docs": "chrome-python3.11-doc.jsonl.gz",
    "postgres-docs": "chrome-postgresql-doc-15.jsonl.gz",
    "cleanportaleval": "chrome-cleanportaleval.jsonl.gz",
    "cleaneval": "chrome-cleaneval.jsonl.gz",
    "readability": "chrome-readability.jsonl.gz",
    "dragnet": "chrome-dragnet.jsonl.gz",
}
DEFAULTS_FILE = Path(neardup.__file__).resolve().parent / "chrome_params.json"
#: Sites with at least this many pages are the units of leave-one-site-out.
LOSO_PAGES = 5


def load(name: str, quick: bool) -> list[dict]:
    rows = [json.loads(line) for line in gzip.open(DATA / SETS[name], "rt", encoding="utf-8")]
    return rows[:300] if quick and len(rows) > 300 else rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def size_band(pages: int) -> str:
    return "1-2 pages" if pages <= 2 else "3-9 pages" if pages < 10 else ">=10 pages"


def by_site(rows: list[dict], model: ChromeModel) -> dict[str, Quality]:
    """Quality of ``model`` per site of ``rows``."""
    pages: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        pages[row["site"]].append(row)
    return {site: quality(model, [r["text"] for r in group], [r["site"] for r in group],
                          [r["line_is_body"] for r in group])
            for site, group in pages.items()}


def pooled(results: dict[str, Quality], sites: list[str] | None = None) -> Quality:
    total = Quality(0, 0, 0, 0)
    for site in results if sites is None else sites:
        total = total + results[site]
    return total


def learned(rows: list[dict], **params) -> ChromeModel:
    return ChromeModel(**params).update([r["text"] for r in rows], [r["site"] for r in rows])


def with_params(model: ChromeModel, point: dict) -> ChromeModel:
    state = model.to_dict()
    return ChromeModel.from_dict({**state, "params": {**state["params"], **point}})


def baseline_quality(rows: list[dict]) -> Quality:
    def fold(line: str) -> str:
        return re.sub(r"\s+", " ", line.strip().lower())

    pages: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        pages[r["site"]].update({fold(line) for line in r["text"].split("\n")})
    return Quality.of_lines(
        (line, is_body, pages[r["site"]][fold(line)] >= 3)
        for r in rows
        for line, is_body in zip(r["text"].split("\n"), r["line_is_body"])
    )


def body_text_kept(rows: list[dict], model: ChromeModel) -> float:
    """Share of body characters kept, a body line removed as an in-page repeat of a line kept
    on the same page counting as kept (see the module docstring)."""
    body = kept = 0
    stripped = model.strip_batch([r["text"] for r in rows], [r["site"] for r in rows])
    for r, result in zip(rows, stripped):
        lines = r["text"].split("\n")
        gone = removed_lines(lines, result.removed)
        as_repeat = removed_lines(lines, [x for x in result.removed if x.reason == "repeat"])
        still_there = {line.strip() for line, g in zip(lines, gone) if not g}
        for line, is_body, g, repeat in zip(lines, r["line_is_body"], gone, as_repeat):
            if is_body:
                body += len(line)
                kept += len(line) if not g or (repeat and line.strip() in still_there) else 0
    return kept / body if body else 1.0


def row(kind: str, name: str, part: str, result: Quality, **extra) -> dict:
    return {"benchmark": f"chrome/{name}", "implementation": f"neardup-{kind}" if kind != "rule>=3-pages" else kind,
            "site": part, "body_kept": round(result.kept, 4), "chrome_removed": round(result.removed, 4), **extra}


def run(quick: bool = False, write_defaults: bool = False) -> list[dict]:
    if not DATA.is_dir():
        raise FileNotFoundError(f"evaluation data not found at {DATA}")
    sets = {name: load(name, quick) for name in SETS}
    results = []
    # The table of the protocol: every grid point's quality per (set, site), each set's
    # model counted on all its pages.
    points = grid_points(TUNE_GRID)
    table: list[dict[tuple[str, str], Quality]] = []
    counted = {name: learned(rows) for name, rows in sets.items()}
    for point in points:
        table.append({(name, site): q for name in sets
                      for site, q in by_site(sets[name], with_params(counted[name], point)).items()})
    keys = list(table[0])

    def set_table(names: list[str]) -> list[tuple[dict, dict[str, Quality]]]:
        return [(point, {name: pooled({k: v for k, v in entry.items() if k[0] == name}) for name in names})
                for point, entry in zip(points, table)]

    # Defaults: the point chosen on all sets.
    all_sets = set_table(list(sets))
    chosen = best_point(all_sets)
    if write_defaults:
        save_params(
            DEFAULTS_FILE, {**ChromeModel().params, **chosen},
            chosen_by={"command": "python benches/chrome_quality.py --write-defaults",
                       "rule": f"neardup.chrome.best_point over the sets below (body_floor {BODY_FLOOR}, body_weight {BODY_WEIGHT})",
                       "grid": {k: list(v) for k, v in TUNE_GRID.items()},
                       "scores_on_these_sets": {name: [round(q.kept, 4), round(q.removed, 4)]
                                                for name, q in dict(all_sets[points.index(chosen)][1]).items()}},
        )
    defaults = ChromeModel().params
    for name, rows in sets.items():
        model = with_params(counted[name], {})  # the package defaults
        per_site = by_site(rows, model)
        pages = Counter(r["site"] for r in rows)
        texts, sites = [r["text"] for r in rows], [r["site"] for r in rows]
        megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
        elapsed = float("inf")
        for _ in range(3):
            start = time.process_time()
            ChromeModel().fit_strip(texts, sites, num_threads=1)
            elapsed = min(elapsed, time.process_time() - start)
        model_bytes = len(json.dumps(model.to_dict(), separators=(",", ":")))
        speed = {"mb_per_s": round(megabytes / elapsed, 1), "docs_per_s": round(len(texts) / elapsed, 1),
                 "model_kb_per_page": round(model_bytes / 1024 / len(texts), 2), "peak_rss_mb": round(peak_rss_mb(), 1),
                 "backend": neardup.backend(), "threads": 1}
        results.append(row("defaults", name, "all", pooled(per_site), body_text_kept=round(body_text_kept(rows, model), 4), **speed))
        for band in ("1-2 pages", "3-9 pages", ">=10 pages"):
            members = [s for s in per_site if size_band(pages[s]) == band]
            if members:
                results.append(row("defaults", name, f"{band} ({len(members)} sites)", pooled(per_site, members)))
        if len(per_site) <= 6:
            results += [row("defaults", name, site, q) for site, q in sorted(per_site.items())]
        half = learned(rows[0::2])
        results.append(row("heldout", name, "all", pooled(by_site(rows[1::2], half))))
        results.append(row("rule>=3-pages", name, "all", baseline_quality(rows)))
        for point, entry in zip(points, table):
            if all(point[k] == defaults[k] for k in point if k not in ("run_cost", "cut_comments")):
                q = pooled({k: v for k, v in entry.items() if k[0] == name})
                comments = ", cut_comments" if point.get("cut_comments") else ""
                results.append(row("curve", name, f"run_cost={point['run_cost']}{comments}", q))
    # Leave one dataset out.
    for held in sets:
        point = best_point(all_sets, [n for n in sets if n != held])
        q = dict(all_sets[points.index(point)][1])[held]
        results.append(row("lodo", held, "all", q, params=json.dumps(point)))
    # Leave one site out, over the sites with enough pages.
    counts = {name: Counter(r["site"] for r in rows) for name, rows in sets.items()}
    units = [k for k in keys if counts[k[0]][k[1]] >= LOSO_PAGES]
    site_table = [(point, {k: entry[k] for k in units}) for point, entry in zip(points, table)]
    loso: dict[str, Quality] = defaultdict(lambda: Quality(0, 0, 0, 0))
    chosen_counts: Counter = Counter()
    for unit in units:
        point = best_point(site_table, [k for k in units if k != unit])
        chosen_counts[json.dumps(point)] += 1
        loso[unit[0]] = loso[unit[0]] + dict(site_table[points.index(point)][1])[unit]
    for name, q in loso.items():
        results.append(row("loso", name, f"sites with >= {LOSO_PAGES} pages", q,
                           params="; ".join(f"{k} x{v}" for k, v in chosen_counts.most_common())))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     allow_abbrev=False)
    parser.add_argument("--quick", action="store_true", help="at most 300 pages of each set, for a smoke test")
    parser.add_argument("--write-defaults", action="store_true",
                        help=f"write the point chosen on all sets, with its scores, to {DEFAULTS_FILE.name}")
    args = parser.parse_args()
    if getattr(neardup._backend.IMPL, "DEBUG_BUILD", False):
        print("warning: the core is a debug build; throughput numbers are not representative", file=sys.stderr)
    rows = run(args.quick, write_defaults=args.write_defaults)
    columns = ["benchmark", "implementation", "site", "body_kept", "chrome_removed", "body_text_kept", "mb_per_s", "docs_per_s",
               "model_kb_per_page", "peak_rss_mb", "params"]
    print(" | ".join(columns))
    for r in rows:
        print(" | ".join(str(r.get(c, "")) for c in columns))


if __name__ == "__main__":
    main()
