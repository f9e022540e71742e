"""Behaviour of the text primitives through the public API, under the active backend."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import neardup
from equivalence import _core
from strategies import texts


def test_backend_matches_environment():
    wanted = os.environ.get("NEARDUP_BACKEND", "auto")
    fallback = wanted == "auto" and _core is None
    assert neardup.backend() == ("python" if wanted == "python" or fallback else "rust")


@given(texts, st.booleans())
def test_normalize_is_idempotent(text, mask_digits):
    once = neardup.normalize(text, mask_digits=mask_digits).text
    assert neardup.normalize(once, mask_digits=mask_digits).text == once


@given(texts)
def test_normalize_offsets_point_into_the_original(text):
    result = neardup.normalize(text)
    assert len(result.starts) == len(result.ends) == len(result.text)
    assert np.all(result.starts < result.ends)
    assert np.all(np.diff(result.starts) >= 0)
    assert np.all(np.diff(result.ends) >= 0)
    assert len(text) >= (result.ends[-1] if len(result.text) else 0)
    assert result.text == result.text.strip(" ")
    assert "  " not in result.text


@given(texts)
def test_token_spans_slice_the_original_to_the_token(text):
    tokens, spans = neardup.tokenize(text)
    assert len(tokens) == len(spans)
    for token, (start, end) in zip(tokens, spans):
        assert token
        assert " " not in token
        # The span covers whole normalisation units, so its normal form holds the token.
        assert token in neardup.normalize(text[start:end]).text


@given(texts)
def test_lines_match_split_on_newline(text):
    lines, paragraphs = neardup.segment(text)
    expected = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    assert [text[s:e] for s, e in lines] == expected
    def blank(span):
        return all(c in " \t\n\x0b\x0c\r\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" or "\u2000" <= c <= "\u200a" for c in text[span[0] : span[1]])

    covered = []
    line_spans = [tuple(span) for span in lines.tolist()]
    for start, end in paragraphs.tolist():
        inside = [span for span in line_spans if start <= span[0] and span[1] <= end]
        assert inside and inside[0][0] == start and inside[-1][1] == end
        assert not any(blank(span) for span in inside)
        covered += inside
    assert sorted(covered) == [span for span in line_spans if not blank(span)]


@given(texts, st.integers(1, 6))
def test_shingle_counts(text, n):
    tokens = neardup.tokenize(text).tokens
    words = neardup.shingles(text, n=n)
    assert words.dtype == np.uint64
    assert len(words) == (max(len(tokens) - n, 0) + 1 if tokens else 0)
    chars = neardup.shingles(text, n=n, kind="char")
    length = len(neardup.normalize(text).text)
    assert len(chars) == (max(length - n, 0) + 1 if length else 0)


@given(st.lists(texts, max_size=8), st.sampled_from([1, 2, 3]))
def test_batches_equal_single_calls_whatever_the_thread_count(batch, threads):
    flat = neardup.shingles_batch(batch, n=3, num_threads=threads)
    assert len(flat) == len(batch)
    for i, text in enumerate(batch):
        assert flat.document(i).tolist() == neardup.shingles(text, n=3).tolist()
        assert neardup.normalize_batch(batch, num_threads=threads)[i].text == neardup.normalize(text).text
        assert neardup.tokenize_batch(batch, num_threads=threads)[i].tokens == neardup.tokenize(text).tokens
        assert neardup.segment_batch(batch, num_threads=threads)[i].lines.tolist() == neardup.segment(text).lines.tolist()


def test_normalize_examples():
    result = neardup.normalize("  The \u201cQuick\u201d\u00a0Brown \u2014 Fox\u2019s \ufb01ne ca\u0301fe\u00ad  ")
    assert result.text == "the \"quick\" brown - fox's fine c\u00e1fe"
    assert result.span(4, 11) == (6, 13)
    assert neardup.normalize("Stra\u00dfe 2024", mask_digits=True).text == "strasse 0000"
    assert neardup.normalize("\u0130stanbul").text == "i\u0307stanbul"
    assert neardup.normalize("\u2163 \u00bd").text == "iv 1\u20442"


def test_tokenize_examples():
    tokens, spans = neardup.tokenize("\u6771\u4eac Tower's snake_case, caf\u00e9 \u0e44\u0e17\u0e22 \u0645\u0631\u062d\u0628\u0627")
    assert tokens == ["\u6771", "\u4eac", "tower", "s", "snake_case", "caf\u00e9", "\u0e44", "\u0e17", "\u0e22", "\u0645\u0631\u062d\u0628\u0627"]
    assert spans[2].tolist() == [3, 8]


def test_segment_examples():
    lines, paragraphs = neardup.segment("Title\r\n\r\nFirst para\nstill first\n \t\nSecond")
    assert lines.tolist() == [[0, 5], [7, 7], [9, 19], [20, 31], [32, 34], [35, 41]]
    assert paragraphs.tolist() == [[0, 5], [9, 31], [35, 41]]


def test_surrogates_and_types_are_reported():
    with pytest.raises(ValueError, match=r"^text: lone surrogate U\+DC00 at index 3"):
        neardup.normalize("abc\udc00")
    with pytest.raises(ValueError, match=r"^document 2: lone surrogate U\+D800 at index 0"):
        neardup.shingles_batch(["a", "b", "\ud800"])
    with pytest.raises(TypeError, match="document 1: expected str, got bytes"):
        neardup.tokenize_batch(["a", b"b"])
    with pytest.raises(TypeError, match="single str"):
        neardup.shingles_batch("not a list")
    with pytest.raises(ValueError, match="num_threads"):
        neardup.shingles_batch(["a"], num_threads=0)


def run_python(code: str, backend: str, hide_core: bool) -> subprocess.CompletedProcess:
    prelude = "import sys; sys.modules['neardup._core'] = None\n" if hide_core else ""
    env = {**os.environ, "NEARDUP_BACKEND": backend}
    return subprocess.run([sys.executable, "-W", "default", "-c", prelude + code], capture_output=True, text=True, env=env)


@pytest.mark.backend_independent
def test_backend_switch():
    shown = "import neardup; print(neardup.backend())"
    assert run_python(shown, "python", hide_core=False).stdout.strip() == "python"
    fallback = run_python(shown, "auto", hide_core=True)
    assert fallback.stdout.strip() == "python"
    assert fallback.stderr.count("compiled core is not built") == 1
    missing = run_python(shown, "rust", hide_core=True)
    assert missing.returncode != 0 and "NEARDUP_BACKEND=rust" in missing.stderr and "make dev" in missing.stderr
    invalid = run_python(shown, "fortran", hide_core=False)
    assert invalid.returncode != 0 and "must be auto, rust or python" in invalid.stderr


@pytest.mark.backend_independent
def test_the_reference_refuses_an_older_unicode_database():
    # Python 3.10 has Unicode 13.0.0: NFKC from its unicodedata differs from the core's pinned
    # 14.0.0 tables, so the reference refuses rather than give other text. Newer databases
    # (3.12: 15.0.0) give the same results and are accepted.
    older = "import unicodedata; unicodedata.unidata_version = '13.0.0'\n"
    forced = run_python(older + "import neardup", "python", hide_core=False)
    assert forced.returncode != 0 and "NEARDUP_BACKEND=python, but" in forced.stderr
    assert "Unicode database 14.0.0 or newer" in forced.stderr and "has 13.0.0" in forced.stderr
    fallback = run_python(older + "import neardup", "auto", hide_core=True)
    assert fallback.returncode != 0 and "has 13.0.0" in fallback.stderr
    newer = run_python("import unicodedata; unicodedata.unidata_version = '15.0.0'\nimport neardup; print(neardup.backend())",
                       "python", hide_core=False)
    assert newer.returncode == 0 and newer.stdout == "python\n", newer.stderr
    direct = run_python(
        "import neardup, unicodedata; from neardup import _reference\n"
        "print(_reference.normalize('x')[0])\n"
        "unicodedata.unidata_version = '13.0.0'\n"
        "_reference.normalize('x')",
        os.environ.get("NEARDUP_BACKEND", "auto"),
        hide_core=False,
    )
    assert direct.stdout == "x\n" and "RuntimeError" in direct.stderr and "has 13.0.0" in direct.stderr
