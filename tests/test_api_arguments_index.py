"""Arguments of the index API, of user-built Shingles and of CleanOptions: a bad one raises a
TypeError or ValueError naming it (and the document), never is cast or taken by truthiness."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import neardup
from neardup import Shingles
from neardup.index import Index
from neardup.io import RecordReader
from neardup.pipeline import CleanOptions, clean

TEXT = "the quick brown fox jumps over the lazy dog and runs far away"


@pytest.fixture
def index(tmp_path):
    with Index(tmp_path / "i.db") as opened:
        yield opened


def _signature(index: Index) -> np.ndarray:
    return neardup.minhash([TEXT], num_perm=index.num_perm, seed=index.seed).values


def test_signatures_and_sizes_are_checked_not_cast(index):
    # Floats were rounded (the document was added and never matched again), negative values
    # wrapped, 10.7 became 10; None and NaN failed naming no argument.
    sig = _signature(index)
    for call in (lambda s, n: index.add_signatures(["f"], s, n), index.query_signatures):
        for bad, problem in (
            (sig.astype(np.float64), r"signatures must be a 2-d array of uint64 .*dtype float64"),
            (-np.ones((1, index.num_perm), np.int64), r"signatures must be >= 0"),
            (None, r"signatures must be a 2-d array of uint64 .*got NoneType"),
            (sig[0], r"signatures must be a 2-d array of uint64 .*shape \(128,\)"),
        ):
            with pytest.raises(ValueError, match=problem):
                call(bad, [11])
        for bad, problem in (
            ([10.7], r"sizes .*must be a 1-d array of int64 .*dtype float64"),
            ([float("nan")], r"sizes .*must be a 1-d array of int64 .*dtype float64"),
            ([True], r"sizes .*must be a 1-d array of int64 .*dtype bool"),
            ([None], r"sizes .*must be a 1-d array of int64"),
            (None, r"sizes must be 1 counts >= 0, got NoneType"),
            ([2**63], r"sizes .*must be below 2\*\*63"),
        ):
            with pytest.raises(ValueError, match=problem):
                call(sig, bad)
    with pytest.raises(ValueError, match=r"lengths .*must be a 1-d array of int64 .*dtype float64"):
        index.add_signatures(["f"], sig, [11], lengths=[3.5])
    assert len(index) == 0
    # What is valid still is: a Signatures, Python ints of any uint64 size, numpy ints.
    assert index.add_signatures(["f"], neardup.minhash([TEXT], num_perm=index.num_perm, seed=index.seed), np.array([11], np.int32)) == 1
    assert index.add_signatures(["top"], [[2**64 - 1] * index.num_perm], [5]) == 1
    assert [m.id for m in index.query_signatures(sig, [11], duplicates_only=True)[0]] == ["f"]


def test_user_built_shingles_are_checked_as_hash_arrays_are():
    # A Shingles of floats was cast: [1.9, 2.9, 3.9] signed as [1, 2, 3] did, while the same
    # hashes given as an array were refused.
    floats = Shingles(np.array([1.9, 2.9, 3.9]), np.array([0, 3]))
    with pytest.raises(TypeError, match="expected a 1-d array of uint64 shingle hashes"):
        neardup.minhash([floats.hashes], num_perm=2)
    calls = (lambda s: neardup.minhash(s, num_perm=2), neardup.simhash_batch, neardup.find_duplicates)
    for call in calls:
        for bad, problem in (
            (floats, r"Shingles.hashes \(shingle hashes\) must be a 1-d array of uint64 .*dtype float64"),
            (Shingles(np.array([-1, 2, 3]), np.array([0, 3])), r"Shingles.hashes \(shingle hashes\) must be >= 0"),
            (Shingles(np.array([[1, 2, 3]], np.uint64), np.array([0, 3])), r"Shingles.hashes .*shape \(1, 3\)"),
            (Shingles(None, np.array([0])), r"Shingles.hashes .*got NoneType"),
            (Shingles(np.array([1, 2, 3], np.uint64), np.array([0.0, 3.0])), r"Shingles.offsets must be a 1-d array of int64 .*dtype float64"),
            (Shingles(np.array([1, 2, 3], np.uint64), np.array([0, 2.5, 3])), r"Shingles.offsets must be a 1-d array of int64"),
            (Shingles(np.array([1, 2, 3], np.uint64), np.array([0, -1, 3])), r"Shingles.offsets must be >= 0"),
            # Checked by the core, as before, in both backends:
            (Shingles(np.array([1, 2, 3], np.uint64), np.array([0, 3, 2, 3])), r"document 1: offsets decrease \(3 > 2\)"),
            (Shingles(np.array([1, 2, 3], np.uint64), np.array([1, 3])), r"offsets must start with 0"),
            (Shingles(np.array([1, 2, 3], np.uint64), np.array([0, 2])), r"offsets must end at the number of hashes \(3\), got 2"),
        ):
            with pytest.raises(ValueError, match=problem):
                call(bad)
    # Valid input of any integer form signs as the arrays do.
    as_arrays = neardup.minhash([np.array([1, 2, 3], np.uint64), np.array([2**64 - 1], np.uint64)], num_perm=4).values
    for hashes, offsets in (([1, 2, 3, 2**64 - 1], [0, 3, 4]), (np.array([1, 2, 3, 2**64 - 1], np.uint64), np.array([0, 3, 4], np.uint32))):
        assert np.array_equal(neardup.minhash(Shingles(hashes, offsets), num_perm=4).values, as_arrays)


def test_update_chrome_refuses_a_single_str(index):
    # "abc" was counted as three pages: 'a', 'b' and 'c'.
    with pytest.raises(TypeError, match="expected an iterable of str documents, got a single str"):
        index.update_chrome("abc", ["s", "s", "s"])
    with pytest.raises(TypeError, match="expected an iterable of str documents, got a single str"):
        neardup.ChromeModel().update("abc", ["s", "s", "s"])  # the check reused
    assert index.stats()["chrome_sites"] == 0


def test_a_lone_surrogate_in_an_id_site_or_metadata_names_the_document(index):
    # SQLite raised a bare UnicodeEncodeError naming no document.
    surrogate = r"lone surrogate U\+D800 at index 0"
    with pytest.raises(ValueError, match=rf"^document 1: id: {surrogate}"):
        index.add(["t1", "t2"], ["ok", "\ud800"])
    with pytest.raises(ValueError, match=r"^document 1 \('b'\): site: lone surrogate U\+DC00 at index 0"):
        index.add(["t1", "t2"], ["a", "b"], sites=["s", "\udc00"])
    with pytest.raises(ValueError, match=r"^document 1 \('b'\): metadata JSON: lone surrogate U\+D800 at index 7"):
        index.add(["t1", "t2"], ["a", "b"], metas=[None, {"k": "\ud800"}])
    sig = _signature(index)
    with pytest.raises(ValueError, match=rf"^document 0: id: {surrogate}"):
        index.add_signatures(["\ud800"], sig, [11])
    with pytest.raises(ValueError, match=rf"^document 0: id: {surrogate}"):
        index.add_and_dedup(["t1"], ["\ud800"])
    assert len(index) == 0 and index.stats()["batches"] == 0
    index.add(["t1"], ["a"])
    for call in (lambda: index.remove(["\ud800"]), lambda: index.existing(["a", "\ud800"])):
        with pytest.raises(ValueError, match=rf"^document \d: id: {surrogate}"):
            call()
    for call in (lambda: index.get("\ud800"), lambda: "\ud800" in index):
        with pytest.raises(ValueError, match=rf"^id: {surrogate}"):
            call()
    # Chrome sites are looked up in SQLite before the model sees them: ChromeModel's message.
    with pytest.raises(ValueError, match=rf"^document 0: site: {surrogate}"):
        index.update_chrome(["page"], ["\ud800"])
    with pytest.raises(ValueError, match=rf"^document 0: site: {surrogate}"):
        neardup.ChromeModel().update(["page"], ["\ud800"])
    with pytest.raises(TypeError, match=r"^document 1: site must be str, got int"):
        index.update_chrome(["page", "page"], ["s", 5])
    with pytest.raises(ValueError, match=rf"^site 0: {surrogate}"):
        index.chrome_model(["\ud800"])
    assert len(index) == 1 and index.stats()["chrome_sites"] == 0 and index.check() == []


def test_index_flags_must_be_bools(index, tmp_path):
    # duplicates_only="no" was taken as true.
    index.add([TEXT], ["a"])
    sig = _signature(index)
    for bad in ("no", 1, None):
        with pytest.raises(TypeError, match=rf"duplicates_only must be a bool \(True or False\), got {bad!r}"):
            index.query([TEXT], duplicates_only=bad)
        with pytest.raises(TypeError, match=rf"duplicates_only must be a bool \(True or False\), got {bad!r}"):
            index.query_signatures(sig, [11], duplicates_only=bad)
        with pytest.raises(TypeError, match=rf"sequential must be a bool \(True or False\), got {bad!r}"):
            index.add_and_dedup([TEXT], ["b"], sequential=bad)
        for flag in ("create", "readonly", "durable"):
            with pytest.raises(TypeError, match=rf"{flag} must be a bool \(True or False\), got {bad!r}"):
                Index(tmp_path / "i.db", **{flag: bad})
    with pytest.raises(ValueError, match="cache_mb must be an int >= 1, got -1"):
        Index(tmp_path / "i.db", cache_mb=-1)
    with pytest.raises(ValueError, match="cache_mb must be an int >= 1, got 2.5"):
        Index(tmp_path / "i.db", cache_mb=2.5)
    with pytest.raises(ValueError, match="timeout must be a number of seconds >= 0, got nan"):
        Index(tmp_path / "i.db", timeout=float("nan"))
    with pytest.raises(TypeError, match="expected an iterable of str documents, got a single str"):
        index.query(TEXT)
    assert [m.id for m in index.query([TEXT], duplicates_only=np.bool_(True))[0]] == ["a"]
    assert len(index) == 1


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ({"examples": None}, "examples must be an int >= 0, got None"),
        ({"examples": -1}, "examples must be an int >= 0, got -1"),
        ({"examples": True}, "examples must be an int >= 0, got True"),
        ({"min_evidence": 2.5}, "min_evidence must be an int >= 0, got 2.5"),
        ({"chrome": "no"}, r"chrome must be a bool \(True or False\), got 'no'"),
        ({"dedup": None}, r"dedup must be a bool \(True or False\), got None"),
        ({"repeats": 1}, r"repeats must be a bool \(True or False\), got 1"),
        ({"ngram": 0}, "ngram must be an int >= 1"),
        ({"index": ""}, "index must be a path"),
        ({"index": 5}, "index must be a path"),
        ({"chrome_model": b"m.json"}, "chrome_model must be a path"),
        ({"chrome_params": None}, "chrome_params must be a dict"),
        ({"chrome_params": {"min_page": 3}}, r"chrome_params: unknown parameter\(s\) 'min_page'"),
        ({"chrome_params": {"min_pages": 1}}, "chrome_params: min_pages must be >= 2, got 1"),
        ({"chrome_params": {"min_pages": 3}, "chrome_model": "m.json"}, "chrome_params set a new model's parameters"),
    ],
)
def test_clean_options_are_checked_before_the_corpus_is_read(setting, problem, tmp_path, monkeypatch):
    # examples=None ran the whole job and died in the write stage; chrome="no" was true.
    source = tmp_path / "corpus.jsonl"
    source.write_text('{"id": "a", "text": "hello world", "site": "a.com"}\n', encoding="utf-8")

    def unread(self):
        raise AssertionError("the corpus was read before the options were checked")

    monkeypatch.setattr(RecordReader, "__iter__", unread)
    with pytest.raises((TypeError, ValueError), match=problem):
        clean(RecordReader([str(source)]), tmp_path / "out", CleanOptions(**setting))
    assert not (tmp_path / "out").exists()


def test_every_clean_option_is_checked():
    # A field added later without a check in CleanOptions.check() fails here.
    for field in dataclasses.fields(CleanOptions):
        with pytest.raises((TypeError, ValueError), match=f"^{field.name} "):
            CleanOptions(**{field.name: object()}).check()
    CleanOptions().check()
    CleanOptions(index="i.db", examples=np.int64(2), chrome_params={"cut_comments": True}).check()


def test_exact_measures_check_a_user_built_shingles():
    good = neardup.Shingles(np.array([1, 2, 3, 2, 3, 4], dtype=np.uint64), np.array([0, 3, 6]))
    assert neardup.exact_jaccard(good, [(0, 1)]).tolist() == [0.5]
    floats = neardup.Shingles(np.array([1.5, 2, 3, 2, 3, 4]), np.array([0, 3, 6]))
    for measure in (neardup.exact_jaccard, neardup.exact_containment):
        with pytest.raises(ValueError, match="Shingles.hashes"):
            measure(floats, [(0, 1)])


def test_an_index_takes_a_numpy_integer_num_perm(tmp_path):
    # np.int64(64) was "num_perm must be an int in [1, 65536], got np.int64(64) (int64)"; the
    # index keeps it as a Python int, in memory and in its saved parameters.
    path = tmp_path / "index"
    with Index(path, num_perm=np.int64(64), threshold=np.float32(0.8)) as index:
        assert type(index.num_perm) is int and index.num_perm == 64
        index.add(["one two three four five six seven eight"], ["a"])
    with Index(path) as index:
        assert index.num_perm == 64 and len(index) == 1
