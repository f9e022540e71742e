"""Same input, same output: for any thread count (1, 2, 8), batch size (the ``clean`` job's
``batch_size`` and chunked batch calls) and backend (the Rust core and the pure-Python
reference), byte for byte: MinHash signatures, saved chrome models, strip results,
find_duplicates' clusters and decisions, and every file ``neardup clean`` writes.

The one field that may differ is ``summary.json``'s ``seconds`` (the run's wall time), plus
the fields that state the run's own settings: ``options.num_threads``, ``options.batch_size``
and, between backends, ``backend`` (also shown in report.html, which is therefore compared
between thread counts and batch sizes, not between backends).

The corpus: the syndication set (real news pages with chrome and edited copies), the first
BBC articles (natural exact duplicates among them), the seed pages and exact copies of one.
The other backend runs in a subprocess (``NEARDUP_BACKEND``), this file as its script.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import contained_corpus
import fragment_corpus

# Compares the backends itself (the other one in a subprocess), so one pass is enough: `make test`
# runs it once, in the Rust pass (under the reference alone the cross-backend test skips).
pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SEEDS = ROOT.parent / "shared" / "seeds"
BBC_ARTICLES = 120
SEED_COPIES = 8
# Small batches put chunk boundaries all through the corpus.
SMALL_BATCH = 7


def write_corpus(path: Path) -> None:
    rows = []
    with gzip.open(DATA / "dups-syndication-cleanportaleval.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows += [{"id": r["id"], "text": r["text"], "site": r["site"]} for r in map(json.loads, handle)]
    with gzip.open(DATA / "dups-bbc-news.jsonl.gz", "rt", encoding="utf-8") as handle:
        for k, line in zip(range(BBC_ARTICLES), handle):
            row = json.loads(line)
            rows.append({"id": f"bbc-{k}", "text": row["text"], "site": "bbc.co.uk"})
    seeds = sorted(SEEDS.glob("*.txt"))
    rows += [{"id": p.stem, "text": p.read_text(encoding="utf-8")} for p in seeds]
    rows += [{"id": f"copy-{k}", "text": seeds[1].read_text(encoding="utf-8")} for k in range(SEED_COPIES)]
    # Short texts inside long pages (found by the anchors), with copies of the pages.
    contained = path.parent / "contained.jsonl"
    contained_corpus.write(contained)
    rows += [{"id": f"contained-{r['id']}", "text": r["text"]} for r in map(json.loads, contained.read_text(encoding="utf-8").splitlines())]
    # Pages sharing a fragment, which waits to be taken by the first page.
    rows += [{"id": f"fragment-{id_}", "text": text} for id_, text in fragment_corpus.texts().items()]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _chunks(items: list, size: int) -> list[list]:
    return [items[k : k + size] for k in range(0, len(items), size)]


def artifacts(corpus: Path, out: Path, threads: int, batch_size: int) -> dict[str, bytes]:
    """Every output compared, as bytes, computed with the active backend."""
    import neardup
    from neardup.chrome import ChromeModel
    from neardup.io import RecordReader
    from neardup.pipeline import CleanOptions, clean
    from neardup.pipeline.learn import site_key_of

    records = list(RecordReader([str(corpus)]))
    texts = [r.text for r in records]
    sites = [site_key_of(r) for r in records]
    found: dict[str, bytes] = {}

    whole = neardup.minhash(texts, num_threads=threads).values
    chunked = np.concatenate([neardup.minhash(c, num_threads=threads).values for c in _chunks(texts, batch_size)])
    found["signatures"] = whole.astype("<u8").tobytes()
    found["signatures, chunked"] = chunked.astype("<u8").tobytes()

    model = ChromeModel()
    for text_chunk, site_chunk in zip(_chunks(texts, batch_size), _chunks(sites, batch_size)):
        model.update(text_chunk, site_chunk, num_threads=threads)
    model.save(out / "chrome.json")
    found["chrome model"] = (out / "chrome.json").read_bytes()
    stripped = [
        result
        for text_chunk, site_chunk in zip(_chunks(texts, batch_size), _chunks(sites, batch_size))
        for result in model.strip_batch(text_chunk, site_chunk, num_threads=threads)
    ]
    found["strip"] = json.dumps([[r.text, [list(x) for x in r.removed]] for r in stripped], ensure_ascii=False).encode()

    duplicates = neardup.find_duplicates(texts, num_threads=threads)
    found["find_duplicates"] = json.dumps(
        {
            "clusters": [dataclasses.asdict(c) for c in duplicates.clusters],
            "decisions": [dataclasses.asdict(d) for d in duplicates.decisions],
            "pairs": [dataclasses.asdict(p) for p in duplicates.pairs],
        }
    ).encode()

    clean(RecordReader([str(corpus)]), out / "clean", CleanOptions(num_threads=threads, batch_size=batch_size))
    for name in ("decisions.jsonl", "documents.jsonl", "report.html"):
        found[f"clean/{name}"] = (out / "clean" / name).read_bytes()
    summary = json.loads((out / "clean" / "summary.json").read_text(encoding="utf-8"))
    del summary["seconds"], summary["stages"], summary["options"]["num_threads"], summary["options"]["batch_size"]
    found["clean/summary.json"] = json.dumps(summary, sort_keys=True).encode()
    return found


def _compare(mine: dict[str, bytes], theirs: dict[str, bytes], what: str) -> None:
    assert sorted(mine) == sorted(theirs)
    differ = [name for name in mine if mine[name] != theirs[name]]
    assert not differ, f"{what}: {', '.join(differ)} differ"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    if not (DATA / "dups-syndication-cleanportaleval.jsonl.gz").exists() or not (DATA / "dups-bbc-news.jsonl.gz").exists():
        pytest.skip(f"evaluation data not found at {DATA}")
    if not SEEDS.is_dir():
        pytest.skip(f"seed pages not found at {SEEDS}")
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    write_corpus(path)
    return path


@pytest.fixture(scope="module")
def baseline(corpus, tmp_path_factory) -> dict[str, bytes]:
    found = artifacts(corpus, tmp_path_factory.mktemp("threads-1"), threads=1, batch_size=512)
    assert found["signatures"] == found["signatures, chunked"]
    decisions = [json.loads(line) for line in found["clean/decisions.jsonl"].splitlines()]
    actions = {d["action"] for d in decisions}
    # The corpus exercises every kind of decision but skipped, and exact copies.
    assert {"kept", "changed", "dropped"} <= actions
    assert sum(1 for d in decisions if d["duplicate_of"] == "001_8e202cad1f10918f") >= SEED_COPIES
    assert sum(1 for d in decisions if d["duplicate_of"] == "contained-note") == 24
    return found


@pytest.mark.parametrize(("threads", "batch_size"), [(2, 512), (8, 512), (2, SMALL_BATCH)])
def test_same_outputs_for_any_thread_count_and_batch_size(corpus, baseline, tmp_path, threads, batch_size):
    import neardup

    if neardup.backend() == "python" and batch_size == 512:
        # The reference computes on one thread whatever num_threads says; the core's threads
        # are checked on the Rust backend, and the reference is compared with the core below.
        pytest.skip("the pure-Python reference runs on one thread")
    _compare(artifacts(corpus, tmp_path, threads, batch_size), baseline, f"{threads} threads, batches of {batch_size}")


def _other_backend() -> str:
    import neardup

    return "python" if neardup.backend() == "rust" else "rust"


def test_same_outputs_on_the_other_backend(corpus, baseline, tmp_path):
    import neardup

    other = _other_backend()
    env = {**os.environ, "NEARDUP_BACKEND": other}
    result = subprocess.run(
        [sys.executable, __file__, str(corpus), str(tmp_path)], env=env, capture_output=True, text=True, timeout=600
    )
    if other == "rust" and "compiled core neardup._core is not importable" in result.stderr:
        pytest.skip("the compiled core is not built")
    assert result.returncode == 0, result.stderr[-3000:]
    theirs = {name: bytes.fromhex(value) for name, value in json.loads((tmp_path / "artifacts.json").read_text()).items()}
    mine = dict(baseline)
    for found, backend in ((mine, neardup.backend()), (theirs, other)):
        summary = json.loads(found["clean/summary.json"])
        assert summary.pop("backend") == backend
        found["clean/summary.json"] = json.dumps(summary, sort_keys=True).encode()
        del found["clean/report.html"]
    _compare(mine, theirs, f"{neardup.backend()} and {other} backends")


if __name__ == "__main__":
    # The other backend's side of test_same_outputs_on_the_other_backend.
    corpus_path, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    with tempfile.TemporaryDirectory() as scratch:
        outputs = artifacts(corpus_path, Path(scratch), threads=1, batch_size=512)
    (out_dir / "artifacts.json").write_text(json.dumps({name: value.hex() for name, value in outputs.items()}))
