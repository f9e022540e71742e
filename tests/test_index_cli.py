"""`neardup index add` on the command line: decisions that do not depend on --batch-size,
errors naming the input file and line with nothing added, --on-error skip for ids already
indexed, the decisions file never overwriting an input, and plain --help text."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from neardup.cli import main as cli_main
from neardup.index import Index

# The CLI is Python over the index (whose primitives test_dedup_equivalence checks per backend).
pytestmark = pytest.mark.backend_independent

WORDS = [f"w{i}" for i in range(4000)]


def article(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def edited(rng: random.Random, text: str, changes: int = 3) -> str:
    tokens = text.split()
    if not tokens:
        return text
    for _ in range(changes):
        tokens[rng.randrange(len(tokens))] = rng.choice(WORDS)
    return " ".join(tokens)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def stream(seed: int, history: list[str]) -> list[str]:
    """Texts with copies of earlier texts at every distance (inside a batch of 7 and across
    batches), copies of copies, one-way pairs (a passage of a page; a page wrapping an
    article), copies of indexed texts, and empty texts."""
    rng = random.Random(seed)
    texts: list[str] = []
    for _ in range(160):
        roll = rng.random()
        if texts and roll < 0.15:
            texts.append(edited(rng, texts[-rng.randint(1, min(6, len(texts)))]))  # near: same batch of 7, mostly
        elif texts and roll < 0.3:
            texts.append(edited(rng, rng.choice(texts)))  # anywhere before
        elif texts and roll < 0.37:
            words = rng.choice(texts).split()
            texts.append(" ".join(words[: max(30, len(words) * 2 // 3)]))  # a passage of an earlier text
        elif texts and roll < 0.42:
            texts.append(article(rng, 40) + " " + rng.choice(texts) + " " + article(rng, 40))  # wraps an earlier text
        elif roll < 0.5:
            texts.append(edited(rng, rng.choice(history)))
        elif roll < 0.52:
            texts.append("")
        else:
            texts.append(article(rng, rng.randint(40, 200)))
    return texts


@pytest.mark.parametrize("seed", [1, 2])
def test_decisions_do_not_depend_on_the_batch_size(tmp_path, capsys, seed):
    rng = random.Random(100 + seed)
    history = [article(rng, rng.randint(60, 200)) for _ in range(30)]
    base = tmp_path / "base.db"
    with Index(base) as index:
        index.add(history, [f"h{i}" for i in range(len(history))])
    rows = [{"id": f"n{i}", "text": t} for i, t in enumerate(stream(seed, history))]
    lines = [json.dumps(r) for r in rows]
    lines.insert(50, "{not json")  # an unreadable record: a skipped row in its place
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outputs, summaries, indexed = {}, {}, {}
    for size in (1, 7, 10_000):
        db = tmp_path / f"i{size}.db"
        shutil.copy(base, db)
        decisions = tmp_path / f"d{size}.jsonl"
        args = ["index", "add", str(db), str(source), "--batch-size", str(size), "--decisions", str(decisions), "--on-error", "skip"]
        assert cli_main(args) == 0
        summaries[size] = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        outputs[size] = decisions.read_bytes()
        with Index(db) as index:
            indexed[size] = sorted(r[0] for r in index._db.execute("SELECT id FROM docs"))
    assert outputs[1] == outputs[7] == outputs[10_000]
    assert summaries[1] == summaries[7] == summaries[10_000]
    assert indexed[1] == indexed[7] == indexed[10_000]
    decided = [json.loads(line) for line in outputs[7].decode().splitlines()]
    assert len(decided) == len(lines)  # every record has its row, in input order
    assert decided[50]["action"] == "skipped" and decided[50]["source"] == f"{source}:51"
    position = {r["id"]: p for p, r in enumerate(decided)}
    dropped = [r for r in decided if r["action"] == "dropped"]
    # the test covers drops for indexed texts, for texts in the same batch of 7, across batches
    assert any(r["kept_id"].startswith("h") for r in dropped)
    gaps = [position[r["id"]] - position[r["kept_id"]] for r in dropped if r["kept_id"] in position]
    assert any(g < 7 for g in gaps) and any(g >= 7 for g in gaps)
    for r in dropped:  # the reason names the kept document by its id, never a position
        assert f"{r['kept_id']!r} (" in r["reason"], r
    assert summaries[7]["dropped"] == len(dropped) and summaries[7]["skipped_records"] == 1


def _records(prefix: str, count: int, rng: random.Random) -> list[dict]:
    return [{"id": f"{prefix}{i}", "text": article(rng, 80)} for i in range(count)]


def test_an_indexed_id_is_named_by_file_and_line_and_nothing_is_added(tmp_path, capsys):
    rng = random.Random(3)
    first = write_jsonl(tmp_path / "a.jsonl", _records("a", 200, rng))
    second_rows = _records("b", 200, rng)
    second_rows[149]["id"] = "a12"  # line 150 repeats an indexed id
    second = write_jsonl(tmp_path / "b2.jsonl", second_rows)
    db = tmp_path / "ib.db"
    assert cli_main(["index", "add", str(db), str(first)]) == 0
    capsys.readouterr()
    for extra in ([], ["--decisions", str(tmp_path / "d.jsonl")]):
        for _ in range(2):  # the same error again: nothing was added by the failed run
            assert cli_main(["index", "add", str(db), str(second), "--batch-size", "100", *extra]) == 1
            err = capsys.readouterr().err
            assert err.startswith(f"neardup: error: {second}:150: id 'a12' is already in the index; nothing was added"), err
            with Index(db) as index:
                assert len(index) == 200 and index.stats()["batches"] == 1
    assert not (tmp_path / "d.jsonl").exists()
    # a record that cannot be read stops the command before anything is added, too
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in _records("c", 120, rng)) + "{not json\n", encoding="utf-8")
    assert cli_main(["index", "add", str(db), str(bad), "--batch-size", "100"]) == 1
    assert capsys.readouterr().err.startswith(f"neardup: error: {bad}:121: malformed JSON")
    with Index(db) as index:
        assert len(index) == 200


def test_on_error_skip_records_an_indexed_id_as_skipped(tmp_path, capsys):
    rng = random.Random(4)
    first = write_jsonl(tmp_path / "a.jsonl", _records("a", 20, rng))
    rows = _records("b", 30, rng)
    rows[14]["id"] = "a3"
    second = write_jsonl(tmp_path / "b.jsonl", rows)
    db = str(tmp_path / "i.db")
    assert cli_main(["index", "add", db, str(first)]) == 0
    capsys.readouterr()
    decisions = tmp_path / "d.jsonl"
    assert cli_main(["index", "add", db, str(second), "--batch-size", "8", "--on-error", "skip", "--decisions", str(decisions)]) == 0
    summary = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert summary == {"added": 29, "skipped_records": 1, "documents": 49, "dropped": 0}
    out = [json.loads(line) for line in decisions.read_text().splitlines()]
    assert len(out) == 30 and out[14]["action"] == "skipped" and out[14]["id"] == "a3"
    assert out[14]["reason"] == "id 'a3' is already in the index" and out[14]["source"] == f"{second}:15"
    # without --decisions: reported on stderr with its file and line, and counted
    rows = _records("c", 30, rng)
    rows[20]["id"] = "a4"
    third = write_jsonl(tmp_path / "c.jsonl", rows)
    assert cli_main(["index", "add", db, str(third), "--on-error", "skip"]) == 0
    err = capsys.readouterr().err
    assert f"neardup: skipped {third}:21: id 'a4' is already in the index" in err
    assert json.loads(err.strip().splitlines()[-1]) == {"added": 29, "skipped_records": 1, "documents": 78}
    # --skip-existing leaves such documents out and counts them
    assert cli_main(["index", "add", db, str(third), "--skip-existing"]) == 0
    assert json.loads(capsys.readouterr().err.strip().splitlines()[-1]) == {"added": 0, "skipped_records": 0, "documents": 78, "already_indexed": 30}


@pytest.mark.parametrize("how", ["same", "symlink", "index"])
def test_the_decisions_file_never_overwrites_an_input_or_the_index(tmp_path, capsys, how):
    rng = random.Random(5)
    source = write_jsonl(tmp_path / "v5.jsonl", _records("v", 5, rng))
    before = source.read_bytes()
    db = tmp_path / "x.db"
    if how == "index":
        assert cli_main(["index", "add", str(db), str(source)]) == 0
        capsys.readouterr()
        before_db = db.read_bytes()
        target = db
    elif how == "symlink":
        target = tmp_path / "link.jsonl"
        target.symlink_to(source)
    else:
        target = source
    assert cli_main(["index", "add", str(db), str(source), "--decisions", str(target)]) == 1
    err = capsys.readouterr().err
    if how == "index":
        assert err.startswith(f"neardup: error: --decisions {target}: is the index; refusing to overwrite it")
        assert db.read_bytes() == before_db
    else:
        assert err.startswith(f"neardup: error: --decisions {target}: is an input") and "refusing to overwrite it" in err
        assert not db.exists()  # refused before the index is created
    assert source.read_bytes() == before


def test_index_help_is_plain_text(capsys):
    with pytest.raises(SystemExit) as done:
        cli_main(["index", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out and ":func:" not in out
    assert "add" in out and "query" in out and "stats" in out
