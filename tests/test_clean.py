"""`neardup clean` end to end: every input record accounted for, the seeds, bad input, outputs."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neardup import find_duplicates
from neardup.cli import main
from neardup.io import InputError, RecordReader
from neardup.io.errors import OutputError
from neardup.pipeline import CleanOptions, clean
from neardup.pipeline.decide import moved_into_one, pair_chunks, template_instances
from neardup.pipeline.read import read_ahead
from neardup.pipeline.state import Doc, DocTable, RowBlocks, SpooledTexts, TextSpool, doc_column

import contained_corpus
import fragment_corpus
import noisy_copy_corpus
import own_text_corpus
import template_corpus

# The job's accounting, inputs and outputs are Python code; that both backends give the same
# files byte for byte is test_determinism's check: `make test` runs these once.
pytestmark = pytest.mark.backend_independent

REPO = Path(__file__).resolve().parent.parent


def decisions(outdir: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in (outdir / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len({r["id"] for r in rows})
    return {r["id"]: r for r in rows}


def test_seeds(seeds_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["clean", str(seeds_dir), "-o", str(out)]) == 0
    rows = decisions(out)
    ids = sorted(p.stem for p in seeds_dir.glob("*.txt"))
    assert sorted(rows) == ids
    by_prefix = {i[:3]: rows[i] for i in ids}
    # 000 (the article inside a .mil site's chrome) and 001 (the article) are one cluster.
    pair = [by_prefix["000"], by_prefix["001"]]
    dropped = [r for r in pair if r["action"] == "dropped"]
    assert len(dropped) == 1 and dropped[0]["duplicate_of"] in (ids[0], ids[1])
    assert dropped[0]["duplicate_of"] != dropped[0]["id"] and dropped[0]["score"] >= 0.8
    # 000's chrome is reported as removed spans of 000, or removed from it if 000 is kept.
    text000 = (seeds_dir / f"{ids[0]}.txt").read_text(encoding="utf-8")
    chrome_spans = [(s, e) for s, e, why in by_prefix["000"]["removed"] if not why.startswith("duplicate")]
    for line in ["An official website of the United States government", "Home : Media : News : News Article View", "CONNECT WITH USINDOPACOM", "IN THE USINDOPACOM NEWS", "U.S. Indo-Pacific Commander Travels to Japan"]:
        at = text000.index(line)
        assert any(s <= at and at + len(line) <= e for s, e in chrome_spans), line
    # and none of the article is reported as chrome
    article = "On the initial overseas stop of his first Asia-Pacific trip as defense secretary"
    at = text000.index(article)
    assert not any(s <= at < e for s, e in chrome_spans)
    # 002 carries its body twice: changed, the second copy removed, nothing else.
    text002 = (seeds_dir / f"{ids[2]}.txt").read_text(encoding="utf-8")
    row002 = by_prefix["002"]
    assert row002["action"] == "changed"
    repeats = [(s, e) for s, e, why in row002["removed"] if why == "repeat"]
    assert len(repeats) == 1
    lines = text002.split("\n")
    second_copy = text002.index(lines[1], text002.index(lines[1]) + 1)
    start, end = repeats[0]
    assert start == second_copy
    assert text002[start:end].rstrip("\n").split("\n") == lines[12:23]
    assert all(why == "repeat" for _, _, why in row002["removed"])
    for prefix in ("003", "004"):
        assert by_prefix[prefix]["action"] in ("kept", "changed")
    kept = [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(d["id"] for d in kept) == sorted(r["id"] for r in rows.values() if r["action"] != "dropped")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["documents"] == 5 and summary["dropped"] == 1 and summary["clusters"] == 1
    # Each stage's time, in the order the job runs them, within the run's own.
    assert list(summary["stages"]) == ["learn", "sign", "decide", "write"]
    assert all(t["seconds"] >= 0 and t["cpu_seconds"] >= 0 for t in summary["stages"].values())
    assert sum(t["seconds"] for t in summary["stages"].values()) <= summary["seconds"] + 0.01
    if sys.platform == "linux":
        peaks = [t["peak_rss_mb"] for t in summary["stages"].values()]
        assert 0 < peaks[0] and peaks == sorted(peaks)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "http://" not in page and "https://www" not in page.split("<body>")[0]
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert "5 documents" in capsys.readouterr().out


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def corpus_lines() -> list[str]:
    article = " ".join(f"Sentence {i} of the story about the harbour bridge and its long history." for i in range(30))
    other = " ".join(f"An unrelated report number {i} on the weather in the valley this week." for i in range(30))
    return [
        json.dumps({"id": "a", "text": article, "site": "one.example", "extra": 1}),
        json.dumps({"id": "b", "text": "Header\n" + article + "\nFooter", "site": "two.example"}),
        json.dumps({"id": "c", "text": other, "url": "https://three.example/x"}),
    ]


def test_bad_input_fail_and_skip(tmp_path, capsys):
    source = write_jsonl(tmp_path / "in.jsonl", corpus_lines() + ["{broken", json.dumps({"id": "t"})])
    out = tmp_path / "out"
    assert main(["clean", str(source), "-o", str(out)]) == 1
    assert "in.jsonl:4: malformed JSON" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
    assert main(["clean", str(source), "-o", str(out), "--on-error", "skip"]) == 0
    rows = decisions(out)
    assert len(rows) == 5
    assert rows["in.jsonl:4"]["action"] == "skipped" and "malformed JSON" in rows["in.jsonl:4"]["reason"]
    assert rows["t"]["action"] == "skipped" and rows["t"]["reason"] == "missing text field 'text'"
    assert {rows["a"]["action"], rows["b"]["action"]} == {"kept", "dropped"} or "dropped" in (rows["a"]["action"], rows["b"]["action"])
    kept = [json.loads(line) for line in (out / "documents.jsonl").read_text().splitlines()]
    assert all("text" in d for d in kept)
    assert any(d.get("extra") == 1 for d in kept if d["id"] == "a") or rows["a"]["action"] == "dropped"


def test_parquet_output_keeps_every_input_column(tmp_path):
    """documents.parquet has the columns of all the Parquet inputs: one that is null in the
    first thousand rows (its type was once guessed from them: the write failed), one that
    only a second file has (it was dropped)."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    def text(i: int) -> str:
        return f"document {i} " + " ".join(f"w{(i * 7919 + k * 104729) % 100003}" for k in range(30))

    first = [{"id": f"a{i}", "text": text(i), "author": None if i < 1100 else f"author {i}"} for i in range(1200)]
    second = [{"id": f"b{i}", "text": text(5000 + i), "lang": "en", "stamp": i} for i in range(3)]
    pq.write_table(pa.Table.from_pylist(first, schema=pa.schema([("id", pa.string()), ("text", pa.string()), ("author", pa.string())])),
                   tmp_path / "a.parquet")
    pq.write_table(pa.Table.from_pylist(second), tmp_path / "b.parquet")
    assert main(["clean", str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet"), "-o", str(tmp_path / "out")]) == 0
    table = pq.read_table(tmp_path / "out" / "documents.parquet")
    assert table.num_rows == 1203 and table.column_names == ["id", "text", "author", "lang", "stamp"]
    rows = {r["id"]: r for r in table.to_pylist()}
    assert rows["a1150"]["author"] == "author 1150" and rows["a3"]["author"] is None and rows["a3"]["lang"] is None
    assert rows["b2"]["lang"] == "en" and rows["b2"]["stamp"] == 2


def test_renamed_id_and_text_fields_keep_the_other_fields(tmp_path):
    """With --id-field/--text-field, kept documents are written under those names, and the
    input's own `id` and `text` fields are other fields, kept as they were."""
    row = {"doc_id": "k1", "body": "The body of the page, long enough to shingle into a few words.",
           "text": "<p>an original html version</p>", "id": 42}
    path = write_jsonl(tmp_path / "in.jsonl", [json.dumps(row)])
    assert main(["clean", str(path), "-o", str(tmp_path / "out"), "--id-field", "doc_id", "--text-field", "body"]) == 0
    kept = [json.loads(line) for line in (tmp_path / "out" / "documents.jsonl").read_text().splitlines()]
    assert kept == [row]


def test_kept_documents_keep_every_field_even_from_a_reader_without_them(tmp_path):
    """The passes that write nothing back read the records without their other fields; the
    write pass reads them with, even from a reader made with keep_extra=False."""
    row = {"id": "a", "lang": "en", "text": "The body of the page, long enough to shingle into a few words.", "tags": [1, 2.5, None]}
    path = write_jsonl(tmp_path / "in.jsonl", [json.dumps(row)])
    clean(RecordReader([str(path)], keep_extra=False), tmp_path / "out")
    kept = [json.loads(line) for line in (tmp_path / "out" / "documents.jsonl").read_text().splitlines()]
    assert kept == [row]


def test_an_input_given_twice_is_not_cleaned_twice(tmp_path, capsys):
    source = write_jsonl(tmp_path / "c1.jsonl", corpus_lines())
    out = tmp_path / "out"
    assert main(["clean", str(source), str(source), "-o", str(out)]) == 1
    assert "c1.jsonl:1: duplicate id 'a'" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
    assert main(["clean", str(source), str(source), "-o", str(out), "--on-error", "skip"]) == 0
    rows = [json.loads(line) for line in (out / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c"] * 2  # every input record has its row
    assert [r["action"] for r in rows[3:]] == ["skipped"] * 3
    assert all(r["reason"].endswith(": the same input is given twice)") for r in rows[3:])
    assert json.loads((out / "summary.json").read_text())["skipped"] == 3


def test_empty_input_and_never_overwrite(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert main(["clean", str(empty), "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "decisions.jsonl").read_text() == ""
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["documents"] == 0
    # An input inside the output folder under an output name is never overwritten.
    inside = write_jsonl(tmp_path / "out" / "decisions.jsonl", corpus_lines())
    before = inside.read_text()
    assert main(["clean", str(inside), "-o", str(tmp_path / "out")]) == 1
    assert inside.read_text() == before


def test_parquet_in_parquet_out(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in corpus_lines()]
    path = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": r["id"], "text": r["text"], "site": r.get("site")} for r in rows]), path)
    assert main(["clean", str(path), "-o", str(tmp_path / "out")]) == 0
    table = pq.read_table(tmp_path / "out" / "documents.parquet")
    assert set(table.column("id").to_pylist()) <= {"a", "b", "c"} and table.num_rows == 2
    assert len(decisions(tmp_path / "out")) == 3


def test_parquet_dates_and_bytes_with_jsonl_input_write_strict_jsonl(tmp_path):
    """Mixed input writes documents.jsonl: Parquet's timestamps, dates and bytes, and NaN from
    either input, come out as strict JSON (ISO 8601, base64, null), not a TypeError."""
    pa = pytest.importorskip("pyarrow")
    import datetime

    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in corpus_lines()]
    path = tmp_path / "in.parquet"
    table = pa.table(
        {
            "id": ["c"],
            "text": [rows[2]["text"]],
            "fetched": pa.array([datetime.datetime(2024, 5, 1, 12, 30)], pa.timestamp("us")),
            "day": pa.array([datetime.date(2024, 5, 1)], pa.date32()),
            "raw": pa.array([b"\x00\xff"], pa.binary()),
            "weight": [float("nan")],
        }
    )
    pq.write_table(table, path)
    jsonl = write_jsonl(tmp_path / "in.jsonl", [corpus_lines()[0].replace('"extra": 1', '"extra": NaN')])
    out = tmp_path / "out"
    assert main(["clean", str(path), str(jsonl), "-o", str(out)]) == 0
    lines = (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    kept = {d["id"]: d for d in (json.loads(line, parse_constant=lambda token: pytest.fail(token)) for line in lines)}
    assert {k: kept["c"][k] for k in ("fetched", "day", "raw", "weight")} == {
        "fetched": "2024-05-01T12:30:00",
        "day": "2024-05-01",
        "raw": "AP8=",
        "weight": None,
    }
    assert kept["a"]["extra"] is None


def test_a_jsonl_run_imports_neither_pyarrow_nor_tqdm(tmp_path):
    """A JSONL input, stderr not a terminal: `neardup clean` needs neither pyarrow (Parquet,
    Arrow and Spark import it, ~25 ms) nor tqdm (the progress bar, only shown on a terminal)."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "text": "a page"}\n{"id": 2, "text": "another page"}\n', encoding="utf-8")
    probe = (
        "import sys; from neardup.cli import main; "
        f"code = main(['clean', {str(source)!r}, '-o', {str(tmp_path / 'out')!r}]); "
        "print(code, sorted(m for m in ('pyarrow', 'tqdm', 'pyspark') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "0 []", result.stdout + result.stderr


def test_stdin(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    result = subprocess.run(
        [sys.executable, "-m", "neardup", "clean", "-", "-o", str(tmp_path / "out")],
        input="\n".join(corpus_lines()),
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert len(decisions(tmp_path / "out")) == 3


def test_sigterm_leaves_no_output(tmp_path):
    lines = []
    for i in range(4000):
        lines.append(json.dumps({"id": str(i), "text": f"Page {i}\n" + " ".join(f"word{(i * 7 + j) % 997}" for j in range(300)), "site": f"s{i % 5}"}))
    source = write_jsonl(tmp_path / "big.jsonl", lines)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "neardup", "clean", str(source), "-o", str(out), "--batch-size", "64"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait for the run to start writing its staging folder, then stop it.
    deadline = time.time() + 30
    while time.time() < deadline and not (out.exists() and any(p.name.startswith(".neardup-staging") for p in out.iterdir())):
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert process.returncode == 130, err
    assert "interrupted" in err
    assert list(out.iterdir()) == []


def test_help_everywhere():
    for argv in (["--help"], ["clean", "--help"], ["stats", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0
    with pytest.raises(SystemExit) as exit_info:
        main(["clean", "x.jsonl"])  # -o is required
    assert exit_info.value.code == 2


def test_other_subcommands(seeds_dir, tmp_path, capsys):
    ids = sorted(p.stem for p in seeds_dir.glob("*.txt"))
    assert main(["dups", str(seeds_dir)]) == 0
    clusters = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(clusters) == 1 and sorted(clusters[0]["members"]) == ids[:2]
    model = tmp_path / "model.json"
    source = write_jsonl(tmp_path / "in.jsonl", corpus_lines())
    assert main(["chrome", "learn", str(source), "-m", str(model)]) == 0
    assert json.loads(model.read_text())["format"] == "neardup-chrome-model"
    assert main(["chrome", "strip", str(seeds_dir), "-m", str(model), "-o", str(tmp_path / "stripped.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "stripped.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ids and all("removed" in r for r in rows)
    capsys.readouterr()
    assert main(["align", str(seeds_dir / f"{ids[1]}.txt"), str(seeds_dir / f"{ids[0]}.txt")]) == 0
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["covered_a"] >= 0.95 and last["passages"] >= 1
    assert main(["chrome", "strip", str(seeds_dir), "-m", str(tmp_path / "missing.json")]) == 1
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    assert main(["chrome", "strip", str(seeds_dir), "-m", str(tmp_path / "bad.json")]) == 1
    assert "not a neardup chrome model" in capsys.readouterr().err


def test_chrome_commands_treat_pages_without_a_site_as_clean_does(tmp_path, capsys):
    """Eight pages with no site or url share two lines: `clean` keeps them (nothing to compare
    a siteless page with), and `chrome learn` + `chrome strip` must too (each such page
    counted as a site of its own made the shared lines cross-site chrome)."""
    lines = [json.dumps({"id": f"p{i}", "text": f"Shared first line of every page here\nBody {i} " + " ".join(f"w{i}x{k}" for k in range(40)) + "\nShared last line too"})
             for i in range(8)]
    source = write_jsonl(tmp_path / "ns.jsonl", lines)
    model = tmp_path / "m.json"
    assert main(["chrome", "learn", str(source), "-m", str(model)]) == 0
    assert "8 pages without a site or url not learned from" in capsys.readouterr().err
    assert main(["chrome", "strip", str(source), "-m", str(model), "-o", str(tmp_path / "s.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert [r["removed"] for r in rows] == [[]] * 8
    assert main(["clean", str(source), "-o", str(tmp_path / "out")]) == 0
    assert all(d["removed"] == [] for d in decisions(tmp_path / "out").values())


def test_align_spans_index_the_files_own_text(tmp_path, capsys):
    words = " ".join(f"w{i}" for i in range(40))
    (tmp_path / "a.txt").write_bytes(f"top\r\nline\r\n{words}\r\n".encode())
    (tmp_path / "b.txt").write_bytes(f"{words}\n".encode())
    assert main(["align", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    a = (tmp_path / "a.txt").read_bytes().decode()
    assert a[first["a"][0] : first["a"][1]] == words


def test_syndication_pairwise_f1(shared_data, tmp_path):
    """Copies of news articles re-published inside other sites' chrome, with edits and
    character noise: the clusters of decisions.jsonl against the labels."""
    import gzip
    import itertools
    from collections import defaultdict

    source = shared_data / "dups-syndication-cleanportaleval.jsonl.gz"
    assert main(["clean", str(source), "--site-field", "site", "-o", str(tmp_path / "out")]) == 0
    rows = decisions(tmp_path / "out")
    labels = {}
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            labels[str(record["id"])] = record["cluster"]
    assert sorted(rows) == sorted(labels)

    def pairs(assignment):
        groups = defaultdict(list)
        for doc, group in assignment.items():
            groups[group].append(doc)
        return {tuple(sorted(p)) for members in groups.values() for p in itertools.combinations(members, 2)}

    gold = pairs(labels)
    found = pairs({doc: row["duplicate_of"] or doc for doc, row in rows.items()})
    precision = len(gold & found) / len(found)
    recall = len(gold & found) / len(gold)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.97, (precision, recall, f1)


def test_clean_against_a_persistent_index(seeds_dir, tmp_path):
    index = tmp_path / "seen.db"
    assert main(["clean", str(seeds_dir), "-o", str(tmp_path / "first"), "--index", str(index)]) == 0
    first = decisions(tmp_path / "first")
    kept = [doc for doc, row in first.items() if row["action"] != "dropped"]
    summary = json.loads((tmp_path / "first" / "summary.json").read_text())
    assert summary["index"]["added"] == len(kept) and summary["index"]["seen_before"] == 0
    # A later batch: a copy of an article seen before, and a page never seen.
    later = tmp_path / "later"
    later.mkdir()
    ids = sorted(p.stem for p in seeds_dir.glob("*.txt"))
    (later / "copy.txt").write_text((seeds_dir / f"{ids[1]}.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (later / "new.txt").write_text(" ".join(f"An unseen sentence number {i} about something else." for i in range(40)), encoding="utf-8")
    assert main(["clean", str(later), "-o", str(tmp_path / "second"), "--index", str(index)]) == 0
    second = decisions(tmp_path / "second")
    assert second["copy"]["action"] == "dropped" and second["copy"]["reason"].startswith("seen before")
    assert second["copy"]["duplicate_of"] in kept
    assert second["new"]["action"] == "kept"
    # Running the same batch again: its own documents in the index are not duplicates of themselves.
    assert main(["clean", str(later), "-o", str(tmp_path / "third"), "--index", str(index)]) == 0
    assert decisions(tmp_path / "third")["new"]["action"] == "kept"


def _generated_corpus(seed: int) -> list[dict]:
    """Pages of six sites (each with its own header and footer lines) carrying articles
    and copies of them: exact copies, trimmed and word-edited copies, chains of overlapping
    excerpts (each most of the way into the next: every neighbour a duplicate, the ends not),
    copies of a short caption, and short caption pages left with a few template lines. The
    pages of one article are on two sites (on three, its lines would be cross-site chrome)."""
    import random

    rng = random.Random(seed)
    # Words of letters: the chrome model masks digits, so "w1 w2" would be one line shape.
    vocab = sorted({"".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 9))) for _ in range(3000)})
    names = [f"site{k}.com" for k in "abcdef"]
    sites = {s: ([f"{s} header line {k} with menu words" for k in range(3)], [f"{s} footer line {k}" for k in range(2)]) for s in names}
    rows = []

    def page(words: list[str], site: str) -> None:
        header, footer = sites[site]
        body = [" ".join(words[k : k + 12]) for k in range(0, len(words), 12)]
        rows.append({"id": f"d{len(rows)}", "site": site, "text": "\n".join(header + body + footer)})

    for _ in range(rng.randint(3, 6)):
        article = rng.choices(vocab, k=rng.randint(60, 400))
        two = rng.sample(names, 2)
        page(article, two[0])
        for _ in range(rng.randint(1, 4)):
            how = rng.choice(["same", "trim", "words", "wrap"])
            words = list(article)
            if how == "trim":
                words = words[: max(12, int(len(words) * rng.uniform(0.6, 0.9)))]
            elif how == "words":
                words = [rng.choice(vocab) if rng.random() < 0.02 else w for w in words]
            elif how == "wrap":
                words = rng.choices(vocab, k=40) + words + rng.choices(vocab, k=40)
            page(words, rng.choice(two))
    long = rng.choices(vocab, k=400)
    width, step = rng.choice([(60, 10), (50, 8), (100, 18)])
    for k in range(rng.randint(4, 6)):
        page(long[k * step : k * step + width], names[k % 2])
    template = rng.choices(vocab, k=rng.randint(20, 30))
    for _ in range(rng.randint(2, 4)):
        page(template + rng.choices(vocab, k=rng.randint(2, 6)), names[2])
    caption = rng.choices(vocab, k=rng.randint(8, 20))
    for k in range(rng.randint(2, 3)):
        page(caption, names[3 + k % 2])
    rng.shuffle(rows)
    return rows


@pytest.mark.parametrize("seed", range(8))
def test_every_dropped_document_matches_the_document_it_names(tmp_path, seed):
    """A dropped row's duplicate_of is a kept (or changed) document and its score, the
    verified pair's, is at least the threshold: no chain of pairs drops a document for one it
    does not match (connected components did: "duplicate of d3 (containment-exact 0.000),
    linked through d7")."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in _generated_corpus(seed)), encoding="utf-8")
    assert main(["clean", str(source), "--site-field", "site", "-o", str(tmp_path / "out")]) == 0
    rows = decisions(tmp_path / "out")
    dropped = [row for row in rows.values() if row["action"] == "dropped"]
    assert dropped
    for row in dropped:
        assert row["score"] >= 0.8, row
        assert rows[row["duplicate_of"]]["action"] in ("kept", "changed"), row
        assert "linked through" not in row["reason"]


def test_short_pages_need_near_equality(tmp_path):
    """Two photo pages whose text is a one-line caption under the same 13 words of their
    site's template (11 shingles each, 9 shared: containment 0.82, Jaccard 0.69) are not
    copies of each other; --min-evidence 0 scores them by containment again."""
    template = "share this story on facebook twitter or email and sign up for our"
    rows = [{"id": "a", "text": f"{template} flood warning"}, {"id": "b", "text": f"{template} election results"}]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert main(["clean", str(source), "-o", str(tmp_path / "out")]) == 0
    assert {row["action"] for row in decisions(tmp_path / "out").values()} == {"kept"}
    assert main(["clean", str(source), "-o", str(tmp_path / "containment"), "--min-evidence", "0"]) == 0
    dropped = [row for row in decisions(tmp_path / "containment").values() if row["action"] == "dropped"]
    assert len(dropped) == 1 and dropped[0]["reason"] == "duplicate of b (containment-exact 0.818)"


def test_a_short_text_inside_long_pages_is_found_by_its_anchors(tmp_path):
    """A 65-word note printed inside twelve pages ten times its size (the bands, made for
    texts at least a fifth of their partner's size, miss such pairs): each page, and each of
    its copies, is dropped for the note it wraps, with its own text marked as chrome; the
    unrelated pages are kept. The passage's anchors are held by 22 documents in 13 groups of
    copies, under the 20 a value may be held by when copies count once."""
    source = tmp_path / "in.jsonl"
    ids = contained_corpus.write(source)
    assert main(["clean", str(source), "-o", str(tmp_path / "out")]) == 0
    rows = decisions(tmp_path / "out")
    assert rows["note"]["action"] == "kept"
    for page in ids["pages"]:
        assert rows[page]["action"] == "dropped" and rows[page]["duplicate_of"] == "note", rows[page]
        assert rows[page]["score"] >= 0.8 and any(why.startswith("chrome: not in the kept copy") for _, _, why in rows[page]["removed"])
    assert {rows[other]["action"] for other in ids["other"]} == {"kept"}


def test_a_story_is_not_dropped_for_a_post_quoting_it(tmp_path):
    """A story on pages of three sites, and a post of a fourth that quotes a passage of it
    with a line of its own: every story page wraps the post (text before and after the
    passage), but what a story page shares with another site's story page beyond the post is
    an article, not chrome, so no story page gives way to the post; the post is dropped for
    a story page, which holds it, and the story pages are one cluster."""
    rng = random.Random(3)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(3000)]
    before, passage, after = ([rng.choice(vocabulary) for _ in range(count)] for count in (200, 150, 200))
    story = " ".join(before) + ".\n\n" + " ".join(passage) + ".\n\n" + " ".join(after) + "."
    rows = [{"id": f"story-{site}", "site": site, "text": f"Welcome to {site}\n{story}\nFollow {site} for more"} for site in ("alpha", "beta", "gamma")]
    rows.append({"id": "post", "site": "delta", "text": " ".join(passage) + ".\nWhat a read, said the blogger of delta today."})
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert main(["clean", str(source), "-o", str(tmp_path / "out"), "--no-chrome"]) == 0
    out = decisions(tmp_path / "out")
    stories = [f"story-{site}" for site in ("alpha", "beta", "gamma")]
    kept = [s for s in stories if out[s]["action"] != "dropped"]
    assert len(kept) == 1, out
    assert out["post"]["action"] == "dropped" and out["post"]["duplicate_of"] == kept[0], out["post"]
    for s in stories:
        assert s == kept[0] or out[s]["duplicate_of"] == kept[0], out[s]


def test_a_noisy_copy_on_another_site_is_aligned_from_a_lower_containment(tmp_path):
    """Copies with one character changed in 14% of their words keep 0.43-0.44 of their
    story's word 5-grams and 0.86 of its words aligned (tests/noisy_copy_corpus.py). On
    another site the pair is aligned (near misses of two sites from REFINE_FROM_ACROSS_SITES,
    0.35) and the copy dropped for its story; on the story's own site, where pages share what
    a template makes, it is aligned only from REFINE_FROM (0.5), and both stay."""
    source = tmp_path / "in.jsonl"
    noisy_copy_corpus.write(source)
    assert main(["clean", str(source), "-o", str(tmp_path / "out")]) == 0
    out = decisions(tmp_path / "out")
    assert out["copy-across"]["action"] == "dropped" and out["copy-across"]["duplicate_of"] == "story-1", out["copy-across"]
    assert "+refined" in out["copy-across"]["reason"] and out["copy-across"]["score"] >= 0.8, out["copy-across"]
    assert {out[i]["action"] for i in ("story-1", "story-2", "copy-within", "other")} == {"changed"}, out


def test_two_pages_of_one_template_are_not_duplicates_an_edited_copy_is(tmp_path):
    """The manual pages of two commands, one template with the object's name swapped
    throughout, share 0.6 of their word 5-grams and align on 0.93 of their words: instances
    of a template, not copies (SWAP_MIN_TIMES, SWAP_MIN_SHARE); both stay. A copy with as many
    words edited, each differently, is dropped for its page by the alignment
    (tests/template_corpus.py)."""
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps(row) for row in template_corpus.rows()])
    assert main(["clean", str(source), "-o", str(tmp_path / "out")]) == 0
    out = decisions(tmp_path / "out")
    assert out["widget-edited"]["action"] == "dropped" and out["widget-edited"]["duplicate_of"] == "widget", out["widget-edited"]
    assert "+refined" in out["widget-edited"]["reason"], out["widget-edited"]
    assert {out[i]["action"] for i in ("widget", "gadget", "manual-other")} == {"kept"}, out


def test_template_instances_counts_swaps_not_noise_or_markup():
    """A word swapped for another in the same places is a template's; the same swap with one
    character changed (OCR's "the" -> "tbe"), words edited each differently, or words another
    markup adds, are not."""
    rng = random.Random(5)
    words = [rng.choice([f"w{k}" for k in range(300)]) for _ in range(200)]
    text = lambda swap: " ".join(swap(k, w) for k, w in enumerate(words))  # noqa: E731
    base = text(lambda k, w: "widget" if k % 10 == 4 else w)
    pairs = [
        (base, text(lambda k, w: "gadget" if k % 10 == 4 else w)),
        (base, text(lambda k, w: "widgets" if k % 10 == 4 else w)),
        (base, text(lambda k, w: f"edit{k}" if k % 10 == 4 else w)),
        (base, " ".join(("added in" if k % 10 == 4 else w) for k, w in enumerate(base.split(" ")))),
    ]
    assert template_instances(pairs).tolist() == [True, False, False, False]
    assert template_instances([]).tolist() == [] and template_instances([("", "a b")]).tolist() == [False]


def test_a_trimmed_copy_under_chrome_of_two_pages_is_matched_on_the_own_texts(tmp_path):
    """A story trimmed to 70% and copied into a page of another site, above that page's
    readers' comments (on two of the site's pages: too few for chrome): neither cleaned text
    holds 0.8 of the other, but without the lines another page of its site has, the copy is
    the trimmed story, which the story's page holds whole. The pair is refined on those own
    texts; the exact copy of another story on a third site is decided as before."""
    source = tmp_path / "in.jsonl"
    own_text_corpus.write(source)
    assert main(["clean", str(source), "-o", str(tmp_path / "out")]) == 0
    out = decisions(tmp_path / "out")
    pair = {"copy", "source-0"}
    dropped = [i for i in pair if out[i]["action"] == "dropped"]
    assert len(dropped) == 1, {i: out[i] for i in pair}
    assert out[dropped[0]]["duplicate_of"] in pair and out[dropped[0]]["reason"].endswith("+refined 1.000)"), out[dropped[0]]
    assert out["third-0"]["duplicate_of"] == "host-1" and out["third-0"]["score"] == 1.0
    assert {out[i]["action"] for i in out if i not in pair | {"third-0"}} == {"changed"}


def test_a_page_too_short_on_its_own_is_not_dropped_for_lines_its_site_repeats(tmp_path):
    """A photo page of a forum site (a one-line caption above the site's thread of replies)
    and another page of the site carrying the same thread under a story that a news site
    published: the caption page's cleaned text is nine tenths thread, so the other page holds
    it, but its own text (less the lines another page of its site has) is the caption, too
    short to carry evidence, and the other page's is the story: not near-equal, so the
    caption page stays. The story's two pages are one cluster (tests/own_text_corpus.py,
    ``caption_rows``)."""
    source = tmp_path / "in.jsonl"
    own_text_corpus.write(source, own_text_corpus.caption_rows())
    assert main(["clean", str(source), "-o", str(tmp_path / "out")]) == 0
    out = decisions(tmp_path / "out")
    assert out["caption"]["action"] != "dropped" and out["caption"]["duplicate_of"] is None, out["caption"]
    assert [out[i]["action"] for i in ("story", "host")].count("dropped") == 1, out


def test_pages_sharing_only_lines_their_site_repeats_are_not_duplicates(tmp_path):
    """A forum page and a copy of another story placed in its frame share its thread of
    replies, nine tenths of each cleaned text (containment 0.91), and nothing of their own
    texts: neither is dropped for the other."""
    source = tmp_path / "in.jsonl"
    own_text_corpus.write(source)
    assert main(["clean", str(source), "-o", str(tmp_path / "out")]) == 0
    out = decisions(tmp_path / "out")
    assert out["forum-0"]["action"] == "changed" and out["forum-copy"]["action"] == "changed", (out["forum-0"], out["forum-copy"])


def site_pages_after_plain_ones(plain: int, sited: int) -> list[str]:
    """JSONL lines: ``plain`` pages without a site (a body pasted twice in some, copies of each
    other in others), then ``sited`` pages of two sites whose chrome only the whole site shows
    (a menu and a footer on every page), with a record that cannot be read among each."""
    body = [f"Paragraph {k} of the story tells of the harbour, the boats and the weather that week." for k in range(6)]
    lines = []
    for k in range(plain):
        text = "\n".join([f"Plain page {k % 4} opens here."] + body + (body if k % 3 == 0 else []))
        lines.append(json.dumps({"id": f"plain-{k}", "text": text}))
        if k == 1:
            lines.append('{"id": "broken-plain", "text": 7}')
    for k in range(sited):
        site = "a.example" if k % 2 else "b.example"
        # Words, not numbers, tell the pages apart: the chrome model masks digits.
        story = [f"The {word} side met the {other} side: the match, the crowd and the rain that {word} day." for other in ("north", "south", "east")
                 for word in [("amber", "birch", "cedar", "dune", "elm", "fern", "gorse", "heath")[k]]]
        text = "\n".join(["Home | World | Sport | Weather", *story, "Copyright the example company"])
        lines.append(json.dumps({"id": f"sited-{k}", "text": text, "site": site}))
        if k == 1:
            lines.append('{"id": "broken-sited", "text": 7}')
    return lines


# (The write stage works from the spool: JSONL output reads the corpus in these passes only.)
@pytest.mark.parametrize("plain, sited, chrome, passes", [(9, 0, True, 1), (5, 6, True, 2), (0, 6, True, 2), (5, 6, False, 1)])
def test_the_first_pass_signs_what_needs_no_chrome_model_and_decides_alike(tmp_path, monkeypatch, plain, sited, chrome, passes):
    """Pages read before the first one that needs the chrome model are signed in the first
    pass, and the corpus is read again only for the rest: the same outputs, byte for byte, as
    signing every page in a pass of its own (the pass count is of reads of the corpus)."""
    import neardup.pipeline.job as job
    from neardup.pipeline.read import Corpus

    source = write_jsonl(tmp_path / "in.jsonl", site_pages_after_plain_ones(plain, sited))
    reads = []
    real_read = Corpus.read

    def counted(self, keep_extra=True, threads=False):
        reads.append(keep_extra)
        return real_read(self, keep_extra, threads)

    monkeypatch.setattr(Corpus, "read", counted)
    options = CleanOptions(chrome=chrome, batch_size=4)
    reader = lambda: RecordReader([str(source)], on_error="skip")  # noqa: E731
    clean(reader(), tmp_path / "first", options)
    assert len(reads) == passes
    monkeypatch.setattr(job, "needs_model", lambda record, options: True)  # every page signed in a pass of its own
    clean(reader(), tmp_path / "own", options)
    for name in ("decisions.jsonl", "documents.jsonl"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "own" / name).read_bytes(), name
    rows = decisions(tmp_path / "first")
    assert all(rows[f"broken-{kind}"]["action"] == "skipped" for kind, count in (("plain", plain), ("sited", sited)) if count > 1)
    if chrome and sited:
        # The menu and the footer, which only the whole site shows to be chrome, are cut.
        assert all([why for _, _, why in rows[f"sited-{k}"]["removed"]].count("template") == 2 for k in range(sited)), rows
    if plain:
        assert rows["plain-0"]["action"] == "changed" and [why for _, _, why in rows["plain-0"]["removed"]] == ["repeat"]
        assert {rows[f"plain-{k}"]["action"] for k in range(4, plain)} == {"dropped"}


def test_read_ahead_keeps_order_raises_where_the_reader_failed_and_stops_when_closed():
    assert list(read_ahead(iter(range(1000)))) == list(range(1000))

    def failing():
        yield from range(5)
        raise InputError("record 6: not JSON")

    got = []
    with pytest.raises(InputError, match="record 6"):
        for item in read_ahead(failing()):
            got.append(item)
    assert got == list(range(5))
    produced = []

    def endless():
        k = 0
        while True:
            produced.append(k)
            yield k
            k += 1

    ahead = read_ahead(endless(), depth=2)
    assert [next(ahead) for _ in range(3)] == [0, 1, 2]
    ahead.close()
    time.sleep(0.3)
    stopped_at = len(produced)
    time.sleep(0.3)
    # The producer stopped: at most the depth and the one in hand past what was taken.
    assert len(produced) == stopped_at <= 3 + 2 + 2


def test_pages_are_not_dropped_for_a_fragment_they_share(tmp_path):
    """A passage opening six pages three times its length (tests/fragment_corpus.py) ranks
    first but holds a quarter of each page: a page is dropped only for a document holding at
    least the threshold of it, so the first page is kept and takes the passage, and the other
    pages are kept. (Before, the six pages were dropped as the passage's duplicates, three
    quarters of their text lost.)"""
    corpus = fragment_corpus.write(tmp_path / "in.jsonl")
    assert main(["clean", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out")]) == 0
    got = decisions(tmp_path / "out")
    assert got["passage"]["action"] == "dropped" and got["passage"]["duplicate_of"] == "page-0" and got["passage"]["score"] == 1.0
    assert [got[f"page-{k}"]["action"] for k in range(fragment_corpus.PAGES)] == ["kept"] * fragment_corpus.PAGES
    # find_duplicates decides the same way (keep="most_complete", as the job keeps).
    found = find_duplicates(list(corpus.values()), keep="most_complete")
    assert [d.kept for d in found.decisions] == [1] + list(range(1, fragment_corpus.PAGES + 1))


def test_a_group_of_copies_on_two_sites_decides_the_same_whichever_copy_comes_first(tmp_path):
    """A page and its exact copy on two sites (tests/fragment_corpus.py): the group holds a
    page of another site than the passage's, so its pair with the passage goes either way,
    whichever copy heads the group (it was decided by the head's site alone, so the order of
    the input changed which documents were kept)."""
    got = []
    for copy_first in (False, True):
        fragment_corpus.write_across_sites(tmp_path / f"in-{copy_first}.jsonl", copy_first)
        assert main(["clean", str(tmp_path / f"in-{copy_first}.jsonl"), "-o", str(tmp_path / f"out-{copy_first}")]) == 0
        got.append({i: (r["action"], r["duplicate_of"]) for i, r in decisions(tmp_path / f"out-{copy_first}").items()})
    assert got[0] == got[1]


def test_dups_scores_name_each_clusters_own_dropped_members(tmp_path, capsys):
    # Two clusters: each row's scores are its dropped members' scores against its kept
    # document, as find_duplicates gives them, and no other cluster's.
    words = [f"w{k}" for k in range(400)]
    first = " ".join(words[:200])
    second = " ".join(words[200:])
    texts = {"a1": first, "a2": first + " tail one", "a3": first + " tail two", "b1": second, "b2": second + " end", "c": "unrelated text"}
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps({"id": i, "text": t}) for i, t in texts.items()])
    assert main(["dups", str(source)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    found = find_duplicates(list(texts.values()), 0.8)
    ids = list(texts)
    expected = {}
    for d in found.decisions:
        if d.action == "dropped":
            expected.setdefault(ids[d.kept], {})[ids[d.index]] = round(d.score, 6)
    assert len(rows) == 2
    for row in rows:
        assert len(row["scores"]) == len(row["members"])
        assert [s is None for s in row["scores"]] == [m == row["kept"] for m in row["members"]]
        assert {m: s for m, s in zip(row["members"], row["scores"]) if s is not None} == expected[row["kept"]]


def test_row_blocks_keep_the_rows_in_order():
    store = RowBlocks(block_rows=3)
    batches = [np.arange(k * 4, (k + n) * 4, dtype=np.uint64).reshape(n, 4) for k, n in ((0, 2), (2, 5), (7, 1), (8, 3))]
    for batch in batches:
        store.append(batch)
    taken = store.take()
    assert [len(a) for a in taken] == [3, 3, 3, 2] and store.take() == []
    assert np.array_equal(moved_into_one(taken), np.concatenate(batches)) and taken == []


def test_the_document_table_gives_back_what_was_appended():
    docs = [
        Doc(0, "a", "site.example", 10, "a", 0, 8, 3, [(0, 2, "repeat")]),
        Doc(2, "1", "".join(["site.", "example"]), 20, 1, 8, 20, 7),
        Doc(5, "c", None, 0, "c", 28, 0, 0, []),
    ]
    table = DocTable()
    for doc in docs:
        table.append(doc)
    assert len(table) == 3 and list(table) == docs and table[1] == docs[1]
    assert table[1].written_id == 1 and type(table[1].written_id) is int
    assert table[0].site is table[1].site  # one string per site
    for name in ("index", "length", "spool_offset", "cleaned_length", "shingles"):
        assert doc_column(table, name).tolist() == doc_column(docs, name).tolist() == [getattr(d, name) for d in docs]
    assert [table.position(i) for i in range(7)] == [0, None, 1, None, None, 2, None]
    with pytest.raises(IndexError):
        table[3]


@pytest.mark.parametrize("positioned", [True, False])
def test_the_spool_gives_back_each_text(tmp_path, monkeypatch, positioned):
    spool = TextSpool(tmp_path, "spool")
    if not positioned:  # a platform without os.pread: seek and read
        spool._pread = None
    texts = ["line one\nline two\r\n", "", "", "é 𝄞 \u2028 \x00", "x" * 5000]
    offsets = [spool.write(t) for t in texts]
    assert len(set(offsets)) == len(offsets)
    assert [spool.read(o) for o in reversed(offsets)] == texts[::-1]
    assert spool.read(offsets[3]) == texts[3] and spool.write("after") > offsets[-1]
    assert spool.read_utf8(offsets[3]) == texts[3].encode("utf-8") and spool.read(offsets[0]) == texts[0]
    with pytest.raises(ValueError, match="no text of the spool starts at offset 1"):
        spool.read(1)
    for chosen in ([], [offsets[1]], offsets, offsets[1:4], [offsets[0], offsets[3]]):
        assert spool.read_utf8_many(chosen) == [spool.read_utf8(o) for o in chosen]
    if positioned:
        # Stretches of at most a few bytes (each text alone, or with its empty neighbours),
        # and a platform whose reads return at most 3 bytes each: the same texts.
        import neardup.pipeline.state as state

        whole = spool._pread
        monkeypatch.setattr(state, "SPOOL_READ_BYTES", 30)
        spool._pread = lambda fd, size, at: whole(fd, min(size, 3), at)
        assert spool.read_utf8_many(offsets) == [t.encode("utf-8") for t in texts]
        assert spool.read(offsets[4]) == texts[4]
        spool._pread = whole
    with pytest.raises(ValueError, match="no text of the spool starts at offset 1"):
        spool.read_utf8_many([offsets[0], 1])
    spool._file.flush()
    os.truncate(spool.path, offsets[4] + 100)
    with pytest.raises(OutputError, match="cut short"):
        spool.read(offsets[4])
    with pytest.raises(OutputError, match="cut short"):
        spool.read_utf8_many(offsets[3:])
    spool.close()


def test_shingle_sets_give_each_pair_its_shared_shingles_or_0_below_its_need(tmp_path):
    """ShingleSets.shared: exact shared-shingle counts of pairs of spooled texts; with a need
    per pair, the count where it reaches the need (exactly at it too) and 0 below it."""
    from neardup import shingles
    from neardup.pipeline.decide import ShingleSets

    words = [f"w{k}" for k in range(40)]
    texts = [" ".join(words[a:b]) for a, b in [(0, 30), (5, 35), (10, 40), (0, 8), (20, 21), (0, 0)]]
    spool = TextSpool(tmp_path, "spool")
    offsets = np.array([spool.write(t) for t in texts], dtype=np.int64)
    options = CleanOptions()
    sets = [set(shingles(t, n=options.ngram).tolist()) for t in texts]
    pairs = np.array([(i, j) for i in range(len(texts)) for j in range(len(texts)) if i != j], dtype=np.int64)
    exact = np.array([len(sets[i] & sets[j]) for i, j in pairs.tolist()], dtype=np.int64)
    shared = ShingleSets(SpooledTexts(spool, offsets, None), options, max_bytes=64)  # a cache of one set: re-read
    assert shared.shared(pairs).tolist() == exact.tolist()
    assert shared.shared(pairs, exact).tolist() == exact.tolist()
    assert shared.shared(pairs, exact + 1).tolist() == [0] * len(pairs)
    assert shared.shared(pairs, np.zeros(len(pairs), dtype=np.int64)).tolist() == exact.tolist()
    spool.close()


def test_signature_chunks_are_moved_into_one_array():
    chunks = [np.arange(6, dtype=np.uint64).reshape(2, 3), np.arange(6, 15, dtype=np.uint64).reshape(3, 3)]
    expected = np.concatenate(chunks)
    stacked = moved_into_one(chunks)
    assert chunks == [] and stacked.dtype == np.uint64
    assert np.array_equal(stacked, expected)


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=40), st.lists(st.integers(0, 50), min_size=10, max_size=10), st.integers(0, 120), st.integers(1, 7))
def test_pair_chunks_bound_the_text_a_chunk_reads(pairs, lengths, max_chars, max_pairs):
    """Chunks follow one another over every pair; each holds at most max_pairs pairs and, unless
    it is one pair, at most max_chars characters of distinct text; a chunk ends only where the
    next pair would break a bound."""
    chunks = list(pair_chunks(np.array(pairs, dtype=np.int64).reshape(-1, 2), lengths, max_chars, max_pairs))
    assert [first for first, _ in chunks] == ([0] + [end for _, end in chunks[:-1]] if chunks else [])
    assert (chunks[-1][1] if chunks else 0) == len(pairs)
    for first, end in chunks:
        chars = sum(lengths[d] for d in {d for pair in pairs[first:end] for d in pair})
        assert 0 < end - first <= max_pairs and (end - first == 1 or chars <= max_chars)
        if end < len(pairs):
            grown = sum(lengths[d] for d in {d for pair in pairs[first : end + 1] for d in pair})
            assert end - first == max_pairs or grown > max_chars


def test_clean_decides_alike_whatever_the_chunks_of_pairs(tmp_path, monkeypatch):
    """Pairs read and aligned a few at a time (refinement, wraps, a wrapper's own lines) give
    the decisions of one chunk."""
    import neardup.pipeline.decide as decide_stage

    words = [f"w{(i * 7919) % 211}" for i in range(400)]
    article = "\n".join(" ".join(words[k : k + 20]) + "." for k in range(0, 400, 20))
    noisy = "".join("x" if i % 23 == 0 and c.isalnum() else c for i, c in enumerate(article))
    header = "Home | News | Sport | Weather | Contact us | About the site and its many sections\n"
    footer = "\nCopyright the site, all rights reserved; terms of use and privacy notice apply here"
    rows = [
        {"id": "a", "site": "one.example", "text": article},
        {"id": "b", "site": "two.example", "text": header + article + footer},
        {"id": "c", "site": "three.example", "text": noisy},
        {"id": "d", "site": "four.example", "text": header + noisy + footer},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    outputs = []
    for chars, pairs in ((10**9, 10**6), (1, 1)):
        monkeypatch.setattr(decide_stage, "REFINE_CHUNK_CHARS", chars)
        monkeypatch.setattr(decide_stage, "REFINE_CHUNK", pairs)
        out = tmp_path / f"out-{pairs}"
        clean(RecordReader([str(source)]), out, CleanOptions())
        outputs.append((out / "decisions.jsonl").read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    assert "chrome: not in the kept copy" in outputs[0] and "refined" in outputs[0]


def test_later_passes_inflate_gzip_in_a_thread_and_decide_alike(tmp_path, monkeypatch):
    """With more than one thread, the passes after the first read a .gz input through ISA-L's
    threaded reader (the first pass never does: where a damaged file fails must not depend on
    the thread count); the outputs are those of one thread, byte for byte."""
    import gzip
    from types import SimpleNamespace

    import neardup.io.read

    threaded = pytest.importorskip("isal.igzip_threaded")
    opened: list[str] = []

    def spy(path, mode, threads):
        opened.append(str(path))
        return threaded.open(path, mode, threads=threads)

    monkeypatch.setattr(neardup.io.read, "igzip_threaded", SimpleNamespace(open=spy))
    header, footer = "Home | World | Sport | Contact\nSearch this site", "Copyright 2026 Example News\nPrivacy | Terms"
    rows = []
    words = "harbour council budget ferry school bridge market river station library museum garden".split()
    for k in range(24):
        site = f"site{k % 3}.example"
        story = k % 10  # stories 0-3 on three pages, of other sites
        body = "\n".join(" ".join(words[(story * 7 + line * 3 + w) % len(words)] + str(story * 100 + line * 10 + w) for w in range(24)) + "." for line in range(4))
        rows.append({"id": f"d{k}", "site": site, "text": f"{header}\n{body}\nPosted {k} minutes ago\n{footer}"})
    source = tmp_path / "pages.jsonl.gz"
    source.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")))
    outputs = {}
    for threads in (1, 2):
        opened.clear()
        summary = clean(RecordReader([str(source)]), tmp_path / f"out-{threads}", CleanOptions(num_threads=threads))
        assert summary["dropped"] > 0
        # Two passes (the pages have sites; the write stage works from the spool): the sign
        # pass inflates in a thread.
        assert len(opened) == (0 if threads == 1 else 1)
        outputs[threads] = [(tmp_path / f"out-{threads}" / name).read_bytes() for name in ("decisions.jsonl", "documents.jsonl")]
    assert outputs[1] == outputs[2]


def test_cut_comments_from_the_command_line(tmp_path, capsys):
    from test_chrome_behaviour import _threaded_site

    texts = _threaded_site()
    source = tmp_path / "pages.jsonl"
    source.write_text("".join(json.dumps({"id": str(i), "site": "news.example", "text": t}) + "\n" for i, t in enumerate(texts)),
                      encoding="utf-8")
    cleaned = {}
    for flag in ([], ["--cut-comments"], ["--no-cut-comments"]):
        out = tmp_path / ("out" + "".join(flag))
        assert main(["clean", str(source), "--site-field", "site", "-o", str(out), *flag]) == 0
        rows = [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
        cleaned[" ".join(flag)] = {r["id"]: r["text"] for r in rows}
    lines = texts[1].split("\n")
    # On by default (the package's parameters); --no-cut-comments keeps the thread's prose.
    assert cleaned[""]["1"].splitlines() == cleaned["--cut-comments"]["1"].splitlines() == lines[3:9]
    assert len(cleaned["--no-cut-comments"]["1"].splitlines()) > 6
    model = tmp_path / "model.json"
    assert main(["chrome", "learn", str(source), "--site-field", "site", "-m", str(model)]) == 0
    for flag in ("--cut-comments", "--no-cut-comments"):
        with pytest.raises(SystemExit):
            main(["clean", str(source), "--site-field", "site", "--chrome-model", str(model), flag, "-o", str(tmp_path / "x")])
        assert "--[no-]cut-comments set a new model's parameters" in capsys.readouterr().err


def test_rows_written_in_windows_are_those_of_records_decided_one_by_one(tmp_path, monkeypatch):
    """The write stage writes rows and kept documents a window of records at a time, the
    rows of unique documents kept whole without deciding them one by one: the outputs are
    those of every record decided one by one, byte for byte, whatever the window, on a corpus
    of every kind of record (unreadable, truncated, dropped, changed, empty, ids of several
    types)."""
    from neardup.pipeline import write as write_stage

    lines = []
    for k in range(60):
        id_value = [f"d{k}", k, f"é\u2028{k}", float(k) + 0.5][k % 4]
        text = f"Story {k}: " + " ".join(f"word{k * 7 + w}" for w in range(30))
        if k % 9 == 1:
            text = "\n".join([text] * 3 + ["a closing line"] * 2)  # repeats: changed
        if k % 11 == 2:
            text = ""
        row = {"id": id_value, "text": text, "meta": {"k": k, "tag": "x" * (k % 3)}}
        if k % 13 == 5:
            row["site"] = "s.example"
        lines.append(json.dumps(row, ensure_ascii=k % 2 == 0))
        if k % 10 == 3:
            lines.append(json.dumps({"id": f"copy-{k}", "text": text + " tail words here"}))
        if k % 17 == 4:
            lines.append('{"id": "broken", "text": 7}')
    lines.append(json.dumps({"id": "long", "text": "x " * 400}))
    source = write_jsonl(tmp_path / "in.jsonl", lines)
    outputs = {}
    for batch, plain in ((3, True), (1024, True), (1024, False)):
        monkeypatch.setattr(write_stage, "WRITE_WINDOW", batch)
        if not plain:
            monkeypatch.setattr(write_stage.DecisionRows, "unique_whole", lambda self: [False] * self.count)
        out = tmp_path / f"out-{batch}-{plain}"
        reader = RecordReader([str(source)], on_error="skip", max_chars=600, oversize="truncate")
        summary = clean(reader, out, CleanOptions(batch_size=8))
        assert summary["kept"] > 20 and summary["dropped"] and summary["changed"] and summary["skipped"] and summary["truncated"]
        outputs[batch, plain] = [(out / name).read_bytes() for name in ("decisions.jsonl", "documents.jsonl", "report.html")]
        outputs[batch, plain].append({k: v for k, v in summary.items() if k not in ("seconds", "stages")})
    assert outputs[3, True] == outputs[1024, True] == outputs[1024, False]
