"""neardup: find and remove the repetition in scraped web and news text.

This package face re-exports the public API of the stages, each of which is one module of
the same name in every layer (``python/neardup/X.py``, its pure-Python twin
``python/neardup/_reference/X.py`` and the core's ``rust/X.rs``):

* :mod:`neardup.text`: normalise, segment, tokenize, shingle, hash;
* :mod:`neardup.repeats`: passages repeated inside a page, Gopher repetition statistics;
* :mod:`neardup.chrome`: each site's chrome, learned and stripped;
* ``neardup.minhash``, :mod:`neardup.lsh`, ``neardup.cluster``: signatures, candidate pairs,
  verified clusters and :func:`find_duplicates`, whose decisions come from
  :mod:`neardup.decide`;
* :mod:`neardup.simhash`: SimHash fingerprints and the Hamming-distance search;
* ``neardup.align``: passage alignment; :mod:`neardup.fuzzy`: edit distances and ratios;
* :mod:`neardup.index`: the persistent index; :mod:`neardup.pipeline`: the ``neardup clean``
  job, and :func:`clean_table` the same job over Arrow data (a ``pyarrow.Table``, a Hugging Face
  ``datasets.Dataset``); :mod:`neardup.spark`: the same job on Apache Spark.

Three functions share their stage's name: ``neardup.minhash``, ``neardup.cluster`` and
``neardup.align`` are the functions; their modules are imported by name
(``from neardup.minhash import Signatures``).

Each primitive runs in the compiled Rust core (``neardup._core``) or, with identical results,
in the pure-Python reference (``neardup._reference``); ``NEARDUP_BACKEND=auto|rust|python``
picks one and :func:`backend` says which is active.
"""

from ._backend import InternalError, backend
from ._version import __version__ as __version__
from .align import BodySplit, Containment, Passage, align, align_batch, body_by_agreement, containment
from .chrome import ChromeModel, site_key
from .cluster import Cluster, Decision, Duplicates, Pair, SignedDocs, candidate_bands, cluster, exact_containment, exact_jaccard, find_duplicates
from .fuzzy import fuzzy_batch, indel, levenshtein, levenshtein_similarity, ratio, token_set_ratio, token_sort_ratio
from .index import Index, IndexDataError, IndexDecision, IndexWriteError, Match
from .lsh import MinHashLSH, band_keys, candidate_pairs, lsh_params, lsh_probability
from .minhash import Signatures, datasketch_minhash, estimate_jaccard, minhash
from .pipeline.job import clean_table
from .pipeline.state import CleanOptions
from .repeats import Repeat, collapse_repeats, find_repeats, find_repeats_batch, repetition_stats, repetition_stats_batch
from .simhash import (
    SimHashIndex,
    SimHashPairs,
    hamming,
    simhash_batch,
    simhash_features,
    simhash_features_batch,
    simhash_pairs,
    simhash_text,
)
from .spans import Removed, Stripped
from .text import DEFAULT_NGRAM as DEFAULT_NGRAM
from .text import (
    UNICODE_VERSION,
    Normalized,
    Segments,
    Shingles,
    Tokens,
    hash64,
    normalize,
    normalize_batch,
    segment,
    segment_batch,
    shingles,
    shingles_batch,
    tokenize,
    tokenize_batch,
)

__all__ = [
    "ChromeModel",
    "Removed",
    "Repeat",
    "Stripped",
    "collapse_repeats",
    "find_repeats",
    "find_repeats_batch",
    "repetition_stats",
    "repetition_stats_batch",
    "site_key",
    "UNICODE_VERSION",
    "InternalError",
    "Cluster",
    "Decision",
    "Duplicates",
    "MinHashLSH",
    "Normalized",
    "Pair",
    "Segments",
    "Shingles",
    "SignedDocs",
    "Signatures",
    "Tokens",
    "backend",
    "band_keys",
    "candidate_bands",
    "candidate_pairs",
    "cluster",
    "datasketch_minhash",
    "estimate_jaccard",
    "exact_containment",
    "exact_jaccard",
    "find_duplicates",
    "hash64",
    "lsh_params",
    "lsh_probability",
    "minhash",
    "normalize",
    "normalize_batch",
    "segment",
    "segment_batch",
    "shingles",
    "shingles_batch",
    "tokenize",
    "tokenize_batch",
    # passage alignment (align.py) and fuzzy measures (fuzzy.py)
    "BodySplit",
    "Containment",
    "Passage",
    "align",
    "align_batch",
    "body_by_agreement",
    "containment",
    "fuzzy_batch",
    "indel",
    "levenshtein",
    "levenshtein_similarity",
    "ratio",
    "token_set_ratio",
    "token_sort_ratio",
    # SimHash fingerprints and the Hamming-distance search (simhash.py)
    "SimHashIndex",
    "SimHashPairs",
    "hamming",
    "simhash_batch",
    "simhash_features",
    "simhash_features_batch",
    "simhash_pairs",
    "simhash_text",
    # the persistent index (index.py)
    "Index",
    "IndexDataError",
    "IndexWriteError",
    "IndexDecision",
    "Match",
    # the clean job over Arrow data: a pyarrow.Table, a datasets.Dataset (pipeline/job.py)
    "CleanOptions",
    "clean_table",
]
