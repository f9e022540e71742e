"""The read stage: the corpus, read once per pass (learn, sign; write for Parquet output: :mod:`.job`), in
batches. Inputs are files (stdin is spooled by the reader), so nothing but the per-document
table the run keeps is held in memory between passes. With more than one thread, the learn
and sign passes read the next batch in a thread of their own (:func:`read_ahead`) while the
core works on the current one.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from .. import _backend
from ..io.errors import InputError
from ..io.read import Record, RecordReader

T = TypeVar("T")


class PassDigest:
    """A digest of what one pass read, for comparing passes of one run: XXH3-64 chained over
    the parts (each hashed with the digest so far as its seed) in the compiled core, about
    five times SHA-256's speed here; SHA-256 (OpenSSL's, on the CPU's SHA instructions where
    it has them) with the pure-Python backend, whose XXH3 is Python code."""

    def __init__(self) -> None:
        self._sha = None if _backend.NAME == "rust" else hashlib.sha256()
        self._value = 0

    def update(self, data: bytes | memoryview) -> None:
        if self._sha is not None:
            self._sha.update(data)
        else:
            self._value = _backend.IMPL.hash64(data if isinstance(data, bytes) else bytes(data), self._value)

    def digest(self) -> bytes:
        return self._sha.digest() if self._sha is not None else self._value.to_bytes(8, "little")


class Corpus:
    """The corpus is read once per pass: each pass's digest of what it read
    (:attr:`RecordReader.digest`: the bytes of JSONL inputs, the records of others) must equal
    the first's, else the input changed during the run (a file rewritten or appended to) and
    the passes would disagree about the documents."""

    def __init__(self, reader: RecordReader) -> None:
        self.reader = reader
        self.first: bytes | None = None

    def read(self, keep_extra: bool = True, threads: bool = False) -> Iterator[Record]:
        """One pass: the records, with their other fields (:attr:`Record.extra`) or, for a
        pass that writes nothing back, without (whatever the reader was made with). With
        ``threads``, a pass after the first inflates gzip inputs in a thread of its own
        (:attr:`RecordReader.inflate_in_thread`): the first pass has read them whole, so where
        a damaged file fails does not depend on the thread count."""
        self.reader.keep_extra = keep_extra
        self.reader.inflate_in_thread = threads and self.first is not None
        digest = PassDigest()
        self.reader.digest = digest
        try:
            yield from self.reader
        finally:
            self.reader.digest = None
            self.reader.inflate_in_thread = False
        if self.first is None:
            self.first = digest.digest()
        elif digest.digest() != self.first:
            self.changed()

    def changed(self) -> None:
        raise InputError(
            f"{', '.join(self.reader.names)}: the input changed during the run (it is read once per pass); "
            "run again once it no longer changes"
        )


def read_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items`` in order, produced by a thread of their own up to ``depth`` ahead of the
    consumer: reading and parsing the next batch (Python, holding the GIL) overlaps the core's
    work on this one (which releases it). An exception of the producer is raised here, at the
    item where it occurred; closing the generator stops the producer."""
    slots: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((False, None))
        except BaseException as error:  # handed to the consumer, which raises it
            slots.put((False, error))
        finally:
            # The reader's files are closed here, not whenever the generator is collected.
            close = getattr(items, "close", None)
            if close is not None:
                close()

    producer = threading.Thread(target=produce, name="neardup-read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            more, item = slots.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while producer.is_alive():
            try:
                slots.get_nowait()
            except queue.Empty:
                producer.join(0.05)


def batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
