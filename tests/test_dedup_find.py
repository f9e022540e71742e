"""find_duplicates end to end: the seed pages, the BBC exact-duplicate groups, determinism,
keep policies and provenance."""

from __future__ import annotations

import gzip
import importlib
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import neardup


def seed_pages(seeds_dir):
    paths = sorted(seeds_dir.glob("*.txt"))
    assert [p.name[:3] for p in paths] == ["000", "001", "002", "003", "004"]
    return [p.read_text(encoding="utf-8") for p in paths]


def test_seed_pages_with_defaults(seeds_dir):
    """000 is 001 wrapped in a .mil site's chrome and sidebar: one cluster, nothing else."""
    docs = seed_pages(seeds_dir)
    result = neardup.find_duplicates(docs)
    assert [sorted(c.members) for c in result.clusters] == [[0, 1]]
    assert [(p.i, p.j) for p in result.pairs] == [(0, 1)]
    pair = result.pairs[0]
    assert pair.containment >= 0.8 > pair.jaccard  # why the defaults use containment
    dropped = [d for d in result.decisions if d.action == "dropped"]
    assert len(dropped) == 1 and dropped[0].kept in (0, 1) and dropped[0].index in (0, 1)
    assert dropped[0].method == "containment-exact" and dropped[0].score == pair.score
    assert [d.reason for d in result.decisions[2:]] == ["unique"] * 3


def test_seed_pages_jaccard_misses_the_wrapped_copy(seeds_dir):
    result = neardup.find_duplicates(seed_pages(seeds_dir), measure="jaccard")
    assert result.clusters == [] and result.pairs == []


@pytest.mark.parametrize("verify", ["exact", "estimate"])
@pytest.mark.parametrize("scheme", ["classic", "oph"])
def test_seed_pages_other_settings(seeds_dir, verify, scheme):
    result = neardup.find_duplicates(seed_pages(seeds_dir), verify=verify, scheme=scheme)
    assert [sorted(c.members) for c in result.clusters] == [[0, 1]]


def load_bbc(shared_data):
    path = shared_data / "dups-bbc-news.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    gold = json.loads((shared_data / "dups-bbc-news-pairs.json").read_text())
    return [r["id"] for r in rows], [r["text"] for r in rows], gold


def test_bbc_exact_duplicate_groups_all_found(shared_data):
    ids, texts, gold = load_bbc(shared_data)
    groups = gold["exact_groups"]
    assert len(groups) == 101
    result = neardup.find_duplicates(texts)
    position = {doc_id: i for i, doc_id in enumerate(ids)}
    kept = [d.kept for d in result.decisions]
    found = [g for g in groups if len({kept[position[doc_id]] for doc_id in g}) == 1]
    assert len(found) == 101
    # Every member of a group but the kept one is dropped, naming the kept one.
    for group in groups:
        members = [position[doc_id] for doc_id in group]
        decisions = [result.decisions[m] for m in members]
        assert sum(d.action == "kept" for d in decisions) == 1
        for d in decisions:
            if d.action == "dropped":
                assert d.score == pytest.approx(1.0) and result.decisions[d.kept].action == "kept"
    # Precision check: every verified pair really passes the threshold exactly.
    shingles = neardup.shingles_batch(texts)
    pairs = np.array([(p.i, p.j) for p in result.pairs])
    assert np.all(neardup.exact_containment(shingles, pairs) >= 0.8)


def test_bbc_subset_same_on_both_orders(shared_data):
    _, texts, _ = load_bbc(shared_data)
    texts = texts[:400]
    forward = neardup.find_duplicates(texts)
    order = np.random.default_rng(0).permutation(len(texts))
    shuffled = neardup.find_duplicates([texts[i] for i in order])
    as_sets = lambda result, index: sorted(sorted(int(index[m]) for m in c.members) for c in result.clusters)  # noqa: E731
    assert as_sets(forward, np.arange(len(texts))) == as_sets(shuffled, order)
    assert forward == neardup.find_duplicates(texts, num_threads=1)


def test_candidates_scored_in_chunks_give_the_same_result(shared_data, monkeypatch):
    """Candidate pairs are scored a chunk at a time and only duplicates and pairs to refine
    are kept: with chunks of 2 pairs the result and the pairs refined are those of one chunk."""
    _, texts, _ = load_bbc(shared_data)
    texts = texts[:400]

    def run() -> tuple[object, list]:
        seen: list = []

        def refine(pairs: np.ndarray) -> np.ndarray:
            seen.append(pairs.tolist())
            return ((pairs[:, 0] * 7 + pairs[:, 1]) % 10) / 9.0

        return neardup.find_duplicates(texts, refine=refine, refine_from=0.2), seen

    whole, whole_refined = run()
    monkeypatch.setattr(importlib.import_module("neardup.cluster"), "SCORE_CHUNK", 2)
    chunked, chunked_refined = run()
    assert whole.num_candidates > 2 * 5 and whole_refined and whole.pairs
    assert chunked == whole and chunked_refined == whole_refined



def test_refine_from_may_give_each_pair_its_own_floor(shared_data):
    """``refine_from`` as a function of the candidate pairs: a pair goes to ``refine`` when
    its score reaches its own floor. With floor 0.1 for pairs of even index sum and 0.3 for
    the others, the pairs refined are the even ones of a run with 0.1 everywhere and the odd
    ones of a run with 0.3; a floor outside [0, 1] or a wrong count is refused."""
    _, texts, _ = load_bbc(shared_data)
    texts = texts[:500]

    def refined(docs: list[str], refine_from) -> set[tuple[int, int]]:
        seen: set[tuple[int, int]] = set()

        def refine(pairs: np.ndarray) -> np.ndarray:
            seen.update(map(tuple, pairs.tolist()))
            return np.zeros(len(pairs))

        neardup.find_duplicates(docs, refine=refine, refine_from=refine_from)
        return seen

    # Texts (whose shared shingles are counted only up to what a pair's floor needs) and
    # pre-hashed shingles (counted whole).
    for docs in (texts, neardup.shingles_batch(texts)):
        low, high = refined(docs, 0.1), refined(docs, 0.3)
        mixed = refined(docs, lambda pairs: np.where(pairs.sum(axis=1) % 2 == 0, 0.1, 0.3))
        assert {sum(p) % 2 for p in low - high} == {0, 1}  # the rule parts both kinds of pairs
        assert mixed == {p for p in low if sum(p) % 2 == 0} | {p for p in high if sum(p) % 2 == 1}
    base = " ".join(f"word{i}" for i in range(120))
    noisy = " ".join(f"word{i}" if i % 6 else f"w0rd{i}" for i in range(120))  # containment 0.3
    assert refined([base, noisy], lambda pairs: np.full(len(pairs), 0.1)) == {(0, 1)}
    for bad, message in [(lambda pairs: np.full(len(pairs), 1.5), "floors must be numbers in"),
                         (lambda pairs: np.full(len(pairs), np.nan), "floors must be numbers in"),
                         (lambda pairs: np.zeros(len(pairs) + 1), "floors for")]:
        with pytest.raises(ValueError, match=message):
            refined([base, noisy], bad)


def corpus():
    body = " ".join(f"word{i}" for i in range(60))
    return [
        "an unrelated short note about something else entirely, nothing shared",  # 0
        body,  # 1
        "menu home sport " + body + " footer contact cookies privacy terms",  # 2: wrapped copy
        " ".join(body.split()[:54]),  # 3: truncated copy
        body,  # 4: exact copy
        "",  # 5: empty
        "",  # 6: empty
    ]


def test_keep_policies_and_provenance():
    docs = corpus()
    longest = neardup.find_duplicates(docs)
    assert [c.members for c in longest.clusters] == [[1, 2, 3, 4]]
    assert longest.clusters[0].kept == 2  # the longest text
    earliest = neardup.find_duplicates(docs, keep="earliest")
    assert earliest.clusters[0].kept == 1
    complete = neardup.find_duplicates(docs, keep="most_complete")
    assert complete.clusters[0].kept == 2  # contains every other member whole
    chosen = neardup.find_duplicates(docs, keep=lambda members: members[-1])
    assert chosen.clusters[0].kept == 4
    for result in (longest, earliest, complete, chosen):
        kept = result.clusters[0].kept
        for d in result.decisions:
            if d.index in (1, 2, 3, 4) and d.index != kept:
                assert d.action == "dropped" and d.kept == kept and d.cluster == 0
                assert d.method == "containment-exact" and 0.8 <= d.score <= 1.0
                assert f"document {kept}" in d.reason
        assert result.decisions[5].reason.startswith("empty") and result.decisions[6].action == "kept"
        assert result.decisions[0].reason == "unique"
    with pytest.raises(ValueError, match="not one of the documents it was given"):
        neardup.find_duplicates(docs, keep=lambda members: 0)


def test_a_chain_of_pairs_drops_no_document_for_one_it_does_not_match():
    words = [f"w{i}" for i in range(100)]
    a = " ".join(words[:60])
    b = " ".join(words[10:70])  # Jaccard with a: 50/70
    c = " ".join(words[20:80])  # Jaccard with b: 50/70, with a: 40/80
    result = neardup.find_duplicates([a, b, c], threshold=0.7, measure="jaccard", keep="earliest", params=(64, 2), n=1)
    # b is dropped for a; c matches only b, which is dropped, so c is kept (it was dropped
    # "as a duplicate of a (0.500), linked through b" when clusters were connected components).
    assert [c.members for c in result.clusters] == [[0, 1]]
    assert result.decisions[1].kept == 0 and result.decisions[1].score == pytest.approx(50 / 70)
    last = result.decisions[2]
    assert last.action == "kept" and last.kept == 2 and last.cluster is None
    assert last.reason == "kept: its duplicates are dropped for documents it does not match"


def test_prehashed_shingles_and_bad_input():
    docs = corpus()
    from_texts = neardup.find_duplicates(docs, keep="earliest")
    from_shingles = neardup.find_duplicates(neardup.shingles_batch(docs), keep="earliest")
    assert from_texts.clusters == from_shingles.clusters and from_texts.pairs == from_shingles.pairs
    with pytest.raises(TypeError, match="document 1: expected str"):
        neardup.find_duplicates(["fine", 42])
    with pytest.raises(ValueError, match="document 0: lone surrogate"):
        neardup.find_duplicates(["\udc80 bad"])
    with pytest.raises(ValueError, match="measure"):
        neardup.find_duplicates(docs, measure="cosine")
    with pytest.raises(ValueError, match="keep"):
        neardup.find_duplicates(docs, keep="newest")
    with pytest.raises(ValueError, match="threshold"):
        neardup.find_duplicates(docs, threshold=0)
    assert neardup.find_duplicates([]).decisions == []


def test_cluster_function():
    kept, via = neardup.cluster(5, [(3, 1), (1, 0)], priority=[0, 0, 0, 5, 0])
    assert kept.tolist() == [3, 3, 2, 3, 4]
    assert via.tolist() == [1, 3, 2, 3, 4]
    with pytest.raises(ValueError, match="pair 0: document 7 out of range"):
        neardup.cluster(5, [(7, 1)])


def test_refine_scores_the_near_misses_again():
    import numpy as np

    base = " ".join(f"word{i}" for i in range(120))
    noisy = " ".join(f"word{i}" if i % 6 else f"w0rd{i}" for i in range(120))  # a noisy copy
    other = " ".join(f"other{i}" for i in range(120))
    docs = [base, noisy, other]
    plain = neardup.find_duplicates(docs)
    assert plain.clusters == []
    seen = []

    def refine(pairs):
        seen.append(pairs.tolist())
        return np.full(len(pairs), 0.95)

    refined = neardup.find_duplicates(docs, refine=refine, refine_from=0.1)
    assert seen and all(sorted(p) == [0, 1] for p in seen[0])
    (dropped,) = [d for d in refined.decisions if d.action == "dropped"]
    assert dropped.method.endswith("+refined") and dropped.score == 0.95
    with pytest.raises(ValueError, match="refine returned"):
        neardup.find_duplicates(docs, refine=lambda pairs: [1.0, 1.0, 1.0], refine_from=0.1)
    with pytest.raises(TypeError, match="refine must be"):
        neardup.find_duplicates(docs, refine="align")


def test_a_short_text_is_not_dropped_on_containment_alone():
    """Two caption pages left, after cleaning, with the same 14 words of their site's
    template and 2 words of their own: 10 of 12 shingles shared (containment 0.83, Jaccard
    0.71). Too little evidence for containment: not duplicates (they were, before the rule)."""
    template = "share this story on facebook twitter or email and sign up for our daily newsletter"
    assert len(template.split()) == 15
    template = " ".join(template.split()[:14])
    a, b = template + " flood warning", template + " election results"
    found = neardup.find_duplicates([a, b])
    assert found.dropped == [] and found.pairs == []
    # Near-equal short texts still are duplicates (scored by Jaccard), and so are long texts
    # sharing as large a share of their shingles.
    same = neardup.find_duplicates([a + " .", a])
    assert same.dropped == [1] and same.decisions[1].method == "jaccard-exact" and same.decisions[1].score == 1.0
    long = " ".join(f"word{i}" for i in range(60))
    found = neardup.find_duplicates([long + " election results", long + " flood warning"])
    assert found.dropped == [1] and found.decisions[1].method == "containment-exact"
    # The rule's size is a parameter: without it, the captions are contained.
    assert neardup.find_duplicates([a, b], min_evidence=0).dropped == [0]


def test_copies_are_grouped_by_whole_rows_when_row_keys_collide():
    """Documents with equal signatures are grouped through a 64-bit key of each row (the
    wrapping sum of the values times odd weights, as neardup.cluster computes it); two
    different rows sharing a key still make two groups, each headed by its lowest index."""
    exact_groups = importlib.import_module("neardup.cluster")._exact_groups
    mask = 2**64 - 1
    w0, w1 = 0x9E3779B97F4A7C15, (0x9E3779B97F4A7C15 * 3) & mask
    a = [5, 2**63 + 11]
    b = [(a[0] + w1) & mask, (a[1] - w0) & mask]  # a's key, another row
    assert (a[0] * w0 + a[1] * w1) & mask == (b[0] * w0 + b[1] * w1) & mask and a != b
    signatures = np.array([a, b, a, b, [1, 2]], dtype=np.uint64)
    heads, copies = exact_groups(signatures, np.arange(5), None)
    assert heads.tolist() == [0, 1, 4]
    assert copies.tolist() == [[0, 2], [1, 3]]
    heads, copies = exact_groups(signatures, np.array([1, 2, 3]), None)
    assert heads.tolist() == [1, 2] and copies.tolist() == [[1, 3]]


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=40), st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=40), st.sampled_from([1, 3, 2**20]))
def test_anchor_pairs_join_the_candidates_they_are_not_among(candidates, found, chunk):
    """The anchors' pairs follow the LSH candidates, each pair that is not already a candidate
    once it is looked up chunk by chunk of candidates (whatever the chunk)."""
    cluster = importlib.import_module("neardup.cluster")
    as_pairs = lambda rows: np.array(sorted({(min(a, b), max(a, b)) for a, b in rows if a != b}), dtype=np.int64).reshape(-1, 2)  # noqa: E731
    held, new = as_pairs(candidates), as_pairs(found)
    expected = held.tolist() + [pair for pair in new.tolist() if pair not in held.tolist()]
    original = cluster.SCORE_CHUNK
    try:
        cluster.SCORE_CHUNK = chunk
        assert cluster._with_new_pairs(held, new).tolist() == expected
    finally:
        cluster.SCORE_CHUNK = original
