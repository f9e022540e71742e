"""The strip stage: each page loses its repeated passages and its site's chrome; what was
removed is kept as spans of the text as read.
"""

from __future__ import annotations

from ..chrome import ChromeModel
from ..io.read import Record
from ..repeats import find_repeats_batch
from ..spans import CutText
from .learn import site_key_of
from .state import CleanOptions


def needs_model(record: Record, options: CleanOptions) -> bool:
    """Whether stripping ``record`` needs the chrome model learned on the whole corpus: a
    readable page with a site, unless chrome stripping is off."""
    return options.chrome and record.text is not None and bool(record.site)


def strip_records(model: ChromeModel, records: list[Record], options: CleanOptions) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Cleaned text and removed spans of each record. Chrome is learned per site, so a page
    without a site (nothing to compare it with) only loses its repeated passages."""
    texts = [r.text or "" for r in records]
    results: list[tuple[str, list[tuple[int, int, str]]]] = [("", [])] * len(records)
    with_site = [i for i, r in enumerate(records) if r.site] if options.chrome else []
    if with_site:
        stripped = model.strip_batch(
            [texts[i] for i in with_site], [site_key_of(records[i]) for i in with_site], repeats=options.repeats, num_threads=options.num_threads
        )
        for i, result in zip(with_site, stripped):
            # A removal of nothing but line breaks and spaces changes no content: it is
            # neither made nor reported.
            spans = [tuple(x) for x in result.removed if texts[i][x.start : x.end].strip()]
            results[i] = cut_spans(texts[i], spans)
    rest = sorted(set(range(len(records))) - set(with_site))
    copies = find_repeats_batch([texts[i] for i in rest], num_threads=options.num_threads) if options.repeats and rest else [[] for _ in rest]
    for i, found in zip(rest, copies):
        results[i] = cut_spans(texts[i], [(c.start, c.end, "repeat") for c in found])
    return results


def own_texts(model: ChromeModel, texts: list[str], sites: list[str | None], num_threads: int | None = None) -> list[str | None]:
    """Per cleaned text (of a page of ``sites``, None for a page without a site), its *own
    text*: the text without the lines that two or more pages of its site carry and no other
    site does (:meth:`ChromeModel.line_counts`), or None where it has no such line or no site.
    Chrome that the model leaves because too few of the site's pages carry it to be template
    (a comment thread, a list of headlines, shown on one other page) recurs on its site only;
    an article its site carries twice is on the sites that copied it too."""
    own: list[str | None] = [None] * len(texts)
    with_site = [i for i, (text, site) in enumerate(zip(texts, sites)) if site and text]
    if not with_site:
        return own
    counts = model.line_counts([texts[i] for i in with_site], [str(sites[i]) for i in with_site], num_threads=num_threads)
    for i, count in zip(with_site, counts):
        site_only = (count[:, 0] >= 2) & (count[:, 1] == 1)
        if site_only.any():
            own[i] = "\n".join(line for line, drop in zip(texts[i].split("\n"), site_only.tolist()) if not drop)
    return own


def cut_spans(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int, str]]]:
    """``text`` less ``spans`` and the spans removed (:class:`CutText`); a text with nothing to
    remove, most of them, is returned as it is."""
    if not spans:
        return text, []
    cut = CutText(text, spans)
    return cut.text, cut.removed
