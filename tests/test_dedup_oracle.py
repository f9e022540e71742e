"""find_duplicates against an all-pairs oracle written from its docstring.

find_duplicates verifies exact copies against their group's first member only and pairs
only the groups' heads through LSH; its docstring promises the clusters, kept documents and
scores of all-pairs verification (``keep="most_complete"``: up to sums equal as floats). The oracle
here verifies every pair LSH with one row per band would propose (every pair of non-empty
documents sharing a signature value) and builds the star clusters the docstring describes,
quadratically: in keep order, an undecided document that no undecided partner holds without
being held back is kept and takes every undecided document verified against it that it holds
(score x smaller size / that document's size >= threshold under containment).
It covers what the shortcut can get wrong: copies under every keep policy, estimated
verification (copies grouped by signature *and* size) and equal signatures of different
sets (the hash-collision branch, reachable through :class:`neardup.SignedDocs`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neardup
from neardup.cluster import ShingledTexts, SignedDocs

NUM_PERM = 32
VOCAB = [f"w{i}" for i in range(30)]
KEEPS = ["longest", "earliest", "most_complete"]


@st.composite
def corpora(draw) -> list[str]:
    """Documents made from a few word lists: exact copies, copies with more characters but
    the same words, truncated copies, copies with extra words, and empty ones."""
    bases = draw(st.lists(st.lists(st.sampled_from(VOCAB), min_size=1, max_size=16), min_size=1, max_size=4))
    docs = []
    for _ in range(draw(st.integers(2, 14))):
        words = draw(st.sampled_from(bases))
        how = draw(st.sampled_from(["same", "spaced", "cut", "extra", "empty"]))
        if how == "spaced":
            words = ["  ".join(words)]
        elif how == "cut":
            words = words[: draw(st.integers(1, len(words)))]
        elif how == "extra":
            words = words + draw(st.lists(st.sampled_from(VOCAB), min_size=1, max_size=4))
        elif how == "empty":
            words = []
        docs.append(" ".join(words))
    return docs


def oracle(sets, lengths, signatures, threshold, measure, verify, keep, min_size_ratio=0.2, min_evidence=20):
    """(kept, the accepted pairs, each pair's score, exact completeness) of all-pairs
    verification and star clustering."""
    n = len(sets)
    accepted, completeness = set(), [Fraction(0)] * n
    scores = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            a, b = len(sets[i]), len(sets[j])
            if not a or not b:
                continue
            # Scores are floats compared with the float threshold, as the docstring says
            # (4/5 as a float is >= 0.8; the fraction 4/5 is below the float 0.8).
            if verify == "exact":
                inter = len(sets[i] & sets[j])
                jac, con = inter / (a + b - inter), inter / min(a, b)
            else:  # the Jaccard estimate, and the intersection and containment derived from it
                jac = int((signatures[i] == signatures[j]).sum()) / NUM_PERM
                inter = min(jac * (a + b) / (1.0 + jac), min(a, b))
                con = inter / min(a, b)
            # A short text is scored by Jaccard similarity: near-equality, not containment.
            scores[i, j] = scores[j, i] = jac if measure == "jaccard" or min(a, b) < min_evidence else con
            if not (signatures[i] == signatures[j]).any():
                continue  # what LSH with one row per band never proposes
            if measure == "jaccard":
                ok = jac >= threshold
            else:
                ok = scores[i, j] >= threshold and min(a, b) >= min_size_ratio * max(a, b)
            if ok:
                accepted |= {(i, j), (j, i)}
                completeness[i] += Fraction(inter) / b
                completeness[j] += Fraction(inter) / a
    if keep == "longest":
        key = [(-lengths[i], i) for i in range(n)]
    elif keep == "earliest":
        key = [(i,) for i in range(n)]
    else:  # exact completeness, then length
        key = [(-completeness[i], -lengths[i], i) for i in range(n)]

    def may_go(j: int, i: int) -> bool:
        """Whether j may be dropped for i: i holds at least the threshold of j."""
        a, b = len(sets[j]), len(sets[i])
        if measure == "jaccard" or min(a, b) < min_evidence:
            return True
        return scores[i, j] * min(a, b) / a >= threshold

    kept, decided = list(range(n)), [False] * n
    ranked = sorted(range(n), key=lambda i: key[i])
    while not all(decided):
        # The first undecided document that waits for no undecided partner holding it.
        i = next(
            i for i in ranked if not decided[i] and not any(not decided[j] and (i, j) in accepted and may_go(i, j) and not may_go(j, i) for j in range(n))
        )
        decided[i] = True
        for j in range(n):
            if not decided[j] and (i, j) in accepted and may_go(j, i):
                decided[j], kept[j] = True, i
    return kept, accepted, scores, completeness


def check(found, sets, lengths, signatures, threshold, measure, verify, keep, min_evidence=20):
    kept, accepted, scores, completeness = oracle(sets, lengths, signatures, threshold, measure, verify, keep, min_evidence=min_evidence)
    got_kept = [d.kept for d in found.decisions]
    # Whatever the ties: every dropped document names a kept one it was verified against,
    # with that pair's score.
    for d in found.decisions:
        if d.action == "dropped":
            assert (d.index, d.kept) in accepted
            assert found.decisions[d.kept].action == "kept"
            assert d.score == scores[d.index, d.kept] and d.score >= threshold
    near_tie = False
    if keep == "most_complete":
        # The completeness is exact, rounded once: different sums may round to one float.
        near_tie = len({float(c) for c in completeness}) < len(set(completeness))
    if not near_tie:
        assert got_kept == kept
    # Every pair reported is one the oracle accepts, with its score.
    assert {(p.i, p.j) for p in found.pairs} <= accepted
    for p in found.pairs:
        assert p.score == scores[p.i, p.j]


@settings(max_examples=150)
@given(corpora(), st.sampled_from(KEEPS), st.sampled_from(["exact", "estimate"]), st.sampled_from(["containment", "jaccard"]),
       st.sampled_from([0.5, 0.8, 1.0]), st.sampled_from([0, 6, 20]))
def test_copies_decide_as_all_pairs_verification(docs, keep, verify, measure, threshold, min_evidence):
    found = neardup.find_duplicates(docs, threshold, measure=measure, verify=verify, keep=keep, n=1,
                                    num_perm=NUM_PERM, params=(NUM_PERM, 1), min_evidence=min_evidence)
    sets = [frozenset(neardup.shingles(d, n=1).tolist()) for d in docs]
    signatures = neardup.minhash(docs, num_perm=NUM_PERM, n=1).values
    check(found, sets, [len(d) for d in docs], signatures, threshold, measure, verify, keep, min_evidence)


@settings(max_examples=150)
@given(corpora(), st.sampled_from(KEEPS), st.sampled_from(["containment", "jaccard"]), st.sampled_from([0.5, 0.8, 1.0]),
       st.sampled_from([1, 2]), st.data())
def test_texts_held_as_shingle_sets_decide_as_the_texts(docs, keep, measure, threshold, n, data):
    """``ShingledTexts`` (what ``neardup dups`` holds), fed in batches of any size, gives the
    decisions, pairs and scores of the texts themselves."""
    held = ShingledTexts(n=n)
    held.add([])
    start = 0
    while start < len(docs):
        end = start + data.draw(st.integers(1, len(docs) - start))
        held.add(docs[start:end])
        start = end
    assert len(held) == len(docs)
    args = dict(measure=measure, keep=keep, num_perm=NUM_PERM, params=(NUM_PERM, 1), min_evidence=6)
    found = neardup.find_duplicates(held.signed(num_perm=NUM_PERM), threshold, **args)
    expected = neardup.find_duplicates(docs, threshold, n=n, **args)
    assert found.decisions == expected.decisions and found.pairs == expected.pairs and found.clusters == expected.clusters
    assert len(held) == 0  # the sets moved into the SignedDocs


@settings(max_examples=50)
@given(corpora(), corpora())
def test_texts_held_after_signing_start_a_new_collection(first, second):
    """Texts added after ``signed`` start a new collection, and the ``SignedDocs`` given
    before still decide as their own texts: the array they hold is never grown or reused."""
    held = ShingledTexts()
    held.add(first)
    signed = held.signed(num_perm=NUM_PERM)
    held.add(second)
    held.add(second)
    again = held.signed(num_perm=NUM_PERM)
    args = dict(num_perm=NUM_PERM, params=(NUM_PERM, 1))
    assert neardup.find_duplicates(signed, 0.8, **args).decisions == neardup.find_duplicates(first, 0.8, **args).decisions
    assert neardup.find_duplicates(again, 0.8, **args).decisions == neardup.find_duplicates(second + second, 0.8, **args).decisions


def test_no_texts_held_give_no_documents() -> None:
    held = ShingledTexts()
    held.add([])
    found = neardup.find_duplicates(held.signed(), 0.8)
    assert found.decisions == [] and found.pairs == []


@settings(max_examples=150)
@given(corpora(), st.sampled_from(KEEPS), st.sampled_from(["containment", "jaccard"]), st.data())
def test_equal_signatures_of_different_sets_are_compared_like_any_pair(docs, keep, measure, data):
    """SignedDocs whose signatures collide: some documents get the signature of another with
    a different set. Exact verification must find them unequal and compare them with the
    group's other members and its head's candidates, as LSH would have paired them."""
    sets = [frozenset(neardup.shingles(d, n=1).tolist()) for d in docs]
    signatures = neardup.minhash(docs, num_perm=NUM_PERM, n=1).values.copy()
    nonempty = [i for i, s in enumerate(sets) if s]
    for target in data.draw(st.lists(st.sampled_from(nonempty), max_size=4)) if nonempty else []:
        source = data.draw(st.sampled_from(nonempty))
        signatures[target] = signatures[source]
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    lengths = np.array([len(d) for d in docs], dtype=np.int64)

    def intersections(pairs: np.ndarray) -> list[int]:
        return [len(sets[i] & sets[j]) for i, j in pairs.tolist()]

    signed = SignedDocs(signatures, sizes, lengths, intersections)
    found = neardup.find_duplicates(signed, 0.8, measure=measure, keep=keep, num_perm=NUM_PERM, params=(NUM_PERM, 1), min_evidence=6)
    check(found, sets, lengths.tolist(), signatures, 0.8, measure, "exact", keep, 6)
    # Handed over by a function, the array is reused for the LSH rows: the same result.
    handed = SignedDocs(lambda: signatures.copy(), sizes, lengths, intersections)
    again = neardup.find_duplicates(handed, 0.8, measure=measure, keep=keep, num_perm=NUM_PERM, params=(NUM_PERM, 1), min_evidence=6)
    assert again.decisions == found.decisions and again.pairs == found.pairs
    # Given the band keys instead, the same; also with bands that leave values unused, so
    # that unequal signatures have equal keys and are grouped, then found to differ.
    for params in ((NUM_PERM, 1), (NUM_PERM // 4, 2)):
        by_signatures = neardup.find_duplicates(signed, 0.8, measure=measure, keep=keep, num_perm=NUM_PERM, params=params, min_evidence=6)
        keys = neardup.band_keys(signatures, *params)
        keyed = SignedDocs(lambda: keys.copy(), sizes, lengths, intersections, bands=params)
        by_keys = neardup.find_duplicates(keyed, 0.8, measure=measure, keep=keep, num_perm=NUM_PERM, params=params, min_evidence=6)
        assert by_keys.decisions == by_signatures.decisions and by_keys.pairs == by_signatures.pairs
    # Given intersections that may stop below a pair's need, the same (pairs scored again
    # by a refine function too, whose candidates the needs must not cut off).
    def at_least(pairs: np.ndarray, need: np.ndarray) -> list[int]:
        return [shared if shared >= k else 0 for shared, k in zip(intersections(pairs), need.tolist())]

    def refine(pairs: np.ndarray) -> np.ndarray:
        return np.array([0.9 if (i + j) % 2 else 0.3 for i, j in pairs.tolist()], dtype=np.float64)

    for refine_with in (None, refine):
        exact = neardup.find_duplicates(signed, 0.8, measure=measure, keep=keep, num_perm=NUM_PERM, params=(NUM_PERM, 1), min_evidence=6, refine=refine_with)
        bounded = SignedDocs(signatures, sizes, lengths, intersections, intersections_at_least=at_least)
        stopped = neardup.find_duplicates(bounded, 0.8, measure=measure, keep=keep, num_perm=NUM_PERM, params=(NUM_PERM, 1), min_evidence=6, refine=refine_with)
        assert stopped.decisions == exact.decisions and stopped.pairs == exact.pairs


def test_band_keys_must_be_those_of_the_call():
    docs = ["w1 w2 w3 w4 w5", "w1 w2 w3 w4 w6"]
    signatures = neardup.minhash(docs, num_perm=NUM_PERM, n=1).values
    bands = neardup.candidate_bands(0.8, num_perm=NUM_PERM)
    keys = neardup.band_keys(signatures, *bands)
    sizes = np.array([5, 5])

    def keyed(made_with):
        return SignedDocs(keys, sizes, sizes, lambda pairs: [4] * len(pairs), bands=made_with)

    assert neardup.find_duplicates(keyed(bands), 0.8, num_perm=NUM_PERM, n=1).info["lsh_threshold"] > 0
    other = (bands[0] // 2, bands[1])
    with pytest.raises(ValueError, match="band keys"):
        neardup.find_duplicates(keyed(other), 0.8, num_perm=NUM_PERM, n=1)
    with pytest.raises(ValueError, match="exact verification"):
        neardup.find_duplicates(keyed(bands), 0.8, num_perm=NUM_PERM, n=1, verify="estimate")
    with pytest.raises(ValueError, match=r"band keys must be \(n, "):
        neardup.find_duplicates(SignedDocs(signatures, sizes, sizes, lambda pairs: [4] * len(pairs), bands=bands), 0.8, num_perm=NUM_PERM, n=1)


def test_the_collision_branch_on_its_own():
    """Two different sets under one signature: not copies, compared as a pair."""
    docs = ["w1 w2 w3 w4 w5", "w1 w2 w3 w4 w6", "w1 w2 w3 w4 w5 w6"]
    sets = [frozenset(neardup.shingles(d, n=1).tolist()) for d in docs]
    signatures = neardup.minhash(docs, num_perm=NUM_PERM, n=1).values.copy()
    signatures[1] = signatures[0]
    signed = SignedDocs(signatures, np.array([5, 5, 6]), np.array([5, 5, 6]),
                        lambda pairs: [len(sets[i] & sets[j]) for i, j in pairs.tolist()])
    found = neardup.find_duplicates(signed, 0.8, num_perm=NUM_PERM, params=(NUM_PERM, 1), min_evidence=0)
    assert found.info["exact_copies"] == 0  # 1 is not a copy of 0 although it signs the same
    assert [d.kept for d in found.decisions] == [2, 2, 2]


def test_copies_of_a_colliding_set_are_compared_once_each():
    """A page missing one word often signs like the whole page. With it first, 1,000 whole
    copies of the page all collide with it: they are grouped by set (the first whole copy
    leads, the others are its copies), not compared pairwise (500,500 pairs)."""
    page = frozenset(range(400))
    sets = [page - {7}] + [page] * 1000
    signature = np.arange(NUM_PERM, dtype=np.uint64)
    signed = SignedDocs(np.tile(signature, (len(sets), 1)), np.array([len(x) for x in sets]), np.array([len(x) for x in sets]),
                        lambda pairs: [len(sets[i] & sets[j]) for i, j in pairs.tolist()])
    found = neardup.find_duplicates(signed, 0.8, num_perm=NUM_PERM)
    assert found.num_candidates == 1000 and found.info["exact_copies"] == 999
    assert [d.kept for d in found.decisions] == [1] * len(sets)
    assert found.decisions[0].score == 1.0 and found.decisions[2].score == 1.0
