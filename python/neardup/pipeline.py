"""``neardup clean``: repeats -> chrome -> duplicates over a corpus, one decision per document.

The corpus is read three times (inputs are files; stdin is spooled), so that nothing but the
chrome model, the shingle hashes and a small per-document table is held in memory:

1. learn: the chrome model counts every page's lines per site;
2. clean: each page loses its repeated passages and its site's chrome; the cleaned text goes
   to a spool file next to the output and its shingles are kept for the duplicate search;
3. decide and write: near-duplicates are clustered (``find_duplicates``); each cluster keeps
   one copy; every input record gets exactly one row in ``decisions.jsonl``.

Choosing the copy to keep: the longest cleaned text, except that a page which *wraps*
another member of its cluster (the other's text aligns inside it, with material of its own
both before and after, like an article inside a site's header and sidebar) gives way to the
page it wraps: that material is chrome the per-site model could not see, and it is reported
as removed spans of the wrapping page.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import neardup

from . import _backend
from . import report as html_report
from .alignment import align, align_batch, body_by_agreement, matched_tokens
from .chrome import ChromeModel
from .dedup import SignedDocs, find_duplicates, minhash
from .io import AtomicOutputDir, InputError, Record, RecordReader, input_kind, json_line, output_error
from .spans import CutText, merge_spans

#: A wrapping page's own material before and after the wrapped text, in characters, from
#: which on it counts as a wrapper (a sentence or two; a navigation bar is longer).
WRAP_MIN_CHARS = 40
#: How much of the wrapped text must align inside the wrapper.
WRAP_MIN_SHARE = 0.8
#: Candidate pairs whose word-shingle containment is at least this (and below the threshold)
#: are scored again by aligning their texts.
REFINE_FROM = 0.5
#: The MinHash seed of the job (find_duplicates' default).
MINHASH_SEED = 1
REFINE_CHUNK = 1024
VERIFY_CHUNK = 16384
#: Memory for the distinct shingles of documents being verified (a cache: more only saves
#: re-reading; results do not depend on it).
SHINGLE_CACHE_BYTES = 256 * 2**20
#: Wrapping is checked between every two members of a cluster up to this size; a larger
#: cluster (many copies of one page) keeps its longest copy, so the work stays linear.
WRAP_MAX_MEMBERS = 12

Progress = Callable[..., Iterable[Any]]


def _no_progress(iterable: Iterable[Any], **_: Any) -> Iterable[Any]:
    return iterable


class _SameInput:
    """The corpus is read once per pass: each pass's digest of the records (ids, texts,
    errors) must equal the first's, else the input changed during the run (a file rewritten
    or appended to) and the passes would disagree about the documents."""

    def __init__(self, reader: RecordReader) -> None:
        self.reader = reader
        self.first: bytes | None = None

    def read(self) -> Iterator[Record]:
        digest = hashlib.blake2b(digest_size=16)
        for record in self.reader:
            digest.update(f"{record.id}\0{record.text if record.text is not None else record.error}\0".encode("utf-8", "surrogatepass"))
            yield record
        if self.first is None:
            self.first = digest.digest()
        elif digest.digest() != self.first:
            self.changed()

    def changed(self) -> None:
        raise InputError(
            f"{', '.join(self.reader.inputs)}: the input changed during the run (it is read once per pass); "
            "run again once it no longer changes"
        )


@dataclass
class CleanOptions:
    """Settings of a ``clean`` run; the defaults are the command line's."""

    threshold: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    batch_size: int = 512
    num_threads: int | None = None
    repeats: bool = True
    chrome: bool = True
    dedup: bool = True
    #: A saved chrome model to start from (it is updated with this corpus, not changed on disk).
    chrome_model: str | None = None
    #: Parameters of the chrome model learned when no saved one is given (ChromeModel's).
    chrome_params: dict[str, Any] = field(default_factory=dict)
    #: A persistent index (neardup.Index): documents seen in an earlier run are dropped as
    #: duplicates of the indexed ones, and this run's kept documents are added to it.
    index: str | None = None
    examples: int = 4


@dataclass
class _Doc:
    """What the run keeps per readable document between passes."""

    index: int
    id: str
    site: str | None
    length: int
    #: The id as the JSONL outputs write it (Record.written_id).
    written_id: Any = None
    spool_offset: int = -1
    cleaned_length: int = 0
    removed: list[tuple[int, int, str]] = field(default_factory=list)


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-d array. Sorting, not ``np.unique``: numpy 2's
    hash-based unique took 5.3 s for 4 million uint64 shingle hashes against 0.24 s to sort
    them (CPU, numpy 2.4), and grows faster than linearly."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _site_key(record: Record) -> str:
    # A page without a site is a site of its own: pooling unrelated pages would make their
    # shared lines look like a template.
    return record.site if record.site else f"(no site) {record.id}"


def learnable(records: Iterable[Record]) -> tuple[list[str], list[str]]:
    """The texts and site keys to learn chrome from: readable records with a site. A page
    without a site has no pages to be compared with (pooled with other such pages, or counted
    as a site of its own, their shared lines would look like a template or cross-site chrome)."""
    with_site = [r for r in records if r.text is not None and r.site]
    return [r.text for r in with_site], [_site_key(r) for r in with_site]


def _strip(model: ChromeModel, records: list[Record], options: CleanOptions) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Cleaned text and removed spans of each record. Chrome is learned per site, so a page
    without a site (nothing to compare it with) only loses its repeated passages."""
    texts = [r.text or "" for r in records]
    results: list[tuple[str, list[tuple[int, int, str]]]] = [("", [])] * len(records)
    with_site = [i for i, r in enumerate(records) if r.site] if options.chrome else []
    if with_site:
        stripped = model.strip_batch(
            [texts[i] for i in with_site], [_site_key(records[i]) for i in with_site], repeats=options.repeats, num_threads=options.num_threads
        )
        for i, result in zip(with_site, stripped):
            # A removal of nothing but line breaks and spaces changes no content: it is
            # neither made nor reported.
            cut = CutText(texts[i], [tuple(x) for x in result.removed if texts[i][x.start : x.end].strip()])
            results[i] = (cut.text, cut.removed)
    rest = sorted(set(range(len(records))) - set(with_site))
    copies = neardup.find_repeats_batch([texts[i] for i in rest], num_threads=options.num_threads) if options.repeats and rest else [[] for _ in rest]
    for i, found in zip(rest, copies):
        cut = CutText(texts[i], [(c.start, c.end, "repeat") for c in found])
        results[i] = (cut.text, cut.removed)
    return results


class _Spool:
    """Cleaned texts on disk, read back by offset: memory stays bounded by the corpus size.
    The file lives in the staging folder (removed with it) and is read through the handle it
    was written with, so it stays readable whatever happens to the folder's name."""

    def __init__(self, out: AtomicOutputDir) -> None:
        assert out.staging is not None
        self.shown = f"{out.outdir}{os.sep}(temporary file of cleaned texts)"
        try:
            handle, name = tempfile.mkstemp(prefix=".neardup-spool-", suffix=".jsonl", dir=out.staging)
        except OSError as error:
            out.check()
            raise output_error(self.shown, error) from None
        self.path = Path(name)
        self._file = os.fdopen(handle, "w+b")
        self._end = 0
        self._reading = False

    def write(self, text: str) -> int:
        line = json.dumps(text, ensure_ascii=False).encode("utf-8") + b"\n"
        offset = self._end
        try:
            if self._reading:
                self._file.seek(offset)
                self._reading = False
            self._file.write(line)
        except OSError as error:
            raise output_error(self.shown, error) from None
        self._end += len(line)
        return offset

    def read(self, offset: int) -> str:
        try:
            self._file.seek(offset)
            self._reading = True
            return json.loads(self._file.readline())
        except OSError as error:
            # The buffered tail is written on the first seek: a full disk may show here.
            raise output_error(self.shown, error) from None

    def close(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass  # being thrown away: a failed flush of it does not matter
        self.path.unlink(missing_ok=True)


def _wrap_extent(outer: str, inner: str) -> list | None:
    """The passages of ``inner`` inside ``outer`` when ``outer`` wraps ``inner`` (see the
    module docstring), else None."""
    # A wrapper has at least WRAP_MIN_CHARS of its own on each side: skip the alignment for
    # pages too close in length (most copies in a cluster).
    if len(outer) < len(inner) + 2 * WRAP_MIN_CHARS:
        return None
    passages = align(outer, inner)
    if not passages:
        return None
    inner_covered = sum(end - start for start, end in merge_spans(p.b_span for p in passages))
    if inner_covered < WRAP_MIN_SHARE * len(inner.strip()):
        return None
    first = min(p.a_start for p in passages)
    last = max(p.a_end for p in passages)
    if len(outer[:first].strip()) < WRAP_MIN_CHARS or len(outer[last:].strip()) < WRAP_MIN_CHARS:
        return None
    return passages


class _ShingleSets:
    """Distinct shingles of cleaned texts, re-shingled from the spool on demand and kept in a
    least-recently-used cache of at most ``max_bytes``: the duplicate search verifies
    candidate pairs without holding every document's shingles."""

    def __init__(self, docs: list[_Doc], spool: _Spool, options: CleanOptions, max_bytes: int = SHINGLE_CACHE_BYTES) -> None:
        self.docs, self.spool, self.options, self.max_bytes = docs, spool, options, max_bytes
        self.cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self.bytes = 0

    def load(self, wanted: list[int]) -> dict[int, np.ndarray]:
        missing = [d for d in wanted if d not in self.cache]
        if missing:
            texts = [self.spool.read(self.docs[d].spool_offset) for d in missing]
            shingled = neardup.shingles_batch(texts, n=self.options.ngram, num_threads=self.options.num_threads)
            for k, d in enumerate(missing):
                self.cache[d] = distinct(shingled.document(k))
                self.bytes += self.cache[d].nbytes
        found = {}
        for d in wanted:
            self.cache.move_to_end(d)
            found[d] = self.cache[d]
        while self.bytes > self.max_bytes and len(self.cache) > len(wanted):
            _, evicted = self.cache.popitem(last=False)
            self.bytes -= evicted.nbytes
        return found

    def shared(self, pairs: np.ndarray) -> np.ndarray:
        """Exact number of distinct shingles each ``(i, j)`` pair shares."""
        shared = np.zeros(len(pairs), dtype=np.int64)
        for first in range(0, len(pairs), VERIFY_CHUNK):
            chunk = pairs[first : first + VERIFY_CHUNK]
            members = distinct(chunk.reshape(-1))
            sets = self.load(members.tolist())
            offsets = np.zeros(len(members) + 1, dtype=np.int64)
            np.cumsum([len(sets[d]) for d in members.tolist()], out=offsets[1:])
            hashes = np.concatenate([sets[d] for d in members.tolist()]) if len(members) else np.zeros(0, np.uint64)
            local = np.searchsorted(members, chunk).astype(np.int64)
            inter, _ = _backend.IMPL.set_overlaps(np.ascontiguousarray(hashes, dtype=np.uint64), offsets, local, self.options.num_threads)
            shared[first : first + len(chunk)] = np.asarray(inter, dtype=np.int64)
        return shared


def aligned_containment(pairs: list[tuple[str, str]], num_threads: int | None = None) -> np.ndarray:
    """For each pair of texts, the share of the shorter one's word tokens matched in passages
    aligned with the longer one (the score ``clean`` refines near misses with): robust to
    character noise and edited words, which break word shingles."""
    jobs = [(a, b) if len(a) >= len(b) else (b, a) for a, b in pairs]
    starts = [tokens.spans[:, 0].tolist() for tokens in neardup.tokenize_batch([shorter for _, shorter in jobs], num_threads=num_threads)]
    scores = np.zeros(len(jobs), dtype=np.float64)
    for k, passages in enumerate(align_batch(jobs, num_threads=num_threads)):
        if starts[k]:
            scores[k] = min(1.0, matched_tokens(passages, starts[k]) / len(starts[k]))
    return scores


def _aligned_containment(pairs: np.ndarray, docs: list[_Doc], spool: _Spool, threads: int | None) -> np.ndarray:
    """:func:`aligned_containment` of candidate pairs of cleaned texts, read from the spool in
    chunks, so memory holds a chunk's texts, not all of them."""
    scores = np.zeros(len(pairs), dtype=np.float64)
    for first in range(0, len(pairs), REFINE_CHUNK):
        chunk = pairs[first : first + REFINE_CHUNK].tolist()
        texts = {d: spool.read(docs[d].spool_offset) for pair in chunk for d in pair}
        scores[first : first + len(chunk)] = aligned_containment([(texts[i], texts[j]) for i, j in chunk], threads)
    return scores


class _Keeper:
    """The keep policy of the pipeline (see the module docstring), remembering which kept
    copy each wrapping page gave way to."""

    def __init__(self, docs: list[_Doc], spool: _Spool) -> None:
        self.__name__ = "longest; a page wrapping another gives way"  # named in decisions
        self.docs = docs
        self.spool = spool
        self.wrapped_by: dict[int, set[int]] = {}  # wrapper position -> the positions it wraps

    def __call__(self, members: list[int]) -> int:
        if len(members) > WRAP_MAX_MEMBERS:
            return max(members, key=lambda m: (self.docs[m].cleaned_length, -m))
        texts = {m: self.spool.read(self.docs[m].spool_offset) for m in members}
        for outer in members:
            for inner in members:
                if inner != outer and _wrap_extent(texts[outer], texts[inner]) is not None:
                    self.wrapped_by.setdefault(outer, set()).add(inner)
        candidates = [m for m in members if m not in self.wrapped_by] or list(members)
        return max(candidates, key=lambda m: (len(texts[m]), -m))


def _dropped_spans(original: str, cut: CutText, cleaned_kept: str, wraps: bool, kept_id: str) -> list[tuple[int, int, str]]:
    """Spans of a dropped page: what the earlier stages removed, its own chrome (when it wraps
    the kept copy: the lines that do not agree with it), and the rest as the duplicate."""
    removed = list(cut.removed)
    if wraps and cut.text:
        split = body_by_agreement(cut.text, cleaned_kept)
        lines = neardup.segment(cut.text).lines
        chrome = [(int(s), int(e)) for (s, e), shared in zip(lines, split.shared_a) if not shared and e > s]
        # Neighbouring chrome lines form one span with the line breaks and blank lines between.
        joined: list[tuple[int, int]] = []
        for start, end in chrome:
            if joined and not cut.text[joined[-1][1] : start].strip():
                joined[-1] = (joined[-1][0], end)
            else:
                joined.append((start, end))
        for start, end in joined:
            for span in cut.to_original(start, end):
                removed.append((*span, f"chrome: not in the kept copy {kept_id}"))
    taken = merge_spans((s, e) for s, e, _ in removed)
    cursor = 0
    for start, end in taken + [(len(original), len(original))]:
        if start > cursor:
            removed.append((cursor, start, f"duplicate of {kept_id}"))
        cursor = max(cursor, end)
    return sorted(removed)


def clean(
    reader: RecordReader,
    outdir: str | os.PathLike[str],
    options: CleanOptions | None = None,
    *,
    progress: Progress = _no_progress,
) -> dict[str, Any]:
    """Run the whole job; returns the summary (also written to ``summary.json``).

    Outputs appear in ``outdir`` only when the whole run succeeded (see
    :class:`neardup.io.AtomicOutputDir`; ``summary.json`` is moved last and marks a complete
    result). A file that cannot be written raises :class:`neardup.io.OutputError` naming it,
    an input that cannot be read :class:`neardup.io.InputError`; either way ``outdir`` keeps
    what it held before and the run can simply be repeated.
    """
    options = options or CleanOptions()
    _check_options(options)
    started = time.perf_counter()
    parquet_out = all(spec != "-" and input_kind(spec) == "parquet" for spec in reader.inputs)
    try:
        if options.index:
            # Opened once up front: a read-only index or one with other parameters fails
            # the run before the work, not after it.
            _open_index(options).close()
        with AtomicOutputDir(outdir, protected=reader.inputs, last="summary.json") as out:
            spool = _Spool(out)
            try:
                summary = _run(reader, out, spool, options, progress, parquet_out)
            finally:
                spool.close()
            summary["seconds"] = round(time.perf_counter() - started, 3)
            with out.open("summary.json") as handle:
                json.dump(summary, handle, indent=2, ensure_ascii=False)
    finally:
        reader.close()
    return summary


def _check_options(options: CleanOptions) -> None:
    """Refuse bad settings before the corpus is read: each would otherwise be found by the
    stage that uses it, a pass over the corpus later."""
    from ._reference.dedup import check_num_perm
    from ._reference.text import check_shingle_args, check_threads

    check_num_perm(options.num_perm)
    check_shingle_args(options.ngram, "word", 0)
    check_threads(options.num_threads)
    threshold, batch = options.threshold, options.batch_size
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be a number in (0.0, 1.0], got {threshold!r}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch!r}")


def _run(
    reader: RecordReader, out: AtomicOutputDir, spool: _Spool, options: CleanOptions, progress: Progress, parquet_out: bool
) -> dict[str, Any]:
    threads = options.num_threads
    same = _SameInput(reader)
    # Pass 1: learn the chrome model.
    model = ChromeModel.load(options.chrome_model) if options.chrome_model else ChromeModel(**options.chrome_params)
    if options.chrome:
        for batch in _batches(progress(same.read(), desc="learn chrome"), options.batch_size):
            out.check()
            texts, sites = learnable(batch)
            if texts:
                model.update(texts, sites, num_threads=threads)

    # Pass 2: strip repeats and chrome, spool the cleaned texts, keep their shingles.
    docs: list[_Doc] = []
    skipped: dict[int, str] = {}
    # The duplicate search holds signatures (8 * num_perm bytes per document), not shingles.
    signatures: list[np.ndarray] = []
    sizes: list[int] = []
    for batch in _batches(progress(same.read(), desc="clean"), options.batch_size):
        out.check()
        readable = [r for r in batch if r.text is not None]
        for record in batch:
            if record.text is None:
                skipped[record.index] = record.error or "unreadable"
        if not readable:
            continue
        results = _strip(model, readable, options)
        shingled = neardup.shingles_batch([text for text, _ in results], n=options.ngram, num_threads=threads)
        if options.dedup:
            signatures.append(minhash(shingled, num_perm=options.num_perm, seed=MINHASH_SEED, num_threads=threads).values)
        for position, (record, (cleaned, removed)) in enumerate(zip(readable, results)):
            doc = _Doc(record.index, record.id, record.site, len(record.text or ""), record.written_id)
            doc.spool_offset = spool.write(cleaned)
            doc.cleaned_length = len(cleaned)
            doc.removed = removed
            docs.append(doc)
            sizes.append(len(distinct(shingled.document(position))))

    # Near-duplicates over the cleaned texts.
    keeper = _Keeper(docs, spool)
    decisions_by_position: dict[int, Any] = {}
    pair_scores: list[float] = []
    clusters: list[Any] = []
    if options.dedup and docs:
        corpus = SignedDocs(
            np.concatenate(signatures),
            np.asarray(sizes, dtype=np.int64),
            np.asarray([doc.cleaned_length for doc in docs], dtype=np.int64),
            _ShingleSets(docs, spool, options).shared,
        )
        found = find_duplicates(
            corpus,
            options.threshold,
            num_perm=options.num_perm,
            seed=MINHASH_SEED,
            n=options.ngram,
            keep=keeper,
            refine=lambda pairs: _aligned_containment(pairs, docs, spool, threads),
            refine_from=REFINE_FROM,
            num_threads=threads,
        )
        decisions_by_position = {d.index: d for d in found.decisions}
        pair_scores = [p.score for p in found.pairs]
        clusters = found.clusters
    del signatures

    out.check()
    seen = _against_index(docs, decisions_by_position, spool, options) if options.index else {}

    # Pass 3: one decision per input record, the kept documents, the report.
    summary = _write(reader, same, out, spool, docs, skipped, decisions_by_position, keeper, clusters, pair_scores, seen, options, progress, parquet_out)
    if options.index:
        summary["index"] = _add_to_index(docs, decisions_by_position, seen, spool, options)
    return summary


def _open_index(options: CleanOptions):
    from .index import Index

    return Index(options.index, threshold=options.threshold, num_perm=options.num_perm, seed=MINHASH_SEED, n=options.ngram)


def _against_index(docs: list[_Doc], decided: dict[int, Any], spool: _Spool, options: CleanOptions) -> dict[int, tuple[str, float]]:
    """Documents kept within this corpus that the index has seen: position -> (indexed id,
    estimated score). Ids of this corpus found in the index:
    - a document's own id is never "seen before": the index holds this document from an
      earlier run (one interrupted after adding part of the corpus, or one whose cleaned text
      differed, under another chrome model);
    - another id of the corpus indexed with that document's signature is that document,
      added by an earlier run, and the duplicates within the corpus are decided above; so a
      repeated run decides as the first one did;
    - an id of the corpus indexed with other text (ids such as FILE:LINE recur in the next
      day's file of the same name) is another corpus's document, and counts."""
    position_of = {doc.id: p for p, doc in enumerate(docs)}
    kept = [p for p in range(len(docs)) if p not in decided or decided[p].action != "dropped"]
    # Per document, its matches in score order up to the first that is not an id of the corpus
    # (the later ones are never chosen), its own id left out.
    found: dict[int, list[Any]] = {}
    own: set[str] = set()
    with _open_index(options) as index:
        for first in range(0, len(kept), options.batch_size):
            chunk = kept[first : first + options.batch_size]
            results = index.query([spool.read(docs[p].spool_offset) for p in chunk], duplicates_only=True, num_threads=options.num_threads)
            for p, matches in zip(chunk, results):
                candidates = []
                for m in matches:
                    if m.id == docs[p].id:
                        if m.jaccard == 1.0:  # equal signatures: the index holds this text
                            own.add(m.id)
                        continue
                    candidates.append(m)
                    if m.id not in position_of:
                        break
                if candidates:
                    found[p] = candidates
        # Ids of the corpus not settled above (documents dropped within the corpus, which
        # were not queried): is the index's text under the id that document's?
        unsettled = sorted({m.id for matches in found.values() for m in matches if m.id in position_of} - own)
        for first in range(0, len(unsettled), options.batch_size):
            ids = unsettled[first : first + options.batch_size]
            texts = [spool.read(docs[position_of[i]].spool_offset) for i in ids]
            for id_, matches in zip(ids, index.query(texts, num_threads=options.num_threads)):
                if any(m.id == id_ and m.jaccard == 1.0 for m in matches):
                    own.add(id_)
    seen: dict[int, tuple[str, float]] = {}
    for p, matches in found.items():
        others = [m for m in matches if m.id not in own]
        if others:
            seen[p] = (others[0].id, float(others[0].score))
    return seen


def _add_to_index(docs: list[_Doc], decided: dict[int, Any], seen: dict[int, tuple[str, float]], spool: _Spool, options: CleanOptions) -> dict[str, Any]:
    """Add the documents this run keeps to the index (ids already there are left as they are)."""
    added = 0
    new = [p for p in range(len(docs)) if p not in seen and (p not in decided or decided[p].action != "dropped")]
    with _open_index(options) as index:
        for first in range(0, len(new), options.batch_size):
            chunk = new[first : first + options.batch_size]
            added += index.add(
                [spool.read(docs[p].spool_offset) for p in chunk],
                [docs[p].id for p in chunk],
                sites=[docs[p].site for p in chunk],
                existing="skip",
                num_threads=options.num_threads,
            )
        total = len(index)
    return {"path": str(options.index), "seen_before": len(seen), "added": added, "documents": total}


def _documents_schema(reader: RecordReader) -> Any:
    """The columns of documents.parquet: every column of the Parquet inputs (one schema for
    all, so a column empty in the first rows or present in one file only is kept), the id
    and text columns as strings (ids are written as text; the text is the cleaned text)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pa.unify_schemas([pq.read_schema(spec) for spec in reader.inputs])
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"the columns of the Parquet inputs cannot be combined into one table: {error}") from None
    names = (reader.fields.id, reader.fields.text)
    return pa.schema([pa.field(name, pa.string()) for name in names] + [f for f in schema if f.name not in names])


def _write(
    reader: RecordReader,
    same: _SameInput,
    out: AtomicOutputDir,
    spool: _Spool,
    docs: list[_Doc],
    skipped: dict[int, str],
    decided: dict[int, Any],
    keeper: _Keeper,
    clusters: list[Any],
    pair_scores: list[float],
    seen: dict[int, tuple[str, float]],
    options: CleanOptions,
    progress: Progress,
    parquet_out: bool,
) -> dict[str, Any]:
    position_of = {doc.index: p for p, doc in enumerate(docs)}
    actions: Counter[str] = Counter()
    removed_chars: Counter[str] = Counter()
    site_chars: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    examples: list[html_report.Example] = []
    most_chrome: list[tuple[float, Record, list[tuple[int, int, str]]]] = []
    documents_name = "documents.parquet" if parquet_out else "documents.jsonl"
    documents_path = out.path(documents_name)
    kept_rows: list[dict[str, Any]] = []
    parquet_writer = None
    documents_schema = _documents_schema(reader) if parquet_out else None
    id_field, text_field = reader.fields.id, reader.fields.text
    documents_file = None if parquet_out else out.open(documents_name)
    truncated = 0

    def flush_kept(final: bool = False) -> None:
        nonlocal parquet_writer
        if not kept_rows or (not final and len(kept_rows) < 1024):
            return
        if parquet_out:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pylist(kept_rows, schema=documents_schema)
            with out.guard(documents_name):
                if parquet_writer is None:
                    parquet_writer = pq.ParquetWriter(documents_path, documents_schema)
                parquet_writer.write_table(table)
        else:
            assert documents_file is not None
            documents_file.writelines(json_line(row) for row in kept_rows)
        kept_rows.clear()

    try:
        with out.open("decisions.jsonl") as decisions_file:
            for record in progress(same.read(), desc="write"):
                row: dict[str, Any] = {"id": record.written_id, "action": "", "reason": "", "duplicate_of": None, "score": None, "removed": []}
                position = position_of.get(record.index)
                if (record.index not in skipped) if record.text is None else (position is None or docs[position].id != record.id):
                    same.changed()  # (a change the digest at the end of the pass would tell too late)
                if record.text is None:
                    row.update(action="skipped", reason=skipped.get(record.index) or record.error or "unreadable", source=record.source)
                    actions["skipped"] += 1
                    decisions_file.write(json_line(row))
                    continue
                assert position is not None
                doc = docs[position]
                cleaned = spool.read(doc.spool_offset)
                decision = decided.get(position)
                site = record.site or "(none)"
                site_chars[site][0] += len(record.original if record.truncated else record.text)
                if position in seen:
                    indexed_id, score = seen[position]
                    cut = CutText(record.text, list(doc.removed))
                    spans = _dropped_spans(record.text, cut, "", False, indexed_id)
                    row.update(action="dropped", duplicate_of=indexed_id, score=round(score, 6))
                    row["reason"] = f"seen before: duplicate of {indexed_id} in the index (containment-minhash {score:.3f})"
                    row["removed"] = [[s, e, why] for s, e, why in spans]
                elif decision is not None and decision.action == "dropped":
                    kept_doc = docs[decision.kept]
                    cut = CutText(record.text, list(doc.removed))
                    wraps = decision.kept in keeper.wrapped_by.get(position, ())
                    spans = _dropped_spans(record.text, cut, spool.read(kept_doc.spool_offset), wraps, kept_doc.id)
                    row.update(action="dropped", duplicate_of=kept_doc.written_id, score=round(decision.score, 6))
                    # Whole numbers only: "document 1" must not rewrite the start of "document 12".
                    row["reason"] = re.sub(rf"document {decision.kept}\b", lambda _: kept_doc.id, decision.reason)
                    if decision.via is not None and decision.via != decision.kept:
                        row["reason"] = re.sub(rf"document {decision.via}\b", lambda _: docs[decision.via].id, row["reason"])
                    row["removed"] = [[s, e, why] for s, e, why in spans]
                    if len(examples) < options.examples:
                        examples.append(_pair_example(record, spans, kept_doc, spool))
                else:
                    removed = sorted(doc.removed)
                    row["removed"] = [[s, e, why] for s, e, why in removed]
                    parts = []
                    if removed:
                        by_reason = Counter(why for _, _, why in removed)
                        parts.append("removed " + ", ".join(f"{n} {why}" for why, n in sorted(by_reason.items())))
                    if decision is not None and decision.reason != "unique":
                        parts.append(decision.reason)
                    row.update(action="changed" if removed or record.truncated else "kept", reason="; ".join(parts) or "unique")
                    # Under the input's own field names, every other field as it was.
                    # (documents.parquet has ids as text; JSONL writes each id as read.)
                    kept = {id_field: record.id if parquet_out else record.written_id, text_field: cleaned, **record.extra}
                    kept_rows.append(kept)
                    flush_kept()
                    share = sum(e - s for s, e, _ in removed) / max(len(record.text), 1)
                    if removed:
                        most_chrome.append((share, record, removed))
                        most_chrome.sort(key=lambda item: (-item[0], item[1].index))
                        del most_chrome[options.examples :]
                if record.truncated:
                    # Whatever the action (changed or dropped), the reason says the text was cut.
                    cut_note = f"truncated to the size limits ({sum(e - s for s, e, _ in record.truncated):,} characters cut)"
                    row["reason"] = cut_note if row["reason"] in ("", "unique") else f"{cut_note}; {row['reason']}"
                    # Spans so far index the truncated text; decisions index the text as read.
                    row["removed"] = _with_truncation(record, row["removed"])
                    row["truncated"] = True
                    truncated += 1
                for start, end, why in (row["removed"] or []):
                    category = why.split(":")[0].split(" of ")[0]
                    removed_chars[category] += end - start
                    if not why.startswith("duplicate"):
                        site_chars[site][1] += end - start
                actions[row["action"]] += 1
                decisions_file.write(json_line(row))
                if record.index % 4096 == 0:
                    out.check()
        flush_kept(final=True)
        if documents_file is not None:
            documents_file.close()
        with out.guard(documents_name):
            if parquet_writer is not None:
                parquet_writer.close()
            elif parquet_out:
                import pyarrow as pa
                import pyarrow.parquet as pq

                pq.write_table(documents_schema.empty_table(), documents_path)
    except BaseException:
        # Close what is open quietly: the first error is the one to report.
        if documents_file is not None:
            documents_file.abandon()
        if parquet_writer is not None:
            try:
                parquet_writer.close()
            except Exception:  # noqa: BLE001 - the error being raised is the one to report
                pass
        raise

    total = sum(actions.values())
    summary: dict[str, Any] = {
        "neardup": neardup.__version__,
        "backend": neardup.backend(),
        "inputs": list(reader.inputs),
        "documents": total,
        "kept": actions["kept"],
        "changed": actions["changed"],
        "dropped": actions["dropped"],
        "skipped": actions["skipped"],
        "clusters": len(clusters),
        "truncated": truncated,
        "limits": {"max_chars": reader.max_chars, "max_line_chars": reader.max_line_chars, "oversize": reader.oversize},
        "characters_in": sum(c[0] for c in site_chars.values()),
        "characters_removed": dict(sorted(removed_chars.items())),
        "sites": len(site_chars),
        "outputs": [documents_name, "decisions.jsonl", "report.html", "summary.json"],
        "options": asdict(options),
    }
    chrome_share = sorted(((site, c[1] / c[0]) for site, c in site_chars.items() if c[0]), key=lambda x: (-x[1], x[0]))
    sizes = Counter(len(c.members) for c in clusters)
    page = html_report.render(
        title=f"neardup clean: {total} documents",
        summary={k: v for k, v in summary.items() if k not in ("options", "inputs", "outputs")},
        charts=[
            ("Cluster sizes (clusters of n documents)", [(f"{n} docs", float(c)) for n, c in sorted(sizes.items())], ""),
            ("Chrome and repeats removed, share of characters per site", chrome_share[:15], "%"),
            ("Similarity of verified duplicate pairs", html_report.histogram(pair_scores), ""),
        ],
        examples=examples + [_chrome_example(record, removed) for _, record, removed in most_chrome],
    )
    with out.open("report.html") as handle:
        handle.write(page)
    return summary


def _with_truncation(record: Record, removed: list[list[Any]]) -> list[list[Any]]:
    """Spans of a truncated record's text as spans of the text as read, with the cut parts."""
    assert record.original is not None
    cut = CutText(record.original, list(record.truncated))
    spans = [[a, b, why] for start, end, why in removed for a, b in cut.to_original(start, end)]
    return sorted(spans + [[s, e, why] for s, e, why in record.truncated])


def _pair_example(record: Record, spans: list[tuple[int, int, str]], kept: _Doc, spool: _Spool) -> html_report.Example:
    kept_text = spool.read(kept.spool_offset)
    passages = align(record.text or "", kept_text)
    dropped_marks = [html_report.Highlight(s, e, "removed", why) for s, e, why in spans if not why.startswith("duplicate")]
    dropped_marks += [html_report.Highlight(p.a_start, p.a_end, "aligned", f"score {p.score:.2f}") for p in passages]
    kept_marks = [html_report.Highlight(p.b_start, p.b_end, "aligned", f"score {p.score:.2f}") for p in passages]
    return html_report.Example(
        title=f"{record.id} dropped as a duplicate of {kept.id}",
        note="Right: the kept copy as cleaned. Left: the dropped page; aligned passages in green, its own chrome struck through.",
        sides=[
            html_report.Side(record.id, record.text or "", dropped_marks, "(dropped)"),
            html_report.Side(kept.id, kept_text, kept_marks, "(kept, cleaned)"),
        ],
    )


def _chrome_example(record: Record, removed: list[tuple[int, int, str]]) -> html_report.Example:
    share = sum(e - s for s, e, _ in removed) / max(len(record.text or ""), 1)
    return html_report.Example(
        title=f"{record.id}: {share:.0%} removed as chrome or repeats",
        sides=[html_report.Side(record.id, record.text or "", [html_report.Highlight(s, e, "removed", why) for s, e, why in removed], f"site {record.site or '(none)'}")],
    )
