"""Reading corpora (:mod:`neardup.io.read`) and writing results (:mod:`neardup.io.write`),
with the errors of both (:mod:`neardup.io.errors`); their public names, re-exported."""

from .errors import InputError, OutputError, output_error
from .read import (
    DEFAULT_MAX_CHARS,
    DEFAULT_MAX_LINE_CHARS,
    JSONL_SUFFIXES,
    MAX_DEPTH,
    OVERSIZE_POLICIES,
    Fields,
    Record,
    RecordReader,
    input_kind,
    long_lines_of,
    nesting_depth,
    oversize_message,
    parse_json_line,
    site_of,
    truncation,
)
from .write import OUTPUT_ERRORS, STAGING_PREFIX, AtomicOutputDir, GuardedFile, json_line, open_output

__all__ = [
    "DEFAULT_MAX_CHARS",
    "DEFAULT_MAX_LINE_CHARS",
    "JSONL_SUFFIXES",
    "MAX_DEPTH",
    "OUTPUT_ERRORS",
    "OVERSIZE_POLICIES",
    "STAGING_PREFIX",
    "AtomicOutputDir",
    "Fields",
    "GuardedFile",
    "InputError",
    "OutputError",
    "Record",
    "RecordReader",
    "input_kind",
    "json_line",
    "long_lines_of",
    "nesting_depth",
    "open_output",
    "output_error",
    "oversize_message",
    "parse_json_line",
    "site_of",
    "truncation",
]
