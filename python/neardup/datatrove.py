"""``neardup clean`` as datatrove pipeline steps: the same decisions, sharded by task.

Install with ``pip install 'neardup[datatrove]'``. The job runs as five stages, each a
datatrove executor; a stage that merges what all tasks of the one before wrote ``depends`` on
it (as datatrove's own MinHash deduplication does):

1. ``reader -> ChromeCounts(work/"chrome")``, N tasks: each task counts its pages' lines per
   site (a :class:`neardup.ChromeModel` of its shard) into ``chrome/counts/{rank:05d}.json``.
2. ``ChromeMerge(work/"chrome")``, 1 task: the counts summed per site and line into
   ``chrome/model.json`` (page counts are additive over disjoint shards, so this is the model
   learned on the whole corpus at once).
3. ``reader -> StripChrome(work/"chrome") -> Signatures(work/"signatures")``, N tasks: each
   page loses its repeated passages and its site's chrome, and its cleaned text, removed spans,
   distinct-shingle count and MinHash signature are written per task.
4. ``Decide(work/"signatures", work/"decisions")``, 1 task: all tasks' documents in one order
   that does not depend on the tasks (source file, then position in it), verified and decided
   by the local job's own functions (:func:`neardup.pipeline.decide.verify_cleaned`,
   :func:`neardup.pipeline.decide.corpus_decisions`, :func:`neardup.decide.describe`); one
   decision file per task of stage 3, its documents in that task's order.
5. ``reader -> DuplicateFilter(work/"decisions", exclusion_writer=...) -> writer``, N tasks:
   duplicates are dropped with their reason in ``metadata`` (to the exclusion writer, text as
   read), kept documents get their cleaned text; both carry the ``decisions.jsonl`` row of
   ``neardup clean`` as ``neardup_*`` metadata.

Stages 1, 3 and 5 must read the same documents with the same number of tasks (the same
reader, and the same filters before the neardup steps); a mismatch is an error naming the
task and document. docs/datatrove.md has a full pipeline, the files and the guarantees.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

try:
    from datatrove.data import Document, DocumentsPipeline
    from datatrove.io import DataFolder, DataFolderLike, get_datafolder
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.pipeline.writers.disk_base import DiskWriter
    from datatrove.utils.batching import batched
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(f"neardup.datatrove needs datatrove >= 0.10: pip install 'neardup[datatrove]' ({error})") from None

from ._version import __version__
from .chrome import ChromeModel
from .decide import MIN_EVIDENCE_SHINGLES, describe
from .io.read import Record, site_of
from .lsh import band_keys
from .csr import csr_rows
from .pipeline.decide import KEEP_POLICY, corpus_decisions, spooled_own_texts, verify_cleaned, wrapper_own_lines
from .pipeline.learn import learnable
from .pipeline.sign import signed
from .pipeline.state import CleanOptions, Doc, TextSpool, lsh_bands
from .pipeline.strip import own_texts, strip_records
from .pipeline.write import dropped_spans, kept_reason
from .spans import CutText, merge_spans

__all__ = ["ChromeCounts", "ChromeMerge", "Decide", "DuplicateFilter", "Signatures", "StripChrome", "decision_row"]

#: The format names of the files the stages write (each file also has a ``version``).
COUNTS_FORMAT = "neardup-datatrove-chrome-counts"
SIGNATURES_FORMAT = "neardup-datatrove-signatures"
DECISIONS_FORMAT = "neardup-datatrove-decisions"
FORMAT_VERSION = 3
#: The merged chrome model, in the chrome folder (the format of ChromeModel.save).
MODEL_FILE = "model.json"
#: Where the reader's metadata names a document's source file (datatrove's readers add it).
FILE_PATH_KEY = "file_path"
#: The metadata key StripChrome hands a page's own text (pipeline.strip.own_texts) to
#: Signatures under, which takes it out again.
OWN_TEXT_KEY = "neardup_own_text"
TYPE = "🧹 - NEARDUP"
_RANK_FILE = re.compile(r"^(\d{5})\.meta\.json$")


def _ordered_anchors(values_of_task: list[np.ndarray], counts_of_task: list[np.ndarray], order: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The anchors of every task's documents (``values, counts`` per task, in task order) as
    one CSR ``(values, offsets)`` with the documents in ``order`` (positions in task order)."""
    values = np.concatenate(values_of_task) if values_of_task else np.zeros(0, np.uint64)
    counts = np.concatenate(counts_of_task) if counts_of_task else np.zeros(0, np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return csr_rows(values, offsets, np.asarray(order, dtype=np.int64))


def _removed_rows(removed: list[tuple[int, int, str]]) -> list[list[Any]]:
    return [[int(s), int(e), why] for s, e, why in removed]


def _records(docs: list[Document], site_key: str | None, url_key: str | None) -> list[Record]:
    """The documents as the local job's records (id as text, site from the site or url
    metadata as the local reader resolves it); a text that is not a str is an error."""
    records = []
    for k, doc in enumerate(docs):
        if not isinstance(doc.text, str):
            raise TypeError(f"document {doc.id!r}: text must be a str, got {type(doc.text).__name__}")
        site = site_of(doc.metadata.get(site_key) if site_key else None, doc.metadata.get(url_key) if url_key else None)
        records.append(Record(k, str(doc.id), doc.text, site, id_value=doc.id))
    return records


def _named(step: str, rank: int, batch: list[Document], error: Exception, call: Callable[[list[Document]], Any]) -> Exception:
    """``error``, raised by ``call`` on a batch, naming the step, the task and the first
    document on which ``call`` (without side effects) fails alone."""
    kind = TypeError if isinstance(error, TypeError) else ValueError
    for doc in batch:
        try:
            call([doc])
        except (TypeError, ValueError) as alone:
            # (the core numbers documents within the call: here that is always 0)
            return kind(f"neardup {step}, task {rank}, document {doc.id!r}: {str(alone).removeprefix('document 0: ')}")
    ids = ", ".join(repr(d.id) for d in batch[:3]) + (", ..." if len(batch) > 3 else "")
    return kind(f"neardup {step}, task {rank}, a batch of documents ({ids}): {error}")


def _write_json(folder: DataFolder, name: str, value: Any) -> None:
    with folder.open(name, "wt", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False, separators=(",", ":"))


def _read_json(folder: DataFolder, name: str) -> Any:
    try:
        with folder.open(name, "rt", encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise FileNotFoundError(f"{folder.path}/{name} does not exist (did the stage that writes it run?)") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{folder.path}/{name}: not JSON ({error})") from None


def _check_header(header: Any, expected_format: str, where: str) -> None:
    if not isinstance(header, dict) or header.get("format") != expected_format:
        raise ValueError(f"{where}: not a {expected_format} file")
    if header.get("version") != FORMAT_VERSION:
        raise ValueError(f"{where}: version {header.get('version')!r} is not supported (this neardup reads {FORMAT_VERSION})")


def _task_files(folder: DataFolder, subdirectory: str, expected_format: str) -> list[tuple[str, dict[str, Any]]]:
    """The ``{rank:05d}.meta.json`` headers in ``folder/subdirectory``, in rank order, checked to
    come from one run: one file for each rank 0..world_size-1 of one world size."""
    prefix = f"{subdirectory}/" if subdirectory else ""
    names = sorted(n for n in folder.list_files(subdirectory=subdirectory, recursive=False) if _RANK_FILE.match(n[len(prefix) :]))
    if not names:
        raise FileNotFoundError(f"{folder.path}/{subdirectory}: no {expected_format} files (did the stage that writes them run?)")
    headers = []
    for name in names:
        header = _read_json(folder, name)
        _check_header(header, expected_format, f"{folder.path}/{name}")
        headers.append((name[: -len(".meta.json")], header))
    sizes = sorted({h["world_size"] for _, h in headers})
    ranks = [h["rank"] for _, h in headers]
    if len(sizes) != 1 or ranks != list(range(sizes[0])):
        raise ValueError(
            f"{folder.path}/{subdirectory}: files of tasks {ranks} of runs with {' and '.join(map(str, sizes))} tasks; "
            "expected one file per task of one run (empty the folder before running again with another task count)"
        )
    return headers


class ChromeCounts(PipelineStep):
    """Stage 1 of the chrome model: counts the pages of this task per site, as
    ``neardup clean`` learns chrome (pages with a site only), and writes the counts to
    ``folder/counts/{rank:05d}.json``. Documents pass through unchanged.

    ``site_key`` and ``url_key`` name the metadata holding a page's site or url (the site is
    the site field, else the url's host, as ``neardup clean`` resolves it); ``params`` are
    :class:`neardup.ChromeModel`'s (the merged model keeps them)."""

    type = TYPE
    name = "chrome counts"

    def __init__(
        self,
        folder: DataFolderLike,
        *,
        site_key: str | None = "site",
        url_key: str | None = "url",
        batch_size: int = 512,
        num_threads: int | None = 1,
        **params: int | None,
    ) -> None:
        super().__init__()
        self.folder = get_datafolder(folder)
        self.site_key, self.url_key = site_key, url_key
        self.batch_size, self.num_threads = batch_size, num_threads
        self.params = ChromeModel(**params).params  # refuses bad parameters here, not in the tasks

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        model = ChromeModel(**self.params)
        for batch in batched(data or [], self.batch_size):
            with self.track_time("batch"):
                texts, sites = learnable(_records(batch, self.site_key, self.url_key))
                try:
                    if texts:
                        model.update(texts, sites, num_threads=self.num_threads)
                except (TypeError, ValueError) as error:
                    raise _named(self.name, rank, batch, error, self.count_alone) from None
            self.stat_update("documents", value=len(batch))
            self.stat_update("pages_with_site", value=len(texts))
            yield from batch
        _write_json(self.folder, f"counts/{rank:05d}.json", {"model": model.to_dict()})
        _write_json(
            self.folder,
            f"counts/{rank:05d}.meta.json",
            {"format": COUNTS_FORMAT, "version": FORMAT_VERSION, "rank": rank, "world_size": world_size, "neardup": __version__},
        )

    def count_alone(self, docs: list[Document]) -> None:
        """Count ``docs`` into a model of their own (to find a document the core refuses)."""
        texts, sites = learnable(_records(docs, self.site_key, self.url_key))
        if texts:
            ChromeModel(**self.params).update(texts, sites)


class ChromeMerge(PipelineStep):
    """Stage 2 of the chrome model (one task): sums every task's counts of
    :class:`ChromeCounts` into ``folder/model.json``, the model learned on all pages at once.
    Tasks are read in rank order and sites inserted in sorted order, so the file depends only
    on the pages."""

    type = TYPE
    name = "chrome merge"

    def __init__(self, folder: DataFolderLike) -> None:
        super().__init__()
        self.folder = get_datafolder(folder)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(f"neardup chrome merge runs as one task (tasks=1), got {world_size}")
        with self.track_time("model"):
            model = merge_counts(self.folder)
            _write_json(self.folder, MODEL_FILE, model.to_dict())
        self.stat_update("sites", value=len(model.sites), unit="model")
        if data:
            yield from data


def merge_counts(folder: DataFolder) -> ChromeModel:
    """The :class:`ChromeModel` of the per-task counts in ``folder/counts``: per site the pages,
    and per line key and line shape the pages it occurs on, summed over the tasks."""
    sums: dict[str, list[Any]] = {}
    params: dict[str, Any] | None = None
    for stem, _ in _task_files(folder, "counts", COUNTS_FORMAT):
        part = _read_json(folder, f"{stem}.json")
        try:
            model = ChromeModel.from_dict(part["model"])
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{folder.path}/{stem}.json: {error}") from None
        if params is None:
            params = model.params
        elif model.params != params:
            raise ValueError(f"{folder.path}/{stem}.json: counted with other chrome parameters ({model.params}) than task 0 ({params})")
        for site in model.sites:
            pages, line_keys, line_counts, shape_keys, shape_counts = model.site_state(site)
            entry = sums.setdefault(site, [0, [], [], [], []])
            entry[0] += int(pages)
            for k, values in enumerate((line_keys, line_counts, shape_keys, shape_counts)):
                entry[1 + k].append(np.asarray(values, dtype=np.uint64))
    merged = ChromeModel(**(params or {}))
    for site in sorted(sums):
        pages, line_keys, line_counts, shape_keys, shape_counts = sums[site]
        lines = _summed(np.concatenate(line_keys), np.concatenate(line_counts))
        shapes = _summed(np.concatenate(shape_keys), np.concatenate(shape_counts))
        merged.insert_site(site, pages, lines[0], lines[1], shapes[0], shapes[1])
    return merged


def _summed(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ``keys`` (sorted) with the sum of their ``counts``."""
    distinct_keys, inverse = np.unique(keys, return_inverse=True)
    totals = np.zeros(len(distinct_keys), dtype=np.uint64)
    np.add.at(totals, inverse, counts)
    return distinct_keys, totals


class StripChrome(PipelineStep):
    """Strips each page of its repeated passages and its site's chrome, as ``neardup clean``
    does: ``text`` becomes the cleaned text and ``metadata["neardup_removed"]`` the removed
    ``[start, end, reason]`` spans of the text as read. Pages without a site lose their repeats
    only.

    ``model`` is a :class:`neardup.ChromeModel` or the folder :class:`ChromeMerge` wrote its
    ``model.json`` to (read once per task)."""

    type = TYPE
    name = "strip chrome"

    def __init__(
        self,
        model: ChromeModel | DataFolderLike,
        *,
        repeats: bool = True,
        site_key: str | None = "site",
        url_key: str | None = "url",
        batch_size: int = 512,
        num_threads: int | None = 1,
    ) -> None:
        super().__init__()
        self.model = model if isinstance(model, ChromeModel) else None
        self.folder = None if isinstance(model, ChromeModel) else get_datafolder(model)
        self.site_key, self.url_key = site_key, url_key
        self.batch_size = batch_size
        self.options = CleanOptions(repeats=repeats, num_threads=num_threads, batch_size=batch_size)
        self.options.check()

    def load(self) -> ChromeModel:
        """The chrome model (read from the folder the first time)."""
        if self.model is None:
            assert self.folder is not None
            self.model = chrome_model(self.folder)
        return self.model

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        model = self.load()
        for batch in batched(data or [], self.batch_size):
            with self.track_time("batch"):
                try:
                    records = _records(batch, self.site_key, self.url_key)
                    results = strip_records(model, records, self.options)
                except (TypeError, ValueError) as error:
                    alone = lambda docs: strip_records(model, _records(docs, self.site_key, self.url_key), self.options)  # noqa: E731
                    raise _named(self.name, rank, batch, error, alone) from None
                own = own_texts(model, [text for text, _ in results], [r.site for r in records], self.options.num_threads)
                for doc, (cleaned, removed), own_text in zip(batch, results, own):
                    doc.text = cleaned
                    doc.metadata["neardup_removed"] = _removed_rows(removed)
                    if own_text is not None:
                        doc.metadata[OWN_TEXT_KEY] = own_text
                    self.stat_update("documents")
                    if removed:
                        self.stat_update("changed")
                        self.stat_update("chars_removed", value=sum(e - s for s, e in merge_spans((s, e) for s, e, _ in removed)))
            yield from batch


class Signatures(PipelineStep):
    """Writes what the decision needs of each document of this task: its cleaned text (the
    document's ``text``: put :class:`StripChrome` before this step), removed spans, distinct
    shingle count and MinHash signature, its site (``site_key`` / ``url_key`` as for
    :class:`StripChrome`: the decision takes a page's material around a page of another site
    for chrome, not within a site), and where it came from (``metadata["file_path"]``, which
    datatrove's readers add, and its position in that file), into ``folder/{rank:05d}.*``.
    Documents pass through unchanged."""

    type = TYPE
    name = "signatures"

    def __init__(
        self,
        folder: DataFolderLike,
        *,
        num_perm: int = 128,
        ngram: int = 5,
        site_key: str | None = "site",
        url_key: str | None = "url",
        batch_size: int = 512,
        num_threads: int | None = 1,
    ) -> None:
        super().__init__()
        self.folder = get_datafolder(folder)
        self.site_key, self.url_key = site_key, url_key
        self.batch_size = batch_size
        self.options = CleanOptions(num_perm=num_perm, ngram=ngram, num_threads=num_threads, batch_size=batch_size)
        self.options.check()

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        count = 0
        in_file: dict[str, int] = {}
        with self.folder.open(f"{rank:05d}.docs.jsonl", "wt", encoding="utf-8") as rows, self.folder.open(f"{rank:05d}.signatures", "wb") as sigs:
            for batch in batched(data or [], self.batch_size):
                with self.track_time("batch"):
                    for doc in batch:
                        if not isinstance(doc.text, str):
                            raise TypeError(f"neardup signatures, task {rank}: document {doc.id!r}: text must be a str, got {type(doc.text).__name__}")
                    try:
                        signatures, sizes, anchors = signed([doc.text for doc in batch], self.options)
                    except (TypeError, ValueError) as error:
                        raise _named(self.name, rank, batch, error, lambda docs: signed([d.text for d in docs], self.options)) from None
                    assert signatures is not None and anchors is not None
                    sigs.write(np.ascontiguousarray(signatures, dtype="<u8").tobytes())
                    anchor_values, anchor_offsets = anchors
                    sites = [record.site for record in _records(batch, self.site_key, self.url_key)]
                    for k, (doc, size) in enumerate(zip(batch, sizes)):
                        source = doc.metadata.get(FILE_PATH_KEY)
                        if not isinstance(source, str):
                            raise ValueError(
                                f"neardup signatures, task {rank}: document {doc.id!r} has no metadata {FILE_PATH_KEY!r}: documents are "
                                "ordered by source file and position, so that decisions do not depend on the number of tasks "
                                "(datatrove's readers add it unless add_file_path=False)"
                            )
                        line = in_file.get(source, 0)
                        in_file[source] = line + 1
                        own = doc.metadata.pop(OWN_TEXT_KEY, None)
                        removed = [(int(s), int(e), str(why)) for s, e, why in doc.metadata.get("neardup_removed", [])]
                        length = len(doc.text) + sum(e - s for s, e in merge_spans((s, e) for s, e, _ in removed))
                        row = {
                            "id": doc.id,
                            "site": sites[k],
                            "file": source,
                            "line": line,
                            "length": length,
                            "digest": text_digest(doc.text),
                            "shingles": size,
                            "anchors": anchor_values[anchor_offsets[k] : anchor_offsets[k + 1]].tolist(),
                            "removed": _removed_rows(removed),
                            "text": doc.text,
                            "own": own if isinstance(own, str) else None,
                        }
                        rows.write(json.dumps(row, ensure_ascii=False) + "\n")
                    count += len(batch)
                self.stat_update("documents", value=len(batch))
                yield from batch
        # Written last: a task that did not finish leaves no header, and the decision refuses to run.
        _write_json(
            self.folder,
            f"{rank:05d}.meta.json",
            {
                "format": SIGNATURES_FORMAT,
                "version": FORMAT_VERSION,
                "rank": rank,
                "world_size": world_size,
                "documents": count,
                "num_perm": self.options.num_perm,
                "ngram": self.options.ngram,
                "neardup": __version__,
            },
        )


class Decide(PipelineStep):
    """The decision (one task): loads every task's :class:`Signatures`, orders the documents
    by source file and position in it (not by task, so the result does not depend on the
    number of tasks; it is the order in which ``neardup clean`` reads the files sorted by
    name), verifies the near-duplicates and decides as ``neardup clean`` does, and writes one
    decision per document to ``output_folder/{rank:05d}.decisions.jsonl`` for each task of the
    signatures, in that task's order, plus ``summary.json``.

    ``threshold`` and ``min_evidence`` are ``neardup clean``'s; the shingle size and number
    of permutations are those the signatures were made with. Cleaned texts wait in a
    temporary file (``tmp_dir``, default the system's) while the pairs are verified."""

    type = TYPE
    name = "decide"

    def __init__(
        self,
        input_folder: DataFolderLike,
        output_folder: DataFolderLike,
        *,
        threshold: float = 0.8,
        min_evidence: int = MIN_EVIDENCE_SHINGLES,
        num_threads: int | None = None,
        tmp_dir: str | None = None,
    ) -> None:
        super().__init__()
        self.input_folder = get_datafolder(input_folder)
        self.output_folder = get_datafolder(output_folder)
        self.options = CleanOptions(threshold=threshold, min_evidence=min_evidence, num_threads=num_threads)
        self.options.check()
        self.tmp_dir = tmp_dir

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(f"neardup decide runs as one task (tasks=1), got {world_size}")
        with self.track_time("corpus"), tempfile.TemporaryDirectory(prefix="neardup-decide-", dir=self.tmp_dir) as tmp:
            spool = TextSpool(tmp, f"{tmp}{os.sep}(temporary file of cleaned texts)")
            try:
                self.decide(spool)
            finally:
                spool.close()
        if data:
            yield from data

    def decide(self, spool: TextSpool) -> None:
        folder = self.input_folder
        headers = _task_files(folder, "", SIGNATURES_FORMAT)
        shapes = {(h["num_perm"], h["ngram"]) for _, h in headers}
        if len(shapes) != 1:
            raise ValueError(f"{folder.path}: signatures of other num_perm and ngram in one run: {sorted(shapes)}")
        num_perm, ngram = shapes.pop()
        options = CleanOptions(**{**vars(self.options), "num_perm": num_perm, "ngram": ngram})
        options.check()
        # Every task's documents, in task order: (file, line) is where each came from.
        entries: list[tuple[str, int]] = []
        docs_of_task: list[list[Doc]] = []
        digests_of_task: list[list[str]] = []
        signatures = []
        anchor_values_of_task: list[np.ndarray] = []
        anchor_counts_of_task: list[np.ndarray] = []
        for stem, header in headers:
            docs: list[Doc] = []
            digests: list[str] = []
            task_anchors: list[int] = []
            task_counts: list[int] = []
            with folder.open(f"{stem}.docs.jsonl", "rt", encoding="utf-8") as rows:
                for number, line in enumerate(rows, 1):
                    try:
                        row = json.loads(line)
                        doc = Doc(-1, str(row["id"]), row["site"], int(row["length"]), row["id"])
                        doc.spool_offset = spool.write(row["text"])
                        doc.cleaned_length = len(row["text"])
                        doc.shingles = int(row["shingles"])
                        own = row.get("own")
                        if own is not None:
                            doc.own_offset = spool.write(str(own))
                        doc.removed = [(int(s), int(e), str(why)) for s, e, why in row["removed"]]
                        task_anchors += [int(v) for v in row["anchors"]]
                        task_counts.append(len(row["anchors"]))
                        digests.append(str(row["digest"]))
                        entries.append((str(row["file"]), int(row["line"])))
                    except (KeyError, TypeError, ValueError) as error:
                        raise ValueError(f"{folder.path}/{stem}.docs.jsonl:{number}: malformed row ({error})") from None
                    docs.append(doc)
            with folder.open(f"{stem}.signatures", "rb") as handle:
                values = np.frombuffer(handle.read(), dtype="<u8")
            if len(docs) != header["documents"] or len(values) != len(docs) * num_perm:
                raise ValueError(
                    f"{folder.path}/{stem}: {header['documents']} documents in the header, {len(docs)} rows and "
                    f"{len(values) / num_perm:g} signatures (a file was cut short or replaced)"
                )
            docs_of_task.append(docs)
            digests_of_task.append(digests)
            anchor_values_of_task.append(np.array(task_anchors, dtype=np.uint64))
            anchor_counts_of_task.append(np.array(task_counts, dtype=np.int64))
            signatures.append(values.reshape(len(docs), num_perm))
        flat = [doc for docs in docs_of_task for doc in docs]
        order = sorted(range(len(flat)), key=entries.__getitem__)
        ordered = [flat[k] for k in order]
        check_unique(ordered, [entries[k] for k in order])
        for position, doc in enumerate(ordered):
            doc.index = position
        all_signatures = np.concatenate(signatures)[np.asarray(order, dtype=np.int64)] if flat else np.zeros((0, num_perm), np.uint64)
        keys = band_keys(all_signatures, *lsh_bands(options), num_threads=options.num_threads)
        del all_signatures
        verified, wraps = verify_cleaned(
            ordered, [keys], spool, options, _ordered_anchors(anchor_values_of_task, anchor_counts_of_task, order), own=spooled_own_texts(ordered, spool)
        )
        outcome, methods, _ = corpus_decisions(ordered, verified, wraps, {})

        def name(node: int) -> str:
            return ordered[node].id

        counts = {"documents": len(ordered), "kept": 0, "dropped": 0}
        for (stem, header), docs, digests in zip(headers, docs_of_task, digests_of_task):
            with self.output_folder.open(f"{stem}.decisions.jsonl", "wt", encoding="utf-8") as out:
                for doc, digest in zip(docs, digests):
                    p = doc.index
                    why = describe(outcome, p, name=name, methods=methods, policy=KEEP_POLICY, empty=doc.shingles == 0)
                    row: dict[str, Any] = {"id": doc.written_id, "length": doc.length, "digest": digest, "reason": why, "removed": _removed_rows(doc.removed)}
                    kept = int(outcome.kept[p])
                    if kept == p:
                        row["action"] = "kept"
                    else:
                        wrapper = bool(outcome.wraps[p])
                        row.update(action="dropped", duplicate_of=ordered[kept].written_id, score=round(float(outcome.score[p]), 6), wraps=wrapper)
                        if wrapper:  # its own chrome is found by comparing it with the copy it wraps
                            row["kept_text"] = spool.read(ordered[kept].spool_offset)
                    counts[row["action"]] += 1
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
            _write_json(
                self.output_folder,
                f"{stem}.meta.json",
                {"format": DECISIONS_FORMAT, "version": FORMAT_VERSION, "rank": header["rank"], "world_size": header["world_size"], "documents": len(docs)},
            )
        heads = [kept for kept, _ in outcome.clusters()]
        settings = {name: getattr(options, name) for name in ("threshold", "num_perm", "ngram", "min_evidence")}
        summary = {**counts, "clusters": len(heads), "tasks": len(headers), "options": settings, "neardup": __version__}
        with self.output_folder.open("summary.json", "wt", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=2)
        self.stat_update("documents", value=counts["documents"], unit="corpus")
        self.stat_update("dropped", value=counts["dropped"], unit="corpus")
        self.stat_update("clusters", value=len(heads), unit="corpus")


def text_digest(text: str) -> str:
    """A digest of a cleaned text: the filter checks that what it keeps is what was signed."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def check_unique(docs: list[Doc], sources: list[tuple[str, int]]) -> None:
    """Refuse two documents with one id (decisions name documents by id) or from one place
    (a file read by two tasks)."""
    seen: dict[str, int] = {}
    for k, doc in enumerate(docs):
        if k and sources[k] == sources[k - 1]:
            raise ValueError(f"{sources[k][0]} document {sources[k][1]} was signed twice (read by two tasks?)")
        key = json.dumps(doc.written_id)
        if key in seen:
            first = sources[seen[key]]
            raise ValueError(
                f"id {doc.written_id!r} is the id of two documents ({first[0]} document {first[1]} and "
                f"{sources[k][0]} document {sources[k][1]}): decisions name documents by id"
            )
        seen[key] = k


class DuplicateFilter(BaseFilter):
    """Applies the decisions of :class:`Decide` to this task's documents (read as for
    :class:`Signatures`, before stripping): a duplicate is dropped, to the ``exclusion_writer``
    with its text as read; a kept document gets its cleaned text. Each carries its row of
    ``neardup clean``'s ``decisions.jsonl`` in ``metadata``: ``neardup_action`` (``kept``,
    ``changed`` or ``dropped``), ``neardup_reason``, ``neardup_removed`` (``[start, end,
    reason]`` spans of the text as read), and for a dropped one ``neardup_duplicate_of`` and
    ``neardup_score``; ``filter_reason`` is ``neardup_duplicate``."""

    type = TYPE
    name = "duplicate filter"

    def __init__(self, folder: DataFolderLike, exclusion_writer: DiskWriter | None = None) -> None:
        super().__init__(exclusion_writer)
        self.folder = get_datafolder(folder)
        self.rows: Iterator[str] | None = None
        self.where = ""

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        header = _read_json(self.folder, f"{rank:05d}.meta.json")
        _check_header(header, DECISIONS_FORMAT, f"{self.folder.path}/{rank:05d}.meta.json")
        if header["world_size"] != world_size:
            raise ValueError(
                f"neardup duplicate filter: the decisions are of a run with {header['world_size']} tasks, this one has {world_size}: "
                "run the filter with the task count and reader of the signatures"
            )
        self.where = f"{self.folder.path}/{rank:05d}.decisions.jsonl"
        with self.folder.open(f"{rank:05d}.decisions.jsonl", "rt", encoding="utf-8") as rows:
            self.rows = iter(rows)
            yield from super().run(data, rank, world_size)
            if next(self.rows, None) is not None:
                raise ValueError(f"{self.where}: task {rank} read fewer documents than were signed (run it with the reader of the signatures)")
        self.rows = None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        assert self.rows is not None, "filter() is called from run()"
        line = next(self.rows, None)
        if line is None:
            raise ValueError(f"{self.where}: document {doc.id!r} was not signed (more documents than the signatures; run with the reader of the signatures)")
        row = json.loads(line)
        if row["id"] != doc.id or row["length"] != len(doc.text):
            raise ValueError(
                f"{self.where}: document {doc.id!r} ({len(doc.text)} characters) is not the one signed at this position "
                f"({row['id']!r}, {row['length']} characters): run with the reader of the signatures, before stripping"
            )
        removed = sorted((s, e, why) for s, e, why in row["removed"])
        cut = CutText(doc.text, removed)
        if text_digest(cut.text) != row["digest"]:
            raise ValueError(
                f"{self.where}: document {doc.id!r}, cleaned as decided, is not the text signed at this position "
                "(the input changed since the signatures were made, or other filters ran before this step)"
            )
        if row["action"] == "dropped":
            spans = dropped_spans(len(doc.text), cut.map, wrapper_own_lines(cut.text, row.get("kept_text", "")) if row["wraps"] else [], str(row["duplicate_of"]))
            doc.metadata.update(
                neardup_action="dropped",
                neardup_reason=row["reason"],
                neardup_duplicate_of=row["duplicate_of"],
                neardup_score=row["score"],
                neardup_removed=_removed_rows(spans),
            )
            return False, "neardup_duplicate"
        doc.text = cut.text
        doc.metadata.update(neardup_action="changed" if removed else "kept", neardup_reason=kept_reason(removed, row["reason"]), neardup_removed=_removed_rows(removed))
        if removed:
            self.stat_update("changed")
        return True


def decision_row(doc_id: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """The row of ``neardup clean``'s ``decisions.jsonl`` that :class:`DuplicateFilter` put in
    a document's ``metadata`` (kept, changed or dropped), e.g. to compare or join the
    pipeline's output with a local run's: ``id``, ``action``, ``reason``, ``duplicate_of``,
    ``score`` (None for a kept document) and ``removed``."""
    return {
        "id": doc_id,
        "action": metadata["neardup_action"],
        "reason": metadata["neardup_reason"],
        "duplicate_of": metadata.get("neardup_duplicate_of"),
        "score": metadata.get("neardup_score"),
        "removed": metadata["neardup_removed"],
    }


def chrome_model(folder: DataFolderLike) -> ChromeModel:
    """The merged model :class:`ChromeMerge` wrote to ``folder``."""
    data = get_datafolder(folder)
    try:
        return ChromeModel.from_dict(_read_json(data, MODEL_FILE))
    except ValueError as error:
        raise ValueError(f"{data.path}/{MODEL_FILE}: {error}") from None
