"""The spooled batch calls (the texts of document pairs read from a spool file by the callee)
give what the batch calls give on the same texts handed over as str, in the Rust core and
in the pure-Python reference, bit for bit, and fail alike on a bad spool."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neardup import _reference
from neardup.pipeline.state import SpooledTexts, TextSpool
from equivalence import _core
from strategies import texts
from test_align_equivalence import edited_pairs, params, wrapped_pairs

pytestmark = [pytest.mark.core, pytest.mark.backend_independent]

BACKENDS = [_core, _reference]


class Spooled:
    """``texts`` written to a spool in a temporary folder, with the documents' extents."""

    def __init__(self, texts: list[str]) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.spool = TextSpool(self.folder.name, "spool")
        self.offsets = np.array([self.spool.write(t) for t in texts], dtype=np.int64)
        self.starts, self.sizes = self.spool.extents(self.offsets)
        self.fd = self.spool.readable_fd()

    def close(self) -> None:
        self.spool.close()
        self.folder.cleanup()


EDITED_PAIRS = edited_pairs()


@st.composite
def documents_and_pairs(draw, pair_strategy=EDITED_PAIRS):
    """Texts (drawn pairs flattened, the empty text among them) and pairs of their indices:
    each drawn pair both ways, then drawn ones (a document with itself, with several others)."""
    drawn = draw(st.lists(pair_strategy, min_size=1, max_size=4))
    docs = [t for pair in drawn for t in pair] + [""]
    index = st.integers(0, len(docs) - 1)
    own = [(2 * k, 2 * k + 1) for k in range(len(drawn))]
    pairs = own + [(j, i) for i, j in own] + draw(st.lists(st.tuples(index, index), max_size=8))
    return docs, np.array(pairs, dtype=np.int64).reshape(-1, 2)


@given(documents_and_pairs(), params, st.sampled_from([None, 1, 2]))
def test_matched_share_spooled_is_matched_share_batch(drawn, p, num_threads):
    docs, pairs = drawn
    spooled = Spooled(docs)
    try:
        text_pairs = [(docs[i], docs[j]) for i, j in pairs.tolist()]
        expected = np.asarray(_core.matched_share_batch(text_pairs, *p, num_threads), dtype=np.float64).tobytes()
        for impl in BACKENDS:
            got = impl.matched_share_spooled(spooled.fd, spooled.starts, spooled.sizes, pairs, *p, num_threads)
            assert np.asarray(got, dtype=np.float64).tobytes() == expected
    finally:
        spooled.close()


@given(documents_and_pairs(wrapped_pairs()), st.integers(0, 60), st.sampled_from([0.0, 0.8, 1.0]), params, st.sampled_from([None, 2]))
def test_wraps_spooled_is_wraps_batch(drawn, min_chars, min_share, p, num_threads):
    docs, pairs = drawn
    spooled = Spooled(docs)
    try:
        expected = _core.wraps_batch([(docs[i], docs[j]) for i, j in pairs.tolist()], min_chars, min_share, *p, num_threads)
        for impl in BACKENDS:
            assert list(impl.wraps_spooled(spooled.fd, spooled.starts, spooled.sizes, pairs, min_chars, min_share, *p, num_threads)) == expected
    finally:
        spooled.close()


@given(st.lists(texts, min_size=1, max_size=6), st.data(), st.integers(1, 6), st.sampled_from([None, 1, 2]))
def test_shingle_sets_spooled_are_the_distinct_shingles(docs, data, n, num_threads):
    wanted = data.draw(st.lists(st.integers(0, len(docs) - 1), max_size=8))
    spooled = Spooled(docs)
    try:
        hashes, offsets = _core.shingles_batch([docs[d] for d in wanted], n, "word", 0, num_threads, True)
        for impl in BACKENDS:
            got_hashes, got_offsets = impl.shingle_sets_spooled(spooled.fd, spooled.starts, spooled.sizes, np.array(wanted, dtype=np.int64), n, num_threads=num_threads)
            assert np.asarray(got_hashes, dtype=np.uint64).tolist() == np.asarray(hashes).tolist()
            assert np.asarray(got_offsets, dtype=np.int64).tolist() == np.asarray(offsets).tolist()
    finally:
        spooled.close()


def failure(call):
    try:
        call()
    except (OSError, ValueError) as error:
        return type(error), str(error)
    raise AssertionError("no error")


def test_a_bad_spool_fails_alike_in_both_backends():
    """A text past the end of the file, one that is not UTF-8, extents that disagree, a
    document out of range, a negative start or descriptor: the same exception and message."""
    spooled = Spooled(["abc", "é"])
    try:
        fd, starts, sizes = spooled.fd, spooled.starts, spooled.sizes
        pair = np.array([[0, 1]], dtype=np.int64)
        cases = {
            "past the end": (fd, starts, sizes + 100, pair, OSError, "the spool ends inside the text at byte 8 (103 bytes)"),
            "not UTF-8": (fd, starts, np.array([3, 1]), pair, ValueError, f"the text at byte {int(starts[1])} of the spool is not UTF-8"),
            "lengths": (fd, starts, sizes[:1], pair, ValueError, "got 2 starts but 1 sizes"),
            "range": (fd, starts, sizes, np.array([[0, 2]]), ValueError, "pair 0: document 2 out of range for 2 documents"),
            "negative start": (fd, np.array([-1, 11]), sizes, pair, ValueError, "starts[0] must be >= 0, got -1"),
            "negative fd": (-1, starts, sizes, pair, ValueError, "fd must be a file descriptor >= 0, got -1"),
        }
        for name, (fd_, starts_, sizes_, pairs_, kind, message) in cases.items():
            for impl in BACKENDS:
                got = failure(lambda: impl.matched_share_spooled(fd_, np.asarray(starts_, dtype=np.int64), np.asarray(sizes_, dtype=np.int64), pairs_))
                assert got == (kind, message), (name, impl.__name__)
            docs = np.unique(pairs_.reshape(-1))
            for impl in BACKENDS:
                got = failure(lambda: impl.shingle_sets_spooled(fd_, np.asarray(starts_, dtype=np.int64), np.asarray(sizes_, dtype=np.int64), docs))
                expected = "document 2 out of range for 2 documents" if name == "range" else message
                assert got == (kind, expected), (name, impl.__name__)
    finally:
        spooled.close()


@given(documents_and_pairs(), st.sampled_from([None, 2]))
def test_spooled_texts_read_in_python_where_there_are_no_positioned_reads(drawn, num_threads):
    """SpooledTexts without pread (the texts read in Python and handed over) decides as with
    it (the core reading the spool)."""
    docs, pairs = drawn
    spooled = Spooled(docs)
    try:
        with_pread = SpooledTexts(spooled.spool, spooled.offsets, num_threads)
        shares = with_pread.matched_share(pairs)
        wraps = with_pread.wraps(pairs, 10, 0.8)
        sets = with_pread.shingle_sets(np.unique(pairs.reshape(-1)).tolist(), 5)
        spooled.spool._pread = None
        assert spooled.spool.readable_fd() is None
        without = SpooledTexts(spooled.spool, spooled.offsets, num_threads)
        assert np.asarray(without.matched_share(pairs)).tobytes() == np.asarray(shares).tobytes()
        assert list(without.wraps(pairs, 10, 0.8)) == list(wraps)
        fallback = without.shingle_sets(np.unique(pairs.reshape(-1)).tolist(), 5)
        assert fallback.hashes.tolist() == sets.hashes.tolist() and fallback.offsets.tolist() == sets.offsets.tolist()
    finally:
        spooled.close()


def test_the_spool_flushes_what_it_wrote_before_the_core_reads_it(tmp_path):
    """A text still in the spool's write buffer reaches the file before a spooled call."""
    spool = TextSpool(tmp_path, "spool")
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu"
    offsets = np.array([spool.write(words + " nu xi"), spool.write(words)], dtype=np.int64)
    texts = SpooledTexts(spool, offsets, None)
    assert os.fstat(spool._fd).st_size == 0  # still buffered
    assert texts.matched_share(np.array([[0, 1]], dtype=np.int64)).tolist() == [1.0]
    spool.close()
