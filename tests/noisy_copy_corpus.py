"""Copies of stories with character noise, on another site and on the story's own site.

Two stories of site ``alpha`` (made-up words from a few syllables, ten paragraphs each) and
copies of them with one character changed in 14% of their words (as an OCR'd copy): the
copy of the first on site ``beta`` (``copy-across``), the copy of the second on ``alpha``
itself (``copy-within``). Each copy keeps 0.43-0.44 of its story's word 5-grams and 0.86
of its words in aligned passages. Every page carries its site's header and footer line, and
``beta`` a page of its own (``other``).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SYLLABLES = ["ka", "lo", "mi", "ter", "san", "vo", "ri", "den", "ul", "pra", "ne", "sto", "ba", "gi", "mur"]


def _story(rng: random.Random, paragraphs: int = 10) -> list[str]:
    sentences = [" ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(10, 18))).capitalize() + "."
                 for _ in range(4 * paragraphs)]
    return [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]


def _noisy(lines: list[str], rng: random.Random, share: float = 0.14) -> list[str]:
    out = []
    for line in lines:
        words = line.split(" ")
        for k, word in enumerate(words):
            if rng.random() < share:
                at = rng.randrange(len(word))
                words[k] = word[:at] + "q" + word[at + 1 :]
        out.append(" ".join(words))
    return out


def _page(site: str, lines: list[str]) -> str:
    return "\n".join([f"{site.capitalize()} News front page", *lines, f"{site.capitalize()} News archive"])


def rows() -> list[dict[str, str]]:
    """The corpus's records (``id``, ``site``, ``text``)."""
    rng, noise = random.Random(7), random.Random(1)
    first, second, other = _story(rng), _story(rng), _story(rng, 1)
    return [
        {"id": "story-1", "site": "alpha", "text": _page("alpha", first)},
        {"id": "story-2", "site": "alpha", "text": _page("alpha", second)},
        {"id": "copy-across", "site": "beta", "text": _page("beta", _noisy(first, noise))},
        {"id": "copy-within", "site": "alpha", "text": _page("alpha", _noisy(second, noise))},
        {"id": "other", "site": "beta", "text": _page("beta", other)},
    ]


def write(path: Path) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows()), encoding="utf-8")
