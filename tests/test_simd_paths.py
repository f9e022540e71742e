"""Every SIMD path of the core gives the same results, bit for bit.

The core takes the widest SIMD path the CPU has (AVX-512, AVX2, else portable code) unless
``NEARDUP_SIMD`` forces one, read once per process (rust/simd.rs). Each path this CPU can run
computes, in a process of its own, the outputs of every entry point with SIMD code on the same
generated inputs: MinHash signatures (classic: the AVX2 and AVX-512 permutation kernels; OPH:
the mixing and the densification of empty bins, with few and many filled bins and power-of-two
and other sizes), from texts (the tokenizer's AVX2 and AVX-512 paths) and from pre-hashed
shingles, shingle hashes, SimHash fingerprints and the exact intersections of shingle sets (the
AVX2 merge). They must all equal the portable path's, and the portable path's signatures must
equal the pure-Python reference's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from equivalence import _core
from neardup._reference import minhash as reference

# Runs the core in subprocesses with NEARDUP_BACKEND=rust; the active backend changes nothing.
pytestmark = [pytest.mark.core, pytest.mark.backend_independent]

# The inputs (a fixed seed), generated the same way in the children and in this process.
INPUTS = textwrap.dedent(
    """
    import random
    import numpy as np

    rng = random.Random(20261125)
    words = ["the", "news", "agency", "reported", "on", "Tuesday", "x" * 70, "naïve", "Zürich",
             "東京", "ab_cd", "2026", "C3PO", "", "…", "—", "e\u0301"]
    def text(length):
        parts = []
        for _ in range(length):
            word = rng.choice(words)
            parts.append(word + rng.choice([" ", "  ", ", ", ".\\n", "\\t", "-", "/", "'s "]))
        return "".join(parts)
    texts = [text(rng.randrange(0, 400)) for _ in range(60)] + ["", "a", "a b c d e", "x" * 200]
    # Pre-hashed shingle sets: tiny ones (empty OPH bins: densification), repeated values,
    # long ones (several chunks of the AVX2 kernel).
    sets = []
    for size in [1, 2, 3, 5, 9, 15, 16, 17, 40, 191, 192, 193, 500, 1500]:
        values = [rng.getrandbits(64) for _ in range(size)]
        values += [rng.choice(values) for _ in range(size // 7)]
        sets.append(np.array(values, dtype=np.uint64))
    sets.append(np.array([7, 7, 7, 7], dtype=np.uint64))
    """
)
SIZES = (1, 16, 100, 128, 256, 4096)

# The child: every output of the inputs, saved in one .npz file.
CHILD = INPUTS + textwrap.dedent(
    f"""
    import sys
    import neardup
    from neardup import _backend

    out = {{"path": np.array(_backend.IMPL._simd_path())}}
    for scheme in ("classic", "oph"):
        for num_perm in {SIZES}:
            out[f"sets-{{scheme}}-{{num_perm}}"] = np.asarray(
                neardup.minhash(sets, num_perm=num_perm, scheme=scheme, seed=num_perm + 1))
        out[f"texts-{{scheme}}"] = np.asarray(neardup.minhash(texts, num_perm=128, scheme=scheme))
        out[f"texts-{{scheme}}-char"] = np.asarray(
            neardup.minhash(texts, num_perm=64, scheme=scheme, n=4, kind="char"))
    shingles = neardup.shingles_batch(texts)
    out["shingles-hashes"] = np.asarray(shingles.hashes)
    out["shingles-offsets"] = np.asarray(shingles.offsets)
    out["simhash"] = np.asarray(neardup.simhash_batch(texts))
    # Exact set intersections (the merge of sorted sets) of every two sets and of texts in
    # pairs, whole and cut short below a need.
    set_offsets = np.cumsum([0] + [len(s) for s in sets]).astype(np.int64)
    set_hashes = np.concatenate(sets)
    set_pairs = np.array([(i, j) for i in range(len(sets)) for j in range(len(sets))], dtype=np.int64)
    needs = (np.arange(len(set_pairs)) % 40).astype(np.int64)
    for name, need in (("whole", None), ("need", needs)):
        out[f"overlaps-sets-{{name}}"] = np.asarray(
            _backend.IMPL.set_overlaps(set_hashes, set_offsets, set_pairs, None, need)[0])
    text_pairs = np.array([(i, (7 * i + 3) % len(texts)) for i in range(len(texts))] + [(5, 5)], dtype=np.int64)
    out["overlaps-texts"] = np.asarray(_backend.IMPL.text_overlaps(texts, text_pairs, 3, "word", 0, None, None))
    np.savez(sys.argv[1], **out)
    """
)


def run_path(path: str, destination: Path) -> dict[str, np.ndarray]:
    env = {**os.environ, "NEARDUP_BACKEND": "rust", "NEARDUP_SIMD": path}
    done = subprocess.run([sys.executable, "-c", CHILD, str(destination)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"NEARDUP_SIMD={path}: {done.stderr}"
    with np.load(destination) as saved:
        return {name: saved[name] for name in saved.files}


def test_every_path_gives_the_same_results(tmp_path: Path) -> None:
    paths = _core._simd_paths()
    assert paths[0] == "portable"
    results = {path: run_path(path, tmp_path / f"{path}.npz") for path in paths}
    portable = results["portable"]
    for path, result in results.items():
        assert str(result.pop("path")) == path
        assert result.keys() == portable.keys() - {"path"}
        for name, values in result.items():
            np.testing.assert_array_equal(values, portable[name], err_msg=f"NEARDUP_SIMD={path}: {name}")


def test_the_portable_path_equals_the_reference(tmp_path: Path) -> None:
    result = run_path("portable", tmp_path / "portable.npz")
    inputs: dict = {}
    exec(INPUTS, inputs)
    sets, texts = inputs["sets"], inputs["texts"]
    offsets = np.cumsum([0] + [len(s) for s in sets]).astype(np.int64)
    hashes = np.concatenate(sets)
    for scheme in ("classic", "oph"):
        for num_perm in (16, 100, 128):
            expected = reference.minhash_shingles(hashes, offsets, num_perm, num_perm + 1, scheme)
            np.testing.assert_array_equal(result[f"sets-{scheme}-{num_perm}"], np.asarray(expected), err_msg=scheme)
        expected = reference.minhash_texts(texts, 128, 1, scheme)
        np.testing.assert_array_equal(result[f"texts-{scheme}"], np.asarray(expected), err_msg=scheme)


def import_with(value: str) -> subprocess.CompletedProcess[str]:
    """Import neardup with NEARDUP_SIMD=value; prints "imported", then the path taken."""
    env = {**os.environ, "NEARDUP_BACKEND": "rust", "NEARDUP_SIMD": value}
    code = "import neardup\nprint('imported')\nfrom neardup import _backend\nprint(_backend.IMPL._simd_path())"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_the_switch_takes_the_path_it_names_and_refuses_others() -> None:
    supported = _core._simd_paths()
    for path in supported:
        done = import_with(path.upper() if path == "avx2" else path)
        assert done.returncode == 0 and done.stdout.split() == ["imported", path], done.stderr
    done = import_with("auto")
    assert done.returncode == 0 and done.stdout.split() == ["imported", supported[-1]], done.stderr
    # Refused by the import itself, before any work (not at the first kernel's call).
    done = import_with("sse9")
    assert done.returncode != 0 and "imported" not in done.stdout
    assert "ValueError: NEARDUP_SIMD must be auto, avx512, avx2 or portable, got 'sse9'" in done.stderr
    for path in {"avx2", "avx512"} - set(supported):
        done = import_with(path)
        assert done.returncode != 0 and "imported" not in done.stdout
        assert f"ValueError: NEARDUP_SIMD={path}, but this CPU cannot run that path" in done.stderr
