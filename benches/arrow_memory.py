"""Memory of `neardup.clean_table` over a Hugging Face dataset against `neardup clean` on the
same JSONL: peak anonymous and file-backed memory (sampled from /proc/self/status every 20 ms)
and peak RSS, wall and user CPU time, and whether the decisions are the same file.

    .venv/bin/python benches/arrow_memory.py                  # ../shared/data/bench-corpus-22k.jsonl.gz
    .venv/bin/python benches/arrow_memory.py --limit 2000     # its first 2,000 documents

Three runs, each in a process of its own: `neardup clean` on the JSONL; the JSONL loaded with
`datasets.Dataset.from_json` and saved with `save_to_disk` beforehand (not measured), then
`datasets.load_from_disk` and `neardup.clean_table(dataset, out)`; and the same Arrow file
memory-mapped with pyarrow alone (no `datasets` import) and `neardup.clean_table(table, out)`.
Needs the `hf` extra (datasets). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import filecmp
import gzip
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The measured part of each run, in a child process; {out} and {data} are filled in.
SAMPLER = """
import os, sys, threading, time
os.environ["HF_DATASETS_OFFLINE"] = "1"
peak = {"RssAnon": 0, "RssFile": 0, "VmRSS": 0}
done = False
def sample():
    while not done:
        with open("/proc/self/status") as status:
            for line in status:
                key = line.split(":")[0]
                if key in peak:
                    peak[key] = max(peak[key], int(line.split()[1]))
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
"""
RUNS = {
    "neardup clean (JSONL)": """
from neardup.cli import main
main(["clean", {jsonl!r}, "-o", {out!r}])
""",
    "clean_table (datasets.Dataset)": """
import datasets, neardup
neardup.clean_table(datasets.load_from_disk({dataset!r}), {out!r})
""",
    "clean_table (pyarrow, memory-mapped)": """
import glob, pyarrow as pa, neardup
path = glob.glob(os.path.join({dataset!r}, "data-*.arrow"))[0]
neardup.clean_table(pa.ipc.open_stream(pa.memory_map(path)).read_all(), {out!r})
""",
}
REPORT = """
done = True
time.sleep(0.05)
print(" ".join(f"{key}={value // 1024}" for key, value in peak.items()))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "bench-corpus-22k.jsonl.gz")
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="neardup-arrow-memory-") as folder:
        work = Path(folder)
        jsonl = args.data
        if args.limit:
            jsonl = work / "corpus.jsonl"
            with gzip.open(args.data, "rt", encoding="utf-8") as source, open(jsonl, "w", encoding="utf-8") as target:
                for _, line in zip(range(args.limit), source):
                    target.write(line)
        dataset = work / "dataset"
        subprocess.run(
            [sys.executable, "-c", f"import datasets; datasets.Dataset.from_json({str(jsonl)!r}, cache_dir={str(work / 'hf')!r}).save_to_disk({str(dataset)!r})"],
            check=True, env={**os.environ, "HF_DATASETS_OFFLINE": "1"}, capture_output=True,
        )
        print(f"{jsonl}; load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        outputs = {}
        for name, code in RUNS.items():
            out = work / f"out-{len(outputs)}"
            script = SAMPLER + code.format(jsonl=str(jsonl), out=str(out), dataset=str(dataset)) + REPORT
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            peaks = dict(item.split("=") for item in done.stdout.split()[-3:])
            print(
                f"{name:38s} anonymous {peaks['RssAnon']:>5} MB  file-backed {peaks['RssFile']:>5} MB  RSS {peaks['VmRSS']:>5} MB  "
                f"wall {wall:5.1f} s  user CPU {after.ru_utime - before.ru_utime:5.1f} s"
            )
            outputs[name] = out / "decisions.jsonl"
        first = next(iter(outputs.values()))
        same = all(filecmp.cmp(first, other, shallow=False) for other in outputs.values())
        print(f"decisions.jsonl the same in all three: {same}; load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
