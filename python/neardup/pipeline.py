"""``neardup clean``: repeats -> chrome -> duplicates over a corpus, one decision per document.

The corpus is read three times (inputs are files; stdin is spooled), so that nothing but the
chrome model, the shingle hashes and a small per-document table is held in memory:

1. learn: the chrome model counts every page's lines per site;
2. clean: each page loses its repeated passages and its site's chrome; the cleaned text goes
   to a spool file next to the output and its shingles are kept for the duplicate search;
3. decide and write: candidate pairs of cleaned texts are verified
   (:func:`neardup.cluster.verify_duplicates`, near misses scored again by alignment), pages
   that wrap a verified partner are found, and :func:`neardup.decide.decide` makes the
   verified clusters; every input record gets exactly one row in ``decisions.jsonl``, its
   reason worded there.

The keep order: the document that holds its verified partners most completely first
(``keep="most_complete"`` of :func:`neardup.find_duplicates`: a truncated or noisy copy gives
way to the full one), then the longest cleaned text, except that a page which *wraps* a verified
partner (the other's text aligns inside it, with material of its own both before and after,
like an article inside a site's header and sidebar) goes after every page that wraps none,
so it gives way to the page it wraps: that material is chrome the per-site model could not
see, and it is reported as removed spans of the wrapping page when it is dropped for the
page it wraps. With ``--index``, documents matching an indexed one are decided first, as
duplicates of it (``seen before``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import _backend
from . import report as html_report
from ._version import __version__
from .align import align, align_batch, body_by_agreement, matched_tokens
from .chrome import ChromeModel
from .decide import MIN_EVIDENCE_SHINGLES, Decisions, completeness, decide, describe
from .cluster import SignedDocs, Verified, distinct, verify_duplicates
from .io.errors import InputError, output_error
from .io.read import Record, RecordReader, input_kind
from .io.write import AtomicOutputDir, json_line
from .minhash import minhash
from .repeats import find_repeats_batch
from .spans import CutText, merge_spans
from .text import segment, shingles_batch, tokenize_batch

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
#: A page is checked for wrapping against at most this many of its verified partners (the
#: best-scoring first), so the alignments stay linear in the number of documents.
WRAP_MAX_PARTNERS = 12
#: The keep policy of the job, as decisions name it.
KEEP_POLICY = "most_complete; a page wrapping another gives way"

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
    #: A pair whose smaller cleaned text has fewer distinct shingles is scored by Jaccard
    #: similarity instead of containment (:mod:`neardup.decide`).
    min_evidence: int = MIN_EVIDENCE_SHINGLES


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
    shingles: int = 0
    removed: list[tuple[int, int, str]] = field(default_factory=list)


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


def strip_records(model: ChromeModel, records: list[Record], options: CleanOptions) -> list[tuple[str, list[tuple[int, int, str]]]]:
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
    copies = find_repeats_batch([texts[i] for i in rest], num_threads=options.num_threads) if options.repeats and rest else [[] for _ in rest]
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


def wrap_extent(outer: str, inner: str) -> list | None:
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
            shingled = shingles_batch(texts, n=self.options.ngram, num_threads=self.options.num_threads)
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
    starts = [tokens.spans[:, 0].tolist() for tokens in tokenize_batch([shorter for _, shorter in jobs], num_threads=num_threads)]
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


def wrap_candidates(pairs: Any, scores: Any, lengths: Any) -> np.ndarray:
    """The ``(outer, inner)`` verified pairs to check for wrapping: the longer text has room
    for the shorter and ``WRAP_MIN_CHARS`` of its own on each side; per outer page its
    ``WRAP_MAX_PARTNERS`` best-scoring partners (ties: the lowest index), sorted."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    lengths = np.asarray(lengths, dtype=np.int64)
    swap = lengths[pairs[:, 0]] < lengths[pairs[:, 1]]
    outer = np.where(swap, pairs[:, 1], pairs[:, 0])
    inner = np.where(swap, pairs[:, 0], pairs[:, 1])
    room = lengths[outer] >= lengths[inner] + 2 * WRAP_MIN_CHARS
    outer, inner, score = outer[room], inner[room], np.asarray(scores, dtype=np.float64)[room]
    order = np.lexsort((inner, -score, outer))
    outer, inner = outer[order], inner[order]
    start = np.ones(len(outer), dtype=bool)
    start[1:] = outer[1:] != outer[:-1]
    position = np.arange(len(outer))
    rank = position - np.maximum.accumulate(np.where(start, position, 0))
    chosen = np.column_stack([outer, inner])[rank < WRAP_MAX_PARTNERS]
    return chosen[np.lexsort((chosen[:, 1], chosen[:, 0]))] if len(chosen) else chosen


def wrapping(candidates: np.ndarray, texts: dict[int, str]) -> np.ndarray:
    """The rows of ``candidates`` (``(outer, inner)``, see :func:`wrap_candidates`) whose
    outer page wraps the inner one, ``texts`` holding both."""
    found = [k for k, (outer, inner) in enumerate(candidates.tolist()) if wrap_extent(texts[outer], texts[inner]) is not None]
    return candidates[found]


def _wrapping(verified: Verified, docs: list[_Doc], spool: _Spool) -> np.ndarray:
    """The wrapping pairs among the verified ones, texts read from the spool in chunks."""
    candidates = wrap_candidates(verified.pairs, verified.scores, [doc.cleaned_length for doc in docs])
    found = [np.zeros((0, 2), dtype=np.int64)]
    for first in range(0, len(candidates), REFINE_CHUNK):
        chunk = candidates[first : first + REFINE_CHUNK]
        texts = {d: spool.read(docs[d].spool_offset) for d in np.unique(chunk).tolist()}
        found.append(wrapping(chunk, texts))
    return np.concatenate(found)


def dropped_spans(original: str, cut: CutText, cleaned_kept: str, wraps: bool, kept_id: str) -> list[tuple[int, int, str]]:
    """Spans of a dropped page: what the earlier stages removed, its own chrome (when it wraps
    the kept copy: the lines that do not agree with it), and the rest as the duplicate."""
    removed = list(cut.removed)
    if wraps and cut.text:
        split = body_by_agreement(cut.text, cleaned_kept)
        lines = segment(cut.text).lines
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
    :class:`neardup.io.write.AtomicOutputDir`; ``summary.json`` is moved last and marks a complete
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
    from ._reference.minhash import check_num_perm
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
    for batch in _batches(progress(same.read(), desc="clean"), options.batch_size):
        out.check()
        readable = [r for r in batch if r.text is not None]
        for record in batch:
            if record.text is None:
                skipped[record.index] = record.error or "unreadable"
        if not readable:
            continue
        results = strip_records(model, readable, options)
        shingled = shingles_batch([text for text, _ in results], n=options.ngram, num_threads=threads)
        if options.dedup:
            signatures.append(minhash(shingled, num_perm=options.num_perm, seed=MINHASH_SEED, num_threads=threads).values)
        for position, (record, (cleaned, removed)) in enumerate(zip(readable, results)):
            doc = _Doc(record.index, record.id, record.site, len(record.text or ""), record.written_id)
            doc.spool_offset = spool.write(cleaned)
            doc.cleaned_length = len(cleaned)
            doc.removed = removed
            doc.shingles = len(distinct(shingled.document(position)))
            docs.append(doc)

    # Near-duplicates over the cleaned texts.
    verified: Verified | None = None
    wraps = np.zeros((0, 2), dtype=np.int64)
    if options.dedup and docs:
        corpus = SignedDocs(
            np.concatenate(signatures),
            np.asarray([doc.shingles for doc in docs], dtype=np.int64),
            np.asarray([doc.cleaned_length for doc in docs], dtype=np.int64),
            _ShingleSets(docs, spool, options).shared,
        )
        verified = verify_duplicates(
            corpus,
            options.threshold,
            num_perm=options.num_perm,
            seed=MINHASH_SEED,
            n=options.ngram,
            refine=lambda pairs: _aligned_containment(pairs, docs, spool, threads),
            refine_from=REFINE_FROM,
            min_evidence=options.min_evidence,
            num_threads=threads,
        )
        wraps = _wrapping(verified, docs, spool)
    del signatures

    out.check()
    seen = _against_index(docs, spool, options) if options.index else {}
    outcome, methods, indexed_ids = _decide(docs, verified, wraps, seen)

    # Pass 3: one decision per input record, the kept documents, the report.
    pair_scores = [] if verified is None else verified.scores.tolist() + [1.0] * len(verified.copies)
    summary = _write(reader, same, out, spool, docs, skipped, outcome, methods, indexed_ids, pair_scores, options, progress, parquet_out)
    if options.index:
        summary["index"] = _add_to_index(docs, outcome, spool, options)
    return summary


def _decide(
    docs: list[_Doc], verified: Verified | None, wraps: np.ndarray, seen: dict[int, tuple[str, float, str]]
) -> tuple[Decisions, tuple[str, ...], list[str]]:
    """The decisions on the corpus: ``(decisions, method names, indexed ids)``. Indexed
    documents that some document matches (``seen``: its best match) are nodes after the
    corpus's, numbered in the order of ``indexed ids``, and come first in the keep order."""
    count = len(docs)
    indexed_ids = sorted({id_ for id_, _, _ in seen.values()})
    node_of = {id_: count + k for k, id_ in enumerate(indexed_ids)}
    total = count + len(indexed_ids)
    base: tuple[str, ...] = ("containment-exact", "containment-exact+refined", "jaccard-exact")
    if verified is not None:
        base = verified.method_names
    hist_methods = sorted({method for _, _, method in seen.values()})
    methods = tuple(base) + tuple(hist_methods)
    code = {m: len(base) + k for k, m in enumerate(hist_methods)}
    seen_docs = sorted(seen)
    hist_pairs = np.array([(p, node_of[seen[p][0]]) for p in seen_docs], dtype=np.int64).reshape(-1, 2)
    hist_scores = np.array([seen[p][1] for p in seen_docs], dtype=np.float64)
    hist_codes = np.array([code[seen[p][2]] for p in seen_docs], dtype=np.int64)
    empty = np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate([verified.pairs if verified is not None else empty, hist_pairs])
    scores = np.concatenate([verified.scores if verified is not None else np.zeros(0), hist_scores])
    codes = np.concatenate([verified.methods if verified is not None else np.zeros(0, dtype=np.int64), hist_codes])
    is_indexed = np.concatenate([np.zeros(count), np.ones(len(indexed_ids))])
    length = np.concatenate([np.asarray([doc.cleaned_length for doc in docs], dtype=np.float64), np.zeros(len(indexed_ids))])
    held = np.zeros(total)
    if verified is not None:
        held[:count] = completeness(count, verified.pairs, verified.intersections, verified.sizes, verified.copies)
    outcome = decide(
        total,
        pairs,
        scores,
        np.column_stack([is_indexed, held, length]),
        methods=codes,
        copies=verified.copies if verified is not None else None,
        copy_methods=verified.copy_methods if verified is not None else None,
        wraps=wraps,
    )
    return outcome, methods, indexed_ids


def _open_index(options: CleanOptions):
    from .index import Index

    return Index(options.index, threshold=options.threshold, num_perm=options.num_perm, seed=MINHASH_SEED, n=options.ngram)


def _against_index(docs: list[_Doc], spool: _Spool, options: CleanOptions) -> dict[int, tuple[str, float, str]]:
    """Documents of this corpus that the index has seen: position -> (indexed id, estimated
    score, method) of the best match. Ids of this corpus found in the index:
    - a document's own id is never "seen before": the index holds this document from an
      earlier run (one interrupted after adding part of the corpus, or one whose cleaned text
      differed, under another chrome model);
    - another id of the corpus indexed with that document's signature is that document,
      added by an earlier run, and the duplicates within the corpus are decided within it;
      so a repeated run decides as the first one did;
    - an id of the corpus indexed with other text (ids such as FILE:LINE recur in the next
      day's file of the same name) is another corpus's document, and counts."""
    position_of = {doc.id: p for p, doc in enumerate(docs)}
    # Per document, its matches in score order up to the first that is not an id of the corpus
    # (the later ones are never chosen), its own id left out.
    found: dict[int, list[Any]] = {}
    own: set[str] = set()
    with _open_index(options) as index:
        for first in range(0, len(docs), options.batch_size):
            chunk = range(first, min(first + options.batch_size, len(docs)))
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
        # Ids of the corpus not settled above (a document's own match can sort after a
        # match from outside the corpus): is the index's text under the id that document's?
        unsettled = sorted({m.id for matches in found.values() for m in matches if m.id in position_of} - own)
        for first in range(0, len(unsettled), options.batch_size):
            ids = unsettled[first : first + options.batch_size]
            texts = [spool.read(docs[position_of[i]].spool_offset) for i in ids]
            for id_, matches in zip(ids, index.query(texts, num_threads=options.num_threads)):
                if any(m.id == id_ and m.jaccard == 1.0 for m in matches):
                    own.add(id_)
    seen: dict[int, tuple[str, float, str]] = {}
    for p, matches in found.items():
        others = [m for m in matches if m.id not in own]
        if others:
            seen[p] = (others[0].id, float(others[0].score), others[0].method)
    return seen


def _add_to_index(docs: list[_Doc], outcome: Decisions, spool: _Spool, options: CleanOptions) -> dict[str, Any]:
    """Add the documents this run keeps to the index (ids already there are left as they are)."""
    added = 0
    new = [p for p in range(len(docs)) if outcome.kept[p] == p]
    seen_before = int(np.count_nonzero(outcome.kept[: len(docs)] >= len(docs)))
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
    return {"path": str(options.index), "seen_before": seen_before, "added": added, "documents": total}


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
    outcome: Decisions,
    methods: tuple[str, ...],
    indexed_ids: list[str],
    pair_scores: list[float],
    options: CleanOptions,
    progress: Progress,
    parquet_out: bool,
) -> dict[str, Any]:
    position_of = {doc.index: p for p, doc in enumerate(docs)}
    count = len(docs)

    def name(node: int) -> str:
        return docs[node].id if node < count else f"{indexed_ids[node - count]} in the index"

    def reason(position: int) -> str:
        return describe(outcome, position, name=name, methods=methods, policy=KEEP_POLICY, empty=options.dedup and docs[position].shingles == 0)

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
                kept_node = int(outcome.kept[position])
                site = record.site or "(none)"
                site_chars[site][0] += len(record.original if record.truncated else record.text)
                if kept_node >= count:
                    indexed_id = indexed_ids[kept_node - count]
                    cut = CutText(record.text, list(doc.removed))
                    spans = dropped_spans(record.text, cut, "", False, indexed_id)
                    row.update(action="dropped", duplicate_of=indexed_id, score=round(float(outcome.score[position]), 6))
                    row["reason"] = f"seen before: {reason(position)}"
                    row["removed"] = [[s, e, why] for s, e, why in spans]
                elif kept_node != position:
                    kept_doc = docs[kept_node]
                    cut = CutText(record.text, list(doc.removed))
                    spans = dropped_spans(record.text, cut, spool.read(kept_doc.spool_offset), bool(outcome.wraps[position]), kept_doc.id)
                    row.update(action="dropped", duplicate_of=kept_doc.written_id, score=round(float(outcome.score[position]), 6), reason=reason(position))
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
                    why = reason(position)
                    if why != "unique":
                        parts.append(why)
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
    heads = np.array([kept for kept, _ in outcome.clusters()], dtype=np.int64)
    summary: dict[str, Any] = {
        "neardup": __version__,
        "backend": _backend.backend(),
        "inputs": list(reader.inputs),
        "documents": total,
        "kept": actions["kept"],
        "changed": actions["changed"],
        "dropped": actions["dropped"],
        "skipped": actions["skipped"],
        "clusters": int(np.count_nonzero(heads < count)),
        "truncated": truncated,
        "limits": {"max_chars": reader.max_chars, "max_line_chars": reader.max_line_chars, "oversize": reader.oversize},
        "characters_in": sum(c[0] for c in site_chars.values()),
        "characters_removed": dict(sorted(removed_chars.items())),
        "sites": len(site_chars),
        "outputs": [documents_name, "decisions.jsonl", "report.html", "summary.json"],
        "options": asdict(options),
    }
    chrome_share = sorted(((site, c[1] / c[0]) for site, c in site_chars.items() if c[0]), key=lambda x: (-x[1], x[0]))
    sizes = Counter(outcome.sizes[heads < count].tolist())
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
