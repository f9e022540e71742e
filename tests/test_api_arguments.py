"""Arguments of the public API that were taken unchecked, or checked differently by the two
backends: a saved chrome model's page count past what its uint32 counts can hold, bool flags
read by truthiness, numpy scalars for ints and floats, the types site_state returns, the page
BodySplit.lines picks, and tuning on no groups or on labels that are not bools.

Each test runs on the active backend; with the core built, the ones about backend agreement
run the call on both (fuzz_support.check_call)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import neardup
from fuzz_support import HAVE_RUST, check_call, use_backend
from neardup import ChromeModel
from neardup.chrome import best_point, quality, tune, tune_table

PAGES = [f"Home\nNews\nSport\nA story of its own here, number {i}.\nAbout us\nFooter" for i in range(4)]
SITES = ["a.com"] * 4
BACKENDS = ["rust", "python"] if HAVE_RUST else ["python"]


def counted() -> ChromeModel:
    return ChromeModel().update(PAGES, SITES)


def saved_with_pages(pages: object) -> dict:
    state = counted().to_dict()
    state["sites"][0]["pages"] = pages
    return state


# --- 1. a saved model's page count --------------------------------------------------------------


@pytest.mark.parametrize("pages", [2**32, 2**60, 2**64, 10**30])
def test_a_saved_page_count_past_uint32_is_refused_alike(pages):
    # The core multiplied it by shape_permille (an overflow panic; a wrong share in a release
    # build), the reference decided with it, and 2**64 was a conversion error of the core only.
    state = saved_with_pages(pages)
    status, kind, message = check_call(lambda: ChromeModel.from_dict(state).strip(PAGES[0], "a.com"))
    assert (status, kind) == ("error", "ValueError")
    assert message == (f'chrome model: site entry 0: site "a.com": pages must be at most 2**32 - 1 '
                       f"(counts are stored as uint32), got {pages}")


def test_the_largest_page_count_loads_and_strips(tmp_path):
    state = saved_with_pages(2**32 - 1)
    status, _, _ = check_call(lambda: ChromeModel.from_dict(state).strip(PAGES[0], "a.com"))
    assert status == "ok"
    model = ChromeModel.from_dict(state)
    assert model.pages("a.com") == 2**32 - 1
    # On a file too, and through insert_site (an index's stored models, merged models).
    path = tmp_path / "m.json"
    path.write_text(json.dumps(saved_with_pages(2**40)))
    with pytest.raises(ValueError, match=r"m\.json: chrome model: site entry 0: site \"a\.com\": pages must be at most"):
        ChromeModel.load(path)
    _, *arrays = counted().site_state("a.com")
    with pytest.raises(ValueError, match=r'^site "b\.com": pages must be at most 2\*\*32 - 1'):
        ChromeModel().insert_site("b.com", 2**60, *arrays)
    with pytest.raises(ValueError, match=r'^site "b\.com": line_counts must be at most pages=3, got 4294967296'):
        ChromeModel().insert_site("b.com", 3, [1], [2**32], [], [])


def test_a_model_at_the_page_limit_counts_no_more_pages_of_that_site():
    # Counting one more page of a site at the limit overflowed the core's uint32 counts ("attempt
    # to add with overflow"), and the reference's model could no longer be saved.
    def at_the_limit() -> ChromeModel:
        _, keys, counts, shape_keys, shape_counts = counted().site_state("a.com")
        limit = 2**32 - 1
        model = ChromeModel()
        model.insert_site("a.com", limit - 1, keys, [limit - 1] * len(counts), shape_keys, [limit - 1] * len(shape_counts))
        return model.update(PAGES[:1], ["a.com"])  # one page of room: now at the limit

    message = ('site "a.com": counting 1 more page(s) would make 4294967296 pages, past 2**32 - 1, '
               "the most a model counts (counts are stored as uint32)")
    for call in (lambda m: m.update(PAGES[:1], ["a.com"]), lambda m: m.fit_strip(PAGES[:2], ["b.com", "a.com"])):
        assert check_call(lambda: call(at_the_limit()).pages("a.com")) == ("error", "ValueError", message)
    model = at_the_limit()
    with pytest.raises(ValueError):
        model.update(PAGES[:1], ["a.com"])
    # Nothing was counted; other sites still count, and the model saves and loads as it was.
    assert model.update(PAGES[:1], ["b.com"]).sites == ["a.com", "b.com"]
    again = ChromeModel.from_dict(model.to_dict())
    assert again.pages("a.com") == 2**32 - 1
    with pytest.raises(ValueError, match="counting 2 more page"):
        again.update(PAGES[:2], ["a.com", "a.com"])


# --- 2. bool flags --------------------------------------------------------------------------------


STRIPS = {
    "strip": lambda model, flag: model.strip(PAGES[0], "a.com", repeats=flag),
    "strip_batch": lambda model, flag: model.strip_batch(PAGES[:1], ["a.com"], repeats=flag),
    "fit_strip": lambda model, flag: model.fit_strip(PAGES[:1], ["a.com"], repeats=flag),
    "quality": lambda model, flag: quality(model, PAGES[:1], ["a.com"], [[True] * 6], repeats=flag),
}


@pytest.mark.parametrize("method", sorted(STRIPS))
def test_repeats_is_a_checked_bool(method):
    # The core said "'int' object is not an instance of 'bool'" (no name), the reference took
    # 0 and None for False and "no" for True.
    for flag in (0, 1, None, "no", "", np.int64(0)):
        status, kind, message = check_call(lambda: STRIPS[method](counted(), flag))
        assert (status, kind) == ("error", "TypeError")
        assert message == f"repeats must be a bool (True or False), got {flag!r}"
    # numpy's bools are bools.
    assert STRIPS[method](counted(), np.False_) == STRIPS[method](counted(), False)
    assert STRIPS[method](counted(), np.True_) == STRIPS[method](counted(), True)


@pytest.mark.parametrize("call", [
    lambda flag: neardup.normalize("Route 66", mask_digits=flag),
    lambda flag: neardup.normalize_batch(["Route 66"], mask_digits=flag),
], ids=["normalize", "normalize_batch"])
def test_mask_digits_is_a_checked_bool(call):
    # "no" masked the digits: any non-empty string is true.
    for flag in ("no", 1, None):
        status, kind, message = check_call(lambda: call(flag))
        assert (status, kind, message) == ("error", "TypeError", f"mask_digits must be a bool (True or False), got {flag!r}")
    assert "0" in str(call(np.True_)) and "66" in str(call(np.False_))


def test_other_flags_are_checked_bools():
    split = neardup.body_by_agreement("x\n" + "one line of text both pages carry in full\ny",
                                      "z\n" + "one line of text both pages carry in full\nw", min_tokens=3)
    # shared="no" matched no line at all (each flag compared equal to a str).
    with pytest.raises(TypeError, match=r"^shared must be a bool \(True or False\), got 'no'$"):
        split.lines("q\nr\ns", shared="no")
    assert split.lines("q\nr\ns", shared=np.False_) == ["q", "s"]
    with pytest.raises(TypeError, match=r"^cut_comments must be a bool \(True or False\), got 1$"):
        ChromeModel(cut_comments=1)
    assert ChromeModel(cut_comments=np.True_).params["cut_comments"] is True
    assert neardup.shingles_batch(["a b c d e f"], n=2, distinct=np.True_).hashes.tolist() == \
        neardup.shingles_batch(["a b c d e f"], n=2, distinct=True).hashes.tolist()


# --- 3. site_state's types ------------------------------------------------------------------------


def test_site_state_gives_the_documented_types_on_both_backends():
    # The reference gave lists, the core numpy arrays.
    states = []
    for backend in BACKENDS:
        with use_backend(backend):
            states.append(counted().site_state("a.com"))
    for pages, line_keys, line_counts, shape_keys, shape_counts in states:
        assert type(pages) is int and pages == 4
        for array, dtype in ((line_keys, np.uint64), (line_counts, np.uint32), (shape_keys, np.uint64), (shape_counts, np.uint32)):
            assert isinstance(array, np.ndarray) and array.dtype == dtype and array.ndim == 1
        assert line_counts.max() == 4 and len(line_keys) == len(line_counts)
    assert all([a.tolist() for a in state[1:]] == [a.tolist() for a in states[0][1:]] for state in states)


# --- 4. BodySplit.lines' page ----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["A", "B", "", None, 0, "ab"], ids=repr)
def test_body_split_lines_names_a_page(which):
    split = neardup.body_by_agreement("x\nthe same line of text on both\ny", "the same line of text on both", min_tokens=3)
    # "A" gave page b's lines.
    with pytest.raises(ValueError, match=rf"^which must be 'a' or 'b', got {repr(which)}$"):
        split.lines("x\nthe same line of text on both\ny", which=which)
    assert split.lines("x\nthe same line of text on both\ny", which="a") == ["the same line of text on both"]
    assert split.lines("the same line of text on both", which="b") == ["the same line of text on both"]


# --- 5. tuning ------------------------------------------------------------------------------------


def test_tune_needs_groups_and_best_point_a_table():
    # Both were a bare ZeroDivisionError.
    with pytest.raises(ValueError, match="groups is empty"):
        tune({})
    with pytest.raises(ValueError, match="groups is empty"):
        tune_table({})
    table = tune_table({"g": (PAGES, SITES, [[False, False, False, True, False, False]] * 4)}, grid={"penalty": (200, 300)})
    with pytest.raises(ValueError, match="names is empty"):
        best_point(table, [])
    with pytest.raises(ValueError, match=r"names: no group 'h' in the table \(its groups: 'g'\)"):
        best_point(table, ["h"])
    with pytest.raises(ValueError, match="table is empty"):
        best_point([])
    assert best_point(table, ["g"]) == best_point(table)


@pytest.mark.parametrize("label, error", [("no", TypeError), ("yes", TypeError), (None, TypeError), (0.0, TypeError),
                                          (2, ValueError), (np.int64(-1), ValueError)], ids=repr)
def test_tune_labels_are_bools(label, error):
    # A label "no" counted as body (truthiness), 0.0 as chrome; a page with fewer labels than
    # pages was an IndexError.
    labels = [[False, False, False, True, False, False]] * 3 + [[False, False, label, True, False, False]]
    message = rf"labels\[3\]\[2\] must be a bool \(True: body\) or 0/1, got {re.escape(repr(label))}$"
    with pytest.raises(error, match=rf"^groups\['g'\]: {message}"):
        tune({"g": (PAGES, SITES, labels)}, grid={"penalty": (200,)})
    with pytest.raises(error, match=rf"^{message}"):
        quality(counted(), PAGES, SITES, labels)
    # numpy bools (a row of a bool array) and 0/1 (the labelled sets' JSON) are labels.
    as_bools = [[False, False, False, True, False, False]] * 4
    expected = quality(counted(), PAGES, SITES, as_bools)
    assert quality(counted(), PAGES, SITES, list(np.array(as_bools))) == expected
    assert quality(counted(), PAGES, SITES, [[int(b) for b in row] for row in as_bools]) == expected


def test_tune_needs_one_list_of_labels_per_page():
    with pytest.raises(ValueError, match=r"^groups\['g'\]: labels: 3 lists of labels for 4 pages$"):
        tune({"g": (PAGES, SITES, [[True] * 6] * 3)}, grid={"penalty": (200,)})


# --- 6. numpy scalars -----------------------------------------------------------------------------


def test_numpy_integer_scalars_are_ints():
    # Refused: "n must be an int >= 1 and < 2**32, got np.int64(3)", "seed must be an int in
    # [0, 2**64), got np.uint64(7)", "num_threads must be None or an int in [1, 1024], ...".
    text = "The quick brown fox jumps over the lazy dog"
    expected = neardup.shingles(text, n=3, seed=7).tolist()
    for n, seed in ((np.int64(3), np.uint64(7)), (np.int32(3), np.int8(7)), (np.uint8(3), 7)):
        assert check_call(lambda: neardup.shingles(text, n=n, seed=seed).tolist()) == ("ok", expected, "")
        batch = neardup.shingles_batch([text], n=n, seed=seed, num_threads=np.int64(2))
        assert batch.hashes.tolist() == expected
    assert neardup.hash64("abc", seed=np.uint64(2**64 - 1)) == neardup.hash64("abc", seed=2**64 - 1)
    assert check_call(lambda: neardup.segment_batch(["a\nb"], num_threads=np.int16(1)))[0] == "ok"
    assert check_call(lambda: neardup.tokenize_batch(["a b"], num_threads=np.uint64(2)))[0] == "ok"
    assert check_call(lambda: neardup.normalize_batch(["a b"], num_threads=np.int64(2)))[0] == "ok"
    assert ChromeModel(min_pages=np.int64(4), run_cost=np.uint32(7)).params == ChromeModel(min_pages=4, run_cost=7).params
    assert type(ChromeModel(min_pages=np.int64(4)).params["min_pages"]) is int
    assert counted().update(PAGES, SITES, num_threads=np.int64(2)).pages("a.com") == 8
    # Still refused: a bool or a float is not an int, whole or not; out of range stays out of
    # range, and the message says which.
    for call, message in [
        (lambda: neardup.shingles("a b", n=True), "n must be an int >= 1 and < 2**32, got True"),
        (lambda: neardup.shingles("a b", n=np.float64(3.0)), "n must be an int >= 1 and < 2**32, got np.float64(3.0)"),
        (lambda: neardup.shingles("a b", n=np.int64(0)), "n must be an int >= 1 and < 2**32, got np.int64(0)"),
        (lambda: neardup.shingles("a b", seed=np.int64(-1)), "seed must be an int in [0, 2**64), got np.int64(-1)"),
        (lambda: neardup.hash64("a", seed=np.bool_(True)), "seed must be an int in [0, 2**64), got np.True_"),
        (lambda: neardup.segment_batch(["a"], num_threads=np.int64(0)), "num_threads must be None or an int in [1, 1024], got np.int64(0)"),
        (lambda: neardup.segment_batch(["a"], num_threads=np.float32(2)), "num_threads must be None or an int in [1, 1024], got np.float32(2.0)"),
        (lambda: ChromeModel(min_pages=np.float64(3)), "min_pages must be an int in [0, 2**32), got np.float64(3.0)"),
        (lambda: ChromeModel(penalty=True), "penalty must be an int in [0, 2**32), got True"),
    ]:
        assert check_call(call) == ("error", "ValueError", message)


def test_numpy_integer_num_perm_is_an_int():
    # Refused: "num_perm must be an int in [1, 65536], got np.int64(64) (int64)", where n,
    # seed and num_threads of the same calls took numpy integers.
    docs = ["one two three four five six seven", "one two three four five six seven", "eight nine ten"]
    expected = neardup.minhash(docs, num_perm=64)
    for num_perm in (np.int64(64), np.int32(64), np.uint16(64)):
        assert np.array_equal(neardup.minhash(docs, num_perm=num_perm).values, expected.values)
        assert neardup.find_duplicates(docs, np.float32(0.8), num_perm=num_perm).decisions == neardup.find_duplicates(docs, 0.8, num_perm=64).decisions
        lsh = neardup.MinHashLSH(threshold=0.5, num_perm=num_perm)
        assert type(lsh.num_perm) is int and (lsh.bands, lsh.rows) == neardup.lsh_params(0.5, 64)
        assert neardup.lsh_params(0.5, num_perm) == neardup.lsh_params(0.5, 64)
        assert np.array_equal(neardup.datasketch_minhash([[b"a", b"b"]], num_perm=num_perm, seed=np.int64(3)).values,
                              neardup.datasketch_minhash([[b"a", b"b"]], num_perm=64, seed=3).values)
    for num_perm, message in [(True, "num_perm must be an int in [1, 65536], got True (bool)"),
                              (np.float64(64), "num_perm must be an int in [1, 65536], got np.float64(64.0) (float64)"),
                              (np.int64(0), "num_perm must be in [1, 65536], got np.int64(0)")]:
        assert check_call(lambda: neardup.minhash(docs, num_perm=num_perm)) == ("error", "ValueError", message)


def test_clean_options_take_numpy_scalars_and_hold_python_numbers(tmp_path):
    # A run with CleanOptions(ngram=np.int64(5)) (or repeats=np.True_, or a numpy value in
    # chrome_params) did the whole job, then failed writing summary.json: "Object of type
    # int64 is not JSON serializable"; np.int64 batch_size and num_perm and np.float32
    # threshold were refused.
    from neardup.io import RecordReader
    from neardup.pipeline import CleanOptions, clean

    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": "one two three four five six seven eight"}) + "\n" for i in range(3)))
    numbers = dict(threshold=np.float32(0.75), num_perm=np.int32(64), ngram=np.int64(3), batch_size=np.uint16(2),
                   num_threads=np.int64(1), examples=np.int8(2), min_evidence=np.int64(4), repeats=np.True_, dedup=np.True_)
    chrome_params = {"min_pages": np.int64(3), "cut_comments": np.False_, "run_cost": np.uint16(100)}
    options = CleanOptions(**numbers, chrome_params=chrome_params)
    summary = clean(RecordReader([str(source)]), tmp_path / "out", options)
    assert options.num_perm is numbers["num_perm"]  # the caller's options are left as given
    written = json.loads((tmp_path / "out" / "summary.json").read_text())["options"]
    options.check()  # what clean checks: a copy of the options
    for name, value in numbers.items():
        expected = value.item()
        assert type(getattr(options, name)) is type(expected) and getattr(options, name) == expected
        assert written[name] == summary["options"][name] == expected
    assert written["chrome_params"] == {"min_pages": 3, "cut_comments": False, "run_cost": 100}
    assert all(type(v) in (int, bool) for v in options.chrome_params.values())
    assert (summary["kept"], summary["dropped"]) == (1, 2)
    # A Python int threshold is written as given.
    assert clean(RecordReader([str(source)]), tmp_path / "again", CleanOptions(threshold=1))["options"]["threshold"] == 1


def test_numpy_floating_scalars_are_floats():
    # np.float32(0.8) was "threshold must be in [0, 1], got np.float32(0.8)".
    whole, part = "x y z " + "one two three four five six seven eight nine ten " * 2, "one two three four five six seven eight nine ten"
    expected = neardup.containment(part, whole, threshold=0.5)
    for threshold in (np.float32(0.5), np.float64(0.5), np.float16(0.5), np.int64(0)):
        result = neardup.containment(part, whole, threshold=threshold)
        assert result.share == expected.share and result.contained is (expected.share >= float(threshold))
    for threshold in (np.float32(1.5), True, np.nan, "0.5"):
        assert check_call(lambda: neardup.containment("a", "a", threshold=threshold)) == (
            "error", "ValueError", f"threshold must be a number in [0, 1], got {threshold!r}")


def test_fuzzy_normalize_is_a_bool():
    assert neardup.ratio("A b", "a  B", normalize=True) == 100.0
    for flag in (0, None, "no"):
        with pytest.raises(TypeError, match="normalize must be a bool"):
            neardup.ratio("a", "b", normalize=flag)
        with pytest.raises(TypeError, match="normalize must be a bool"):
            neardup.fuzzy_batch([("a", "b")], normalize=flag)
