"""neardup.datatrove: a datatrove pipeline (JsonlReader -> neardup steps -> JsonlWriter on
LocalPipelineExecutor) gives the decisions and cleaned texts of ``neardup clean`` on the same
documents, whatever the number of tasks.

The corpus is the shared syndication set (CleanPortalEval pages of four sites and copies of
their articles inside other sites' chrome, made by ``make_syndication.py``), with three exact
copies planted in later files, split into five JSONL files: with two or three tasks each
task reads some of the files, so the chrome model must be merged across tasks and the
documents ordered across them as ``neardup clean`` reads the files.
"""

from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path

import pytest

import contained_corpus
import fragment_corpus
import own_text_corpus
from neardup.io import RecordReader
from neardup.pipeline import CleanOptions
from neardup.pipeline import clean as local_clean

pytest.importorskip("datatrove", reason="datatrove is not installed (pip install 'neardup[datatrove]')")

from datatrove.data import Document  # noqa: E402
from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

from neardup import datatrove as ndt  # noqa: E402

FILES = 5
#: (copy id, id of the page it copies): placed in the last file, after their sources.
PLANTED = [("planted-0", 3), ("planted-1", 40), ("planted-2", 77)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    source = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dups-syndication-cleanportaleval.jsonl.gz"
    if not source.is_file():
        pytest.skip(f"{source} is absent")
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    rows += [{**rows[k], "id": copy_id} for copy_id, k in PLANTED]
    folder = tmp_path_factory.mktemp("corpus")
    # Short texts inside long pages (pairs only the anchors find), spread over the files.
    contained_corpus.write(folder / "contained.txt")
    contained = [{"id": f"contained-{r['id']}", "text": r["text"]} for r in map(json.loads, (folder / "contained.txt").read_text(encoding="utf-8").splitlines())]
    (folder / "contained.txt").unlink()
    # Pages sharing a fragment (the fragment waits for the first page), spread over the files too.
    contained += [{"id": f"fragment-{id_}", "text": text} for id_, text in fragment_corpus.texts().items()]
    # A trimmed copy matched on the pages' own texts (the lines no other page of their site has).
    contained += [{**row, "id": f"own-{row['id']}"} for row in own_text_corpus.rows()]
    stride = len(rows) // len(contained)
    for k, row in enumerate(contained):
        rows.insert(k * (stride + 1), row)
    size = -(-len(rows) // FILES)
    for f in range(FILES):
        with open(folder / f"part-{f:02d}.jsonl", "w", encoding="utf-8") as out:
            out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows[f * size : (f + 1) * size])
    return folder


@pytest.fixture(scope="module")
def expected(corpus, tmp_path_factory) -> tuple[dict, dict]:
    """``neardup clean`` on the files in name order: decisions and cleaned texts by id."""
    out = tmp_path_factory.mktemp("local") / "out"
    local_clean(RecordReader(sorted(str(p) for p in corpus.iterdir())), out, CleanOptions())
    with open(out / "decisions.jsonl", encoding="utf-8") as handle:
        decisions = {row["id"]: row for row in map(json.loads, handle)}
    with open(out / "documents.jsonl", encoding="utf-8") as handle:
        texts = {row["id"]: row["text"] for row in map(json.loads, handle)}
    return decisions, texts


def run_pipeline(corpus: Path, work: Path, tasks: int, workers: int) -> tuple[dict, dict]:
    """The five stages chained with ``depends``; returns the decisions (as decisions.jsonl
    rows) and the kept documents' texts by id, from the writers' outputs."""

    def reader() -> JsonlReader:
        return JsonlReader(str(corpus))

    def executor(pipeline: list, n: int, name: str, depends: LocalPipelineExecutor | None) -> LocalPipelineExecutor:
        return LocalPipelineExecutor(pipeline, tasks=n, workers=min(workers, n), logging_dir=str(work / "logs" / name), depends=depends)

    counts = executor([reader(), ndt.ChromeCounts(str(work / "chrome"))], tasks, "counts", None)
    merge = executor([ndt.ChromeMerge(str(work / "chrome"))], 1, "merge", counts)
    sign = executor([reader(), ndt.StripChrome(str(work / "chrome")), ndt.Signatures(str(work / "signatures"))], tasks, "sign", merge)
    decide = executor([ndt.Decide(str(work / "signatures"), str(work / "decisions"))], 1, "decide", sign)
    dropped_writer = JsonlWriter(str(work / "dropped"), compression=None)
    write = executor(
        [reader(), ndt.DuplicateFilter(str(work / "decisions"), exclusion_writer=dropped_writer), JsonlWriter(str(work / "kept"), compression=None)],
        tasks,
        "write",
        decide,
    )
    # Run in order and stop at a failed stage (a dependent executor would wait for it forever).
    for stage in (counts, merge, sign, decide, write):
        stage.run()
        assert not stage.get_incomplete_ranks(), f"stage {stage.logging_dir.path} failed"
    decisions, texts = {}, {}
    for folder in ("kept", "dropped"):
        for path in sorted((work / folder).glob("*.jsonl")):
            for doc in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
                meta = doc["metadata"]
                decisions[doc["id"]] = ndt.decision_row(doc["id"], meta)
                if folder == "kept":
                    texts[doc["id"]] = doc["text"]
                else:
                    assert meta["filter_reason"] == "neardup_duplicate"
    return decisions, texts


def test_two_tasks_two_workers_decide_as_neardup_clean(corpus, expected, tmp_path):
    local_decisions, local_texts = expected
    dropped = {i for i, d in local_decisions.items() if d["action"] == "dropped"}
    # The corpus exercises what must merge across tasks: copies dropped (the planted exact
    # ones for their sources, which sit in other files) and chrome removed from pages.
    assert {copy_id for copy_id, _ in PLANTED} <= dropped and len(dropped) > 40
    assert sum(d["action"] == "changed" for d in local_decisions.values()) > 50
    assert sum(d["duplicate_of"] == "contained-note" for d in local_decisions.values()) == 24
    assert local_decisions["fragment-passage"]["duplicate_of"] == "fragment-page-0"
    assert any(local_decisions[i]["reason"].endswith("+refined 1.000)") for i in ("own-copy", "own-source-0"))
    decisions, texts = run_pipeline(corpus, tmp_path, tasks=2, workers=2)
    assert sorted(decisions) == sorted(local_decisions)
    for id_, row in local_decisions.items():
        assert decisions[id_] == row, f"decision of {id_} differs"
    assert texts == local_texts


# The sharding, merging and ordering checked here are Python code that no backend computes;
# the decisions themselves are checked under both backends by the test above.
@pytest.mark.backend_independent
def test_the_result_does_not_depend_on_the_task_count(corpus, expected, tmp_path):
    local_decisions, local_texts = expected
    for tasks in (1, 3):
        decisions, texts = run_pipeline(corpus, tmp_path / f"tasks-{tasks}", tasks=tasks, workers=1)
        assert decisions == local_decisions, f"{tasks} tasks"
        assert texts == local_texts, f"{tasks} tasks"
    # One task and three wrote the same merged chrome model.
    one, three = (json.loads((tmp_path / f"tasks-{t}" / "chrome" / "model.json").read_text()) for t in (1, 3))
    assert one == three


@pytest.mark.backend_independent
def test_steps_pickle_and_mismatched_stages_are_refused(corpus, tmp_path):
    """Steps cross datatrove's process boundary; a filter run with another task count than the
    signatures (or on other documents) is an error naming the task, not wrong output."""
    step = ndt.StripChrome(ndt.ChromeModel())
    assert pickle.loads(pickle.dumps(step)).model.to_dict() == step.model.to_dict()
    work = tmp_path / "work"
    stages = [
        LocalPipelineExecutor([JsonlReader(str(corpus)), ndt.Signatures(str(work / "signatures"))], tasks=2, workers=1, logging_dir=str(work / "logs-sign")),
        LocalPipelineExecutor([ndt.Decide(str(work / "signatures"), str(work / "decisions"))], tasks=1, workers=1, logging_dir=str(work / "logs-decide")),
    ]
    for stage in stages:
        stage.run()
    filter_step = ndt.DuplicateFilter(str(work / "decisions"))
    with pytest.raises(ValueError, match="decisions are of a run with 2 tasks, this one has 3"):
        list(filter_step.run(iter(JsonlReader(str(corpus)).run(rank=0, world_size=3)), rank=0, world_size=3))
    # Task 0 of two reads files 0, 2, 4; given task 1's documents, the first one is refused.
    with pytest.raises(ValueError, match="is not the one signed at this position"):
        list(filter_step.run(iter(JsonlReader(str(corpus)).run(rank=1, world_size=2)), rank=0, world_size=2))
    # A document changed since it was signed, even to a text of the same length, is refused.
    changed = list(JsonlReader(str(corpus)).run(rank=0, world_size=2))
    changed[1].text = changed[1].text.swapcase()
    with pytest.raises(ValueError, match=f"document '{changed[1].id}', cleaned as decided, is not the text signed"):
        list(filter_step.run(iter(changed), rank=0, world_size=2))
    # A run with fewer tasks into a folder a run with more wrote leaves the latter's last task
    # behind: refused, not mixed in.
    for tasks in (3, 2):
        sign = ndt.Signatures(str(work / "signatures-again"))
        LocalPipelineExecutor([JsonlReader(str(corpus)), sign], tasks=tasks, workers=1, logging_dir=str(work / f"logs-again-{tasks}")).run()
    with pytest.raises(ValueError, match="runs with 2 and 3 tasks"):
        list(ndt.Decide(str(work / "signatures-again"), str(work / "decisions-again")).run(None, 0, 1))


@pytest.mark.backend_independent
def test_bad_input_is_refused_naming_the_document(tmp_path):
    text = "one two three four five six seven eight nine ten"
    # Text the core refuses: the error names the step, the task and the document, not the batch.
    docs = [Document(text, "fine", metadata={"site": "s"}), Document("lone \ud800 surrogate", "bad", metadata={"site": "s"})]
    for step in (ndt.ChromeCounts(str(tmp_path / "chrome")), ndt.StripChrome(ndt.ChromeModel())):
        with pytest.raises(ValueError, match=r"task 0, document 'bad': lone surrogate U\+D800"):
            list(step.run(iter(docs), 0, 1))
    # A document without its source file cannot be placed in the order.
    with pytest.raises(ValueError, match="document 'a' has no metadata 'file_path'"):
        list(ndt.Signatures(str(tmp_path / "no-source")).run(iter([Document(text, "a")]), 0, 1))
    # Two documents with one id (in two files) are refused, naming both places.
    for name in ("x.jsonl", "y.jsonl"):
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_text(json.dumps({"id": "same", "text": text}) + "\n", encoding="utf-8")
    LocalPipelineExecutor([JsonlReader(str(tmp_path / "in")), ndt.Signatures(str(tmp_path / "sig"))], tasks=2, workers=1, logging_dir=str(tmp_path / "logs")).run()
    with pytest.raises(ValueError, match=r"id 'same' is the id of two documents \(.*x\.jsonl document 0 and .*y\.jsonl document 0\)"):
        list(ndt.Decide(str(tmp_path / "sig"), str(tmp_path / "decisions")).run(None, 0, 1))
