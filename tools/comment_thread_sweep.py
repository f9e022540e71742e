"""How sensitive the comment-thread rule (docs/chrome.md, step 10) is to its constants: on
each labelled chrome set, the change of body characters kept / chrome characters removed
that cutting comment threads makes, with the constants as shipped and with each one moved
in turn. The pages are decided by the core with the default parameters but comment threads
kept (no repeats removed), then the reference's ``comment_thread`` (whose constants are
module globals) cuts the thread of each page of a site of ``min_pages`` pages or more, as
the decision does. `python tools/comment_thread_sweep.py`"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benches"))
from chrome_quality import SETS, load  # noqa: E402

import neardup._reference.chrome as reference  # noqa: E402
from neardup import _core  # noqa: E402
from neardup.chrome import DEFAULT_PARAMS, PARAM_NAMES, Quality  # noqa: E402

MOVES = [("THREAD_STAMPS", [4]), ("THREAD_AFTER_CHARS", [250, 1000]), ("THREAD_PROSE_CHARS", [20, 80]),
         ("THREAD_FIRST_GAP", [2, 5]), ("THREAD_TAIL", [1, 4]), ("THREAD_LINES_PER_STAMP", [10, 40]),
         ("THREAD_HEADER_LINES", [1, 5])]


def decided() -> dict[str, tuple[list[dict], list[list[int]], list[tuple], list[bool]]]:
    """Per set: its rows, their decisions with threads kept, their line keys, and whether
    each page's site has the pages a thread is looked for on."""
    params = {**DEFAULT_PARAMS, "cut_comments": False}
    data = {}
    for name in SETS:
        rows = load(name, False)
        texts, sites = [r["text"] for r in rows], [r["site"] for r in rows]
        model = _core.ChromeModel(*(params[p] for p in PARAM_NAMES))
        model.add(texts, sites)
        decisions = [np.asarray(d).tolist() for _, d in model.decide(texts, sites)]
        keys = [(k[3].tolist(), k[1].tolist(), k[6].tolist(), k[7].tolist(), k[8].tolist()) for k in _core.line_keys_batch(texts)]
        eligible = [model.site_state(site)[0] >= params["min_pages"] for site in sites]
        data[name] = (rows, decisions, keys, eligible)
    return data


def score(data, cut: bool) -> dict[str, tuple[float, float]]:
    """(body kept, chrome removed) per set (:class:`neardup.chrome.Quality` over the pages'
    lines), comment threads cut or not."""
    out = {}
    for name, (rows, decisions, keys, eligible) in data.items():
        total = Quality(0, 0, 0, 0)
        for row, d, (lengths, fingerprints, stamps, tails, texts), looked in zip(rows, decisions, keys, eligible):
            thread = reference.comment_thread(d, lengths, fingerprints, stamps, tails, texts) if cut and looked else None
            start, end = thread or (0, 0)
            gone = [d[i] != reference.BODY or start <= i < end for i in range(len(d))]
            total += Quality.of_lines(zip(row["text"].split("\n"), row["line_is_body"], gone))
        out[name] = (total.kept, total.removed)
    return out


def main() -> None:
    # No options: the parser gives --help and refuses the unknown ones before the long run.
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                            allow_abbrev=False).parse_args()
    data = decided()
    base = score(data, False)

    def show(label: str, result: dict[str, tuple[float, float]]) -> None:
        cells = " | ".join(f"{result[n][0] - base[n][0]:+.4f} / {result[n][1] - base[n][1]:+.4f}" for n in SETS)
        print(f"| {label} | {cells} |")

    print("| constants | " + " | ".join(SETS) + " |")
    print("|---" * (len(SETS) + 1) + "|")
    show("as shipped", score(data, True))
    for name, values in MOVES:
        shipped = getattr(reference, name)
        for value in values:
            setattr(reference, name, value)
            show(f"{name} {value}", score(data, True))
        setattr(reference, name, shipped)


if __name__ == "__main__":
    main()
