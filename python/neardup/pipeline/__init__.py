"""``neardup clean``: repeats -> chrome -> duplicates over a corpus, one decision per document.

The job (:func:`clean`, in :mod:`.job`) runs its stages, a module each, over one run's state
(:mod:`.state`): read (the corpus, once per pass), learn (the chrome model), strip (repeats
and chrome of each page), sign (the cleaned texts spooled and signed), decide (verified
clusters, pages that wrap a partner, the index) and write (one row per input record in
``decisions.jsonl``, the kept documents, the report).
"""

from .job import clean, clean_table, read_decisions
from .learn import learnable
from .state import CleanOptions
from .strip import strip_records
from .write import decisions_schema

__all__ = ["CleanOptions", "clean", "clean_table", "decisions_schema", "learnable", "read_decisions", "strip_records"]
