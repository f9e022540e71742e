"""Size limits (document and line length: refuse, skip or truncate, nothing silent) and the
paths that must stay linear: many identical documents, huge n in cluster()."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

import neardup
from neardup.cli import main
from neardup.decide import decide, drop_directions
from neardup.io import InputError, RecordReader
from neardup.pipeline import CleanOptions, clean
from neardup.spans import CutText

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _rows(tmp_path: Path) -> Path:
    long_line = "word " * 30  # 150 characters on line 2
    return _write(
        tmp_path / "in.jsonl",
        [
            {"id": "ok", "text": "a short line\nanother one\n"},
            {"id": "wide", "text": "first line\n" + long_line + "\nlast line"},
            {"id": "big", "text": "line of text\n" * 40},
        ],
    )


def test_refused_records_name_the_line_and_lengths(tmp_path):
    path = _rows(tmp_path)
    with pytest.raises(InputError, match=r"in.jsonl:2: line 2 has 150 characters, more than the limit of 100 \(--max-line-chars\)"):
        list(RecordReader([str(path)], max_line_chars=100))
    with pytest.raises(InputError, match=r"in.jsonl:3: document has 520 characters, more than the limit of 400 \(--max-chars\)"):
        list(RecordReader([str(path)], max_chars=400))
    records = list(RecordReader([str(path)], max_line_chars=100, max_chars=400, on_error="skip"))
    assert [r.text is None for r in records] == [False, True, True]
    assert all(r.oversized for r in records[1:]) and not records[0].oversized


def test_oversize_skip_is_never_fatal_but_other_errors_are(tmp_path):
    path = _rows(tmp_path)
    records = list(RecordReader([str(path)], max_line_chars=100, oversize="skip"))
    assert [r.id for r in records if r.text is None] == ["wide"]
    bad = _write(tmp_path / "bad.jsonl", [{"id": "x"}])
    with pytest.raises(InputError, match="missing text field"):
        list(RecordReader([str(bad)], oversize="skip"))
    with pytest.raises(ValueError, match="oversize must be one of"):
        RecordReader([str(path)], oversize="cut")
    with pytest.raises(ValueError, match="max_line_chars must be an int >= 1"):
        RecordReader([str(path)], max_line_chars=0)


def test_truncation_keeps_the_limits_and_says_what_was_cut(tmp_path):
    path = _rows(tmp_path)
    records = list(RecordReader([str(path)], max_line_chars=100, max_chars=400, oversize="truncate"))
    ok, wide, big = records
    assert ok.original is None and ok.truncated == []
    for record in (wide, big):
        assert record.original is not None and record.truncated
        assert CutText(record.original, record.truncated).text == record.text
        assert len(record.text) <= 400 and max(map(len, record.text.split("\n"))) <= 100
    assert wide.truncated == [(11 + 100, 11 + 150, "truncated: line 2 has 150 characters, more than the limit of 100 (--max-line-chars)")]
    assert wide.text.split("\n")[1] == ("word " * 30)[:100]
    # The document is cut after the last whole line that fits.
    assert big.text == "line of text\n" * 30
    assert big.truncated == [(390, 520, "truncated: document has 520 characters, more than the limit of 400 (--max-chars)")]


def test_a_line_break_right_at_the_limit_is_not_kept(tmp_path):
    # 10 characters then a line break: keeping the break would make 11 > max_chars 10.
    path = _write(tmp_path / "in.jsonl", [{"id": "one", "text": "a" * 10 + "\n" + "b" * 10},
                                          {"id": "two", "text": "a" * 4 + "\n" + "a" * 4 + "\n" + "b" * 10}])
    one, two = RecordReader([str(path)], max_chars=10, oversize="truncate")
    assert one.text == "a" * 10 and one.truncated == [(10, 21, one.truncated[0][2])]
    assert two.text == "a" * 4 + "\n" + "a" * 4 + "\n" and len(two.text) == 10  # a break at 9 is kept


def test_a_document_whose_first_line_alone_is_too_long_is_cut_at_the_limit(tmp_path):
    path = _write(tmp_path / "in.jsonl", [{"id": "one", "text": "x" * 50 + "\ny"}])
    (record,) = RecordReader([str(path)], max_chars=20, oversize="truncate")
    assert record.text == "x" * 20 and record.truncated == [(20, 52, record.truncated[0][2])]


def test_clean_records_truncation_in_the_decision(tmp_path):
    seed = (SEEDS / "001_8e202cad1f10918f.txt").read_text(encoding="utf-8") if SEEDS.exists() else "a b c d e f g h\n" * 50
    wide_seed = seed.replace("\n", " ", 3)  # its first lines joined into one long line
    path = _write(
        tmp_path / "in.jsonl",
        [{"id": "a", "text": seed}, {"id": "b", "text": wide_seed + "\n" + "z" * 500}, {"id": "c", "text": "nothing to see here"}],
    )
    limit = max(map(len, seed.split("\n"))) + 1
    reader = RecordReader([str(path)], max_line_chars=limit, oversize="truncate")
    summary = clean(reader, tmp_path / "out", CleanOptions(num_threads=1))
    decisions = {d["id"]: d for d in map(json.loads, (tmp_path / "out" / "decisions.jsonl").read_text().splitlines())}
    kept = {d["id"]: d for d in map(json.loads, (tmp_path / "out" / "documents.jsonl").read_text().splitlines())}
    assert "truncated" not in decisions["a"] and "truncated" not in decisions["c"]
    b = decisions["b"]
    assert b["truncated"] is True
    cut = [s for s in b["removed"] if s[2].startswith("truncated: ")]
    assert cut and all("(--max-line-chars)" in s[2] for s in cut)
    original = wide_seed + "\n" + "z" * 500
    assert [original[s:e] for s, e, _ in cut][-1] == "z" * (500 - limit)
    # Every span indexes the text as read; what is left of it is the kept text (or nothing
    # that is not a duplicate, when it was dropped).
    spans = [(s, e, why) for s, e, why in b["removed"]]
    left = CutText(original, spans).text
    if b["action"] == "dropped":
        assert left.strip() == ""
    else:
        assert b["action"] == "changed" and left == kept["b"]["text"]
    assert b["reason"].startswith("truncated to the size limits (")  # dropped too (README)
    assert summary["truncated"] == 1 and summary["characters_removed"]["truncated"] == sum(e - s for s, e, _ in cut)
    assert summary["limits"] == {"max_chars": reader.max_chars, "max_line_chars": limit, "oversize": "truncate"}


def test_cli_limits(tmp_path, capsys):
    path = _rows(tmp_path)
    assert main(["clean", str(path), "-o", str(tmp_path / "o1"), "--max-line-chars", "100"]) == 1
    assert "in.jsonl:2: line 2 has 150 characters" in capsys.readouterr().err
    assert main(["clean", str(path), "-o", str(tmp_path / "o2"), "--max-line-chars", "100", "--oversize", "skip"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "o2" / "decisions.jsonl").read_text().splitlines()]
    assert [r["action"] for r in rows][:2] == ["kept", "skipped"] and "--max-line-chars" in rows[1]["reason"]
    assert main(["clean", str(path), "-o", str(tmp_path / "o3"), "--max-line-chars", "100", "--oversize", "truncate"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "o3" / "decisions.jsonl").read_text().splitlines()]
    assert rows[1]["truncated"] is True and rows[1]["action"] == "changed"
    # Other commands offer refuse and skip: their outputs have no truncation field to report it.
    with pytest.raises(SystemExit):
        main(["stats", str(path), "--oversize", "truncate"])
    capsys.readouterr()


# ---------------------------------------------------------------------------------------
# Linear paths


def test_identical_documents_are_compared_once_each():
    page = "the same page of text with enough words to shingle " * 20
    found = neardup.find_duplicates([page] * 3000 + ["something else entirely, not like the page at all"])
    # All-pairs verification would compare 4.5 million pairs; each copy is compared with the first.
    assert found.num_candidates == 2999 and found.info["exact_copies"] == 2999
    assert len(found.clusters) == 1 and found.clusters[0].kept == 0 and len(found.clusters[0].members) == 3000
    assert all(d.kept == 0 and d.score == 1.0 for d in found.decisions[1:3000])


def _expanded(found, shingle_sets: list[frozenset]) -> np.ndarray:
    """The verified pairs with every copy given its group's pairs (what all-pairs verification
    of identical shingle sets would have found)."""
    group: dict[frozenset, list[int]] = {}
    for i, s in enumerate(shingle_sets):
        if s:
            group.setdefault(s, []).append(i)
    of = {i: members for members in group.values() for i in members}
    pairs = set()
    for members in group.values():
        pairs |= {(a, b) for a in members for b in members if a < b}
    for p in found.pairs:
        pairs |= {(min(a, b), max(a, b)) for a in of[p.i] for b in of[p.j] if a != b}
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("keep", ["longest", "earliest"])
def test_copies_get_the_clusters_of_all_pairs_verification(seed, keep):
    pages = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))] if SEEDS.exists() else []
    if len(pages) < 4:
        pytest.skip("needs ../shared/seeds")
    rng = random.Random(seed)
    variants = []
    for page in pages[1:4]:
        variants += [
            page,
            page.replace(" ", "  ", 5),  # the same shingles, more characters
            page[: int(len(page) * 0.9)],  # a truncated copy
            "Site header and navigation, many words of it here to wrap the page\n" + page + "\nFooter text",
        ]
    docs = [rng.choice(variants) for _ in range(40)]
    found = neardup.find_duplicates(docs, keep=keep)
    sets = [frozenset(neardup.shingles(d).tolist()) for d in docs]
    priority = np.array([len(d) for d in docs], dtype=np.float64) if keep == "longest" else None
    expanded = _expanded(found, sets)
    # The kept documents depend on the pairs, which side of each may be dropped for the other
    # and the keep order only, not on the scores.
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    inter = np.array([len(sets[i] & sets[j]) for i, j in expanded.tolist()], dtype=np.float64)
    small = np.minimum(sizes[expanded[:, 0]], sizes[expanded[:, 1]])
    directions = drop_directions("containment", 0.8, inter / small, small < 20, sizes[expanded[:, 0]], sizes[expanded[:, 1]])
    outcome = decide(len(docs), expanded, np.ones(len(expanded)), priority, directions=directions)
    assert [d.kept for d in found.decisions] == outcome.kept.tolist()
    assert found.info["exact_copies"] > 0


def test_cluster_refuses_an_n_that_cannot_fit():
    # The public function bounds n; below it, the backend itself refuses what cannot be
    # allocated (an error, not an abort of the process).
    with pytest.raises(ValueError, match=r"n must be an int >= 0 and < 2\*\*32"):
        neardup.cluster(10**13, [])
    from neardup import _backend

    no_pairs = np.zeros((0, 2), dtype=np.int64)
    with pytest.raises(ValueError, match="do not fit in memory"):
        _backend.IMPL.cluster(10**13, no_pairs, np.zeros((10**13, 0), dtype=np.float64))
