"""``neardup clean`` on Apache Spark: the same decisions as the local job, on a cluster.

Install with ``pip install neardup[spark]`` (pyspark >= 4 on Java 17+). Each stage runs on
Spark's own machinery and calls neardup's core per Arrow batch on the executors:

1. chrome statistics (:func:`chrome_counts`): every partition counts its pages' masked line
   keys and line shapes per site with a :class:`neardup.ChromeModel`; the partial counts are
   summed by a group-by (a count of distinct pages is additive over disjoint partitions).
   :func:`chrome_model` keeps only the entries that can change a decision or a page's own
   text (line counts of at least 2, shape counts of at least ``min_pages``, and every entry of
   a line found on ``cross_sites`` sites or more, or on two sites and on two pages of one of
   them) and builds
   the model, which is broadcast: stripping with it decides every line exactly as the model
   learned on one machine does (see :func:`chrome_model` for why).
2. cleaning and signatures (:func:`signatures`): per batch, repeats and chrome are stripped
   as in the local job, the cleaned texts are shingled, and the distinct shingle hashes, the
   MinHash signature and its LSH band keys are kept as ``list<int64>`` columns (Spark has no
   unsigned integers: the 64 bits are reinterpreted as signed).
3. candidate pairs (:func:`candidate_pairs`, :func:`anchor_pairs`): band keys exploded and
   self-joined by Spark SQL, and the pairs sharing half the anchors (a fixed sample of the
   shingles) of the document with fewer, counted by a self-join on the anchors.
4. verification (:func:`verify`): the shared shingles of each pair,
   ``size(array_intersect(a, b))``, in Spark SQL; the pair's score and whether it is a
   duplicate from :func:`neardup.decide.pair_scores`, near misses scored again by alignment,
   as in the local job.
5. candidate groups (:func:`connected_components`): up to a million verified pairs, collected
   and joined by union-find on the driver; more, large-star / small-star rounds on the edge
   DataFrame until every component is a star around its smallest member.
6. decisions (:func:`decide`): a grouped map over each connected group's members finds the
   pages that wrap a partner and runs :func:`neardup.decide.decide`, the local job's decision
   (verified clusters in keep order: most complete, then longest cleaned text; a page
   wrapping another gives way), and writes the decisions with the same reasons, scores and removed spans.

Documents are ordered by a position column (``order_col``, by default the input order from
``monotonically_increasing_id``): ties in the keep policy go to the earliest document, as in
the local job, whose order is its input order.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _backend
from ._version import __version__
from .chrome import ChromeModel
from .decide import decide as decide_clusters
from .decide import MIN_EVIDENCE_SHINGLES, describe, drop_directions, keep_priority, pair_scores
from .cluster import cluster, distinct
from .lsh import candidate_threshold, lsh_params
from .minhash import minhash
from .io.read import Record, site_of
from .pipeline.decide import KEEP_POLICY, aligned_containment, own_texts_mismatch, refine_floors, refine_on_own_texts, template_instances, two_way_across_sites, wrap_candidates, wrapper_own_lines, wrapping, wraps_of_chrome
from .pipeline.state import ANCHOR_BITS, ANCHOR_MAX_DOCS, CONTAINED_MIN_SIZE_RATIO, CleanOptions
from .pipeline.strip import own_texts, strip_records
from .pipeline.write import dropped_spans, kept_reason
from .spans import CutText
from .text import Shingles, shingles_batch

if TYPE_CHECKING:
    import pyarrow as pa

    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "anchor_pairs",
    "candidate_pairs",
    "chrome_counts",
    "chrome_model",
    "clean",
    "connected_components",
    "decide",
    "require_spark",
    "signatures",
    "verify",
]

#: The measure, verification and LSH weights of the local job's ``find_duplicates`` call
#: (the bands are made for MIN_SIZE_RATIO; shorter texts, down to CONTAINED_MIN_SIZE_RATIO
#: of the longer, come from the anchors).
MEASURE = "containment"
MIN_SIZE_RATIO = 0.2
WEIGHTS = (0.2, 0.8)
MINHASH_SEED = 1
#: The method names of the local job's verified pairs, by the codes of the ``method`` column.
METHODS = ("containment-exact", "containment-exact+refined", "jaccard-exact")
POS = "_neardup_pos"
_FIRST = "_neardup_first_pos"  # the first position of a row's id

@functools.cache
def _removed_type() -> pa.DataType:
    """The Arrow type of the removed spans (pyarrow imported on first use: every CLI command
    imports this module, and pyarrow takes ~25 ms to import)."""
    import pyarrow as pa

    return pa.list_(pa.struct([("start", pa.int64()), ("end", pa.int64()), ("reason", pa.string())]))
_REMOVED_DDL = "array<struct<start:bigint,end:bigint,reason:string>>"


def require_spark() -> None:
    """Raise a clear error when pyspark or a Java runtime is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ImportError("neardup.spark needs pyspark >= 4: pip install 'neardup[spark]'") from None
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else shutil.which("java")
    if not java or not os.path.exists(java):
        raise RuntimeError("neardup.spark needs a Java 17+ runtime: none found on PATH or in JAVA_HOME")
    try:
        subprocess.run([java, "-version"], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        raise RuntimeError(f"neardup.spark: `{java} -version` failed ({error}); Spark needs Java 17+") from None


def _signed(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.uint64).view(np.int64)


def _unsigned(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).view(np.uint64)


def _site(site: Any, url: Any) -> str | None:
    return site_of(site, url)


# ---------------------------------------------------------------------------------------
# Input


def _site_column(df: DataFrame, name: str | None, role: str) -> Any:
    """The site or url (``role``) column ``name`` as it reaches Python: with its own type, which
    :func:`neardup.io.read.site_of` reads as the local reader does (an integer site 3 is "3", a
    double 3.0 is "3.0"); null when there is no such column. A column of another type is an
    error, as each of its values would be a record problem for the local reader (cast to text
    first, a boolean column made every page's site "true")."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if not name or name not in df.columns:
        return F.lit(None).cast("string")
    data_type = df.schema[name].dataType
    numbers = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType) if role == "site" else ()
    if not isinstance(data_type, (T.StringType, *numbers)):
        expected = "strings or numbers" if role == "site" else "strings"
        raise ValueError(f"{role} column {name!r} holds {data_type.simpleString()} values, expected {expected} (the local reader refuses such a {role} too)")
    return F.col(name)


def prepare(
    df: DataFrame, text_col: str = "text", id_col: str = "id", site_col: str | None = "site", url_col: str | None = "url", order_col: str | None = None
) -> DataFrame:
    """The input as ``(_neardup_pos, id, text, site)`` with the site resolved like the local
    reader's (the site column, stripped, else the host of the url column). Persisted, so the
    position of each row is computed once."""
    from pyspark.sql import functions as F

    missing = [c for c in (text_col, id_col) if c not in df.columns]
    if missing:
        raise ValueError(f"input has no column {missing[0]!r} (columns: {', '.join(df.columns)})")
    if order_col is not None and order_col not in df.columns:
        raise ValueError(f"order_col {order_col!r} is not a column of the input")
    pos = F.col(order_col).cast("long") if order_col else F.monotonically_increasing_id()
    site = _site_column(df, site_col, "site")
    url = _site_column(df, url_col, "url")
    raw = df.select(pos.alias(POS), F.col(id_col).cast("string").alias("id"), F.col(text_col).alias("text"), site.alias("site"), url.alias("url"))
    if dict(raw.dtypes)["text"] != "string":
        raise ValueError(f"text column {text_col!r} must be a string column, got {dict(raw.dtypes)['text']}")

    def resolve(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        for batch in batches:
            values = batch.column("site").to_pylist()
            for k, value in enumerate(values):
                if isinstance(value, float) and not math.isfinite(value):
                    position = batch.column(POS)[k].as_py()
                    raise ValueError(f"site column {site_col!r} of row {position} is {value}, expected a string or a finite number (the local reader refuses such a record too)")
            sites = [_site(s, u) for s, u in zip(values, batch.column("url").to_pylist())]
            yield pa.RecordBatch.from_arrays(
                [batch.column(POS), batch.column("id"), batch.column("text"), pa.array(sites, pa.string())], names=[POS, "id", "text", "site"]
            )

    out = raw.mapInArrow(resolve, f"{POS} long, id string, text string, site string")
    return out.persist()


# ---------------------------------------------------------------------------------------
# Chrome


def chrome_counts(docs: DataFrame) -> DataFrame:
    """Per site, on how many pages each masked line key (``kind`` 0) and line shape (1)
    occurs, and the site's page count (``kind`` 2, ``key`` 0): ``(site, kind, key, count)``.
    ``docs`` has ``text`` and ``site`` columns; pages without a site or text are not counted."""
    from pyspark.sql import functions as F

    def count(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        model = ChromeModel()
        for batch in batches:
            texts, sites = batch.column("text").to_pylist(), batch.column("site").to_pylist()
            pairs = [(t, s) for t, s in zip(texts, sites) if t is not None and s]
            if pairs:
                model.update([t for t, _ in pairs], [s for _, s in pairs])
        sites, kinds, keys, counts = [], [], [], []
        for site in model.sites:
            pages, line_keys, line_counts, shape_keys, shape_counts = model.site_state(site)
            for kind, k, c in ((0, line_keys, line_counts), (1, shape_keys, shape_counts), (2, [0], [pages])):
                k = np.asarray(k, dtype=np.uint64)
                sites += [site] * len(k)
                kinds.append(np.full(len(k), kind, np.int8))
                keys.append(_signed(k))
                counts.append(np.asarray(c, dtype=np.int64))
        if sites:
            yield pa.RecordBatch.from_arrays(
                [pa.array(sites, pa.string()), pa.array(np.concatenate(kinds)), pa.array(np.concatenate(keys)), pa.array(np.concatenate(counts))],
                names=["site", "kind", "key", "count"],
            )

    valid = docs.where(F.col("text").isNotNull() & F.col("site").isNotNull())
    partial = valid.select("text", "site").mapInArrow(count, "site string, kind tinyint, key long, count long")
    return partial.groupBy("site", "kind", "key").agg(F.sum("count").cast("long").alias("count"))


def chrome_model(counts: DataFrame, **params: int) -> ChromeModel:
    """The :class:`ChromeModel` of the counts of :func:`chrome_counts`, with only the entries
    that can change a decision, collected to the driver.

    A line's share counts only from ``min_pages`` pages (or, on a site of fewer pages, from
    every one of them, at least two), a shape's from ``min_pages`` pages, and a page's own
    text (:func:`neardup.pipeline.strip.own_texts`) leaves out the lines on two pages of its
    site or more that no other site has (every entry of a line with such a count on two sites
    is kept), so a line's other counts of one and a shape's smaller counts are left out; but a
    line counts as cross-site boilerplate when it occurs on at
    least ``cross_sites`` sites (any count), so every entry of such a line is kept (and with
    them whether some site repeats it, which only cross-site lines consult). Lines left out
    thus occur on fewer sites than ``cross_sites`` in the model too: each line is decided
    exactly as by the full model, which holds every line of every page.
    """
    import pyarrow as pa

    from pyspark.sql import functions as F

    model = ChromeModel(**params)
    p = model.params
    lines = counts.where(F.col("kind") == 0)
    spread = lines.groupBy("key").agg(F.count("*").alias("sites"), F.max("count").alias("top"))
    # Every entry of a line on cross_sites sites or more; and, for the pages' own texts, the
    # counts of 2 or more (min_pages is 2 or more) and every entry of a line with such a count
    # on two sites or more, which tell a line only its site repeats.
    whole = F.col("sites") >= 2
    whole = (whole & (F.col("top") >= 2)) | (F.col("sites") >= p["cross_sites"]) if p["cross_sites"] > 0 else whole & (F.col("top") >= 2)
    lines = lines.join(spread.where(whole).select("key", F.lit(True).alias("whole")), "key", "left")
    keep_line = (F.col("count") >= 2) | F.col("whole").isNotNull()
    kept = lines.where(keep_line).select("site", "kind", "key", "count").unionByName(
        counts.where((F.col("kind") == 2) | ((F.col("kind") == 1) & (F.col("count") >= p["min_pages"]))).select("site", "kind", "key", "count")
    )
    _insert_counts(model, kept.toArrow() if hasattr(kept, "toArrow") else pa.Table.from_pandas(kept.toPandas()))
    return model


def _insert_counts(model: ChromeModel, table: pa.Table) -> None:
    """Insert each site of ``table`` (``site, kind, key, count`` rows: :func:`chrome_counts`'
    columns) into ``model``."""
    # Sorted by site, kind and unsigned key, then each site's rows handed over as arrays (no
    # Python object per entry). Sites are numbered in Python's str order through Arrow's
    # dictionary encoding (a numpy text array would drop a site's trailing NULs).
    encoded = table.column("site").combine_chunks().dictionary_encode()
    found = encoded.dictionary.to_pylist()
    in_order = sorted(range(len(found)), key=found.__getitem__)
    names = [found[k] for k in in_order]
    rank = np.empty(len(found), dtype=np.int64)
    rank[in_order] = np.arange(len(found))
    sites = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    kinds = table.column("kind").to_numpy().astype(np.int64)
    keys = _unsigned(table.column("key").to_numpy())
    entry_counts = table.column("count").to_numpy().astype(np.int64)
    order = np.lexsort((keys, kinds, sites))
    sites, kinds, keys, entry_counts = sites[order], kinds[order], keys[order], entry_counts[order]
    bounds = [0, *(np.flatnonzero(sites[1:] != sites[:-1]) + 1).tolist(), len(sites)] if len(sites) else [0]
    for start, end in zip(bounds, bounds[1:]):
        # Within a site the rows are ordered by kind: lines (0), shapes (1), the page count (2).
        lines_end, shapes_end = (start + int(np.searchsorted(kinds[start:end], kind)) for kind in (1, 2))
        pages = int(entry_counts[shapes_end]) if shapes_end < end else 0
        model.insert_site(names[sites[start]], pages, keys[start:lines_end], entry_counts[start:lines_end],
                          keys[lines_end:shapes_end], entry_counts[lines_end:shapes_end])


# ---------------------------------------------------------------------------------------
# Cleaning and signatures

_SIGNATURE_SCHEMA = (
    f"{POS} long, id string, text string, site string, cleaned string, removed {_REMOVED_DDL}, "
    "shingles array<bigint>, band_keys array<bigint>, own string"
)


def signatures(
    docs: DataFrame,
    model: ChromeModel | None = None,
    *,
    num_perm: int = 128,
    ngram: int = 5,
    threshold: float = 0.8,
    repeats: bool = True,
    batch_size: int = 512,
) -> DataFrame:
    """Per readable document: the cleaned text and removed spans (repeats, and chrome with
    ``model`` for pages with a site, as the local job strips them), the distinct shingle
    hashes of the cleaned text and the LSH band keys of its MinHash signature (empty for a
    document without shingles), as signed ``list<int64>`` columns."""
    spark = docs.sparkSession
    state = model.to_dict() if model is not None else None
    shared = spark.sparkContext.broadcast(state)
    token = uuid.uuid4().hex  # names this model in the workers' cache
    bands, rows = lsh_params(candidate_threshold(threshold, MEASURE, MIN_SIZE_RATIO), num_perm, WEIGHTS)
    options = CleanOptions(threshold=threshold, num_perm=num_perm, ngram=ngram, batch_size=batch_size, repeats=repeats, chrome=model is not None)

    def work(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        local = _model_of(token, shared) if state is not None else ChromeModel()
        for batch in batches:
            pos = batch.column(POS).to_pylist()
            ids, texts, sites = (batch.column(c).to_pylist() for c in ("id", "text", "site"))
            records = [Record(p, i, t, s) for p, i, t, s in zip(pos, ids, texts, sites)]
            results = strip_records(local, records, options) if records else []
            own = own_texts(local, [text for text, _ in results], [r.site for r in records], 1) if options.chrome else [None] * len(records)
            cleaned = [text for text, _ in results]
            shingled = shingles_batch(cleaned, n=ngram)
            # sorted distinct values as the local job computes them (not numpy 2's hash-based
            # np.unique, which grows faster than linearly on one huge document)
            sets = [distinct(shingled.document(k)) for k in range(len(records))]
            offsets = np.zeros(len(sets) + 1, dtype=np.int64)
            np.cumsum([len(d) for d in sets], out=offsets[1:])
            flat = np.concatenate(sets) if sets else np.zeros(0, np.uint64)
            sigs = minhash(Shingles(flat.astype(np.uint64), offsets), num_perm=num_perm, seed=MINHASH_SEED).values
            keys = np.asarray(_backend.IMPL.band_keys(sigs, bands, rows, None), dtype=np.uint64).reshape(len(records), bands)
            band_keys = [_signed(keys[k]) if len(sets[k]) else np.zeros(0, np.int64) for k in range(len(records))]
            removed = [[{"start": s, "end": e, "reason": why} for s, e, why in r] for _, r in results]
            yield pa.RecordBatch.from_arrays(
                [
                    batch.column(POS),
                    batch.column("id"),
                    batch.column("text"),
                    batch.column("site"),
                    pa.array(cleaned, pa.string()),
                    pa.array(removed, _removed_type()),
                    _list_array(sets),
                    _list_array(band_keys),
                    pa.array(own, pa.string()),
                ],
                names=[POS, "id", "text", "site", "cleaned", "removed", "shingles", "band_keys", "own"],
            )

    return docs.mapInArrow(work, _SIGNATURE_SCHEMA)


def _list_array(arrays: list[np.ndarray]) -> pa.Array:
    import pyarrow as pa

    offsets = np.zeros(len(arrays) + 1, dtype=np.int32)
    np.cumsum([len(a) for a in arrays], out=offsets[1:])
    values = np.concatenate([_signed(a) for a in arrays]) if arrays else np.zeros(0, np.int64)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(values, pa.int64()))


# One model per Python worker and broadcast: rebuilding it for every task would cost more
# than the stripping of a small partition.
_MODELS: dict[str, ChromeModel] = {}


def _model_of(token: str, shared: Any) -> ChromeModel:
    model = _MODELS.get(token)
    if model is None:
        _MODELS.clear()
        model = _MODELS[token] = ChromeModel.from_dict(shared.value)
    return model


# ---------------------------------------------------------------------------------------
# Candidates, verification, clusters


def candidate_pairs(signed: DataFrame) -> DataFrame:
    """Every pair ``(i, j)``, ``i < j`` of positions sharing an LSH band key (``band_keys``
    carries the band index in its hash, so equal keys in different bands do not meet)."""
    from pyspark.sql import functions as F

    bands = signed.select(F.col(POS).alias("pos"), F.posexplode("band_keys").alias("band", "key"))
    a, b = bands.alias("a"), bands.alias("b")
    pairs = a.join(b, (F.col("a.band") == F.col("b.band")) & (F.col("a.key") == F.col("b.key")) & (F.col("a.pos") < F.col("b.pos")))
    return pairs.select(F.col("a.pos").alias("i"), F.col("b.pos").alias("j")).distinct()


def anchor_pairs(signed: DataFrame, max_docs: int = ANCHOR_MAX_DOCS) -> DataFrame:
    """Every pair ``(i, j)``, ``i < j`` of positions sharing at least half the anchors of the
    one with fewer (the local job's second source of candidates: a short text inside a long
    one; see :func:`neardup.lsh.anchor_pairs`). The anchors are the shingle hashes whose top
    ``ANCHOR_BITS`` bits are 0 (as signed values, those in ``[0, 2**(64 - ANCHOR_BITS))``);
    an anchor held by more than ``max_docs`` groups of copies (documents of equal band keys,
    which the local job counts once) is passed over."""
    from pyspark.sql import functions as F

    limit = 1 << (64 - ANCHOR_BITS)
    anchored = signed.select(
        F.col(POS).alias("pos"), "band_keys", F.filter("shingles", lambda x: (x >= 0) & (x < F.lit(limit))).alias("anchors")
    ).where(F.size("anchors") > 0)
    held = anchored.select("pos", "band_keys", F.size("anchors").alias("held"), F.explode("anchors").alias("value"))
    usable = held.groupBy("value").agg(F.countDistinct("band_keys").alias("groups")).where(F.col("groups") <= max_docs)
    held = held.join(usable.select("value"), "value").select("value", "pos", "held")
    a, b = held.alias("a"), held.alias("b")
    shared = a.join(b, (F.col("a.value") == F.col("b.value")) & (F.col("a.pos") < F.col("b.pos")))
    counted = shared.groupBy(F.col("a.pos").alias("i"), F.col("b.pos").alias("j"), F.col("a.held").alias("held_i"), F.col("b.held").alias("held_j")).count()
    return counted.where(2 * F.col("count") >= F.least("held_i", "held_j")).select("i", "j")


def _score_batches(batches: Iterator[pa.RecordBatch], threshold: float, min_size_ratio: float, min_evidence: int) -> Iterator[pa.RecordBatch]:
    """Each pair's score and method code (-1: not a duplicate; 3: a near miss to refine, from
    its :func:`neardup.pipeline.decide.refine_floors` containment on)."""
    import pyarrow as pa

    for batch in batches:
        inter, a, b = (batch.column(c).to_numpy().astype(np.float64) for c in ("inter", "size_a", "size_b"))
        refine_from = refine_floors(zip(batch.column("site_a").to_pylist(), batch.column("site_b").to_pylist()))
        small, large = np.minimum(a, b), np.maximum(a, b)
        jac = np.zeros(len(inter))
        np.divide(inter, a + b - inter, out=jac, where=(a + b - inter) > 0)
        con = np.zeros(len(inter))
        np.divide(inter, small, out=con, where=small > 0)
        score, duplicate, short = pair_scores(MEASURE, threshold, min_size_ratio, jac, con, small, large, min_evidence)
        sized = small >= min_size_ratio * large
        code = np.where(duplicate, np.where(short, 2, 0), np.where(sized & ~short & (con >= refine_from), 3, -1))
        yield pa.RecordBatch.from_arrays(
            [batch.column("i"), batch.column("j"), batch.column("inter"), pa.array(score, pa.float64()), pa.array(code.astype(np.int64), pa.int64())],
            names=["i", "j", "inter", "score", "method"],
        )


def _refine_batches(batches: Iterator[pa.RecordBatch], options: CleanOptions) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    for batch in batches:
        pairs = list(zip(*(batch.column(c).to_pylist() for c in ("a", "b", "own_a", "own_b"))))
        scores = aligned_containment([(a, b) for a, b, _, _ in pairs], num_threads=1) if pairs else np.zeros(0)
        scores = refine_on_own_texts(scores, pairs, options)
        lifted = np.flatnonzero(scores >= options.threshold)
        scores[lifted[template_instances([pairs[k][:2] for k in lifted.tolist()], options.num_threads)]] = 0.0
        yield pa.RecordBatch.from_arrays([batch.column("i"), batch.column("j"), pa.array(scores, pa.float64())], names=["i", "j", "score"])


def verify(
    signed: DataFrame,
    pairs: DataFrame,
    threshold: float = 0.8,
    min_size_ratio: float = CONTAINED_MIN_SIZE_RATIO,
    min_evidence: int = MIN_EVIDENCE_SHINGLES,
    ngram: int = 5,
) -> DataFrame:
    """The verified candidate pairs: ``(i, j, inter, score, method)``, ``inter`` the shared
    shingles and ``method`` a code into :data:`METHODS`. The shared shingles are counted in Spark SQL; the score and the
    verdict are the local job's (:func:`neardup.decide.pair_scores`: containment, Jaccard for
    a short text, within ``min_size_ratio``), and near misses (containment from the pair's
    :func:`neardup.pipeline.decide.refine_floors` floor to ``threshold``) are scored again by aligning the cleaned texts, and their
    own texts (:func:`neardup.pipeline.decide.refined_scores`; ``ngram`` the shingles' words,
    for the own texts' evidence), and kept when that score reaches ``threshold``. (Pairs whose
    own texts do not match are left out by :func:`decide`, within each group.)"""
    from pyspark.sql import functions as F

    sets = signed.select(F.col(POS).alias("pos"), "shingles", "site")
    joined = pairs.join(sets.select(F.col("pos").alias("i"), F.col("shingles").alias("a"), F.col("site").alias("site_a")), "i").join(
        sets.select(F.col("pos").alias("j"), F.col("shingles").alias("b"), F.col("site").alias("site_b")), "j"
    )
    sized = joined.select(
        "i",
        "j",
        F.size(F.array_intersect("a", "b")).cast("long").alias("inter"),
        F.size("a").cast("long").alias("size_a"),
        F.size("b").cast("long").alias("size_b"),
        "site_a",
        "site_b",
    )
    # Read twice (the pairs verified directly, the near misses) and the near misses twice more:
    # computed once, not once per reading with every stage before it.
    scored = sized.mapInArrow(
        lambda batches: _score_batches(batches, threshold, min_size_ratio, min_evidence), "i long, j long, inter long, score double, method long"
    ).persist()
    direct = scored.where(F.col("method").isin(0, 2))
    near = scored.where(F.col("method") == 3).select("i", "j", "inter")
    texts = signed.select(F.col(POS).alias("pos"), "cleaned", "own")

    def with_texts(pairs: DataFrame) -> DataFrame:
        return pairs.select("i", "j").join(texts.select(F.col("pos").alias("i"), F.col("cleaned").alias("a"), F.col("own").alias("own_a")), "i").join(
            texts.select(F.col("pos").alias("j"), F.col("cleaned").alias("b"), F.col("own").alias("own_b")), "j"
        ).select("i", "j", "a", "b", "own_a", "own_b")

    options = CleanOptions(threshold=threshold, ngram=ngram, min_evidence=min_evidence, num_threads=1)
    refined = with_texts(near).mapInArrow(lambda batches: _refine_batches(batches, options), "i long, j long, score double")
    refined = refined.where(F.col("score") >= threshold).join(near, ["i", "j"]).select("i", "j", "inter", "score", F.lit(1).cast("long").alias("method"))
    return direct.unionByName(refined)


#: Edge sets of up to this many distinct edges are joined into components on the driver
#: (:func:`neardup.cluster`'s union-find over the collected edges, 16 bytes each): one job,
#: where every round of the distributed algorithm costs several.
DRIVER_COMPONENT_EDGES = 1_000_000


def connected_components(edges: DataFrame, max_rounds: int = 100, driver_max_edges: int = DRIVER_COMPONENT_EDGES) -> DataFrame:
    """``(node, component)`` for every node of the undirected ``edges`` ``(i, j)``, the
    component named by its smallest node. Up to ``driver_max_edges`` distinct edges they are
    collected and joined on the driver; more, by alternating large-star and small-star rounds
    (Kiveris et al., 2014) until each component is a star around its smallest node.
    Deterministic: the result depends only on the set of edges, not on the path taken."""
    from pyspark.sql import functions as F

    current = edges.where(F.col("i") != F.col("j")).select(F.greatest("i", "j").alias("u"), F.least("i", "j").alias("v")).distinct()
    if driver_max_edges > 0:
        collected = current.limit(driver_max_edges + 1).toArrow()
        if collected.num_rows <= driver_max_edges:
            return _components_on_driver(edges.sparkSession, collected)
    current = current.localCheckpoint()
    for _ in range(max_rounds):
        # Large star: every neighbour larger than u links to the smallest of u's neighbourhood.
        both = current.unionByName(current.select(F.col("v").alias("u"), F.col("u").alias("v")))
        low = both.groupBy("u").agg(F.least(F.min("v"), F.first("u")).alias("m"))
        large = both.join(low, "u").where(F.col("v") > F.col("u")).select(F.col("v").alias("u"), "m").distinct()
        large = large.select("u", F.col("m").alias("v"))
        # Small star: u and its smaller neighbours link to the smallest of them.
        low = large.groupBy("u").agg(F.min("v").alias("m"))
        small = large.join(low, "u").select(F.col("v").alias("node"), "m").unionByName(low.select(F.col("u").alias("node"), "m"))
        nxt = small.where(F.col("node") != F.col("m")).select(F.col("node").alias("u"), F.col("m").alias("v")).distinct().localCheckpoint()
        # A star forest: every node has one link and no link ends at a node that has one.
        degrees = nxt.groupBy("u").count().where(F.col("count") > 1).limit(1).count()
        chained = nxt.select(F.col("v").alias("u")).distinct().join(nxt.select("u"), "u").limit(1).count()
        current = nxt
        if degrees == 0 and chained == 0:
            break
    else:
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    return current.select(F.col("u").alias("node"), F.col("v").alias("component")).unionByName(
        current.select(F.col("v").alias("node"), F.col("v").alias("component"))
    ).distinct()


def _components_on_driver(spark: SparkSession, edges: pa.Table) -> DataFrame:
    """:func:`connected_components` of the collected ``(u, v)`` edges: union-find over the
    nodes numbered in ascending order, so that a component's representative (its lowest
    number) is its smallest node."""
    import pyarrow as pa

    u = edges.column("u").to_numpy().astype(np.int64)
    v = edges.column("v").to_numpy().astype(np.int64)
    nodes, numbered = np.unique(np.concatenate([u, v]), return_inverse=True)
    roots, _ = cluster(len(nodes), numbered.reshape(2, -1).T)
    table = pa.table({"node": pa.array(nodes, pa.int64()), "component": pa.array(nodes[roots], pa.int64())})
    return spark.createDataFrame(table)


# ---------------------------------------------------------------------------------------
# Decisions

_CLUSTER_SCHEMA = f"{POS} long, action string, duplicate_of string, score double, cluster_reason string, removed {_REMOVED_DDL}"


def _copy_group_sites(rows: list[dict[str, Any]], pairs: np.ndarray, inter: np.ndarray, sizes: np.ndarray) -> Callable[[int], frozenset[str]]:
    """The known sites of each member's group of exact copies (pairs sharing every shingle of
    both), as the local job groups them (:func:`neardup.pipeline.decide.group_sites`)."""
    equal = (inter == sizes[pairs[:, 0]]) & (inter == sizes[pairs[:, 1]])
    group, _ = cluster(len(rows), pairs[equal])
    known: dict[int, set[str]] = {}
    for k, row in enumerate(rows):
        if row["site"] is not None:
            known.setdefault(int(group[k]), set()).add(row["site"])
    return lambda k: frozenset(known.get(int(group[k]), ()))


def _decide_cluster(table: pa.Table, options: CleanOptions) -> pa.Table:
    """The local job's decisions (:func:`neardup.decide.decide`) on the members of one
    connected group of verified pairs (verified at ``options.threshold``), less the pairs
    whose own texts do not match."""
    import pyarrow as pa

    threshold = options.threshold
    rows = sorted(table.to_pylist(), key=lambda r: r["pos"])
    local = {r["pos"]: k for k, r in enumerate(rows)}
    cleaned = [r["cleaned"] for r in rows]
    entries = [(local[r["pos"]], local[e["j"]], e["inter"], e["score"], e["method"]) for r in rows for e in (r["partners"] or [])]
    pairs = np.array([(i, j) for i, j, _, _, _ in entries], dtype=np.int64).reshape(-1, 2)
    inter = np.array([x for _, _, x, _, _ in entries], dtype=np.int64)
    scores = np.array([s for _, _, _, s, _ in entries], dtype=np.float64)
    codes = np.array([m for _, _, _, _, m in entries], dtype=np.int64)
    mismatch = own_texts_mismatch([(cleaned[i], cleaned[j], rows[i]["own"], rows[j]["own"]) for i, j, _, _, _ in entries], options)
    if mismatch.any():
        keep = ~mismatch
        pairs, inter, scores, codes = pairs[keep], inter[keep], scores[keep], codes[keep]
    lengths = np.array([len(t) for t in cleaned], dtype=np.int64)
    sizes = np.array([r["size"] for r in rows], dtype=np.int64)
    group_sites = _copy_group_sites(rows, pairs, inter, sizes)
    wraps = wraps_of_chrome(wrapping(wrap_candidates(pairs, scores, lengths), dict(enumerate(cleaned))), pairs, inter, sizes, group_sites)
    priority = keep_priority("most_complete", lengths, pairs=pairs, intersections=inter, sizes=sizes)
    one_way = drop_directions("containment", threshold, scores, codes == METHODS.index("jaccard-exact"), sizes[pairs[:, 0]], sizes[pairs[:, 1]])
    directions = two_way_across_sites(one_way, pairs, group_sites)
    outcome = decide_clusters(len(rows), pairs, scores, priority, methods=codes, directions=directions, wraps=wraps)

    def name(k: int) -> str:
        return rows[k]["id"]

    out = []
    for k, row in enumerate(rows):
        reason = describe(outcome, k, name=name, methods=METHODS, policy=KEEP_POLICY)
        kept = int(outcome.kept[k])
        if kept == k:
            out.append({"pos": row["pos"], "action": "kept", "duplicate_of": None, "score": None, "cluster_reason": reason, "removed": None})
            continue
        kept_row = rows[kept]
        original = row["text"]
        cut = CutText(original, [(r["start"], r["end"], r["reason"]) for r in row["removed"]])
        spans = dropped_spans(len(original), cut.map, wrapper_own_lines(cut.text, kept_row["cleaned"]) if outcome.wraps[k] else [], kept_row["id"])
        out.append(
            {
                "pos": row["pos"],
                "action": "dropped",
                "duplicate_of": kept_row["id"],
                "score": round(float(outcome.score[k]), 6),
                "cluster_reason": reason,
                "removed": [{"start": s, "end": e, "reason": why} for s, e, why in spans],
            }
        )
    schema = pa.schema([("pos", pa.int64()), ("action", pa.string()), ("duplicate_of", pa.string()), ("score", pa.float64()), ("cluster_reason", pa.string()), ("removed", _removed_type())])
    return pa.Table.from_pylist(out, schema=schema).rename_columns([POS, "action", "duplicate_of", "score", "cluster_reason", "removed"])


def decide(
    signed: DataFrame, verified: DataFrame, components: DataFrame, threshold: float = 0.8, min_evidence: int = MIN_EVIDENCE_SHINGLES, ngram: int = 5
) -> DataFrame:
    """Per member of a connected group of pairs verified at ``threshold``: kept or dropped,
    by the local job's decision (a grouped map over each group's members, which are few),
    with the dropped page's reason, score and removed spans: ``(pos, action, duplicate_of,
    score, cluster_reason, removed)``. The group's pairs whose own texts do not match
    (:func:`neardup.pipeline.decide.own_texts_mismatch`, ``min_evidence`` shingles of
    ``ngram`` words) are left out first, as the local job leaves them out of its verified
    pairs."""
    from pyspark.sql import functions as F

    partners = verified.groupBy(F.col("i").alias("pos")).agg(
        F.sort_array(F.collect_list(F.struct("j", "inter", "score", "method"))).alias("partners"),
    )
    members = (
        components.select(F.col("node").alias("pos"), "component")
        .join(signed.select(F.col(POS).alias("pos"), "id", "text", "site", "cleaned", "own", "removed", F.size("shingles").alias("size")), "pos")
        .join(partners, "pos", "left")
    )

    options = CleanOptions(threshold=threshold, ngram=ngram, min_evidence=min_evidence, num_threads=1)

    def decide_cluster(table: pa.Table) -> pa.Table:
        return _decide_cluster(table, options)

    return members.groupBy("component").applyInArrow(decide_cluster, _CLUSTER_SCHEMA)


_DECISION_SCHEMA = f"{POS} long, id string, action string, reason string, duplicate_of string, score double, removed {_REMOVED_DDL}, source string"


def _finish(batches: Iterator[pa.RecordBatch], dedup: bool) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    for batch in batches:
        out = []
        for row in batch.to_pylist():
            decision = {"id": row["id"], POS: row[POS], "duplicate_of": None, "score": None, "source": None}
            if row["action"] == "dropped":
                decision.update(action="dropped", reason=row["cluster_reason"], duplicate_of=row["duplicate_of"], score=row["score"], removed=row["cluster_removed"])
                out.append(decision)
                continue
            removed = sorted((r["start"], r["end"], r["reason"]) for r in row["removed"])
            if row["cluster_reason"] is not None:
                why = row["cluster_reason"]
            else:
                why = "empty: no shingles to compare" if dedup and not row["shingles"] else "unique"
            decision.update(
                action="changed" if removed else "kept",
                reason=kept_reason(removed, why),
                removed=[{"start": s, "end": e, "reason": why} for s, e, why in removed],
            )
            out.append(decision)
        yield pa.RecordBatch.from_pylist(out, schema=_decision_schema())


@functools.cache
def _decision_schema() -> pa.Schema:
    """The Arrow schema of the decision rows :func:`_finish` yields."""
    import pyarrow as pa

    return pa.schema(
        [
            (POS, pa.int64()),
            ("id", pa.string()),
            ("action", pa.string()),
            ("reason", pa.string()),
            ("duplicate_of", pa.string()),
            ("score", pa.float64()),
            ("removed", _removed_type()),
            ("source", pa.string()),
        ]
    )


def clean(
    df: DataFrame,
    text_col: str = "text",
    id_col: str = "id",
    site_col: str | None = "site",
    *,
    url_col: str | None = "url",
    order_col: str | None = None,
    threshold: float = 0.8,
    num_perm: int = 128,
    ngram: int = 5,
    repeats: bool = True,
    chrome: bool = True,
    dedup: bool = True,
    batch_size: int = 512,
    min_evidence: int = MIN_EVIDENCE_SHINGLES,
) -> tuple[DataFrame, DataFrame]:
    """The ``neardup clean`` job on a DataFrame: ``(cleaned, decisions)``.

    ``cleaned`` holds the input rows that are kept, with the cleaned text in ``text_col`` and
    every other column unchanged. ``decisions`` has one row per input row with the columns of
    ``decisions.jsonl`` (``id, action, reason, duplicate_of, score, removed, source``;
    ``removed`` as ``array<struct<start, end, reason>>``), ordered by input position.
    Rows whose text is null are ``skipped``, and so is a row whose id an earlier row has (as
    the local reader does). With the same input in the same order, the decisions equal those
    of :func:`neardup.pipeline.clean` on one machine (the reasons of skipped rows are worded
    for a DataFrame: it has no file and line to name).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if order_col is None:
        # The position is computed once and carried back to the caller's rows by a join.
        df = df.withColumn(POS, F.monotonically_increasing_id())
        order_col = POS
    df = df.persist()
    docs = prepare(df, text_col, id_col, site_col, url_col, order_col)
    # An id read a second time is skipped, as the local reader does: one id, one decision.
    docs = docs.withColumn(_FIRST, F.min(POS).over(Window.partitionBy("id"))).persist()
    again = F.col("id").isNotNull() & (F.col(POS) != F.col(_FIRST))
    readable = docs.where(F.col("text").isNotNull() & ~again).drop(_FIRST)
    model = chrome_model(chrome_counts(readable)) if chrome else None
    signed = signatures(readable, model, num_perm=num_perm, ngram=ngram, threshold=threshold, repeats=repeats, batch_size=batch_size).persist()
    if dedup:
        nonempty = signed.where(F.size("shingles") > 0)
        candidates = candidate_pairs(nonempty).unionByName(anchor_pairs(nonempty)).distinct()
        verified = verify(nonempty, candidates, threshold, min_evidence=min_evidence, ngram=ngram).persist()
        outcome = decide(signed, verified, connected_components(verified), threshold, min_evidence, ngram)
    else:
        outcome = signed.sparkSession.createDataFrame([], _CLUSTER_SCHEMA)
    joined = signed.join(outcome.withColumnRenamed("removed", "cluster_removed"), POS, "left").select(
        POS, "id", "removed", "shingles", "action", "duplicate_of", "score", "cluster_reason", "cluster_removed"
    )
    # Both outputs read it: decided once, not once per output.
    decided = joined.mapInArrow(lambda batches: _finish(batches, dedup), _DECISION_SCHEMA).persist()
    skipped = docs.where(F.col("text").isNull() | again).select(
        POS,
        "id",
        F.lit("skipped").alias("action"),
        F.when(again, F.concat(F.lit("duplicate id '"), F.col("id"), F.lit("' (first seen earlier in the input)")))
        .otherwise(F.lit(f"text field {text_col!r} is null"))
        .alias("reason"),
        F.lit(None).cast("string").alias("duplicate_of"),
        F.lit(None).cast("double").alias("score"),
        F.array().cast(_REMOVED_DDL).alias("removed"),
        F.lit(None).cast("string").alias("source"),
    )
    decisions = decided.unionByName(skipped).orderBy(POS).drop(POS)
    kept = decided.where(F.col("action") != "dropped").select(F.col(POS).alias("_neardup_kept"))
    kept = kept.join(signed.select(F.col(POS).alias("_neardup_kept"), F.col("cleaned").alias("_neardup_cleaned")), "_neardup_kept")
    cleaned = df.join(kept, df[order_col] == kept["_neardup_kept"]).withColumn(text_col, F.col("_neardup_cleaned"))
    cleaned = cleaned.orderBy("_neardup_kept").drop("_neardup_kept", "_neardup_cleaned")
    if POS in cleaned.columns:
        cleaned = cleaned.drop(POS)
    return cleaned, decisions


def session(master: str | None = None, app_name: str = "neardup", **conf: str) -> SparkSession:
    """A SparkSession for neardup. Without ``master`` it is the one ``spark-submit`` set up
    (or pyspark's default, ``local[*]``). The executors' Python is this interpreter unless
    ``PYSPARK_PYTHON`` says otherwise; in local mode the UI is off and shuffles use few
    partitions (a cluster keeps its own settings)."""
    import sys

    require_spark()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    settings: dict[str, str] = {}
    if master is not None:
        builder = builder.master(master)
        if master.startswith("local"):
            settings = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false", "spark.sql.shuffle.partitions": "8", "spark.driver.memory": "1g"}
    settings.update(conf)
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def clean_files(spark: SparkSession, inputs: list[str], output: str, *, partitions: int | None = None, **options: Any) -> dict[str, Any]:
    """Read JSONL (optionally gzip-compressed) or Parquet inputs, run :func:`clean` and write
    ``documents.parquet`` and ``decisions.parquet`` (Parquet folders) and ``summary.json``
    under ``output``; returns the summary."""
    import json
    import time

    from pyspark.sql import functions as F

    started = time.perf_counter()
    if os.path.exists(output) and not output.startswith(("hdfs:", "s3", "gs:", "abfs")):
        raise ValueError(f"output {output!r} exists; give a new folder")
    parquet = [p for p in inputs if p.rstrip("/").endswith(".parquet") or os.path.isdir(p)]
    if parquet and len(parquet) != len(inputs):
        raise ValueError("give either JSONL or Parquet inputs, not both")
    df = spark.read.parquet(*inputs) if parquet else spark.read.json(inputs)
    if partitions:
        df = df.repartition(partitions)
    cleaned, decisions = clean(df, **options)
    decisions = decisions.persist()
    cleaned.write.parquet(f"{output}/documents.parquet")
    decisions.write.parquet(f"{output}/decisions.parquet")
    counts = {r["action"]: r["count"] for r in decisions.groupBy("action").count().collect()}
    summary: dict[str, Any] = {
        "neardup": __version__,
        "backend": _backend.backend(),
        "engine": f"spark {spark.version} ({spark.sparkContext.master})",
        "inputs": list(inputs),
        "documents": int(sum(counts.values())),
        **{a: int(counts.get(a, 0)) for a in ("kept", "changed", "dropped", "skipped")},
        "characters_removed": int(decisions.select(F.explode("removed").alias("r")).agg(F.sum(F.col("r.end") - F.col("r.start"))).first()[0] or 0),
        "outputs": ["documents.parquet", "decisions.parquet", "summary.json"],
        "seconds": round(time.perf_counter() - started, 3),
    }
    if "://" in output:
        spark.sparkContext.parallelize([json.dumps(summary, indent=2)], 1).saveAsTextFile(f"{output}/summary.json")
    else:
        with open(os.path.join(output, "summary.json"), "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=2)
    return summary
