"""A persistent, incremental near-duplicate index on SQLite: "has this article been seen before?"

:class:`Index` keeps, in one SQLite file (standard library ``sqlite3``, WAL mode, no server),
the MinHash signature, distinct-shingle count, id, site and metadata of every indexed document,
its LSH band keys in a ``(key, doc)`` table with a primary-key B-tree (lookup without scanning),
and per-site chrome models. Signatures and band keys are those of :mod:`neardup.minhash` and
:mod:`neardup.lsh`, so an index agrees with :func:`neardup.find_duplicates`.

Guarantees (docs/index.md): every ``add``/``add_and_dedup``/``remove`` call is one
transaction, so a batch is visible entirely or not at all, also after the process is killed;
readers see a consistent snapshot while one writer adds; a query reads only the band-key rows
and the signatures of its candidates, never the whole index.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import _backend
from ._arrays import as_list, count_array, uint64_array
from ._reference.minhash import SCHEMES, check_num_perm
from ._reference.text import as_int, as_real, check_flag, check_labelled, check_seed, check_shingle_args, check_threads
from ._version import __version__
from .chrome import ChromeModel, complete_params
from .cluster import Decision
from .decide import Decisions, check_keep, decide, describe, drop_directions, keep_priority, pair_scores, policy_name
from .lsh import candidate_threshold, check_params, check_threshold, check_weights, lsh_params
from .text import shingles_batch

__all__ = ["Index", "IndexDecision", "IndexDataError", "IndexWriteError", "Match", "IndexMigrated", "SCHEMA_VERSION"]

_impl = _backend.IMPL

FORMAT = "neardup-index"
#: Version of the on-disk schema this neardup writes. An index with a lower version is
#: migrated on open (see ``_MIGRATIONS``); a higher one is refused.
SCHEMA_VERSION = 1

#: version -> function upgrading a connection's schema from that version to version + 1
#: (inside the open transaction). Empty while version 1 is the only format ever written.
_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {}

# SQLite's default limit on bound parameters is 32766 (since 3.32); stay well below it.
_SQL_CHUNK = 20_000
#: Documents per band-key segment (see the schema): a lookup probes every segment, an insert
#: touches one. 2**17 documents of 64 bands is about 170 MB of B-tree.
SEGMENT_DOCS = 1 << 17
#: Query documents looked up together: bounds the memory of a query whatever the index size.
QUERY_CHUNK = 2_000

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE batches (
    batch INTEGER PRIMARY KEY,
    added_at REAL NOT NULL,
    added INTEGER NOT NULL,      -- documents the batch added
    removed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE docs (
    doc INTEGER PRIMARY KEY,     -- internal number, referenced by bands
    id TEXT NOT NULL UNIQUE,
    batch INTEGER NOT NULL,
    size INTEGER NOT NULL,       -- distinct shingles (0: empty, no band keys)
    length INTEGER NOT NULL,     -- characters of the text (shingles for pre-hashed input)
    site TEXT,
    meta TEXT,                   -- JSON
    signature BLOB NOT NULL      -- num_perm little-endian uint64
);
-- One row per (band key, document): the composite primary key is the lookup B-tree and
-- WITHOUT ROWID stores each row once, in it. seg = doc // segment_docs comes first so that a
-- batch's inserts (random keys) touch only the pages of the newest segment, not of the whole
-- table: without it every batch rewrites nearly every page once the table is large.
CREATE TABLE bands (
    seg INTEGER NOT NULL,
    key INTEGER NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY (seg, key, doc)
) WITHOUT ROWID;
CREATE TABLE chrome (site TEXT PRIMARY KEY, pages INTEGER NOT NULL, model TEXT NOT NULL) WITHOUT ROWID;
"""

_PARAM_NAMES = (
    "num_perm",
    "seed",
    "scheme",
    "n",
    "kind",
    "threshold",
    "measure",
    "min_size_ratio",
    "weights",
    "bands",
    "rows",
)


class IndexDataError(ValueError):
    """An index file that cannot be used: not an index, a newer format, other parameters,
    an unknown or duplicate document id. The message names the file or document."""


class IndexWriteError(OSError):
    """The index file cannot be opened or written: disk full, file size limit, a read-only
    file or folder, an I/O error. The message names the file; the transaction under way was
    rolled back, so the index holds whole batches only and the call can be repeated."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


# SQLite's primary result codes (sqlite3.h) that say the file system refused, with what to
# tell the user. Corruption and "not a database" are IndexDataError instead.
_SQLITE_FILE_ERRORS = {
    3: "no permission (SQLITE_PERM)",
    8: "the file or its folder is read-only (SQLITE_READONLY)",
    10: "disk I/O error, such as a file size limit (SQLITE_IOERR)",
    13: "no space left on device (SQLITE_FULL)",
    14: "cannot open the file or its -wal/-shm companions: missing folder or no permission (SQLITE_CANTOPEN)",
}


def _sqlite_error(path: Path, error: sqlite3.Error) -> Exception:
    """The exception to raise for a SQLite error on the index ``path``."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) in _SQLITE_FILE_ERRORS:
        return IndexWriteError(None, f"{path}: cannot write the index: {_SQLITE_FILE_ERRORS[code & 0xFF]} ({error})")
    if code is not None and (code & 0xFF) in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
        return IndexDataError(f"{path}: not a neardup index or damaged (SQLite: {error})")
    if code is None and isinstance(error, sqlite3.OperationalError):
        return IndexWriteError(None, f"{path}: cannot use the index: {error}")  # Python < 3.11: no codes
    return error


@dataclass(frozen=True)
class Match:
    """An indexed document found for a query document, with estimated similarities (from
    the signatures), whether it counts as a duplicate under the index's measure, and how
    ``score`` was computed (``"containment-minhash"``; ``"jaccard-minhash"`` for a short
    text, see :mod:`neardup.decide`)."""

    id: str
    score: float
    jaccard: float
    containment: float
    duplicate: bool
    method: str


@dataclass(frozen=True)
class IndexDecision(Decision):
    """:class:`neardup.Decision` of one batch document, against the batch and the index.

    ``index``, ``kept`` and ``cluster`` are positions in the batch as in
    :func:`neardup.find_duplicates`; when the kept document is an indexed one, ``kept`` is
    ``None``, ``kept_id`` names it and ``seen_before`` is True. The reason names documents by
    id: ``duplicate of document 'b2' (...)``, ``duplicate of indexed document 'a3' (...)``.
    """

    kept: int | None  # type: ignore[assignment]
    id: str
    kept_id: str
    seen_before: bool


def _signed(keys: np.ndarray) -> np.ndarray:
    # SQLite integers are signed 64-bit: store the key's bits reinterpreted.
    return np.ascontiguousarray(keys, dtype=np.uint64).view(np.int64)


def _chunks(values: Sequence[Any], size: int = _SQL_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _counts(values: Any, count: int, what: str) -> np.ndarray:
    """``values`` as ``count`` integers >= 0 (one per signature row), else a ValueError: a
    short array would leave rows without a count and lose their matches, and a float (10.7)
    cast to an int would be another count."""
    try:
        shape: Any = np.shape(values)
    except ValueError:  # ragged nesting
        shape = None
    if shape != (count,):
        got = f"shape {shape}" if shape else type(values).__name__
        raise ValueError(f"{what} must be {count} counts >= 0, got {got}")
    given = np.asarray(values)
    if given.dtype.kind == "i":
        negative = np.flatnonzero(given < 0)
        if len(negative):
            first = int(negative[0])
            raise ValueError(f"{what} must be {count} counts >= 0: document {first} has {int(given[first])}")
    return count_array(given, f"{what} (one count per signature)")


def _signature_rows(signatures: Any, num_perm: int) -> np.ndarray:
    """The ``(n, num_perm)`` uint64 matrix of ``signatures`` (an array or a
    :class:`neardup.Signatures`); floats and negative values are refused, not cast, since a
    cast signature is another document's and never matches."""
    values = uint64_array(getattr(signatures, "values", signatures), "signatures", 2)
    if values.shape[1] != num_perm:
        raise ValueError(f"signatures must be an (n, {num_perm}) array, got shape {values.shape}")
    return values


def _marks(count: int) -> str:
    return ",".join("?" * count)


@dataclass
class _Batch:
    """A batch of documents made ready for the index (no database access)."""

    ids: list[str]
    sites: list[str | None]
    metas: list[str | None]
    signatures: np.ndarray  # (n, num_perm) uint64
    sizes: np.ndarray  # distinct shingles
    lengths: np.ndarray  # characters (or shingles)
    keys: np.ndarray  # (n, bands) uint64; rows of empty documents unused
    hashes: np.ndarray | None = None  # shingles (CSR), for exact verification in the batch
    offsets: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)


class Index:
    """A persistent near-duplicate index in the SQLite file ``path``.

    Creating an index fixes its parameters (stored in the file): ``num_perm``, ``seed``,
    ``scheme``, shingles (``n``, ``kind``), the duplicate criterion (``threshold``,
    ``measure``, ``min_size_ratio``) and the LSH banding (``params=(bands, rows)``, or chosen
    from the criterion and ``weights`` as :func:`neardup.find_duplicates` does). Opening an
    existing index with a parameter that differs raises :class:`IndexDataError`; parameters left
    as ``None`` are taken from the file. Defaults are those of ``find_duplicates``.

    ``create=False`` refuses a missing file; ``readonly=True`` opens for queries only.
    ``durable=True`` syncs every commit to disk (``synchronous=FULL``); the default
    (``NORMAL`` in WAL mode) keeps every committed batch across a killed process, and the
    file consistent across a power loss, which may lose the last commits.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        threshold: float | None = None,
        measure: str | None = None,
        min_size_ratio: float | None = None,
        num_perm: int | None = None,
        seed: int | None = None,
        scheme: str | None = None,
        n: int | None = None,
        kind: str | None = None,
        weights: tuple[float, float] | None = None,
        params: tuple[int, int] | None = None,
        create: bool = True,
        readonly: bool = False,
        durable: bool = False,
        cache_mb: int = 32,
        timeout: float = 60.0,
    ) -> None:
        create, readonly, durable = check_flag(create, "create"), check_flag(readonly, "readonly"), check_flag(durable, "durable")
        # Formatted into a PRAGMA: a float would be truncated, a negative number make "--" (a comment).
        cache = as_int(cache_mb)
        if cache is None or cache < 1:
            raise ValueError(f"cache_mb must be an int >= 1, got {cache_mb!r}")
        seconds = as_real(timeout)
        if seconds is None or not seconds >= 0:
            raise ValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
        cache_mb, timeout = cache, seconds
        self.path = Path(path)
        given = {
            "threshold": threshold,
            "measure": measure,
            "min_size_ratio": min_size_ratio,
            "num_perm": num_perm,
            "seed": seed,
            "scheme": scheme,
            "n": n,
            "kind": kind,
            "weights": weights,
        }
        exists = self.path.exists() and self.path.stat().st_size > 0
        if not exists and (readonly or not create):
            raise FileNotFoundError(f"{self.path}: no index there (create it with Index(path) or `neardup index add`)")
        self.readonly = readonly
        try:
            if readonly:
                self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=timeout)
            else:
                self._db = sqlite3.connect(self.path, isolation_level=None, timeout=timeout)
        except sqlite3.Error as error:
            raise _sqlite_error(self.path, error) from None
        try:
            self._configure(durable, cache_mb)
            if exists and not self.readonly:
                # A file without any table is one whose creation was interrupted (the WAL
                # switch writes the header before the schema commits): create it afresh.
                try:
                    exists = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
                except sqlite3.DatabaseError as error:
                    converted = _sqlite_error(self.path, error)
                    if isinstance(converted, IndexWriteError):
                        raise converted from None
                    raise IndexDataError(f"{self.path}: not a neardup index (SQLite: {error})") from None
            if exists:
                self._params = self._open_existing(given, params)
            else:
                self._params = self._create(given, params)
            if not readonly:
                # A write transaction of nothing: a read-only file or folder fails here, at
                # open, not after the work of a batch.
                with self._write():
                    pass
        except sqlite3.Error as error:
            self._db.close()
            raise _sqlite_error(self.path, error) from None
        except BaseException:
            self._db.close()
            raise
        p = self._params
        self.num_perm, self.seed, self.scheme = p["num_perm"], p["seed"], p["scheme"]
        self.n, self.kind = p["n"], p["kind"]
        self.threshold, self.measure, self.min_size_ratio = p["threshold"], p["measure"], p["min_size_ratio"]
        self.bands, self.rows = p["bands"], p["rows"]

    # -- opening ---------------------------------------------------------------------------

    def _configure(self, durable: bool, cache_mb: int) -> None:
        db = self._db
        try:
            if not self.readonly:
                mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise IndexDataError(f"{self.path}: could not switch to WAL mode (got {mode!r})")
            db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            # A bounded page cache (negative: KiB), whatever the index size.
            db.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
            db.execute("PRAGMA temp_store=MEMORY")
            # A big batch grows the WAL to its size; truncate it after checkpoints.
            db.execute("PRAGMA journal_size_limit=67108864")
        except sqlite3.DatabaseError as error:
            converted = _sqlite_error(self.path, error)
            if isinstance(converted, IndexWriteError):
                raise converted from None
            raise IndexDataError(f"{self.path}: not a neardup index (SQLite: {error})") from None

    def _create(self, given: dict[str, Any], params: tuple[int, int] | None) -> dict[str, Any]:
        defaults = {
            "threshold": 0.8,
            "measure": "containment",
            "min_size_ratio": 0.2,
            "num_perm": 128,
            "seed": 1,
            "scheme": "classic",
            "n": 5,
            "kind": "word",
            "weights": (0.2, 0.8),
        }
        p = {k: (defaults[k] if v is None else v) for k, v in given.items()}
        p["threshold"] = check_threshold(p["threshold"])
        if p["threshold"] <= 0.0:
            raise ValueError("threshold must be > 0")
        if not isinstance(p["measure"], str) or p["measure"] not in ("containment", "jaccard"):
            raise ValueError(f"measure must be 'containment' or 'jaccard', got {p['measure']!r}")
        p["min_size_ratio"] = check_threshold(p["min_size_ratio"], "min_size_ratio")
        if p["measure"] == "containment" and p["min_size_ratio"] <= 0.0:
            raise ValueError("min_size_ratio must be > 0 for measure='containment'")
        p["num_perm"] = check_num_perm(p["num_perm"])
        p["seed"] = check_seed(p["seed"])
        if not isinstance(p["scheme"], str) or p["scheme"] not in SCHEMES:
            raise ValueError(f"scheme must be 'classic' or 'oph', got {p['scheme']!r}")
        p["n"], p["kind"], _ = check_shingle_args(p["n"], p["kind"], 0)
        p["weights"] = list(check_weights(p["weights"]))
        if params is not None:
            p["bands"], p["rows"] = check_params(params, p["num_perm"])
        else:
            lsh_threshold = candidate_threshold(p["threshold"], p["measure"], p["min_size_ratio"])
            p["bands"], p["rows"] = lsh_params(lsh_threshold, p["num_perm"], tuple(p["weights"]))
        with self._write():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            meta = {
                "format": FORMAT,
                "schema_version": str(SCHEMA_VERSION),
                "params": json.dumps(p, sort_keys=True),
                "created_by": f"neardup {__version__}",
                "created_at": f"{time.time():.3f}",
                "segment_docs": str(SEGMENT_DOCS),
            }
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        self._segment_docs = SEGMENT_DOCS
        return p

    def _read_meta(self) -> dict[str, str]:
        try:
            rows = self._db.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.DatabaseError as error:
            raise IndexDataError(f"{self.path}: not a neardup index ({error})") from None
        meta = dict(rows)
        if meta.get("format") != FORMAT:
            raise IndexDataError(f"{self.path}: not a neardup index (meta format is {meta.get('format')!r})")
        return meta

    def _open_existing(self, given: dict[str, Any], params: tuple[int, int] | None) -> dict[str, Any]:
        meta = self._read_meta()
        try:
            version = int(meta["schema_version"])
        except (KeyError, ValueError):
            raise IndexDataError(f"{self.path}: index has no valid schema_version") from None
        if version > SCHEMA_VERSION:
            raise IndexDataError(
                f"{self.path}: index schema version {version} is newer than this neardup supports "
                f"({SCHEMA_VERSION}); upgrade neardup to open it"
            )
        if version < SCHEMA_VERSION:
            self._migrate(version)
        p = self._stored_json(meta.get("params"), "the stored parameters")
        if not isinstance(p, dict) or not set(_PARAM_NAMES) <= set(p):
            raise IndexDataError(f"{self.path}: the stored parameters are not an index's ({str(p)[:80]!r})")
        try:
            self._segment_docs = int(meta["segment_docs"])
        except (KeyError, ValueError, TypeError):
            raise IndexDataError(f"{self.path}: index has no valid segment_docs") from None
        wanted = dict(given)
        if params is not None:
            wanted["bands"], wanted["rows"] = params
        for name, value in wanted.items():
            if value is None:
                continue
            stored = p[name]
            same = list(value) == stored if name == "weights" else value == stored
            if not same:
                raise IndexDataError(f"{self.path}: index was built with {name}={stored!r}, not {value!r}")
        return p

    def _stored_json(self, raw: Any, what: str) -> Any:
        """Stored JSON (only ever JSON: nothing stored is unpickled or evaluated), or an
        IndexDataError naming the file and what was being read."""
        try:
            return json.loads(raw)
        except (ValueError, TypeError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise IndexDataError(f"{self.path}: {what} is not valid JSON ({error})") from None

    def _signatures(self, blobs: list[bytes], ids: Sequence[str]) -> np.ndarray:
        """Stored signatures as a (n, num_perm) array; a blob of another size is damage."""
        width = 8 * self.num_perm
        for blob, id_ in zip(blobs, ids):
            if not isinstance(blob, bytes) or len(blob) != width:
                raise IndexDataError(f"{self.path}: document {id_!r} has a damaged signature (expected {width} bytes)")
        return np.frombuffer(b"".join(blobs), dtype="<u8").astype(np.uint64).reshape(-1, self.num_perm)

    def _migrate(self, version: int) -> None:
        if self.readonly:
            raise IndexDataError(
                f"{self.path}: index schema version {version} is older than {SCHEMA_VERSION}; "
                "open it writable once to migrate it"
            )
        with self._write():
            current = int(self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
            start = current
            while current < SCHEMA_VERSION:
                if current not in _MIGRATIONS:
                    raise IndexDataError(f"{self.path}: no migration from index schema version {current}")
                _MIGRATIONS[current](self._db)
                current += 1
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(current),))
        if start < SCHEMA_VERSION:
            warnings.warn(
                f"{self.path}: migrated the index from schema version {start} to {SCHEMA_VERSION}",
                IndexMigrated,
                stacklevel=3,
            )

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of the block is committed, or none of it."""
        if self.readonly:
            raise IndexDataError(f"{self.path}: index was opened read-only")
        try:
            # IMMEDIATE takes the write lock up front, so lookups made inside see no other writer.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (a full disk at COMMIT does).
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise _sqlite_error(self.path, error) from None

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every statement sees the same committed snapshot."""
        try:
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")
        except sqlite3.Error as error:
            raise _sqlite_error(self.path, error) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def params(self) -> dict[str, Any]:
        """The parameters stored in the index."""
        return dict(self._params)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM docs").fetchone()[0])

    def __contains__(self, id: str) -> bool:
        if isinstance(id, str):
            check_labelled(id, "id")
        return self._db.execute("SELECT 1 FROM docs WHERE id = ?", (id,)).fetchone() is not None

    def existing(self, ids: Iterable[str]) -> set[str]:
        """The ids among ``ids`` that are indexed (one query per 20,000 ids)."""
        id_list = list(as_list(ids, "str ids"))
        for i, id_ in enumerate(id_list):
            if isinstance(id_, str):
                check_labelled(id_, f"document {i}: id")
        with self._read():
            return self._existing(id_list)

    # -- preparing documents ---------------------------------------------------------------

    def _prepare(
        self,
        docs: Iterable[str],
        ids: Iterable[Any] | None,
        sites: Iterable[str | None] | None,
        metas: Iterable[dict[str, Any] | None] | None,
        num_threads: int | None,
    ) -> _Batch:
        texts = list(as_list(docs, "str documents"))
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"document {i}: expected str, got {type(text).__name__}")
        num_threads = check_threads(num_threads)
        shingles = shingles_batch(texts, n=self.n, kind=self.kind, num_threads=num_threads)
        hashes = np.ascontiguousarray(shingles.hashes, dtype=np.uint64)
        offsets = np.ascontiguousarray(shingles.offsets, dtype=np.int64)
        values = _impl.minhash_shingles(hashes, offsets, self.num_perm, self.seed, self.scheme, num_threads)
        signatures = np.asarray(values, dtype=np.uint64).reshape(len(texts), self.num_perm)
        sizes = np.asarray(_impl.set_overlaps(hashes, offsets, np.zeros((0, 2), dtype=np.int64), num_threads)[1])
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        batch = self._batch(len(texts), ids, sites, metas, signatures, sizes, lengths, num_threads)
        batch.hashes, batch.offsets = hashes, offsets
        return batch

    def _batch(
        self,
        count: int,
        ids: Iterable[Any] | None,
        sites: Iterable[str | None] | None,
        metas: Iterable[dict[str, Any] | None] | None,
        signatures: np.ndarray,
        sizes: np.ndarray,
        lengths: np.ndarray,
        num_threads: int | None,
    ) -> _Batch:
        id_list = self._ids(count, ids)
        site_list = [None] * count if sites is None else list(sites)
        if len(site_list) != count:
            raise ValueError(f"{len(site_list)} sites for {count} documents")
        for i, site in enumerate(site_list):
            if site is not None and not isinstance(site, str):
                raise TypeError(f"document {i} ({id_list[i]!r}): site must be a str or None, got {type(site).__name__}")
            if site is not None:
                check_labelled(site, f"document {i} ({id_list[i]!r}): site")
        meta_list: list[str | None] = []
        for i, meta in enumerate([None] * count if metas is None else list(metas)):
            try:
                meta_list.append(None if meta is None else json.dumps(meta, ensure_ascii=False, sort_keys=True))
            except (TypeError, ValueError) as error:
                raise ValueError(f"document {i} ({id_list[i]!r}): metadata is not JSON-serialisable ({error})") from None
            if meta_list[-1] is not None:  # a lone surrogate in a key or value: the index is into the JSON text
                check_labelled(meta_list[-1], f"document {i} ({id_list[i]!r}): metadata JSON")
        if len(meta_list) != count:
            raise ValueError(f"{len(meta_list)} metadata entries for {count} documents")
        keys = np.asarray(_impl.band_keys(signatures, self.bands, self.rows, num_threads), dtype=np.uint64)
        keys = keys.reshape(count, self.bands)
        return _Batch(
            id_list,
            site_list,
            meta_list,
            signatures,
            np.asarray(sizes, dtype=np.int64),
            np.asarray(lengths, dtype=np.int64),
            keys,
        )

    @staticmethod
    def _ids(count: int, ids: Iterable[Any] | None) -> list[str]:
        if ids is None:
            raise ValueError("ids are required: one str id per document (the id a later query reports)")
        id_list = [i if isinstance(i, str) else str(i) if isinstance(i, int) and not isinstance(i, bool) else i for i in as_list(ids, "str ids")]
        if len(id_list) != count:
            raise ValueError(f"{len(id_list)} ids for {count} documents")
        seen: dict[str, int] = {}
        for i, id_ in enumerate(id_list):
            if not isinstance(id_, str):
                raise TypeError(f"document {i}: id must be a str (or int), got {type(id_).__name__}")
            # SQLite stores text as UTF-8, which has no lone surrogate.
            check_labelled(id_, f"document {i}: id")
            if id_ in seen:
                raise IndexDataError(f"document {i}: id {id_!r} repeats document {seen[id_]} of the batch")
            seen[id_] = i
        return id_list

    # -- the SQL parts ---------------------------------------------------------------------

    def _existing(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            found.update(r[0] for r in self._db.execute(f"SELECT id FROM docs WHERE id IN ({_marks(len(chunk))})", chunk))
        return found

    def _lookup(self, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``(row, doc)`` pairs, unique and sorted: indexed documents sharing a band key with
        batch row ``rows[i]`` (``keys[i]`` its band keys). Only matching key rows are read."""
        db = self._db
        last = db.execute("SELECT max(doc) FROM docs").fetchone()[0]
        if last is None:
            return np.zeros((0, 2), dtype=np.int64)
        # The batch's (key, row) pairs go into a temporary table (in memory, this connection
        # only) and SQLite joins and deduplicates, so that only distinct (row, candidate)
        # pairs come back: not one row per shared band.
        db.execute("CREATE TEMP TABLE IF NOT EXISTS lookup (key INTEGER NOT NULL, row INTEGER NOT NULL)")
        db.execute("DELETE FROM temp.lookup")
        flat = _signed(keys).ravel()
        owner = np.repeat(rows, keys.shape[1])
        order = np.argsort(flat, kind="stable")
        db.executemany("INSERT INTO temp.lookup VALUES (?, ?)", zip(flat[order].tolist(), owner[order].tolist()))
        # Every segment is probed for each key; CROSS JOIN keeps the small table outside.
        segments = ",".join(str(g) for g in range(int(last) // self._segment_docs + 1))
        sql = (
            "SELECT DISTINCT l.row, b.doc FROM temp.lookup AS l CROSS JOIN bands AS b "
            f"ON b.seg IN ({segments}) AND b.key = l.key"
        )
        found = db.execute(sql).fetchall()
        db.execute("DELETE FROM temp.lookup")
        if not found:
            return np.zeros((0, 2), dtype=np.int64)
        return np.unique(np.array(found, dtype=np.int64).reshape(-1, 2), axis=0)

    def _fetch(self, docs: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
        """``(doc numbers, ids, sizes, signatures)`` of the given documents, in doc order."""
        numbers: list[int] = []
        ids: list[str] = []
        sizes: list[int] = []
        blobs: list[bytes] = []
        for chunk in _chunks(np.unique(docs).tolist()):
            sql = f"SELECT doc, id, size, signature FROM docs WHERE doc IN ({_marks(len(chunk))}) ORDER BY doc"
            for doc, id_, size, blob in self._db.execute(sql, chunk):
                numbers.append(doc)
                ids.append(id_)
                sizes.append(size)
                blobs.append(blob)
        signatures = self._signatures(blobs, ids)
        return np.array(numbers, dtype=np.int64), ids, np.array(sizes, dtype=np.int64), signatures

    def _insert(self, batch: _Batch, keep: np.ndarray | None = None) -> int:
        """Insert the batch's documents (those with ``keep`` True) as a new batch; its number."""
        db = self._db
        rows = np.arange(len(batch)) if keep is None else np.flatnonzero(keep)
        number = db.execute("INSERT INTO batches (added_at, added) VALUES (?, ?)", (time.time(), len(rows))).lastrowid
        start = int(db.execute("SELECT coalesce(max(doc), 0) + 1 FROM docs").fetchone()[0])
        docnos = np.arange(start, start + len(rows), dtype=np.int64)
        sig_bytes = np.ascontiguousarray(batch.signatures, dtype="<u8")
        records = (
            (int(d), batch.ids[r], number, int(batch.sizes[r]), int(batch.lengths[r]), batch.sites[r], batch.metas[r], sig_bytes[r].tobytes())
            for d, r in zip(docnos.tolist(), rows.tolist())
        )
        db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", records)
        nonempty = batch.sizes[rows] > 0
        if nonempty.any():
            keys = _signed(batch.keys[rows[nonempty]]).ravel()
            owners = np.repeat(docnos[nonempty], self.bands)
            segs = owners // self._segment_docs
            order = np.lexsort((keys, segs))  # primary-key order: B-tree pages are touched in sequence
            rows_ = zip(segs[order].tolist(), keys[order].tolist(), owners[order].tolist())
            db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?, ?)", rows_)
        return int(number)

    # -- public API ------------------------------------------------------------------------

    def add(
        self,
        docs: Iterable[str],
        ids: Iterable[Any],
        *,
        sites: Iterable[str | None] | None = None,
        metas: Iterable[dict[str, Any] | None] | None = None,
        existing: str = "error",
        num_threads: int | None = None,
    ) -> int:
        """Index the texts ``docs`` under ``ids`` in one transaction; the number added.

        ``sites`` (site keys) and ``metas`` (JSON-ready dicts) are stored with them. An id
        already indexed raises :class:`IndexDataError` naming the document (nothing is added),
        or with ``existing="skip"`` that document is left out.
        """
        if not isinstance(existing, str) or existing not in ("error", "skip"):
            raise ValueError(f"existing must be 'error' or 'skip', got {existing!r}")
        batch = self._prepare(docs, ids, sites, metas, num_threads)
        return self._add_batch(batch, existing)

    def add_signatures(
        self,
        ids: Iterable[Any],
        signatures: Any,
        sizes: Any,
        *,
        lengths: Any = None,
        sites: Iterable[str | None] | None = None,
        metas: Iterable[dict[str, Any] | None] | None = None,
        existing: str = "error",
        num_threads: int | None = None,
    ) -> int:
        """Index precomputed MinHash signatures (made with this index's ``num_perm``, ``seed``,
        ``scheme`` and shingles: an ``(n, num_perm)`` ``uint64`` array or a
        :class:`neardup.Signatures`) with their distinct-shingle counts ``sizes`` (one int >= 0
        each; ``lengths`` likewise, default ``sizes``); as :meth:`add`."""
        if not isinstance(existing, str) or existing not in ("error", "skip"):
            raise ValueError(f"existing must be 'error' or 'skip', got {existing!r}")
        values = _signature_rows(signatures, self.num_perm)
        size_arr = _counts(sizes, len(values), "sizes")
        length_arr = size_arr if lengths is None else _counts(lengths, len(values), "lengths")
        batch = self._batch(len(values), ids, sites, metas, values, size_arr, length_arr, num_threads)
        return self._add_batch(batch, existing)

    def _add_batch(self, batch: _Batch, existing: str) -> int:
        with self._write():
            keep = None
            taken = self._existing(batch.ids)
            if existing == "skip":
                keep = np.array([i not in taken for i in batch.ids], dtype=bool)
            elif taken:
                first = next(i for i, id_ in enumerate(batch.ids) if id_ in taken)
                raise IndexDataError(f"document {first}: id {batch.ids[first]!r} is already in the index")
            self._insert(batch, keep)
        return len(batch) if keep is None else int(keep.sum())

    def _verify(self, q_sigs: np.ndarray, q_sizes: np.ndarray, h_sigs: np.ndarray, h_sizes: np.ndarray, pairs: np.ndarray, num_threads: int | None):
        """(jaccard, containment, score, accepted, short) of (query row, history row) pairs,
        estimated from the signatures as ``find_duplicates(verify="estimate")`` does."""
        stacked = np.ascontiguousarray(np.vstack([q_sigs, h_sigs]))
        local = np.column_stack([pairs[:, 0], pairs[:, 1] + len(q_sigs)]).astype(np.int64)
        jac = np.asarray(_impl.estimate_pairs(stacked, np.ascontiguousarray(local), num_threads), dtype=np.float64)
        a, b = q_sizes[pairs[:, 0]], h_sizes[pairs[:, 1]]
        small, large = np.minimum(a, b), np.maximum(a, b)
        inter = np.minimum(jac * (a + b) / (1.0 + jac), small)
        con = np.zeros(len(pairs), dtype=np.float64)
        np.divide(inter, small.astype(np.float64), out=con, where=small > 0)
        score, accepted, short = pair_scores(self.measure, self.threshold, self.min_size_ratio, jac, con, small, large)
        return jac, con, score, accepted, short

    def query(self, docs: Iterable[str], *, duplicates_only: bool = False, num_threads: int | None = None) -> list[list[Match]]:
        """Per text, the indexed documents sharing an LSH band with it (its candidates), with
        similarities estimated from the signatures, best score first; ``duplicates_only``
        keeps those at or above the index's threshold. Memory is bounded by
        :data:`QUERY_CHUNK` documents and their candidates, not by the index size."""
        duplicates_only = check_flag(duplicates_only, "duplicates_only")
        texts = as_list(docs, "str documents")
        results: list[list[Match]] = []
        for start in range(0, len(texts), QUERY_CHUNK):
            chunk = texts[start : start + QUERY_CHUNK]
            batch = self._prepare(chunk, [str(i) for i in range(len(chunk))], None, None, num_threads)
            results.extend(self._query_batch(batch, duplicates_only, num_threads))
        return results

    def query_signatures(self, signatures: Any, sizes: Any, *, duplicates_only: bool = False, num_threads: int | None = None) -> list[list[Match]]:
        """:meth:`query` for precomputed signatures and distinct-shingle counts."""
        duplicates_only = check_flag(duplicates_only, "duplicates_only")
        values = _signature_rows(signatures, self.num_perm)
        size_arr = _counts(sizes, len(values), "sizes")
        results: list[list[Match]] = []
        for start in range(0, len(values), QUERY_CHUNK):
            part = values[start : start + QUERY_CHUNK]
            ids = [str(i) for i in range(len(part))]
            batch = self._batch(len(part), ids, None, None, part, size_arr[start : start + QUERY_CHUNK], size_arr[start : start + QUERY_CHUNK], num_threads)
            results.extend(self._query_batch(batch, duplicates_only, num_threads))
        return results

    def _query_batch(self, batch: _Batch, duplicates_only: bool, num_threads: int | None) -> list[list[Match]]:
        out: list[list[Match]] = [[] for _ in range(len(batch))]
        rows = np.flatnonzero(batch.sizes > 0)
        if not len(rows):
            return out
        with self._read():
            pairs = self._lookup(batch.keys[rows], rows)
            if not len(pairs):
                return out
            numbers, ids, sizes, sigs = self._fetch(pairs[:, 1])
        hist = np.searchsorted(numbers, pairs[:, 1])
        local = np.column_stack([pairs[:, 0], hist])
        jac, con, score, accepted, short = self._verify(batch.signatures, batch.sizes, sigs, sizes, local, num_threads)
        methods = (f"{self.measure}-minhash", "jaccard-minhash")
        for (q, h), j, c, s, ok, by_jaccard in zip(local.tolist(), jac.tolist(), con.tolist(), score.tolist(), accepted.tolist(), short.tolist()):
            if ok or not duplicates_only:
                out[q].append(Match(ids[h], s, j, c, bool(ok), methods[by_jaccard]))
        for matches in out:
            matches.sort(key=lambda m: (-m.score, m.id))
        return out

    def add_and_dedup(
        self,
        docs: Iterable[str],
        ids: Iterable[Any],
        *,
        sites: Iterable[str | None] | None = None,
        metas: Iterable[dict[str, Any] | None] | None = None,
        keep: str | Callable[[list[int]], int] | None = None,
        verify: str | None = None,
        add: str = "all",
        sequential: bool = False,
        num_threads: int | None = None,
    ) -> list[IndexDecision]:
        """Decide each document of the batch against everything indexed and the rest of the
        batch, then index the batch; all in one transaction. One :class:`IndexDecision` per
        document, in the format of :func:`neardup.find_duplicates`' decisions.

        A document matching an indexed one is dropped in its favour (the index came first;
        among several, the earliest indexed). Within the batch, ``keep`` chooses as in
        ``find_duplicates`` (default ``"longest"``), and ``verify`` scores batch pairs from the
        shingle sets (``"exact"``, default) or signatures (``"estimate"``); pairs with indexed
        documents are always scored from the signatures (the index stores no shingles). On an
        empty index the decisions equal ``find_duplicates``' with the index's parameters
        (reasons name documents by id). ``add="all"`` indexes every document (so later copies
        of a dropped one are caught too), ``"kept"`` only kept ones.

        ``sequential=True`` decides as adding the documents one at a time, in order, would:
        each is decided against the index and the documents before it in the batch (those
        indexed before it: all of them, or with ``add="kept"`` the kept ones), every pair
        scored from the signatures; so how a stream of documents is cut into batches changes
        no decision. A document is dropped for the first of them it matches (the earliest
        indexed, then the earliest in the batch), with ``seen_before`` True, ``kept`` None
        and the reason ``duplicate of indexed document 'x' (...)``; a kept one has no cluster
        (``unique``, or ``empty`` without shingles). ``keep`` and ``verify`` do not apply.
        """
        sequential = check_flag(sequential, "sequential")
        if sequential and (keep is not None or verify is not None):
            raise ValueError("keep and verify do not apply with sequential=True (each document is decided against the ones before it, from the signatures)")
        keep = "longest" if keep is None else keep
        verify = "exact" if verify is None else verify
        if not isinstance(verify, str) or verify not in ("exact", "estimate"):
            raise ValueError(f"verify must be 'exact' or 'estimate', got {verify!r}")
        if not isinstance(add, str) or add not in ("all", "kept"):
            raise ValueError(f"add must be 'all' or 'kept', got {add!r}")
        check_keep(keep)
        batch = self._prepare(docs, ids, sites, metas, num_threads)
        with self._write():
            taken = self._existing(batch.ids)
            if taken:
                first = next(i for i, id_ in enumerate(batch.ids) if id_ in taken)
                raise IndexDataError(f"document {first}: id {batch.ids[first]!r} is already in the index")
            if sequential:
                decisions = self._decide_in_order(batch, add, num_threads)
            else:
                decisions = self._decide(batch, keep, verify, num_threads)
            kept_mask = None if add == "all" else np.array([d.action == "kept" for d in decisions], dtype=bool)
            self._insert(batch, kept_mask)
        return decisions

    def _decide(self, batch: _Batch, keep: Any, verify: str, num_threads: int | None) -> list[IndexDecision]:
        count = len(batch)
        sizes, lengths = batch.sizes, batch.lengths
        nonempty = np.flatnonzero(sizes > 0)
        assert batch.hashes is not None and batch.offsets is not None
        hashes, offsets = batch.hashes, batch.offsets

        # Pairs inside the batch: find_duplicates' candidates and verification.
        if len(nonempty):
            local = np.asarray(
                _impl.candidate_pairs(np.ascontiguousarray(batch.signatures[nonempty]), self.bands, self.rows, num_threads),
                dtype=np.int64,
            ).reshape(-1, 2)
            candidates = nonempty[local]
        else:
            candidates = np.zeros((0, 2), dtype=np.int64)

        def batch_similarity(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            a, b = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
            if verify == "exact":
                inter = np.asarray(_impl.set_overlaps(hashes, offsets, np.ascontiguousarray(pairs), num_threads)[0], dtype=np.float64)
                jac = np.zeros(len(pairs))
                np.divide(inter, a + b - inter, out=jac, where=(a + b - inter) > 0)
            else:
                jac = np.asarray(_impl.estimate_pairs(batch.signatures, np.ascontiguousarray(pairs), num_threads), dtype=np.float64)
                inter = np.minimum(jac * (a + b) / (1.0 + jac), np.minimum(a, b))
            con = np.zeros(len(pairs))
            small = np.minimum(a, b)
            np.divide(inter, small.astype(np.float64), out=con, where=small > 0)
            return jac, con, inter

        jac, con, inter = batch_similarity(candidates)
        small = np.minimum(sizes[candidates[:, 0]], sizes[candidates[:, 1]])
        large = np.maximum(sizes[candidates[:, 0]], sizes[candidates[:, 1]])
        score, accepted, short = pair_scores(self.measure, self.threshold, self.min_size_ratio, jac, con, small, large)
        verified = candidates[accepted]

        hist_pairs, hist_score, hist_short, h_ids = self._history_pairs(batch, num_threads)
        n_hist = len(h_ids)
        total = count + n_hist
        links = np.vstack([verified, np.column_stack([hist_pairs[:, 0], hist_pairs[:, 1] + count])])
        link_score = np.concatenate([score[accepted], hist_score])
        # Method codes: 0/1 a batch pair (the measure, Jaccard for a short text), 2/3 a pair
        # with an indexed document (scored from the signatures).
        link_method = np.concatenate([np.where(short[accepted], 1, 0), np.where(hist_short, 3, 2)])
        batch_method = f"{self.measure}-{'exact' if verify == 'exact' else 'minhash'}"
        jaccard_method = f"jaccard-{'exact' if verify == 'exact' else 'minhash'}"
        methods = (batch_method, jaccard_method, f"{self.measure}-minhash", "jaccard-minhash")

        # Keep order: indexed documents first (the earliest indexed first), then the policy.
        is_hist = np.concatenate([np.zeros(count), np.ones(n_hist)])
        hist_rank = np.concatenate([np.zeros(count), np.arange(n_hist, 0, -1, dtype=np.float64)])
        doc_length = np.concatenate([lengths.astype(np.float64), np.zeros(n_hist)])
        all_sizes = np.concatenate([np.asarray(sizes, dtype=np.int64), np.zeros(n_hist, dtype=np.int64)])
        priority = keep_priority(
            keep, doc_length, pairs=verified, intersections=inter[accepted], sizes=all_sizes, first=np.column_stack([is_hist, hist_rank])
        )
        choose = keep if callable(keep) else None
        # A document is dropped for a batch partner that holds it; for an indexed one (kept
        # before) when they match, as `neardup clean --index` decides.
        directions = np.vstack(
            [
                drop_directions(self.measure, self.threshold, score[accepted], short[accepted], sizes[verified[:, 0]], sizes[verified[:, 1]]),
                np.ones((len(hist_pairs), 2), dtype=bool),
            ]
        )
        outcome = decide(total, links, link_score, priority, methods=link_method, directions=directions, choose=choose)

        def name(node: int) -> str:
            return batch.ids[node] if node < count else h_ids[node - count]

        def shown(node: int) -> str:
            return f"indexed document {name(node)!r}" if node >= count else f"document {name(node)!r}"

        policy = policy_name(keep)
        decisions = []
        for i in range(count):
            k = int(outcome.kept[i])
            reason = describe(outcome, i, name=shown, methods=methods, policy=policy, empty=sizes[i] == 0)
            c = int(outcome.cluster[i])
            if k != i:
                seen = k >= count
                method = methods[int(outcome.method[i])]
                decisions.append(
                    IndexDecision(i, "dropped", None if seen else k, c, float(outcome.score[i]), method, reason, batch.ids[i], name(k), seen)
                )
            else:
                decisions.append(IndexDecision(i, "kept", i, c if c >= 0 else None, None, None, reason, batch.ids[i], batch.ids[i], False))
        return decisions

    def _history_pairs(self, batch: _Batch, num_threads: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Verified pairs of batch documents with indexed ones: ``(row, h)`` pairs, their
        scores and short flags (scored from the signatures), and the ids of the indexed
        documents found, ``h`` numbering them in the order they were indexed."""
        hist_pairs = np.zeros((0, 2), dtype=np.int64)
        hist_score, hist_short = np.zeros(0), np.zeros(0, dtype=bool)
        h_ids: list[str] = []
        nonempty = np.flatnonzero(batch.sizes > 0)
        if len(nonempty):
            # Band keys looked up in SQL, the candidates' signatures fetched.
            found = self._lookup(batch.keys[nonempty], nonempty)
            if len(found):
                h_numbers, h_ids, h_sizes, h_sigs = self._fetch(found[:, 1])
                local = np.column_stack([found[:, 0], np.searchsorted(h_numbers, found[:, 1])])
                _, _, h_score, ok, h_short = self._verify(batch.signatures, batch.sizes, h_sigs, h_sizes, local, num_threads)
                hist_pairs, hist_score, hist_short = local[ok], h_score[ok], h_short[ok]
        return hist_pairs, hist_score, hist_short, h_ids

    def _decide_in_order(self, batch: _Batch, add: str, num_threads: int | None) -> list[IndexDecision]:
        """``add_and_dedup(sequential=True)``: each document against the index and the batch
        documents before it that adding them one at a time would have indexed before it."""
        count = len(batch)
        hist_pairs, hist_score, hist_short, h_ids = self._history_pairs(batch, num_threads)
        # Batch pairs are found and scored as the index would find and score them once the
        # earlier document is indexed: shared band keys, similarities from the signatures.
        nonempty = np.flatnonzero(batch.sizes > 0)
        pairs = np.zeros((0, 2), dtype=np.int64)
        if len(nonempty) > 1:
            local = np.asarray(_impl.candidate_pairs_of_keys(np.ascontiguousarray(batch.keys[nonempty]), num_threads), dtype=np.int64)
            pairs = np.sort(nonempty[local.reshape(-1, 2)], axis=1)  # (earlier, later)
        _, _, score, ok, short = self._verify(batch.signatures, batch.sizes, batch.signatures, batch.sizes, pairs, num_threads)
        pairs, score, short = pairs[ok], score[ok], short[ok]

        total = count + len(h_ids)
        kept = np.arange(total, dtype=np.int64)
        best_score = np.full(total, np.nan)
        method = np.full(total, -1, dtype=np.int64)
        # Method codes as in _decide: 2/3 a pair scored from the signatures (Jaccard for a short text).
        # An indexed match wins (indexed before any batch document): the earliest indexed one.
        order = np.lexsort((hist_pairs[:, 1], hist_pairs[:, 0]))
        rows, first = np.unique(hist_pairs[order, 0], return_index=True)
        chosen = order[first]
        kept[rows] = hist_pairs[chosen, 1] + count
        best_score[rows] = hist_score[chosen]
        method[rows] = np.where(hist_short[chosen], 3, 2)
        # Then the earliest batch document before it that is indexed by then: any with
        # add="all", a kept one with add="kept" (decided first, as it comes first).
        order = np.lexsort((pairs[:, 0], pairs[:, 1]))
        later = pairs[order, 1]
        bounds = np.flatnonzero(np.diff(later)) + 1
        for group in np.split(order, bounds) if len(order) else []:
            j = int(pairs[group[0], 1])
            if kept[j] != j:
                continue
            for p in group.tolist():
                i = int(pairs[p, 0])
                if add == "all" or kept[i] == i:
                    kept[j], best_score[j], method[j] = i, score[p], 3 if short[p] else 2
                    break
        outcome = Decisions(
            kept=kept,
            score=best_score,
            method=method,
            wraps=np.zeros(total, dtype=bool),
            cluster=np.full(total, -1, dtype=np.int64),
            sizes=np.zeros(0, dtype=np.int64),
            matched=np.zeros(total, dtype=bool),
        )
        methods = ("", "", f"{self.measure}-minhash", "jaccard-minhash")

        def name(node: int) -> str:
            return batch.ids[node] if node < count else h_ids[node - count]

        def shown(node: int) -> str:
            # Every document a batch document is dropped for was indexed before it.
            return f"indexed document {name(node)!r}"

        decisions = []
        for i in range(count):
            k = int(kept[i])
            reason = describe(outcome, i, name=shown, methods=methods, policy="", empty=batch.sizes[i] == 0)
            if k != i:
                decisions.append(IndexDecision(i, "dropped", None, None, float(best_score[i]), methods[int(method[i])], reason, batch.ids[i], name(k), True))
            else:
                decisions.append(IndexDecision(i, "kept", i, None, None, None, reason, batch.ids[i], batch.ids[i], False))
        return decisions

    def remove(self, ids: Iterable[Any]) -> int:
        """Remove documents by id, in one transaction (an unknown id raises
        :class:`IndexDataError` naming it, and nothing is removed); the number removed."""
        id_list = self._ids(len(ids := as_list(ids, "str ids")), ids)
        with self._write() as db:
            rows: list[tuple[int, str, int, int, bytes]] = []
            for chunk in _chunks(id_list):
                rows.extend(db.execute(f"SELECT doc, id, batch, size, signature FROM docs WHERE id IN ({_marks(len(chunk))})", chunk))
            if len(rows) != len(id_list):
                found = {r[1] for r in rows}
                missing = next(i for i, id_ in enumerate(id_list) if id_ not in found)
                raise IndexDataError(f"document {missing}: id {id_list[missing]!r} is not in the index")
            docs = [r for r in rows if r[3] > 0]
            if docs:
                sigs = self._signatures([r[4] for r in docs], [r[1] for r in docs])
                keys = np.asarray(_impl.band_keys(sigs, self.bands, self.rows, None), dtype=np.uint64).reshape(len(docs), self.bands)
                owners = np.repeat([r[0] for r in docs], self.bands)
                db.executemany(
                    "DELETE FROM bands WHERE seg = ? AND key = ? AND doc = ?",
                    zip((owners // self._segment_docs).tolist(), _signed(keys).ravel().tolist(), owners.tolist()),
                )
            db.executemany("DELETE FROM docs WHERE doc = ?", [(r[0],) for r in rows])
            per_batch: dict[int, int] = {}
            for r in rows:
                per_batch[r[2]] = per_batch.get(r[2], 0) + 1
            db.executemany("UPDATE batches SET removed = removed + ? WHERE batch = ?", [(c, b) for b, c in per_batch.items()])
        return len(rows)

    def get(self, id: str) -> dict[str, Any]:
        """What the index holds about one document: id, site, metadata, size, length, batch."""
        if isinstance(id, str):
            check_labelled(id, "id")
        row = self._db.execute("SELECT id, site, meta, size, length, batch FROM docs WHERE id = ?", (id,)).fetchone()
        if row is None:
            raise KeyError(f"id {id!r} is not in the index")
        meta = None if row[2] is None else self._stored_json(row[2], f"the metadata of document {id!r}")
        return {"id": row[0], "site": row[1], "meta": meta, "size": row[3], "length": row[4], "batch": row[5]}

    # -- chrome models ---------------------------------------------------------------------

    def update_chrome(self, texts: Iterable[str], sites: Iterable[str], *, num_threads: int | None = None, **params: int) -> None:
        """Count more pages into the stored chrome models of their sites (one transaction).
        ``params`` (``ChromeModel``'s) are fixed by the first call and checked afterwards."""
        texts, sites = list(as_list(texts, "str documents")), list(as_list(sites, "str sites"))
        # The sites are looked up in SQLite before the model sees them: checked here, with
        # ChromeModel.update's messages.
        for i, site in enumerate(sites):
            if not isinstance(site, str):
                raise TypeError(f"document {i}: site must be str, got {type(site).__name__}")
            check_labelled(site, f"document {i}: site")
        with self._write() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'chrome_params'").fetchone()
            stored_params = self._chrome_params(row)
            model = ChromeModel(**(stored_params if row and not params else params))
            if row is None:
                db.execute("INSERT INTO meta VALUES ('chrome_params', ?)", (json.dumps(model.params, sort_keys=True),))
            elif stored_params != model.params:
                raise IndexDataError(f"{self.path}: chrome models were built with {stored_params}, not {model.params}")
            stored = self._chrome_entries(sorted(set(sites)))
            if stored:
                model = self._chrome_from_entries(model, stored)
            model.update(texts, sites, num_threads=num_threads)
            entries = [e for e in model.to_dict()["sites"] if e["site"] in set(sites)]
            db.executemany(
                "INSERT OR REPLACE INTO chrome VALUES (?, ?, ?)",
                [(e["site"], e["pages"], json.dumps(e, separators=(",", ":"))) for e in entries],
            )

    def _chrome_entries(self, sites: Sequence[str] | None) -> list[dict[str, Any]]:
        if sites is None:
            return [self._stored_json(r[0], "a stored chrome model") for r in self._db.execute("SELECT model FROM chrome ORDER BY site")]
        out: list[dict[str, Any]] = []
        for chunk in _chunks(list(sites)):
            sql = f"SELECT model FROM chrome WHERE site IN ({_marks(len(chunk))}) ORDER BY site"
            out.extend(self._stored_json(r[0], "a stored chrome model") for r in self._db.execute(sql, chunk))
        return out

    def chrome_model(self, sites: Iterable[str] | None = None) -> ChromeModel:
        """The stored chrome models of ``sites`` (all sites by default) as one ChromeModel.

        Cross-site counts are derived from the sites loaded only: a line on ``cross_sites``
        sites of the index is ``cross_site`` boilerplate for a subset model only if enough of
        them are in the subset. Load every site when ``cross_site`` decisions matter."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'chrome_params'").fetchone()
        model = ChromeModel(**self._chrome_params(row)) if row else ChromeModel()
        if sites is not None:
            sites = as_list(sites, "str sites")
            for i, site in enumerate(sites):
                if isinstance(site, str):  # a site of another type is simply not stored
                    check_labelled(site, f"site {i}")
        entries = self._chrome_entries(None if sites is None else sorted(set(sites)))
        if not entries:
            return model
        return self._chrome_from_entries(model, entries)

    def _chrome_from_entries(self, model: ChromeModel, entries: list[dict[str, Any]]) -> ChromeModel:
        try:
            return ChromeModel.from_dict({**model.to_dict(), "sites": entries})
        except (TypeError, ValueError) as error:  # a stored entry of the wrong type or out of range
            raise IndexDataError(f"{self.path}: {error}") from None

    def _chrome_params(self, row: Any) -> dict[str, Any]:
        if row is None:
            return {}
        params = self._stored_json(row[0], "the stored chrome parameters")
        try:
            # Parameters of an older chrome model format are completed to decide as then.
            return complete_params(params)
        except ValueError as error:
            raise IndexDataError(f"{self.path}: {error}") from None

    # -- stats and checks ------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts, parameters and size on disk."""
        with self._read() as db:
            docs, empty = db.execute("SELECT count(*), coalesce(sum(size = 0), 0) FROM docs").fetchone()
            batches = db.execute("SELECT count(*) FROM batches").fetchone()[0]
            sites = db.execute("SELECT count(*) FROM chrome").fetchone()[0]
            version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        files = [self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")]
        size = sum(p.stat().st_size for p in files if p.exists())
        return {
            "path": str(self.path),
            "schema_version": int(version),
            "documents": int(docs),
            "empty_documents": int(empty),
            "batches": int(batches),
            "chrome_sites": int(sites),
            "bytes_on_disk": size,
            "bytes_per_document": round(size / docs, 1) if docs else None,
            "params": self.params,
        }

    def check(self) -> list[str]:
        """Consistency problems (an empty list when the index is consistent): SQLite's
        integrity check, each batch's documents complete, one band row per band of each
        non-empty document (fewer only where two of its bands share a key) and none of an empty
        one. Reads every band row once (one grouped query), so it takes a while on a large index."""
        problems: list[str] = []
        with self._read() as db:
            integrity = [r[0] for r in db.execute("PRAGMA integrity_check")]
            if integrity != ["ok"]:
                problems.extend(f"sqlite: {m}" for m in integrity)
            sql = (
                "SELECT b.batch, b.added - b.removed, count(d.doc) FROM batches b "
                "LEFT JOIN docs d ON d.batch = b.batch GROUP BY b.batch HAVING b.added - b.removed != count(d.doc)"
            )
            for number, expected, found in db.execute(sql):
                problems.append(f"batch {number}: {found} documents, expected {expected}")
            orphans = db.execute("SELECT count(*) FROM docs WHERE batch NOT IN (SELECT batch FROM batches)").fetchone()[0]
            if orphans:
                problems.append(f"{orphans} documents belong to no recorded batch")
            problems.extend(self._check_band_rows(db))
        return problems

    def _check_band_rows(self, db: sqlite3.Connection, shown: int = 5) -> list[str]:
        """Documents whose number of band rows is not their number of distinct band keys, and
        band rows that name no document."""
        # One pass over the band table, grouped by document (a band row per document and band:
        # probing the documents once per row instead took 3 times as long); only the
        # documents whose count is off come back to Python, a chunk at a time, after one row
        # (doc NULL, sorted first) counting the rows of documents that do not exist.
        sql = (
            "WITH c AS MATERIALIZED (SELECT doc, count(*) AS n FROM bands GROUP BY doc) "
            "SELECT NULL, NULL, (SELECT coalesce(sum(n), 0) FROM c WHERE doc NOT IN (SELECT doc FROM docs)), NULL, NULL "
            "UNION ALL SELECT d.id, d.size, coalesce(c.n, 0), d.signature, d.doc FROM docs AS d LEFT JOIN c ON c.doc = d.doc "
            "WHERE coalesce(c.n, 0) != CASE WHEN d.size > 0 THEN ? ELSE 0 END ORDER BY 5"
        )
        wrong, examples = 0, list[str]()
        cursor = db.execute(sql, (self.bands,))
        dangling = cursor.fetchone()[2]
        while found := [row[:4] for row in cursor.fetchmany(_SQL_CHUNK)]:
            # Two bands of a document can have equal keys (the band number is mixed into the
            # key, so only by a 64-bit collision or crafted signatures); INSERT OR IGNORE then
            # stores one row for both. Such a document is right with fewer rows: recount its keys.
            short = [r for r in found if r[1] > 0 and 0 < r[2] < self.bands]
            distinct: dict[str, int] = {}
            if short:
                sigs = self._signatures([r[3] for r in short], [r[0] for r in short])
                keys = np.asarray(_impl.band_keys(sigs, self.bands, self.rows, None), dtype=np.uint64)
                keys = np.sort(keys.reshape(len(short), self.bands), axis=1)
                counts = (np.diff(keys, axis=1) != 0).sum(axis=1) + 1
                distinct = {r[0]: int(c) for r, c in zip(short, counts.tolist())}
            for id_, _, rows, _ in found:
                if distinct.get(id_) != rows:
                    wrong += 1
                    if len(examples) < shown:
                        examples.append(f"{id_!r} has {rows}")
        problems = []
        if wrong:
            more = ", ..." if wrong > shown else ""
            problems.append(
                f"{wrong} documents lack band rows or have extra ones (one per band, {self.bands}, for a "
                f"non-empty document; none for an empty one): {', '.join(examples)}{more}"
            )
        if dangling:
            problems.append(f"{dangling} band rows name no document")
        return problems


class IndexMigrated(UserWarning):
    """An index was migrated to the current schema version on open."""
