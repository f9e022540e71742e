"""A corpus of pages sharing a fragment: a passage that opens six pages three times its length,
each page going on with text of its own (no site keys, so nothing is taken for chrome).

Summed over the six, the passage holds more of its partners than any page holds (a page
holds all of the passage, the passage a quarter of each page), so ``keep="most_complete"``
ranks it first; but a page is dropped only for a document holding at least the threshold of
it, so the first page is kept and takes the passage, and the other pages are kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

PAGES = 6


def texts() -> dict[str, str]:
    """``{id: text}``: the passage first, then the pages."""
    rng = np.random.default_rng(3)
    vocabulary = [f"w{k}" for k in range(5000)]

    def words(count: int) -> str:
        return " ".join(rng.choice(vocabulary, count).tolist())

    passage = words(80) + "."
    return {"passage": passage} | {f"page-{k}": passage + "\n\n" + words(240) + "." for k in range(PAGES)}


def write(path: Path) -> dict[str, str]:
    """Writes the corpus as JSONL (``id``, ``text``) and returns its texts by id."""
    corpus = texts()
    with open(path, "w", encoding="utf-8") as handle:
        for id_, text in corpus.items():
            handle.write(json.dumps({"id": id_, "text": text}) + "\n")
    return corpus
