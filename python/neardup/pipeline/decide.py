"""The decide stage: candidate pairs of cleaned texts are verified
(:func:`neardup.cluster.verify_duplicates`, near misses scored again by alignment), pages that
wrap a verified partner are found, documents an index has seen are looked up, and
:func:`neardup.decide.decide` makes the verified clusters.

The keep order: the document that holds its verified partners most completely first
(``keep="most_complete"`` of :func:`neardup.find_duplicates`: a truncated or noisy copy gives
way to the full one), then the longest cleaned text, except that a page which *wraps* a verified
partner (the other's text aligns inside it, with material of its own both before and after,
like an article inside a site's header and sidebar) goes after every page that wraps none, so
it gives way to the page it wraps: that material is chrome the per-site model could not see,
and it is reported as removed spans of the wrapping page when it is dropped for the page it
wraps. Otherwise a page is dropped only for a page that holds at least the threshold of it
(:func:`neardup.decide.drop_directions`), unless the two are pages of different known sites
(:func:`two_way_across_sites`): a page is not dropped for a passage of it. With an index,
documents matching an indexed one are decided first, as duplicates of it (``seen before``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import _backend
from ..align import lines_shared_batch, lines_shared_with, matched_share_batch, word_swaps_batch, wraps_batch
from ..chrome import ChromeModel
from ..cluster import SignedDocs, Verified, distinct, verify_duplicates
from ..decide import Decisions, keep_priority
from ..decide import decide as decide_clusters
from ..text import segment, shingles_batch
from .state import ANCHOR_MAX_DOCS, CONTAINED_MIN_SIZE_RATIO, MINHASH_SEED, CleanOptions, Doc, DocTable, Run, SpooledTexts, TextSpool, doc_column, lsh_bands, open_index
from .strip import own_texts

#: A wrapping page's own material before and after the wrapped text, in characters, from
#: which on it counts as a wrapper (a sentence or two; a navigation bar is longer).
WRAP_MIN_CHARS = 40
#: How much of the wrapped text must align inside the wrapper.
WRAP_MIN_SHARE = 0.8
#: Candidate pairs whose word-shingle containment is at least this (and below the threshold)
#: are scored again by aligning their texts.
REFINE_FROM = 0.5
#: The same, for a pair of pages of two known, different sites. A copy of a story on another
#: site with character noise (an OCR'd copy: 1 word in 7 changed) keeps 0.35-0.5 of its word
#: 5-grams and most of its words; pages of one site (or of unknown sites) share passages a
#: template makes, so their partial overlaps are aligned from REFINE_FROM only.
REFINE_FROM_ACROSS_SITES = 0.35
#: A near miss lifted by alignment is two instances of one template, not an edited copy, when
#: its texts differ mostly by one word swapped for another in the same places: in the places
#: where both texts have the same two words before and after one word (a context found once
#: in each), that word differs in at least SWAP_MIN_TIMES places by the same swap, which is
#: at least SWAP_MIN_SHARE of all such differences ("DROP TEXT SEARCH TEMPLATE [ IF EXISTS"
#: and "DROP TEXT SEARCH PARSER [ IF EXISTS", the manual pages of "create" and "update" of one
#: tool). Edits make many different swaps, and a word swapped for itself with one character
#: added, dropped or changed is character noise (OCR's "the" -> "tbe"), not counted; markup
#: of another format adds or drops words rather than swapping them.
SWAP_MIN_TIMES = 3
SWAP_MIN_SHARE = 0.25
#: Pairs aligned in one core call are read from the spool together: at most this many
#: characters of distinct text (a single pair may hold more) and this many pairs.
REFINE_CHUNK_CHARS = 4 * 2**20
REFINE_CHUNK = 8192
VERIFY_CHUNK = 16384
#: Memory for the distinct shingles of documents being verified (a cache: more only saves
#: re-reading; results do not depend on it).
SHINGLE_CACHE_BYTES = 128 * 2**20
#: A page is checked for wrapping against at most this many of its verified partners (the
#: best-scoring first), so the alignments stay linear in the number of documents.
WRAP_MAX_PARTNERS = 12
#: A page's text around a partner it wraps is taken for an article, not chrome, when it shares
#: at least this many times the partner's distinct shingles with a verified partner of
#: another site (``wraps_of_chrome``).
WRAP_AGREED_TIMES = 2
#: Two pages of one site whose own texts share fewer than this share of the smaller one's
#: distinct shingles hold different texts (``own_texts_mismatch``): two articles' own
#: texts share next to none, two pages a site makes from one template (a function's
#: reference beside its sibling's) a few of their differing lines' words.
OWN_MISMATCH_SHARE = 0.05
#: The keep policy of the job, as decisions name it.
KEEP_POLICY = "most_complete; a page wrapping another gives way"


@dataclass
class Decided:
    """What the decide stage found, and what the write stage words the decisions with."""

    #: The decisions on the corpus's documents (positions in ``run.docs``) and, after them,
    #: on the indexed documents some document matched.
    decisions: Decisions
    #: Method names by their codes in ``decisions``.
    methods: tuple[str, ...]
    #: The indexed documents' ids, node ``len(run.docs) + k`` being ``indexed_ids[k]``.
    indexed_ids: list[str]
    #: The scores of the verified pairs (1 for an exact copy), for the report.
    pair_scores: list[float]
    #: Per document dropped for a document it wraps: the spans of its cleaned text that are
    #: its own (:func:`wrapper_own_lines`), reported as chrome.
    wrapper_chrome: dict[int, list[tuple[int, int]]]


def decide(run: Run) -> Decided:
    """Verify the near-duplicates among the cleaned texts, find the pages that wrap a
    partner, look the documents up in the index, and decide."""
    own = model_own_texts(run.model, run.docs, run.options.num_threads) if run.options.chrome else None
    verified, wraps = verify_cleaned(run.docs, run.band_keys.take(), run.spool, run.options, run.anchors, own)
    run.out.check()
    seen = against_index(run.docs, run.spool, run.options) if run.options.index else {}
    outcome, methods, indexed_ids = corpus_decisions(run.docs, verified, wraps, seen)
    pair_scores = [] if verified is None else verified.scores.tolist() + [1.0] * len(verified.copies)
    return Decided(outcome, methods, indexed_ids, pair_scores, dropped_wrappers_own_lines(outcome, run.docs, run.spool, run.options.num_threads))


def dropped_wrappers_own_lines(outcome: Decisions, docs: DocTable | list[Doc], spool: TextSpool, num_threads: int | None) -> dict[int, list[tuple[int, int]]]:
    """:func:`wrapper_own_lines` of every document dropped for a corpus document it wraps,
    aligned in chunks (:func:`pair_chunks`)."""
    count = len(docs)
    kept = outcome.kept[:count]
    dropped = np.flatnonzero(outcome.wraps[:count] & (kept != np.arange(count)) & (kept < count))
    pairs = np.column_stack([dropped, kept[dropped]]).astype(np.int64)
    found: dict[int, list[tuple[int, int]]] = {}
    for first, end in pair_chunks(pairs, doc_column(docs, "cleaned_length")):
        chunk = dropped[first:end].tolist()
        texts = [(spool.read(docs[p].spool_offset), spool.read(docs[int(kept[p])].spool_offset)) for p in chunk]
        for p, (text, _), shared in zip(chunk, texts, lines_shared_batch(texts, num_threads=num_threads)):
            found[p] = own_lines(text, shared)
    return found


def wrapper_own_lines(cleaned: str, cleaned_kept: str) -> list[tuple[int, int]]:
    """The spans of a wrapping page's cleaned text that are its own against the page it wraps
    (:func:`own_lines` of :func:`neardup.align.lines_shared_with`)."""
    return own_lines(cleaned, lines_shared_with(cleaned, cleaned_kept))


def own_lines(text: str, shared: np.ndarray) -> list[tuple[int, int]]:
    """The spans of the non-empty lines of ``text`` not ``shared`` (a flag per line), neighbours
    joined into one span with the line breaks and blank lines between them."""
    joined: list[tuple[int, int]] = []
    for (start, end), flag in zip(segment(text).lines.tolist(), shared.tolist()):
        if flag or end <= start:
            continue
        if joined and not text[joined[-1][1] : start].strip():
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def verify_cleaned(
    docs: DocTable | list[Doc],
    keys: list[np.ndarray],
    spool: TextSpool,
    options: CleanOptions,
    anchors: tuple[np.ndarray, np.ndarray] | Callable[[], tuple[np.ndarray, np.ndarray]],
    own: OwnTexts | None = None,
) -> tuple[Verified | None, np.ndarray]:
    """The verified duplicate pairs among the cleaned texts of ``docs`` (None when
    ``options.dedup`` is off or there are no documents) and the ``(outer, inner)`` pairs whose
    first page wraps the second. ``keys`` are the LSH band keys of the documents' MinHash
    signatures (:func:`.state.lsh_bands`), in arrays of consecutive documents (the list is
    emptied as they are stacked); ``anchors`` the documents' anchors (``(values, offsets)``,
    :data:`.state.ANCHOR_BITS`, or a function returning them, called once, so that they are
    let go before verification), whose pairs are candidates too, and a short text is a
    duplicate of a long one down to :data:`.state.CONTAINED_MIN_SIZE_RATIO`; the texts are
    read from ``spool`` at each doc's ``spool_offset``."""
    threads = options.num_threads
    if not options.dedup or not docs:
        return None, np.zeros((0, 2), dtype=np.int64)
    # Where each cleaned text is in the spool, as one array: read for every pair compared.
    offsets = doc_column(docs, "spool_offset")
    lengths = doc_column(docs, "cleaned_length")
    texts = SpooledTexts(spool, offsets, threads)
    sets = ShingleSets(texts, options)
    sizes = doc_column(docs, "shingles")
    corpus = SignedDocs(
        lambda: moved_into_one(keys),
        sizes,
        lengths,
        sets.shared,
        bands=lsh_bands(options),
        anchors=anchors,
        anchor_max_docs=ANCHOR_MAX_DOCS,
        intersections_at_least=sets.shared,
    )
    verified = verify_duplicates(
        corpus,
        options.threshold,
        # The bands are those of find_duplicates' default ratio: shorter texts come from the anchors.
        min_size_ratio=CONTAINED_MIN_SIZE_RATIO,
        params=lsh_bands(options),
        num_perm=options.num_perm,
        seed=MINHASH_SEED,
        n=options.ngram,
        refine=lambda pairs: refined_scores(pairs, texts, lengths, docs, own, options),
        refine_from=refine_floors_of(docs),
        min_evidence=options.min_evidence,
        num_threads=threads,
    )
    if own is not None:
        verified = without_own_mismatches(verified, docs, texts, lengths, own, options)
    return verified, spooled_wrapping(verified, texts, lengths)


def without_own_mismatches(verified: Verified, docs: DocTable | list[Doc], texts: SpooledTexts, lengths: np.ndarray, own: OwnTexts, options: CleanOptions) -> Verified:
    """``verified`` less its pairs whose own texts do not match (:func:`own_texts_mismatch`):
    what the two pages share is lines a site repeats (a comment thread, a list of headlines
    that chrome stripping left, shown on two of its pages), not an article. Only pages with a
    site have own texts."""
    pairs = verified.pairs
    mismatch = np.zeros(len(pairs), dtype=bool)
    for rows, quads in _with_own_texts(pairs, _with_a_site(pairs, np.arange(len(pairs)), docs), texts, lengths, own):
        mismatch[rows] = own_texts_mismatch(quads, options)
    if not mismatch.any():
        return verified
    keep = ~mismatch
    directions = verified.directions[keep] if verified.directions is not None else None
    return replace(
        verified,
        pairs=pairs[keep],
        scores=verified.scores[keep],
        jaccard=verified.jaccard[keep],
        containment=verified.containment[keep],
        intersections=verified.intersections[keep],
        methods=verified.methods[keep],
        directions=directions,
    )


def own_texts_mismatch(pairs: list[tuple[str, str, str | None, str | None]], options: CleanOptions) -> np.ndarray:
    """For pairs ``(cleaned_a, cleaned_b, own_a, own_b)`` of pages (``own_*`` None
    where the own text is the cleaned text), whether their own texts do not match. One of them
    has an own text, and either each has ``options.min_evidence`` distinct shingles or more
    (one at least) and they share under :data:`OWN_MISMATCH_SHARE` of the smaller one's
    shingles, or one has fewer (too short to carry evidence), the other that many or more, and
    their Jaccard similarity is under ``options.threshold`` (a short text matches only a nearly
    equal one)."""
    out = np.zeros(len(pairs), dtype=bool)
    chosen = [k for k, (_, _, own_a, own_b) in enumerate(pairs) if own_a is not None or own_b is not None]
    _, sets, enough = _own_text_sets(pairs, chosen, options)
    for j, k in enumerate(chosen):
        a, b = sets.document(2 * j), sets.document(2 * j + 1)
        short = not enough[j]
        if short and (options.min_evidence == 0 or max(len(a), len(b)) < options.min_evidence):
            continue  # both too short to tell: left as verified
        common = len(np.intersect1d(a, b, assume_unique=True))
        # A short own text against one with evidence: Jaccard under the threshold (without dividing).
        out[k] = common < options.threshold * (len(a) + len(b) - common) if short else common < OWN_MISMATCH_SHARE * min(len(a), len(b))
    return out


def _own_text_sets(pairs: list[tuple[str, str, str | None, str | None]], chosen: list[int], options: CleanOptions) -> tuple[list[tuple[str, str]], Any, np.ndarray]:
    """For the ``chosen`` of ``pairs`` (``(cleaned_a, cleaned_b, own_a, own_b)``): their own
    texts (each cleaned text where it has none), the distinct shingles of each (pair ``j``'s
    are documents ``2j`` and ``2j + 1``), and whether both have ``options.min_evidence``
    shingles or more (one at least)."""
    own = [(pairs[k][2] if pairs[k][2] is not None else pairs[k][0], pairs[k][3] if pairs[k][3] is not None else pairs[k][1]) for k in chosen]
    sets = shingles_batch([text for pair in own for text in pair], n=options.ngram, num_threads=options.num_threads, distinct=True)
    sizes = np.diff(sets.offsets)
    return own, sets, np.minimum(sizes[0::2], sizes[1::2]) >= max(options.min_evidence, 1)


def two_way_across_sites(directions: np.ndarray, pairs: np.ndarray, sites: Callable[[int], frozenset[str]]) -> np.ndarray:
    """``directions`` (:func:`neardup.decide.drop_directions` of ``pairs``) with every pair of
    pages of two different known sites made two-way: what a page holds beyond its partner from
    another site may be that site's chrome, which its model left. ``sites(position)`` gives
    the known sites of the document's group of exact copies (its own with no copies): a pair
    is two-way when the two groups hold pages of two different sites, so that the decision
    of a group, taken whole, does not depend on which copy heads it."""
    one_way = np.flatnonzero(~directions.all(axis=1))
    if not len(one_way):
        return directions
    known = {p: sites(p) for p in np.unique(pairs[one_way]).tolist()}
    across = [bool(known[a]) and bool(known[b]) and len(known[a] | known[b]) >= 2 for a, b in pairs[one_way].tolist()]
    out = directions.copy()
    out[one_way[np.asarray(across, dtype=bool)]] = True
    return out


def group_sites(docs: DocTable | list[Doc], copies: np.ndarray) -> Callable[[int], frozenset[str]]:
    """The known sites of each document's group of exact copies (``copies``: ``(head,
    member)`` rows), for :func:`two_way_across_sites`."""
    members: dict[int, list[int]] = {}
    for head, member in np.asarray(copies, dtype=np.int64).reshape(-1, 2).tolist():
        members.setdefault(head, []).append(member)

    def sites(position: int) -> frozenset[str]:
        return frozenset(site for site in (docs[p].site for p in [position, *members.get(position, ())]) if site is not None)

    return sites


def moved_into_one(chunks: list[np.ndarray]) -> np.ndarray:
    """The arrays of ``chunks`` stacked into one, each chunk released (removed from the list)
    once copied: the peak holds the rows once and a chunk, not twice. A single chunk
    is returned as it is."""
    if len(chunks) == 1:
        return chunks.pop()
    stacked = np.empty((sum(len(c) for c in chunks),) + chunks[0].shape[1:], dtype=chunks[0].dtype)
    filled = 0
    chunks.reverse()
    while chunks:
        chunk = chunks.pop()
        stacked[filled : filled + len(chunk)] = chunk
        filled += len(chunk)
    return stacked


class ShingleSets:
    """Distinct shingles of cleaned texts (``texts``, read from the spool), re-shingled on
    demand and kept in a least-recently-used cache of at most ``max_bytes``: the duplicate
    search verifies candidate pairs without holding every document's shingles."""

    def __init__(self, texts: SpooledTexts, options: CleanOptions, max_bytes: int = SHINGLE_CACHE_BYTES) -> None:
        self.texts, self.options, self.max_bytes = texts, options, max_bytes
        self.cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self.bytes = 0

    def load(self, wanted: list[int]) -> dict[int, np.ndarray]:
        missing = [d for d in wanted if d not in self.cache]
        if missing:
            sets = self.texts.shingle_sets(missing, self.options.ngram)
            bounds = sets.offsets.tolist()
            for k, d in enumerate(missing):
                # A copy, not a view: a cached set must not hold the whole chunk's array.
                self.cache[d] = sets.hashes[bounds[k] : bounds[k + 1]].copy()
                self.bytes += self.cache[d].nbytes
        found = {}
        for d in wanted:
            self.cache.move_to_end(d)
            found[d] = self.cache[d]
        while self.bytes > self.max_bytes and len(self.cache) > len(wanted):
            _, evicted = self.cache.popitem(last=False)
            self.bytes -= evicted.nbytes
        return found

    def shared(self, pairs: np.ndarray, need: np.ndarray | None = None) -> np.ndarray:
        """Exact number of distinct shingles each ``(i, j)`` pair shares; with ``need``, 0 for
        a pair sharing fewer than its need."""
        shared = np.zeros(len(pairs), dtype=np.int64)
        for first in range(0, len(pairs), VERIFY_CHUNK):
            chunk = pairs[first : first + VERIFY_CHUNK]
            members = distinct(chunk.reshape(-1))
            sets = self.load(members.tolist())
            offsets = np.zeros(len(members) + 1, dtype=np.int64)
            np.cumsum([len(sets[d]) for d in members.tolist()], out=offsets[1:])
            hashes = np.concatenate([sets[d] for d in members.tolist()]) if len(members) else np.zeros(0, np.uint64)
            local = np.searchsorted(members, chunk).astype(np.int64)
            needed = None if need is None else np.ascontiguousarray(need[first : first + VERIFY_CHUNK], dtype=np.int64)
            inter, _ = _backend.IMPL.set_overlaps(np.ascontiguousarray(hashes, dtype=np.uint64), offsets, local, self.options.num_threads, needed)
            shared[first : first + len(chunk)] = np.asarray(inter, dtype=np.int64)
        return shared


def aligned_containment(pairs: list[tuple[str, str]], num_threads: int | None = None) -> np.ndarray:
    """For each pair of texts, the share of the shorter one's word tokens matched in passages
    aligned with the longer one (the score ``clean`` refines near misses with): robust to
    character noise and edited words, which break word shingles."""
    return matched_share_batch([(a, b) if len(a) >= len(b) else (b, a) for a, b in pairs], num_threads=num_threads)


def pair_chunks(pairs: Any, lengths: Any, max_chars: int | None = None, max_pairs: int | None = None) -> Iterator[tuple[int, int]]:
    """``(first, end)`` of consecutive chunks of ``pairs`` (rows of two document numbers, whose
    texts have ``lengths`` characters) holding at most ``max_chars`` characters of distinct
    text (a chunk of one pair may hold more) and ``max_pairs`` pairs (default
    :data:`REFINE_CHUNK_CHARS`, :data:`REFINE_CHUNK`): what a chunk's texts take in memory
    is bounded whatever the lengths of the documents."""
    max_chars = REFINE_CHUNK_CHARS if max_chars is None else max_chars
    max_pairs = REFINE_CHUNK if max_pairs is None else max_pairs
    rows = np.asarray(pairs, dtype=np.int64).reshape(-1, 2).tolist()
    length_of = np.asarray(lengths, dtype=np.int64).tolist()
    first, seen, chars = 0, set(), 0
    for k, (a, b) in enumerate(rows):
        # The characters the pair's texts add to the chunk: those of the ones not in it yet.
        added = (0 if a in seen else length_of[a]) + (0 if b == a or b in seen else length_of[b])
        if k > first and (k - first >= max_pairs or chars + added > max_chars):
            yield first, k
            first, seen, chars = k, set(), 0
            added = length_of[a] + (0 if b == a else length_of[b])
        seen.add(a)
        seen.add(b)
        chars += added
    if first < len(rows):
        yield first, len(rows)


def spooled_aligned_containment(pairs: np.ndarray, texts: SpooledTexts, lengths: np.ndarray) -> np.ndarray:
    """:func:`aligned_containment` of candidate pairs of cleaned texts (``lengths``
    characters), read from the spool in chunks (:func:`pair_chunks`), so memory holds a
    chunk's texts, not all of them."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    lengths = np.asarray(lengths, dtype=np.int64)
    # As aligned_containment orders each pair: the longer text first, the first on a tie.
    swap = lengths[pairs[:, 0]] < lengths[pairs[:, 1]]
    oriented = np.where(swap[:, None], pairs[:, ::-1], pairs)
    scores = np.zeros(len(pairs), dtype=np.float64)
    for first, end in pair_chunks(pairs, lengths):
        scores[first:end] = texts.matched_share(oriented[first:end])
    return scores


#: Own texts of documents: given their positions and cleaned texts, each one's own text
#: (:func:`.strip.own_texts`) or None where it is the cleaned text.
OwnTexts = Callable[[list[int], list[str]], list["str | None"]]


def model_own_texts(model: ChromeModel | None, docs: DocTable | list[Doc], num_threads: int | None) -> OwnTexts | None:
    """Own texts found with the chrome ``model`` as they are needed (None without one)."""
    if model is None:
        return None
    return lambda positions, cleaned: own_texts(model, cleaned, [_site_of(docs, p) for p in positions], num_threads)


def spooled_own_texts(docs: DocTable | list[Doc], spool: TextSpool) -> OwnTexts:
    """Own texts written to ``spool`` before (each document's ``own_offset``, -1 for none)."""
    return lambda positions, _: [spool.read(docs[p].own_offset) if docs[p].own_offset >= 0 else None for p in positions]


def _site_of(docs: DocTable | list[Doc], position: int) -> str | None:
    return docs.site_of(position) if isinstance(docs, DocTable) else docs[position].site


def refined_scores(
    pairs: np.ndarray,
    texts: SpooledTexts,
    lengths: np.ndarray,
    docs: DocTable | list[Doc],
    own: OwnTexts | None,
    options: CleanOptions,
) -> np.ndarray:
    """The scores of near misses (``(a, b)`` document pairs, word-shingle containment at least
    their :func:`refine_floors_of` floor) by alignment: the share of the shorter cleaned
    text's words matched in the longer (:func:`spooled_aligned_containment`), raised where the
    pair's own texts (``own``; :func:`.strip.own_texts`) score higher
    (:func:`refine_on_own_texts`); a pair lifted to the threshold whose texts are two
    instances of one template (:func:`template_instances`) scores 0. The pairs' texts are
    read a chunk at a time."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    scores = spooled_aligned_containment(pairs, texts, lengths)
    if own is not None:
        for rows, quads in _with_own_texts(pairs, _with_a_site(pairs, np.flatnonzero(scores < options.threshold), docs), texts, lengths, own):
            scores[rows] = refine_on_own_texts(scores[rows], quads, options)
    lifted = np.flatnonzero(scores >= options.threshold)
    for first, end in pair_chunks(pairs[lifted], lengths):
        rows = lifted[first:end]
        # Each text once (a str shared by its pairs), as the chunk bounds them.
        text_of = {p: texts.read(p) for p in np.unique(pairs[rows]).tolist()}
        scores[rows[template_instances([(text_of[a], text_of[b]) for a, b in pairs[rows].tolist()], options.num_threads)]] = 0.0
    return scores


def template_instances(pairs: list[tuple[str, str]], num_threads: int | None = None) -> np.ndarray:
    """Per pair of texts, whether they are two instances of one template with a word swapped
    for another in the same places (:data:`SWAP_MIN_TIMES`, :data:`SWAP_MIN_SHARE` of
    :func:`neardup.align.word_swaps_batch`'s swaps). Such a pair is not a duplicate however
    much of it aligns."""
    swaps = word_swaps_batch(pairs, num_threads=num_threads)
    return swaps[:, 0] >= np.maximum(SWAP_MIN_TIMES, SWAP_MIN_SHARE * swaps[:, 1])


def refine_floors_of(docs: DocTable | list[Doc]) -> float | Callable[[np.ndarray], np.ndarray]:
    """``verify_duplicates``' ``refine_from`` for ``docs``: the :func:`refine_floors` rule on
    pairs of document positions, or :data:`REFINE_FROM` alone when they name fewer than two
    sites."""
    code_of: dict[str, int] = {}
    codes = np.array([-1 if site is None else code_of.setdefault(site, len(code_of)) for site in (_site_of(docs, p) for p in range(len(docs)))], dtype=np.int64)
    if len(code_of) < 2:
        return REFINE_FROM

    def floors(pairs: np.ndarray) -> np.ndarray:
        a, b = codes[pairs[:, 0]], codes[pairs[:, 1]]
        return floors_where_across_sites((a >= 0) & (b >= 0) & (a != b))

    return floors


def refine_floors(sites: Iterable[tuple[str | None, str | None]]) -> np.ndarray:
    """For pairs of pages given by their sites (None: unknown), the containment from which a
    near miss is aligned: :data:`REFINE_FROM_ACROSS_SITES` for two known, different sites,
    else :data:`REFINE_FROM`. The local job, datatrove's steps and Spark use this one rule."""
    return floors_where_across_sites(np.array([a is not None and b is not None and a != b for a, b in sites], dtype=bool))


def floors_where_across_sites(across: np.ndarray) -> np.ndarray:
    """:func:`refine_floors`' floors of pairs, given whether each is of two known, different sites."""
    return np.where(across, REFINE_FROM_ACROSS_SITES, REFINE_FROM)


def _with_a_site(pairs: np.ndarray, rows: np.ndarray, docs: DocTable | list[Doc]) -> np.ndarray:
    """The ``rows`` of ``pairs`` with a page of a known site: only those have own texts."""
    return np.asarray([k for k in rows.tolist() if _site_of(docs, int(pairs[k, 0])) is not None or _site_of(docs, int(pairs[k, 1])) is not None], dtype=np.int64)


def _with_own_texts(
    pairs: np.ndarray, rows: np.ndarray, texts: SpooledTexts, lengths: np.ndarray, own: OwnTexts
) -> Iterator[tuple[np.ndarray, list[tuple[str, str, str | None, str | None]]]]:
    """The ``rows`` of ``pairs`` a chunk at a time (:func:`pair_chunks`, the texts read from
    the spool), each with its pairs' ``(cleaned_a, cleaned_b, own_a, own_b)``."""
    for first, end in pair_chunks(pairs[rows], lengths):
        chunk = rows[first:end]
        involved = np.unique(pairs[chunk]).tolist()
        cleaned = [texts.read(p) for p in involved]
        text_of = dict(zip(involved, cleaned))
        own_of = dict(zip(involved, own(involved, cleaned)))
        yield chunk, [(text_of[a], text_of[b], own_of[a], own_of[b]) for a, b in pairs[chunk].tolist()]


def refine_on_own_texts(scores: np.ndarray, pairs: list[tuple[str, str, str | None, str | None]], options: CleanOptions) -> np.ndarray:
    """``scores``, the aligned containment of each pair's cleaned texts, raised where the
    pair's own texts score higher. ``pairs`` are ``(cleaned_a, cleaned_b, own_a, own_b)``,
    ``own_*`` None where the own text is the cleaned text. A pair is scored on its own texts
    (each cleaned text where it has none) when its score is under ``options.threshold``, one
    of them has an own text, and each own text has ``options.min_evidence`` distinct shingles
    or more (one at least). Exact copies have equal own texts, or none when they are on two
    sites (none of their lines is then on one site only), so a copy scores as its group."""
    scores = np.array(scores, dtype=np.float64)
    chosen = [k for k, (_, _, own_a, own_b) in enumerate(pairs) if scores[k] < options.threshold and (own_a is not None or own_b is not None)]
    own, _, enough = _own_text_sets(pairs, chosen, options)
    rescored = [k for k, ok in zip(chosen, enough.tolist()) if ok]
    if rescored:
        again = aligned_containment([own[j] for j, ok in enumerate(enough.tolist()) if ok], num_threads=options.num_threads)
        scores[rescored] = np.maximum(scores[rescored], again)
    return scores


def wrap_candidates(pairs: Any, scores: Any, lengths: Any) -> np.ndarray:
    """The ``(outer, inner)`` verified pairs to check for wrapping: the longer text has room
    for the shorter and ``WRAP_MIN_CHARS`` of its own on each side; per outer page its
    ``WRAP_MAX_PARTNERS`` best-scoring partners (ties: the lowest index), sorted."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    lengths = np.asarray(lengths, dtype=np.int64)
    swap = lengths[pairs[:, 0]] < lengths[pairs[:, 1]]
    outer = np.where(swap, pairs[:, 1], pairs[:, 0])
    inner = np.where(swap, pairs[:, 0], pairs[:, 1])
    room = lengths[outer] >= lengths[inner] + 2 * WRAP_MIN_CHARS
    outer, inner, score = outer[room], inner[room], np.asarray(scores, dtype=np.float64)[room]
    order = np.lexsort((inner, -score, outer))
    outer, inner = outer[order], inner[order]
    start = np.ones(len(outer), dtype=bool)
    start[1:] = outer[1:] != outer[:-1]
    position = np.arange(len(outer))
    rank = position - np.maximum.accumulate(np.where(start, position, 0))
    chosen = np.column_stack([outer, inner])[rank < WRAP_MAX_PARTNERS]
    return chosen[np.lexsort((chosen[:, 1], chosen[:, 0]))] if len(chosen) else chosen


def wrapping(candidates: np.ndarray, texts: dict[int, str], num_threads: int | None = None) -> np.ndarray:
    """The rows of ``candidates`` (``(outer, inner)`` from :func:`wrap_candidates`, so each
    outer page has room for a wrapper) whose outer page wraps the inner one
    (:func:`neardup.align.wraps_batch`), ``texts`` holding both; one batch in the core."""
    pairs = [(texts[outer], texts[inner]) for outer, inner in candidates.tolist()]
    found = wraps_batch(pairs, min_chars=WRAP_MIN_CHARS, min_share=WRAP_MIN_SHARE, num_threads=num_threads)
    return candidates[np.asarray(found, dtype=bool)] if len(candidates) else candidates


def spooled_wrapping(verified: Verified, texts: SpooledTexts, lengths: np.ndarray) -> np.ndarray:
    """The wrapping pairs among the verified ones (``lengths`` of the cleaned texts, read from
    the spool) a chunk at a time: the rows of :func:`wrap_candidates` whose outer page wraps
    the inner one (:func:`neardup.align.wraps_batch`)."""
    candidates = wrap_candidates(verified.pairs, verified.scores, lengths)
    found = [np.zeros((0, 2), dtype=np.int64)]
    for first, end in pair_chunks(candidates, lengths):
        chunk = candidates[first:end]
        found.append(chunk[np.asarray(texts.wraps(chunk, WRAP_MIN_CHARS, WRAP_MIN_SHARE), dtype=bool)])
    return np.concatenate(found)


def wraps_of_chrome(
    wraps: np.ndarray, pairs: np.ndarray, intersections: np.ndarray, sizes: np.ndarray, sites: Callable[[int], frozenset[str]]
) -> np.ndarray:
    """The rows of ``wraps`` (``(outer, inner)``) whose outer page's text around the inner one
    may be chrome: those whose outer page shares fewer than :data:`WRAP_AGREED_TIMES` times
    the inner page's distinct shingles (``sizes``) with each of its verified partners
    (``pairs`` with their ``intersections``) but the inner page that is of another known site
    (``sites``, as :func:`two_way_across_sites` takes them). Chrome differs from site to site,
    so what a page shares with another site's page beyond the copy it wraps is an article:
    every copy of a story "wraps" a post quoting a passage of it, and giving way to the post
    would drop the story."""
    wraps = np.asarray(wraps, dtype=np.int64).reshape(-1, 2)
    if not len(wraps):
        return wraps
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    intersections = np.asarray(intersections, dtype=np.int64)
    outers = set(wraps[:, 0].tolist())
    partners: dict[int, list[tuple[int, int]]] = {}
    for (a, b), shared in zip(pairs.tolist(), intersections.tolist()):
        if a in outers:
            partners.setdefault(a, []).append((b, shared))
        if b in outers:
            partners.setdefault(b, []).append((a, shared))
    known: dict[int, frozenset[str]] = {}

    def site_of(position: int) -> frozenset[str]:
        if position not in known:
            known[position] = sites(position)
        return known[position]

    def agreed(outer: int, inner: int) -> bool:
        need = WRAP_AGREED_TIMES * int(sizes[inner])
        for other, shared in partners.get(outer, ()):
            if other != inner and shared >= need and site_of(outer) and site_of(other) and len(site_of(outer) | site_of(other)) >= 2:
                return True
        return False

    keep = [not agreed(outer, inner) for outer, inner in wraps.tolist()]
    return wraps[np.asarray(keep, dtype=bool)]


def corpus_decisions(
    docs: DocTable | list[Doc], verified: Verified | None, wraps: np.ndarray, seen: dict[int, tuple[str, float, str]]
) -> tuple[Decisions, tuple[str, ...], list[str]]:
    """The decisions on the corpus: ``(decisions, method names, indexed ids)``. Indexed
    documents that some document matches (``seen``: its best match) are nodes after the
    corpus's, numbered in the order of ``indexed ids``, and come first in the keep order."""
    count = len(docs)
    indexed_ids = sorted({id_ for id_, _, _ in seen.values()})
    node_of = {id_: count + k for k, id_ in enumerate(indexed_ids)}
    total = count + len(indexed_ids)
    base: tuple[str, ...] = ("containment-exact", "containment-exact+refined", "jaccard-exact")
    if verified is not None:
        base = verified.method_names
    hist_methods = sorted({method for _, _, method in seen.values()})
    methods = tuple(base) + tuple(hist_methods)
    code = {m: len(base) + k for k, m in enumerate(hist_methods)}
    seen_docs = sorted(seen)
    hist_pairs = np.array([(p, node_of[seen[p][0]]) for p in seen_docs], dtype=np.int64).reshape(-1, 2)
    hist_scores = np.array([seen[p][1] for p in seen_docs], dtype=np.float64)
    hist_codes = np.array([code[seen[p][2]] for p in seen_docs], dtype=np.int64)
    empty = np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate([verified.pairs if verified is not None else empty, hist_pairs])
    scores = np.concatenate([verified.scores if verified is not None else np.zeros(0), hist_scores])
    codes = np.concatenate([verified.methods if verified is not None else np.zeros(0, dtype=np.int64), hist_codes])
    is_indexed = np.concatenate([np.zeros(count), np.ones(len(indexed_ids))])
    length = np.concatenate([doc_column(docs, "cleaned_length").astype(np.float64), np.zeros(len(indexed_ids))])
    sizes = np.zeros(total, dtype=np.int64)
    if verified is not None:
        sizes[:count] = verified.sizes
        wraps = wraps_of_chrome(wraps, verified.pairs, verified.intersections, verified.sizes, group_sites(docs, verified.copies))
    priority = keep_priority(
        "most_complete",
        length,
        pairs=verified.pairs if verified is not None else None,
        intersections=verified.intersections if verified is not None else None,
        sizes=sizes,
        copies=verified.copies if verified is not None else None,
        first=is_indexed,
    )
    outcome = decide_clusters(
        total,
        pairs,
        scores,
        priority,
        methods=codes,
        directions=np.concatenate([two_way_across_sites(verified.directions, verified.pairs, group_sites(docs, verified.copies)), np.ones((len(hist_pairs), 2), dtype=bool)])
        if verified is not None and verified.directions is not None
        else None,
        copies=verified.copies if verified is not None else None,
        copy_methods=verified.copy_methods if verified is not None else None,
        wraps=wraps,
    )
    return outcome, methods, indexed_ids


def against_index(docs: DocTable | list[Doc], spool: TextSpool, options: CleanOptions) -> dict[int, tuple[str, float, str]]:
    """Documents of this corpus that the index has seen: position -> (indexed id, estimated
    score, method) of the best match. Ids of this corpus found in the index:
    - a document's own id is never "seen before": the index holds this document from an
      earlier run (one interrupted after adding part of the corpus, or one whose cleaned text
      differed, under another chrome model);
    - another id of the corpus indexed with that document's signature is that document,
      added by an earlier run, and the duplicates within the corpus are decided within it;
      so a repeated run decides as the first one did;
    - an id of the corpus indexed with other text (ids such as FILE:LINE recur in the next
      day's file of the same name) is another corpus's document, and counts."""
    position_of = {doc.id: p for p, doc in enumerate(docs)}
    # Per document, its matches in score order up to the first that is not an id of the corpus
    # (the later ones are never chosen), its own id left out.
    found: dict[int, list[Any]] = {}
    own: set[str] = set()
    with open_index(options) as index:
        for first in range(0, len(docs), options.batch_size):
            chunk = range(first, min(first + options.batch_size, len(docs)))
            results = index.query([spool.read(docs[p].spool_offset) for p in chunk], duplicates_only=True, num_threads=options.num_threads)
            for p, matches in zip(chunk, results):
                candidates = []
                for m in matches:
                    if m.id == docs[p].id:
                        if m.jaccard == 1.0:  # equal signatures: the index holds this text
                            own.add(m.id)
                        continue
                    candidates.append(m)
                    if m.id not in position_of:
                        break
                if candidates:
                    found[p] = candidates
        # Ids of the corpus not settled above (a document's own match can sort after a
        # match from outside the corpus): is the index's text under the id that document's?
        unsettled = sorted({m.id for matches in found.values() for m in matches if m.id in position_of} - own)
        for first in range(0, len(unsettled), options.batch_size):
            ids = unsettled[first : first + options.batch_size]
            texts = [spool.read(docs[position_of[i]].spool_offset) for i in ids]
            for id_, matches in zip(ids, index.query(texts, num_threads=options.num_threads)):
                if any(m.id == id_ and m.jaccard == 1.0 for m in matches):
                    own.add(id_)
    seen: dict[int, tuple[str, float, str]] = {}
    for p, matches in found.items():
        others = [m for m in matches if m.id not in own]
        if others:
            seen[p] = (others[0].id, float(others[0].score), others[0].method)
    return seen
