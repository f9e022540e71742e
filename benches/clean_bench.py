"""The `neardup clean` job end to end on the shared data: MB/s, peak RSS and quality.

    python benches/clean_bench.py [--quick] [--only NAME[,NAME...]] [--role choose|report] [--min-evidence N] [--chrome-params PARAMS.json]

Each corpus runs in a child process of its own (multiprocessing "forkserver", so that the
child's ru_maxrss is its own peak) through ``neardup.pipeline.clean`` with the command line's
defaults, writing into a temporary folder. Quality, computed from ``decisions.jsonl`` after
the timing:

- every corpus: ``unverified_drops``, the dropped rows whose ``score`` is below the threshold
  or whose ``duplicate_of`` is not a kept or changed document (0 by construction: a dropped
  document names a kept document it was verified against);
- syndication corpora: pairwise precision, recall and F1 of the clusters against the labels (a
  dropped document joins its ``duplicate_of``); and the same with the labels of clusters whose
  source pages carry one article joined (``one_article_*``: the labelled sets hold some
  stories on two pages, labelled as two articles, so their copies count as false positives of
  each other; joined when the gold bodies' word 5-gram Jaccard similarity is >= 0.8), and
  ``dropped_article_unkept``: the share of the dropped pages' article shingles (gold body) that
  the cleaned text of the document each was dropped for lacks;
- bench-22k: recall of the planted copies (copy and source in one cluster), and the share of
  planted copies of which at most one of copy and source is kept (``planted_not_both_kept``).

Syndication corpora: the shared one (dups-syndication-cleanportaleval) and ones built here by
``../shared/tools/make_syndication.py`` from the labelled chrome sets (two seeds each). Each has
a ``role``: ``choose`` for the corpora the dedup constants were chosen on (docs/dedup.md),
``report`` for the ones kept aside to report on. Built from: CleanPortalEval, the Python and
PostgreSQL documentation together (one site each: the tool needs two), CleanEval, Dragnet
split by site into two halves (a hash of the site name: half A choose, half B report) and
Readability without its synthetic test pages (27 pages of "Lorem ipsum" filler, copies of one
another: labelled as 27 different articles, they would count as false positives).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
TOOL = REPO.parent / "shared" / "tools" / "make_syndication.py"
THRESHOLD = 0.8

CORPORA = [
    ("syndication", "dups-syndication-cleanportaleval.jsonl.gz", None),
    ("python-docs", "chrome-python3.11-doc.jsonl.gz", None),
    ("postgres-docs", "chrome-postgresql-doc-15.jsonl.gz", None),
    ("bench-22k", "bench-corpus-22k.jsonl.gz", 3000),  # the limit applies with --quick
]

#: Syndication corpora built with the tool: (name, role, the labelled sets, page filter).
BUILT = [
    ("cleanportaleval", "choose", ["chrome-cleanportaleval.jsonl.gz"], None),
    ("docs", "choose", ["chrome-python3.11-doc.jsonl.gz", "chrome-postgresql-doc-15.jsonl.gz"], None),
    ("cleaneval", "choose", ["chrome-cleaneval.jsonl.gz"], None),
    ("dragnet-A", "choose", ["chrome-dragnet.jsonl.gz"], "site-half-A"),
    ("dragnet-B", "report", ["chrome-dragnet.jsonl.gz"], "site-half-B"),
    ("readability", "report", ["chrome-readability.jsonl.gz"], "no-lorem-ipsum"),
]
SEEDS = (1, 2)
#: _one_article passes over shingles held by more source bodies than this.
ONE_ARTICLE_MAX_HOLDERS = 50


def _keep_page(row: dict[str, Any], rule: str | None) -> bool:
    if rule is None:
        return True
    if rule.startswith("site-half-"):
        half = "A" if hashlib.sha256(row["site"].encode("utf-8")).digest()[0] % 2 == 0 else "B"
        return half == rule[-1]
    if rule == "no-lorem-ipsum":
        return "lorem ipsum" not in row["text"].lower()
    raise ValueError(rule)


def build_syndication(name: str, sources: list[str], rule: str | None, seed: int, folder: Path) -> Path:
    """A labelled syndication corpus made by the shared tool from the pages of ``sources``
    that ``rule`` keeps."""
    pages = folder / f"{name}-pages.jsonl"
    if not pages.exists():
        with open(pages, "w", encoding="utf-8") as out:
            for source in sources:
                with gzip.open(DATA / source, "rt", encoding="utf-8") as handle:
                    for line in handle:
                        if _keep_page(json.loads(line), rule):
                            out.write(line)
    corpus = folder / f"synd-{name}-{seed}.jsonl"
    subprocess.run([sys.executable, str(TOOL), str(pages), str(corpus), str(seed)], check=True, capture_output=True)
    return corpus


def _pairs(labels: dict[str, str]) -> set[tuple[str, str]]:
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for doc, label in labels.items():
        groups[label].append(doc)
    return {tuple(sorted(p)) for members in groups.values() for p in itertools.combinations(members, 2)}


def _pair_scores(gold: set[tuple[str, str]], found: set[tuple[str, str]], prefix: str) -> dict[str, float]:
    hit = len(gold & found)
    precision = hit / len(found) if found else 0.0
    recall = hit / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hit else 0.0
    return {f"{prefix}_precision": round(precision, 4), f"{prefix}_recall": round(recall, 4), f"{prefix}_f1": round(f1, 4)}


def _one_article(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Each cluster label mapped to one label per article: the labelled sets hold some articles
    on two pages (one story at two addresses), which the tool labels as two clusters, so copies
    of the one count as false positives of the other. Clusters whose source pages' gold bodies
    have a word 5-gram Jaccard similarity of at least THRESHOLD are joined (transitively)."""
    from neardup.text import shingles_batch

    sources = sorted((str(r["cluster"]), str(r["body_text"])) for r in rows if r["kind"] == "original")
    sets = shingles_batch([body for _, body in sources], distinct=True)
    shingled = [set(sets.document(k).tolist()) for k in range(len(sources))]
    holders: defaultdict[int, list[int]] = defaultdict(list)
    for k, shingle_set in enumerate(shingled):
        for h in shingle_set:
            holders[h].append(k)
    parent = list(range(len(sources)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    checked: set[tuple[int, int]] = set()
    # A shingle on many bodies (boilerplate of a documentation set) pairs them all: pairs are
    # found through their rarer shingles, of which a pair this similar shares many.
    for members in (m for m in holders.values() if len(m) <= ONE_ARTICLE_MAX_HOLDERS):
        for a, b in itertools.combinations(members, 2):
            if (a, b) in checked:
                continue
            checked.add((a, b))
            union = len(shingled[a] | shingled[b])
            if union and len(shingled[a] & shingled[b]) / union >= THRESHOLD:
                parent[find(a)] = find(b)
    label = {cluster: sources[find(k)][0] for k, (cluster, _) in enumerate(sources)}
    return {str(r["cluster"]): label.get(str(r["cluster"]), str(r["cluster"])) for r in rows}


def _article_unkept(rows: list[dict[str, Any]], decisions: dict[str, dict[str, Any]], kept_texts: dict[str, str]) -> float | None:
    """The share of the dropped pages' article shingles (their gold bodies, distinct word
    5-grams) that the cleaned text of the document each was dropped for lacks: article text
    that leaves the output with the drop (edited copies lose a little by their edits)."""
    from neardup.text import shingles_batch

    dropped = [r for r in rows if decisions[str(r["id"])]["action"] == "dropped"]
    if not dropped:
        return None
    bodies = shingles_batch([str(r["body_text"]) for r in dropped], distinct=True)
    kept = shingles_batch([kept_texts.get(str(decisions[str(r["id"])]["duplicate_of"]), "") for r in dropped], distinct=True)
    lost = total = 0
    for k in range(len(dropped)):
        body = bodies.document(k)
        total += len(body)
        lost += int(np.count_nonzero(~np.isin(body, kept.document(k))))
    return round(lost / total, 4) if total else None


def _quality(name: str, rows: list[dict[str, Any]], decisions: dict[str, dict[str, Any]], kept_texts: dict[str, str]) -> dict[str, Any]:
    root = {i: d["duplicate_of"] or i for i, d in decisions.items()}
    unverified = sum(
        1
        for d in decisions.values()
        if d["action"] == "dropped" and (d["score"] < THRESHOLD or decisions[d["duplicate_of"]]["action"] not in ("kept", "changed"))
    )
    quality: dict[str, Any] = {"unverified_drops": unverified}
    if rows and "cluster" in rows[0]:
        found = _pairs({str(r["id"]): root[str(r["id"])] for r in rows})
        quality.update(_pair_scores(_pairs({str(r["id"]): str(r["cluster"]) for r in rows}), found, "pair"))
        if all("body_text" in r and "kind" in r for r in rows):
            quality["dropped_article_unkept"] = _article_unkept(rows, decisions, kept_texts)
            article = _one_article(rows)
            quality.update(_pair_scores(_pairs({str(r["id"]): article[str(r["cluster"])] for r in rows}), found, "one_article"))
    if name == "bench-22k":
        planted = [(str(r["id"]), str(r["dup_of"])) for r in rows if r.get("dup_of") is not None and str(r["dup_of"]) in root]
        found = sum(1 for copy, source in planted if root[copy] == root[source])
        not_both = sum(1 for copy, source in planted if "dropped" in (decisions[copy]["action"], decisions[source]["action"]))
        quality.update(
            planted_recall=round(found / len(planted), 4) if planted else None,
            planted_not_both_kept=round(not_both / len(planted), 4) if planted else None,
            planted=len(planted),
        )
    return quality


def _child(name: str, path: str, limit: int | None, extra: dict[str, Any], options: dict[str, Any], conn) -> None:
    try:
        from neardup.io import RecordReader
        from neardup.pipeline import CleanOptions, clean

        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            lines = [line for _, line in zip(range(limit) if limit else itertools.count(), handle)]
        rows = [json.loads(line) for line in lines]
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "input.jsonl"
            source.write_text("".join(lines), encoding="utf-8")
            started = time.perf_counter()
            summary = clean(RecordReader([str(source)]), Path(tmp) / "out", CleanOptions(**options))
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000
            kept_texts = {}
            with open(Path(tmp) / "out" / "documents.jsonl", encoding="utf-8") as handle:
                for line in handle:
                    row = json.loads(line)
                    kept_texts[str(row["id"])] = row["text"]
            decisions = {}
            with open(Path(tmp) / "out" / "decisions.jsonl", encoding="utf-8") as handle:
                for line in handle:
                    row = json.loads(line)
                    # Ids keep their JSON type in decisions.jsonl (1 and "1" differ); the labels
                    # are compared as text.
                    row["id"] = str(row["id"])
                    row["duplicate_of"] = None if row["duplicate_of"] is None else str(row["duplicate_of"])
                    decisions[row["id"]] = row
        nbytes = sum(len(str(r.get("text", "")).encode("utf-8")) for r in rows)
        import neardup

        conn.send(
            {
                "benchmark": f"clean/{name}",
                "implementation": f"neardup clean ({neardup.backend()})",
                **extra,
                "min_evidence": CleanOptions(**options).min_evidence,
                "chrome_params": options.get("chrome_params", {}),
                "docs": len(rows),
                "mb": round(nbytes / 1e6, 3),
                "seconds": round(seconds, 3),
                "docs_per_s": round(len(rows) / seconds, 1),
                "mb_per_s": round(nbytes / 1e6 / seconds, 2),
                "peak_rss_mb": round(peak, 1),
                "dropped": summary["dropped"],
                "changed": summary["changed"],
                "subset": bool(limit),
                **_quality(name, rows, decisions, kept_texts),
            }
        )
    except BaseException as error:  # reported as a row, the parent goes on
        conn.send({"benchmark": f"clean/{name}", "implementation": "neardup clean", "error": repr(error)})


def _jobs(folder: Path, only: set[str] | None, role: str | None) -> list[tuple[str, str | None, int | None, dict[str, Any]]]:
    jobs: list[tuple[str, str | None, int | None, dict[str, Any]]] = []
    for name, filename, limit in CORPORA:
        if (only is None or name in only) and (role is None or (role == "choose" and name == "syndication")):
            path = DATA / filename
            extra = {"role": "choose"} if name == "syndication" else {}
            jobs.append((name, str(path) if path.exists() else None, limit, extra))
    for name, corpus_role, sources, rule in BUILT:
        for seed in SEEDS:
            label = f"syndication-{name}-{seed}"
            if only is not None and label not in only and f"syndication-{name}" not in only:
                continue
            if role is not None and corpus_role != role:
                continue
            if not TOOL.exists() or not all((DATA / s).exists() for s in sources):
                jobs.append((label, None, None, {}))
                continue
            jobs.append((label, str(build_syndication(name, sources, rule, seed, folder)), None, {"role": corpus_role, "seed": seed}))
    return jobs


def run(quick: bool, only: set[str] | None = None, role: str | None = None, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of the corpora chosen; ``options`` are CleanOptions' (default: the command line's)."""
    context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, path, limit, extra in _jobs(Path(folder), only, role):
            if path is None:
                rows.append({"benchmark": f"clean/{name}", "implementation": "neardup clean", "error": f"missing data for {name} under {DATA}"})
                continue
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(name, path, limit if quick else None, extra, options or {}, send))
            child.start()
            rows.append(receive.recv())
            child.join()
    return rows


def _names() -> set[str]:
    """The names --only accepts: the corpora, the built ones with and without their seed."""
    names = {name for name, _, _ in CORPORA}
    for name, _, _, _ in BUILT:
        names |= {f"syndication-{name}"} | {f"syndication-{name}-{seed}" for seed in SEEDS}
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     allow_abbrev=False)
    parser.add_argument("--quick", action="store_true", help="the first rows of the corpora that have a limit")
    parser.add_argument("--only", metavar="NAME[,NAME...]",
                        help="only these corpora (comma-separated; a built corpus with or without its seed)")
    parser.add_argument("--role", choices=["choose", "report"], help="only the corpora of this role")
    parser.add_argument("--min-evidence", type=int, metavar="N", help="CleanOptions.min_evidence (default: its own)")
    parser.add_argument("--chrome-params", metavar="PARAMS.json",
                        help="chrome parameters file (neardup.chrome.save_params' format; default: the package's)")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    # A misspelt name would otherwise select nothing and report success.
    known = _names()
    if only and only - known:
        parser.error(f"--only: no such corpus: {', '.join(sorted(only - known))} (there are {', '.join(sorted(known))})")
    options: dict[str, Any] = {} if args.min_evidence is None else {"min_evidence": args.min_evidence}
    if args.chrome_params:
        from neardup.chrome import load_params

        options["chrome_params"] = load_params(args.chrome_params)
    rows = run(args.quick, only, args.role, options)
    for row in rows:
        print(json.dumps(row))
    chosen = [row for row in rows if row.get("role") == "choose" and "pair_f1" in row]
    if chosen:
        mean = {"choose_corpora": len(chosen), "mean_pair_f1": round(sum(r["pair_f1"] for r in chosen) / len(chosen), 4)}
        joined = [r["one_article_f1"] for r in chosen if "one_article_f1" in r]
        if joined:
            mean["mean_one_article_f1"] = round(sum(joined) / len(joined), 4)
        print(json.dumps(mean))
    return 1 if any("error" in row for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
