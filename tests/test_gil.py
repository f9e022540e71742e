"""Batch calls of the compiled core release the GIL (DESIGN.md: "batch calls release the GIL
and use all cores"): while one runs in a thread, another Python thread keeps running.

The measure: this thread counts as fast as it can while the call runs in another one, and the
longest stretch it went without a single iteration is compared with the call's duration. A
call that holds the GIL stalls the counter for all of its work; one that releases it stalls it
only while arguments are converted and results built. The call is grown until it takes at
least MIN_SECONDS, runs on one thread (the other core stays free for the counter), and a stall
of more than half the call is required on every one of ATTEMPTS tries before the test fails,
so that a loaded machine that deschedules the counter does not fail it. (A call that holds
the GIL stalls the counter for all of it on every try, loaded or not: the last test here. One
that releases it stalled 0.09 s of 0.41 s on the idle 2-core machine, but 0.27-0.64 s of
0.45-0.80 s on three tries in a row during `make test`, whose Spark tests and two pytest
workers share the two cores: hence five tries.)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from equivalence import _core

# Calls the core and measures threads: the active backend changes nothing.
pytestmark = [pytest.mark.core, pytest.mark.backend_independent]

MIN_SECONDS = 0.4
ATTEMPTS = 5
WORDS = [f"word{i}" for i in range(500)]


def stall_and_duration(call: Callable[[], object]) -> tuple[float, float]:
    """Run ``call`` in a thread while this thread counts; return the longest time this thread
    made no progress while the call ran, and the call's duration."""
    span: list[float] = []

    def work() -> None:
        span.append(time.perf_counter())
        call()
        span.append(time.perf_counter())

    worker = threading.Thread(target=work)
    gaps: list[tuple[float, float]] = []
    previous = time.perf_counter()
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        if now - previous > 0.001:
            gaps.append((previous, now))
        previous = now
    # The last gap too: a call that holds the GIL from its first instant can keep this thread
    # inside worker.start() until it ends, so that the loop above never sees it alive.
    now = time.perf_counter()
    if now - previous > 0.001:
        gaps.append((previous, now))
    worker.join()
    start, end = span
    inside = [min(b, end) - max(a, start) for a, b in gaps if b > start and a < end]
    return max(inside, default=0.0), end - start


def releases_the_gil(make_call: Callable[[int], Callable[[], object]]) -> tuple[bool, str]:
    """Whether a call built by ``make_call(size)`` lets another thread run: the size is
    doubled until the call takes MIN_SECONDS, then up to ATTEMPTS measurements are made."""
    size = 16
    while True:
        call = make_call(size)
        started = time.perf_counter()
        call()
        if time.perf_counter() - started >= MIN_SECONDS:
            break
        size *= 2
    seen = []
    for _ in range(ATTEMPTS):
        stall, duration = stall_and_duration(call)
        seen.append(f"stalled {stall:.3f} s of {duration:.3f} s")
        if stall < duration / 2:
            return True, "; ".join(seen)
    return False, "; ".join(seen)


def pages(size: int) -> list[str]:
    """``size`` pages of news-like text with lines repeated inside and across pages."""
    lines = [" ".join(WORDS[(7 * i + j) % len(WORDS)] for j in range(12)) for i in range(60)]
    return ["\n".join(lines[(k + i) % 60] for i in range(40)) + "\n" + "\n".join(lines[k % 60 : k % 60 + 5]) for k in range(size)]


def site_of(k: int) -> str:
    return f"s{k % 3}"


# Each builds, for a size, a call of the core on that many pages (or pairs of pages).
BATCH_CALLS: dict[str, Callable[[list[str]], object]] = {
    "normalize_batch": lambda texts: _core.normalize_batch(texts, num_threads=1),
    "shingles_batch": lambda texts: _core.shingles_batch(texts, num_threads=1),
    "minhash_texts": lambda texts: _core.minhash_texts(texts, num_threads=1),
    "minhash_texts_sized": lambda texts: _core.minhash_texts_sized(texts, num_threads=1),
    "text_overlaps": lambda texts: _core.text_overlaps(texts, np.column_stack([np.arange(len(texts)), np.roll(np.arange(len(texts)), -1)]), num_threads=1),
    "simhash_texts": lambda texts: _core.simhash_texts(texts, num_threads=1),
    "find_repeats_batch": lambda texts: _core.find_repeats_batch(texts, num_threads=1),
    "repetition_counts_batch": lambda texts: _core.repetition_counts_batch(texts, num_threads=1),
    "ChromeModel.add_strip": lambda texts: _core.ChromeModel().add_strip(texts, [site_of(k) for k in range(len(texts))], num_threads=1),
    "align_batch": lambda texts: _core.align_batch(list(zip(texts, texts[1:] + texts[:1])), num_threads=1),
    "align_token_ranges_batch": lambda texts: _core.align_token_ranges_batch(list(zip(texts, texts[1:] + texts[:1])), num_threads=1),
    "fuzzy_batch": lambda texts: _core.fuzzy_batch([(t[:600], t[300:900]) for t in texts], "levenshtein", num_threads=1),
    "word_swaps_batch": lambda texts: _core.word_swaps_batch(list(zip(texts, texts[1:] + texts[:1])), num_threads=1),
    "parse_jsonl_block": lambda block: _core.parse_jsonl_block(block, len(block), "id", "text", "site", "url", False),
}


def jsonl_block(texts: list[str]) -> bytes:
    # The pages repeat every 60 (as do their sites): each line is written once.
    lines = [json.dumps({"text": text, "site": site_of(k)}).encode() + b"\n" for k, text in enumerate(texts[:60])]
    return b"".join(lines[k % 60] for k in range(len(texts)))


#: What a call takes instead of the pages themselves, made before it is timed.
ARGUMENTS: dict[str, Callable[[list[str]], object]] = {"parse_jsonl_block": jsonl_block}


@pytest.mark.parametrize("name", list(BATCH_CALLS))
def test_batch_calls_release_the_gil(name):
    batch_call = BATCH_CALLS[name]

    def make_call(size: int) -> Callable[[], object]:
        arguments = ARGUMENTS.get(name, lambda texts: texts)(pages(size))
        return lambda: batch_call(arguments)

    released, seen = releases_the_gil(make_call)
    assert released, f"{name} held the GIL: {seen}"


def test_a_call_that_holds_the_gil_is_caught():
    # The measure itself can fail: a C loop that never releases the GIL (the builtin sum over
    # a range) is reported as holding it.
    released, seen = releases_the_gil(lambda n: (lambda: sum(range(n * 100_000))))
    assert not released, seen
