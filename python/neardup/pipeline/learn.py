"""The learn stage (in the first pass): each site's chrome is counted on every page of the
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


def open_model(run: Run) -> None:
    """The run's chrome model: a saved one, or a new one of the options' parameters."""
    options = run.options
    run.model = ChromeModel.load(options.chrome_model) if options.chrome_model else ChromeModel(**options.chrome_params)


def learn_batch(run: Run, records: list[Record]) -> None:
    """Count the pages of ``records`` that have a site into the run's model, unless chrome
    stripping is off."""
    assert run.model is not None, "open_model sets the model"
    if run.options.chrome:
        texts, sites = learnable(records)
        if texts:
            run.model.update(texts, sites, num_threads=run.options.num_threads)
