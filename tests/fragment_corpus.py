"""A corpus of pages sharing a fragment: a passage that opens six pages three times its length,
each page going on with text of its own (no site keys, so nothing is taken for chrome); and
the same with sites (:func:`rows_across_sites`).

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


def rows_across_sites(copy_first: bool) -> list[dict[str, str]]:
    """The passage on site y; a page opening with it on site x and an exact copy of that page
    on site y (the copy first when ``copy_first``); ten more pages opening with it, each on a
    site of its own. The page and its copy are one group of exact copies that holds pages of
    two sites, so its pair with the passage goes either way whichever copy heads the group."""
    rng = np.random.default_rng(3)
    vocabulary = [f"w{k}" for k in range(5000)]

    def words(count: int) -> str:
        return " ".join(rng.choice(vocabulary, count).tolist())

    passage = words(80) + "."
    page = passage + "\n\n" + words(240) + "."
    copies = [{"id": "page", "text": page, "site": "x.example"}, {"id": "page-copy", "text": page, "site": "y.example"}]
    rows = [{"id": "passage", "text": passage, "site": "y.example"}] + (copies[::-1] if copy_first else copies)
    return rows + [{"id": f"other-{k}", "text": passage + "\n\n" + words(240) + ".", "site": f"z{k}.example"} for k in range(10)]


def write_across_sites(path: Path, copy_first: bool) -> None:
    """Writes :func:`rows_across_sites` as JSONL (``id``, ``text``, ``site``)."""
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows_across_sites(copy_first):
            handle.write(json.dumps(row) + "\n")
