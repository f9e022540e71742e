"""The sign stage: each batch of pages is stripped (:mod:`.strip`), the
cleaned texts go to the spool, and each one's distinct-shingle count and the LSH band keys of
its MinHash signature are kept for the duplicate search, which holds band keys (8 bytes a
band), not signatures or shingles.
"""

from __future__ import annotations

import numpy as np

from .. import _backend
from ..io.read import Record
from ..io.write import json_tail
from ..lsh import band_keys
from ..spans import CutMap
from ..text import shingles_batch
from .state import ANCHOR_BITS, MINHASH_SEED, CleanOptions, Doc, Run, Unreadable, lsh_bands
from .strip import strip_records


def sign(run: Run, first: int = 0) -> None:
    """A pass over the corpus signing the records from input position ``first`` on (the
    earlier ones were signed in the first pass)."""
    for batch in run.batches("clean"):
        if batch[-1].index >= first:
            sign_batch(run, [record for record in batch if record.index >= first])


def sign_batch(run: Run, records: list[Record]) -> None:
    """Strip repeats and chrome of ``records`` (the next ones in input order), spool the
    cleaned texts, keep their signatures' band keys; unreadable records are noted in
    ``run.skipped``. When the write stage works from the spool (:attr:`.Run.writes_from_spool`),
    each text's other fields (as the JSON that follows the text in ``documents.jsonl``) and
    the characters removed from it are spooled too."""
    options = run.options
    assert run.model is not None, "the learn stage sets the model"
    readable = [r for r in records if r.text is not None]
    for record in records:
        if record.text is None:
            run.skipped[record.index] = Unreadable(record.id, record.id_value, record.source, record.error or "unreadable")
    if not readable:
        return
    results = strip_records(run.model, readable, options)
    signatures, sizes, anchors = signed([text for text, _ in results], options)
    if signatures is not None:
        run.band_keys.append(band_keys(signatures, *lsh_bands(options), num_threads=options.num_threads))
    if anchors is not None:
        values, offsets = anchors
        run.anchor_values.append(values.reshape(-1, 1))
        run.anchor_counts.append(np.diff(offsets).reshape(-1, 1))
    spool, tails = run.spool, run.writes_from_spool
    for position, (record, (cleaned, removed)) in enumerate(zip(readable, results)):
        text = record.text or ""
        doc = Doc(record.index, record.id, record.site, len(text), record.written_id)
        doc.spool_offset = spool.write(cleaned)
        if tails:
            doc.tail_offset = spool.write_utf8(json_tail(record.extra))
            if removed:
                doc.removed_text_offset = spool.write(CutMap(len(text), removed).removed_text(text))
        doc.cleaned_length = len(cleaned)
        doc.removed = removed
        doc.shingles = sizes[position]
        if record.truncated:
            assert record.original is not None
            doc.truncation = (len(record.original), record.truncated)
        run.docs.append(doc)


def signed(texts: list[str], options: CleanOptions) -> tuple[np.ndarray | None, list[int], tuple[np.ndarray, np.ndarray] | None]:
    """The MinHash signatures of cleaned ``texts`` (``(len(texts), num_perm)`` uint64), the
    number of distinct shingles of each, and their anchors (:data:`.state.ANCHOR_BITS`;
    ``(values, offsets)``); signatures and anchors are None when ``options.dedup`` is off."""
    threads = options.num_threads
    if options.dedup:
        # One core call signs each set and takes its size and anchors as it goes: no shingle
        # array is handed back to Python.
        values, sizes, anchors, offsets = _backend.IMPL.minhash_texts_anchored(
            texts, options.num_perm, MINHASH_SEED, "classic", options.ngram, "word", 0, ANCHOR_BITS, threads
        )
        signatures = np.asarray(values, dtype=np.uint64).reshape(-1, options.num_perm)
        return signatures, np.asarray(sizes, dtype=np.int64).tolist(), (np.asarray(anchors, dtype=np.uint64), np.asarray(offsets, dtype=np.int64))
    sets = shingles_batch(texts, n=options.ngram, num_threads=threads, distinct=True)
    return None, np.diff(sets.offsets).tolist(), None
