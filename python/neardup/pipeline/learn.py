"""The learn stage (the first pass): each site's chrome is counted on every page of the
corpus that has a site, into the run's chrome model.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..chrome import ChromeModel
from ..io.read import Record
from .state import Run


def site_key_of(record: Record) -> str:
    # A page without a site is a site of its own: pooling unrelated pages would make their
    # shared lines look like a template.
    return record.site if record.site else f"(no site) {record.id}"


def learnable(records: Iterable[Record]) -> tuple[list[str], list[str]]:
    """The texts and site keys to learn chrome from: readable records with a site. A page
    without a site has no pages to be compared with (pooled with other such pages, or counted
    as a site of its own, their shared lines would look like a template or cross-site chrome)."""
    with_site = [r for r in records if r.text is not None and r.site]
    return [r.text for r in with_site], [site_key_of(r) for r in with_site]


def learn(run: Run) -> None:
    """Pass 1: the run's chrome model (a saved one, or a new one of the options' parameters),
    counted on the corpus unless chrome stripping is off."""
    options = run.options
    run.model = ChromeModel.load(options.chrome_model) if options.chrome_model else ChromeModel(**options.chrome_params)
    if options.chrome:
        for batch in run.batches("learn chrome"):
            texts, sites = learnable(batch)
            if texts:
                run.model.update(texts, sites, num_threads=options.num_threads)
