"""Two pages of one manual made from one template (the command's object named in every
fourteenth word), an edited copy of the first (a different word changed in every fourteenth
place) and an unrelated page; no sites. The two pages share 0.6 of their word 5-grams and
align on 0.93 of their words, as the edited copy does with its page."""

from __future__ import annotations

import random


def rows() -> list[dict[str, str]]:
    """The corpus's records (``id``, ``text``)."""
    rng = random.Random(21)
    vocabulary = [f"w{k}" for k in range(400)]
    template = [rng.choice(vocabulary) for _ in range(280)]

    def page(name: str) -> str:
        words = [name if k % 14 == 7 else word for k, word in enumerate(template)]
        return "\n".join(" ".join(words[k : k + 20]) + "." for k in range(0, len(words), 20))

    edited = page("widget").split(" ")
    for k in range(3, len(edited), 14):
        edited[k] = f"edit{k}"
    pages = {
        "widget": page("widget"),
        "gadget": page("gadget"),
        "widget-edited": " ".join(edited),
        "manual-other": "\n".join(" ".join(rng.choice(vocabulary) for _ in range(20)) + "." for _ in range(14)),
    }
    return [{"id": name, "text": text} for name, text in pages.items()]
