"""Verified near-duplicate clusters: exact (or estimated) similarity of candidate pairs,
connected clusters, and :func:`find_duplicates`, the whole chain from documents to one
decision per document with its provenance.

:func:`find_duplicates` shingles the documents (:mod:`neardup.text`), signs them
(:mod:`neardup.minhash`), pairs them by LSH (:mod:`neardup.lsh`), verifies the candidates here
(:func:`verify_duplicates`) and hands the verified pairs to the one decision
(:func:`neardup.decide.decide`). Both backends give identical results.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _backend
from ._arrays import float_array, index_pairs
from ._reference.minhash import SCHEMES, check_num_perm
from ._reference.text import check_seed, check_shingle_args, check_threads
from .csr import arrays_to_csr, csr_rows, document_list, shingle_csr
from .decide import (
    KEEP_POLICIES,
    MIN_EVIDENCE_SHINGLES,
    Decisions,
    check_keep,
    decide,
    describe,
    drop_directions,
    keep_priority,
    least_overlaps,
    pair_scores,
    policy_name,
)
from .lsh import candidate_threshold, check_params, check_threshold, lsh_params
from .text import shingles_batch

__all__ = [
    "KEEP_POLICIES",
    "Cluster",
    "Decision",
    "Duplicates",
    "Pair",
    "ShingledTexts",
    "SignedDocs",
    "candidate_bands",
    "Verified",
    "cluster",
    "distinct",
    "exact_containment",
    "exact_jaccard",
    "find_duplicates",
    "verify_duplicates",
]

_impl = _backend.IMPL
#: Candidate pairs scored at a time by :func:`verify_duplicates`.
SCORE_CHUNK = 2**20
#: Candidates given to SignedDocs' intersections_at_least at a time, with their needs (the
#: needs' temporary arrays of a SCORE_CHUNK took 60 MB of peak RSS at a million documents).
NEED_CHUNK = 2**16


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


def _overlaps(shingles: Any, pairs: Any, num_threads: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # A Shingles of the user's is checked as arrays of hashes are, not cast.
    csr = shingle_csr(shingles)
    hashes, offsets = csr if csr is not None else arrays_to_csr(document_list(shingles))
    num_threads = check_threads(num_threads)
    pairs = index_pairs(pairs)
    inter, sizes = _impl.set_overlaps(hashes, offsets, pairs, num_threads)
    return pairs, np.asarray(inter, dtype=np.int64), np.asarray(sizes, dtype=np.int64)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros(len(numerator), dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def exact_jaccard(shingles: Any, pairs: Any, *, num_threads: int | None = None) -> np.ndarray:
    """Exact Jaccard similarity ``|A & B| / |A | B|`` of the shingle sets of each pair
    (``shingles``: a :class:`neardup.Shingles` or a sequence of hash arrays); 0 for two empty sets."""
    pairs, inter, sizes = _overlaps(shingles, pairs, num_threads)
    return _ratio(inter, sizes[pairs[:, 0]] + sizes[pairs[:, 1]] - inter)


def exact_containment(shingles: Any, pairs: Any, *, num_threads: int | None = None) -> np.ndarray:
    """Exact containment of the smaller shingle set in the larger, ``|A & B| / min(|A|, |B|)``,
    for each pair; 0 when a set is empty. A clean copy of an article inside a page wrapped in
    site chrome has a low Jaccard similarity to it but a containment near 1."""
    pairs, inter, sizes = _overlaps(shingles, pairs, num_threads)
    return _ratio(inter, np.minimum(sizes[pairs[:, 0]], sizes[pairs[:, 1]]))


def cluster(
    n: int, pairs: Any, priority: np.ndarray | Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Clusters of ``n`` documents linked by ``pairs`` (union-find; connected components).

    Returns ``(kept, via)`` arrays: ``kept[i]`` is the representative of document ``i``'s
    cluster, the member with the greatest ``priority`` (a number per document, or a row of
    numbers compared lexicographically), ties going to the lowest index; ``via[i]`` is the
    next document on a shortest path of pairs from ``i`` to ``kept[i]``. The result depends
    only on the set of pairs, never on their order or the thread count.
    """
    # Bounded: the clusters of n documents take memory in n whatever the pairs.
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n < 1 << 32:
        raise ValueError(f"n must be an int >= 0 and < 2**32, got {n!r}")
    n = int(n)
    if priority is None:
        prio = np.zeros((n, 0), dtype=np.float64)
    else:
        prio = float_array(priority, "priority")
        prio = prio.reshape(-1, 1) if prio.ndim == 1 else prio
        if prio.ndim != 2 or prio.shape[0] != n:
            raise ValueError(f"priority must have one value or row per document ({n}), got shape {prio.shape}")
    kept, via = _impl.cluster(int(n), index_pairs(pairs), np.ascontiguousarray(prio))
    return np.asarray(kept, dtype=np.int64), np.asarray(via, dtype=np.int64)


@dataclass(frozen=True)
class Pair:
    """A verified near-duplicate pair ``i < j`` with its score under the chosen measure."""

    i: int
    j: int
    score: float
    jaccard: float
    containment: float


@dataclass(frozen=True)
class Cluster:
    """Documents found to be copies of one another; ``kept`` is the representative."""

    kept: int
    members: list[int]

    @property
    def dropped(self) -> list[int]:
        return [m for m in self.members if m != self.kept]


@dataclass(frozen=True)
class Decision:
    """What happens to one input document, and why.

    ``action`` is ``"kept"`` or ``"dropped"``. A dropped document names the ``kept`` one it
    duplicates, a kept document it was verified against, and ``score``, the score of that
    verified pair (at or above the threshold) under ``method`` (e.g. ``"containment-exact"``).
    """

    index: int
    action: str
    kept: int
    cluster: int | None
    score: float | None
    method: str | None
    reason: str


@dataclass(frozen=True)
class Duplicates:
    """The result of :func:`find_duplicates`."""

    clusters: list[Cluster]
    pairs: list[Pair]
    decisions: list[Decision]
    bands: int
    rows: int
    num_candidates: int
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def kept(self) -> list[int]:
        return [d.index for d in self.decisions if d.action == "kept"]

    @property
    def dropped(self) -> list[int]:
        return [d.index for d in self.decisions if d.action == "dropped"]


@dataclass(frozen=True)
class SignedDocs:
    """Documents known by their MinHash signatures instead of their shingles: what
    :func:`find_duplicates` needs to hold ``8 * num_perm`` bytes per document and not every
    shingle (the streaming form the ``neardup clean`` job uses).

    ``signatures`` must come from :func:`minhash` with the ``num_perm``, ``seed`` and
    ``scheme`` of the call; ``sizes`` are the distinct-shingle counts, ``lengths`` the
    characters (for ``keep="longest"``), and ``intersections(pairs)`` returns the exact number
    of shingles each ``(i, j)`` pair shares (e.g. by re-reading and re-shingling the two
    documents).

    ``signatures`` may also be a function of no argument returning the array, called once:
    the call then holds the only reference to the array and, verifying exactly, reuses its
    memory for the LSH rows and lets it go once the candidate pairs are found, so that the
    signatures and the verification's arrays are not held at once.
    """

    signatures: np.ndarray | Callable[[], np.ndarray]
    sizes: np.ndarray
    lengths: np.ndarray
    intersections: Callable[[np.ndarray], Any]
    #: When given, ``signatures`` holds each document's LSH band keys instead,
    #: ``(n, bands)`` from :func:`neardup.lsh.band_keys` with these ``(bands, rows)``, which
    #: must be those of the call (:func:`candidate_bands`): the same candidates from half the
    #: memory at 128 permutations in 64 bands. Exact verification only.
    bands: tuple[int, int] | None = None
    #: When given, ``(values, offsets)``: each document's anchors in CSR layout (a fixed sample
    #: of its shingle hashes, as ``minhash_texts_anchored`` keeps them). Documents sharing at
    #: least half the anchors of the one with fewer (:func:`neardup.lsh.anchor_pairs`, values
    #: of more than ``anchor_max_docs`` documents passed over) are candidates too: a short
    #: text inside a long one, which the bands cannot find. Exact verification only. May be
    #: a function of no argument returning the pair, called once (the anchors are then let go
    #: once their pairs are found, before verification).
    anchors: tuple[np.ndarray, np.ndarray] | Callable[[], tuple[np.ndarray, np.ndarray]] | None = None
    anchor_max_docs: int = 20
    #: When given, ``intersections_at_least(pairs, need)`` returns, for each pair, its exact
    #: number of shared shingles if that is at least the pair's ``need``, else 0 (a merge may
    #: stop once the need is out of reach); used for the LSH candidates, most of which share
    #: far fewer shingles than a duplicate does.
    intersections_at_least: Callable[[np.ndarray, np.ndarray], Any] | None = None


class ShingledTexts:
    """Texts added a batch at a time and held as their distinct word shingle sets and their
    lengths in characters, not as text (``neardup dups`` reads its input into one).
    :meth:`signed` gives the :class:`SignedDocs` that :func:`find_duplicates` and
    :func:`verify_duplicates` take, verified on the held sets: the decisions those functions
    make of the texts themselves (with ``n`` and word shingles, ``shingle_seed`` 0), each text
    shingled once instead of again for every pair it is in. Not thread-safe: one thread adds
    the texts."""

    def __init__(self, n: int = 5, num_threads: int | None = None) -> None:
        n = check_shingle_args(n, "word", 0)[0]
        num_threads = check_threads(num_threads)
        self.n, self.num_threads = n, num_threads
        #: Every set added so far, one after another, in the first ``_used`` places of an
        #: array grown in place (``ndarray.resize``: the allocator moves a large array's pages
        #: instead of copying them), so that the sets are not copied again into one array.
        self._hashes = np.empty(0, dtype=np.uint64)
        self._used = 0
        self._sizes: list[np.ndarray] = []
        self._lengths: list[int] = []

    def __len__(self) -> int:
        return len(self._lengths)

    def add(self, texts: Sequence[str]) -> None:
        """Add ``texts`` (strs) after those added before."""
        if not len(texts):
            return
        sets = shingles_batch(texts, n=self.n, distinct=True, num_threads=self.num_threads)
        batch = np.asarray(sets.hashes, dtype=np.uint64)
        end = self._used + len(batch)
        if end > len(self._hashes):
            # Growing by a quarter keeps the resizes few and the places resize writes (it fills
            # new places with zeros) close to those used; no view of the array exists.
            self._hashes.resize(max(end, len(self._hashes) + len(self._hashes) // 4), refcheck=False)
        self._hashes[self._used : end] = batch
        self._used = end
        self._sizes.append(np.diff(np.asarray(sets.offsets, dtype=np.int64)))
        self._lengths.extend(len(text) for text in texts)

    def signed(self, *, num_perm: int = 128, seed: int = 1, scheme: str = "classic") -> SignedDocs:
        """The texts added as :class:`SignedDocs` signed with ``num_perm``, ``seed`` and
        ``scheme`` (those of the :func:`verify_duplicates` call they go to). The sets move into
        it: texts added afterwards start a new collection."""
        num_perm = check_num_perm(num_perm)
        seed = check_seed(seed)
        if not isinstance(scheme, str) or scheme not in SCHEMES:
            raise ValueError(f"scheme must be 'classic' or 'oph', got {scheme!r}")
        sizes = np.concatenate(self._sizes) if self._sizes else np.zeros(0, dtype=np.int64)
        lengths = np.asarray(self._lengths, dtype=np.int64)
        hashes = self._hashes
        hashes.resize(self._used, refcheck=False)  # the unused places given back
        self._hashes, self._used, self._sizes, self._lengths = np.empty(0, dtype=np.uint64), 0, [], []
        offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        num_threads = self.num_threads

        def signatures() -> np.ndarray:
            values = _impl.minhash_shingles(hashes, offsets, num_perm, seed, scheme, num_threads)
            return np.asarray(values, dtype=np.uint64).reshape(len(sizes), num_perm)

        def overlaps(pairs: np.ndarray, need: np.ndarray | None = None) -> np.ndarray:
            pairs = np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2)
            needed = None if need is None else np.ascontiguousarray(need, dtype=np.int64)
            return np.asarray(_impl.set_overlaps(hashes, offsets, pairs, num_threads, needed)[0], dtype=np.int64)

        return SignedDocs(signatures, sizes, lengths, overlaps, intersections_at_least=overlaps)


def candidate_bands(
    threshold: float = 0.8,
    *,
    measure: str = "containment",
    min_size_ratio: float = 0.2,
    num_perm: int = 128,
    weights: tuple[float, float] = (0.2, 0.8),
    params: tuple[int, int] | None = None,
) -> tuple[int, int]:
    """The LSH ``(bands, rows)`` that :func:`find_duplicates` and :func:`verify_duplicates`
    use with these arguments: ``params`` when given, else those of :func:`neardup.lsh.lsh_params`
    for the lowest Jaccard similarity a duplicate can have (:func:`candidate_threshold`)."""
    if params is not None:
        return check_params(params, num_perm)
    return lsh_params(candidate_threshold(threshold, measure, min_size_ratio), num_perm, weights)


def find_duplicates(
    docs: Iterable[str] | Any,
    threshold: float = 0.8,
    *,
    measure: str = "containment",
    min_size_ratio: float = 0.2,
    verify: str = "exact",
    num_perm: int = 128,
    seed: int = 1,
    scheme: str = "classic",
    weights: tuple[float, float] = (0.2, 0.8),
    params: tuple[int, int] | None = None,
    n: int = 5,
    kind: str = "word",
    keep: str | Callable[[list[int]], int] = "longest",
    refine: Callable[[np.ndarray], np.ndarray] | None = None,
    refine_from: float | Callable[[np.ndarray], np.ndarray] = 0.5,
    min_evidence: int = MIN_EVIDENCE_SHINGLES,
    num_threads: int | None = None,
) -> Duplicates:
    """Find near-duplicate documents: clusters, verified pairs and one decision per document.

    Pipeline: shingles (word ``n``-grams by default) -> MinHash (``num_perm``, ``seed``,
    ``scheme``) -> LSH candidate pairs -> verification (:func:`verify_duplicates`) -> verified
    clusters with a kept representative each (``keep``; :func:`neardup.decide.decide`) ->
    decisions with provenance.

    ``measure="containment"`` (the default) scores a pair by ``|A & B| / min(|A|, |B|)``, so
    a copy of an article inside a page wrapped in site chrome is found although its Jaccard
    similarity is low; pairs whose smaller set is below ``min_size_ratio`` times the larger
    are not compared (a short boilerplate page is "contained" in every page of its site), and
    a pair whose smaller set has fewer than ``min_evidence`` shingles is scored by its Jaccard
    similarity (method ``jaccard-...``): a short text is a duplicate only of a nearly equal
    one. LSH then targets the lowest Jaccard similarity such a pair can have
    (:func:`candidate_threshold`), with recall-leaning ``weights`` since every candidate is
    verified. ``measure="jaccard"`` scores by Jaccard similarity, datasketch-style.

    ``verify="exact"`` scores candidates from the shingle sets; ``"estimate"`` from the
    signatures (Jaccard estimate; containment derived from it and the exact set sizes).
    A pair is verified when its score is ``>= threshold``.

    Clusters are stars over the verified pairs: in keep order, the first undecided document
    is kept and every undecided document verified against it is dropped for it; the rest are
    decided the same way in turn. So every dropped document's ``kept`` is a kept document it
    was verified against, ``score`` is that pair's score (``>= threshold``), and no two kept
    documents are verified duplicates of each other. ``keep`` gives the order: ``"longest"``
    (most characters; for pre-hashed shingles, most shingles), ``"earliest"`` (lowest
    index), ``"most_complete"`` (the documents that hold their verified partners most
    completely first: the sum over the partners of the share of the partner's shingles they
    hold (:func:`neardup.decide.completeness`), so that a truncated or noisy copy gives way to
    the full one; then longest), or a function, called with the
    sorted undecided members of a connected group of verified pairs that tie and returning
    the one to keep. Ties go to the earliest document.

    ``refine``, given, scores again the candidates whose score lies in
    ``[refine_from, threshold)`` (within ``min_size_ratio``, and not scored by Jaccard for
    being short): it receives them as an ``(n, 2)`` array of document indices and returns
    one score per pair, and a pair is verified when that score is ``>= threshold`` (its
    method then ends in ``+refined``). ``refine_from`` is one number, or a function that
    receives candidate pairs as ``refine`` does and returns one floor in ``[0, 1]`` per pair
    (for instance lower for two pages of different sites); it may be called more than once
    for a pair, and must give it the same floor each time. Word shingles miss copies with character noise or many
    small edits; an alignment of the texts finds them (the ``neardup clean`` job refines with
    :func:`neardup.containment`-style alignment).

    ``docs`` are texts, a :class:`neardup.Shingles` of pre-hashed shingles, or
    :class:`SignedDocs` (signatures and an exact-overlap function). Documents
    without any shingle are never duplicates (they are kept with reason ``"empty"``).

    Exact copies (equal shingle sets; found by equal signatures, then checked exactly) are
    compared with their group's first member only, so the work stays linear in the number of
    copies (100,000 copies of one page: 99,999 comparisons, not 5 * 10**9). Clusters, kept
    documents and scores are those all-pairs verification gives (``"most_complete"`` sums
    exactly and rounds once, so copies change nothing there either); ``pairs`` lists each
    copy's pair with the first member (score 1) and the pairs between groups, and
    ``info["exact_copies"]`` counts the copies. Many *near*-identical documents (a page with a
    different date line in each copy) still share LSH buckets: such a bucket costs the square
    of its size.
    """
    check_keep(keep)
    if callable(keep):
        _check_keep_function(keep)
    verified = verify_duplicates(
        docs,
        threshold,
        measure=measure,
        min_size_ratio=min_size_ratio,
        verify=verify,
        num_perm=num_perm,
        seed=seed,
        scheme=scheme,
        weights=weights,
        params=params,
        n=n,
        kind=kind,
        refine=refine,
        refine_from=refine_from,
        min_evidence=min_evidence,
        num_threads=num_threads,
    )
    return verified.duplicates(keep)


@dataclass(frozen=True)
class Verified:
    """The verified duplicate pairs of ``count`` documents: what :func:`verify_duplicates`
    found, and what :meth:`decide` turns into decisions.

    ``pairs`` (``(m, 2)``, ``i < j``, sorted) are the verified pairs between documents that
    are not exact copies of each other, with their ``scores``, ``intersections`` (shared
    shingles, exact or estimated) and ``methods`` (codes into ``method_names``: the measure,
    the measure refined, Jaccard for a short text). ``copies`` are ``(head, member)`` rows of
    exact copies (a member shares its head's shingles and pairs), with ``copy_methods``. ``sizes`` are the
    distinct-shingle counts, ``lengths`` the characters (shingles for pre-hashed input).
    """

    count: int
    pairs: np.ndarray
    scores: np.ndarray
    jaccard: np.ndarray
    containment: np.ndarray
    intersections: np.ndarray
    methods: np.ndarray
    method_names: tuple[str, ...]
    copies: np.ndarray
    copy_methods: np.ndarray
    sizes: np.ndarray
    lengths: np.ndarray
    bands: int
    rows: int
    num_candidates: int
    info: dict[str, Any] = field(default_factory=dict)
    #: Per pair, whether its first document may be dropped for its second and the reverse
    #: (:func:`neardup.decide.drop_directions`); None: both ways.
    directions: np.ndarray | None = None

    def priority(self, keep: str | Callable[[list[int]], int]) -> np.ndarray:
        """The keep-order priority of policy ``keep`` (see :func:`find_duplicates`)."""
        return keep_priority(keep, self.lengths, pairs=self.pairs, intersections=self.intersections, sizes=self.sizes, copies=self.copies)

    def decide(self, keep: str | Callable[[list[int]], int] = "longest", wraps: Any = None) -> Decisions:
        """The decisions under ``keep`` (a policy name or a function, as in
        :func:`find_duplicates`), with ``wraps`` the ``(outer, inner)`` verified pairs whose
        first page wraps the second (:func:`neardup.decide.decide`)."""
        return decide(
            self.count,
            self.pairs,
            self.scores,
            self.priority(keep),
            methods=self.methods,
            directions=self.directions,
            copies=self.copies,
            copy_methods=self.copy_methods,
            wraps=wraps,
            choose=keep if callable(keep) else None,
        )

    def duplicates(self, keep: str | Callable[[list[int]], int] = "longest") -> Duplicates:
        """:func:`find_duplicates`' result under ``keep``."""
        outcome = self.decide(keep)
        verified = np.concatenate([self.pairs, self.copies])
        order = np.lexsort((verified[:, 1], verified[:, 0])) if len(verified) else np.zeros(0, dtype=np.int64)
        ones = np.ones(len(self.copies))
        pair_score = np.concatenate([self.scores, ones])[order]
        pair_jac = np.concatenate([self.jaccard, ones])[order]
        pair_con = np.concatenate([self.containment, ones])[order]
        pairs = [
            Pair(int(i), int(j), float(s), float(x), float(y))
            for (i, j), s, x, y in zip(verified[order].tolist(), pair_score, pair_jac, pair_con)
        ]
        clusters = [Cluster(k, m) for k, m in outcome.clusters()]
        policy = policy_name(keep)
        decisions = []
        for i in range(self.count):
            reason = describe(outcome, i, name=lambda k: f"document {k}", methods=self.method_names, policy=policy, empty=self.sizes[i] == 0)
            c = int(outcome.cluster[i])
            if outcome.kept[i] != i:
                method = self.method_names[int(outcome.method[i])]
                decisions.append(Decision(i, "dropped", int(outcome.kept[i]), c, float(outcome.score[i]), method, reason))
            else:
                decisions.append(Decision(i, "kept", i, c if c >= 0 else None, None, None, reason))
        return Duplicates(clusters, pairs, decisions, self.bands, self.rows, self.num_candidates, dict(self.info))


def verify_duplicates(
    docs: Iterable[str] | Any,
    threshold: float = 0.8,
    *,
    measure: str = "containment",
    min_size_ratio: float = 0.2,
    verify: str = "exact",
    num_perm: int = 128,
    seed: int = 1,
    scheme: str = "classic",
    weights: tuple[float, float] = (0.2, 0.8),
    params: tuple[int, int] | None = None,
    n: int = 5,
    kind: str = "word",
    refine: Callable[[np.ndarray], np.ndarray] | None = None,
    refine_from: float | Callable[[np.ndarray], np.ndarray] = 0.5,
    min_evidence: int = MIN_EVIDENCE_SHINGLES,
    num_threads: int | None = None,
) -> Verified:
    """The verification part of :func:`find_duplicates` (same arguments but ``keep``): the
    verified pairs, before any decision."""
    if isinstance(min_evidence, bool) or not isinstance(min_evidence, (int, np.integer)) or min_evidence < 0:
        raise ValueError(f"min_evidence must be an int >= 0, got {min_evidence!r}")
    if refine is not None and not callable(refine):
        raise TypeError(f"refine must be a function of the candidate pairs, got {type(refine).__name__}")
    floors_of = _refine_floors(refine_from)
    threshold = check_threshold(threshold)
    if threshold <= 0.0:
        raise ValueError("threshold must be > 0")
    if not isinstance(measure, str) or measure not in ("containment", "jaccard"):
        raise ValueError(f"measure must be 'containment' or 'jaccard', got {measure!r}")
    if not isinstance(verify, str) or verify not in ("exact", "estimate"):
        raise ValueError(f"verify must be 'exact' or 'estimate', got {verify!r}")
    min_size_ratio = check_threshold(min_size_ratio, "min_size_ratio")
    if measure == "containment" and min_size_ratio <= 0.0:
        raise ValueError("min_size_ratio must be > 0 for measure='containment'")
    num_perm = check_num_perm(num_perm)
    seed = check_seed(seed)
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ValueError(f"scheme must be 'classic' or 'oph', got {scheme!r}")
    n, kind, _ = check_shingle_args(n, kind, 0)
    num_threads = check_threads(num_threads)
    texts: list[str] | None = None
    lsh_threshold = candidate_threshold(threshold, measure, min_size_ratio)
    bands, rows = candidate_bands(threshold, measure=measure, min_size_ratio=min_size_ratio, num_perm=num_perm, weights=weights, params=params)
    signed = docs if isinstance(docs, SignedDocs) else None
    handed_over = signed is not None and callable(signed.signatures)
    keyed = signed is not None and signed.bands is not None
    if signed is not None:
        if keyed and (tuple(signed.bands) != (bands, rows) or verify != "exact"):
            raise ValueError(
                f"SignedDocs: band keys of (bands, rows) = {tuple(signed.bands)} need exact verification with the "
                f"call's (bands, rows) = {(bands, rows)}, got verify={verify!r}"
            )
        signatures = np.ascontiguousarray(signed.signatures() if handed_over else signed.signatures, dtype=np.uint64)
        count = len(signatures)
        width = bands if keyed else num_perm
        if signatures.shape != (count, width) or len(signed.sizes) != count or len(signed.lengths) != count:
            what = "band keys" if keyed else "signatures"
            raise ValueError(
                f"SignedDocs: {what} must be (n, {width}) with one size and length per document, "
                f"got {signatures.shape}, {len(signed.sizes)} sizes, {len(signed.lengths)} lengths"
            )
        if signed.anchors is not None and verify != "exact":
            raise ValueError(f"SignedDocs: anchors need exact verification, got verify={verify!r}")
        lengths = np.asarray(signed.sizes, dtype=np.int64)
    else:
        csr = shingle_csr(docs)
        if csr is None:
            texts = document_list(docs)
            # Signatures and set sizes without holding every shingle: the texts are shingled
            # again for verification, only those in a pair (text_overlaps).
            signatures, text_sizes = _impl.minhash_texts_sized(texts, num_perm, seed, scheme, n, kind, 0, num_threads)
            signatures = np.asarray(signatures, dtype=np.uint64).reshape(-1, num_perm)
            text_sizes = np.asarray(text_sizes, dtype=np.int64)
            count = len(texts)
            lengths = text_sizes
        else:
            hashes, offsets = csr
            count = len(offsets) - 1
            lengths = np.diff(offsets)
            signatures = np.asarray(_impl.minhash_shingles(hashes, offsets, num_perm, seed, scheme, num_threads), dtype=np.uint64)
            signatures = signatures.reshape(count, num_perm)


    def overlaps(pairs: np.ndarray, need: np.ndarray | None = None) -> np.ndarray:
        """Shared shingles of each pair; with ``need``, 0 for a pair sharing fewer than its need."""
        if signed is not None:
            if need is not None and signed.intersections_at_least is not None:
                return np.asarray(signed.intersections_at_least(pairs.copy(), need), dtype=np.int64).reshape(-1)
            return np.asarray(signed.intersections(pairs.copy()), dtype=np.int64).reshape(-1)
        if texts is not None:
            return np.asarray(_impl.text_overlaps(texts, pairs, n, kind, 0, num_threads, need), dtype=np.int64)
        return np.asarray(_impl.set_overlaps(hashes, offsets, pairs, num_threads, need)[0], dtype=np.int64)

    # Exact copies are verified once, not pairwise: documents with equal signatures (and, for
    # estimated verification, equal sizes) form a group whose lowest index, its head, alone
    # goes through LSH; each other member is paired with its head only, and is a copy when the
    # two shingle sets are equal (checked exactly). Copies are interchangeable in every score,
    # so a group stands for all the pairs among its members and with the head's partners
    # ("twins"; the clusters, kept documents and ``via`` below are those of that full graph),
    # while 100,000 copies of one page cost 100,000 comparisons instead of 5 * 10**9.
    # Given band keys, rows of equal keys group alike; unequal signatures of equal keys are
    # the collisions below (sets that differ), paired as LSH pairs them: with every partner
    # of the head.
    sizes: np.ndarray | None = None
    if signed is not None:
        sizes = np.asarray(signed.sizes, dtype=np.int64)
    elif texts is not None:
        sizes = text_sizes
    elif verify == "estimate":
        sizes = np.asarray(_impl.set_overlaps(hashes, offsets, np.zeros((0, 2), dtype=np.int64), num_threads)[1], dtype=np.int64)
    nonempty = np.flatnonzero(lengths > 0)
    heads, members_of_head = _exact_groups(signatures, nonempty, sizes if verify == "estimate" else None)
    if len(heads):
        if handed_over and verify == "exact":
            head_rows = _moved_to_front(signatures, heads)
        else:
            head_rows = np.ascontiguousarray(signatures[heads])
        if keyed:
            candidates = np.asarray(_impl.candidate_pairs_of_keys(head_rows, num_threads), dtype=np.int64).reshape(-1, 2)
        else:
            candidates = np.asarray(_impl.candidate_pairs(head_rows, bands, rows, num_threads), dtype=np.int64).reshape(-1, 2)
        del head_rows
        if signed is not None and signed.anchors is not None:
            found = _anchor_pairs_of_heads(signed.anchors() if callable(signed.anchors) else signed.anchors, heads, count, signed.anchor_max_docs, num_threads)
            candidates = _with_new_pairs(candidates, found)
            del found
    else:
        candidates = np.zeros((0, 2), dtype=np.int64)
    # Exact verification needs no signature past this point: they are let go before the
    # candidates are mapped back and the shingle sets built (8 * num_perm bytes per document).
    estimated_from = signatures if verify == "estimate" else None
    del signatures
    # Positions among the heads -> document indices, in place a chunk at a time.
    for start in range(0, len(candidates), SCORE_CHUNK):
        candidates[start : start + SCORE_CHUNK] = heads[candidates[start : start + SCORE_CHUNK]]

    # The intersections of the candidates and of each copy with its head (exact verification).
    if signed is not None or texts is not None:
        # From texts (or SignedDocs with intersections_at_least), a candidate sharing too few
        # shingles to be a duplicate (or to be scored again) is settled without its whole
        # intersection; a copy's is needed whole.
        def needs(start: int, end: int) -> np.ndarray:
            a, b = sizes[candidates[start:end, 0]], sizes[candidates[start:end, 1]]
            lowest = floors_of(candidates[start:end]) if refine is not None else None
            return least_overlaps(measure, threshold, min_size_ratio, np.minimum(a, b), np.maximum(a, b), min_evidence, lowest)

        if verify != "exact":
            candidate_inter = copy_inter = np.zeros(0, dtype=np.int64)
        elif signed is not None:
            # Two calls, not one over a joined copy of the pairs (tens of millions at scale);
            # with intersections_at_least, the candidates a chunk at a time with their needs.
            if signed.intersections_at_least is not None:
                candidate_inter = np.zeros(len(candidates), dtype=np.int64)
                for start in range(0, len(candidates), NEED_CHUNK):
                    end = min(start + NEED_CHUNK, len(candidates))
                    candidate_inter[start:end] = overlaps(candidates[start:end], needs(start, end))
            else:
                candidate_inter = overlaps(candidates)
            copy_inter = overlaps(members_of_head)
        else:
            # One call: each text of a pair is shingled once (the texts are held anyway).
            need = np.concatenate([needs(start, min(start + SCORE_CHUNK, len(candidates))) for start in range(0, len(candidates), SCORE_CHUNK)] + [np.zeros(len(members_of_head), dtype=np.int64)])
            joined = overlaps(np.concatenate([candidates, members_of_head]), need)
            candidate_inter, copy_inter = joined[: len(candidates)], joined[len(candidates) :]
            del need
    else:
        # Shingles given: the distinct-shingle counts of every document come in the same pass.
        first = np.concatenate([candidates, members_of_head]) if verify == "exact" else np.zeros((0, 2), dtype=np.int64)
        if sizes is None:
            first_inter, sizes = _impl.set_overlaps(hashes, offsets, first, num_threads)
            first_inter = np.asarray(first_inter, dtype=np.int64)
            sizes = np.asarray(sizes, dtype=np.int64)
        else:
            first_inter = np.zeros(0, dtype=np.int64)
        candidate_inter, copy_inter = first_inter[: len(candidates)], first_inter[len(candidates) :]
        del first
    assert sizes is not None
    if verify == "exact" and len(members_of_head):
        head, member = members_of_head[:, 0], members_of_head[:, 1]
        equal = (copy_inter == sizes[head]) & (sizes[member] == sizes[head])
        if not equal.all():
            # Equal signatures of different sets (a collision: a copy missing one word often
            # signs like the whole page). Such documents are grouped by set in turn; the first
            # of each set is compared like any other document (with its head and the head's
            # candidates), the others are its copies.
            leaders, regrouped = _regroup_collisions(members_of_head[~equal], sizes, overlaps)
            extra = _collision_candidates(candidates, leaders)
            candidates = np.concatenate([candidates, extra])
            candidate_inter = np.concatenate([candidate_inter, overlaps(extra)])
            members_of_head = np.concatenate([members_of_head[equal], regrouped])
    group_of = np.arange(count, dtype=np.int64)
    group_of[members_of_head[:, 1]] = members_of_head[:, 0]

    def similarities(pairs: np.ndarray, inter: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(jaccard, containment, intersection size) of each pair, exact or estimated."""
        a, b = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
        if verify == "exact":
            if inter is None:
                inter = overlaps(pairs)
            inter = np.asarray(inter, dtype=np.float64)
            return _ratio(inter, a + b - inter), _ratio(inter, np.minimum(a, b)), inter
        jac = np.asarray(_impl.estimate_pairs(estimated_from, pairs, num_threads), dtype=np.float64)
        inter = np.minimum(jac * (a + b) / (1.0 + jac), np.minimum(a, b))
        return jac, _ratio(inter, np.minimum(a, b).astype(np.float64)), inter

    # Scored a chunk at a time; only the pairs that are duplicates or go to ``refine`` are kept
    # (in order), so the per-pair arrays of every candidate are never held at once.
    compared = int(len(candidates) + len(members_of_head))
    parts: list[tuple[np.ndarray, ...]] = []
    for start in range(0, len(candidates), SCORE_CHUNK):
        pairs = candidates[start : start + SCORE_CHUNK]
        jac, con, inter = similarities(pairs, candidate_inter[start : start + SCORE_CHUNK] if verify == "exact" else None)
        small = np.minimum(sizes[pairs[:, 0]], sizes[pairs[:, 1]])
        large = np.maximum(sizes[pairs[:, 0]], sizes[pairs[:, 1]])
        score, accepted, short = pair_scores(measure, threshold, min_size_ratio, jac, con, small, large, min_evidence)
        near = np.zeros(len(score), dtype=bool)
        if refine is not None:
            sized = small >= min_size_ratio * large if measure == "containment" else np.ones(len(score), dtype=bool)
            near = ~accepted & sized & ~short & (score >= floors_of(pairs))
        wanted = accepted | near
        parts.append(tuple(x[wanted] for x in (pairs, jac, con, inter, small, large, score, accepted, short, near)))
    del candidates, candidate_inter, copy_inter
    if parts:
        candidates, jac, con, inter, small, large, score, accepted, short, near = (np.concatenate(x) for x in zip(*parts))
    else:
        candidates = np.zeros((0, 2), dtype=np.int64)
        jac, con, inter = (np.zeros(0, dtype=np.float64) for _ in range(3))
        small, large = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        score, accepted, short, near = np.zeros(0, dtype=np.float64), np.zeros(0, dtype=bool), np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    del parts
    method = np.where(short, 2, 0).astype(np.int64)
    if refine is not None:
        second = np.flatnonzero(near)
        if len(second):
            pairs = candidates[second]
            # A NaN score would silently count as "not a duplicate": refuse it instead.
            again = _one_per_pair(refine(pairs.copy()), pairs, "refine", "scores", np.isfinite, "finite numbers")
            now = again >= threshold
            score = score.copy()
            score[second[now]] = again[now]
            accepted[second[now]] = True
            method[second[now]] = 1
    order = np.lexsort((candidates[:, 1], candidates[:, 0]))
    accepted_sorted = order[accepted[order]]
    between_groups = candidates[accepted_sorted]
    score, jac, con, inter, method = (x[accepted_sorted] for x in (score, jac, con, inter, method))

    if signed is not None:
        doc_length = np.asarray(signed.lengths, dtype=np.int64)
    elif texts is not None:
        doc_length = np.array([len(t) for t in texts], dtype=np.int64)
    else:
        doc_length = lengths.astype(np.int64)
    v = "exact" if verify == "exact" else "minhash"
    info = {
        "lsh_threshold": lsh_threshold,
        "measure": measure,
        "verify": verify,
        "scheme": scheme,
        "exact_copies": int(len(members_of_head)),
    }
    return Verified(
        count,
        between_groups,
        score,
        jac,
        con,
        inter,
        method,
        (f"{measure}-{v}", f"{measure}-{v}+refined", f"jaccard-{v}"),
        members_of_head,
        np.where((measure == "containment") & (sizes[members_of_head[:, 1]] < min_evidence), 2, 0).astype(np.int64),
        sizes,
        doc_length,
        bands,
        rows,
        compared,
        info,
        drop_directions(measure, threshold, score, method == 2, sizes[between_groups[:, 0]], sizes[between_groups[:, 1]]),
    )


def _moved_to_front(values: np.ndarray, rows: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """``values[rows]`` (``rows`` ascending) written over the first ``len(rows)`` rows of
    ``values`` itself, a chunk at a time, and returned as a view: the copy costs a chunk, not
    the whole array. Row ``k`` reads row ``rows[k] >= k``, which no earlier chunk wrote."""
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        values[start : start + len(part)] = values[part]
    return values[: len(rows)]


def _anchor_pairs_of_heads(anchors: tuple[np.ndarray, np.ndarray], heads: np.ndarray, count: int, max_docs: int, num_threads: int | None) -> np.ndarray:
    """The pairs of ``heads`` (as positions among them) that share half the anchors of the one
    with fewer (:func:`neardup.lsh.anchor_pairs`). A group of copies is one head: copies hold
    the same anchors, so a value's documents are counted once per group against ``max_docs``."""
    values, offsets = np.asarray(anchors[0], dtype=np.uint64), np.asarray(anchors[1], dtype=np.int64)
    if len(offsets) != count + 1:
        raise ValueError(f"SignedDocs: anchors need offsets for each of the {count} documents ({count + 1} values), got {len(offsets)}")
    if len(heads) != count:  # (every document a head: the anchors as they are)
        values, offsets = csr_rows(values, offsets, heads)
    return np.asarray(_impl.anchor_pairs(np.ascontiguousarray(values), offsets, max_docs, num_threads), dtype=np.int64).reshape(-1, 2)


def _with_new_pairs(candidates: np.ndarray, found: np.ndarray) -> np.ndarray:
    """``candidates`` followed by the pairs of ``found`` it does not hold (both ``(i, j)``,
    ``i < j``). Looked up a chunk of candidates at a time: a key per candidate would cost 8
    bytes a pair at once (tens of millions of pairs at a million documents)."""
    if not len(found):
        return candidates
    width = np.int64(max(int(candidates.max(initial=0)), int(found.max())) + 1)
    wanted = found[:, 0] * width + found[:, 1]
    held = np.zeros(len(found), dtype=bool)
    for start in range(0, len(candidates), SCORE_CHUNK):
        chunk = candidates[start : start + SCORE_CHUNK]
        # Sorted and searched, not np.isin: numpy 2's isin goes through its hash-based unique,
        # 0.1-0.2 s here for 400,000 pairs against a few milliseconds.
        keys = np.sort(chunk[:, 0] * width + chunk[:, 1])
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        held |= keys[at] == wanted
    return np.concatenate([candidates, found[~held]]) if not held.all() else candidates


def _exact_groups(signatures: np.ndarray, docs: np.ndarray, sizes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Group ``docs`` by equal signature rows (and equal ``sizes`` when given): the head (lowest
    index) of every group, ascending, and an ``(m, 2)`` array of ``(head, member)`` for the
    other members."""
    if not len(docs):
        return docs, np.zeros((0, 2), dtype=np.int64)
    # Sorted by a 64-bit key of each row (a wrapping sum of odd multiples of its values), equal
    # rows are runs; a stable sort keeps each run in index order, so its first is the head.
    # Neighbours of one key are compared whole: if a key is shared by unequal rows, the exact
    # (slower) grouping by the rows' bytes decides instead. The key is summed column by
    # column, as a copy of the rows would hold 8 * num_perm bytes per document.
    width = signatures.shape[1] + (sizes is not None)
    weights = np.arange(1, 2 * width, 2, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    key = np.zeros(len(docs), dtype=np.uint64)
    for c in range(signatures.shape[1]):
        key += signatures[docs, c] * weights[c]
    if sizes is not None:
        key += sizes[docs].astype(np.uint64) * weights[-1]
    order = np.argsort(key, kind="stable")
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = key[order[1:]] != key[order[:-1]]
    same_key = np.flatnonzero(~starts[1:])
    a, b = docs[order[same_key]], docs[order[same_key + 1]]
    equal = (signatures[a] == signatures[b]).all(axis=1)
    if sizes is not None:
        equal &= sizes[a] == sizes[b]
    if equal.all():
        first = order[starts]
        inverse = np.empty(len(order), dtype=np.int64)
        inverse[order] = np.cumsum(starts) - 1
    else:
        rows = signatures[docs]
        if sizes is not None:
            rows = np.column_stack([rows, sizes[docs].astype(np.uint64)])
        rows = np.ascontiguousarray(rows)
        keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).reshape(-1)
        # return_index gives each key's first occurrence (a stable sort), i.e. the lowest index.
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    head_of = docs[first][inverse.reshape(-1)]
    heads = np.sort(docs[first])
    copy = head_of != docs
    return heads.astype(np.int64), np.column_stack([head_of[copy], docs[copy]]).astype(np.int64)


def _regroup_collisions(
    odd: np.ndarray, sizes: np.ndarray, overlaps: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Documents whose signature equals their head's but whose set does not (``(head,
    member)`` rows), grouped by set: ``(head, leader)`` for the first document of each set
    (the lowest index) and ``(leader, member)`` for the others, its exact copies. Each round
    compares every pending member with the first pending one of its head and size, so copies
    of one colliding set cost one comparison each, not one per pair."""
    pending = odd[np.argsort(odd[:, 1], kind="stable")]
    leaders, copies = [], []
    while len(pending):
        keys = np.column_stack([pending[:, 0], sizes[pending[:, 1]]])
        _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        leader = pending[first, 1][inverse.reshape(-1)]
        new = leader == pending[:, 1]
        leaders.append(pending[new])
        pairs = np.column_stack([leader[~new], pending[~new, 1]])
        same = np.asarray(overlaps(pairs), dtype=np.int64) == sizes[pairs[:, 1]] if len(pairs) else np.zeros(0, dtype=bool)
        copies.append(pairs[same])
        pending = pending[~new][~same]
    empty = np.zeros((0, 2), dtype=np.int64)
    return np.concatenate([empty, *leaders]).astype(np.int64), np.concatenate([empty, *copies]).astype(np.int64)


def _collision_candidates(candidates: np.ndarray, odd: np.ndarray) -> np.ndarray:
    """Candidate pairs of documents whose signature equals their head's but whose set does
    not: each is a candidate of its head, of the head's candidates, of the other such members
    of its group and of such members of the groups of the head's candidates (LSH would have
    paired them all: equal signatures, equal band keys)."""
    # Only the partners of heads with such members matter: the other candidates are left in
    # numpy, looked up in a flag per document a chunk at a time (np.isin sorted copies of every
    # candidate: a gigabyte at a million documents).
    flagged = np.zeros(int(max(candidates.max(initial=-1), odd.max(initial=-1))) + 1, dtype=bool)
    flagged[odd[:, 0]] = True
    touching = [
        part[flagged[part[:, 0]] | flagged[part[:, 1]]] for part in (candidates[start : start + SCORE_CHUNK] for start in range(0, len(candidates), SCORE_CHUNK))
    ]
    partners: dict[int, set[int]] = {}
    for i, j in np.concatenate([np.zeros((0, 2), dtype=np.int64), *touching]).tolist():
        partners.setdefault(i, set()).add(j)
        partners.setdefault(j, set()).add(i)
    odd_of: dict[int, list[int]] = {}
    for head, member in odd.tolist():
        odd_of.setdefault(head, []).append(member)
    extra: set[tuple[int, int]] = set()
    for head, members in odd_of.items():
        heads = partners.get(head, set()) | {head}
        others = heads | {m for h in heads for m in odd_of.get(h, ())}
        for member in members:
            for other in others:
                if other != member:
                    extra.add((min(member, other), max(member, other)))
    return np.array(sorted(extra), dtype=np.int64).reshape(-1, 2)


def _check_keep_function(keep: Callable[..., Any]) -> None:
    """Refuse, before any work, a keep function that cannot be called with one cluster (its
    result can only be checked once the clusters are known)."""
    try:
        signature = inspect.signature(keep)
    except (TypeError, ValueError):  # a builtin without a signature: its call will tell
        return
    try:
        signature.bind([0, 1])
    except TypeError as error:
        raise TypeError(f"keep must be a function of one argument (a cluster's list of document indices): {error}") from None


def _refine_floors(refine_from: float | Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], Any]:
    """``refine_from`` checked, as a function of candidate pairs giving each one's floor (a
    number for all, or an array of one per pair)."""
    if not callable(refine_from):
        floor = check_threshold(refine_from, "refine_from")
        return lambda pairs: floor

    def floors(pairs: np.ndarray) -> np.ndarray:
        return _one_per_pair(refine_from(pairs.copy()), pairs, "refine_from", "floors", lambda v: (v >= 0.0) & (v <= 1.0), "numbers in [0.0, 1.0]")

    return floors


def _one_per_pair(returned: Any, pairs: np.ndarray, name: str, what: str, valid: Callable[[np.ndarray], np.ndarray], should_be: str) -> np.ndarray:
    """What the function ``name`` returned for ``pairs``, as one float per pair, refused with
    an error naming the first pair whose value is not ``valid``."""
    try:
        values = np.asarray(returned, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must return one number per pair, got {type(returned).__name__}") from None
    if len(values) != len(pairs):
        raise ValueError(f"{name} returned {len(values)} {what} for {len(pairs)} pairs")
    bad = np.flatnonzero(~valid(values))
    if len(bad):
        i, j = pairs[bad[0]].tolist()
        raise ValueError(f"{name} returned {values[bad[0]]} for the pair ({i}, {j}); {what} must be {should_be}")
    return values
