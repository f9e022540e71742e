"""The sign stage (the second pass): each batch of pages is stripped (:mod:`.strip`), the
cleaned texts go to the spool, and each one's distinct-shingle count and MinHash signature are
kept for the duplicate search, which holds signatures (8 * num_perm bytes per document), not
shingles.
"""

from __future__ import annotations

from ..cluster import distinct
from ..minhash import minhash
from ..text import shingles_batch
from .state import MINHASH_SEED, Doc, Run
from .strip import strip_records


def sign(run: Run) -> None:
    """Pass 2: strip repeats and chrome, spool the cleaned texts, keep their signatures;
    unreadable records are noted in ``run.skipped``."""
    options, threads = run.options, run.options.num_threads
    assert run.model is not None, "the learn stage sets the model"
    for batch in run.batches("clean"):
        readable = [r for r in batch if r.text is not None]
        for record in batch:
            if record.text is None:
                run.skipped[record.index] = record.error or "unreadable"
        if not readable:
            continue
        results = strip_records(run.model, readable, options)
        shingled = shingles_batch([text for text, _ in results], n=options.ngram, num_threads=threads)
        if options.dedup:
            run.signatures.append(minhash(shingled, num_perm=options.num_perm, seed=MINHASH_SEED, num_threads=threads).values)
        for position, (record, (cleaned, removed)) in enumerate(zip(readable, results)):
            doc = Doc(record.index, record.id, record.site, len(record.text or ""), record.written_id)
            doc.spool_offset = run.spool.write(cleaned)
            doc.cleaned_length = len(cleaned)
            doc.removed = removed
            doc.shingles = len(distinct(shingled.document(position)))
            run.docs.append(doc)
