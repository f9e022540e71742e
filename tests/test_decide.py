"""neardup.decide: the one decision every caller uses (find_duplicates, the index, clean, Spark).

Generated graphs of verified pairs, with exact-copy groups, keep priorities with ties and
wrapping pages, are decided and checked against the docstring: every dropped document names
a kept document it was verified against, with that pair's score; no two kept documents are
verified against each other; the result is that of a quadratic star clustering over the
graph with every copy given its head's pairs; it depends on the set of pairs only.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.decide import MIN_EVIDENCE_SHINGLES, completeness, decide, describe, drop_directions, keep_order, keep_priority, least_overlaps, pair_scores

# The decision is pure Python and numpy: the same under either backend.
pytestmark = pytest.mark.backend_independent


@st.composite
def graphs(draw):
    """(count, pairs, scores, priority, copies, wraps): pairs between group heads (and a few
    between a member and another group), copies as (head, member) rows."""
    count = draw(st.integers(1, 24))
    heads = sorted(draw(st.sets(st.integers(0, count - 1), min_size=1)))
    others = [i for i in range(count) if i not in heads]
    copies = [(draw(st.sampled_from(heads)), m) for m in others if draw(st.booleans())]
    singles = sorted(set(range(count)) - {m for _, m in copies})
    pairs, scores = [], []
    for _ in range(draw(st.integers(0, 3 * count))):
        i, j = draw(st.sampled_from(singles)), draw(st.sampled_from(singles))
        if i != j:
            pairs.append((i, j))
            scores.append(draw(st.sampled_from([0.8, 0.85, 0.9, 1.0])))
    width = draw(st.integers(0, 2))
    priority = [[draw(st.integers(0, 3)) for _ in range(width)] for _ in range(count)]
    wraps = [p for p in pairs if draw(st.integers(0, 5)) == 0]
    return count, pairs, scores, np.array(priority, dtype=np.float64).reshape(count, width), copies, wraps


def expanded(count, pairs, scores, copies):
    """The graph with every copy given its head's pairs and linked to its group (score 1):
    {(i, j): score} both ways, a pair given twice keeping its best score."""
    group = list(range(count))
    for head, member in copies:
        group[member] = head
    members = {}
    for i in range(count):
        members.setdefault(group[i], []).append(i)
    edges = {}
    for ms in members.values():
        for a in ms:
            for b in ms:
                if a != b:
                    edges[(a, b)] = 1.0
    for (i, j), s in zip(pairs, scores):
        if group[i] == group[j]:
            continue
        for a in members[group[i]]:
            for b in members[group[j]]:
                edges[(a, b)] = max(edges.get((a, b), 0.0), s)
                edges[(b, a)] = edges[(a, b)]
    return edges, group


def star_oracle(count, edges, order):
    kept, decided = list(range(count)), [False] * count
    for i in order:
        if not decided[i]:
            decided[i] = True
            for j in range(count):
                if not decided[j] and (i, j) in edges:
                    decided[j], kept[j] = True, i
    return kept


@settings(max_examples=300)
@given(graphs())
def test_every_drop_is_verified_and_no_kept_pair_is(graph):
    count, pairs, scores, priority, copies, wraps = graph
    out = decide(count, pairs, scores, priority, copies=copies, wraps=wraps)
    edges, group = expanded(count, pairs, scores, copies)
    for i in range(count):
        k = int(out.kept[i])
        assert out.kept[k] == k  # the document named is kept
        if k != i:
            assert (i, k) in edges and out.score[i] == edges[(i, k)] and out.score[i] >= 0.8
            assert out.wraps[i] == ((group[i], group[k]) in {(group[o], group[n]) for o, n in wraps})
            assert out.cluster[i] == out.cluster[k] >= 0
        else:
            assert np.isnan(out.score[i]) and out.method[i] == -1
    kept = [i for i in range(count) if out.kept[i] == i]
    assert not any((a, b) in edges for a in kept for b in kept)
    # The clusters: numbered in the order of their kept document, sizes counted.
    clusters = out.clusters()
    assert [k for k, _ in clusters] == sorted(k for k, _ in clusters)
    assert [len(m) for _, m in clusters] == out.sizes.tolist()
    assert all(len(m) > 1 for _, m in clusters)


@settings(max_examples=300)
@given(graphs())
def test_decisions_are_those_of_star_clustering_in_keep_order(graph):
    count, pairs, scores, priority, copies, wraps = graph
    out = decide(count, pairs, scores, priority, copies=copies, wraps=wraps)
    edges, group = expanded(count, pairs, scores, copies)
    wrapper = {group[o] for o, n in wraps if group[o] != group[n]}
    # A page wrapping a partner goes after every page wrapping none.
    key = np.column_stack([[0.0 if group[i] in wrapper else 1.0 for i in range(count)], priority])
    order = sorted(range(count), key=lambda i: (tuple(-key[i]), i))
    assert keep_order(key).tolist() == order
    assert out.kept.tolist() == star_oracle(count, edges, order)


@settings(max_examples=300)
@given(graphs(), st.data())
def test_with_directions_a_document_waits_for_the_partners_holding_it(graph, data):
    """Directions drawn per pair (circles included): the decisions are those of a quadratic
    star clustering where the first undecided document in keep order that waits for no
    undecided partner (one it may be dropped for, that may not be dropped for it) is kept
    (the first undecided one when all wait) and takes the undecided partners that may be
    dropped for it; a pair given twice may go either way either row allows, a wrap lets the
    outer page go."""
    count, pairs, scores, priority, copies, wraps = graph
    directions = [data.draw(st.sampled_from([(True, True), (True, False), (False, True)])) for _ in pairs]
    out = decide(count, pairs, scores, priority, copies=copies, wraps=wraps, directions=directions)
    edges, group = expanded(count, pairs, scores, copies)
    allowed = set()
    for (i, j), (i_goes, j_goes) in zip(pairs, directions):
        if i_goes:
            allowed.add((group[i], group[j]))
        if j_goes:
            allowed.add((group[j], group[i]))
    allowed |= {(group[o], group[n]) for o, n in wraps}

    def may_go(a, b):
        return group[a] == group[b] or (group[a], group[b]) in allowed

    wrapper = {group[o] for o, n in wraps if group[o] != group[n]}
    key = np.column_stack([[0.0 if group[i] in wrapper else 1.0 for i in range(count)], priority])
    order = sorted(range(count), key=lambda i: (tuple(-key[i]), i))
    kept, decided = list(range(count)), [False] * count

    def waits(i):
        return any(not decided[j] and (i, j) in edges and may_go(i, j) and not may_go(j, i) for j in range(count))

    while not all(decided):
        undecided = [i for i in order if not decided[i]]
        i = next((i for i in undecided if not waits(i)), undecided[0])
        decided[i] = True
        for j in range(count):
            if not decided[j] and (i, j) in edges and may_go(j, i):
                decided[j], kept[j] = True, i
    assert out.kept.tolist() == kept
    for i in range(count):
        if kept[i] != i:
            assert may_go(i, kept[i]) and out.score[i] == edges[(i, kept[i])]


@settings(max_examples=200)
@given(graphs(), st.randoms(use_true_random=False))
def test_the_order_and_repeats_of_pairs_change_nothing(graph, rng):
    count, pairs, scores, priority, copies, wraps = graph
    first = decide(count, pairs, scores, priority, copies=copies, wraps=wraps)
    shuffled = list(zip(pairs, scores)) * 2
    rng.shuffle(shuffled)
    flipped = [((j, i) if rng.random() < 0.5 else (i, j), s) for (i, j), s in shuffled]
    again = decide(count, [p for p, _ in flipped], [s for _, s in flipped], priority, copies=copies, wraps=wraps[::-1])
    for name in ("kept", "method", "wraps", "cluster", "sizes"):
        assert getattr(first, name).tolist() == getattr(again, name).tolist()
    assert np.array_equal(first.score, again.score, equal_nan=True)


@settings(max_examples=200)
@given(graphs())
def test_a_keep_function_breaks_the_ties_of_the_priority(graph):
    count, pairs, scores, priority, copies, wraps = graph
    calls = []

    def last(members):
        calls.append(list(members))
        return members[-1]

    out = decide(count, pairs, scores, priority, copies=copies, choose=last)
    edges, _ = expanded(count, pairs, scores, copies)
    for i in range(count):
        k = int(out.kept[i])
        assert out.kept[k] == k and (k == i or (i, k) in edges)
    for members in calls:
        assert members == sorted(members) and len(members) > 1
        assert all(np.array_equal(priority[m], priority[members[0]]) for m in members)


def test_a_chain_drops_no_document_for_one_it_does_not_match():
    # 0 - 1 - 2 - 3, each pair verified, 0 preferred: 1 goes with 0, then 2 is kept and takes 3.
    out = decide(4, [(0, 1), (1, 2), (2, 3)], [0.9, 0.9, 0.9], [4, 3, 2, 1])
    assert out.kept.tolist() == [0, 0, 2, 2]
    assert out.sizes.tolist() == [2, 2] and out.cluster.tolist() == [0, 0, 1, 1]
    # The middle preferred: it takes both ends.
    assert decide(3, [(0, 1), (1, 2)], [0.9, 0.8], [1, 5, 2]).kept.tolist() == [1, 1, 1]
    # An end preferred, the far end matching only a dropped document: kept, and said so.
    out = decide(3, [(0, 1), (1, 2)], [0.9, 0.8], [5, 1, 2])
    assert out.kept.tolist() == [0, 0, 2] and out.matched.tolist() == [True, True, True]
    name = lambda k: f"d{k}"  # noqa: E731
    assert describe(out, 1, name=name, methods=["containment-exact"], policy="longest") == "duplicate of d0 (containment-exact 0.900)"
    assert describe(out, 0, name=name, methods=["m"], policy="longest") == "kept for a cluster of 2 (longest)"
    assert describe(out, 2, name=name, methods=["m"], policy="longest") == "kept: its duplicates are dropped for documents it does not match"


def test_a_page_wrapping_its_copy_gives_way_to_it():
    # 0 wraps 1 (an article in a site's chrome): 1 is kept although 0 ranks first.
    out = decide(3, [(0, 1), (1, 2)], [0.95, 0.9], [9, 5, 1], wraps=[(0, 1)])
    assert out.kept.tolist() == [1, 1, 1] and out.wraps.tolist() == [True, False, False]


def test_a_page_is_not_dropped_for_a_fragment_of_it():
    # 1 is a fragment of the pages 0 and 2 and ranks first: it may be dropped for either,
    # neither for it. It waits: 0 is kept and takes it, and 2, which nothing holds, is kept.
    directions = [(False, True), (True, False)]
    out = decide(3, [(0, 1), (1, 2)], [0.9, 0.9], [5, 9, 1], directions=directions)
    assert out.kept.tolist() == [0, 0, 2] and out.score[1] == 0.9
    # Both ways (the default), the fragment would have taken both pages.
    assert decide(3, [(0, 1), (1, 2)], [0.9, 0.9], [5, 9, 1]).kept.tolist() == [1, 1, 1]
    # A page wrapping it may be dropped for it whatever the directions say.
    out = decide(3, [(0, 1), (1, 2)], [0.9, 0.9], [5, 9, 1], directions=directions, wraps=[(0, 1)])
    assert out.kept.tolist() == [0, 2, 2]
    # Directions given in a circle (0 waits for 1, 1 for 2, 2 for 0): the first in keep order
    # goes first and takes what may go for it; 2 may not, and is kept.
    circle = decide(3, [(0, 1), (1, 2), (0, 2)], [0.9, 0.9, 0.9], [1, 9, 5], directions=[(True, False), (True, False), (False, True)])
    assert circle.kept.tolist() == [1, 1, 2]


def test_drop_directions_of_each_kind_of_pair():
    # Equal sizes: either way; a tenth of the larger held: only the smaller may go; a short
    # pair (scored by Jaccard similarity): either way.
    got = drop_directions("containment", 0.8, [0.9, 0.9, 0.9, 0.85], [False, False, True, False], [10, 100, 10, 20], [10, 10, 100, 21])
    assert got.tolist() == [[True, True], [False, True], [True, True], [True, True]]
    # 0.85 x 20 / 21 = 0.8095 of the larger held: nearly one size, either way; at 0.8 x 20 / 21 not.
    assert drop_directions("containment", 0.8, [0.8], [False], [20], [21]).tolist() == [[True, False]]
    assert drop_directions("jaccard", 0.8, [0.8], [False], [20], [100]).tolist() == [[True, True]]


def test_copies_take_their_heads_pairs_and_methods():
    # 1 and 2 are copies of 0; 3 verified against 0 only; 2 preferred.
    out = decide(4, [(0, 3)], [0.85], [1, 1, 9, 0], methods=[4], copies=[(0, 1), (0, 2)], copy_methods=[7, 7])
    assert out.kept.tolist() == [2, 2, 2, 2]
    assert out.score.tolist()[:2] == [1.0, 1.0] and out.score[3] == 0.85
    assert out.method.tolist() == [7, 7, -1, 4]


def test_bad_input_is_refused_with_what_is_wrong():
    with pytest.raises(ValueError, match=r"pair 1: \(0, 5\) is not a pair of documents 0..2"):
        decide(3, [(0, 1), (0, 5)], [0.9, 0.9])
    with pytest.raises(ValueError, match="2 scores for 1 pairs"):
        decide(3, [(0, 1)], [0.9, 0.9])
    with pytest.raises(ValueError, match="pair 0: score nan is not a finite number"):
        decide(3, [(0, 1)], [float("nan")])
    with pytest.raises(ValueError, match="document 1: priority is NaN"):
        decide(3, [(0, 1)], [0.9], [0.0, float("nan"), 1.0])
    with pytest.raises(ValueError, match="one value or row per document"):
        decide(3, [(0, 1)], [0.9], [1.0, 2.0])
    with pytest.raises(ValueError, match="a head must not itself be a copy"):
        decide(3, [], [], copies=[(0, 1), (1, 2)])
    with pytest.raises(ValueError, match="count must be an int"):
        decide(-1, [], [])
    with pytest.raises(ValueError, match="keep function returned 7"):
        decide(3, [(0, 1)], [0.9], choose=lambda members: 7)
    assert decide(0, [], []).kept.tolist() == []


@settings(max_examples=200)
@given(graphs(), st.data())
def test_completeness_is_exact_whether_copies_are_grouped_or_explicit(graph, data):
    count, pairs, _, _, copies, _ = graph
    sizes = [data.draw(st.integers(1, 50)) for _ in range(count)]
    group = list(range(count))
    for head, member in copies:
        group[member] = head
    sizes = [sizes[group[i]] for i in range(count)]  # copies share their head's set
    overlaps = {}
    for i, j in pairs:
        key = (min(group[i], group[j]), max(group[i], group[j]))
        overlaps.setdefault(key, data.draw(st.integers(0, min(sizes[i], sizes[j]))))
    inter = [overlaps[(min(group[i], group[j]), max(group[i], group[j]))] for i, j in pairs]
    grouped = completeness(count, pairs, inter, sizes, copies)
    # The same graph with every pair explicit, each once.
    edges, _ = expanded(count, pairs, [1.0] * len(pairs), copies)
    explicit = sorted({(min(a, b), max(a, b)) for a, b in edges})
    shared = [sizes[a] if group[a] == group[b] else overlaps[(min(group[a], group[b]), max(group[a], group[b]))] for a, b in explicit]
    flat = completeness(count, explicit, shared, sizes)
    assert grouped.tolist() == flat.tolist()
    for i in range(count):
        exact = sum((Fraction(x, sizes[b]) for (a, b), x in zip(explicit + [(b, a) for a, b in explicit], shared + shared) if a == i), Fraction(0))
        assert grouped[i] == float(exact)


def test_a_short_text_needs_near_equality():
    # Smaller sets of 12 and 40 shingles, each contained to 0.9 in its partner.
    jac = np.array([0.5, 0.5, 0.85])
    con = np.array([0.9, 0.9, 0.9])
    small, large = np.array([12, 40, 12]), np.array([20, 70, 13])
    score, duplicate, short = pair_scores("containment", 0.8, 0.2, jac, con, small, large)
    assert short.tolist() == [True, False, True]
    assert score.tolist() == [0.5, 0.9, 0.85] and duplicate.tolist() == [False, True, True]
    assert MIN_EVIDENCE_SHINGLES == 20
    # Jaccard scoring is the same for every pair; the size ratio still applies.
    assert pair_scores("jaccard", 0.8, 0.2, jac, con, small, large)[2].tolist() == [False] * 3
    assert pair_scores("containment", 0.8, 0.5, [0.9], [0.9], [30], [70])[1].tolist() == [False]


@settings(max_examples=300)
@given(
    st.sampled_from(["containment", "jaccard"]),
    st.sampled_from([0.1, 0.3, 1 / 3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0]),
    st.sampled_from([0.05, 0.2, 0.5, 1.0]),
    st.sampled_from([None, 0.3, 0.5, 0.8, 0.95]),
    st.integers(0, 40),
    st.integers(1, 120),
    st.integers(0, 200),
)
def test_least_overlaps_settles_only_pairs_that_cannot_count(measure, threshold, ratio, lowest, min_evidence, small, extra):
    """Every intersection under a pair's need gives a score the verification discards: not a
    duplicate, and not scored again (at ``lowest``, for a sized, not short pair)."""
    large = small + extra
    need = int(least_overlaps(measure, threshold, ratio, np.array([small]), np.array([large]), min_evidence, lowest)[0])
    inter = np.arange(0, small + 1, dtype=np.float64)
    jac, con = inter / (small + large - inter), inter / small
    n = len(inter)
    score, duplicate, short = pair_scores(measure, threshold, ratio, jac, con, np.full(n, small), np.full(n, large), min_evidence)
    sized = small >= ratio * large if measure == "containment" else True
    again = (score >= lowest) & sized & ~short if lowest is not None else np.zeros(n, dtype=bool)
    counts = duplicate | again
    assert not counts[:need].any(), (need, np.flatnonzero(counts)[:1])
    # Never more than one below the fewest that counts.
    if counts.any():
        assert need >= np.flatnonzero(counts)[0] - 1


def test_linear_in_the_number_of_pairs():
    """A component of 200,000 documents in a chain, and 100,000 copies of one page: decided
    in seconds, not in the square of their number."""
    import time

    n = 200_000
    chain = np.column_stack([np.arange(n - 1), np.arange(1, n)])
    started = time.perf_counter()
    out = decide(n, chain, np.full(n - 1, 0.9), np.arange(n, 0, -1, dtype=np.float64))
    assert out.kept[:4].tolist() == [0, 0, 2, 2]
    copies = np.column_stack([np.zeros(100_000 - 1, dtype=np.int64), np.arange(1, 100_000)])
    out = decide(100_000, [], [], copies=copies)
    assert out.sizes.tolist() == [100_000]
    assert time.perf_counter() - started < 30


@settings(max_examples=300)
@given(st.integers(1, 12), st.data())
def test_completeness_of_counts_is_the_sum_of_fractions(count, data):
    """Integer intersections are summed in int64 per partner size and divided once; the same
    floats as the rational sum (float intersections take it), whatever the pairs (given
    twice, within a group of copies, with empty partners) and the copies."""
    pairs = data.draw(st.lists(st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)).filter(lambda p: p[0] != p[1]), max_size=30))
    sizes = data.draw(st.lists(st.integers(0, 60), min_size=count, max_size=count))
    inter = [data.draw(st.integers(0, max(sizes[i], sizes[j], 1))) for i, j in pairs]
    heads = data.draw(st.lists(st.integers(0, count - 1), max_size=3, unique=True))
    members = [m for m in range(count) if m not in heads]
    copies = [(heads[k % len(heads)], m) for k, m in enumerate(data.draw(st.lists(st.sampled_from(members), unique=True, max_size=4)))] if heads and members else []
    counts = completeness(count, pairs, np.array(inter, dtype=np.int64), sizes, copies or None)
    assert completeness(count, pairs, np.array(inter, dtype=np.float64), sizes, copies or None).tolist() == counts.tolist()
    # A fraction of a shingle (an estimated intersection) sends every pair to the rational sum.
    fractions = completeness(count + 1, [*pairs, (0, count)], np.array([*inter, 0.5], dtype=np.float64), [*sizes, 0], copies or None)[:count]
    assert fractions.tolist() == counts.tolist()


def test_keep_priority_of_each_policy():
    lengths = np.array([5, 9, 9, 2])
    pairs = np.array([[0, 1], [1, 2]])
    intersections = np.array([4, 6])
    sizes = np.array([4, 8, 7, 1])
    held = completeness(4, pairs, intersections, sizes)
    assert keep_priority("longest", lengths).tolist() == [[5], [9], [9], [2]]
    assert keep_priority("earliest", lengths).shape == (4, 0)
    assert keep_priority(lambda members: members[0], lengths).shape == (4, 0)
    complete = keep_priority("most_complete", lengths, pairs=pairs, intersections=intersections, sizes=sizes)
    assert complete.tolist() == np.column_stack([held, lengths]).tolist()
    # Documents that must come first (an index's) lead every policy's rows.
    first = np.array([[0, 0], [0, 0], [1, 2], [1, 1]])
    assert keep_priority("longest", lengths, first=first).tolist() == np.column_stack([first, lengths]).tolist()
    assert keep_order(keep_priority("earliest", lengths, first=first)).tolist() == [2, 3, 0, 1]
    # An empty corpus (a one-column `first` of no rows) and an unknown policy.
    assert keep_priority("most_complete", np.zeros(0), first=np.zeros(0)).shape == (0, 3)
    with pytest.raises(ValueError, match="keep must be one of"):
        keep_priority("shortest", lengths)
