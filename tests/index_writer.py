"""A writer process for the index crash and concurrency tests (run as a script, not collected).

    python index_writer.py PATH BATCH_SIZE MAX_BATCHES
    python index_writer.py --fork PATH BATCH_SIZE MAX_BATCHES

The second form imports neardup once, then forks a fresh writer for every line read from
stdin, prints ``writer PID``, and ``exited PID STATUS`` when that writer has ended (the test
kills writers with SIGKILL): many kills in little time, without an interpreter start each.

Adds batch k = (batches already in the index), k + 1, ... of BATCH_SIZE documents with ids
``k{k}-{i}`` and signatures derived from (k, i), printing ``begin k`` before and ``commit k``
after each add, flushed, so that the parent knows which batches were committed when it
kills this process.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from neardup.index import Index


def say(*words: object) -> None:
    # One write(2) per line: lines of the forked writers and of the parent never interleave.
    os.write(1, (" ".join(map(str, words)) + "\n").encode())


def batch_signatures(k: int, size: int) -> np.ndarray:
    """Batch k's MinHash signatures: random (synthetic), so that both backends write fast and
    the kills land in the transactions rather than in hashing."""
    return np.random.default_rng(k).integers(0, 2**63, size=(size, 128), dtype=np.uint64)


def write(path: str, size: int, max_batches: int) -> None:
    index = Index(path, params=(16, 4))
    k = index.stats()["batches"]
    say("ready", k)
    while k < max_batches:
        signatures = batch_signatures(k, size)
        say("begin", k)
        ids = [f"k{k}-{i}" for i in range(size)]
        index.add_signatures(ids, signatures, np.full(size, 100), metas=[{"k": k}] * size)
        say("commit", k)
        k += 1
    index.close()


def fork_writers(path: str, size: int, max_batches: int) -> None:
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                write(path, size, max_batches)
            finally:
                os._exit(0)  # never return into the parent's loop
        say("writer", pid)
        _, status = os.waitpid(pid, 0)
        say("exited", pid, status)


def main() -> None:
    if sys.argv[1] == "--fork":
        fork_writers(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        write(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))


if __name__ == "__main__":
    main()
