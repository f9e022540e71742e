"""The clean job over Arrow data (`neardup.clean_table`, `neardup.io.ArrowInput`): a
`pyarrow.Table`, record batches or a Hugging Face `datasets.Dataset` gives the decisions
`neardup clean` gives on the same records as JSONL, one row per input row; bad rows raise
the JSONL reader's errors, naming the row; the source is read a batch at a time."""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path

# No network at test time: datasets reads only what the tests build.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import datasets  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import pytest  # noqa: E402

import neardup  # noqa: E402
from neardup.io import ARROW_BATCH_ROWS, ArrowInput, InputError, RecordReader  # noqa: E402
from neardup.pipeline import CleanOptions, clean  # noqa: E402

# Both backends: the decisions compared are computed by the core or the reference.

PLANTED_SITES = ("mirror.example", "wire.example")
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def corpus(shared_data: Path, pages_from: int = 71, syndicated_from: int = 50) -> list[dict]:
    """The first ``pages_from`` CleanPortalEval pages, the first ``syndicated_from`` pages of the
    syndication set built from them, and planted copies of the pages: exact copies on another
    site, pages cut short, article bodies without their page (which their page wraps) and a
    body pasted twice. 162 documents by default, with site, url and an extra field."""
    with gzip.open(shared_data / "chrome-cleanportaleval.jsonl.gz", "rt", encoding="utf-8") as handle:
        pages = [json.loads(line) for line in handle][:pages_from]
    with gzip.open(shared_data / "dups-syndication-cleanportaleval.jsonl.gz", "rt", encoding="utf-8") as handle:
        syndicated = [json.loads(line) for line in handle][:syndicated_from]
    docs = [{"id": f"cpe{k}", "text": p["text"], "site": p["site"], "url": p["url"], "lines": len(p["line_is_body"])} for k, p in enumerate(pages)]
    docs += [{"id": s["id"], "text": s["text"], "site": s["site"], "url": s["url"], "lines": None} for s in syndicated]
    for k in range(0, len(pages), 4):
        docs.append({"id": f"exact{k}", "text": pages[k]["text"], "site": PLANTED_SITES[0], "url": None, "lines": None})
    for k in range(1, len(pages), 6):
        text = pages[k]["text"]
        docs.append({"id": f"cut{k}", "text": text[: text.rfind("\n", 0, int(len(text) * 0.85))], "site": pages[k]["site"], "url": None, "lines": None})
    for k in range(2, len(pages), 7):
        docs.append({"id": f"body{k}", "text": pages[k]["body_text"], "site": None, "url": f"https://www.{PLANTED_SITES[1]}/{k}", "lines": None})
    docs.append({"id": "twice", "text": pages[3]["body_text"] + "\n" + pages[3]["body_text"], "site": PLANTED_SITES[1], "url": None, "lines": None})
    return docs


def write_jsonl(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def jsonl_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def cleaned_as_jsonl(folder: Path, docs: list[dict]) -> dict:
    """The corpus, and `neardup clean` on it as JSONL."""
    out = folder / "out"
    clean(RecordReader([str(write_jsonl(folder / "corpus.jsonl", docs))]), out, CleanOptions(num_threads=1))
    return {"docs": docs, "out": out}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"evaluation data not found at {SHARED_DATA}")
    return cleaned_as_jsonl(tmp_path_factory.mktemp("jsonl"), corpus(SHARED_DATA))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A smaller corpus of the same kinds (38 documents), for the tests that run the job
    several times: the pure-Python backend cleans it in about 2 s."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"evaluation data not found at {SHARED_DATA}")
    return cleaned_as_jsonl(tmp_path_factory.mktemp("small"), corpus(SHARED_DATA, 16, 12))


def batches_of(table: pa.Table, rows: int) -> list[pa.RecordBatch]:
    return table.to_batches(max_chunksize=rows)


def test_decisions_equal_neardup_clean_on_jsonl(shared, tmp_path):
    docs, jsonl_out = shared["docs"], shared["out"]
    source = pa.Table.from_pylist(docs)
    source = pa.concat_tables([source.slice(0, 7), source.slice(7, 100), source.slice(107)])  # uneven chunks
    out = tmp_path / "out"
    # Another thread count and batch size than the JSONL run's: decisions do not depend on them.
    table = neardup.clean_table(source, out, num_threads=2, batch_size=37)
    expected = (jsonl_out / "decisions.jsonl").read_text(encoding="utf-8")
    assert (out / "decisions.jsonl").read_text(encoding="utf-8") == expected
    rows = jsonl_rows(jsonl_out / "decisions.jsonl")
    # Every input row accounted for, in input order; the table says what decisions.jsonl says.
    assert table.num_rows == len(docs) == len(rows)
    assert table["row"].to_pylist() == list(range(len(docs)))
    assert table["id"].to_pylist() == [d["id"] for d in docs]
    for name in ("action", "reason", "duplicate_of", "score"):
        assert table[name].to_pylist() == [r[name] for r in rows], name
    assert [[[s["start"], s["end"], s["reason"]] for s in spans] for spans in table["removed"].to_pylist()] == [r["removed"] for r in rows]
    actions = {a: table["action"].to_pylist().count(a) for a in ("kept", "changed", "dropped", "skipped")}
    assert actions["dropped"] >= 40 and actions["changed"] >= 50 and actions["skipped"] == 0, actions
    # duplicate_of_row points at the kept document's row.
    ids = table["id"].to_pylist()
    for row in table.select(["duplicate_of", "duplicate_of_row"]).to_pylist():
        assert (row["duplicate_of"] is None) == (row["duplicate_of_row"] is None)
        if row["duplicate_of_row"] is not None:
            assert ids[row["duplicate_of_row"]] == row["duplicate_of"]
    # The cleaned text of each kept document is documents.jsonl's; the others have none.
    kept = {d["id"]: d["text"] for d in jsonl_rows(jsonl_out / "documents.jsonl")}
    cleaned = dict(zip(ids, table["cleaned_text"].to_pylist()))
    assert {i: t for i, t in cleaned.items() if t is not None} == kept
    # documents.parquet: the kept documents, cleaned, with the other columns as they were.
    documents = pq.read_table(out / "documents.parquet")
    assert documents.column_names == ["id", "text", "site", "url", "lines"]
    by_id = {d["id"]: d for d in docs}
    assert {r["id"]: r["text"] for r in documents.to_pylist()} == kept
    assert all(r["lines"] == by_id[r["id"]]["lines"] for r in documents.to_pylist())
    # The table returned is decisions.arrow, memory-mapped.
    assert neardup.pipeline.read_decisions(out / "decisions.arrow").equals(table)


LAYOUTS = {
    # Sources that must give the same: an iterator (read once, so copied), a
    # RecordBatchReader (the same), a list of batches, one table of one chunk.
    "iterator": lambda t: iter(batches_of(t, 5)),
    "reader": lambda t: pa.RecordBatchReader.from_batches(t.schema, batches_of(t, 9)),
    "batch list": lambda t: batches_of(t, 4),
    "table": lambda t: t.combine_chunks(),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_of_the_source_gives_the_same(small, layout):
    docs, jsonl_out = small["docs"], small["out"]
    table = neardup.clean_table(LAYOUTS[layout](pa.Table.from_pylist(docs)))
    rows = jsonl_rows(jsonl_out / "decisions.jsonl")
    assert table["id"].to_pylist() == [r["id"] for r in rows] == [d["id"] for d in docs]
    for name in ("action", "reason", "duplicate_of", "score"):
        assert table[name].to_pylist() == [r[name] for r in rows], name
    assert table["action"].to_pylist().count("dropped") >= 8


def test_typed_ids_join_back(tmp_path):
    """Integer ids: the table's id column is the input's type, so it joins back on id; the
    JSONL run over the same records (ids as JSON numbers) gives the same decisions."""
    body = "\n".join(f"Paragraph {k} of the article about the harbour and the ferries that cross it." for k in range(12))
    docs = [
        {"id": 9, "text": None, "site": "a.example", "lang": "en"},  # skipped: positions shift
        {"id": 10, "text": body, "site": "a.example", "lang": "en"},
        {"id": 11, "text": body + "\nOne more closing line of the article.", "site": "b.example", "lang": "en"},
        {"id": 12, "text": "A different story altogether, about mountains.\nIt has two lines.", "site": "a.example", "lang": "de"},
        {"id": None, "text": body, "site": "c.example", "lang": "en"},
    ]
    table = pa.Table.from_pylist(docs)
    # (Without chrome stripping: on so few pages the shared paragraphs would be cross-site chrome.)
    decisions = neardup.clean_table(table, tmp_path / "arrow", chrome=False, on_error="skip")
    clean(RecordReader([str(write_jsonl(tmp_path / "c.jsonl", docs))], on_error="skip"), tmp_path / "jsonl", CleanOptions(chrome=False))
    rows = jsonl_rows(tmp_path / "jsonl" / "decisions.jsonl")
    assert decisions.schema.field("id").type == pa.int64() == decisions.schema.field("duplicate_of").type
    # A row without an id has a made-up one in decisions.jsonl; the int column holds null.
    assert [r["id"] for r in rows] == [9, 10, 11, 12, "c.jsonl:5"]
    assert decisions["id"].to_pylist() == [9, 10, 11, 12, None]
    for name in ("action", "reason", "score"):
        assert decisions[name].to_pylist() == [r[name] for r in rows], name
    assert [r["action"] for r in rows] == ["skipped", "dropped", "kept", "kept", "dropped"]
    assert decisions["duplicate_of"].to_pylist() == [None, 11, None, None, 11]
    assert decisions["duplicate_of_row"].to_pylist() == [None, 2, None, None, 2]
    joined = table.join(decisions.select(["id", "action", "cleaned_text"]), "id").sort_by("id")
    assert joined.column_names == ["id", "text", "site", "lang", "action", "cleaned_text"]
    assert joined.filter(pa.compute.field("action") == "kept")["id"].to_pylist() == [11, 12]


BAD = {
    # name: (the columns, the first bad row, its problem)
    "missing text column": ({"id": ["a", "b"], "body": ["x", "y"]}, 0, "missing text field 'text'"),
    "null text": ({"id": ["a", "b"], "text": ["Some text.", None]}, 1, "text field 'text' is NoneType, expected a string"),
    "number text": ({"id": ["a", "b"], "text": [4, 5]}, 0, "text field 'text' is int, expected a string"),
    "array id": ({"id": [[1], [2, 3]], "text": ["One.", "Two."]}, 0, "id field 'id' is an array, expected a string or a number"),
    "object id": ({"id": [{"k": 1}, {"k": 2}], "text": ["One.", "Two."]}, 0, "id field 'id' is an object, expected a string or a number"),
    "NaN id": ({"id": [1.5, float("nan")], "text": ["One.", "Two."]}, 1, "id field 'id' is NaN, expected a string or a finite number"),
    "duplicate id": ({"id": ["a", "a"], "text": ["One.", "Two."]}, 1, "duplicate id 'a'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_rows_raise_the_jsonl_readers_errors(tmp_path, case):
    columns, first_bad, problem = BAD[case]
    table = pa.table(columns)
    jsonl = write_jsonl(tmp_path / "bad.jsonl", table.to_pylist())
    with pytest.raises(InputError) as from_jsonl:
        clean(RecordReader([str(jsonl)]), tmp_path / "jsonl")
    with pytest.raises(InputError) as from_arrow:
        neardup.clean_table(table, tmp_path / "arrow", name="pages")
    # The same problem, the row named pages#k where JSONL names the line bad.jsonl:k+1.
    def as_rows(message: str) -> str:
        return re.sub(rf"{re.escape(str(jsonl))}:(\d+)", lambda line: f"pages#{int(line.group(1)) - 1}", message)

    assert str(from_arrow.value).startswith(f"pages#{first_bad}: {problem}")
    assert str(from_arrow.value) == as_rows(str(from_jsonl.value))
    assert not (tmp_path / "arrow").exists() or not list((tmp_path / "arrow").iterdir())
    # Skipped instead: every row accounted for, with the JSONL run's reasons.
    skipped = neardup.clean_table(table, on_error="skip", name="pages")
    clean(RecordReader([str(jsonl)], on_error="skip"), tmp_path / "jsonl")
    rows = jsonl_rows(tmp_path / "jsonl" / "decisions.jsonl")
    assert skipped.num_rows == 2
    assert skipped["action"].to_pylist() == [r["action"] for r in rows]
    assert skipped["reason"].to_pylist() == [as_rows(r["reason"]) for r in rows]
    assert skipped["source"].to_pylist() == [f"pages#{k}" if r["action"] == "skipped" else None for k, r in enumerate(rows)]


@pytest.mark.parametrize(
    "column, kind",
    [
        (pa.array([b"a", b"b"]), "bytes"),
        (pa.array([1, 2], pa.timestamp("s")), "datetime"),
        (pa.array([1, 2], pa.decimal128(5, 0)), "Decimal"),
    ],
)
def test_ids_of_types_json_has_none_are_refused_naming_the_row(tmp_path, column, kind):
    table = pa.table({"id": column, "text": ["One.", "Two."]})
    with pytest.raises(InputError, match=f"^table#0: id field 'id' is {kind}, expected a string or a number$"):
        neardup.clean_table(table)
    skipped = neardup.clean_table(table, on_error="skip")
    assert skipped["action"].to_pylist() == ["skipped", "skipped"]
    assert skipped["id"].to_pylist() == [None, None]


class CountedBatches:
    """A source read again on each pass (iterable, not an iterator) that counts the batches
    taken from it."""

    def __init__(self, table: pa.Table, rows: int) -> None:
        self.table, self.rows, self.taken = table, rows, 0

    def __iter__(self):
        for batch in self.table.to_batches(max_chunksize=self.rows):
            self.taken += 1
            yield batch


def test_the_source_is_read_a_batch_at_a_time():
    rows = 3 * ARROW_BATCH_ROWS
    table = pa.table({"id": [f"d{k}" for k in range(rows)], "text": [f"Document number {k}." for k in range(rows)]})
    source = CountedBatches(table, ARROW_BATCH_ROWS)
    records = iter(RecordReader([ArrowInput(source)]))
    first = next(records)
    assert (first.id, first.text, first.source) == ("d0", "Document number 0.", "table#0")
    # One batch taken for the first record: the reader does not turn the table into records up front.
    assert source.taken == 1
    assert sum(1 for _ in records) == rows - 1 and source.taken == 3
    # A batch larger than ARROW_BATCH_ROWS is cut to it before being made into Python values.
    big = ArrowInput(pa.Table.from_batches([pa.RecordBatch.from_pydict({"id": list(range(2500)), "text": ["x"] * 2500})]))
    assert [b.num_rows for b in big.batches()] == [1024, 1024, 452]


def test_bad_sources():
    with pytest.raises(TypeError, match="expected a pyarrow.Table"):
        neardup.clean_table({"id": [1], "text": ["a"]})
    with pytest.raises(InputError, match=r"^table: item 1 is a dict, expected a pyarrow.RecordBatch or Table$"):
        neardup.clean_table([pa.record_batch({"text": ["a"]}), {"text": ["b"]}])
    with pytest.raises(InputError, match="^table: batch 1 has other columns than the first"):
        neardup.clean_table([pa.record_batch({"text": ["a"]}), pa.record_batch({"body": ["b"]})])
    with pytest.raises(TypeError, match="unknown setting"):
        neardup.clean_table(pa.table({"text": ["a"]}), treshold=0.5)
    empty = neardup.clean_table(pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}))
    assert empty.num_rows == 0 and empty.schema == neardup.pipeline.decisions_schema(pa.string())


def test_datasets(small, tmp_path):
    """A `datasets.Dataset` read from JSONL (offline), shuffled: the view is cleaned in its
    order, with the decisions of `neardup clean` on that order; the decisions go back onto
    the dataset by position (concatenate, axis=1) and filter it. The IterableDataset of the
    same view gives the same table."""
    docs = small["docs"]
    path = write_jsonl(tmp_path / "corpus.jsonl", docs)
    dataset = datasets.Dataset.from_json(str(path), cache_dir=str(tmp_path / "hf-cache")).shuffle(seed=3)
    order = dataset["id"]
    assert order != [d["id"] for d in docs]
    decisions = neardup.clean_table(dataset, tmp_path / "out")
    by_id = {d["id"]: d for d in docs}
    clean(RecordReader([str(write_jsonl(tmp_path / "shuffled.jsonl", [by_id[i] for i in order]))]), tmp_path / "jsonl")
    assert (tmp_path / "out" / "decisions.jsonl").read_text(encoding="utf-8") == (tmp_path / "jsonl" / "decisions.jsonl").read_text(encoding="utf-8")
    assert decisions["id"].to_pylist() == order
    # The README's recipe.
    cleaned = datasets.Dataset.from_file(str(tmp_path / "out" / "decisions.arrow"))
    both = datasets.concatenate_datasets([dataset, cleaned.remove_columns(["id"])], axis=1)
    kept = both.filter(lambda action: action != "dropped", input_columns="action")
    rows = jsonl_rows(tmp_path / "jsonl" / "decisions.jsonl")
    assert kept["id"] == [r["id"] for r in rows if r["action"] != "dropped"]
    assert kept["cleaned_text"] == [t for t in decisions["cleaned_text"].to_pylist() if t is not None]
    kept = kept.remove_columns(["text"]).rename_column("cleaned_text", "text")
    assert kept["text"] == [d["text"] for d in jsonl_rows(tmp_path / "jsonl" / "documents.jsonl")]
    streamed = neardup.clean_table(dataset.to_iterable_dataset())
    assert streamed.equals(decisions)
