"""Scaling: time and peak memory against document size and against the number of copies.

    python benches/scaling_bench.py                     # sizes 1-256 MB, 1-100,000 copies
    python benches/scaling_bench.py --huge              # adds the 500 MB documents (minutes)
    python benches/scaling_bench.py --quick             # sizes 1-8 MB, 1-1,000 copies
    python benches/scaling_bench.py --series copies --json /tmp/scaling.json

Two families of series, each point measured in a child process of its own (multiprocessing
"forkserver", so that ru_maxrss is that point's peak):

* size: one document of N MB (10^6 characters, ASCII) through each stage of the job:
  ``minhash`` (normalise, tokenise, word 5-gram shingles, MinHash: ``neardup.minhash``),
  ``repeats`` (``neardup.find_repeats``), ``chrome`` (``ChromeModel.update`` then ``strip``),
  ``align`` (the document against its second half, as a refined pair or a wrap check would;
  up to 64 MB: it holds about 50 bytes per character) and ``clean`` (``neardup.pipeline.clean`` end to end on a JSONL
  file holding the document and the five seed pages, limits raised to let it through).
  Shapes: ``one-line`` (random words of the seed pages' vocabulary, no line break at all),
  ``lines`` (the same words, 60 to a line) and ``repeated`` (seed page 000 over and over: a
  million identical lines at 500 MB, the in-page repeats' worst case).
* copies: k identical copies of seed page 001 through ``neardup.find_duplicates`` (texts) and
  ``neardup clean`` (JSONL, no site; and all on one site, where chrome learning sees one line
  on every page).

Each row has ``cpu_s`` (process CPU time of the stage, all threads: robust on a loaded machine),
``wall_s``, ``peak_rss_mb`` (the child's peak, input included) and ``input_rss_mb`` (the child's
peak before the stage: the input alone). A summary row per series gives ``exponent``: the slope of
log(cpu_s) against log(size or copies), least squares over the points of at least 0.05 s CPU
(smaller ones are start-up cost), so that "near-linear" is a number (1.0 is linear, 2.0
quadratic).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"

SIZES_MB = [1, 4, 16, 64, 256]
QUICK_SIZES_MB = [1, 2, 4, 8]
HUGE_MB = 500
ALIGN_MAX_MB = 64
COPIES = [1, 10, 100, 1_000, 10_000, 100_000]
QUICK_COPIES = [1, 10, 100, 1_000]
SHAPES = ["one-line", "lines", "repeated"]
STAGES = ["minhash", "repeats", "chrome", "align", "clean"]
COPY_SERIES = ("find_duplicates", "clean (no site)", "clean (one site)")
#: Points below this CPU time are mostly start-up cost: left out of the fitted exponent.
FIT_FROM_S = 0.05


def _seed_pages() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def make_document(shape: str, chars: int) -> str:
    """A deterministic ASCII document of ``chars`` characters of the given shape."""
    import numpy as np

    pages = _seed_pages()
    if shape == "repeated":
        page = pages[0].encode("ascii", "ignore").decode() + "\n"
        return (page * (chars // len(page) + 1))[:chars]
    vocabulary = np.array(sorted({w for p in pages for w in p.encode("ascii", "ignore").decode().split()}))
    rng = np.random.default_rng(7)
    parts, total = [], 0
    separator = "\n" if shape == "lines" else " "
    while total < chars:
        words = vocabulary[rng.integers(0, len(vocabulary), 60_000)].tolist()
        chunk = separator.join(" ".join(words[i : i + 60]) for i in range(0, len(words), 60)) + separator
        parts.append(chunk)
        total += len(chunk)
    return "".join(parts)[:chars]


def _run_module():
    """benches/run.py, for its child-process and peak-RSS helpers and its build label."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    import run

    return run


def _peak_mb() -> float:
    return _run_module()._peak_rss_mb()


def _run_size(shape: str, mb: float, stage: str) -> dict[str, Any]:
    import neardup
    from neardup.chrome import ChromeModel

    chars = int(mb * 1_000_000)
    text = make_document(shape, chars)
    work: Any
    if stage == "minhash":
        def work() -> Any:
            return neardup.minhash([text], num_threads=1)
    elif stage == "repeats":
        def work() -> Any:
            return neardup.find_repeats(text)
    elif stage == "chrome":
        def work() -> Any:
            model = ChromeModel().update([text], ["example.org"], num_threads=1)
            return model.strip(text, "example.org")
    elif stage == "align":
        half = text[len(text) // 2 :]

        def work() -> Any:
            return neardup.align(text, half)
    else:
        return _run_clean_size(text, chars)
    before = _peak_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall, "input_rss_mb": before, "peak_rss_mb": _peak_mb()}


def _run_clean_size(text: str, chars: int) -> dict[str, Any]:
    from neardup.io import RecordReader
    from neardup.pipeline import clean

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "input.jsonl"
        with open(source, "w", encoding="utf-8") as handle:
            for k, page in enumerate(_seed_pages()):
                handle.write(json.dumps({"id": f"seed{k}", "text": page, "site": "example.org"}) + "\n")
            handle.write(json.dumps({"id": "big", "text": text, "site": "example.org"}) + "\n")
        del text
        before = _peak_mb()
        cpu, wall = time.process_time(), time.perf_counter()
        reader = RecordReader([str(source)], max_chars=chars + 1, max_line_chars=chars + 1)
        summary = clean(reader, Path(tmp) / "out")
        result = {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall, "input_rss_mb": before, "peak_rss_mb": _peak_mb()}
    result["decisions"] = {k: summary[k] for k in ("kept", "changed", "dropped", "skipped")}
    return result


def _run_copies(series: str, copies: int) -> dict[str, Any]:
    import neardup
    from neardup.io import RecordReader
    from neardup.pipeline import clean

    page = _seed_pages()[1]
    if series == "find_duplicates":
        texts = [page] * copies
        before = _peak_mb()
        cpu, wall = time.process_time(), time.perf_counter()
        found = neardup.find_duplicates(texts)
        result = {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall, "input_rss_mb": before, "peak_rss_mb": _peak_mb()}
        result.update(dropped=len(found.dropped), compared_pairs=found.num_candidates)
        return result
    site = "example.org" if series == "clean (one site)" else None
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "input.jsonl"
        with open(source, "w", encoding="utf-8") as handle:
            for k in range(copies):
                handle.write(json.dumps({"id": f"copy{k}", "text": page, "site": site}) + "\n")
        before = _peak_mb()
        cpu, wall = time.process_time(), time.perf_counter()
        summary = clean(RecordReader([str(source)]), Path(tmp) / "out")
        result = {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall, "input_rss_mb": before, "peak_rss_mb": _peak_mb()}
    result["decisions"] = {k: summary[k] for k in ("kept", "changed", "dropped", "skipped")}
    return result


def _child(kind: str, args: tuple, conn) -> None:
    try:
        conn.send(("ok", _run_size(*args) if kind == "size" else _run_copies(*args)))
    except BaseException as error:  # reported as a row, the parent goes on
        conn.send(("error", repr(error)))


def _measure(kind: str, args: tuple) -> dict[str, Any]:
    status, payload = _run_module()._in_child(_child, (kind, args), f"scaling {kind} {args}")
    row = payload if status == "ok" else {"error": payload}
    for key in ("cpu_s", "wall_s"):
        if key in row:
            row[key] = round(row[key], 3)
    for key in ("peak_rss_mb", "input_rss_mb"):
        if key in row:
            row[key] = round(row[key], 1)
    return row


def exponent(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(time) against log(x) over the points of at least
    FIT_FROM_S seconds (None with fewer than two)."""
    used = [(math.log(x), math.log(t)) for x, t in points if t >= FIT_FROM_S and x > 0]
    if len(used) < 2:
        return None
    mean_x = sum(x for x, _ in used) / len(used)
    mean_y = sum(y for _, y in used) / len(used)
    spread = sum((x - mean_x) ** 2 for x, _ in used)
    return round(sum((x - mean_x) * (y - mean_y) for x, y in used) / spread, 3) if spread else None


def run(
    quick: bool,
    huge: bool = False,
    series: tuple[str, ...] = ("size", "copies"),
    progress: bool = False,
    sizes: list[float] | None = None,
    copies_list: list[int] | None = None,
) -> list[dict[str, Any]]:
    import neardup

    build = _build_kind()
    base = {"suite": "scaling", "backend": neardup.backend(), "rust_build": build}
    rows: list[dict[str, Any]] = []

    def record(name: str, x_name: str, points: list[tuple[float, dict[str, Any]]]) -> None:
        for x, row in points:
            rows.append({**base, "benchmark": f"scaling/{name}", x_name: x, **row})
        timed = [(x, row["cpu_s"]) for x, row in points if "cpu_s" in row]
        rows.append({**base, "benchmark": f"scaling/{name}", "fit": f"log cpu_s ~ log {x_name}", "exponent": exponent(timed),
                     "points": len(timed), "fitted_points": sum(1 for _, t in timed if t >= FIT_FROM_S)})

    if "size" in series:
        sizes = sizes or (QUICK_SIZES_MB if quick else SIZES_MB + ([HUGE_MB] if huge else []))
        for shape in SHAPES:
            for stage in STAGES:
                points = []
                for mb in sizes:
                    if stage == "align" and mb > ALIGN_MAX_MB:
                        continue
                    if progress:
                        print(f"  size {shape} {stage} {mb} MB ...", file=sys.stderr, flush=True)
                    points.append((mb, _measure("size", (shape, mb, stage))))
                record(f"size/{shape}/{stage}", "mb", points)
    if "copies" in series:
        for name in COPY_SERIES:
            points = []
            for copies in copies_list or (QUICK_COPIES if quick else COPIES):
                if progress:
                    print(f"  copies {name} {copies} ...", file=sys.stderr, flush=True)
                points.append((copies, _measure("copies", (name, copies))))
            record(f"copies/{name}", "copies", points)
    return rows


def _build_kind() -> str:
    """``release`` or ``debug`` (the quick test build: timings labelled as such)."""
    return _run_module().rust_build()


def merge(row_lists: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Points of several runs as one set of series (a later run's point replaces an earlier
    one's at the same size or count), with the exponents fitted again over all of them."""
    points: dict[str, dict[float, dict[str, Any]]] = {}
    base: dict[str, Any] = {}
    for rows in row_lists:
        for row in rows:
            if "fit" in row:
                continue
            base = {k: row[k] for k in ("suite", "backend", "rust_build") if k in row}
            x = row.get("mb", row.get("copies"))
            points.setdefault(row["benchmark"], {})[x] = row
    merged: list[dict[str, Any]] = []
    for name, by_x in points.items():
        ordered = [by_x[x] for x in sorted(by_x)]
        merged += ordered
        x_name = "mb" if "mb" in ordered[0] else "copies"
        timed = [(row[x_name], row["cpu_s"]) for row in ordered if "cpu_s" in row]
        merged.append({**base, "benchmark": name, "fit": f"log cpu_s ~ log {x_name}", "exponent": exponent(timed),
                       "points": len(timed), "fitted_points": sum(1 for _, t in timed if t >= FIT_FROM_S)})
    return merged


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table: one line per series, one column per point (CPU seconds,
    peak RSS in MB), then the fitted exponent."""
    series: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = series.setdefault(row["benchmark"], {"points": [], "exponent": None})
        if "fit" in row:
            entry["exponent"] = row["exponent"]
        else:
            x = row.get("mb", row.get("copies"))
            cell = f"error: {row['error']}" if "error" in row else f"{row['cpu_s']:.3g} s / {row['peak_rss_mb']:.0f} MB"
            entry["points"].append((x, cell))
    lines = ["| series | " + " | ".join(["points (x: CPU s / peak RSS)", "exponent"]) + " |", "|---|---|---|"]
    for name, entry in series.items():
        cells = "; ".join(f"{x:g}: {cell}" for x, cell in entry["points"])
        lines.append(f"| {name.removeprefix('scaling/')} | {cells} | {entry['exponent'] if entry['exponent'] is not None else '-'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes 1-8 MB and 1-1,000 copies")
    parser.add_argument("--huge", action="store_true", help=f"add the {HUGE_MB} MB documents")
    parser.add_argument("--sizes", help="document sizes in MB, comma-separated (instead of the default list)")
    parser.add_argument("--copies", help="numbers of copies, comma-separated (instead of the default list)")
    parser.add_argument("--stages", help=f"only these stages of the size series (of {', '.join(STAGES)})")
    parser.add_argument("--shapes", help=f"only these document shapes (of {', '.join(SHAPES)})")
    parser.add_argument("--series", default="size,copies", help="size, copies or both (default: size,copies)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the rows as a JSON list here")
    parser.add_argument("--merge", nargs="+", type=Path, metavar="JSON", help="print the table of earlier runs' --json files (later files win) instead of measuring")
    args = parser.parse_args(argv)
    if args.merge:
        rows = merge([json.loads(path.read_text()) for path in args.merge])
        print(table(rows))
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1) + "\n")
        return 0
    if args.stages:
        STAGES[:] = args.stages.split(",")
    if args.shapes:
        SHAPES[:] = args.shapes.split(",")
    rows = run(
        args.quick,
        args.huge,
        tuple(args.series.split(",")),
        progress=True,
        sizes=[float(x) for x in args.sizes.split(",")] if args.sizes else None,
        copies_list=[int(x) for x in args.copies.split(",")] if args.copies else None,
    )
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 1 if any("error" in row for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
