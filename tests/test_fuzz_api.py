"""Fuzzing every public entry point with hostile arguments (docs/fuzzing.md).

For each function, every argument is drawn valid or hostile (None, bytes, huge and negative
ints, NaN and infinities, lone surrogates, containers of the wrong things...). The call must
succeed when every argument is valid, and otherwise raise a TypeError or ValueError whose
message names the bad argument; never crash, hang or raise anything else. With the core
built, the same call runs on both backends, which must agree (equal results, or the same
error type).
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neardup
from fuzz_support import HOSTILE, check_call
from strategies import INTERESTING

small_texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=INTERESTING, max_size=60),
    st.lists(st.sampled_from(["the", "news", "caf\u00e9", "\u6771\u4eac", "\n", "42", "a-b"]), max_size=30).map(" ".join),
)
text_lists = st.lists(small_texts, max_size=4)
threads = st.sampled_from([None, 1, 2])
seeds = st.one_of(st.integers(0, 3), st.just(2**64 - 1))
probabilities = st.floats(0.0, 1.0)
u64s = st.integers(0, 2**64 - 1)


@dataclass
class Arg:
    """One argument: its valid values and the words a message about it may use."""

    valid: st.SearchStrategy[Any]
    names: tuple[str, ...]
    keyword: bool = True


@dataclass
class Target:
    name: str
    call: Callable[..., Any]
    args: dict[str, Arg]


def _text(names: tuple[str, ...] = ("text", "str", "document")) -> Arg:
    return Arg(small_texts, names, keyword=False)


def _texts() -> Arg:
    return Arg(text_lists, ("document", "str", "iterable", "texts"), keyword=False)


#: Flags of the targets that read them by truthiness (Python's convention): any value is a
#: valid flag, and the error of a value without a truth value (a numpy array) needs not name
#: the flag. A checked flag (mask_digits, repeats) names itself.
FLAG: tuple[str, ...] = ("",)
DOC_WORDS = ("document", "str", "iterable", "expected", "docs", "texts")


def _signatures(num_perm: int = 16) -> st.SearchStrategy[np.ndarray]:
    return st.lists(st.lists(u64s, min_size=num_perm, max_size=num_perm), min_size=1, max_size=4).map(
        lambda rows: np.array(rows, dtype=np.uint64)
    )


def _pairs(n: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    return st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4)


def _fuzzy(name: str) -> Target:
    fn = getattr(neardup, name)
    return Target(name, lambda a, b, **kw: fn(a, b, **kw), {"a": _text(("a", "str")), "b": _text(("b", "str")), "normalize": Arg(st.booleans(), ("normalize",))})


def _lsh_ops(threshold: float, num_perm: int, keys: Any, query: Any) -> Any:
    lsh = neardup.MinHashLSH(threshold=threshold, num_perm=num_perm)
    lsh.insert_batch(keys, neardup.minhash(["a b c d e f", "a b c d e g", "x y z"], num_perm=16))
    return lsh.query(query), lsh.candidate_pairs(), len(lsh)


def _simhash_index_ops(k: int, blocks: Any, fingerprints: Any, query: Any) -> Any:
    index = neardup.SimHashIndex(k, blocks)
    index.insert_batch(["a", "b", "c"], fingerprints)
    index.insert("d", query)
    return index.query_with_distances(query), index.pairs()


def _chrome_ops(min_pages: Any, texts_: Any, sites: Any, page: Any, site: Any) -> Any:
    model = neardup.ChromeModel(min_pages=min_pages)
    model.update(texts_, sites)
    stripped = model.strip(page, site)
    again = neardup.ChromeModel.from_dict(model.to_dict())
    return stripped, again.strip(page, site), model.sites


TARGETS = [
    Target("normalize", lambda text, **kw: neardup.normalize(text, **kw), {"text": _text(), "mask_digits": Arg(st.booleans(), ("mask_digits",))}),
    Target("normalize_batch", lambda texts, **kw: neardup.normalize_batch(texts, **kw), {"texts": _texts(), "num_threads": Arg(threads, ("num_threads",))}),
    Target("segment", lambda text: neardup.segment(text), {"text": _text()}),
    Target("segment_batch", lambda texts, **kw: neardup.segment_batch(texts, **kw), {"texts": _texts(), "num_threads": Arg(threads, ("num_threads",))}),
    Target("tokenize", lambda text: neardup.tokenize(text), {"text": _text()}),
    Target("tokenize_batch", lambda texts, **kw: neardup.tokenize_batch(texts, **kw), {"texts": _texts(), "num_threads": Arg(threads, ("num_threads",))}),
    Target(
        "shingles",
        lambda text, **kw: neardup.shingles(text, **kw),
        {"text": _text(), "n": Arg(st.integers(1, 6), ("n ",)), "kind": Arg(st.sampled_from(["word", "char"]), ("kind",)), "seed": Arg(seeds, ("seed",))},
    ),
    Target(
        "shingles_batch",
        lambda texts, **kw: neardup.shingles_batch(texts, **kw),
        {"texts": _texts(), "n": Arg(st.integers(1, 6), ("n ",)), "kind": Arg(st.sampled_from(["word", "char"]), ("kind",)), "seed": Arg(seeds, ("seed",)), "num_threads": Arg(threads, ("num_threads",))},
    ),
    Target("hash64", lambda data, **kw: neardup.hash64(data, **kw), {"data": Arg(st.one_of(small_texts, st.binary(max_size=40)), ("data", "str", "bytes", "text"), keyword=False), "seed": Arg(seeds, ("seed",))}),
    Target(
        "minhash",
        lambda docs, **kw: neardup.minhash(docs, **kw),
        {
            "docs": Arg(text_lists, DOC_WORDS, keyword=False),
            "num_perm": Arg(st.integers(1, 64), ("num_perm",)),
            "seed": Arg(seeds, ("seed",)),
            "scheme": Arg(st.sampled_from(["classic", "oph"]), ("scheme",)),
            "n": Arg(st.integers(1, 5), ("n ",)),
            "kind": Arg(st.sampled_from(["word", "char"]), ("kind",)),
            "shingle_seed": Arg(seeds, ("seed",)),
            "num_threads": Arg(threads, ("num_threads",)),
        },
    ),
    Target(
        "minhash_arrays",
        lambda docs, **kw: neardup.minhash(docs, **kw),
        {"docs": Arg(st.lists(st.lists(u64s, max_size=8).map(lambda v: np.array(v, dtype=np.uint64)), min_size=1, max_size=3), DOC_WORDS, keyword=False), "num_perm": Arg(st.integers(1, 32), ("num_perm",))},
    ),
    Target(
        "datasketch_minhash",
        lambda docs, **kw: neardup.datasketch_minhash(docs, **kw),
        {
            "docs": Arg(st.lists(st.lists(st.binary(max_size=8), max_size=5), max_size=3), ("document", "bytes", "expected", "iterable", "docs", "shingle")),
            "num_perm": Arg(st.integers(1, 32), ("num_perm",)),
            "seed": Arg(st.integers(0, 2**32 - 1), ("seed",)),
            "scheme": Arg(st.sampled_from(["affine32", "affine64", "legacy"]), ("scheme",)),
        },
    ),
    Target("lsh_params", lambda **kw: neardup.lsh_params(**kw), {"threshold": Arg(probabilities, ("threshold",)), "num_perm": Arg(st.integers(1, 64), ("num_perm",)), "weights": Arg(st.sampled_from([(0.5, 0.5), (0.2, 0.8), (1.0, 0.0)]), ("weights",))}),
    Target("lsh_probability", lambda **kw: neardup.lsh_probability(kw["similarity"], kw["bands"], kw["rows"]), {"similarity": Arg(probabilities, ("similarity",)), "bands": Arg(st.integers(1, 32), ("bands",)), "rows": Arg(st.integers(1, 8), ("rows",))}),
    Target("candidate_pairs", lambda signatures, **kw: neardup.candidate_pairs(signatures, **kw), {"signatures": Arg(_signatures(), ("signatures", "array"), keyword=False), "threshold": Arg(probabilities, ("threshold",)), "params": Arg(st.sampled_from([None, (4, 4), (16, 1), (1, 1)]), ("params", "bands", "rows"))}),
    Target("estimate_jaccard", lambda signatures, pairs: neardup.estimate_jaccard(signatures, pairs), {"signatures": Arg(_signatures(), ("signatures", "array"), keyword=False), "pairs": Arg(_pairs(1), ("pair",), keyword=False)}),
    Target(
        "exact_jaccard",
        lambda shingles, pairs: (neardup.exact_jaccard(shingles, pairs), neardup.exact_containment(shingles, pairs)),
        {"shingles": Arg(st.lists(st.lists(u64s, max_size=6).map(lambda v: np.array(v, dtype=np.uint64)), min_size=2, max_size=3), DOC_WORDS + ("shingle",), keyword=False), "pairs": Arg(_pairs(2), ("pair",), keyword=False)},
    ),
    Target("cluster", lambda n, pairs, priority: neardup.cluster(n, pairs, priority), {"n": Arg(st.just(4), ("n ", "document"), keyword=False), "pairs": Arg(_pairs(4), ("pair",), keyword=False), "priority": Arg(st.one_of(st.none(), st.lists(st.floats(-5, 5), min_size=4, max_size=4)), ("priority",), keyword=False)}),
    Target(
        "find_duplicates",
        lambda docs, **kw: neardup.find_duplicates(docs, **kw).decisions,
        {
            "docs": Arg(st.lists(st.sampled_from(["a b c d e f g h", "a b c d e f g i", "x y z", "", "caf\u00e9 \u6771\u4eac"]), max_size=5), DOC_WORDS, keyword=False),
            "threshold": Arg(st.floats(0.1, 1.0), ("threshold",)),
            "measure": Arg(st.sampled_from(["containment", "jaccard"]), ("measure",)),
            "verify": Arg(st.sampled_from(["exact", "estimate"]), ("verify",)),
            "num_perm": Arg(st.sampled_from([16, 32]), ("num_perm",)),
            "keep": Arg(st.sampled_from(["longest", "earliest", "most_complete"]), ("keep",)),
            "n": Arg(st.integers(1, 4), ("n ",)),
            "min_size_ratio": Arg(st.floats(0.05, 1.0), ("min_size_ratio",)),
        },
    ),
    Target("MinHashLSH", lambda **kw: _lsh_ops(**kw), {"threshold": Arg(probabilities, ("threshold",)), "num_perm": Arg(st.just(16), ("num_perm", "signature")), "keys": Arg(st.lists(st.integers(0, 5) | st.text(max_size=3), min_size=3, max_size=3, unique=True), ("key", "hashable")), "query": Arg(st.just(np.zeros(16, dtype=np.uint64)), ("signature", "num_perm"))}),
    Target("simhash_text", lambda text, **kw: neardup.simhash_text(text, **kw), {"text": _text(), "n": Arg(st.integers(1, 4), ("n ",)), "kind": Arg(st.sampled_from(["word", "char"]), ("kind",)), "weighting": Arg(st.sampled_from(["tf", "binary"]), ("weighting",)), "shingle_seed": Arg(seeds, ("seed",))}),
    Target("simhash_batch", lambda docs, **kw: neardup.simhash_batch(docs, **kw), {"docs": Arg(text_lists, DOC_WORDS, keyword=False), "weighting": Arg(st.sampled_from(["tf", "binary"]), ("weighting",)), "num_threads": Arg(threads, ("num_threads",))}),
    Target(
        "simhash_features",
        lambda hashes, weights: neardup.simhash_features(hashes, weights),
        {"hashes": Arg(st.lists(u64s, min_size=3, max_size=3), ("hash", "feature"), keyword=False), "weights": Arg(st.one_of(st.none(), st.lists(st.floats(0, 100), min_size=3, max_size=3)), ("weight",), keyword=False)},
    ),
    Target("hamming", lambda a, b: neardup.hamming(a, b), {"a": Arg(u64s, ("a ", "fingerprint", "a must"), keyword=False), "b": Arg(u64s, ("b ", "fingerprint", "b must"), keyword=False)}),
    Target("simhash_pairs", lambda fingerprints, **kw: neardup.simhash_pairs(fingerprints, **kw), {"fingerprints": Arg(st.lists(u64s, max_size=6).map(lambda v: np.array(v, dtype=np.uint64)), ("fingerprint",), keyword=False), "k": Arg(st.integers(0, 4), ("k ",)), "blocks": Arg(st.sampled_from([None, 6, 8]), ("blocks",))}),
    Target("SimHashIndex", lambda **kw: _simhash_index_ops(**kw), {"k": Arg(st.integers(0, 4), ("k ",)), "blocks": Arg(st.sampled_from([None, 6]), ("blocks",)), "fingerprints": Arg(st.lists(u64s, min_size=3, max_size=3), ("fingerprint",)), "query": Arg(u64s, ("fingerprint",))}),
    Target("site_key", lambda url: neardup.site_key(url), {"url": Arg(st.sampled_from(["https://www.example.com/a", "http://news.bbc.co.uk/", "https://x.org"]), ("url",), keyword=False)}),
    Target("find_repeats", lambda text, **kw: neardup.find_repeats(text, **kw), {"text": _text(), "min_lines": Arg(st.integers(1, 3), ("min_lines",)), "min_chars": Arg(st.integers(0, 50), ("min_chars",)), "long_chars": Arg(st.integers(0, 50), ("long_chars",))}),
    Target("find_repeats_batch", lambda texts, **kw: neardup.find_repeats_batch(texts, **kw), {"texts": _texts(), "min_lines": Arg(st.integers(1, 3), ("min_lines",)), "num_threads": Arg(threads, ("num_threads",))}),
    Target("collapse_repeats", lambda text, **kw: neardup.collapse_repeats(text, **kw), {"text": _text(), "min_lines": Arg(st.integers(1, 3), ("min_lines",)), "min_chars": Arg(st.integers(0, 50), ("min_chars",))}),
    Target("repetition_stats", lambda text, **kw: neardup.repetition_stats(text, **kw), {"text": _text(), "top_ns": Arg(st.lists(st.integers(1, 5), max_size=3), ("n ", "top_ns")), "dup_ns": Arg(st.lists(st.integers(1, 5), max_size=3), ("n ", "dup_ns"))}),
    Target("repetition_stats_batch", lambda texts, **kw: neardup.repetition_stats_batch(texts, **kw), {"texts": _texts(), "top_ns": Arg(st.lists(st.integers(1, 5), max_size=3), ("n ", "top_ns")), "num_threads": Arg(threads, ("num_threads",))}),
    Target(
        "ChromeModel",
        lambda **kw: _chrome_ops(**kw),
        {
            "min_pages": Arg(st.integers(2, 4), ("min_pages",)),
            "texts_": Arg(st.lists(st.sampled_from(["Menu\nHome\nStory one", "Menu\nHome\nStory two", "Menu\nOther"]), min_size=2, max_size=2), DOC_WORDS),
            "sites": Arg(st.lists(st.sampled_from(["a.com", "b.org"]), min_size=2, max_size=2), ("site",)),
            "page": Arg(small_texts, ("text", "str", "page", "document")),
            "site": Arg(st.sampled_from(["a.com", "b.org", "new.net"]), ("site",)),
        },
    ),
    Target("align", lambda a, b, **kw: neardup.align(a, b, **kw), {"a": _text(("a", "str", "text", "document")), "b": _text(("b", "str", "text", "document")), "k": Arg(st.integers(1, 6), ("k ",)), "max_gap": Arg(st.integers(0, 20), ("max_gap",)), "min_tokens": Arg(st.integers(1, 10), ("min_tokens",))}),
    Target("align_batch", lambda pairs, **kw: neardup.align_batch(pairs, **kw), {"pairs": Arg(st.lists(st.tuples(small_texts, small_texts), max_size=3), ("pair", "str", "expected"), keyword=False), "k": Arg(st.integers(1, 6), ("k ",)), "num_threads": Arg(threads, ("num_threads",))}),
    Target("containment", lambda part, whole, **kw: neardup.containment(part, whole, **kw), {"part": _text(("part", "str", "text", "document", "b")), "whole": _text(("whole", "str", "text", "document", "a")), "threshold": Arg(probabilities, ("threshold",))}),
    Target("body_by_agreement", lambda a, b, **kw: neardup.body_by_agreement(a, b, **kw), {"a": _text(("a", "str", "text", "document")), "b": _text(("b", "str", "text", "document")), "min_line_share": Arg(st.floats(0.01, 1.0), ("min_line_share",))}),
    *[_fuzzy(name) for name in ("levenshtein", "indel", "levenshtein_similarity", "ratio", "token_sort_ratio", "token_set_ratio")],
    Target("fuzzy_batch", lambda pairs, **kw: neardup.fuzzy_batch(pairs, **kw), {"pairs": Arg(st.lists(st.tuples(small_texts, small_texts), max_size=3), ("pair", "str", "expected"), keyword=False), "measure": Arg(st.sampled_from(["ratio", "levenshtein", "token_set_ratio"]), ("measure",)), "normalize": Arg(st.booleans(), ("normalize",)), "num_threads": Arg(threads, ("num_threads",))}),
]


def _draw_call(data: st.DataObject, target: Target) -> tuple[str | None, Callable[[], Any]]:
    names = list(target.args)
    bad = data.draw(st.sampled_from([None, *names]), label="hostile argument")
    positional, keywords = [], {}
    for name in names:
        spec = target.args[name]
        value = data.draw(st.sampled_from(HOSTILE) if name == bad else spec.valid, label=name)
        if spec.keyword:
            keywords[name] = value
        else:
            positional.append(value)
    return bad, lambda: target.call(*positional, **keywords)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
@settings(max_examples=40)
@given(data=st.data())
def test_hostile_arguments(target: Target, data: st.DataObject) -> None:
    bad, call = _draw_call(data, target)
    status, kind, message = check_call(call)
    if bad is None:
        assert status == "ok", f"valid arguments refused: {kind}: {message}"
    elif status == "error":
        words = target.args[bad].names
        assert any(w in message for w in words), f"{kind} for a bad {bad!r} does not say so: {message!r}"


# --- NaN and infinite scores ------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_scores_are_refused(bad: float) -> None:
    docs = ["a b c d e f g h i j", "a b c d e f g h i k", "x y z w v u t s r q"]
    # A priority that is not a number has no order: refused, never a cluster picked by chance.
    if math.isnan(bad):
        with pytest.raises(ValueError, match="priority"):
            neardup.cluster(3, [(0, 1)], [bad, 1.0, 2.0])
    with pytest.raises(ValueError, match="weight"):
        neardup.simhash_features([1, 2], [1.0, bad])
    with pytest.raises(ValueError, match="threshold"):
        neardup.find_duplicates(docs, bad)
    with pytest.raises(ValueError, match="threshold"):
        neardup.MinHashLSH(threshold=bad)
    with pytest.raises(ValueError, match="similarity"):
        neardup.lsh_probability(bad, 4, 4)
    # A refine function that scores a pair NaN: the pair cannot be judged. (The texts are
    # short: min_evidence=0 lets their pair be refined rather than scored by Jaccard.)
    with pytest.raises(ValueError, match="refine"):
        neardup.find_duplicates(docs, 0.9, num_perm=32, refine=lambda pairs: np.full(len(pairs), bad), refine_from=0.0, min_evidence=0)


# --- degenerate corpora -----------------------------------------------------------------------


def test_empty_corpus_everywhere() -> None:
    assert len(neardup.minhash([], num_perm=8)) == 0
    assert neardup.find_duplicates([]).decisions == []
    assert neardup.simhash_batch([]).shape == (0,)
    assert len(neardup.shingles_batch([])) == 0
    assert neardup.candidate_pairs(np.zeros((0, 16), dtype=np.uint64)).shape == (0, 2)
    assert neardup.simhash_pairs([]).pairs.shape == (0, 2)
    model = neardup.ChromeModel()
    model.update([], [])
    assert model.sites == [] and model.strip_batch([], []) == []
    assert neardup.align_batch([]) == [] and neardup.fuzzy_batch([]).shape == (0,)
    assert neardup.repetition_stats_batch([]) == [] and neardup.find_repeats_batch([]) == []


def test_one_page_sites_and_empty_pages() -> None:
    texts = ["Only page\nof its site", "", "\n\n\n", "Another\nsite's only page"]
    sites = ["a.com", "b.com", "c.com", "d.com"]
    model = neardup.ChromeModel()
    model.update(texts, sites)
    # One page of a site says nothing about its chrome: no line with words is removed, and
    # whatever is removed (blank lines) is reported.
    for text, site in zip(texts, sites):
        stripped = model.strip(text, site)
        assert stripped.text.split() == text.split()
        assert len(stripped.text) + sum(r.end - r.start for r in stripped.removed) == len(text)
    dups = neardup.find_duplicates(texts, num_perm=32)
    assert len(dups.decisions) == len(texts)


def test_a_million_identical_lines() -> None:
    """One fixed example, not a generated one: a page of 1,000,000 identical lines goes
    through every per-page primitive without a crash, a quadratic blow-up or a lost line
    (measured: ~4 s on the compiled core, loaded 2-core machine)."""
    # The pure-Python reference needs minutes for a million lines (it is the specification,
    # not the engine): it runs the same checks on 10,000.
    count = 1_000_000 if neardup.backend() == "rust" else 10_000
    line = "The same line again."
    page = (line + "\n") * count
    stats = neardup.repetition_stats(page)
    assert stats["dup_line_frac"] == pytest.approx(1.0, abs=1e-3)
    collapsed = neardup.collapse_repeats(page, min_lines=3, min_chars=10)
    assert collapsed.text.count(line) < count and collapsed.text.startswith(line)
    assert sum(end - start for start, end, _ in collapsed.removed) + len(collapsed.text) == len(page)
    segments = neardup.segment(page)
    assert len(segments.lines) == count + 1 and len(segments.paragraphs) == 1
    assert len(neardup.shingles(page, n=5)) == 4 * count - 4
    assert neardup.simhash_text(page) == neardup.simhash_text(page[: len(page) // 2])
    one, two = neardup.minhash([page, page[: 50 * len(line)]], num_perm=16).values
    assert (one == two).all()
    model = neardup.ChromeModel()
    model.update([page, page, page], ["a.com", "a.com", "a.com"])
    assert isinstance(model.strip(page, "a.com").text, str)


# --- the whole pipeline on tiny hostile corpora -----------------------------------------------

records = st.fixed_dictionaries(
    {"id": st.one_of(st.text(alphabet=string.ascii_letters, min_size=1, max_size=4), st.integers(0, 9))},
    optional={
        "text": st.one_of(small_texts, st.sampled_from(["Home\nNews\n" + "A story about the harbour bridge. " * 20, "Menu\nHome"]), st.none(), st.integers()),
        "site": st.one_of(st.sampled_from(["a.com", "b.org", ""]), st.none()),
        "url": st.one_of(st.sampled_from(["https://c.net/x", "not a url", ""]), st.integers()),
    },
)


@settings(max_examples=12)
@given(rows=st.lists(st.one_of(records, st.sampled_from(["{broken", "[]", '"text"', "null"])), max_size=6), threads=st.sampled_from([1, 2]))
def test_clean_accounts_for_every_record(tmp_path_factory: pytest.TempPathFactory, rows: list[Any], threads: int) -> None:
    import json

    from neardup.cli import main

    folder = tmp_path_factory.mktemp("clean")
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    source = folder / "in.jsonl"
    source.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    out = folder / "out"
    code = main(["clean", str(source), "-o", str(out), "--on-error", "skip", "--threads", str(threads), "--num-perm", "16"])
    assert code == 0
    decided = [json.loads(line) for line in (out / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    # Nothing lost: one decision per input line, whatever the line held.
    assert len(decided) == len(lines)
    assert all(d["action"] in ("kept", "changed", "dropped", "skipped") for d in decided)


# --- stored models and indexes from hostile files ---------------------------------------------


@settings(max_examples=40)
@given(
    state=st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
        lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)),
        max_leaves=12,
    ),
    field=st.sampled_from(["format", "version", "params", "sites", None]),
)
def test_chrome_model_from_hostile_dict(state: Any, field: str | None) -> None:
    """A saved model whose JSON was edited or corrupted: ValueError, never another error."""
    model = neardup.ChromeModel(min_pages=2)
    model.update(["Menu\nStory one", "Menu\nStory two"], ["a.com", "a.com"])
    saved = model.to_dict()
    if field is None:
        saved = state
    else:
        saved[field] = state
    status, _, _ = check_call(lambda: neardup.ChromeModel.from_dict(saved).to_dict())
    if field is None:
        assert status == "error" or saved == model.to_dict()


@settings(max_examples=15)
@given(data=st.data())
def test_index_hostile_arguments(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    """The persistent index: hostile documents, ids and options give a clear error and leave
    the index consistent."""
    folder = tmp_path_factory.mktemp("index")
    docs = data.draw(st.one_of(st.lists(small_texts, min_size=3, max_size=3), st.sampled_from(HOSTILE)), label="docs")
    ids = data.draw(st.one_of(st.lists(st.text(min_size=1, max_size=4), min_size=3, max_size=3, unique=True), st.sampled_from(HOSTILE)), label="ids")
    num_perm = data.draw(st.one_of(st.just(16), st.sampled_from(HOSTILE)), label="num_perm")
    threshold = data.draw(st.one_of(st.just(0.8), st.sampled_from(HOSTILE)), label="threshold")
    runs = iter(range(2))

    def run() -> Any:
        path = folder / f"run{next(runs)}.sqlite"  # each backend starts from no index
        try:
            with neardup.Index(path, num_perm=num_perm, threshold=threshold) as index:
                return index.add(docs, ids), len(index), [m.id for ms in index.query(["x y z"]) for m in ms]
        finally:
            if path.exists() and path.stat().st_size:
                with neardup.Index(path) as index:
                    assert index.check() == []

    check_call(run)


# --- panics -----------------------------------------------------------------------------------


@pytest.mark.skipif(neardup.backend() != "rust", reason="panics come from the compiled core")
@pytest.mark.parametrize("in_worker", [False, True], ids=["calling thread", "rayon worker"])
def test_a_panic_is_an_internal_error(in_worker: bool) -> None:
    """A Rust panic reaches Python as neardup.InternalError (a RuntimeError that `except
    Exception` catches, saying it is a bug), never as an abort or a BaseException."""
    from neardup import _backend

    with pytest.raises(neardup.InternalError, match="bug in the compiled core.*deliberate panic") as caught:
        _backend.IMPL._panic_for_test(in_worker)
    assert isinstance(caught.value, RuntimeError)
    assert type(caught.value.__cause__).__name__ == "PanicException"
    try:
        _backend.IMPL._panic_for_test(in_worker)
    except Exception:
        pass
    # The process and the thread pools go on working.
    assert [t.text for t in neardup.normalize_batch(["A", "B"] * 50, num_threads=2)] == ["a", "b"] * 50


# --- regressions: what the fuzzing found (docs/fuzzing.md lists them) -------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        # The reference read an int as a length (bytes(5)); the core refused it.
        (lambda: neardup.hash64(5), "data must be bytes"),
        (lambda: neardup.hash64([1, 2, 3]), "data must be bytes"),
        # Counts past the core's integers: an OverflowError from the binding, or success on
        # the reference only.
        (lambda: neardup.normalize_batch(["a"], num_threads=2**64), "num_threads"),
        (lambda: neardup.simhash_text("a b", n=2**64), "n must be an int >= 1"),
        (lambda: neardup.align("a", "b", min_tokens=2**64), "min_tokens"),
        (lambda: neardup.cluster(2**64 - 1, []), "n must be an int >= 0"),
        (lambda: neardup.ChromeModel(min_pages=-1), "min_pages"),
        (lambda: neardup.ChromeModel(min_pages=None), "min_pages"),
        # numpy conversions that named nothing (OverflowError, "int() argument...").
        (lambda: neardup.candidate_pairs(-1), "signatures"),
        (lambda: neardup.estimate_jaccard(np.zeros((1, 4), dtype=np.uint64), 2**64), "pairs"),
        (lambda: neardup.simhash_pairs(None), "fingerprints"),
        (lambda: neardup.cluster(2, [(0, 1)], ["x", "y"]), "priority"),
        (lambda: neardup.MinHashLSH(num_perm=4).query(np.array([1.0, np.nan, 0.0, 0.0])), "signature"),
        # Choices compared with a numpy array ("truth value ... is ambiguous").
        (lambda: neardup.simhash_text("a", weighting=np.array(["tf", "tf"])), "weighting"),
        (lambda: neardup.find_duplicates(["a"], measure=np.array([1, 2])), "measure"),
        # Not iterable: "'NoneType' object is not iterable".
        (lambda: neardup.align_batch(None), "expected an iterable"),
        (lambda: neardup.repetition_stats("a", top_ns=None), "top_ns"),
        (lambda: neardup.containment("a", "b", threshold=None), "threshold"),
        (lambda: neardup.body_by_agreement("a", "b", min_line_share=None), "min_line_share"),
        (lambda: neardup.lsh_probability(0.5, None, 4), "bands"),
    ],
)
def test_fuzz_regressions(call: Callable[[], Any], message: str) -> None:
    status, kind, text = check_call(call)
    assert status == "error" and message in text, (status, kind, text)


def test_fuzz_regressions_valid_inputs() -> None:
    """Valid inputs the conversions refused: uint64 values >= 2**63 given as Python ints
    (numpy reads such a list as float64)."""
    big = [0, 2**63, 2**64 - 1]
    assert neardup.simhash_pairs(big, 63).pairs.tolist() == [[0, 1], [1, 2]]  # distances 1 and 63; 0-2 is 64
    assert neardup.simhash_features(big) == neardup.simhash_features(np.array(big, dtype=np.uint64))
    assert neardup.hamming(big, [0, 0, 0]).tolist() == [0, 1, 64]
    # The core and the reference name the same first problem of a (texts, sites) batch.
    status, kind, text = check_call(lambda: neardup.ChromeModel().update(["a", "b"], bytearray(b"x")))
    assert (status, kind) == ("error", "TypeError") and "site" in text


def test_a_bad_site_key_is_named_as_the_site() -> None:
    """A lone surrogate in a site key was reported as one in the document's text."""
    model = neardup.ChromeModel()
    for call in (lambda: model.strip("fine text", "\ud800"), lambda: model.update(["fine"], ["\ud800"])):
        status, kind, text = check_call(call)
        assert (status, kind) == ("error", "ValueError") and text.startswith("document 0: site: lone surrogate"), text


def test_repeat_copies_never_overlap() -> None:
    """Found by the cargo-fuzz `repeats` target: a copy at the end of the page took the line
    break before it although the copy just before had taken it, so the two removed spans
    overlapped by one character (and the removed characters were counted twice)."""
    text = 'Hello, World!JSld!JSec\n\nNew paragrap�\x00\x00\x00\x00\x00\x00\x00,econd line\n\nNeh.\nHello, World!\nSecond line\n\nNew paragraph.\nHello, World!\nSeco�nd line\n\nNew paragraond line\n\nNew paragraph.\nHello,eco&d line\n\nNew paragraph.\nHello,$World!\nSecond line\n\nNew paragraph.'
    status, result, _ = check_call(lambda: neardup.find_repeats(text, min_lines=2, min_chars=20, long_chars=40))
    assert status == "ok" and len(result) == 2
    (first, second) = [r[1] for r in result]
    assert first[1] <= second[0], (first, second)


line_pages = st.lists(st.sampled_from(["Hello, World!", "Second line", "", "New paragraph.", "x" * 45]), max_size=14).map("\n".join)


@settings(max_examples=150)
@given(text=line_pages, min_lines=st.integers(1, 3), min_chars=st.integers(0, 30), long_chars=st.integers(0, 60))
def test_collapse_repeats_accounts_for_every_character(text: str, min_lines: int, min_chars: int, long_chars: int) -> None:
    def run() -> Any:
        copies = neardup.find_repeats(text, min_lines=min_lines, min_chars=min_chars, long_chars=long_chars)
        collapsed = neardup.collapse_repeats(text, min_lines=min_lines, min_chars=min_chars, long_chars=long_chars)
        return copies, collapsed

    status, _, _ = check_call(run)
    copies, collapsed = run()
    assert all(a.end <= b.start for a, b in zip(copies, copies[1:]))
    assert len(collapsed.text) + sum(r.end - r.start for r in collapsed.removed) == len(text)


# --- costs in proportion (issue 20) -----------------------------------------------------------


def _os_threads() -> int:
    import os

    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self/task"), reason="counts threads through Linux /proc")
def test_num_threads_is_capped_at_the_cores_and_pools_are_reused() -> None:
    """num_threads up to 1,024 started that many OS threads on a 2-core machine, and every call
    passing num_threads built a new pool."""
    import os

    if neardup.backend() != "rust":
        pytest.skip("the reference runs on the calling thread")
    cores = len(os.sched_getaffinity(0))
    texts = [f"document {i} with a few words in it" for i in range(64)]
    expected = neardup.shingles_batch(texts, n=2)  # starts the global pool (one thread per core)
    before = _os_threads()
    peak = before
    for threads in (1024, 1, 2, 3, 1024, 1, 512, 1024):
        batch = neardup.shingles_batch(texts, n=2, num_threads=threads)
        assert [batch.document(i).tolist() for i in range(len(texts))] == [expected.document(i).tolist() for i in range(len(texts))]
        peak = max(peak, _os_threads())
    # At most one pool per size below the core count, built once: 1 + 2 + ... + (cores - 1).
    assert peak - before <= cores * (cores - 1) // 2, (before, peak, cores)
    after = _os_threads()
    for _ in range(5):
        neardup.shingles_batch(texts, n=2, num_threads=1)
    assert _os_threads() == after


def test_a_keep_function_of_the_wrong_arity_is_refused_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """find_duplicates checked a keep function only when it called it, after the shingling,
    signing and verification of the whole corpus (45 s on the issue's corpus)."""
    from neardup import _backend

    def no_work(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the corpus was signed before keep was checked")

    monkeypatch.setattr(_backend.IMPL, "minhash_shingles", no_work)
    for keep in (lambda: 0, lambda members, other: members[0]):
        with pytest.raises(TypeError, match="keep must be a function of one argument"):
            neardup.find_duplicates(["the same text again"] * 10, keep=keep)


def test_clean_settings_are_checked_before_the_corpus_is_read(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`neardup clean --num-perm 70000` (or --threads 5000) failed after the chrome pass over
    the whole corpus, with exit 1; now a usage error (exit 2), and clean() refuses bad options
    before reading."""
    from neardup.cli import main
    from neardup.io import RecordReader
    from neardup.pipeline import CleanOptions, clean

    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "hello world", "site": "a.com"}\n', encoding="utf-8")

    def unread(self: Any) -> Any:
        raise AssertionError("the corpus was read before the options were checked")

    for args in (["--num-perm", "70000"], ["--threads", "5000"], ["--ngram", str(2**32)]):
        with pytest.raises(SystemExit) as stopped:
            main(["clean", str(source), "-o", str(tmp_path / "out"), *args])
        assert stopped.value.code == 2
    monkeypatch.setattr(RecordReader, "__iter__", unread)
    for options in (CleanOptions(num_perm=70000), CleanOptions(num_threads=5000), CleanOptions(ngram=0), CleanOptions(threshold=1.5), CleanOptions(batch_size=0)):
        with pytest.raises(ValueError):
            clean(RecordReader([str(source)]), tmp_path / "out", options)
    assert not (tmp_path / "out").exists()
