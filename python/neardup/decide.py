"""The decision: which documents are kept and which are dropped as copies of which.

Every caller (:func:`neardup.find_duplicates`, :meth:`neardup.Index.add_and_dedup`,
``neardup clean`` and :mod:`neardup.spark`) verifies candidate pairs its own way and hands
the result here: :func:`pair_scores` turns a pair's similarities into its score and whether
it is a duplicate, :func:`decide` turns the verified pairs into decisions, and
:func:`describe` words a decision at output.

**Evidence proportional to length.** Containment lets an article wrapped in a site's chrome
match its clean copy, but a text with few shingles (a one-line caption plus the leftovers of
its site's template) is "contained" in any page carrying the same leftovers. So a pair whose
smaller text has fewer than :data:`MIN_EVIDENCE_SHINGLES` distinct shingles is scored by its
Jaccard similarity instead: it is a duplicate only when the two texts are nearly equal.

**Verified clusters.** Clusters are stars over the graph of verified pairs, built in keep
order: the most preferred document not yet decided is kept and takes every undecided
document verified against it; the documents left over are decided the same way in turn. A
dropped document therefore names, in ``kept``, a document it was verified against (score at
or above the threshold), and that document is kept: no chain of pairs links a document to one
it does not match. The result depends only on the set of pairs and the keep order, never on
the order of the pairs, the thread count or the batch size.

**Dropped for a document that holds it.** Containment verifies a pair when the *smaller*
text is held in the larger; the larger may hold much more (a whole page and a fragment of it).
So a pair can be one-way (:func:`drop_directions`): a document is dropped only for a
document holding at least the threshold of it (or one it wraps, see :func:`decide`). A
document that one of its undecided partners holds, without holding it back, waits for that
partner to be decided before it can be kept: the page is kept and takes its fragment, not the
other way round.

This module is pure Python and numpy and imports nothing else of the package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
import heapq
import math
from typing import Any

import numpy as np

__all__ = [
    "KEEP_POLICIES",
    "MIN_EVIDENCE_SHINGLES",
    "Decisions",
    "check_keep",
    "completeness",
    "decide",
    "describe",
    "drop_directions",
    "keep_order",
    "keep_priority",
    "least_overlaps",
    "pair_scores",
    "policy_name",
]

#: The named keep policies (a function breaking ties is the other kind, see :func:`decide`).
KEEP_POLICIES = ("longest", "earliest", "most_complete")

#: A pair whose smaller text has fewer distinct shingles than this is scored by Jaccard
#: similarity, not containment (see the module docstring). Chosen on syndication corpora
#: built from the shared data: docs/dedup.md, "Short texts".
MIN_EVIDENCE_SHINGLES = 20


def pair_scores(
    measure: str,
    threshold: float,
    min_size_ratio: float,
    jaccard: np.ndarray,
    containment: np.ndarray,
    small: np.ndarray,
    large: np.ndarray,
    min_evidence: int = MIN_EVIDENCE_SHINGLES,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(score, duplicate, short)`` of candidate pairs from their similarities and the
    distinct-shingle counts of their smaller and larger text.

    Under ``measure="jaccard"`` the score is the Jaccard similarity. Under
    ``"containment"`` it is the containment, except for a pair whose smaller text has fewer
    than ``min_evidence`` shingles (``short``), scored by its Jaccard similarity; and a pair
    whose smaller text is below ``min_size_ratio`` times the larger is no duplicate.
    ``duplicate`` is ``score >= threshold`` (within that ratio).
    """
    jaccard = np.asarray(jaccard, dtype=np.float64)
    containment = np.asarray(containment, dtype=np.float64)
    small = np.asarray(small)
    large = np.asarray(large)
    if measure == "jaccard":
        return jaccard, jaccard >= threshold, np.zeros(len(jaccard), dtype=bool)
    short = small < min_evidence
    score = np.where(short, jaccard, containment)
    duplicate = (score >= threshold) & (small >= min_size_ratio * large)
    return score, duplicate, short


def drop_directions(measure: str, threshold: float, scores: Any, short: Any, first_sizes: Any, second_sizes: Any) -> np.ndarray:
    """Which side of each verified pair may be dropped for the other: an ``(m, 2)`` bool array,
    column 0 "the first document may be dropped for the second", column 1 the reverse.

    Under ``measure="jaccard"``, and for ``short`` pairs (scored by Jaccard similarity, see
    :func:`pair_scores`), either side. Under containment the score is the share of the
    smaller text held in the larger (exact or aligned), so the share of a side held in the
    other is ``score * min(sizes) / its size`` (distinct shingles): a side may be dropped when
    that is at least ``threshold``. The smaller side always may; the larger only when the two
    are of nearly one size.
    """
    score = np.asarray(scores, dtype=np.float64).reshape(-1)
    first = np.asarray(first_sizes, dtype=np.float64).reshape(-1)
    second = np.asarray(second_sizes, dtype=np.float64).reshape(-1)
    if measure == "jaccard":
        return np.ones((len(score), 2), dtype=bool)
    both = np.asarray(short, dtype=bool).reshape(-1)
    smaller = np.minimum(first, second)
    with np.errstate(divide="ignore", invalid="ignore"):
        first_held = np.where(first > 0, score * smaller / np.where(first > 0, first, 1.0), 1.0)
        second_held = np.where(second > 0, score * smaller / np.where(second > 0, second, 1.0), 1.0)
    return np.column_stack([both | (first <= second) | (first_held >= threshold), both | (second <= first) | (second_held >= threshold)])


def least_overlaps(
    measure: str,
    threshold: float,
    min_size_ratio: float,
    small: np.ndarray,
    large: np.ndarray,
    min_evidence: int = MIN_EVIDENCE_SHINGLES,
    lowest: float | np.ndarray | None = None,
) -> np.ndarray:
    """For candidate pairs with these smaller and larger distinct-shingle counts, a number of
    shared shingles below which :func:`pair_scores` gives a score under ``lowest`` (the
    threshold when None; never above it): one less than the fewest that can reach it, so
    that rounding never settles a pair the scores would keep. A pair outside
    ``min_size_ratio`` can never count, so its need is more than its smaller set holds.

    ``lowest`` under the threshold (for pairs scored again when close; one number, or one per
    pair) does not lower the need of a short pair (``small < min_evidence``), which is never
    scored again.
    """
    small = np.asarray(small, dtype=np.float64)
    large = np.asarray(large, dtype=np.float64)
    floor = threshold if lowest is None else np.minimum(threshold, lowest)

    def jaccard_need(score: float | np.ndarray) -> np.ndarray:
        # inter / (small + large - inter) >= score  <=>  inter >= score * (small + large) / (1 + score)
        return score * (small + large) / (1.0 + score)

    if measure == "jaccard":
        bound = jaccard_need(floor)
    else:
        bound = np.where(small < min_evidence, jaccard_need(threshold), floor * small)
        bound = np.where(small >= min_size_ratio * large, bound, small + 2.0)
    return np.maximum(np.ceil(bound) - 1.0, 0.0).astype(np.int64)


def completeness(count: int, pairs: Any, intersections: Any, sizes: Any, copies: Any = None) -> np.ndarray:
    """How completely each document holds its verified partners: the sum over its partners
    ``j`` of ``|A & B_j| / |B_j|`` (the ``keep="most_complete"`` priority), so that a
    truncated or noisy copy gives way to the full one.

    ``pairs`` are verified pairs with their shared-shingle ``intersections``; ``sizes`` the
    distinct-shingle counts. ``copies`` (``(head, member)`` rows, as for :func:`decide`) are
    exact copies of their head: partners of one another (1 each) and of the head's partners.
    The sum is exact (rational) and rounded once, so it depends only on the set of pairs,
    whether copies are given as such or as explicit pairs.
    """
    pair_array = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    overlap = np.asarray(intersections).reshape(-1)  # ints, or floats when estimated
    size = np.asarray(sizes, dtype=np.int64)
    copy_array = np.zeros((0, 2), dtype=np.int64) if copies is None else np.asarray(copies, dtype=np.int64).reshape(-1, 2)
    group_of = np.arange(count, dtype=np.int64)
    group_of[copy_array[:, 1]] = copy_array[:, 0]
    multiplicity = np.ones(count, dtype=np.int64) + np.bincount(copy_array[:, 0], minlength=count)
    # Exact verification's intersections are counts, also when they come as floats.
    counts = overlap.dtype.kind in "iub" or not len(overlap) or bool(np.all((np.abs(overlap) < 2.0**53) & (overlap == np.floor(overlap))))
    if counts:
        per_head = _completeness_of_counts(count, pair_array, overlap.astype(np.int64), size, group_of, multiplicity, copy_array)
    else:
        per_head = _completeness_of_fractions(count, pair_array, overlap, size, group_of, multiplicity, copy_array)
    return per_head[group_of]


def _completeness_of_fractions(
    count: int, pair_array: np.ndarray, overlap: np.ndarray, size: np.ndarray, group_of: np.ndarray, multiplicity: np.ndarray, copy_array: np.ndarray
) -> np.ndarray:
    """:func:`completeness` per head, summed as fractions (any intersections, floats too)."""
    # Per head, the terms numerator / size of its partner groups, those of one size added
    # first; a group's other members add 1 each. Pairs within a group are its copies' ones,
    # and a pair given twice counts once.
    shared: dict[tuple[int, int], Any] = {}
    for (i, j), x in zip(pair_array.tolist(), overlap.tolist()):
        gi, gj = int(group_of[i]), int(group_of[j])
        if gi != gj:
            shared.setdefault((min(gi, gj), max(gi, gj)), x)
    terms: dict[int, dict[int, Fraction]] = {}
    for (gi, gj), x in sorted(shared.items()):
        for a, b in ((gi, gj), (gj, gi)):
            if size[b]:
                by_size = terms.setdefault(a, {})
                by_size[int(size[b])] = by_size.get(int(size[b]), Fraction(0)) + int(multiplicity[b]) * Fraction(x)
    per_head = np.zeros(count, dtype=np.float64)
    for head in set(terms) | set(copy_array[:, 0].tolist()):
        exact = sum((numerator / denominator for denominator, numerator in terms.get(head, {}).items()), Fraction(0))
        per_head[head] = float(exact + int(multiplicity[head]) - 1)
    return per_head


def _completeness_of_counts(
    count: int, pair_array: np.ndarray, overlap: np.ndarray, size: np.ndarray, group_of: np.ndarray, multiplicity: np.ndarray, copy_array: np.ndarray
) -> np.ndarray:
    """:func:`completeness` per head of integer intersections, the same values as
    :func:`_completeness_of_fractions`: the numerators of each head's terms summed per
    partner size in int64; a head with one term (most) is one division of two integers that
    a float holds exactly (so correctly rounded, as ``float(Fraction)`` is), the others are
    summed over their least common denominator in Python's integers and divided once. Falls
    back to fractions where int64 or a float's 53 bits could not hold the sums."""
    gi, gj = group_of[pair_array[:, 0]], group_of[pair_array[:, 1]]
    apart = gi != gj
    low, high, shared = np.minimum(gi, gj)[apart], np.maximum(gi, gj)[apart], overlap[apart]
    # A pair given twice counts once, with its first intersection (a stable sort keeps it first).
    key = low * np.int64(max(count, 1)) + high
    order = np.argsort(key, kind="stable")
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    taken = order[first]
    low, high, shared = low[taken], high[taken], shared[taken]
    head, partner, shared = np.concatenate([low, high]), np.concatenate([high, low]), np.concatenate([shared, shared])
    partner_size = size[partner]
    has_size = partner_size > 0
    head, partner_size, numerator = head[has_size], partner_size[has_size], (multiplicity[partner] * shared)[has_size]
    if len(numerator) and (float(np.abs(numerator).astype(np.float64).sum()) >= 2.0**62 or int(partner_size.max()) >= 2**53):
        return _completeness_of_fractions(count, pair_array, overlap, size, group_of, multiplicity, copy_array)
    by_term = np.lexsort((partner_size, head))
    head, partner_size, numerator = head[by_term], partner_size[by_term], numerator[by_term]
    starts = np.flatnonzero(np.concatenate([[True], (head[1:] != head[:-1]) | (partner_size[1:] != partner_size[:-1])])) if len(head) else np.zeros(0, dtype=np.int64)
    term_head, term_size = head[starts], partner_size[starts]
    term_numerator = np.add.reduceat(numerator, starts) if len(starts) else np.zeros(0, dtype=np.int64)
    per_head = np.zeros(count, dtype=np.float64)
    copied = copy_array[:, 0]
    per_head[copied] = (multiplicity[copied] - 1).astype(np.float64)
    terms_of = np.bincount(term_head, minlength=count) if len(term_head) else np.zeros(count, dtype=np.int64)
    single = terms_of[term_head] == 1
    whole = term_numerator[single] + (multiplicity[term_head[single]] - 1) * term_size[single]
    exact = np.abs(whole) < 2**53
    per_head[term_head[single][exact]] = whole[exact].astype(np.float64) / term_size[single][exact].astype(np.float64)
    several: dict[int, list[tuple[int, int]]] = {}
    for k in np.flatnonzero(~single).tolist() + np.flatnonzero(single)[~exact].tolist():
        several.setdefault(int(term_head[k]), []).append((int(term_numerator[k]), int(term_size[k])))
    for a, terms in several.items():
        # The terms over their least common denominator in Python's integers, then one
        # division: int / int is correctly rounded, as float(Fraction) is (it is that division).
        common = math.lcm(*(size for _, size in terms))
        total = sum(numerator * (common // size) for numerator, size in terms) + (int(multiplicity[a]) - 1) * common
        per_head[a] = total / common
    return per_head


def check_keep(keep: Any) -> None:
    """Refuse a keep policy that is neither one of :data:`KEEP_POLICIES` nor a function."""
    if not callable(keep) and (not isinstance(keep, str) or keep not in KEEP_POLICIES):
        raise ValueError(f"keep must be one of {', '.join(KEEP_POLICIES)} or a function, got {keep!r}")


def keep_priority(
    keep: str | Callable[..., Any],
    lengths: Any,
    *,
    pairs: Any = None,
    intersections: Any = None,
    sizes: Any = None,
    copies: Any = None,
    first: Any = None,
) -> np.ndarray:
    """The priority rows (for :func:`decide` and :func:`keep_order`) of keep policy ``keep``
    over documents of ``lengths`` (characters): ``"longest"`` the length, ``"earliest"``
    nothing (ties go to the lowest index), ``"most_complete"`` :func:`completeness` of the
    verified ``pairs`` (with their ``intersections``, the documents' distinct-shingle
    ``sizes`` and exact ``copies``), then the length; a function (which breaks ties itself,
    ``choose`` of :func:`decide`) nothing. ``first``: columns placed before the policy's,
    for documents that must be kept before it applies (an index's documents, earliest
    indexed first); every caller's keep order is built here, so a policy changes in one place.
    """
    check_keep(keep)
    length = np.asarray(lengths, dtype=np.float64).reshape(-1)
    count = len(length)
    columns = []
    if first is not None:
        first = np.asarray(first, dtype=np.float64)
        columns.append(first[:, None] if first.ndim == 1 else first)
    if keep == "longest":
        columns.append(length[:, None])
    elif keep == "most_complete":
        empty = np.zeros((0, 2), dtype=np.int64)
        held = completeness(
            count,
            empty if pairs is None else pairs,
            np.zeros(0) if intersections is None else intersections,
            np.zeros(count, dtype=np.int64) if sizes is None else sizes,
            copies,
        )
        columns.append(np.column_stack([held, length]))
    return np.hstack(columns) if columns else np.zeros((count, 0), dtype=np.float64)


def keep_order(priority: np.ndarray) -> np.ndarray:
    """Documents in keep order: ``priority`` rows (an ``(n, width)`` array) compared
    lexicographically, greatest first, ties going to the lowest index."""
    priority = np.asarray(priority, dtype=np.float64)
    n = priority.shape[0]
    keys = [np.arange(n)] + [-priority[:, c] for c in range(priority.shape[1] - 1, -1, -1)]
    return np.lexsort(keys).astype(np.int64)


@dataclass(frozen=True)
class Decisions:
    """The decision on each of ``n`` documents (arrays of length ``n``).

    ``kept[i]`` is the document ``i`` is dropped for, or ``i`` itself when it is kept.
    For a dropped document, ``score[i]`` is the score of its verified pair with ``kept[i]``
    and ``method[i]`` that pair's method code (as given to :func:`decide`; ``-1`` for kept
    documents, whose ``score`` is NaN); ``wraps[i]`` says that it wraps ``kept[i]``.
    ``cluster[i]`` numbers the cluster (a kept document and the documents dropped for it;
    ``-1`` outside any), clusters numbered in the order of their kept document, and
    ``sizes[c]`` counts the members of cluster ``c``. ``matched[i]`` says that document
    ``i`` has a verified pair (a kept document outside any cluster has one when every
    document it matches was dropped for another it does not match).
    """

    kept: np.ndarray
    score: np.ndarray
    method: np.ndarray
    wraps: np.ndarray
    cluster: np.ndarray
    sizes: np.ndarray
    matched: np.ndarray

    def __len__(self) -> int:
        return len(self.kept)

    @property
    def dropped(self) -> np.ndarray:
        """The indices of the dropped documents, ascending."""
        return np.flatnonzero(self.kept != np.arange(len(self.kept)))

    def clusters(self) -> list[tuple[int, list[int]]]:
        """``(kept, members)`` of every cluster in cluster order, members ascending."""
        heads = [-1] * len(self.sizes)
        members: list[list[int]] = [[] for _ in range(len(self.sizes))]
        for i in np.flatnonzero(self.cluster >= 0).tolist():
            c = int(self.cluster[i])
            heads[c] = int(self.kept[i])
            members[c].append(i)
        return list(zip(heads, members))


def _as_pairs(pairs: Any, count: int, what: str) -> np.ndarray:
    array = np.asarray(pairs, dtype=np.int64).reshape(-1, 2) if len(pairs) else np.zeros((0, 2), dtype=np.int64)
    if len(array) and (array.min() < 0 or array.max() >= count):
        bad = int(np.flatnonzero((array < 0).any(axis=1) | (array >= count).any(axis=1))[0])
        raise ValueError(f"{what} {bad}: {tuple(array[bad].tolist())} is not a pair of documents 0..{count - 1}")
    return array


def decide(
    count: int,
    pairs: Any,
    scores: Any,
    priority: Any = None,
    *,
    methods: Any = None,
    directions: Any = None,
    copies: Any = None,
    copy_methods: Any = None,
    wraps: Any = None,
    choose: Callable[[list[int]], int] | None = None,
) -> Decisions:
    """Decide ``count`` documents from their verified pairs (see the module docstring).

    ``pairs`` is an ``(m, 2)`` array of document indices, every pair a verified duplicate,
    ``scores`` their scores and ``methods`` a small int per pair naming how it was scored
    (the caller's code, default 0). ``priority`` (``(count, width)``, or one number per
    document) gives the keep order: greatest row first, ties to the lowest index.

    ``directions`` (``(m, 2)`` bools, :func:`drop_directions`; default: every pair both ways)
    says per pair whether its first document may be dropped for its second and the reverse. A
    document that an undecided partner may not be dropped for, while it may be dropped for that
    partner, waits until the partner is decided before it is kept (see the module docstring).

    ``copies``, ``(head, member)`` rows, declares exact copies: a member has its head's
    shingles, so it is a duplicate of the head and of every other member (score 1, method
    ``copy_methods`` of its row, default 0) and has every pair of its head; pairs need only
    be given between heads.

    ``wraps``, ``(outer, inner)`` rows, are verified pairs whose first page wraps the second
    (see :mod:`neardup.pipeline`): the outer page may be dropped for the inner one whatever
    ``directions`` says, and a page that wraps one of its partners goes after every page that
    wraps none in the keep order, so that it gives way to the copy it wraps.

    ``choose``, given, breaks ties of the keep order: called with the sorted undecided
    members of a connected component that share the greatest priority (when there are
    several), it returns the one to keep.
    """
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ValueError(f"count must be an int >= 0, got {count!r}")
    count = int(count)
    pair_array = _as_pairs(pairs, count, "pair")
    score_array = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(score_array) != len(pair_array):
        raise ValueError(f"{len(score_array)} scores for {len(pair_array)} pairs")
    if not np.isfinite(score_array).all():
        bad = int(np.flatnonzero(~np.isfinite(score_array))[0])
        raise ValueError(f"pair {bad}: score {score_array[bad]} is not a finite number")
    method_array = np.zeros(len(pair_array), dtype=np.int64) if methods is None else np.asarray(methods, dtype=np.int64).reshape(-1)
    if len(method_array) != len(pair_array):
        raise ValueError(f"{len(method_array)} methods for {len(pair_array)} pairs")
    if directions is None:
        direction_array = np.ones((len(pair_array), 2), dtype=bool)
    else:
        direction_array = np.asarray(directions, dtype=bool)
        if direction_array.size == 0:
            direction_array = direction_array.reshape(0, 2)
        if direction_array.shape != (len(pair_array), 2):
            raise ValueError(f"directions must have shape ({len(pair_array)}, 2), one row per pair, got {direction_array.shape}")
    if priority is None:
        prio = np.zeros((count, 0), dtype=np.float64)
    else:
        prio = np.asarray(priority, dtype=np.float64)
        prio = prio.reshape(-1, 1) if prio.ndim == 1 else prio
        if prio.ndim != 2 or prio.shape[0] != count:
            raise ValueError(f"priority must have one value or row per document ({count}), got shape {prio.shape}")
        if np.isnan(prio).any():
            raise ValueError(f"document {int(np.flatnonzero(np.isnan(prio).any(axis=1))[0])}: priority is NaN")

    # Exact copies: group_of[i] is i's head.
    group_of = np.arange(count, dtype=np.int64)
    copy_array = _as_pairs(copies if copies is not None else [], count, "copy")
    copy_method_array = np.zeros(len(copy_array), dtype=np.int64) if copy_methods is None else np.asarray(copy_methods, dtype=np.int64).reshape(-1)
    if len(copy_method_array) != len(copy_array):
        raise ValueError(f"{len(copy_method_array)} copy methods for {len(copy_array)} copies")
    if len(copy_array):
        group_of[copy_array[:, 1]] = copy_array[:, 0]
        if (group_of[copy_array[:, 0]] != copy_array[:, 0]).any() or (copy_array[:, 0] == copy_array[:, 1]).any():
            raise ValueError("copies: a head must not itself be a copy of another document")

    # Pairs between groups, each once (the best score; then the lowest method code), with
    # lo_drop: "lo may be dropped for hi", hi_drop the reverse (a pair given twice: either).
    ga, gb = group_of[pair_array[:, 0]], group_of[pair_array[:, 1]]
    between = ga != gb
    lo, hi = np.minimum(ga, gb)[between], np.maximum(ga, gb)[between]
    g_score, g_method = score_array[between], method_array[between]
    in_order = (ga <= gb)[between]
    lo_drop = np.where(in_order, direction_array[between, 0], direction_array[between, 1])
    hi_drop = np.where(in_order, direction_array[between, 1], direction_array[between, 0])
    order = np.lexsort((g_method, -g_score, hi, lo))
    lo, hi, g_score, g_method, lo_drop, hi_drop = (lo[order], hi[order], g_score[order], g_method[order], lo_drop[order], hi_drop[order])
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    starts = np.flatnonzero(first)
    lo_drop = np.logical_or.reduceat(lo_drop, starts) if len(starts) else lo_drop[:0]
    hi_drop = np.logical_or.reduceat(hi_drop, starts) if len(starts) else hi_drop[:0]
    lo, hi, g_score, g_method = lo[first], hi[first], g_score[first], g_method[first]

    wrap_array = _as_pairs(wraps if wraps is not None else [], count, "wrap")
    wrap_groups = {(int(o), int(i)) for o, i in zip(group_of[wrap_array[:, 0]].tolist(), group_of[wrap_array[:, 1]].tolist()) if o != i}
    wrapper = np.zeros(count, dtype=bool)
    if wrap_groups:
        # A wrapping page may be dropped for the page it wraps.
        lo_drop = lo_drop | np.fromiter(((a, b) in wrap_groups for a, b in zip(lo.tolist(), hi.tolist())), dtype=bool, count=len(lo))
        hi_drop = hi_drop | np.fromiter(((b, a) in wrap_groups for a, b in zip(lo.tolist(), hi.tolist())), dtype=bool, count=len(lo))
        outer_groups = np.fromiter((o for o, _ in wrap_groups), dtype=np.int64)
        wrapper = np.isin(group_of, outer_groups)

    kept = np.arange(count, dtype=np.int64)
    score = np.full(count, np.nan)
    method = np.full(count, -1, dtype=np.int64)
    wraps_kept = np.zeros(count, dtype=bool)

    # The documents that take part: members of a group of copies or of a verified pair.
    members_of: dict[int, list[int]] = {}
    group_method: dict[int, int] = {}
    for (head, member), code in zip(copy_array.tolist(), copy_method_array.tolist()):
        members_of.setdefault(head, [head]).append(member)
        group_method[head] = code
    # adjacency[g]: (partner, score, method, whether the partner may be dropped for g).
    adjacency: dict[int, list[tuple[int, float, int, bool]]] = {}
    # waits_for[g]: the partners that may take g while g may not take them.
    waits_for: dict[int, list[int]] = {}
    for a, b, s, m, a_drop, b_drop in zip(lo.tolist(), hi.tolist(), g_score.tolist(), g_method.tolist(), lo_drop.tolist(), hi_drop.tolist()):
        adjacency.setdefault(a, []).append((b, s, m, b_drop))
        adjacency.setdefault(b, []).append((a, s, m, a_drop))
        if a_drop and not b_drop:
            waits_for.setdefault(a, []).append(b)
        elif b_drop and not a_drop:
            waits_for.setdefault(b, []).append(a)
    groups = sorted(set(members_of) | set(adjacency))
    if groups:
        # Ascending, so that ties of the keep order go to the lowest index.
        involved = np.sort(np.concatenate([np.asarray(members_of.get(g, [g]), dtype=np.int64) for g in groups]))
        full = np.column_stack([~wrapper, prio]) if wrap_groups else prio
        sub_order = involved[keep_order(full[involved])]
        component = _components(groups, adjacency)
        by_component: dict[int, list[int]] = {}
        for i in sub_order.tolist():
            by_component.setdefault(component[int(group_of[i])], []).append(i)
        decided = np.zeros(count, dtype=bool)
        for ranked in by_component.values():
            _stars(ranked, full, decided, group_of, members_of, group_method, adjacency, waits_for, wrap_groups, choose, kept, score, method, wraps_kept)

    # Clusters numbered in the order of their kept document.
    dropped = np.flatnonzero(kept != np.arange(count))
    heads = np.unique(kept[dropped])
    cluster = np.full(count, -1, dtype=np.int64)
    number = np.full(count, -1, dtype=np.int64)
    number[heads] = np.arange(len(heads))
    cluster[heads] = number[heads]
    cluster[dropped] = number[kept[dropped]]
    sizes = np.bincount(cluster[cluster >= 0], minlength=len(heads)).astype(np.int64)
    matched = np.zeros(count, dtype=bool)
    if groups:
        matched[involved] = True
    return Decisions(kept, score, method, wraps_kept, cluster, sizes, matched)


def _components(groups: list[int], adjacency: dict[int, list[tuple[int, float, int, bool]]]) -> dict[int, int]:
    """Connected component (its smallest group) of every group."""
    parent = {g: g for g in groups}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, neighbours in adjacency.items():
        for b, *_ in neighbours:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {g: find(g) for g in groups}


def _stars(
    ranked: list[int],
    priority: np.ndarray,
    decided: np.ndarray,
    group_of: np.ndarray,
    members_of: dict[int, list[int]],
    group_method: dict[int, int],
    adjacency: dict[int, list[tuple[int, float, int, bool]]],
    waits_for: dict[int, list[int]],
    wrap_groups: set[tuple[int, int]],
    choose: Callable[[list[int]], int] | None,
    kept: np.ndarray,
    score: np.ndarray,
    method: np.ndarray,
    wraps_kept: np.ndarray,
) -> None:
    """Star clustering of one connected component, ``ranked`` its documents in keep order.
    A group of copies is decided whole: its first document decided takes the others. A group
    is ready to be kept once every partner it waits for (``waits_for``) is decided; the
    documents of ready groups are taken in keep order (a partial order over the component
    that the keep order breaks, so the result depends on nothing else)."""
    rank = {doc: k for k, doc in enumerate(ranked)}
    groups = {int(group_of[i]) for i in ranked}
    waiting = {g: len(waits_for[g]) for g in groups if g in waits_for}
    # Who waits for each group: told when the group is decided.
    waiters: dict[int, list[int]] = {}
    for g in waiting:
        for container in waits_for[g]:
            waiters.setdefault(container, []).append(g)
    ready = [rank[i] for i in ranked if int(group_of[i]) not in waiting]
    heapq.heapify(ready)

    def settle(group: int) -> None:
        for waiter in waiters.get(group, ()):
            waiting[waiter] -= 1
            if waiting[waiter] == 0:
                for member in members_of.get(waiter, [waiter]):
                    heapq.heappush(ready, rank[member])

    cursor = 0
    while True:
        if not ready:
            # Only directions given by a caller can make groups wait for one another in a
            # circle; the first undecided document in keep order then goes first.
            while cursor < len(ranked) and decided[ranked[cursor]]:
                cursor += 1
            if cursor == len(ranked):
                return
            ready.append(cursor)
        top = ranked[heapq.heappop(ready)]
        if decided[top]:
            continue
        representative = top
        if choose is not None:
            tied = sorted(
                i for i in ranked if i == top or (not decided[i] and waiting.get(int(group_of[i]), 0) == 0 and np.array_equal(priority[i], priority[top]))
            )
            if len(tied) > 1:
                pick = choose(list(tied))
                if isinstance(pick, bool) or not isinstance(pick, (int, np.integer)) or int(pick) not in tied:
                    raise ValueError(f"keep function returned {pick!r}, not one of the documents it was given {tied}")
                representative = int(pick)
                if representative != top:
                    heapq.heappush(ready, rank[top])
        group = int(group_of[representative])
        decided[representative] = True
        for member in members_of.get(group, ()):
            if member != representative:
                decided[member] = True
                kept[member], score[member], method[member] = representative, 1.0, group_method[group]
        settle(group)
        for other, pair_score, pair_method, other_may_go in adjacency.get(group, ()):
            if not other_may_go:
                continue
            taken = False
            for member in members_of.get(other, [other]):
                if not decided[member]:
                    decided[member] = True
                    taken = True
                    kept[member], score[member], method[member] = representative, pair_score, pair_method
                    wraps_kept[member] = (other, group) in wrap_groups
            if taken:
                settle(other)


def policy_name(keep: str | Callable[..., Any]) -> str:
    """How a keep policy is named in the reasons of kept documents."""
    return keep if isinstance(keep, str) else f"keep={getattr(keep, '__name__', 'function')}"


def describe(
    decisions: Decisions,
    i: int,
    *,
    name: Callable[[int], str],
    methods: Sequence[str],
    policy: str,
    empty: bool = False,
) -> str:
    """The reason of document ``i``'s decision, naming documents with ``name(index)`` and
    methods with ``methods[code]``: ``duplicate of NAME (METHOD 0.973)``, ``kept for a
    cluster of 3 (POLICY)``, ``kept: its duplicates are dropped for documents it does not
    match``, ``empty: no shingles to compare`` or ``unique``."""
    k = int(decisions.kept[i])
    if k != i:
        return f"duplicate of {name(k)} ({methods[int(decisions.method[i])]} {float(decisions.score[i]):.3f})"
    c = int(decisions.cluster[i])
    if c >= 0:
        return f"kept for a cluster of {int(decisions.sizes[c])} ({policy})"
    if decisions.matched[i]:
        return "kept: its duplicates are dropped for documents it does not match"
    return "empty: no shingles to compare" if empty else "unique"
