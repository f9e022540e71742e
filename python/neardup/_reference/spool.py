"""Texts kept in a spool file, read back by byte range: the twin of ``rust/spool.rs``."""

from __future__ import annotations

import os

import numpy as np

from .cluster import check_pairs


def extents(starts, sizes) -> list[tuple[int, int]]:
    """Where each document's text lies in the spool: ``(first byte, size in bytes)``."""
    starts = np.asarray(starts, dtype=np.int64).reshape(-1).tolist()
    sizes = np.asarray(sizes, dtype=np.int64).reshape(-1).tolist()
    if len(starts) != len(sizes):
        raise ValueError(f"got {len(starts)} starts but {len(sizes)} sizes")
    for k, (start, size) in enumerate(zip(starts, sizes)):
        if start < 0:
            raise ValueError(f"starts[{k}] must be >= 0, got {start}")
        if size < 0:
            raise ValueError(f"sizes[{k}] must be >= 0, got {size}")
    return list(zip(starts, sizes))


def check_fd(fd: int) -> None:
    if fd < 0:
        raise ValueError(f"fd must be a file descriptor >= 0, got {fd}")


def local_pairs(count: int, pairs) -> tuple[list[int], list[tuple[int, int]]]:
    """The documents ``pairs`` name (ascending, each once) and the pairs as indices into that
    list, after checking that each names one of ``count`` documents."""
    pairs = check_pairs(count, pairs)
    docs = sorted({d for pair in pairs for d in pair})
    local = {d: k for k, d in enumerate(docs)}
    return docs, [(local[i], local[j]) for i, j in pairs]


def read_texts(fd: int, spans: list[tuple[int, int]], docs: list[int]) -> list[str]:
    """The texts of ``docs`` (indices into ``spans``) of the spool open as ``fd``."""
    for d in docs:
        if d >= len(spans):
            raise ValueError(f"document {d} out of range for {len(spans)} documents")
    return [read_text(fd, *spans[d]) for d in docs]


def read_text(fd: int, start: int, size: int) -> str:
    data = b""
    while len(data) < size:
        try:
            more = os.pread(fd, size - len(data), start + len(data))
        except OSError as error:
            raise OSError(f"reading the spool at byte {start}: {error}") from None
        if not more:
            raise OSError(f"the spool ends inside the text at byte {start} ({size} bytes)")
        data += more
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"the text at byte {start} of the spool is not UTF-8") from None
