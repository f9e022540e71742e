"""The read stage: the corpus, read once per pass (three passes: learn, sign, write), in
batches. Inputs are files (stdin is spooled by the reader), so nothing but the per-document
table the run keeps is held in memory between passes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from ..io.errors import InputError
from ..io.read import Record, RecordReader


class Corpus:
    """The corpus is read once per pass: each pass's digest of the records (ids, texts,
    errors) must equal the first's, else the input changed during the run (a file rewritten
    or appended to) and the passes would disagree about the documents."""

    def __init__(self, reader: RecordReader) -> None:
        self.reader = reader
        self.first: bytes | None = None

    def read(self, keep_extra: bool = True) -> Iterator[Record]:
        """One pass: the records, with their other fields (:attr:`Record.extra`) or, for a
        pass that writes nothing back, without (whatever the reader was made with)."""
        self.reader.keep_extra = keep_extra
        # SHA-256: OpenSSL's runs on the CPU's SHA instructions where it has them, about twice
        # blake2b's speed here (three passes over every text).
        digest = hashlib.sha256()
        for record in self.reader:
            digest.update(f"{record.id}\0{record.text if record.text is not None else record.error}\0".encode("utf-8", "surrogatepass"))
            yield record
        if self.first is None:
            self.first = digest.digest()
        elif digest.digest() != self.first:
            self.changed()

    def changed(self) -> None:
        raise InputError(
            f"{', '.join(self.reader.names)}: the input changed during the run (it is read once per pass); "
            "run again once it no longer changes"
        )


def batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
