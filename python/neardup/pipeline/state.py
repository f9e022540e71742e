"""The state of one run of the clean job: its options and what it keeps between the stages
(the per-document table, the spool of cleaned texts, the chrome model, the band keys).
"""

from __future__ import annotations

import errno
import os
from array import array
from bisect import bisect_left
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .._reference.minhash import check_num_perm
from .. import _backend
from .._reference.text import as_int, as_real, check_flag, check_shingle_args, check_threads
from ..align import matched_share_batch, wraps_batch
from ..chrome import DEFAULT_PARAMS, ChromeModel
from ..decide import MIN_EVIDENCE_SHINGLES
from ..cluster import candidate_bands
from ..index import Index
from ..io.errors import output_error
from ..io.read import Record, RecordReader
from ..io.write import AtomicOutputDir
from ..text import Shingles, shingles_batch
from .read import Corpus, batches, read_ahead

#: The MinHash seed of the job (find_duplicates' default).
MINHASH_SEED = 1
#: A short text inside a long one (an article inside a page of someone else's chrome) is a
#: duplicate down to this ratio of their shingle counts (find_duplicates' min_size_ratio is
#: 0.2, which the bands are made for: the pairs below it come from the anchors).
CONTAINED_MIN_SIZE_RATIO = 0.05
#: One in 2**ANCHOR_BITS of a cleaned text's distinct shingles is an anchor (about 22 per
#: page of news): documents sharing half the anchors of the one with fewer are candidates.
ANCHOR_BITS = 5
#: An anchor held by more documents (copy groups counted once) is passed over.
ANCHOR_MAX_DOCS = 20

Progress = Callable[..., Iterable[Any]]


def no_progress(iterable: Iterable[Any], **_: Any) -> Iterable[Any]:
    return iterable


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

    def check(self) -> None:
        """Refuse bad settings before the corpus is read: each would otherwise be found by the
        stage that uses it, a pass over the corpus later (or, taken by truthiness or cast, give
        another run than the one asked for). Every field is checked; the error names it.
        Numbers and flags may be numpy scalars (in ``chrome_params`` too): they are replaced by
        Python ones, which ``summary.json`` can hold."""
        self.num_perm = check_num_perm(self.num_perm)
        try:
            self.ngram = check_shingle_args(self.ngram, "word", 0)[0]
        except ValueError as error:  # named "n" there
            raise ValueError(f"ngram{str(error).removeprefix('n')}") from None
        self.num_threads = check_threads(self.num_threads)
        threshold, batch = as_real(self.threshold), as_int(self.batch_size)
        if threshold is None or not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be a number in (0.0, 1.0], got {self.threshold!r}")
        if batch is None or batch < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {self.batch_size!r}")
        # (A Python int threshold stays an int: summary.json writes it as given.)
        self.threshold = threshold if isinstance(self.threshold, np.generic) else self.threshold
        self.batch_size = batch
        for name in ("repeats", "chrome", "dedup"):
            setattr(self, name, check_flag(getattr(self, name), name))  # "no" would be true
        for name in ("chrome_model", "index"):
            path = getattr(self, name)
            # An empty path would be taken as none given.
            if path is not None and (not isinstance(path, (str, os.PathLike)) or not os.fspath(path)):
                raise ValueError(f"{name} must be a path (a non-empty str or os.PathLike) or None, got {path!r}")
        for name in ("examples", "min_evidence"):
            value = as_int(getattr(self, name))
            if value is None or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {getattr(self, name)!r}")
            setattr(self, name, value)
        self._check_chrome_params()

    def _check_chrome_params(self) -> None:
        params = self.chrome_params
        if not isinstance(params, dict):
            raise ValueError(f"chrome_params must be a dict of ChromeModel parameters, got {type(params).__name__}")
        if params and self.chrome_model is not None:
            # The saved model decides with its own parameters: these would be ignored.
            raise ValueError("chrome_params set a new model's parameters; a saved model (chrome_model) keeps its own: give one of them")
        unknown = sorted(repr(k) for k in params if k not in DEFAULT_PARAMS)
        if unknown:
            raise ValueError(f"chrome_params: unknown parameter(s) {', '.join(unknown)}; ChromeModel's are {', '.join(DEFAULT_PARAMS)}")
        try:
            ChromeModel(**params)
        except (TypeError, ValueError) as error:
            raise ValueError(f"chrome_params: {error}") from None
        self.chrome_params = {name: value.item() if isinstance(value, np.generic) else value for name, value in params.items()}


@dataclass(slots=True)
class Doc:
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
    #: Where the spool holds the JSON of the record's other fields (:func:`.write.json_tail`)
    #: and the characters ``removed`` cut out (:meth:`neardup.spans.CutMap.removed_text`);
    #: -1 where not written (Parquet output, which reads the input again; nothing removed).
    tail_offset: int = -1
    removed_text_offset: int = -1
    #: A text truncated to the size limits: the length of the text as read and the spans cut.
    truncation: tuple[int, list[tuple[int, int, str]]] | None = None
    #: Where the spool holds the page's own text (:func:`.strip.own_texts`) where the caller
    #: spooled it (the datatrove stages, whose documents are Docs, not a DocTable); -1 otherwise.
    own_offset: int = -1


#: The integer fields of a Doc, held as columns by a DocTable.
DOC_INT_FIELDS = ("index", "length", "spool_offset", "cleaned_length", "shingles", "tail_offset", "removed_text_offset")


class DocTable:
    """The run's per-document table, one row per readable document in input order, held in
    columns (about 126 bytes a document where a :class:`Doc` object took 384, with its list
    and integers): rows are appended and read as Docs (``table[p]``, iteration; a Doc read
    is a copy), single fields of a row (``id_of``, ``written_id_of``, ``removed_of``,
    ``int_of``), whole columns as arrays (:func:`doc_column`)."""

    def __init__(self) -> None:
        self._ints = {name: array("q") for name in DOC_INT_FIELDS}
        self._ids: list[str] = []
        self._written_ids: list[Any] = []
        self._sites: list[str | None] = []
        # One string object per site name, shared by its pages.
        self._site_names: dict[str, str] = {}
        # Only the documents something was removed from, and the truncated ones.
        self._removed: dict[int, list[tuple[int, int, str]]] = {}
        self._truncations: dict[int, tuple[int, list[tuple[int, int, str]]]] = {}

    def append(self, doc: Doc) -> None:
        position = len(self._ids)
        for name, column in self._ints.items():
            column.append(getattr(doc, name))
        self._ids.append(doc.id)
        self._written_ids.append(doc.written_id)
        self._sites.append(None if doc.site is None else self._site_names.setdefault(doc.site, doc.site))
        if doc.removed:
            self._removed[position] = doc.removed
        if doc.truncation is not None:
            self._truncations[position] = doc.truncation

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, position: int) -> Doc:
        if not 0 <= position < len(self._ids):
            raise IndexError(f"document {position} of {len(self._ids)}")
        ints = self._ints
        return Doc(
            ints["index"][position], self._ids[position], self._sites[position], ints["length"][position], self._written_ids[position],
            ints["spool_offset"][position], ints["cleaned_length"][position], ints["shingles"][position], self._removed.get(position, []),
            ints["tail_offset"][position], ints["removed_text_offset"][position], self._truncations.get(position),
        )

    def __iter__(self) -> Iterator[Doc]:
        return (self[p] for p in range(len(self._ids)))

    # One field of row ``position`` (0 <= position < len), without making the row's Doc: the
    # write stage reads a few fields of every row. Positions come from :meth:`position` and
    # the decisions, never negative, so the bounds are not checked again.
    def id_of(self, position: int) -> str:
        return self._ids[position]

    def written_id_of(self, position: int) -> Any:
        return self._written_ids[position]

    def site_of(self, position: int) -> str | None:
        return self._sites[position]

    def removed_of(self, position: int) -> list[tuple[int, int, str]]:
        return self._removed.get(position, [])

    def truncation_of(self, position: int) -> tuple[int, list[tuple[int, int, str]]] | None:
        return self._truncations.get(position)

    def cut_positions(self) -> set[int]:
        """The rows of the documents something was removed from or truncated."""
        return set(self._removed) | set(self._truncations)

    def int_of(self, name: str, position: int) -> int:
        """The integer field ``name`` (one of :data:`DOC_INT_FIELDS`) of row ``position``."""
        return self._ints[name][position]

    def column(self, name: str) -> np.ndarray:
        """The integer field ``name`` of every row, as an int64 array (a copy)."""
        return np.array(self._ints[name], dtype=np.int64)

    def position(self, index: int) -> int | None:
        """The row of the document at input position ``index``, or None (an unreadable record)."""
        indices = self._ints["index"]  # ascending: rows are appended in input order
        row = bisect_left(indices, index)
        return row if row < len(indices) and indices[row] == index else None


def doc_column(docs: DocTable | list[Doc], name: str) -> np.ndarray:
    """The integer field ``name`` (one of :data:`DOC_INT_FIELDS`) of every document, int64."""
    if isinstance(docs, DocTable):
        return docs.column(name)
    return np.array([getattr(doc, name) for doc in docs], dtype=np.int64)


class RowBlocks:
    """Rows of a matrix in order (the band keys of the documents), in blocks of
    ``block_rows`` rows (32 MB of 64 band keys) that batches are copied into: blocks this large
    go back to the system when freed, where a batch's own small arrays, once stacked into one
    array, would leave their memory in the allocator's heap (1 GB per million documents of
    signatures)."""

    def __init__(self, block_rows: int = 65536) -> None:
        self.block_rows = block_rows
        self.blocks: list[np.ndarray] = []
        self.filled = 0  # rows used in the last block

    def append(self, rows: np.ndarray) -> None:
        done = 0
        while done < len(rows):
            if not self.blocks or self.filled == self.block_rows:
                self.blocks.append(np.empty((self.block_rows, rows.shape[1]), dtype=rows.dtype))
                self.filled = 0
            take = min(len(rows) - done, self.block_rows - self.filled)
            self.blocks[-1][self.filled : self.filled + take] = rows[done : done + take]
            self.filled += take
            done += take

    def take(self) -> list[np.ndarray]:
        """The rows, a block per array (the last cut to its filled rows); the store is left
        empty, so the caller holds the only references."""
        arrays = self.blocks[:-1] + [self.blocks[-1][: self.filled]] if self.blocks else []
        self.blocks, self.filled = [], 0
        return arrays


#: The length before each text of a TextSpool.
SPOOL_LENGTH_BYTES = 8
#: The spool's write buffer: a write call per megabyte, not per few texts.
SPOOL_BUFFER_BYTES = 1 << 20
#: The most of the spool file one read of several texts takes at once (the write stage reads
#: a window's kept texts together): what it holds in memory stays bounded.
SPOOL_READ_BYTES = 8 << 20


class TextSpool:
    """Texts in a temporary file in ``folder``, read back by offset: memory stays bounded by
    the corpus size. ``shown`` names the file in error messages. The file is read through the
    handle it was written with, so it stays readable whatever happens to the folder's name.
    Each text is its UTF-8 bytes after their length (8 bytes, little-endian: every text, the
    empty one too, has an offset of its own); where each starts and its size are also kept in
    memory (16 bytes a text), so that a read is one positioned read of the text, without
    parsing (texts are read again for every pair they are compared in)."""

    def __init__(self, folder: str | os.PathLike[str], shown: str) -> None:
        self.shown = shown
        try:
            handle, name = tempfile.mkstemp(prefix=".neardup-spool-", suffix=".bin", dir=folder)
        except OSError as error:
            raise output_error(self.shown, error) from None
        self.path = Path(name)
        self._file = os.fdopen(handle, "w+b", buffering=SPOOL_BUFFER_BYTES)
        self._end = 0
        # The offset and size of each text written, in order (so offsets ascend).
        self._offsets = array("q")
        self._sizes = array("q")
        self._reading = False
        # Positioned reads where the platform has them (POSIX): a third faster than seek and read.
        self._pread = getattr(os, "pread", None)
        self._fd = handle
        self._unflushed = False

    def write(self, text: str) -> int:
        """Add ``text``; returns its offset, which :meth:`read` takes."""
        return self.write_utf8(text.encode("utf-8"))

    def write_utf8(self, data: bytes) -> int:
        """Add a text given as its UTF-8 bytes ``data``; returns its offset."""
        offset = self._end
        try:
            if self._reading:
                self._file.seek(offset)
                self._reading = False
            self._file.write(len(data).to_bytes(SPOOL_LENGTH_BYTES, "little"))
            self._file.write(data)
            self._unflushed = True
        except OSError as error:
            raise output_error(self.shown, error) from None
        self._end += SPOOL_LENGTH_BYTES + len(data)
        self._offsets.append(offset)
        self._sizes.append(len(data))
        return offset

    def read(self, offset: int) -> str:
        """The text written at ``offset``."""
        return self.read_utf8(offset).decode("utf-8")

    def read_utf8(self, offset: int) -> bytes:
        """The text written at ``offset``, as its UTF-8 bytes."""
        at = bisect_left(self._offsets, offset)
        if at == len(self._offsets) or self._offsets[at] != offset:
            raise ValueError(f"no text of the spool starts at offset {offset}")
        size = self._sizes[at]
        if self._pread is not None:
            return self._read_at(offset + SPOOL_LENGTH_BYTES, size, offset)
        try:
            self._file.seek(offset + SPOOL_LENGTH_BYTES)
            self._reading = True
            data = self._file.read(size)
            if len(data) < size:
                raise OSError(errno.EIO, f"cut short: it ends inside the text at offset {offset}")
            return data
        except OSError as error:
            # The buffered tail is written on the first seek: a full disk may show here.
            raise output_error(self.shown, error) from None

    def read_utf8_many(self, offsets: list[int]) -> list[bytes]:
        """The texts written at ``offsets`` (ascending), as UTF-8 bytes: neighbours are read
        together, in positioned reads of at most :data:`SPOOL_READ_BYTES` of the file each (a
        larger text alone)."""
        if self._pread is None:
            return [self.read_utf8(offset) for offset in offsets]
        entries, at = [], 0
        for offset in offsets:
            at = bisect_left(self._offsets, offset, at)
            if at == len(self._offsets) or self._offsets[at] != offset:
                raise ValueError(f"no text of the spool starts at offset {offset}")
            entries.append((offset, self._sizes[at]))
        texts: list[bytes] = []
        first = 0
        while first < len(entries):
            start = entries[first][0]
            end = first + 1
            while end < len(entries) and entries[end][0] + SPOOL_LENGTH_BYTES + entries[end][1] - start <= SPOOL_READ_BYTES:
                end += 1
            last, last_size = entries[end - 1]
            data = self._read_at(start, last + SPOOL_LENGTH_BYTES + last_size - start, last)
            texts.extend(data[offset - start + SPOOL_LENGTH_BYTES : offset - start + SPOOL_LENGTH_BYTES + size] for offset, size in entries[first:end])
            first = end
        return texts

    def _read_at(self, position: int, size: int, offset: int) -> bytes:
        """``size`` bytes of the file from ``position`` by positioned reads (a read returns
        at most about 2 GB on Linux: more take several); ``offset`` is the text the error
        names."""
        assert self._pread is not None
        parts, got = [], 0
        try:
            fd = self.readable_fd()
            while got < size:
                part = self._pread(fd, min(size - got, 1 << 30), position + got)
                if not part:
                    raise OSError(errno.EIO, f"cut short: it ends inside the text at offset {offset}")
                parts.append(part)
                got += len(part)
        except OSError as error:
            raise output_error(self.shown, error) from None
        return b"".join(parts)

    def extents(self, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the texts written at ``offsets`` lie in the file: their first bytes and their
        sizes in bytes (int64 arrays), as the core's spooled calls take them."""
        offsets = np.asarray(offsets, dtype=np.int64).reshape(-1)
        # Copies: a view would pin the arrays, which could then not grow.
        written = np.frombuffer(self._offsets, dtype=np.int64).copy()
        at = np.searchsorted(written, offsets)
        found = at < len(written)
        found[found] = written[at[found]] == offsets[found]
        if not found.all():
            raise ValueError(f"no text of the spool starts at offset {int(offsets[~found][0])}")
        return offsets + SPOOL_LENGTH_BYTES, np.frombuffer(self._sizes, dtype=np.int64)[at].copy()

    def readable_fd(self) -> int | None:
        """The file's descriptor, everything written flushed to it, for the core to read the
        texts by position; None where the platform has no positioned reads."""
        if self._pread is None:
            return None
        if self._unflushed:
            try:
                self._file.flush()
            except OSError as error:
                raise output_error(self.shown, error) from None
            self._unflushed = False
        return self._fd

    def close(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass  # being thrown away: a failed flush of it does not matter
        self.path.unlink(missing_ok=True)


class SpooledTexts:
    """The texts of documents in a spool (document ``d`` written at ``offsets[d]``), compared
    by core calls that read them from the spool's file themselves, in parallel and without a
    Python str per text; where the platform has no positioned reads, the texts are read here
    and handed over."""

    def __init__(self, spool: TextSpool, offsets: np.ndarray, num_threads: int | None) -> None:
        self.spool, self.offsets, self.num_threads = spool, offsets, num_threads
        self.starts, self.sizes = spool.extents(offsets)

    def read(self, doc: int) -> str:
        return self.spool.read(int(self.offsets[doc]))

    def matched_share(self, pairs: np.ndarray) -> np.ndarray:
        """:func:`neardup.align.matched_share_batch` of ``(a, b)`` document pairs."""
        fd = self.spool.readable_fd()
        if fd is None:
            return matched_share_batch([(self.read(a), self.read(b)) for a, b in pairs.tolist()], num_threads=self.num_threads)
        return self._spooled(_backend.IMPL.matched_share_spooled, fd, pairs)

    def wraps(self, pairs: np.ndarray, min_chars: int, min_share: float) -> list[bool]:
        """:func:`neardup.align.wraps_batch` of ``(outer, inner)`` document pairs."""
        fd = self.spool.readable_fd()
        if fd is None:
            texts = [(self.read(a), self.read(b)) for a, b in pairs.tolist()]
            return wraps_batch(texts, min_chars=min_chars, min_share=min_share, num_threads=self.num_threads)
        return list(self._spooled(_backend.IMPL.wraps_spooled, fd, pairs, min_chars, float(min_share)))

    def shingle_sets(self, docs: list[int], n: int) -> Shingles:
        """The shingle sets of ``docs`` (:func:`neardup.text.shingles_batch` with ``distinct``)."""
        fd = self.spool.readable_fd()
        if fd is None:
            return shingles_batch([self.read(d) for d in docs], n=n, num_threads=self.num_threads, distinct=True)
        hashes, offsets = self._spooled(_backend.IMPL.shingle_sets_spooled, fd, np.asarray(docs, dtype=np.int64), n)
        return Shingles(np.asarray(hashes, dtype=np.uint64), np.asarray(offsets, dtype=np.int64))

    def _spooled(self, call: Callable[..., Any], fd: int, *args: Any) -> Any:
        try:
            return call(fd, self.starts, self.sizes, *args, num_threads=self.num_threads)
        except OSError as error:
            raise output_error(self.spool.shown, error) from None


class Spool(TextSpool):
    """The run's cleaned texts, in the staging folder of its output (removed with it)."""

    def __init__(self, out: AtomicOutputDir) -> None:
        assert out.staging is not None
        try:
            super().__init__(out.staging, f"{out.outdir}{os.sep}(temporary file of cleaned texts)")
        except OSError:
            # A folder that was removed or replaced is the error to report.
            out.check()
            raise


class Unreadable(NamedTuple):
    """What the write stage needs of a record that could not be read: its id (:class:`Record`'s
    ``id`` and ``id_value``), where it is and why it could not be read."""

    id: str
    id_value: Any
    source: str
    reason: str

    def record(self, index: int) -> Record:
        """The record at input position ``index``, as the write stage words its row."""
        return Record(index, self.id, None, source=self.source, error=self.reason, id_value=self.id_value)


@dataclass
class Run:
    """One run of the job: what its stages share, set up by :func:`neardup.pipeline.clean`
    and filled in by the stages in turn."""

    options: CleanOptions
    corpus: Corpus
    out: AtomicOutputDir
    spool: Spool
    progress: Progress
    #: documents.parquet (every input is Parquet or Arrow) or documents.jsonl.
    parquet_out: bool
    #: decisions.arrow beside decisions.jsonl (every input is Arrow: :func:`neardup.clean_table`).
    arrow_out: bool = False
    #: Set by the learn stage.
    model: ChromeModel | None = None
    #: One per readable document, in input order (the sign stage).
    docs: DocTable = field(default_factory=DocTable)
    #: Input position -> the record that could not be read (its row's fields).
    skipped: dict[int, Unreadable] = field(default_factory=dict)
    #: The LSH band keys of the docs' MinHash signatures (:func:`lsh_bands`; 8 bytes a band,
    #: 512 at the default 64 bands; released once the candidate pairs are found).
    band_keys: RowBlocks = field(default_factory=lambda: RowBlocks())
    #: The docs' anchors (:data:`ANCHOR_BITS`), one per row, and how many each doc has (in
    #: blocks of 32 MB, which the allocator maps and gives back whole: smaller ones stay in
    #: its heap once freed).
    anchor_values: RowBlocks = field(default_factory=lambda: RowBlocks(1 << 22))
    anchor_counts: RowBlocks = field(default_factory=lambda: RowBlocks(1 << 22))

    def anchors(self) -> tuple[np.ndarray, np.ndarray]:
        """The docs' anchors as ``(values, offsets)`` (the stores are emptied)."""
        values = np.concatenate([b[:, 0] for b in self.anchor_values.take()] or [np.zeros(0, np.uint64)])
        counts = np.concatenate([b[:, 0] for b in self.anchor_counts.take()] or [np.zeros(0, np.int64)])
        offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return values, offsets

    @property
    def writes_from_spool(self) -> bool:
        """Whether the write stage makes its rows from what the sign stage spooled (JSONL
        output: the texts and the other fields' JSON) instead of reading the input again
        (Parquet output, whose columns keep their types)."""
        return not self.parquet_out

    @property
    def reader(self) -> RecordReader:
        """The reader of the run's inputs (their fields, limits and names)."""
        return self.corpus.reader

    def batches(self, desc: str) -> Iterator[list[Record]]:
        """The records of one pass over the corpus, in batches, with a progress bar named
        ``desc``; the output folder is checked before each batch. With the records' other fields
        only when the sign stage spools them for the write stage (:attr:`writes_from_spool`)."""
        read = batches(self.progress(self.corpus.read(keep_extra=self.writes_from_spool, threads=self.options.num_threads != 1), desc=desc), self.options.batch_size)
        # With more than one thread, the next batch is read while the core works on this one.
        for batch in read if self.options.num_threads == 1 else read_ahead(read):
            self.out.check()
            yield batch


def lsh_bands(options: CleanOptions) -> tuple[int, int]:
    """The LSH ``(bands, rows)`` of the job's duplicate search (that of
    :func:`neardup.cluster.verify_duplicates` with the job's threshold and permutations)."""
    return candidate_bands(options.threshold, num_perm=options.num_perm)


def open_index(options: CleanOptions) -> Index:
    """The persistent index of ``options.index``, opened with the job's parameters."""
    return Index(options.index, threshold=options.threshold, num_perm=options.num_perm, seed=MINHASH_SEED, n=options.ngram)
