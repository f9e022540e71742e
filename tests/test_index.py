"""The persistent index: agreement with find_duplicates, history decisions, queries, removal,
chrome models, format versioning and parameters, crash safety under SIGKILL, concurrent
readers, bounded query memory, and the command line."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import neardup
from neardup import index as index_module
from neardup.cli import main as cli_main
from neardup.index import Index, IndexDataError, IndexMigrated

# The index is Python code over primitives (minhash, band keys, candidate pairs, overlaps) whose
# Rust == reference is test_dedup_equivalence's check: `make test` runs these once.
pytestmark = pytest.mark.backend_independent

HERE = Path(__file__).resolve().parent
WRITER = HERE / "index_writer.py"
WORDS = [f"word{i}" for i in range(3000)]


def article(rng: random.Random, words: int = 150) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def copy_of(rng: random.Random, text: str) -> str:
    """A syndicated copy: a few words replaced, wrapped in other 'chrome'."""
    tokens = text.split()
    for _ in range(3):
        tokens[rng.randrange(len(tokens))] = rng.choice(WORDS)
    return "Home News Sport " + " ".join(tokens) + " Share this story on social media"


def corpus(seed: int, originals: int = 40, copies: int = 25) -> list[str]:
    rng = random.Random(seed)
    docs = [article(rng, rng.randint(60, 220)) for _ in range(originals)]
    for _ in range(copies):
        docs.append(copy_of(rng, rng.choice(docs)))
    docs.append("")  # an empty document is kept, never a duplicate
    rng.shuffle(docs)
    return docs


FIELDS = ("index", "action", "kept", "cluster", "score", "method", "reason")


@pytest.mark.parametrize("keep", ["longest", "earliest", "most_complete"])
@pytest.mark.parametrize("verify", ["exact", "estimate"])
def test_empty_index_decides_like_find_duplicates(tmp_path, keep, verify):
    docs = corpus(1)
    with Index(tmp_path / "i.db") as index:
        decisions = index.add_and_dedup(docs, [f"d{i}" for i in range(len(docs))], keep=keep, verify=verify)
    expected = neardup.find_duplicates(docs, keep=keep, verify=verify).decisions
    # The index's reasons name documents by id where find_duplicates' name positions.
    expected = [replace(d, reason=re.sub(r"document (\d+)", r"document 'd\1'", d.reason)) for d in expected]
    assert [tuple(getattr(d, f) for f in FIELDS) for d in decisions] == [tuple(getattr(d, f) for f in FIELDS) for d in expected]
    assert sum(d.action == "dropped" for d in decisions) >= 20
    assert all(not d.seen_before for d in decisions)


def test_later_batches_are_decided_against_the_history(tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "SEGMENT_DOCS", 8)  # band keys spread over segments
    rng = random.Random(7)
    first = [article(rng) for _ in range(30)]
    with Index(tmp_path / "i.db") as index:
        index.add(first, [f"a{i}" for i in range(30)])
        # batch: copies of indexed articles 3 and 4, a copy of a copy of 3, a new article and its copy
        new = article(rng)
        second = [copy_of(rng, first[3]), "intro " + first[4], new, copy_of(rng, new)]
        second.append(copy_of(rng, second[0]))
        decisions = index.add_and_dedup(second, [f"b{i}" for i in range(5)], keep="earliest")
        assert [d.action for d in decisions] == ["dropped", "dropped", "kept", "dropped", "dropped"]
        assert decisions[0].seen_before and decisions[0].kept_id == "a3" and decisions[0].kept is None
        assert decisions[0].method == "containment-minhash" and decisions[0].score >= 0.8
        assert "indexed document 'a3'" in decisions[0].reason
        assert decisions[1].kept_id == "a4"
        assert decisions[3].kept == 2 and decisions[3].kept_id == "b2" and not decisions[3].seen_before
        assert decisions[3].method == "containment-exact"
        assert decisions[3].reason.startswith("duplicate of document 'b2' (containment-exact ")  # by id, not position
        # b4 copies b0, a copy of a3: it is dropped for a3, which it matches itself
        assert decisions[4].kept_id == "a3" and decisions[4].seen_before and decisions[4].score >= 0.8
        assert len(index) == 35  # add="all": dropped documents are indexed too
        third = index.add_and_dedup([copy_of(rng, new), article(rng)], ["c0", "c1"], add="kept")
        assert [d.action for d in third] == ["dropped", "kept"] and third[0].kept_id in ("b2", "b3")
        assert "c0" not in index and "c1" in index
        assert index.check() == []


@pytest.mark.parametrize("add", ["all", "kept"])
def test_sequential_decides_as_adding_one_document_at_a_time(tmp_path, add):
    rng = random.Random(11)
    history = [article(rng) for _ in range(20)]
    docs = corpus(2, originals=30, copies=30)
    docs += [copy_of(rng, history[i]) for i in (2, 5, 5)] + [copy_of(rng, docs[3]), docs[7][: len(docs[7]) // 2]]
    ids = [f"d{i}" for i in range(len(docs))]
    results, indexed = {}, {}
    for size in (1, 7, len(docs)):
        with Index(tmp_path / f"i{size}.db") as index:
            index.add(history, [f"h{i}" for i in range(len(history))])
            decided = []
            for start in range(0, len(docs), size):
                if size == 1:  # the reference: one document per call, decided as always
                    decided += index.add_and_dedup(docs[start : start + 1], ids[start : start + 1], add=add)
                else:
                    decided += index.add_and_dedup(docs[start : start + size], ids[start : start + size], add=add, sequential=True)
            indexed[size] = sorted(r[0] for r in index._db.execute("SELECT id FROM docs"))
        results[size] = [(d.action, d.kept_id, d.seen_before, d.score, d.method, d.reason) for d in decided]
    assert results[1] == results[7] == results[len(docs)]
    assert indexed[1] == indexed[7] == indexed[len(docs)]
    dropped = [r for r in results[7] if r[0] == "dropped"]
    assert len(dropped) >= 20 and any(r[1].startswith("h") for r in dropped) and any(r[1].startswith("d") for r in dropped)
    with Index(tmp_path / "other.db") as index, pytest.raises(ValueError, match="keep and verify do not apply"):
        index.add_and_dedup(docs[:2], ["x", "y"], keep="longest", sequential=True)


def test_query_finds_indexed_copies_and_reports_candidates(tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "SEGMENT_DOCS", 16)  # band keys spread over segments
    rng = random.Random(3)
    docs = [article(rng) for _ in range(50)]
    with Index(tmp_path / "i.db") as index:
        index.add(docs, [f"d{i}" for i in range(50)], sites=["example.org"] * 50, metas=[{"n": i} for i in range(50)])
        results = index.query([copy_of(rng, docs[10]), docs[20], article(rng), ""], duplicates_only=True)
        assert [m.id for m in results[0]] == ["d10"] and results[0][0].duplicate
        assert results[1][0].id == "d20" and results[1][0].score == 1.0 and results[1][0].jaccard == 1.0
        assert results[2] == [] and results[3] == []
        candidates = index.query([copy_of(rng, docs[10])])[0]
        assert candidates[0].id == "d10"
        assert all(a.score >= b.score for a, b in zip(candidates, candidates[1:]))
        info = index.get("d10")
        assert (info["site"], info["meta"], info["length"], info["batch"]) == ("example.org", {"n": 10}, len(docs[10]), 1)
        with pytest.raises(KeyError, match="'nope' is not in the index"):
            index.get("nope")


def test_batches_are_all_or_nothing_and_ids_are_checked(tmp_path):
    rng = random.Random(5)
    with Index(tmp_path / "i.db") as index:
        index.add([article(rng) for _ in range(3)], ["x", "y", "z"])
        with pytest.raises(IndexDataError, match=r"document 1: id 'y' is already in the index"):
            index.add([article(rng) for _ in range(3)], ["new1", "y", "new2"])
        with pytest.raises(IndexDataError, match=r"document 2: id 'q' repeats document 0"):
            index.add([article(rng) for _ in range(3)], ["q", "r", "q"])
        with pytest.raises(IndexDataError, match=r"document 0: id 'x' is already in the index"):
            index.add_and_dedup([article(rng)], ["x"])
        with pytest.raises(TypeError, match=r"document 1: expected str, got int"):
            index.add(["a b c", 5], ["m", "n"])
        assert len(index) == 3 and "new1" not in index and index.stats()["batches"] == 1
        assert index.add([article(rng) for _ in range(2)], ["x", "w"], existing="skip") == 1
        assert len(index) == 4 and index.check() == []


def test_signature_counts_are_checked(tmp_path):
    # A short sizes array used to leave the second query row without a count (no matches).
    rng = np.random.default_rng(4)
    sigs = rng.integers(0, 2**63, size=(2, 128), dtype=np.uint64)
    with Index(tmp_path / "i.db") as index:
        index.add_signatures(["a", "b"], sigs, [50, 60])
        assert [[m.id for m in r] for r in index.query_signatures(sigs, [50, 60], duplicates_only=True)] == [["a"], ["b"]]
        for call in (index.query_signatures, lambda s, n: index.add_signatures(["c", "d"], s, n)):
            with pytest.raises(ValueError, match=r"sizes must be 2 counts >= 0, got shape \(1,\)"):
                call(sigs, [50])
            with pytest.raises(ValueError, match=r"sizes must be 2 counts >= 0, got shape \(2, 1\)"):
                call(sigs, [[50], [60]])
            with pytest.raises(ValueError, match=r"sizes must be 2 counts >= 0: document 1 has -3"):
                call(sigs, [50, -3])
        with pytest.raises(ValueError, match=r"lengths must be 2 counts >= 0, got shape \(1,\)"):
            index.add_signatures(["c", "d"], sigs, [50, 60], lengths=[100])
        with pytest.raises(ValueError, match=r"lengths must be 2 counts >= 0: document 0 has -1"):
            index.add_signatures(["c", "d"], sigs, [50, 60], lengths=[-1, 100])
        assert len(index) == 2 and index.check() == []


def test_a_single_str_is_not_taken_for_ids(tmp_path):
    # A str used to be split into characters: ids 'p' and 'q'; remove("a3") looked for 'a'.
    sigs = np.random.default_rng(5).integers(0, 2**63, size=(2, 128), dtype=np.uint64)
    with Index(tmp_path / "i.db") as index:
        index.add(["x1 y1", "x2 y2"], ["p", "q"])
        calls = [
            lambda ids: index.add(["x3 y3", "x4 y4"], ids),
            lambda ids: index.add_signatures(ids, sigs, [50, 60]),
            lambda ids: index.add_and_dedup(["x3 y3", "x4 y4"], ids),
            index.remove,
        ]
        for call in calls:
            for ids in ("pq", b"pq", bytearray(b"pq")):
                with pytest.raises(TypeError, match="expected an iterable of str ids, got a single (str|bytes|bytearray)"):
                    call(ids)
        assert sorted(r[0] for r in index._db.execute("SELECT id FROM docs")) == ["p", "q"]


def test_remove(tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "SEGMENT_DOCS", 4)  # band keys spread over segments
    rng = random.Random(9)
    docs = [article(rng) for _ in range(20)]
    with Index(tmp_path / "i.db") as index:
        index.add(docs, [f"d{i}" for i in range(20)])
        with pytest.raises(IndexDataError, match=r"document 1: id 'nope' is not in the index"):
            index.remove(["d1", "nope"])
        assert len(index) == 20
        assert index.remove(["d1", "d2"]) == 2
        assert len(index) == 18 and "d1" not in index
        assert index.query([docs[1]], duplicates_only=True) == [[]]
        assert index._db.execute("SELECT count(*) FROM bands").fetchone()[0] == 18 * index.bands
        assert index._db.execute("SELECT count(DISTINCT seg) FROM bands").fetchone()[0] == 6  # docs 1..20
        assert [m.id for m in index.query([docs[19]], duplicates_only=True)[0]] == ["d19"]
        assert index.check() == []


def test_check_finds_documents_with_missing_or_extra_band_rows(tmp_path):
    from neardup._reference.hash import GOLDEN_GAMMA, fmix64_int

    rng = random.Random(11)
    with Index(tmp_path / "i.db") as index:
        assert (index.bands, index.rows) == (64, 2)
        index.add([article(rng) for _ in range(6)] + [""], [f"d{i}" for i in range(6)] + ["empty"])
        # Signature whose bands 0 and 1 have equal keys (h = fmix64(band + gamma), then
        # h = fmix64(h ^ v) per value): one row for both, which is consistent, not a problem.
        sig = np.random.default_rng(6).integers(0, 2**63, size=(1, 128), dtype=np.uint64)
        before_last = [fmix64_int(fmix64_int(band + GOLDEN_GAMMA) ^ int(sig[0, 2 * band])) for band in (0, 1)]
        sig[0, 3] = before_last[0] ^ int(sig[0, 1]) ^ before_last[1]
        index.add_signatures(["twin-bands"], sig, [80])
        twin = index._db.execute("SELECT doc FROM docs WHERE id = 'twin-bands'").fetchone()[0]
        assert index._db.execute("SELECT count(*) FROM bands WHERE doc = ?", (twin,)).fetchone()[0] == 63
        assert index.check() == []
        # Every band row of d3 and one of d5 deleted, one row added for the empty document:
        # d3 can no longer be found, and the totals alone no longer show it.
        doc3, doc5, empty = (index._db.execute("SELECT doc FROM docs WHERE id = ?", (i,)).fetchone()[0] for i in ("d3", "d5", "empty"))
        with index._db:
            index._db.execute("DELETE FROM bands WHERE doc = ?", (doc3,))
            key5 = index._db.execute("SELECT seg, key FROM bands WHERE doc = ? LIMIT 1", (doc5,)).fetchone()
            index._db.execute("DELETE FROM bands WHERE seg = ? AND key = ? AND doc = ?", (*key5, doc5))
            index._db.execute("INSERT INTO bands VALUES (0, 12345, ?)", (empty,))
        assert index.check() == [
            "3 documents lack band rows or have extra ones (one per band, 64, for a non-empty document; "
            "none for an empty one): 'd3' has 0, 'd5' has 63, 'empty' has 1"
        ]
        # Band rows of a document number no document has.
        nowhere = index._db.execute("SELECT max(doc) + 1 FROM docs").fetchone()[0]
        with index._db:
            index._db.executemany("INSERT INTO bands VALUES (?, ?, ?)", [(1, 777, nowhere), (2, 778, nowhere)])
        assert index.check()[1:] == ["2 band rows name no document"]


def test_chrome_models_are_stored_per_site(tmp_path):
    pages = [f"Site A menu\nAbout us\n{article(random.Random(i), 30)}\nFooter A" for i in range(6)]
    other = [f"Other header\n{article(random.Random(100 + i), 30)}\nOther footer" for i in range(5)]
    texts, sites = pages + other, ["a.com"] * 6 + ["b.com"] * 5
    with Index(tmp_path / "i.db") as index:
        index.update_chrome(texts[:4], sites[:4])
        index.update_chrome(texts[4:], sites[4:])
        stored = index.chrome_model()
        assert stored.to_dict() == neardup.ChromeModel().update(texts, sites).to_dict()
        assert index.chrome_model(["b.com"]).sites == ["b.com"] and index.chrome_model(["b.com"]).pages("b.com") == 5
        # A single str was taken for its characters: the sites 'b', '.', 'c', ... (none stored).
        with pytest.raises(TypeError, match="expected an iterable of str sites, got a single str"):
            index.chrome_model("b.com")
        with pytest.raises(TypeError, match="expected an iterable of str sites, got a single str"):
            index.update_chrome(texts[:1], "s")
        assert "Site A menu" not in stored.strip(pages[0], "a.com").text
        with pytest.raises(IndexDataError, match="chrome models were built with"):
            index.update_chrome(texts[:1], sites[:1], min_pages=5)
        assert index.stats()["chrome_sites"] == 2


def test_a_malformed_stored_chrome_entry_names_the_index(tmp_path):
    path = tmp_path / "i.db"
    texts = [f"Menu\nAbout\n{article(random.Random(i), 30)}\nFooter" for i in range(3)]
    with Index(path) as index:
        index.update_chrome(texts, ["s"] * 3)
        entry = json.loads(index._db.execute("SELECT model FROM chrome").fetchone()[0])
    # A site of the wrong type raised a bare TypeError (from both), pages 0 a bare ValueError
    # from update_chrome: neither named the index file.
    for change, problem in (({"site": 5}, r"site .*\bint\b"), ({"pages": 0}, r"pages must be an int >= 1, got 0")):
        with sqlite3.connect(path) as db:
            db.execute("UPDATE chrome SET model = ?", (json.dumps({**entry, **change}),))
        with Index(path) as index:
            for call in (lambda: index.update_chrome(texts[:1], ["s"]), index.chrome_model, lambda: index.chrome_model(["s"])):
                with pytest.raises(IndexDataError, match=f"^{re.escape(str(path))}: .*{problem}"):
                    call()


def test_chrome_parameters_of_an_older_index_are_completed(tmp_path):
    # An index written before chrome model format 3 stored 7 parameters; it reads with the
    # position weighting off (as it decided then) and keeps counting pages with them.
    texts = [f"Menu\nAbout\n{article(random.Random(i), 30)}\nFooter" for i in range(5)]
    path = tmp_path / "i.db"
    with Index(path) as index:
        index.update_chrome(texts[:3], ["s"] * 3)
    old = {k: v for k, v in neardup.ChromeModel(penalty=200, title_lines=2).params.items()
           if not k.startswith("decay_") and k not in ("box_chars", "small_penalty", "run_cost", "max_runs", "cut_comments")}
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'chrome_params'", (json.dumps(old),))
    with Index(path) as index:
        expected = {**old, "decay_chars": 0, "decay_floor_permille": 0, "box_chars": 0, "small_penalty": 200,
                    "run_cost": None, "decay_pages": 0, "max_runs": None, "cut_comments": False}
        assert index.chrome_model().params == expected
        index.update_chrome(texts[3:], ["s"] * 2)
        assert index.chrome_model().to_dict() == neardup.ChromeModel(**expected).update(texts, ["s"] * 5).to_dict()
    # Format 1's parameters (no title_lines either) get title_lines 3, as the model format does.
    older = {k: v for k, v in old.items() if k != "title_lines"}
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'chrome_params'", (json.dumps(older),))
    with Index(path) as index:
        assert index.chrome_model().params == {**expected, "title_lines": 3}
    # Format 3's nine parameters (no box_chars) get box_chars 0, format 4's ten one penalty
    # for all template lines and the main body region only, format 5's fourteen no comment
    # threads.
    before_runs = {"small_penalty": 200, "run_cost": None, "decay_pages": 0, "max_runs": None, "cut_comments": False}
    v4 = {k: v for k, v in neardup.ChromeModel(penalty=200).params.items() if k not in before_runs}
    v3 = {k: v for k, v in v4.items() if k != "box_chars"}
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'chrome_params'", (json.dumps(v3),))
    with Index(path) as index:
        assert index.chrome_model().params == {**v3, "box_chars": 0, **before_runs}
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'chrome_params'", (json.dumps(v4),))
    with Index(path) as index:
        assert index.chrome_model().params == {**v4, **before_runs}
    v5 = {k: v for k, v in neardup.ChromeModel(cut_comments=True).params.items() if k != "cut_comments"}
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'chrome_params'", (json.dumps(v5),))
    with Index(path) as index:
        assert index.chrome_model().params == {**v5, "cut_comments": False}
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'chrome_params'", (json.dumps({**old, "extra": 1}),))
    with Index(path) as index, pytest.raises(IndexDataError, match="not a chrome model's"):
        index.chrome_model()


def test_parameters_are_stored_and_checked(tmp_path):
    path = tmp_path / "i.db"
    Index(path, threshold=0.7, measure="jaccard", num_perm=64).close()
    with Index(path) as index:
        assert (index.threshold, index.measure, index.num_perm) == (0.7, "jaccard", 64)
        assert (index.bands, index.rows) == neardup.lsh_params(0.7, 64, (0.2, 0.8))
    with Index(path, num_perm=64, threshold=0.7):
        pass
    with pytest.raises(IndexDataError, match=r"i.db: index was built with num_perm=64, not 128"):
        Index(path, num_perm=128)
    with pytest.raises(IndexDataError, match=r"built with bands=.*not 4"):
        Index(path, params=(4, 4))
    with pytest.raises(FileNotFoundError, match="no index there"):
        Index(tmp_path / "missing.db", create=False)
    with pytest.raises(ValueError, match="measure must be"):
        Index(tmp_path / "bad.db", measure="cosine")


def _set_version(path: Path, version: int) -> None:
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    db.commit()
    db.close()


def test_format_versions(tmp_path, monkeypatch):
    path = tmp_path / "i.db"
    with Index(path) as index:
        index.add(["one two three four five six"], ["a"])
    _set_version(path, index_module.SCHEMA_VERSION + 1)
    with pytest.raises(IndexDataError, match=r"schema version 2 is newer than this neardup supports \(1\); upgrade"):
        Index(path)

    # An older index is migrated in one transaction, with a warning saying so: simulate the
    # next format (version 2 adds a column) and open a version-1 file with it.
    _set_version(path, 1)

    def add_column(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE docs ADD COLUMN language TEXT")

    monkeypatch.setattr(index_module, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(index_module._MIGRATIONS, 1, add_column)
    with pytest.raises(IndexDataError, match="older than 2; open it writable once"):
        Index(path, readonly=True)
    with pytest.warns(IndexMigrated, match="migrated the index from schema version 1 to 2"):
        index = Index(path)
    assert index.stats()["schema_version"] == 2 and "a" in index
    assert "language" in [r[1] for r in index._db.execute("PRAGMA table_info(docs)")]
    index.close()

    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(IndexDataError, match="other.db: not a neardup index"):
        Index(other)
    (tmp_path / "junk.db").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(IndexDataError, match="junk.db: not a neardup index"):
        Index(tmp_path / "junk.db")


def test_readonly_index_refuses_writes(tmp_path):
    path = tmp_path / "i.db"
    Index(path).close()
    with Index(path, readonly=True) as index:
        with pytest.raises(IndexDataError, match="opened read-only"):
            index.add(["a b c d e"], ["x"])


def _writer(path: Path, size: int, max_batches: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(path), str(size), str(max_batches)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_at_random_points_never_leaves_a_partial_batch(tmp_path):
    """Kill a writer with SIGKILL at random moments, many times; after each kill the index
    opens consistent, every batch the writer saw committed is there entirely, and no other
    batch is there partly."""
    from index_writer import batch_signatures

    path, size = tmp_path / "i.db", 400
    rng = random.Random(11)
    kills = in_flight = 0
    committed: set[int] = set()
    zygote = subprocess.Popen(
        [sys.executable, str(WRITER), "--fork", str(path), str(size), "100000"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert zygote.stdin is not None and zygote.stdout is not None
    # A bound on the test's time, whatever the machine; each round waits for the writer to open
    # the index and checks it after the kill, which takes longer as it grows and on a loaded machine.
    deadline = time.monotonic() + 30
    try:
        while kills < 30 and time.monotonic() < deadline:
            zygote.stdin.write("go\n")
            zygote.stdin.flush()
            events = []
            pid = None
            # The kill's random moment counts from the writer's "ready" (index open, about to
            # write), not from its fork: on a loaded machine opening the index can take longer
            # than the whole random window, and the kills would all land before any batch.
            while pid is None or not any(event[0] == "ready" for event in events):
                line = zygote.stdout.readline().split()
                assert line, "the writer zygote died"
                if line[0] == "writer":  # it may come after the writer's own first lines
                    pid = line[1]
                else:
                    events.append(line)
            time.sleep(rng.uniform(0.0, 0.35))
            os.kill(int(pid), signal.SIGKILL)
            while True:
                line = zygote.stdout.readline().split()
                assert line, "the writer zygote died"
                if line[0] == "exited":
                    break
                events.append(line)
            assert line == ["exited", pid, str(signal.SIGKILL)], f"writer ended otherwise: {line} after {events}"
            kills += 1
            committed |= {int(e[1]) for e in events if e[0] == "commit"}
            if events and events[-1][0] == "begin":
                in_flight += 1

            with Index(path) as index:
                assert index.check() == []
                rows = index._db.execute("SELECT batch, added, removed FROM batches ORDER BY batch").fetchall()
                ids = {r[0] for r in index._db.execute("SELECT id FROM docs")}
            # batches are numbered 1, 2, ... and batch number b holds k = b - 1, all of it
            assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
            assert all(added == size and removed == 0 for _, added, removed in rows)
            assert ids == {f"k{k}-{i}" for k in range(len(rows)) for i in range(size)}
            assert committed <= set(range(len(rows)))  # every reported commit survived
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=30)
        zygote.stdout.close()
    print(f"{kills} kills, {in_flight} inside a batch, {len(committed)} batches reported committed")
    assert kills >= 15, f"only {kills} kills in the time bound"
    assert in_flight >= kills // 3, f"only {in_flight} of {kills} kills landed inside a batch"
    # the surviving content is the writer's, and is found by a query
    with Index(path) as index:
        k = index.stats()["batches"] - 1
        assert k >= 1
        found = index.query_signatures(batch_signatures(k, size)[:5], np.full(5, 100), duplicates_only=True)
        assert [m[0].id for m in found] == [f"k{k}-{i}" for i in range(5)]


def test_readers_work_while_a_writer_adds(tmp_path):
    path, size, batches = tmp_path / "i.db", 400, 15
    Index(path, params=(16, 4)).close()
    proc = _writer(path, size, batches)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("ready")
    from index_writer import batch_signatures

    probe = batch_signatures(0, size)[:3]
    reader = Index(path, readonly=True)
    seen_counts: set[int] = set()
    reads = 0
    while proc.poll() is None or reads == 0:
        stats = reader.stats()
        # a read sees whole batches only
        assert stats["documents"] == stats["batches"] * size
        seen_counts.add(stats["documents"])
        if stats["documents"]:
            found = reader.query_signatures(probe, np.full(3, 100), duplicates_only=True)
            assert [m[0].id for m in found] == ["k0-0", "k0-1", "k0-2"]
        reads += 1
    _, errors = proc.communicate(timeout=60)
    assert proc.returncode == 0, errors
    final = reader.stats()
    reader.close()
    assert final["documents"] == batches * size
    assert len(seen_counts) >= 3, f"reads saw only {sorted(seen_counts)}: they did not overlap the writes"


_MEMORY_PROBE = """
import resource, sys, numpy as np
from neardup.index import Index
index = Index(sys.argv[1], cache_mb=4)
rng = np.random.default_rng(1)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(3):
    index.query_signatures(rng.integers(0, 2**63, size=(2000, 128), dtype=np.uint64), np.full(2000, 100))
# indexed signatures (the builder's first chunk), so that candidates are fetched too
indexed = np.random.default_rng(int(sys.argv[2])).integers(0, 2**63, size=(2000, 128), dtype=np.uint64)
found = index.query_signatures(indexed, np.full(2000, 100), duplicates_only=True)
assert [m[0].id for m in found] == [str(i) for i in range(2000)]
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def _build(path: Path, docs: int) -> None:
    rng = np.random.default_rng(docs)
    with Index(path, params=(16, 8)) as index:
        for start in range(0, docs, 20_000):
            part = min(20_000, docs - start)
            sigs = rng.integers(0, 2**63, size=(part, 128), dtype=np.uint64)
            index.add_signatures([str(start + i) for i in range(part)], sigs, np.full(part, 100))


def test_query_memory_does_not_grow_with_the_index(tmp_path):
    small, large = tmp_path / "small.db", tmp_path / "large.db"
    _build(small, 5_000)
    _build(large, 50_000)
    assert large.stat().st_size > 50e6  # the large index is far bigger than the cache
    growth = {}
    for path in (small, large):
        docs = 5_000 if path == small else 50_000
        out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(path), str(docs)], capture_output=True, text=True, check=True)
        growth[path.name] = int(out.stdout.strip()) / 1024  # ru_maxrss is in KiB: MiB
    # the page cache is 4 MiB: the query's peak grows by at most about that, not with the
    # index (ten times the documents, a file ten times larger than the cache)
    assert growth["large.db"] < growth["small.db"] + 12, growth


def test_command_line(tmp_path, capsys):
    rng = random.Random(4)
    docs = [article(rng) for _ in range(12)]
    first = tmp_path / "a.jsonl"
    first.write_text("".join(json.dumps({"id": f"a{i}", "text": t, "url": f"https://www.site{i % 2}.com/{i}"}) + "\n" for i, t in enumerate(docs)))
    second = tmp_path / "b.jsonl"
    second.write_text(
        json.dumps({"id": "b0", "text": copy_of(rng, docs[5])}) + "\n" + json.dumps({"id": "b1", "text": article(rng)}) + "\n"
    )
    index = str(tmp_path / "i.db")
    assert cli_main(["index", "add", index, str(first), "--batch-size", "5", "--chrome"]) == 0
    assert json.loads(capsys.readouterr().err.strip().splitlines()[-1]) == {"added": 12, "skipped_records": 0, "documents": 12}
    decisions = tmp_path / "d.jsonl"
    assert cli_main(["index", "add", index, str(second), "--decisions", str(decisions)]) == 0
    rows = [json.loads(line) for line in decisions.read_text().splitlines()]
    assert [(r["id"], r["action"], r["kept_id"], r["seen_before"]) for r in rows] == [("b0", "dropped", "a5", True), ("b1", "kept", "b1", False)]
    capsys.readouterr()
    assert cli_main(["index", "query", index, str(second)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["id"] == "b0" and out[0]["matches"][0]["id"] in ("a5", "b0") and out[1]["matches"][0]["id"] == "b1"
    assert cli_main(["index", "stats", index, "--check"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["documents"] == 14 and stats["problems"] == [] and stats["chrome_sites"] == 2
    # errors: an id already indexed, a missing index, other parameters, wrong usage
    assert cli_main(["index", "add", index, str(first)]) == 1
    assert "id 'a0' is already in the index" in capsys.readouterr().err
    assert cli_main(["index", "add", index, str(first), "--skip-existing"]) == 0
    assert cli_main(["index", "query", str(tmp_path / "none.db"), str(first)]) == 1
    assert "none.db: no index there" in capsys.readouterr().err
    assert cli_main(["index", "add", index, str(first), "--num-perm", "64"]) == 1
    assert "built with num_perm=128, not 64" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        cli_main(["index", "frobnicate"])
    assert usage.value.code == 2
    with pytest.raises(SystemExit) as usage:  # refused before the decisions file is opened
        cli_main(["index", "add", index, str(first), "--skip-existing", "--decisions", str(tmp_path / "new.jsonl")])
    assert usage.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
    assert not (tmp_path / "new.jsonl").exists()


def test_an_interrupted_creation_is_created_afresh(tmp_path):
    path = tmp_path / "i.db"
    db = sqlite3.connect(path)  # what a kill between the WAL switch and the schema leaves
    assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    db.close()
    assert path.stat().st_size > 0
    with Index(path) as index:
        index.add(["one two three four five six"], ["a"])
        assert index.check() == [] and len(index) == 1


def test_an_error_while_adding_is_not_hidden_by_closing_the_decisions_file(tmp_path, capsys, monkeypatch):
    """`index add --decisions`: when adding fails (an id already indexed), closing the
    decisions file on the way out must not replace that error with its own (a full disk
    often shows only when a file is closed); after success, a failing close is reported."""
    import errno
    import io as stdio

    from neardup.cli import index as index_cli
    from neardup.io import GuardedFile

    class FullDisk(stdio.StringIO):
        def close(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index_cli, "open_output", lambda path, **_: GuardedFile(FullDisk(), Path(path)))
    corpus = tmp_path / "a.jsonl"
    corpus.write_text(json.dumps({"id": "a0", "text": article(random.Random(1))}) + "\n")
    index = str(tmp_path / "i.db")
    assert cli_main(["index", "add", index, str(corpus), "--decisions", str(tmp_path / "d.jsonl")]) == 3
    assert "d.jsonl: No space left on device" in capsys.readouterr().err  # added; the close failed and says so
    assert cli_main(["index", "add", index, str(corpus), "--decisions", str(tmp_path / "d.jsonl")]) == 1
    err = capsys.readouterr().err
    assert "id 'a0' is already in the index" in err and "No space" not in err


def test_command_line_accounts_for_every_record_and_keeps_old_outputs(tmp_path, capsys):
    rng = random.Random(5)
    good = [json.dumps({"id": f"a{i}", "text": article(rng)}) for i in range(3)]
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join([good[0], "{not json", good[1], '{"id": "x"}']) + "\n")
    index = str(tmp_path / "i.db")
    assert cli_main(["index", "add", index, str(mixed), "--on-error", "skip"]) == 0
    capsys.readouterr()
    # query: one line per input record, the unreadable ones saying why
    assert cli_main(["index", "query", index, str(mixed), "--on-error", "skip"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [("skipped" in r, "matches" in r) for r in rows] == [(False, True), (True, False), (False, True), (True, False)]
    assert "malformed JSON" in rows[1]["skipped"] and rows[1]["source"].endswith("mixed.jsonl:2")
    # a bad option value is a usage error, and no index file is made for it
    for option in (["--threshold", "5"], ["--num-perm", "0"], ["--batch-size", "-1"]):
        with pytest.raises(SystemExit) as usage:
            cli_main(["index", "add", str(tmp_path / "other.db"), str(mixed), *option])
        assert usage.value.code == 2
    assert not (tmp_path / "other.db").exists()
    # a failed `add --decisions` leaves the decisions file as it was
    decisions = tmp_path / "d.jsonl"
    decisions.write_text("OLD CONTENT\n")
    again = tmp_path / "again.jsonl"
    again.write_text("\n".join([good[2], good[0]]) + "\n")  # a0 is already indexed
    assert cli_main(["index", "add", index, str(again), "--decisions", str(decisions), "--batch-size", "1"]) == 1
    assert decisions.read_text() == "OLD CONTENT\n"


def test_index_add_chrome_learns_only_pages_with_a_site(tmp_path, capsys):
    # As clean does: pages without a site or url were pooled into one "(none)" site.
    rng = random.Random(6)
    lines = [json.dumps({"id": f"n{i}", "text": "Shared menu line\n" + article(rng)}) for i in range(4)]
    lines.append(json.dumps({"id": "s0", "text": article(rng), "url": "https://a.com/0"}))
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    index = str(tmp_path / "i.db")
    assert cli_main(["index", "add", index, str(source), "--chrome"]) == 0
    with Index(index) as opened:
        assert opened.chrome_model().sites == ["a.com"]
