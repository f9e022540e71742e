"""The command line's guards around the files it is given: an output that is an input is
refused (as ``clean`` refuses), a model or parameters file that cannot be read is named with
its option, a failed write to standard output is an output error naming it, and every input
record is accounted for (``dups`` scores, ``chrome strip`` and ``chrome tune`` with
``--on-error skip``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from neardup.cli import main

# The command line is Python code that no backend computes: `make test` runs these once.
pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "the council voted on tuesday to extend the river path by four miles"
FOOTER = "copyright example news all rights reserved contact us"


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows), encoding="utf-8")
    return path


def pages(count: int = 6) -> list[dict]:
    """Pages of one site sharing a header and a footer (chrome to learn), each with its own body."""
    return [
        {"id": f"p{k}", "site": "example.com", "text": f"home news sport weather\n{ARTICLE} number {k} of the series\n{FOOTER}"}
        for k in range(count)
    ]


def labelled(k: int) -> dict:
    """Page ``k`` of :func:`pages` with its lines labelled (for ``chrome tune``)."""
    return {**pages(k + 1)[k], "line_is_body": [False, True, False]}


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def model(tmp_path, capsys) -> Path:
    path = tmp_path / "model.json"
    assert main(["chrome", "learn", str(write_jsonl(tmp_path / "learn.jsonl", pages())), "-m", str(path)]) == 0
    capsys.readouterr()
    return path


# --- an output that is an input ----------------------------------------------------------------


def _commands(source: Path, target: str, model: Path) -> dict[str, list[str]]:
    return {
        "dups": ["dups", str(source), "-o", target],
        "chrome strip": ["chrome", "strip", str(source), "-m", str(model), "-o", target],
        "chrome learn": ["chrome", "learn", str(source), "-m", target],
        "chrome tune": ["chrome", "tune", str(source), "-o", target],
    }


@pytest.mark.parametrize("command", ["dups", "chrome strip", "chrome learn", "chrome tune"])
@pytest.mark.parametrize("spelling", ["same", "dot", "absolute", "symlink"])
def test_an_output_that_is_an_input_is_refused_under_any_name(tmp_path, model, capsys, monkeypatch, command, spelling):
    """`dups -o`, `chrome strip -o`, `chrome learn -m` and `chrome tune -o` naming one of their
    inputs wrote over it; now they refuse as clean does (exit 1, "is an input; refusing to
    overwrite it"), however the path is spelled, and the input is left as it was."""
    monkeypatch.chdir(tmp_path)
    source = write_jsonl(tmp_path / "in.jsonl", [labelled(k) for k in range(6)])  # what every command takes
    before = source.read_bytes()
    if spelling == "symlink":
        (tmp_path / "link.jsonl").symlink_to(source)
    target = {"same": "in.jsonl", "dot": "./in.jsonl", "absolute": str(source), "symlink": "link.jsonl"}[spelling]
    code, out, err = run(_commands(Path("in.jsonl"), target, model)[command], capsys)
    assert code == 1, err
    assert re.search(rf"^neardup: error: (-o|--model) {re.escape(target)}: is an input\b.*; refusing to overwrite it$", err, re.M), err
    assert source.read_bytes() == before
    assert out == ""


def test_a_document_of_an_input_folder_and_the_strip_model_are_inputs_too(tmp_path, model, capsys):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "b.TXT").write_text(ARTICLE + " again", encoding="utf-8")
    code, _, err = run(["dups", str(folder), "-o", str(folder / "b.TXT")], capsys)
    assert code == 1 and f"-o {folder / 'b.TXT'}: is an input (a document of the input folder {folder}); refusing" in err
    assert (folder / "b.TXT").read_text(encoding="utf-8") == ARTICLE + " again"
    saved = model.read_bytes()
    code, _, err = run(["chrome", "strip", str(folder), "-m", str(model), "-o", str(model)], capsys)
    assert code == 1 and "is an input; refusing to overwrite it" in err
    assert model.read_bytes() == saved
    # A new file, or one that is no input, is written as before.
    assert run(["dups", str(folder), "-o", str(folder / "clusters.jsonl")], capsys)[0] == 0
    assert (folder / "clusters.jsonl").exists()


# --- dups: every dropped member's score, ids with their JSON types ---------------------------------


def test_dups_keeps_a_score_per_member_whatever_the_ids_types(tmp_path, capsys):
    """Ids "k", 1 and "1" of one text: the scores were an object keyed by str(id), so 1 and "1"
    shared one key and one dropped member's score was lost."""
    text = " ".join(f"word{k}" for k in range(60))
    source = write_jsonl(tmp_path / "idcoll.jsonl", [{"id": "k", "text": text}, {"id": 1, "text": text}, {"id": "1", "text": text}])
    code, out, err = run(["dups", str(source)], capsys)
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["members"] == ["k", 1, "1"] and [type(m) for m in row["members"]] == [str, int, str]
    assert len(row["scores"]) == len(row["members"])
    kept_at = row["members"].index(row["kept"])
    assert row["scores"][kept_at] is None
    assert [s for k, s in enumerate(row["scores"]) if k != kept_at] == [1.0, 1.0]


# --- chrome strip and chrome tune account for every record ------------------------------------------


def test_chrome_strip_writes_a_line_for_a_skipped_record(tmp_path, model, capsys):
    rows: list[dict | str] = [*pages(3), "{not json", *pages(5)[3:]]
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    code, out, err = run(["chrome", "strip", str(source), "-m", str(model), "--on-error", "skip"], capsys)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == len(rows)
    assert [line["id"] for k, line in enumerate(lines) if k != 3] == ["p0", "p1", "p2", "p3", "p4"]
    skipped = lines[3]  # in input order
    assert set(skipped) == {"id", "skipped", "source"} and skipped["source"] == f"{source}:4"
    assert "malformed JSON" in skipped["skipped"]
    assert all("text" in line and "removed" in line for k, line in enumerate(lines) if k != 3)


def test_chrome_tune_honours_on_error_for_a_record_without_usable_labels(tmp_path, capsys):
    bad = [
        {**labelled(6), "line_is_body": "yes"},
        {**labelled(7), "line_is_body": [False, True]},
        {key: value for key, value in labelled(8).items() if key != "line_is_body"},
        {key: value for key, value in labelled(9).items() if key != "site"},
    ]
    rows = [labelled(k) for k in range(6)]
    source = write_jsonl(tmp_path / "labelled.jsonl", [*rows[:3], *bad, *rows[3:]])
    params = tmp_path / "params.json"
    code, _, err = run(["chrome", "tune", str(source), "-o", str(params)], capsys)
    assert code == 1 and f"{source}:4: line_is_body must be a list of 3 booleans" in err
    assert not params.exists()
    code, _, err = run(["chrome", "tune", str(source), "-o", str(params), "--on-error", "skip"], capsys)
    assert code == 0, err
    reported = re.findall(r"^neardup: skipped (\S+): (.*)$", err, re.M)
    assert [where for where, _ in reported] == [f"{source}:{line}" for line in (4, 5, 6, 7)]
    assert "no site" in reported[3][1]
    chosen_by = json.loads(params.read_text())["chosen_by"]
    assert chosen_by["pages"] == 6 and chosen_by["skipped"] == 4


# --- standard output that cannot be written -------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("command", ["stats", "chrome strip", "align"])
def test_a_full_standard_output_is_an_output_error_naming_it(tmp_path, model, command):
    source = write_jsonl(tmp_path / "in.jsonl", pages())
    text = tmp_path / "a.txt"
    text.write_text(ARTICLE, encoding="utf-8")
    argv = {
        "stats": ["stats", str(source)],
        "chrome strip": ["chrome", "strip", str(source), "-m", str(model)],
        "align": ["align", str(text), str(text)],
    }[command]
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "neardup", *argv], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "neardup: error: cannot write standard output: No space left on device [ENOSPC]" in done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_a_failed_write_to_standard_output_in_the_middle_is_an_output_error(tmp_path, capsys, monkeypatch):
    """A write that fails before the final flush (the buffer filled) is reported as one too."""
    import errno

    class Full:
        def write(self, data: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def flush(self) -> None:
            pass

    text = " ".join(f"word{k}" for k in range(60))
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": text}, {"id": "b", "text": text}])
    monkeypatch.setattr(sys, "stdout", Full())
    code = main(["dups", str(source)])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 3 and "cannot write standard output: No space left on device [ENOSPC]" in err


# --- a model or parameters file that cannot be read -----------------------------------------------


def test_a_missing_model_or_parameters_file_is_named_with_its_option(tmp_path, capsys):
    source = write_jsonl(tmp_path / "in.jsonl", pages())
    out = tmp_path / "out"
    cases = {
        "--model": ["chrome", "strip", str(source), "-m", str(tmp_path / "nomodel.json")],
        "--chrome-params": ["clean", str(source), "-o", str(out), "--chrome-params", str(tmp_path / "none.json")],
        "--chrome-model": ["clean", str(source), "-o", str(out), "--chrome-model", str(tmp_path / "none.json")],
    }
    for option, argv in cases.items():
        code, _, err = run(argv, capsys)
        missing = argv[-1]
        assert code == 1, err
        assert f"neardup: error: {option} {missing}: cannot read: No such file or directory [ENOENT]" in err, err
        assert not out.exists()  # refused before the output folder was made
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    code, _, err = run(["chrome", "learn", str(source), "-m", str(bad), "--update"], capsys)
    assert code == 1 and f"neardup: error: --model {bad}: not JSON" in err


# --- help and README ------------------------------------------------------------------------------


def test_chrome_help_names_all_three_actions(capsys):
    with pytest.raises(SystemExit):
        main(["chrome", "--help"])
    described = capsys.readouterr().out
    assert "(tune)" in described
    with pytest.raises(SystemExit):
        main(["--help"])
    assert re.search(r"chrome\s+learn, strip or tune site chrome", capsys.readouterr().out)


def test_the_quick_start_says_make_test_needs_java():
    quick_start = (ROOT / "README.md").read_text(encoding="utf-8").split("## Quick start", 1)[1].split("```", 1)[0]
    assert "Java 17+" in quick_start


def test_stats_counts_every_record_and_each_page_without_a_site_as_a_site(tmp_path, capsys):
    lines = [json.dumps({"id": k, "text": "a\nb", "site": "a.org"}) for k in range(2)]
    lines += [json.dumps({"id": k, "text": "c"}) for k in range(2, 5)] + ["not json"]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    code, out, _ = run(["stats", str(source), "--on-error", "skip"], capsys)
    counts = json.loads(out)
    assert code == 0
    assert (counts["records"], counts["documents"], counts["skipped"]) == (6, 5, 1)
    assert (counts["sites"], counts["without_site"], counts["largest_sites"]) == (4, 3, {"a.org": 2})


def test_clean_warns_when_no_record_has_the_site_field_named(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": k, "text": f"page {k}", "site": "a.org"}) + "\n" for k in range(3)))
    code, _, err = run(["clean", str(source), "-o", str(tmp_path / "out1"), "--site-field", "sitee"], capsys)
    assert code == 0 and "no record has the site field 'sitee' (--site-field)" in err
    for field in ("site", "id"):
        code, _, err = run(["clean", str(source), "-o", str(tmp_path / f"out-{field}"), "--site-field", field], capsys)
        assert code == 0 and "warning" not in err
