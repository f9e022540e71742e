"""Reading WARC files record by record: Common Crawl's WET files (``.warc.wet.gz``: the text of
each crawled page in a ``conversion`` record) and WARC files (``.warc``, ``.warc.gz``).

The records are parsed by warcio (the optional extra ``neardup[warc]``), chosen over fastwarc
because it is pure Python (it installs wherever neardup's wheel does, with nothing to build),
it is what datatrove's WARC reader uses, and it writes WARC too (the tests make real WET files
with it). Its leniency is not ours: warcio reports a corrupt gzip member on standard error and
reads on, and takes a record cut short as a shorter record. So the gzip members are
decompressed here, strictly (a member cut short, corrupt data or a bad checksum is an error
naming the member's offset), and every record's block is checked against its Content-Length:
a damaged file raises :class:`DamagedWarc`, never yields fewer or shorter records.
"""

from __future__ import annotations

import bisect
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

#: File names read as WARC (after a ``.gz``): ``.warc``, and ``.warc.wet`` or ``.wet`` (WET).
WARC_SUFFIXES = (".warc", ".wet")

_GZIP_MAGIC = b"\x1f\x8b"


class DamagedWarc(Exception):
    """A WARC file that is truncated or corrupt; the message starts with the record's offset."""


@dataclass
class WarcRecord:
    """One record of a WARC file, its block read whole and checked against its length."""

    #: Where the record starts in the file, in bytes: ``"N"``. In a ``.gz``, where its gzip
    #: member starts (the record's own offset when, as the standard has it, each record is a
    #: member of its own), and ``"N+D"`` for a record D bytes into the decompressed member
    #: starting at N (a file gzipped as one stream).
    offset: str
    #: ``WARC-Type`` (``conversion``, ``warcinfo``, ``response``, ...); None when absent.
    type: str | None
    record_id: str | None
    target_uri: str | None
    #: The other headers, by name as written; a header given more than once, a list of its values.
    headers: dict[str, Any] = field(default_factory=dict)
    block: bytes = b""


def require_warcio(spec: str) -> None:
    """Raise InputError naming ``spec`` when warcio, which reads WARC, is not installed."""
    try:
        import warcio  # noqa: F401
    except ImportError:
        raise InputError(f"{spec}: reading WARC and WET files needs warcio: pip install 'neardup[warc]'") from None


class GzipMembers(io.RawIOBase):
    """The decompressed bytes of every gzip member of a file, in order, and where in the file
    each member starts (:meth:`file_offset`). A file that ends inside a member, corrupt
    deflate data, a bad checksum or bytes after the last member that are not gzip raise
    :class:`DamagedWarc` naming the member's offset."""

    # Compressed bytes per step: small, as it bounds what one step of a pathological member
    # (long runs of one byte) expands to in memory.
    CHUNK = 1 << 16

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._file = open(path, "rb")
        self._member: Any = None  # the decompressobj of the member under way; None between members
        self._member_start = 0
        self._member_fresh = False  # no byte of the member under way decompressed yet
        self._read_end = 0  # the file offset after the bytes read so far
        self._produced = 0  # decompressed bytes made so far (handed out or buffered)
        self._handed = 0  # decompressed bytes handed out
        #: (decompressed offset, file offset) of each member start not yet passed by a query.
        self._starts: list[tuple[int, int]] = []
        self._out = memoryview(b"")

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        """Decompressed bytes read so far (warcio counts its offsets with it)."""
        return self._handed

    def readinto(self, buffer: Any) -> int:
        while not self._out:
            chunk = self._file.read(self.CHUNK)
            if not chunk:
                if self._member is not None:
                    raise DamagedWarc(f"record at byte {self._member_start}: truncated: the file ends inside its gzip member")
                return 0
            self._read_end += len(chunk)
            self._out = memoryview(self._decompress(chunk))
        size = min(len(buffer), len(self._out))
        buffer[:size] = self._out[:size]
        self._out = self._out[size:]
        self._handed += size
        return size

    def _decompress(self, data: bytes) -> bytes:
        parts = []
        while data:
            if self._member is None:
                self._member_start = self._read_end - len(data)
                self._starts.append((self._produced, self._member_start))
                self._member = zlib.decompressobj(wbits=31)  # gzip: header, deflate, CRC and length checked
                self._member_fresh = True
            if self._member_fresh and len(data) >= 2 and not data.startswith(_GZIP_MAGIC):
                # Junk after the last record, say: named as such, not as a corrupt record.
                raise DamagedWarc(f"byte {self._member_start}: not gzip data, where a gzip member (a record) should start")
            self._member_fresh = False
            try:
                out = self._member.decompress(data)
            except zlib.error as error:
                raise DamagedWarc(f"record at byte {self._member_start}: corrupt gzip data ({error})") from None
            parts.append(out)
            self._produced += len(out)
            data = b""
            if self._member.eof:  # the member is complete: what follows starts the next one
                data, self._member = self._member.unused_data, None
        return b"".join(parts)

    def file_offset(self, position: int) -> str:
        """Where decompressed byte ``position`` is in the file: ``"N"`` when it starts the
        member at file offset N, else ``"N+D"``, D bytes into that member's decompressed
        data. Positions are asked in increasing order: members before the one found are
        forgotten."""
        found = max(bisect.bisect_right(self._starts, (position, float("inf"))) - 1, 0)
        del self._starts[:found]
        start, offset = self._starts[0] if self._starts else (0, 0)
        return f"{offset}+{position - start}" if position > start else str(offset)

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            super().close()


class _PlainFile(io.FileIO):
    """An uncompressed WARC: offsets are the file's own."""

    def file_offset(self, position: int) -> str:
        return str(position)


def _open_warc(path: Path) -> GzipMembers | _PlainFile:
    # By content, not name: a gzipped file named .warc is read strictly too, not left to
    # warcio's lenient decompression.
    with open(path, "rb") as probe:
        start = probe.read(2)
    if not start and path.name.lower().endswith(".gz"):
        # Not an empty crawl: gzip -t refuses it, as a file cut short (as the JSONL reader
        # refuses a .jsonl.gz of 0 bytes).
        raise DamagedWarc("byte 0: truncated: the file is empty (0 bytes), without even a gzip header")
    return GzipMembers(path) if start == _GZIP_MAGIC else _PlainFile(path)


def _headers_of(pairs: list[tuple[str, str | None]]) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    for name, value in pairs:
        if value is None or name.lower() in ("warc-record-id", "warc-target-uri"):
            continue
        if name not in headers:
            headers[name] = value
        elif isinstance(headers[name], list):
            headers[name].append(value)
        else:
            headers[name] = [headers[name], value]
    return headers


def read_warc(path: Path) -> Iterator[WarcRecord]:
    """Every record of the WARC file ``path``, in order, each block read whole. A record
    that cannot be parsed, one without a valid Content-Length or cut short, and damaged gzip
    data raise :class:`DamagedWarc` (the message starts ``record at byte N``)."""
    from warcio.archiveiterator import WARCIterator
    from warcio.exceptions import ArchiveLoadFailed

    with _open_warc(path) as stream:
        # no_record_parse: the block is read as it is (no HTTP headers are parsed out of it).
        records = WARCIterator(stream, no_record_parse=True)
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except ArchiveLoadFailed as error:
                # The record after the last one read (warcio's offset of the record it parses).
                at = stream.file_offset(records.offset)
                reason = str(error).strip().replace("Invalid WARC record, first line: ", "not a WARC record; its first line is ")
                raise DamagedWarc(f"record at byte {at}: {reason}") from None
            # warcio's offset of the record it yielded: where its first line starts.
            at = stream.file_offset(records.offset)
            headers = record.rec_headers
            length = headers.get_header("Content-Length")
            if length is None and not records.reader.read(1):
                raise DamagedWarc(f"record at byte {at}: truncated: the file ends in its headers")
            if length is None or not length.strip().isdigit():
                raise DamagedWarc(f"record at byte {at}: Content-Length is {length!r}, not a number of bytes")
            block = record.raw_stream.read()
            if len(block) < int(length):
                raise DamagedWarc(
                    f"record at byte {at}: truncated: the file ends {int(length) - len(block):,} bytes before the end of its block "
                    f"(Content-Length {int(length):,})"
                )
            # A record ends with a blank line after its block. warcio takes anything else as a
            # warning on standard error and skips ahead to the next record, so a wrong
            # Content-Length would cut the text short, or swallow the next record, unsaid.
            end = records.reader.readline()
            if not end:
                raise DamagedWarc(f"record at byte {at}: truncated: the file ends right after its block, before the blank line that ends a record")
            if end.strip():
                raise DamagedWarc(
                    f"record at byte {at}: its block (Content-Length {int(length):,}) is not followed by the blank line that ends a record: "
                    "a wrong Content-Length, or damaged data"
                )
            yield WarcRecord(
                offset=at,
                type=headers.get_header("WARC-Type"),
                record_id=headers.get_header("WARC-Record-ID"),
                target_uri=headers.get_header("WARC-Target-URI"),
                headers=_headers_of(headers.headers),
                block=block,
            )
