"""The hostile-corpus campaign (tests/hostile_corpus.py) at a small size: every kind of hostile
record through every command, with and without --on-error skip. The long campaign and its
counts are in docs/fuzzing.md."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hostile_corpus  # noqa: E402


def test_every_kind_of_hostile_record_through_every_command(tmp_path: Path) -> None:
    # Each kind once (KINDS in turn), some files with a second kind; long lines of 20,000
    # characters instead of the campaign's 2 MB.
    result = hostile_corpus.campaign(tmp_path, len(hostile_corpus.KINDS), seed=1, big=20_000)
    # Each problem names the file (and so the kinds in it), the command and the mode.
    assert result["problems"] == []
    assert result["runs"] == len(hostile_corpus.KINDS) * len(hostile_corpus.COMMANDS) * 2
    assert result.get("tracebacks", 0) == 0


def test_the_generator_is_seeded_and_covers_every_kind(tmp_path: Path) -> None:
    one = hostile_corpus.generate(tmp_path / "one", 40, seed=7, big=1000)
    two = hostile_corpus.generate(tmp_path / "two", 40, seed=7, big=1000)
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]
    named = {kind for path in one for kind in path.stem.split("-", 1)[1].split("+")}
    assert named == set(hostile_corpus.KINDS)
