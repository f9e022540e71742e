"""The sign stage (the second pass): each batch of pages is stripped (:mod:`.strip`), the
cleaned texts go to the spool, and each one's distinct-shingle count and the LSH band keys of
its MinHash signature are kept for the duplicate search, which holds band keys (8 bytes a
band), not signatures or shingles.
"""

from __future__ import annotations

import numpy as np

from ..cluster import distinct
from ..lsh import band_keys
from ..minhash import minhash
from ..text import shingles_batch
from .state import MINHASH_SEED, CleanOptions, Doc, Run, lsh_bands
from .strip import strip_records


def sign(run: Run) -> None:
    """Pass 2: strip repeats and chrome, spool the cleaned texts, keep their signatures' band
    keys; unreadable records are noted in ``run.skipped``."""
    options = run.options
    assert run.model is not None, "the learn stage sets the model"
    for batch in run.batches("clean"):
        readable = [r for r in batch if r.text is not None]
        for record in batch:
            if record.text is None:
                run.skipped[record.index] = record.error or "unreadable"
        if not readable:
            continue
        results = strip_records(run.model, readable, options)
        signatures, sizes = signed([text for text, _ in results], options)
        if signatures is not None:
            run.band_keys.append(band_keys(signatures, *lsh_bands(options), num_threads=options.num_threads))
        for position, (record, (cleaned, removed)) in enumerate(zip(readable, results)):
            doc = Doc(record.index, record.id, record.site, len(record.text or ""), record.written_id)
            doc.spool_offset = run.spool.write(cleaned)
            doc.cleaned_length = len(cleaned)
            doc.removed = removed
            doc.shingles = sizes[position]
            run.docs.append(doc)


def signed(texts: list[str], options: CleanOptions) -> tuple[np.ndarray | None, list[int]]:
    """The MinHash signatures of cleaned ``texts`` (``(len(texts), num_perm)`` uint64; None
    when ``options.dedup`` is off) and the number of distinct shingles of each."""
    threads = options.num_threads
    shingled = shingles_batch(texts, n=options.ngram, num_threads=threads)
    signatures = minhash(shingled, num_perm=options.num_perm, seed=MINHASH_SEED, num_threads=threads).values if options.dedup else None
    return signatures, [len(distinct(shingled.document(k))) for k in range(len(texts))]
