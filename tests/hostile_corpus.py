"""A generator of hostile JSONL corpora and a runner that puts each file through every
command of the ``neardup`` CLI, checking what must hold for any input:

* no traceback (no exception escapes ``neardup.cli.main``);
* with ``--on-error skip``: exit 0, every skipped record named by its file and line, and for
  ``clean`` one ``decisions.jsonl`` row per record with unique ids (an id is its JSON value:
  ``1`` and ``"1"`` are two ids; the only repeated ids are the rows of records refused as
  ``duplicate id``);
* without it: exit 0 when every record is readable, else exit 1 with one line
  ``neardup: error: FILE:LINE: ...`` naming the first bad record.

Seeded and bounded: ``generate(folder, files, seed)`` writes the same files for the same
arguments. ``tests/test_hostile_corpus.py`` runs a small corpus in ``make test``; the longer
campaign of docs/fuzzing.md is ``python tests/hostile_corpus.py --files 1000 --seed 20``.
The runs are in-process (``main(argv)`` with the standard streams redirected; stdout is a
strict UTF-8 stream, as a real one is), so that a thousand files take minutes, not hours;
``--subprocess-every N`` also runs every N-th file's commands as real processes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --- the corpus -------------------------------------------------------------------------------

ARTICLE = (
    "The harbour bridge reopened on Monday after two years of repairs, the city council said. "
    "Engineers replaced the cables and the deck, and traffic is expected to return to its old levels. "
)
CHROME = "Home\nNews\nSport\nWeather\n"
FOOTER = "\nContact us\nPrivacy policy\nCopyright 2026"


def _valid(rng: random.Random, n: int) -> dict[str, Any]:
    """A readable record: pages of two sites with shared chrome, some of them copies."""
    site = rng.choice(["a.com", "b.org"])
    story = rng.randrange(3)
    body = f"Story {story}. " + ARTICLE * (1 + story) + f"Reported by desk {story}."
    record: dict[str, Any] = {"id": f"v{n}", "text": CHROME + body + FOOTER}
    if rng.random() < 0.5:
        record["site"] = site
    else:
        record["url"] = f"https://www.{site}/news/{n}"
    if rng.random() < 0.3:
        record["meta"] = {"tags": ["x", rng.randrange(10)], "score": rng.random()}
    return record


def _deep(depth: int, kind: str = "list") -> str:
    """JSON nested ``depth`` levels deep, as text (json.dumps itself would recurse)."""
    if kind == "list":
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def _big_int(rng: random.Random) -> str:
    return str(rng.randrange(1, 10)) + "".join(rng.choice("0123456789") for _ in range(rng.choice([4300, 4301, 5000, 20000])))


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record).encode("utf-8")


def _raw(template: str, **values: str) -> bytes:
    """A record written by hand (for what json.dumps cannot write): ``template`` with
    ``{name}`` replaced by the given JSON texts."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template.encode("utf-8", "surrogatepass")


SURROGATES = ["\\ud800", "\\udc00", "\\udfff", "\\ud83d", "\\ude00x"]


def _hostile(rng: random.Random, kind: str, n: int, big: int) -> list[bytes]:
    """Lines of one kind of hostile record."""
    text = json.dumps("hostile record " + ARTICLE)
    if kind == "random_bytes":
        return [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))]
    if kind == "truncated":
        full = _line(_valid(rng, n))
        return [full[: rng.randrange(1, len(full))]]
    if kind == "deep":
        depth = rng.choice([50, 199, 200, 201, 500, 990, 1000, 3000, 100_000 if big > 100_000 else 20_000])
        where = rng.choice(["meta", "id", "text", "site", "top"])
        nested = _deep(depth, rng.choice(["list", "dict"]))
        if where == "top":
            return [nested.encode()]
        values = {"id": f'"d{n}"', "text": text, "site": '"a.com"', where: nested}
        return [_raw('{"id":{id},"text":{text},"site":{site},"x":1}', **values) if where != "meta" else _raw('{"id":{id},"text":{text},"meta":{meta}}', id=f'"d{n}"', text=text, meta=nested)]
    if kind == "big_int":
        where = rng.choice(["id", "text", "site", "url", "meta", "key"])
        number = _big_int(rng)
        if where == "key":
            return [_raw('{"id":{id},"text":{text},"meta":{"n":[{n}]}}', id=f'"b{n}"', text=text, n=number)]
        values = {"id": f'"b{n}"', "text": text, "site": '"a.com"', "url": '"https://a.com/x"', "meta": "1", where: number}
        return [_raw('{"id":{id},"text":{text},"site":{site},"url":{url},"meta":{meta}}', **values)]
    if kind == "big_number":
        number = rng.choice(["1e999999", "-1e400", "0." + "1" * 5000, "1" * 4000, "-" + "9" * 4300, "1.5E+308", "4.9e-325"])
        return [_raw('{"id":{id},"text":{text},"meta":{m}}', id=f'"n{n}"', text=text, m=number)]
    if kind == "id_types":
        ids = rng.sample(["1", '"1"', "true", '"True"', "false", "1.0", '"1.0"', "null", "[]", "{}", "[1]", '""', "0", "-0", "1e400", "NaN", "Infinity", '"null"', "1E2", "100"], k=rng.randrange(2, 7))
        return [_raw('{"id":{id},"text":{text}}', id=i, text=json.dumps(f"record {j} " + ARTICLE * (j % 3 + 1))) for j, i in enumerate(ids)]
    if kind == "text_type":
        value = rng.choice(["null", "1", "true", "[]", '["a","b"]', '{"a":"b"}', "1.5", "NaN"])
        return [_raw('{"id":{id},"text":{t}}', id=f'"t{n}"', t=value)] if rng.random() < 0.8 else [_raw('{"id":{id}}', id=f'"t{n}"')]
    if kind == "field_types":
        field_name = rng.choice(["site", "url"])
        value = rng.choice(["1", "[]", '{"a":1}', "null", "true", '""', '"   "', '"http://["', '"http://[::1"', '"://"', '"http://a b/"', '"http://%zz/"'])
        return [_raw('{"id":{id},"text":{text},"{f}":{v}}', id=f'"f{n}"', text=text, f=field_name, v=value)]
    if kind == "nul":
        return [_raw('{"id":{id},"text":{t},"site":{s}}', id=f'"z{n}\\u0000"', t=json.dumps("nul \x00 in text " + ARTICLE), s='"a\\u0000.com"')]
    if kind == "surrogate":
        where = rng.choice(["id", "text", "site", "url", "key", "value", "nested", "pair"])
        s = rng.choice(SURROGATES)
        if where == "pair":  # a valid pair: one astral character, readable
            return [_raw('{"id":{id},"text":{text},"site":"\\ud83d\\ude00.com"}', id=f'"p{n}\\ud83d\\ude00"', text=text)]
        if where == "key":
            return [_raw('{"id":{id},"text":{text},"k{s}":1}', id=f'"s{n}"', text=text, s=s)]
        if where == "nested":
            return [_raw('{"id":{id},"text":{text},"meta":{"a":["ok","x{s}"]}}', id=f'"s{n}"', text=text, s=s)]
        values = {"id": f'"s{n}"', "text": text, "site": '"a.com"', "url": '"https://a.com/1"', "value": '"fine"'}
        values[where] = f'"{s}"' if where != "url" else f'"https://a{s}.com/1"'
        return [_raw('{"id":{id},"text":{text},"site":{site},"url":{url},"other":{value}}', **values)]
    if kind == "long_line":
        size = rng.choice([big, 2 * big])
        return [_line({"id": f"l{n}", "text": "word " * (size // 5), "site": "a.com"}), _line({"id": f"m{n}", "meta": "x" * size, "text": "short text"})]
    if kind == "crlf":
        return [_line(_valid(rng, n)) + b"\r", b"\r", _line(_valid(rng, n + 1000)) + b"\r"]
    if kind == "bom":
        return [b"\xef\xbb\xbf" + _line(_valid(rng, n))]
    if kind == "invalid_utf8":
        good = _line(_valid(rng, n))
        cut = rng.randrange(1, len(good))
        return [good[:cut] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"]) + good[cut:]]
    if kind == "empty":
        return [b"", b"   ", b"\t"]
    if kind == "duplicate_id":
        record = _valid(rng, n)
        return [_line(record), _line(record), _line({**record, "text": "another text"})]
    if kind == "not_object":
        return [rng.choice([b"[]", b'"text"', b"null", b"1", b"true", b"[{}]", b"NaN", b"-"])]
    if kind == "json_oddities":
        return [
            rng.choice(
                [
                    _raw('{"id":{id},"text":{text},"text":"second text wins"}', id=f'"o{n}"', text=text),
                    _raw('{"id":{id},"text":{text},"meta":NaN,"x":-Infinity}', id=f'"o{n}"', text=text),
                    _raw('{"id":{id},"text":"line\\u2028sep\\u0085x"}', id=f'"o{n}"'),
                    _raw('{"id":{id},"text":{text}} trailing', id=f'"o{n}"', text=text),
                    _raw('{"id":{id},"text":"bad escape \\x"}', id=f'"o{n}"'),
                    _raw('{"id":{id},"text":"tab\there"}', id=f'"o{n}"'),
                    _raw('{"id":{id},"text":{text},}', id=f'"o{n}"', text=text),
                    _raw("{'id':'o','text':'single quotes'}"),
                    _raw('{"id":{id},"text":""}', id=f'"o{n}"'),
                    _raw('{"id":{id},"text":"' + "\\n" * 3000 + '"}', id=f'"o{n}"'),
                ]
            )
        ]
    if kind == "big_fields":
        where = rng.choice(["id", "site", "url", "key", "value"])
        huge = "x" * rng.choice([big // 2, big])
        record = {"id": f"g{n}", "text": "a page with a huge field " + ARTICLE, "site": "a.com"}
        if where == "key":
            record[huge] = 1
        elif where == "value":
            record["meta"] = huge
        else:
            record[where] = huge if where != "url" else f"https://{huge}.com/{huge}"
        return [_line(record)]
    if kind == "degenerate_text":
        text = rng.choice(["", " ", "\n" * 1000, "\r\n" * 500, "\x00" * 100, "\t", "\u2028\u2029", "a", "x\n" * (big // 2), "\ufeff", "word " * 3])
        return [_line({"id": f"e{n}", "text": text, "site": rng.choice(["a.com", "b.org"])}), _line({"id": f"e{n}b", "text": text, "url": "https://a.com/1"})]
    raise ValueError(f"unknown kind {kind!r}")


KINDS = (
    "random_bytes", "truncated", "deep", "big_int", "big_number", "id_types", "text_type", "field_types", "nul",
    "surrogate", "long_line", "crlf", "bom", "invalid_utf8", "empty", "duplicate_id", "not_object", "json_oddities",
    "big_fields", "degenerate_text",
)


def generate(folder: Path, files: int, seed: int, *, big: int = 20_000) -> list[Path]:
    """Write ``files`` hostile JSONL files into ``folder``: each mixes readable records with
    the lines of one or two kinds of hostile record (the kinds taken in turn, so every kind
    appears once ``files >= len(KINDS)``). ``big`` is the size of the long lines (2 MB in the
    issue's campaign; smaller in CI)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(files):
        kinds = [KINDS[number % len(KINDS)]] + ([rng.choice(KINDS)] if rng.random() < 0.25 else [])
        lines = [_line(_valid(rng, 10 * number + i)) for i in range(rng.randrange(0, 5))]
        for k, kind in enumerate(kinds):
            for line in _hostile(rng, kind, 10 * number + 7 + k, big):
                lines.insert(rng.randrange(len(lines) + 1), line)
        path = folder / f"{number:04d}-{'+'.join(kinds)}.jsonl"
        ending = b"\r\n" if rng.random() < 0.1 else b"\n"
        data = ending.join(lines) + (ending if rng.random() < 0.8 else b"")
        path.write_bytes(data)
        paths.append(path)
    return paths


def records_in(path: Path) -> int:
    """The records of a JSONL file: its lines (split at LF) holding anything but whitespace."""
    return sum(1 for line in path.read_bytes().split(b"\n") if line.strip())


def ids_in(path: Path) -> list[tuple[str, str | None]]:
    """Per record, the id neardup makes up for it (``NAME:LINE``) and its id as JSON text when
    the line is an object with a string, number or boolean id (else None)."""
    found: list[tuple[str, str | None]] = []
    for number, line in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line.decode("utf-8").removesuffix("\r"))
        except (ValueError, RecursionError):
            value = None
        raw = value.get("id") if isinstance(value, dict) else None
        finite = not isinstance(raw, float) or (raw == raw and abs(raw) != float("inf"))
        found.append((f"{path.name}:{number}", _canonical(raw) if isinstance(raw, (str, int, float)) and finite else None))
    return found


# --- running the commands ---------------------------------------------------------------------

COMMANDS = ("clean", "dups", "chrome-learn", "chrome-strip", "stats", "align", "index-add")


@dataclass
class Run:
    file: str
    command: str
    skip: bool
    code: int | None
    stderr: str
    stdout: str
    traceback: str | None = None
    problems: list[str] = field(default_factory=list)


def _argv(command: str, path: Path, work: Path, model: Path, other: Path, skip: bool) -> list[str]:
    args = {
        "clean": ["clean", str(path), "-o", str(work / "out"), "--num-perm", "32", "--threads", "2"],
        "dups": ["dups", str(path), "--num-perm", "32"],
        "chrome-learn": ["chrome", "learn", str(path), "-m", str(work / "model.json")],
        "chrome-strip": ["chrome", "strip", str(path), "-m", str(model)],
        "stats": ["stats", str(path)],
        "align": ["align", str(path), str(other)],
        "index-add": ["index", "add", str(work / "index.db"), str(path), "--decisions", str(work / "decisions.jsonl")],
    }[command]
    return args + (["--on-error", "skip"] if skip else [])


def run_in_process(argv: list[str]) -> tuple[int | None, str, str, str | None]:
    """``neardup.cli.main(argv)``: exit code, stdout, stderr, and the traceback of an
    exception that escaped it (None if none did)."""
    from neardup.cli import main

    out_bytes = io.BytesIO()
    # As a real stdout: strict UTF-8, so that a value that cannot be written fails here too.
    stdout = io.TextIOWrapper(out_bytes, encoding="utf-8", errors="strict", write_through=True)
    stderr = io.StringIO()
    code: int | None = None
    escaped = None
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse
            code = exit_.code if isinstance(exit_.code, int) else 2
        except BaseException:  # noqa: BLE001 - anything escaping main is what this looks for
            escaped = traceback.format_exc()
    stdout.flush()
    return code, out_bytes.getvalue().decode("utf-8"), stderr.getvalue(), escaped


def run_subprocess(argv: list[str]) -> tuple[int | None, str, str, str | None]:
    done = subprocess.run([sys.executable, "-m", "neardup", *argv], capture_output=True, timeout=600)
    stderr = done.stderr.decode("utf-8", "backslashreplace")
    return done.returncode, done.stdout.decode("utf-8", "backslashreplace"), stderr, stderr if "Traceback (most recent call last)" in stderr else None


_WHERE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): ")


def _names_file_and_line(message: str, path: Path) -> bool:
    found = _WHERE.match(message)
    return bool(found) and found.group("file") == str(path) and int(found.group("line")) >= 1


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def check(run: Run, path: Path, work: Path) -> None:
    """Append to ``run.problems`` what does not hold (see the module's docstring)."""
    if run.traceback is not None:
        run.problems.append("traceback: " + run.traceback.strip().splitlines()[-1])
        return
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("neardup: error: ") for line in lines if line.startswith("neardup: error: ")]
    for line in lines:
        if line.startswith("neardup: skipped ") and not _names_file_and_line(line.removeprefix("neardup: skipped "), path):
            run.problems.append(f"skipped without file and line: {line[:200]}")
    if run.command == "align":
        # Two whole files, not records: a file that is not UTF-8 text is named with its line.
        if run.code not in (0, 1):
            run.problems.append(f"exit {run.code}")
        if run.code == 1 and not (len(errors) == 1 and _names_file_and_line(errors[0], path)):
            run.problems.append(f"error without file and line: {run.stderr.strip()[:200]}")
        if run.skip and run.code != 0:
            run.problems.append(f"exit {run.code} with --on-error skip")
        return
    if run.skip:
        if run.code != 0:
            run.problems.append(f"exit {run.code} with --on-error skip: {run.stderr.strip()[:200]}")
        if run.command == "clean" and run.code == 0:
            rows = [json.loads(line) for line in (work / "out" / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]
            if len(rows) != records_in(path):
                run.problems.append(f"{len(rows)} decisions for {records_in(path)} records")
            # One id, one decision; and each row carries its record's id as read (1 is not "1").
            decided = Counter(_canonical(r["id"]) for r in rows if r["action"] != "skipped")
            repeated = [k for k, c in decided.items() if c > 1]
            if repeated:
                run.problems.append(f"ids decided twice: {repeated[:3]}")
            # (A record refused before its id was read, too deep say, is named NAME:LINE.)
            wrong = [
                (row["id"], expected)
                for row, (made_up, expected) in zip(rows, ids_in(path))
                if expected is not None and _canonical(row["id"]) != expected and not (row["action"] == "skipped" and row["id"] == made_up)
            ]
            if wrong:
                run.problems.append(f"rows not carrying their record's id: {wrong[:3]}")
            for row in rows:
                if row["action"] == "skipped" and not _names_file_and_line(row.get("source", "") + ": ", path):
                    run.problems.append(f"skipped row without file and line: {row}")
        if run.command == "stats" and run.code == 0:
            counts = json.loads(run.stdout)
            if counts["documents"] + counts["skipped"] != records_in(path) or counts["records"] != records_in(path):
                run.problems.append(f"stats counts {counts['documents']} + {counts['skipped']} of {records_in(path)} records")
    else:
        if run.code not in (0, 1):
            run.problems.append(f"exit {run.code}: {run.stderr.strip()[:200]}")
        if run.code == 1 and not (len(errors) == 1 and _names_file_and_line(errors[0], path)):
            run.problems.append(f"error without file and line: {run.stderr.strip()[:300]}")


def run_file(path: Path, commands: tuple[str, ...], model: Path, other: Path, runner: Callable[..., Any] = run_in_process) -> list[Run]:
    runs = []
    for command in commands:
        for skip in (True, False):
            with tempfile.TemporaryDirectory(prefix="hostile-") as folder:
                work = Path(folder)
                code, stdout, stderr, escaped = runner(_argv(command, path, work, model, other, skip))
                run = Run(str(path), command, skip, code, stderr, stdout, escaped)
                check(run, path, work)
                runs.append(run)
    return runs


def fixtures(folder: Path) -> tuple[Path, Path]:
    """A chrome model learned from readable pages (for ``chrome strip``) and a text file (the
    other side of ``align``)."""
    from neardup.cli import main

    rng = random.Random(0)
    good = folder / "good.jsonl"
    good.write_bytes(b"".join(_line(_valid(rng, i)) + b"\n" for i in range(12)))
    model = folder / "model.json"
    with contextlib.redirect_stderr(io.StringIO()):
        assert main(["chrome", "learn", str(good), "-m", str(model)]) == 0
    other = folder / "other.txt"
    other.write_text(CHROME + ARTICLE * 3, encoding="utf-8")
    return model, other


def campaign(folder: Path, files: int, seed: int, *, big: int, commands: tuple[str, ...] = COMMANDS, subprocess_every: int = 0, log: Any = None) -> dict[str, Any]:
    """Generate and run a corpus; the counts, and the runs with problems."""
    paths = generate(folder / "corpus", files, seed, big=big)
    model, other = fixtures(folder)
    counts: Counter[str] = Counter()
    bad: list[Run] = []
    started = time.perf_counter()
    for number, path in enumerate(paths):
        runners = [run_in_process] + ([run_subprocess] if subprocess_every and number % subprocess_every == 0 else [])
        for runner in runners:
            for run in run_file(path, commands, model, other, runner):
                counts["runs"] += 1
                counts["subprocess runs"] += runner is run_subprocess
                counts[f"exit {run.code}" + (" (skip)" if run.skip else "")] += 1
                if run.traceback is not None:
                    counts["tracebacks"] += 1
                if any("without file and line" in p for p in run.problems):
                    counts["errors without file and line"] += 1
                if run.problems:
                    counts["runs with a problem"] += 1
                    bad.append(run)
                    if log is not None:
                        print(f"{run.file} {run.command} {'skip' if run.skip else 'fail'}: {run.problems}", file=log, flush=True)
    return {
        "files": len(paths),
        "records": sum(records_in(p) for p in paths),
        "bytes": sum(p.stat().st_size for p in paths),
        "seconds": round(time.perf_counter() - started, 1),
        **{k: counts[k] for k in sorted(counts)},
        "problems": [(r.file, r.command, r.skip, r.problems) for r in bad],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--big", type=int, default=2_000_000, help="characters of the long lines (default: 2 MB)")
    parser.add_argument("--folder", default=None, help="where to write the corpus (default: a temporary folder)")
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--subprocess-every", type=int, default=0, help="also run every N-th file's commands as processes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hostile-campaign-") as temporary:
        folder = Path(args.folder or temporary)
        result = campaign(folder, args.files, args.seed, big=args.big, commands=tuple(args.commands.split(",")), subprocess_every=args.subprocess_every, log=sys.stderr)
    problems = result.pop("problems")
    print(json.dumps(result, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.path.insert(0, os.fspath(Path(__file__).resolve().parent))
    sys.exit(main())
