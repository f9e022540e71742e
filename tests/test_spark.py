"""neardup.spark in local mode (local[2]) gives the local job's decisions, row for row.

These tests start their own SparkSession (one per test run; `make test` runs them in a pytest
process of their own, beside the other tests). They skip only when pyspark or a Java runtime is
absent; `make test` installs pyspark and checks Java, so they run there.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import neardup
from neardup.io import Fields, RecordReader
from neardup.pipeline import CleanOptions
from neardup.pipeline import clean as local_clean

import contained_corpus
import fragment_corpus
import noisy_copy_corpus
import own_text_corpus
import template_corpus

pytestmark = pytest.mark.spark

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'neardup[spark]')")
if shutil.which("java") is None:
    pytest.skip("no Java runtime on PATH: Spark needs Java 17+", allow_module_level=True)

from neardup import spark as nspark  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
DATA = ROOT.parent / "shared" / "data"


# The quick JIT and the serial collector; neither adaptive query execution (whose re-planning at
# every shuffle is most of the work on corpora this small) nor whole-stage code generation
# (Janino compiling each plan): together 20% less CPU for the same tests (82-91 -> 65-73 s on
# three of them, alternating runs). The cluster test keeps Spark's defaults for both.
QUICK_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
}


@pytest.fixture(scope="session")
def spark():
    session = nspark.session("local[2]", "neardup-tests", **QUICK_CONF)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _local(inputs: list[str], tmp_path: Path, fields: Fields) -> list[dict]:
    out = tmp_path / "local"
    local_clean(RecordReader(inputs, fields=fields), out, CleanOptions())
    with open(out / "decisions.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _spark(spark, inputs: list[str], fields: Fields, partitions: int) -> tuple[list[dict], list[dict]]:
    records = list(RecordReader(inputs, fields=fields))
    rows = [(r.index, r.id, r.text, r.site, r.extra.get("topic")) for r in records]
    df = spark.createDataFrame(rows, "pos long, id string, text string, site string, topic string").repartition(partitions)
    cleaned, decisions = nspark.clean(df, order_col="pos")
    out = []
    for row in decisions.collect():
        d = row.asDict(recursive=True)
        d["removed"] = [[r["start"], r["end"], r["reason"]] for r in d["removed"]]
        if d["action"] != "skipped":
            del d["source"]
        out.append(d)
    return out, [r.asDict() for r in cleaned.collect()]


def _same(local: list[dict], spark: list[dict]) -> None:
    assert [d["id"] for d in spark] == [d["id"] for d in local]
    for mine, theirs in zip(spark, local):
        assert mine == theirs, f"decision of {theirs['id']} differs"


def test_seeds_decisions_equal_the_local_job(spark, tmp_path):
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} is absent")
    local = _local([str(SEEDS)], tmp_path, Fields())
    decisions, cleaned = _spark(spark, [str(SEEDS)], Fields(), partitions=3)
    _same(local, decisions)
    # 000 and 001 are one article: one of them goes, and the cleaned rows are the others.
    assert [d["action"] for d in decisions].count("dropped") == 1
    assert {r["id"] for r in cleaned} == {d["id"] for d in decisions if d["action"] != "dropped"}


def test_bbc_news_decisions_equal_the_local_job(spark, tmp_path):
    corpus = DATA / "dups-bbc-news.jsonl.gz"
    if not corpus.is_file():
        pytest.skip(f"{corpus} is absent")
    # The topic stands in for the site, so that chrome statistics are learned and used too.
    fields = Fields(site="topic")
    local = _local([str(corpus)], tmp_path, fields)
    decisions, cleaned = _spark(spark, [str(corpus)], fields, partitions=4)
    actions = {a: [d["action"] for d in local].count(a) for a in ("kept", "changed", "dropped")}
    # The articles are plain text without chrome or in-page repeats: nothing is stripped (the
    # changes an earlier chrome method made here were blank lines at the body region's edges).
    assert len(local) == 2225 and actions["dropped"] > 20 and actions["changed"] == 0, actions
    _same(local, decisions)
    with open(tmp_path / "local" / "documents.jsonl", encoding="utf-8") as handle:
        local_docs = [json.loads(line) for line in handle]
    assert [(r["id"], r["text"]) for r in cleaned] == [(r["id"], r["text"]) for r in local_docs]


def test_syndication_decisions_equal_the_local_job(spark, tmp_path):
    """Copies in other sites' chrome with character noise: pairs kept on their aligned
    (refined) score must come out the same on Spark."""
    corpus = DATA / "dups-syndication-cleanportaleval.jsonl.gz"
    if not corpus.is_file():
        pytest.skip(f"{corpus} is absent")
    local = _local([str(corpus)], tmp_path, Fields())
    assert any("+refined" in d["reason"] for d in local)
    decisions, _ = _spark(spark, [str(corpus)], Fields(), partitions=3)
    _same(local, decisions)


def test_short_texts_inside_long_pages_decide_as_the_local_job(spark, tmp_path):
    """Pairs only the anchors find (a short note inside pages ten times its size), with copies
    of the pages: the passage's anchors are held by 22 documents in 13 groups of copies, so
    Spark must count an anchor's holders by group, as the local job does, to pair them."""
    corpus = tmp_path / "contained.jsonl"
    ids = contained_corpus.write(corpus)
    local = _local([str(corpus)], tmp_path, Fields())
    assert sum(d["duplicate_of"] == "note" for d in local) == len(ids["pages"])
    decisions, _ = _spark(spark, [str(corpus)], Fields(), partitions=3)
    _same(local, decisions)


def test_pages_holding_a_fragment_decide_as_the_local_job(spark, tmp_path):
    """A passage opening six pages (tests/fragment_corpus.py) ranks first but may not take
    them: it waits, and the first page takes it; Spark must give its decision the pairs'
    directions as the local job does."""
    corpus = tmp_path / "fragment.jsonl"
    fragment_corpus.write(corpus)
    local = _local([str(corpus)], tmp_path, Fields())
    assert [d["action"] for d in local] == ["dropped"] + ["kept"] * fragment_corpus.PAGES
    decisions, _ = _spark(spark, [str(corpus)], Fields(), partitions=3)
    _same(local, decisions)


def test_a_copy_matched_on_the_own_texts_decides_as_the_local_job(spark, tmp_path):
    """A trimmed copy above another site's readers' comments, found on two of that site's
    pages, and two forum pages sharing only a thread of replies (tests/own_text_corpus.py):
    only the first pair's own texts match, and the second's do not, so Spark's model must keep
    the lines counted on two pages, its refinement align the own texts and its verification
    leave out the pair whose own texts do not match. Beside them, copies with character noise
    on another site and on their story's own site (tests/noisy_copy_corpus.py): Spark must
    align the first pair from the lower containment of two sites, and not the second; and a
    photo page whose own text, its caption, is too short to be held for its site's thread
    (own_text_corpus.caption_rows). And two pages of one template, which Spark's refinement
    must not lift, beside an edited copy, which it must (tests/template_corpus.py)."""
    corpus = tmp_path / "own.jsonl"
    own_text_corpus.write(corpus, own_text_corpus.rows() + noisy_copy_corpus.rows() + own_text_corpus.caption_rows() + template_corpus.rows())
    local = _local([str(corpus)], tmp_path, Fields())
    assert any(d["reason"].endswith("+refined 1.000)") for d in local if d["id"] in ("copy", "source-0"))
    by_id = {d["id"]: d for d in local}
    assert by_id["copy-across"]["duplicate_of"] == "story-1" and by_id["copy-within"]["action"] == "changed"
    assert by_id["caption"]["action"] != "dropped"
    assert by_id["gadget"]["action"] == "kept" and by_id["widget-edited"]["duplicate_of"] == "widget"
    decisions, _ = _spark(spark, [str(corpus)], Fields(), partitions=3)
    _same(local, decisions)


@pytest.mark.parametrize("copy_first", [False, True])
def test_a_group_of_copies_on_two_sites_decides_as_the_local_job(spark, tmp_path, copy_first):
    """Exact copies of a page on two sites: the local job decides the group whole, with the
    sites of all its copies; Spark, which has no groups, must find them the same way."""
    corpus = tmp_path / "across.jsonl"
    fragment_corpus.write_across_sites(corpus, copy_first)
    local = _local([str(corpus)], tmp_path, Fields())
    decisions, _ = _spark(spark, [str(corpus)], Fields(), partitions=3)
    _same(local, decisions)


@pytest.mark.parametrize("driver_max_edges", ["none", "fewer", "all", "default"])
def test_connected_components_are_the_union_find_components(spark, driver_max_edges):
    """The distributed rounds (no edges, or more than the driver takes) and the driver's
    union-find (every edge collected) name the same components."""
    rng = np.random.default_rng(7)
    n = 300
    # Nodes spread over the int64 range, as monotonically_increasing_id gives them.
    name = np.sort(rng.choice(2**40, size=n, replace=False)) * 1000 + 7
    pairs = sorted({tuple(sorted(p)) for p in rng.integers(0, n, size=(260, 2)).tolist() if p[0] != p[1]})
    # A self-pair and an edge given both ways: neither changes a component.
    given = [(int(name[i]), int(name[j])) for i, j in pairs] + [(int(name[5]), int(name[5])), (int(name[pairs[0][1]]), int(name[pairs[0][0]]))]
    edges = spark.createDataFrame(given, "i long, j long")
    limit = {"none": 0, "fewer": len(pairs) - 1, "all": len(pairs), "default": nspark.DRIVER_COMPONENT_EDGES}[driver_max_edges]
    found = {r["node"]: r["component"] for r in nspark.connected_components(edges, driver_max_edges=limit).collect()}
    roots, _ = neardup.cluster(n, np.array(pairs))
    # neardup.cluster's representative (no priority) is the smallest member: the same naming.
    expected = {int(name[i]): int(name[roots[i]]) for i in range(n) if any(i in p for p in pairs)}
    assert found == expected


@pytest.mark.parametrize("driver_max_edges", [0, nspark.DRIVER_COMPONENT_EDGES])
def test_connected_components_of_no_edges(spark, driver_max_edges):
    edges = spark.createDataFrame([(3, 3)], "i long, j long")
    assert nspark.connected_components(edges, driver_max_edges=driver_max_edges).collect() == []


def test_chrome_model_from_spark_counts_decides_like_the_local_model(spark):
    pages = [
        ("a", "Home | News | Sport\nStory %d begins here with its own words.\nMore text of story %d.\nCopyright 2024 Site A" % (i, i))
        for i in range(6)
    ] + [("b", "Menu\nSomething else %d entirely.\nShared footer line for sites\nCopyright 2024 Site A" % i) for i in range(4)]
    # A site named as another with a NUL after it is another site (a numpy text array would
    # strip the NUL and merge the two).
    pages += [("b\x00", "Menu\nAnother thing %d.\nShared footer line for sites" % i) for i in range(3)]
    # A site of two pages, fewer than min_pages: its lines on both pages count too (each page
    # has 100 characters or more of its own).
    pages += [("c", "Top menu of c\nSections\nStory %s of site c, in words of its own that the other page of the site does not have at all, not one.\nLinks at the bottom" % w)
              for w in ("one", "two")]
    df = spark.createDataFrame([(t, s) for s, t in pages], "text string, site string").repartition(3)
    model = nspark.chrome_model(nspark.chrome_counts(df), cross_sites=2)
    reference = neardup.ChromeModel(cross_sites=2).update([t for _, t in pages], [s for s, _ in pages])
    assert sorted(model.sites) == sorted(reference.sites) == ["a", "b", "b\x00", "c"]
    assert [model.site_state(site)[0] for site in sorted(model.sites)] == [6, 4, 3, 2]
    assert nspark.chrome_model(nspark.chrome_counts(df.where("false"))).sites == []
    texts, sites = [t for _, t in pages], [s for s, _ in pages]
    got = [d.decisions.tolist() for d in model.classify(texts, sites)]
    want = [d.decisions.tolist() for d in reference.classify(texts, sites)]
    assert got == want
    assert any(any(x) for x in want)  # some line is chrome, so the comparison has teeth
    # The lines on two pages of a site or more, and those of them no other site has, which a
    # page's own text leaves out.
    for got_counts, want_counts in zip(model.line_counts(texts, sites), reference.line_counts(texts, sites)):
        assert (got_counts[:, 0] >= 2).tolist() == (want_counts[:, 0] >= 2).tolist()
        assert ((got_counts[:, 0] >= 2) & (got_counts[:, 1] == 1)).tolist() == ((want_counts[:, 0] >= 2) & (want_counts[:, 1] == 1)).tolist()
    assert all(want[-1][i] for i in (0, 1, 3))  # site c's shared lines among them


def test_an_id_read_again_is_skipped_as_the_local_reader_does(spark):
    words = [" ".join(f"w{i}x{k}" for k in range(30)) for i in range(3)]
    df = spark.createDataFrame([(0, "a", words[0]), (1, "b", words[1]), (2, "a", words[2])], "pos long, id string, text string")
    cleaned, decisions = nspark.clean(df, order_col="pos")
    rows = [r.asDict() for r in decisions.collect()]
    assert [(r["id"], r["action"]) for r in rows] == [("a", "kept"), ("b", "kept"), ("a", "skipped")]
    assert rows[2]["reason"] == "duplicate id 'a' (first seen earlier in the input)"
    assert sorted((r["id"], r["text"]) for r in cleaned.collect()) == [("a", words[0]), ("b", words[1])]


def test_site_columns_resolve_as_the_local_reader_does(spark):
    # Cast to text first, a boolean site column made every page's site "true" (a list "[s]",
    # NaN "NaN"), where the local reader refuses each such record.
    from neardup.io.read import site_of

    rows = [(0, "a", "t", True, ["s"], 3.0, 7, 1e7, "http://www.x.com/a", 5), (1, "b", "t", False, [], 2.5, None, float("nan"), None, 6),
            (2, "c", "t", None, None, None, 2, None, "https://y.org/p", None)]
    schema = "pos long, id string, text string, flag boolean, tags array<string>, num double, code int, big double, url string, iurl int"
    df = spark.createDataFrame(rows, schema)
    for column, k in {"num": 5, "code": 6}.items():
        got = [r["site"] for r in nspark.prepare(df, site_col=column, order_col="pos").orderBy(nspark.POS).collect()]
        assert got == [site_of(row[k], row[8]) for row in rows], column
    assert [site_of(row[5], row[8]) for row in rows] == ["3.0", "2.5", "y.org"]
    # Types the local reader refuses as a site or url: a clear error before any work.
    for site, url, message in [("flag", "url", "site column 'flag' holds boolean values, expected strings or numbers"),
                               ("tags", "url", "site column 'tags' holds array<string> values, expected strings or numbers"),
                               ("code", "iurl", "url column 'iurl' holds int values, expected strings")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            nspark.prepare(df, site_col=site, url_col=url, order_col="pos")
    # A double column's NaN is a record the local reader refuses: the job fails naming it.
    with pytest.raises(Exception, match=re.escape("site column 'big' of row 1 is nan, expected a string or a finite number")):
        nspark.prepare(df, site_col="big", order_col="pos").collect()


def test_missing_column_is_a_clear_error(spark):
    df = spark.createDataFrame([("1", "x")], "id string, body string")
    with pytest.raises(ValueError, match="no column 'text'"):
        nspark.clean(df)


def test_spark_clean_command_writes_parquet_with_the_local_decisions(spark, tmp_path):
    corpus = DATA / "dups-bbc-news.jsonl.gz"
    if not corpus.is_file():
        pytest.skip(f"{corpus} is absent")
    import gzip

    import pyarrow.parquet as pq

    from neardup.cli import main

    # A few hundred pages including some of the corpus's copies, as a JSONL file for both jobs.
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        lines = [line for _, line in zip(range(400), handle)]
    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(lines), encoding="utf-8")
    local = _local([str(sample)], tmp_path, Fields(site="topic"))
    assert main(["spark-clean", str(sample), str(tmp_path / "spark"), "--site-field", "topic"]) == 0
    table = pq.read_table(tmp_path / "spark" / "decisions.parquet").to_pylist()
    got = [{**d, "removed": [[r["start"], r["end"], r["reason"]] for r in d["removed"]]} for d in table]
    for d in got:
        del d["source"]
    _same(local, got)
    summary = json.loads((tmp_path / "spark" / "summary.json").read_text())
    assert summary["documents"] == 400 and summary["dropped"] == [d["action"] for d in local].count("dropped")
    kept = pq.read_table(tmp_path / "spark" / "documents.parquet").to_pylist()
    assert len(kept) == 400 - summary["dropped"] and {"id", "text", "topic"} <= set(kept[0])
