"""Faults: a full disk, missing permissions, the output folder removed during the run, and
SIGKILL / SIGTERM at chosen points of `neardup clean`, `neardup index add` and
`clean --index`. After each: a clear message naming the path, a documented exit code (3: an
output or the index could not be written; 1: an input could not be read; 130: interrupted),
no partial output (the output folder holds its previous result, or a complete new one), the
input untouched, and a repeated run that accounts for every input record exactly once.

These tests exercise file handling, signals and SQLite transactions, which are Python code
and the same whichever backend computes: they are marked ``backend_independent``, so that
``make test`` runs them once, under the Rust backend (the Python reference takes ~10x longer
for the same runs and would add a minute to CI while testing nothing else); without a
compiled core they run under the reference.

Signals are sent at exact points by tests/fault_driver.py (the process signals itself at
the point, which is the same as a signal from outside arriving then); one test also kills
at random moments. Permission tests run as an ordinary user as they are; as root (which
bypasses file permissions) the command runs without the capabilities CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH, so that the permission bits apply to it (switching to uid 65534 is not
an option here: the interpreter may live under /root, unreadable to other users).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neardup.index import Index
from neardup.io import STAGING_PREFIX, AtomicOutputDir

pytestmark = pytest.mark.backend_independent

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "fault_driver.py"
OUTPUTS = ["decisions.jsonl", "documents.jsonl", "report.html", "summary.json"]
WORDS = [f"w{i}" for i in range(4000)]


def make_corpus(path: Path, n: int, seed: int, prefix: str, broken: int = 0) -> list[str]:
    """JSONL of news-like pages: five sites with their chrome, a quarter of the pages copies
    of others, and ``broken`` unreadable lines (accounted for as skipped with
    --on-error skip). Returns the ids decisions.jsonl must list, in input order."""
    rng = random.Random(seed)
    bodies: list[str] = []
    ids: list[str] = []
    lines: list[str] = []
    for i in range(n):
        site = f"site{i % 5}.example"
        if bodies and rng.random() < 0.25:
            body = rng.choice(bodies)
        else:
            body = "\n".join(" ".join(rng.choice(WORDS) for _ in range(20)) for _ in range(6))
            bodies.append(body)
        lines.append(json.dumps({"id": f"{prefix}{i}", "text": f"Menu of {site}\nHome | News | Sport\n{body}\nFooter of {site}", "site": site}))
        ids.append(f"{prefix}{i}")
    for _ in range(broken):
        at = rng.randrange(len(lines) + 1)
        lines.insert(at, '{"id": "broken", "text": ')
        ids.insert(at, "?")
    # the default id of an unreadable line is FILE:LINE
    ids = [f"{path.name}:{number}" if i == "?" else i for number, i in enumerate(ids, start=1)]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return ids


def visible(out: Path) -> dict[str, bytes]:
    """The output folder as a user sees it: its files (hidden staging folders aside)."""
    if not out.exists():
        return {}
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob(STAGING_PREFIX + "*")) if out.exists() else []


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_complete(out: Path, ids: list[str]) -> list[dict]:
    """``out`` holds one complete result for an input whose records have ``ids``: every
    record decided exactly once, in input order, and the files agree with each other."""
    assert sorted(visible(out)) == OUTPUTS
    rows = [json.loads(line) for line in (out / "decisions.jsonl").read_text(encoding="utf-8").split("\n") if line]
    assert [r["id"] for r in rows] == ids
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["documents"] == len(ids)
    assert sum(summary[k] for k in ("kept", "changed", "dropped", "skipped")) == len(ids)
    kept = [json.loads(line)["id"] for line in (out / "documents.jsonl").read_text(encoding="utf-8").split("\n") if line]
    assert kept == [r["id"] for r in rows if r["action"] in ("kept", "changed")]
    assert (out / "report.html").read_text(encoding="utf-8").endswith("</html>")
    return rows


def _limit_file_size(limit: int):
    def apply() -> None:
        # Writes past the limit then fail with EFBIG (SIGXFSZ, which would kill, ignored):
        # what a full disk does to a run, without needing a small file system.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def neardup(*args: object, fault: tuple[str, str] | None = None, preexec=None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the command line in a subprocess (through the fault driver when ``fault`` is
    ``(point, action)``)."""
    argv = [str(a) for a in args]
    command = [sys.executable, str(DRIVER), *fault, "--", *argv] if fault else [sys.executable, "-m", "neardup", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, preexec_fn=preexec)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict:
    """Corpus A and its complete result (the 'previous result' of an output folder), and
    corpus B (800 pages, two unreadable lines) that the faulty runs work on."""
    root = tmp_path_factory.mktemp("corpora")
    ids_a = make_corpus(root / "a.jsonl", 60, 1, "a")
    ids_b = make_corpus(root / "b.jsonl", 800, 2, "b", broken=2)
    result = neardup("clean", root / "a.jsonl", "-o", root / "previous")
    assert result.returncode == 0, result.stderr
    assert_complete(root / "previous", ids_a)
    # B's result from a run without faults, to compare repeated runs with
    result = neardup("clean", root / "b.jsonl", "-o", root / "reference", "--on-error", "skip")
    assert result.returncode == 0, result.stderr
    return {"a": root / "a.jsonl", "ids_a": ids_a, "b": root / "b.jsonl", "ids_b": ids_b, "previous": root / "previous", "reference": root / "reference"}


def output_with_previous_result(corpora: dict, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path / "out"
    shutil.copytree(corpora["previous"], out)
    return out, visible(out)


# -- a full disk --------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["clean", "write"])
def test_file_size_limit(corpora, tmp_path, stage):
    """Writes fail with EFBIG: in the clean pass (the temporary file of cleaned texts) or
    in the write pass (an output file). Exit 3 naming the file, the previous result
    untouched, the input untouched; the repeated run without the limit is complete."""
    out, before = output_with_previous_result(corpora, tmp_path)
    source = corpora["b"]
    input_digest = digest(source)
    reference = corpora["reference"]
    largest = max(len(content) for content in visible(reference).values())
    limit = 4096 if stage == "clean" else largest - 1
    result = neardup("clean", source, "-o", out, "--on-error", "skip", preexec=_limit_file_size(limit))
    assert result.returncode == 3, result.stderr
    first_line = result.stderr.splitlines()[0]
    assert first_line.startswith(f"neardup: error: cannot write {out}{os.sep}"), first_line
    assert "File too large [EFBIG]" in first_line
    if stage == "clean":
        assert "(temporary file of cleaned texts)" in first_line
    assert "no output was left half-written" in result.stderr
    assert visible(out) == before and leftovers(out) == []
    assert digest(source) == input_digest
    again = neardup("clean", source, "-o", out, "--on-error", "skip")
    assert again.returncode == 0, again.stderr
    assert_complete(out, corpora["ids_b"])
    for name in ("decisions.jsonl", "documents.jsonl", "report.html"):
        assert (out / name).read_bytes() == (reference / name).read_bytes()


def _tmpfs(path: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    path.mkdir()
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True).returncode == 0


def test_no_space_left_on_a_small_file_system(corpora, tmp_path):
    """A real ENOSPC: the output folder on a 96 KiB tmpfs (needs root and mount; the file
    size limit above covers the same paths everywhere else)."""
    disk = tmp_path / "disk"
    if not _tmpfs(disk, "96k"):
        pytest.skip("cannot mount a tmpfs here (needs root and mount permission)")
    try:
        out = disk / "out"
        result = neardup("clean", corpora["b"], "-o", out, "--on-error", "skip")
        assert result.returncode == 3, result.stderr
        assert f"cannot write {out}{os.sep}" in result.stderr and "No space left on device [ENOSPC]" in result.stderr
        assert visible(out) == {} and leftovers(out) == []
        assert shutil.disk_usage(disk).used < 16 * 1024  # the staged files were removed
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_index_add_under_a_file_size_limit(corpora, tmp_path):
    """`neardup index add` until the file size limit: exit 3 naming the index, the index
    consistent with whole batches only, and the repeated run adds the rest."""
    path = tmp_path / "i.db"
    ids = [i for i in corpora["ids_b"] if not i.startswith("b.jsonl:")]
    result = neardup("index", "add", path, corpora["b"], "--batch-size", "100", "--on-error", "skip", preexec=_limit_file_size(400_000))
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith(f"neardup: error: {path}: cannot write the index"), result.stderr
    assert "whole batches only" in result.stderr
    with Index(path) as index:
        assert index.check() == []
        batches = index.stats()["batches"]
        assert 1 <= batches < 8
        held = sorted(r[0] for r in index._db.execute("SELECT id FROM docs"))
    assert held == sorted(ids[: 100 * batches])
    again = neardup("index", "add", path, corpora["b"], "--batch-size", "100", "--on-error", "skip", "--skip-existing")
    assert again.returncode == 0, again.stderr
    with Index(path) as index:
        assert index.check() == [] and sorted(r[0] for r in index._db.execute("SELECT id FROM docs")) == sorted(ids)


def test_output_stream_on_a_full_device(corpora, tmp_path):
    """`dups -o FILE` (a plain output stream) on /dev/full: exit 3 naming the file."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    result = neardup("dups", corpora["a"], "-o", "/dev/full")
    assert result.returncode == 3, result.stderr
    assert "cannot write /dev/full: No space left on device [ENOSPC]" in result.stderr


@pytest.mark.parametrize("command", ["dups", "strip"])
def test_output_file_replaced_only_on_success(corpora, tmp_path, command):
    """`dups -o FILE` and `chrome strip -o FILE` write a temporary file beside FILE and move
    it into place at the end: a write that fails (here EFBIG) leaves FILE as it was and no
    temporary file behind; a successful run replaces it."""
    target = tmp_path / "result.jsonl"
    target.write_text("previous result\n", encoding="utf-8")
    if command == "dups":
        args: tuple = ("dups", corpora["a"], "-o", target)
    else:
        model = tmp_path / "model.json"
        assert neardup("chrome", "learn", corpora["a"], "-m", model).returncode == 0
        args = ("chrome", "strip", corpora["a"], "-m", model, "-o", target)
    failed = neardup(*args, preexec=_limit_file_size(64))
    assert failed.returncode == 3, failed.stderr
    assert f"cannot write {target}" in failed.stderr and "File too large [EFBIG]" in failed.stderr
    assert target.read_text(encoding="utf-8") == "previous result\n"
    assert {p.name for p in tmp_path.iterdir()} <= {"result.jsonl", "model.json"}  # no temporary file left
    done = neardup(*args)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert rows and all(isinstance(row, dict) for row in rows)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# -- permissions --------------------------------------------------------------------------

PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


@pytest.fixture(scope="module")
def unprivileged(tmp_path_factory):
    """A preexec function making the command subject to file permissions (see the module
    docstring), or None when it already is."""
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: the child only calls it

    def drop() -> None:
        for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                os._exit(97)

    probe = tmp_path_factory.mktemp("probe") / "secret"
    probe.write_text("x")
    probe.chmod(0)
    check = subprocess.run([sys.executable, "-c", f"open({str(probe)!r})"], capture_output=True, text=True, preexec_fn=drop)
    if "PermissionError" not in check.stderr:
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE: permissions cannot be tested")
    return drop


def test_output_folder_not_writable(corpora, tmp_path, unprivileged):
    out, before = output_with_previous_result(corpora, tmp_path)
    out.chmod(0o555)
    try:
        result = neardup("clean", corpora["b"], "-o", out, "--on-error", "skip", preexec=unprivileged)
        assert result.returncode == 3, result.stderr
        assert f"cannot write into the output folder {out}: Permission denied [EACCES]" in result.stderr
        assert visible(out) == before and leftovers(out) == []
        # a missing output folder inside a read-only one cannot be created
        result = neardup("clean", corpora["b"], "-o", out / "sub", "--on-error", "skip", preexec=unprivileged)
        assert result.returncode == 3 and f"cannot create the output folder {out / 'sub'}: Permission denied" in result.stderr
    finally:
        out.chmod(0o755)
    assert neardup("clean", corpora["b"], "-o", out, "--on-error", "skip").returncode == 0
    assert_complete(out, corpora["ids_b"])


def test_input_not_readable(corpora, tmp_path, unprivileged):
    source = tmp_path / "b.jsonl"
    shutil.copy(corpora["b"], source)
    out, before = output_with_previous_result(corpora, tmp_path)
    source.chmod(0)
    try:
        result = neardup("clean", source, "-o", out, "--on-error", "skip", preexec=unprivileged)
        assert result.returncode == 1, result.stderr
        assert f"neardup: error: {source}: cannot read: Permission denied [EACCES]" in result.stderr
        assert visible(out) == before and leftovers(out) == []
    finally:
        source.chmod(0o644)
    # a folder of .txt files with one unreadable file: named and stopped on (the default),
    # or accounted for as skipped
    folder = tmp_path / "pages"
    folder.mkdir()
    for i in range(4):
        (folder / f"p{i}.txt").write_text(f"page {i} " * 50, encoding="utf-8")
    (folder / "p2.txt").chmod(0)
    result = neardup("clean", folder, "-o", tmp_path / "pages-out", preexec=unprivileged)
    assert result.returncode == 1 and f"{folder / 'p2.txt'}: cannot read: Permission denied" in result.stderr
    assert visible(tmp_path / "pages-out") == {}
    result = neardup("clean", folder, "-o", tmp_path / "pages-out", "--on-error", "skip", preexec=unprivileged)
    assert result.returncode == 0, result.stderr
    rows = assert_complete(tmp_path / "pages-out", ["p0", "p1", "p2", "p3"])
    assert rows[2]["action"] == "skipped" and rows[2]["reason"] == "cannot read: Permission denied"


def test_index_not_writable(corpora, tmp_path, unprivileged):
    path = tmp_path / "i.db"
    assert neardup("index", "add", path, corpora["a"]).returncode == 0
    before = digest(path)
    path.chmod(0o444)
    try:
        result = neardup("index", "add", path, corpora["b"], "--on-error", "skip", preexec=unprivileged)
        assert result.returncode == 3, result.stderr
        assert f"{path}: cannot write the index: the file or its folder is read-only" in result.stderr
        # clean --index fails before the work, leaving no output
        out = tmp_path / "out"
        result = neardup("clean", corpora["b"], "-o", out, "--on-error", "skip", "--index", path, preexec=unprivileged)
        assert result.returncode == 3 and "read-only" in result.stderr, result.stderr
        assert visible(out) == {}
    finally:
        path.chmod(0o644)
    assert digest(path) == before
    # the folder read-only, the file writable: SQLite cannot make its -wal file
    tmp_path.chmod(0o555)
    try:
        result = neardup("index", "add", path, corpora["b"], "--on-error", "skip", preexec=unprivileged)
        assert result.returncode == 3 and f"{path}: cannot write the index" in result.stderr, result.stderr
    finally:
        tmp_path.chmod(0o755)
    with Index(path) as index:
        assert index.check() == [] and len(index) == len(corpora["ids_a"])


# -- the output folder removed or moved during the run ------------------------------------


@pytest.mark.parametrize(("point", "action"), [("progress:clean:300", "rmtree"), ("progress:write:300", "rename")])
def test_output_folder_vanishes(corpora, tmp_path, action, point):
    out, _ = output_with_previous_result(corpora, tmp_path)
    moved = tmp_path / "moved"
    target = f"{action}:{out}" + (f":{moved}" if action == "rename" else "")
    result = neardup("clean", corpora["b"], "-o", out, "--on-error", "skip", fault=(point, target))
    assert result.returncode == 3, result.stderr
    assert f"cannot write {out}: the output folder was removed or moved during the run" in result.stderr
    assert not out.exists()
    if action == "rename":  # the moved folder keeps its previous result, and no staging folder
        assert visible(moved) == visible(corpora["previous"]) and leftovers(moved) == []
    again = neardup("clean", corpora["b"], "-o", out, "--on-error", "skip")
    assert again.returncode == 0, again.stderr
    assert_complete(out, corpora["ids_b"])


# -- the input changing during the run ----------------------------------------------------


def test_input_changes_during_the_run(corpora, tmp_path):
    """Each pass reads the input again; one that changed in between (here: a record
    appended while the sign pass reads it, after the learn pass) stops the run with exit 1
    rather than passes that disagree."""
    source = tmp_path / "b.jsonl"
    shutil.copy(corpora["b"], source)
    out, before = output_with_previous_result(corpora, tmp_path)
    result = neardup("clean", source, "-o", out, "--on-error", "skip", fault=("progress:clean:5", f"append:{source}"))
    assert result.returncode == 1, result.stderr
    assert f"neardup: error: {source}: the input changed during the run" in result.stderr
    assert visible(out) == before and leftovers(out) == []
    assert neardup("clean", source, "-o", out, "--on-error", "skip").returncode == 0
    assert_complete(out, corpora["ids_b"] + ["late"])


def test_input_changed_while_the_decisions_are_written_is_not_read_again(corpora, tmp_path):
    """The write stage works from what the passes before it read (the spool): a record
    appended meanwhile is not in this run's outputs, which are those of the input as read."""
    source = tmp_path / "b.jsonl"
    shutil.copy(corpora["b"], source)
    out = tmp_path / "out"
    result = neardup("clean", source, "-o", out, "--on-error", "skip", fault=("progress:write:5", f"append:{source}"))
    assert result.returncode == 0, result.stderr
    assert_complete(out, corpora["ids_b"])
    # (The reference run read the corpus at another path, which skipped rows name.)
    def rows(folder: Path) -> list[dict]:
        return [{k: v for k, v in json.loads(line).items() if k != "source"} for line in (folder / "decisions.jsonl").read_text().splitlines()]

    assert rows(out) == rows(corpora["reference"])


# -- SIGKILL and SIGTERM during `neardup clean` -------------------------------------------

#: Points of a run: each pass, between passes, and inside the final moves into place.
BEFORE_COMMIT = [
    # (the staging folder just made: the stop waits until it is known, and removes it)
    "after:tempfile:mkdtemp:1",
    "progress:learn chrome:300",
    "progress:clean:300",
    "after:neardup.pipeline.decide:verify_duplicates:1",
    "progress:write:300",
]
IN_COMMIT = ["before:neardup.io.write:AtomicOutputDir._move:1", "after:os:replace:2"]
#: A rerun after these (the clean-up of leftovers is the same after any point).
RERUN_AFTER = ["progress:write:300", "after:os:replace:2"]


def test_sigkill_at_each_point_of_clean(corpora, tmp_path):
    """After SIGKILL the folder holds its previous result untouched; killed inside the final
    moves, it holds no summary.json (no complete result claimed), and the next run into it
    first completes the moves. The rerun removes the killed runs' staging folders and
    decides every record exactly once (checked after two of the points)."""
    for point in BEFORE_COMMIT + IN_COMMIT:
        out, before = output_with_previous_result(corpora, tmp_path / point.replace(":", "_").replace(" ", "_"))
        result = neardup("clean", corpora["b"], "-o", out, "--on-error", "skip", fault=(point, "KILL"))
        assert result.returncode == -signal.SIGKILL and f"fault at {point}" in result.stderr, (point, result.stderr)
        assert len(leftovers(out)) == 1, point
        if point in BEFORE_COMMIT:
            assert visible(out) == before, point
        else:
            # the previous result before the first move; after it, no summary.json
            assert visible(out) == before or "summary.json" not in visible(out), point
            # the next run into the folder first completes the killed run's moves: here a
            # run stopped (SIGTERM) as soon as it started leaves B's result complete
            stopped = neardup("clean", corpora["a"], "-o", out, fault=("progress:learn chrome:1", "TERM"))
            assert stopped.returncode == 130, stopped.stderr
            assert leftovers(out) == []
            assert_complete(out, corpora["ids_b"])
        if point in RERUN_AFTER:
            again = neardup("clean", corpora["b"], "-o", out, "--on-error", "skip")
            assert again.returncode == 0, again.stderr
            assert leftovers(out) == []
            assert_complete(out, corpora["ids_b"])


def test_sigterm_at_each_point_of_clean(corpora, tmp_path):
    """SIGTERM: exit 130 and the previous result untouched, no staging folder left; during
    the final moves the signal waits until they are done (a complete new result)."""
    for point in BEFORE_COMMIT + IN_COMMIT:
        out, before = output_with_previous_result(corpora, tmp_path / point.replace(":", "_").replace(" ", "_"))
        result = neardup("clean", corpora["b"], "-o", out, "--on-error", "skip", fault=(point, "TERM"))
        assert result.returncode == 130 and f"fault at {point}" in result.stderr, (point, result.stderr)
        assert "interrupted; no output was left half-written" in result.stderr
        assert leftovers(out) == [], point
        if point in BEFORE_COMMIT:
            assert visible(out) == before, point
        else:
            assert_complete(out, corpora["ids_b"])


def test_sigkill_at_random_moments(corpora, tmp_path):
    """SIGKILL from outside at random moments of runs on a larger corpus: each time the
    folder holds the previous result or a complete new one (or, killed in the instant of
    the final moves, a result completed by the next run); then a rerun is complete."""
    source = tmp_path / "c.jsonl"
    ids = make_corpus(source, 1500, 3, "c")
    out, before = output_with_previous_result(corpora, tmp_path)
    started = time.monotonic()
    assert neardup("clean", source, "-o", tmp_path / "timing").returncode == 0
    duration = time.monotonic() - started
    rng = random.Random(5)
    for _ in range(3):
        process = subprocess.Popen([sys.executable, "-m", "neardup", "clean", str(source), "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.2, duration))
        process.kill()
        process.communicate(timeout=60)
        if "summary.json" not in visible(out):
            AtomicOutputDir(out).recover()
        if visible(out) != before:
            assert_complete(out, ids)
            before = visible(out)
    again = neardup("clean", source, "-o", out)
    assert again.returncode == 0 and leftovers(out) == []
    assert_complete(out, ids)


# -- SIGKILL and SIGTERM while adding to the index ----------------------------------------


def indexed_ids(path: Path) -> list[str]:
    with Index(path) as index:
        assert index.check() == []
        return sorted(r[0] for r in index._db.execute("SELECT id FROM docs"))


@pytest.mark.parametrize("action", ["KILL", "TERM"])
def test_signal_inside_an_index_add_batch(corpora, tmp_path, action):
    """The third batch's transaction has its rows inserted, not committed, when the signal
    comes: the index holds the first two batches whole, and the repeated command (with
    --skip-existing) adds the rest."""
    path = tmp_path / "i.db"
    ids = [i for i in corpora["ids_b"] if not i.startswith("b.jsonl:")]
    args = ("index", "add", path, corpora["b"], "--batch-size", "100", "--on-error", "skip")
    result = neardup(*args, fault=("after:neardup.index:Index._insert:3", action))
    assert result.returncode == (-signal.SIGKILL if action == "KILL" else 130), result.stderr
    assert indexed_ids(path) == sorted(ids[:200])
    assert neardup(*args, "--skip-existing").returncode == 0
    assert indexed_ids(path) == sorted(ids)


CLEAN_INDEXED = ("--on-error", "skip", "--batch-size", "100")


@pytest.fixture(scope="module")
def indexed_reference(corpora, tmp_path_factory) -> dict:
    """An index of corpus A ("prior"), and the uninterrupted `clean B --index` against a
    copy of it (the reference the interrupted runs are compared with)."""
    root = tmp_path_factory.mktemp("indexed")
    assert neardup("index", "add", root / "prior.db", corpora["a"]).returncode == 0
    shutil.copy(root / "prior.db", root / "reference.db")
    result = neardup("clean", corpora["b"], *CLEAN_INDEXED, "-o", root / "reference", "--index", root / "reference.db")
    assert result.returncode == 0, result.stderr
    return {"prior": root / "prior.db", "db": root / "reference.db", "out": root / "reference"}


@pytest.mark.parametrize("action", ["KILL", "TERM"])
def test_signal_while_clean_adds_to_the_index(corpora, indexed_reference, tmp_path, action):
    """`clean --index` stopped inside its second add to the index: no output, the index
    consistent with whole batches; the repeated run decides exactly as an uninterrupted
    run does (its own documents already in the index are not "seen before")."""
    path = tmp_path / "i.db"
    shutil.copy(indexed_reference["prior"], path)
    out = tmp_path / "out"
    result = neardup("clean", corpora["b"], *CLEAN_INDEXED, "-o", out, "--index", path, fault=("after:neardup.index:Index._insert:2", action))
    assert result.returncode == (-signal.SIGKILL if action == "KILL" else 130), result.stderr
    assert visible(out) == {}
    with Index(path) as index:
        assert index.check() == [] and index.stats()["batches"] == 2  # the prior one and one of this run
    again = neardup("clean", corpora["b"], *CLEAN_INDEXED, "-o", out, "--index", path)
    assert again.returncode == 0, again.stderr
    for name in ("decisions.jsonl", "documents.jsonl"):
        assert (out / name).read_bytes() == (indexed_reference["out"] / name).read_bytes()
    assert indexed_ids(path) == indexed_ids(indexed_reference["db"])


def test_a_corpus_document_in_the_index_is_not_seen_before(tmp_path):
    """The rule that makes a repeated `clean --index` decide like the first run: documents
    of the corpus that an interrupted run already added are not "seen before", even when
    the index's estimate pairs them with another document the corpus kept (the exact
    comparison within the corpus may have kept both)."""
    from neardup.pipeline.decide import against_index
    from neardup.pipeline.state import CleanOptions, Doc, Spool

    text = " ".join(f"word{i}" for i in range(200))
    options = CleanOptions(index=str(tmp_path / "i.db"))
    with AtomicOutputDir(tmp_path / "out") as out:
        spool = Spool(out)
        docs = [Doc(0, "x", None, len(text)), Doc(1, "y", None, len(text)), Doc(2, "z", None, len(text))]
        for doc in docs:
            doc.spool_offset = spool.write(text)
        with Index(options.index) as index:
            index.add([text, text], ["y", "elsewhere"])
        # x is a copy of y and z (decided as kept, as an estimate/exact difference may do):
        # only the match with a document from outside the corpus counts
        seen = against_index(docs, spool, options)
        found = ("elsewhere", 1.0, "containment-minhash")
        assert seen == {0: found, 1: found, 2: found}
        with Index(options.index) as index:
            index.remove(["elsewhere"])
        assert against_index(docs, spool, options) == {}
        spool.close()


def test_an_id_of_the_corpus_indexed_with_other_text_is_another_document(tmp_path):
    """Ids such as FILE:LINE recur from one day's corpus to the next: an indexed document
    whose id is also in this corpus but whose text is not that document's is from another
    corpus, and a copy of it here is "seen before" (the own-document rule above would hide it)."""
    from neardup.pipeline.decide import against_index
    from neardup.pipeline.state import CleanOptions, Doc, Spool

    yesterday = " ".join(f"word{i}" for i in range(200))
    today = " ".join(f"other{i}" for i in range(200))
    options = CleanOptions(index=str(tmp_path / "i.db"))
    with AtomicOutputDir(tmp_path / "out") as out:
        spool = Spool(out)
        docs = [Doc(0, "day.jsonl:1", None, len(today)), Doc(1, "day.jsonl:2", None, len(yesterday))]
        docs[0].spool_offset = spool.write(today)
        docs[1].spool_offset = spool.write(yesterday)
        with Index(options.index) as index:
            index.add([yesterday], ["day.jsonl:1"])
        assert against_index(docs, spool, options) == {1: ("day.jsonl:1", 1.0, "containment-minhash")}
        with Index(options.index) as index:  # an earlier run of this corpus added its own line 1
            index.remove(["day.jsonl:1"])
            index.add([today], ["day.jsonl:1"])
        assert against_index(docs, spool, options) == {}
        # An earlier run cleaned line 1 a little differently (another chrome model): a
        # document is never a copy of itself.
        with Index(options.index) as index:
            index.remove(["day.jsonl:1"])
            index.add([today.replace("other7 ", "")], ["day.jsonl:1"])
            assert index.query([today], duplicates_only=True)[0][0].id == "day.jsonl:1"
        assert against_index(docs, spool, options) == {}
        spool.close()


def test_staging_folders_of_live_runs_are_left_alone(tmp_path):
    """A run removes killed runs' staging folders, never a live run's (it holds a lock)."""
    out = tmp_path / "out"
    with AtomicOutputDir(out) as live:
        live.path("a.txt").write_text("live")
        dead = out / (STAGING_PREFIX + "dead")
        dead.mkdir()
        (dead / ".lock").touch()
        (dead / "b.txt").write_text("half")
        with AtomicOutputDir(out) as other:
            other.path("c.txt").write_text("other")
            assert not dead.exists() and live.staging is not None and live.staging.is_dir()
    assert sorted(visible(out)) == ["a.txt", "c.txt"] and leftovers(out) == []


def test_recovery_completes_a_killed_commit_and_drops_an_unfinished_one(tmp_path):
    """A leftover with a commit list (the run finished, was killed between its moves) is
    moved into place, the marker file last; one whose list was cut short moves nothing."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old a")
    (out / "summary.json").write_text("old summary")
    finished = out / (STAGING_PREFIX + "finished")
    finished.mkdir()
    (finished / ".lock").touch()
    (finished / "summary.json").write_text("new summary")
    (finished / "a.txt").write_text("new a")
    (finished / ".commit").write_text(json.dumps({"names": ["a.txt", "../escape", "summary.json"], "last": "summary.json"}))
    cut = out / (STAGING_PREFIX + "cut")
    cut.mkdir()
    (cut / ".lock").touch()
    (cut / "a.txt").write_text("other a")
    (cut / ".commit").write_text('{"names": ["a.t')
    assert sorted(p.name for p in AtomicOutputDir(out).recover()) == sorted([finished.name, cut.name])
    assert visible(out) == {"a.txt": b"new a", "summary.json": b"new summary"} and leftovers(out) == []


def test_a_new_result_replaces_every_file_of_the_old_one(tmp_path):
    """Files of an earlier result that this run does not write (documents.parquet of a run
    on Parquet input, before one on JSONL) go with it, also when a killed commit is completed."""
    out = tmp_path / "out"
    with AtomicOutputDir(out, last="summary.json", replaces=("a.txt", "b.txt", "summary.json")) as first:
        first.path("a.txt").write_text("first a")
        first.path("summary.json").write_text("first")
        (out / "mine.txt").write_text("the user's")
    with AtomicOutputDir(out, last="summary.json", replaces=("a.txt", "b.txt", "summary.json")) as second:
        second.path("b.txt").write_text("second b")
        second.path("summary.json").write_text("second")
    assert visible(out) == {"b.txt": b"second b", "summary.json": b"second", "mine.txt": b"the user's"}
    killed = out / (STAGING_PREFIX + "killed")
    killed.mkdir()
    (killed / ".lock").touch()
    (killed / "a.txt").write_text("third a")
    (killed / "summary.json").write_text("third")
    commit = {"names": ["a.txt", "summary.json"], "last": "summary.json", "stale": ["b.txt", "../mine.txt", "a.txt"]}
    (killed / ".commit").write_text(json.dumps(commit))
    AtomicOutputDir(out).recover()
    assert visible(out) == {"a.txt": b"third a", "summary.json": b"third", "mine.txt": b"the user's"}


def test_clean_into_a_folder_of_an_earlier_result_leaves_only_the_new_one(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    from neardup.io import RecordReader
    from neardup.pipeline import clean

    texts = ["a story about the bridge over the river", "a story about the ferry across the bay"]
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": texts}), tmp_path / "in.parquet")
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"id": f"j{k}", "text": t}) + "\n" for k, t in enumerate(texts)))
    out = tmp_path / "out"
    clean(RecordReader([str(tmp_path / "in.parquet")]), out)
    assert "documents.parquet" in visible(out)
    clean(RecordReader([str(tmp_path / "in.jsonl")]), out)
    assert sorted(visible(out)) == ["decisions.jsonl", "documents.jsonl", "report.html", "summary.json"]


def test_clean_refuses_to_write_over_its_saved_model_or_index(tmp_path):
    from neardup.chrome import ChromeModel
    from neardup.io import InputError, RecordReader
    from neardup.pipeline import CleanOptions, clean

    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": 1, "text": "a page", "site": "x.org"}) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    model = out / "summary.json"
    ChromeModel().save(str(model))
    saved = model.read_bytes()
    with pytest.raises(InputError, match="refusing to overwrite"):
        clean(RecordReader([str(source)]), out, CleanOptions(chrome_model=str(model)))
    assert model.read_bytes() == saved
    index = out / "report.html"
    Index(str(index)).close()
    saved = index.read_bytes()
    with pytest.raises(InputError, match="refusing to overwrite"):
        clean(RecordReader([str(source)]), out, CleanOptions(index=str(index)))
    assert index.read_bytes() == saved


def test_an_input_named_like_a_result_file_is_never_removed_as_stale(tmp_path):
    from neardup.io import RecordReader
    from neardup.pipeline import clean

    out = tmp_path / "out"
    out.mkdir()
    kept = out / "documents.parquet"  # an earlier result's file, read back as an input
    pa = pytest.importorskip("pyarrow")
    pytest.importorskip("pyarrow.parquet").write_table(pa.table({"id": ["p1"], "text": ["a story about the bridge"]}), kept)
    saved = kept.read_bytes()
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "j1", "text": "a story about the ferry"}) + "\n")
    clean(RecordReader([str(kept), str(tmp_path / "a.jsonl")]), out)
    assert kept.read_bytes() == saved and (out / "documents.jsonl").exists()
    killed = out / (STAGING_PREFIX + "killed")
    killed.mkdir()
    (killed / ".lock").touch()
    (killed / ".commit").write_text(json.dumps({"names": [], "last": None, "stale": ["documents.parquet"]}))
    AtomicOutputDir(out, protected=[str(kept)]).recover()
    assert kept.read_bytes() == saved
