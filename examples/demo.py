"""Show neardup's text primitives on the example corpus in examples/corpus.

Until the `neardup clean` job exists, this is the demo: it normalises, segments, tokenises and
shingles every page, then compares every pair of pages by their word 5-gram sets (Jaccard and
containment), which is where near-duplicates and repeated bodies show.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path


import neardup

CORPUS = Path(__file__).resolve().parent / "corpus"


def main() -> int:
    paths = sorted(CORPUS.glob("*.txt"))
    names = [p.stem for p in paths]
    texts = [p.read_text(encoding="utf-8") for p in paths]
    print(f"neardup {neardup.__version__}, backend: {neardup.backend()}, Unicode tables {neardup.UNICODE_VERSION}")
    print(f"{len(texts)} pages from {CORPUS}\n")

    sample = next(line for text in texts for line in text.split("\n") if "\u201c" in line)
    normalized = neardup.normalize(sample)
    print("normalize:", repr(sample[:60]))
    print("       ->  ", repr(normalized.text[:60]))
    tokens = neardup.tokenize(sample)
    start, end = tokens.spans[0]
    print(f"tokenize:   {tokens.tokens[:8]} ... (first token spans original [{start}:{end}] = {sample[start:end]!r})\n")

    segments = neardup.segment_batch(texts)
    shingles = neardup.shingles_batch(texts, n=5)
    sets = [set(shingles.document(i).tolist()) for i in range(len(texts))]
    print(f"{'page':28} {'lines':>5} {'paras':>5} {'tokens':>6} {'5-grams':>7} {'distinct':>8}")
    for i, name in enumerate(names):
        n_tokens = len(neardup.tokenize(texts[i]).tokens)
        print(
            f"{name:28} {len(segments[i].lines):5} {len(segments[i].paragraphs):5} {n_tokens:6} "
            f"{len(shingles.document(i)):7} {len(sets[i]):8}"
        )
    # A page whose 5-grams repeat carries text twice (a body pasted twice, a template).
    repeated = [name for i, name in enumerate(names) if len(sets[i]) < 0.75 * len(shingles.document(i))]
    print(f"\npages repeating a quarter or more of their own 5-grams: {repeated or 'none'}")

    print(f"\n{'pair':58} {'jaccard':>7} {'contain':>7}")
    for a, b in itertools.combinations(range(len(texts)), 2):
        shared = len(sets[a] & sets[b])
        jaccard = shared / len(sets[a] | sets[b])
        containment = shared / min(len(sets[a]), len(sets[b]))
        flag = "  <- same story" if containment >= 0.5 else ""
        print(f"{names[a] + ' ~ ' + names[b]:58} {jaccard:7.2f} {containment:7.2f}{flag}")
    print(
        "\nThe two bridge pages carry the same article inside different site chrome; the shared "
        "5-grams\nare the article, the rest is each site's template (what the chrome stage strips)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
