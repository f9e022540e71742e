"""A corpus where a trimmed copy matches its source only on the pages' own texts.

Two sites of three pages each, every page with its site's menu and footer. A story of the
source site is copied, trimmed to its first 70%, into the place of the article of a page of
the host site, below that page's header and above its readers' comments, as a scraper of a
syndicated page would see it. The comments are on that page and on the copy only (two of the
site's pages, too few for chrome), so the copy's cleaned text is the trimmed story and the
comments: the story's page holds only 0.7 of it, and the copy holds 0.7 of the story. Without
the lines that another page of its site has, the copy is the trimmed story, which the
story's page holds whole. Beside them, a story of the host site copied whole to a third site,
an exact copy that needs no second look. And a forum page whose short post sits above a long
thread of replies, with a copy of another short story placed in its frame (``forum-copy``):
the two share the thread, nine tenths of each cleaned text, and nothing of their own.

:func:`caption_rows` is a second corpus: a photo page of a forum site (a one-line caption
above the site's thread of replies) and another page of that site carrying the same thread
under a story that a news site published too. The photo page's cleaned text is nine tenths
thread, which the other page holds; its own text is the caption, too short to carry evidence.
"""

from __future__ import annotations

import json
import random
from pathlib import Path


def _vocabulary() -> list[str]:
    rng = random.Random(17)
    return ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(3000)]


def _paragraphs(rng: random.Random, vocabulary: list[str], count: int, words: int) -> list[str]:
    return [" ".join(rng.choice(vocabulary) for _ in range(words)) + "." for _ in range(count)]


def rows() -> list[dict[str, str]]:
    """The corpus's records (``id``, ``site``, ``text``); the copy is ``copy`` of ``source-0``."""
    vocabulary = _vocabulary()
    rng = random.Random(23)
    menus = {site: [f"{site} home", f"{site} world news", f"{site} sport and culture", f"About {site}"] for site in ("source", "host", "third")}
    footers = {site: [f"Copyright {site} media group", f"Contact the {site} newsroom"] for site in menus}
    out = []
    stories = {}
    for site in ("source", "host"):
        for k in range(3):
            story = _paragraphs(rng, vocabulary, 10, 30)
            stories[f"{site}-{k}"] = story
            comments = _paragraphs(rng, vocabulary, 8, 25) if site == "host" and k == 0 else []
            out.append({"id": f"{site}-{k}", "site": site, "text": "\n".join(menus[site] + story + comments + footers[site])})
    host = out[3]["text"].split("\n")
    header, comments = host[:4], host[14:22]
    trimmed = stories["source-0"][:7]
    out.append({"id": "copy", "site": "host", "text": "\n".join(header + trimmed + comments + footers["host"])})
    out.append({"id": "third-0", "site": "third", "text": "\n".join(menus["third"] + stories["host-1"] + footers["third"])})
    forum_menu, forum_footer = ["forum index", "forum search", "forum members"], ["forum rules and help"]
    thread = _paragraphs(rng, vocabulary, 30, 20)
    for k in range(3):
        post = _paragraphs(rng, vocabulary, 3, 20)
        out.append({"id": f"forum-{k}", "site": "forum", "text": "\n".join(forum_menu + post + (thread if k == 0 else []) + forum_footer)})
    out.append({"id": "forum-copy", "site": "forum", "text": "\n".join(forum_menu + stories["source-2"][:3] + thread + forum_footer)})
    return out


def caption_rows() -> list[dict[str, str]]:
    """The second corpus's records: ``caption`` and ``host`` on site ``photos``, ``story`` on
    ``wire`` (the story ``host`` carries above the thread)."""
    vocabulary = _vocabulary()
    rng = random.Random(5)
    thread = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(25, 40))) + "." for _ in range(12)]
    story = _paragraphs(rng, vocabulary, 6, 60)
    return [
        {"id": "story", "site": "wire", "text": "\n".join(["Wire home", *story, "Wire footer"])},
        {"id": "host", "site": "photos", "text": "\n".join(["Photos home", *story, *thread, "Photos footer"])},
        {"id": "caption", "site": "photos", "text": "\n".join(["Photos home", "A photo of the harbour at dawn.", *thread, "Photos footer"])},
    ]


def write(path: Path, records: list[dict[str, str]] | None = None) -> None:
    """Writes :func:`rows` (or ``records``) as JSONL."""
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows() if records is None else records:
            handle.write(json.dumps(row) + "\n")
