"""A corpus of short texts inside long pages: what only the anchors find (the bands are made
for texts at least a fifth of their partner's size).

A short note (a 60-word passage and a few words) is printed inside twelve long pages of other
text, each ten times its size; six of the pages are there twice more (exact copies), so that
22 documents hold the passage's anchors in 13 groups of copies: under the 20 a value may be
held by, counted by group as the local job counts, but over it counted by document. Beside
them, unrelated pages. Each long page wraps the note (text of its own before and after it),
so the keep policy drops the page for the note.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

import neardup

ANCHOR_BITS = 5


def _vocabulary() -> list[str]:
    rng = random.Random(5)
    return ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(3000)]


def _words(rng: random.Random, vocabulary: list[str], count: int) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(count))


def write(path: Path) -> dict[str, list[str]]:
    """Writes the corpus as JSONL (``id``, ``text``) and returns ``{"note": [id],
    "pages": [ids of the pages holding it, copies included], "other": [ids]}``."""
    vocabulary = _vocabulary()
    # A passage with anchors (the sample is of hashes: it is looked for, not assumed).
    for seed in range(1000):
        passage = _words(random.Random(seed), vocabulary, 60) + "."
        hashes = np.unique(neardup.shingles(passage))
        if np.count_nonzero((hashes >> np.uint64(64 - ANCHOR_BITS)) == 0) >= 2:
            break
    rng = random.Random(11)
    rows = [{"id": "note", "text": passage + " " + _words(rng, vocabulary, 5) + "."}]
    pages = []
    for k in range(12):
        text = _words(rng, vocabulary, 300) + ".\n\n" + passage + "\n\n" + _words(rng, vocabulary, 300) + "."
        rows.append({"id": f"page-{k}", "text": text})
        pages.append(f"page-{k}")
        for c in range(2 if k < 6 else 0):
            rows.append({"id": f"page-{k}-copy-{c}", "text": text})
            pages.append(f"page-{k}-copy-{c}")
    other = []
    for k in range(5):
        rows.append({"id": f"other-{k}", "text": _words(rng, vocabulary, 400) + "."})
        other.append(f"other-{k}")
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return {"note": ["note"], "pages": pages, "other": other}
