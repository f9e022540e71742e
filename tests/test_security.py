"""Security rules: stored data is never unpickled or evaluated; ids, sites, urls and file
names from the input never become output paths; the report shows every piece of document
text as text (a page containing ``<script>`` cannot run it), and JSON outputs stay one
valid record per line whatever the text holds."""

from __future__ import annotations

import ast
import base64
import json
import os
import pickle
import random
import sqlite3
import string
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from neardup.chrome import ChromeModel
from neardup.cli import main
from neardup.index import Index, IndexDataError

# Storage formats, output paths and escaping are Python code, the same whichever backend
# computes: `make test` runs these once (Rust == reference for the primitives is in test_*_equivalence).
pytestmark = pytest.mark.backend_independent

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "neardup"

# -- no pickle, eval or exec of stored data -------------------------------------------------

#: Modules that deserialise into arbitrary objects (code execution on load).
UNSAFE_MODULES = {"pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "joblib"}
#: Builtins that run code.
UNSAFE_BUILTINS = {"eval", "exec", "compile", "__import__"}
#: module alias -> functions that unpickle or run code when loading.
UNSAFE_LOADERS = {
    "yaml": {"load", "unsafe_load", "full_load", "load_all", "unsafe_load_all"},
    "pandas": {"read_pickle"},
    "pd": {"read_pickle"},
    "torch": {"load"},
}


def unsafe_calls(source: str, name: str) -> list[str]:
    """Uses of unpickling or code execution in Python ``source``, as ``name:line: what``."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [f"{where}: import {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in UNSAFE_MODULES:
            found.append(f"{where}: from {node.module} import")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in UNSAFE_BUILTINS:
                found.append(f"{where}: {func.id}()")
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                owner, attribute = func.value.id, func.attr
                if attribute in UNSAFE_LOADERS.get(owner, ()):
                    found.append(f"{where}: {owner}.{attribute}()")
                # numpy.load unpickles object arrays unless allow_pickle=False is given
                if owner in ("np", "numpy") and attribute == "load":
                    safe = any(k.arg == "allow_pickle" and isinstance(k.value, ast.Constant) and k.value.value is False for k in node.keywords)
                    if not safe:
                        found.append(f"{where}: {owner}.load() without allow_pickle=False")
                if owner == "builtins" and attribute in UNSAFE_BUILTINS:
                    found.append(f"{where}: builtins.{attribute}()")
    return found


def test_the_scanner_finds_each_unsafe_use():
    source = "\n".join(
        [
            "import pickle",
            "import marshal as m",
            "from shelve import open",
            "eval(x)",
            "exec(y)",
            "compile(z, 'f', 'exec')",
            "yaml.load(s)",
            "np.load(p)",
            "np.load(p, allow_pickle=True)",
            "np.load(p, allow_pickle=False)",  # safe: not reported
            "pd.read_pickle(p)",
            "json.loads(s)",  # safe
        ]
    )
    assert [line.split(": ", 1)[0] for line in unsafe_calls(source, "s")] == [f"s:{i}" for i in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11)]


def test_the_package_never_unpickles_or_evaluates():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    found = [hit for path in files for hit in unsafe_calls(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))]
    assert found == []


class _Payload:
    """Unpickling this runs code: it creates the file ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_chrome_model_holding_a_pickle_or_code_is_refused(tmp_path):
    marker = tmp_path / "executed"
    payload = pickle.dumps(_Payload(marker))
    good = ChromeModel().update([f"Menu\nstory {i} about things\nFooter" for i in range(4)], ["s"] * 4).to_dict()
    entry = dict(good["sites"][0])
    entry["lines"] = {"keys": base64.b64encode(payload + b"\0" * (-len(payload) % 8)).decode(), "counts": entry["lines"]["counts"]}
    # file name -> (content, what the error says)
    files = {
        "pickled.json": (payload, "not a neardup chrome model (not UTF-8 JSON text)"),
        "code.json": (json.dumps({**good, "params": "__import__('os').system('touch executed')"}).encode(), "params must have exactly the keys"),
        "keys.json": (json.dumps({**good, "sites": [entry]}).encode(), "keys and counts differ in length"),
        "object.json": (json.dumps({**good, "sites": [{"__reduce__": "os.system", "site": "s"}]}).encode(), "missing or malformed field"),
    }
    for name, (content, message) in files.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=rf"^{tmp_path / name}: ") as refused:
            ChromeModel.load(tmp_path / name)
        assert message in str(refused.value)
    assert not marker.exists()


def test_an_index_holding_a_pickle_or_code_is_refused(tmp_path, capsys):
    marker = tmp_path / "executed"
    payload = pickle.dumps(_Payload(marker))
    text = " ".join(f"word{i}" for i in range(50))
    clean_index = tmp_path / "clean.db"
    with Index(clean_index) as index:
        index.add([text], ["a"], metas=[{"url": "https://example.org/a"}])
        index.update_chrome([f"Menu\nstory {i}\nFooter" for i in range(4)], ["s"] * 4)
    # (statement, what is read, the message)
    cases = [
        ("UPDATE meta SET value = ? WHERE key = 'params'", lambda i: None, "the stored parameters is not valid JSON"),
        ("UPDATE meta SET value = ? WHERE key = 'chrome_params'", lambda i: i.chrome_model(), "the stored chrome parameters is not valid JSON"),
        ("UPDATE docs SET meta = ? WHERE id = 'a'", lambda i: i.get("a"), "the metadata of document 'a' is not valid JSON"),
        ("UPDATE docs SET signature = ? WHERE id = 'a'", lambda i: i.query([text]), "document 'a' has a damaged signature"),
        ("UPDATE chrome SET model = ?", lambda i: i.chrome_model(), "a stored chrome model is not valid JSON"),
    ]
    for number, (statement, read, message) in enumerate(cases):
        for stored in (payload, "__import__('os').system('touch executed')"):
            path = tmp_path / f"{number}-{type(stored).__name__}.db"
            path.write_bytes(clean_index.read_bytes())
            db = sqlite3.connect(path)
            db.execute(statement, (stored,))
            db.commit()
            db.close()
            with pytest.raises(IndexDataError, match=f"^{path}: ") as refused:
                with Index(path) as index:
                    read(index)
            if not (statement.startswith("UPDATE docs SET signature") and isinstance(stored, str)):
                assert message in str(refused.value), refused.value
    # an "index" that is a pickle file, on the command line
    (tmp_path / "pickled.db").write_bytes(payload * 20)
    assert main(["index", "stats", str(tmp_path / "pickled.db")]) == 1
    assert "pickled.db: not a neardup index" in capsys.readouterr().err
    assert not marker.exists()


# -- paths from the input never escape the output folder ------------------------------------

HOSTILE_IDS = [
    "../../escape-relative",
    "a/../../escape-dotted",
    "..\\..\\escape-windows",
    "C:\\escape\\drive",
    "nul\x00byte",
    "very-long-" + "x" * 5000,
    ".",
    "..",
    "",
    "report.html",
    "summary.json",
    ".neardup-staging-x",
    "~",
    "$HOME",
    "line\nbreak",
]


def all_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def hostile_records(tmp_path: Path) -> list[dict]:
    absolute = str(tmp_path / "escape-absolute")
    ids = HOSTILE_IDS + [absolute, absolute + "/x"]
    return [
        {
            "id": id_,
            "text": f"Story number {i} " + " ".join(f"word{(i * 31 + j) % 400}" for j in range(60)),
            "site": id_ or "empty",
            "url": f"file:///{id_}" if i % 2 else f"https://example.org/{id_}",
        }
        for i, id_ in enumerate(ids)
    ]


def test_ids_sites_and_urls_never_become_paths(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    records = hostile_records(tmp_path)
    deep = tmp_path / "one" / "two"
    deep.mkdir(parents=True)
    jsonl = deep / "in.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    parquet = deep / "in.parquet"
    pq.write_table(pa.Table.from_pylist(records), parquet)
    before = all_files(tmp_path)
    assert main(["clean", str(jsonl), "-o", str(deep / "out")]) == 0
    assert main(["clean", str(parquet), "-o", str(deep / "out-parquet")]) == 0
    assert main(["index", "add", str(deep / "i.db"), str(jsonl), "--decisions", str(deep / "index-decisions.jsonl"), "--chrome"]) == 0
    assert main(["chrome", "learn", str(jsonl), "-m", str(deep / "model.json")]) == 0
    assert main(["chrome", "strip", str(jsonl), "-m", str(deep / "model.json"), "-o", str(deep / "stripped.jsonl")]) == 0
    created = all_files(tmp_path) - before
    outputs = ["decisions.jsonl", "documents.jsonl", "report.html", "summary.json"]
    expected = {"one/two/out", "one/two/out-parquet", "one/two/i.db", "one/two/index-decisions.jsonl", "one/two/model.json", "one/two/stripped.jsonl"}
    expected |= {f"one/two/out/{name}" for name in outputs}
    expected |= {f"one/two/out-parquet/{name.replace('documents.jsonl', 'documents.parquet')}" for name in outputs}
    assert created == expected
    assert not (tmp_path / "escape-absolute").exists()
    # and the ids come out unchanged, each once
    rows = [json.loads(line) for line in (deep / "out" / "decisions.jsonl").read_text(encoding="utf-8").split("\n") if line]
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert pq.read_table(deep / "out-parquet" / "documents.parquet").column("id").to_pylist() == [
        r["id"] for r in json.loads("[" + ",".join((deep / "out-parquet" / "decisions.jsonl").read_text(encoding="utf-8").split("\n")[:-1]) + "]") if r["action"] != "dropped"
    ]
    with Index(deep / "i.db") as index:
        assert sorted(r[0] for r in index._db.execute("SELECT id FROM docs")) == sorted(r["id"] for r in records)


def test_file_names_of_a_folder_input_never_become_paths(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    names = ["..\\escape", "-rf", "$(touch pwned)", ";ls", " lead", "é-unicode", ".hidden", "report", "summary"]
    for i, name in enumerate(names):
        (folder / f"{name}.txt").write_text(f"Page {i} " + " ".join(f"w{(i * 7 + j) % 300}" for j in range(80)), encoding="utf-8")
    before = all_files(tmp_path)
    assert main(["clean", str(folder), "-o", str(tmp_path / "out")]) == 0
    assert all_files(tmp_path) - before == {"out"} | {f"out/{n}" for n in ("decisions.jsonl", "documents.jsonl", "report.html", "summary.json")}
    rows = [json.loads(line) for line in (tmp_path / "out" / "decisions.jsonl").read_text(encoding="utf-8").split("\n") if line]
    assert sorted(r["id"] for r in rows) == sorted(names)
    assert not (tmp_path / "pwned").exists()


# -- the report shows document text as text -------------------------------------------------

HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    "</textarea><script>alert(2)</script>",
    "<img src=x onerror=alert(3)>",
    '<a href="javascript:alert(4)">click</a>',
    "]]><!-- -->",
    "before\u2028between\u2029after\x85end",
    "</pre></div></section><svg onload=alert(5)>",
    '" onmouseover="alert(6)',
    "' onfocus='alert(7)",
    "&lt;already escaped&gt; &amp;",
]
HOSTILE_SITE = '<b onmouseover="alert(8)">evil</b>'
HOSTILE_ID = 'id-"><script>alert(9)</script>'

#: What report.html is made of; anything else came from document text.
REPORT_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "table", "tr", "td", "div", "svg", "text", "rect", "pre", "mark", "b", "span", "p", "section"}
REPORT_ATTRIBUTES = {"lang", "charset", "class", "title", "x", "y", "width", "height", "text-anchor", "role", "aria-label"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        raise AssertionError(f"a comment in the report: {data!r}")


def hostile_corpus() -> list[dict]:
    body = "\n".join(f"Paragraph {i}: {h} " + " ".join(f"word{(i * 13 + j) % 500}" for j in range(25)) for i, h in enumerate(HOSTILE_TEXT))
    chrome = f"Menu {HOSTILE_TEXT[0]} {HOSTILE_TEXT[2]}\nSubscribe {HOSTILE_TEXT[3]}"
    pages = [
        # a page of the hostile site, and a copy of it wrapped in other chrome: a pair example
        {"id": HOSTILE_ID, "text": f"{chrome}\n{body}\nFooter {HOSTILE_TEXT[1]}", "site": HOSTILE_SITE},
        {"id": "copy <i>", "text": "Other header line with several words of its own\n" + body + "\nOther footer line with several words of its own", "site": "other.example"},
    ]
    rng = random.Random(1)
    for k in range(4):  # more pages of the site, sharing its chrome: chrome examples
        # words of letters (the chrome model masks digits): each page's body is its own
        words = [" ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(6)) for _ in range(30)) for _ in range(3)]
        # hostile text in the body, which the chrome examples show unmarked
        own = f"{words[0]}\n{words[1]} {' '.join(HOSTILE_TEXT)} {words[2]}"
        footer = f"\nFooter {HOSTILE_TEXT[1]}" if k < 2 else ""  # without: the text ends unmarked
        pages.append({"id": f"page-{k}", "text": f"{chrome}\n{own}{footer}", "site": HOSTILE_SITE})
    return pages


def test_the_report_shows_document_text_as_text(tmp_path):
    pages = hostile_corpus()
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in pages), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["clean", str(source), "-o", str(out)]) == 0
    decisions = [json.loads(line) for line in (out / "decisions.jsonl").read_text(encoding="utf-8").split("\n") if line]
    assert any(d["action"] == "dropped" for d in decisions) and any(d["action"] == "changed" for d in decisions)
    page = _Page()
    page.feed((out / "report.html").read_text(encoding="utf-8"))
    page.close()
    names = [tag for tag, _ in page.tags]
    assert set(names) <= REPORT_TAGS, set(names) - REPORT_TAGS
    assert "script" not in names and names.count("style") == 1
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert name in REPORT_ATTRIBUTES, (tag, name, value)
            assert "javascript:" not in (value or "") or name in ("title", "aria-label"), (tag, name, value)
    text = "".join(page.text)
    # every hostile string is there, as text: the pair example shows the whole page
    for hostile in HOSTILE_TEXT:
        assert hostile in text, hostile
    assert HOSTILE_ID in text and "copy <i>" in text
    assert HOSTILE_SITE[:28] in text  # the chart label (labels are cut at 28 characters)
    # the removal reasons in title attributes name ids as plain attribute text
    titles = [value for tag, attrs in page.tags if tag == "mark" for name, value in attrs if name == "title"]
    assert any(HOSTILE_ID in (t or "") for t in titles) or any("copy <i>" in (t or "") for t in titles)


def test_json_outputs_stay_one_valid_record_per_line(tmp_path, capsys):
    """U+2028, U+2029 and U+0085 are line breaks to str.splitlines and to JavaScript: they
    are written escaped, so every way of splitting lines sees one record per line, and the
    text reads back unchanged."""
    pages = hostile_corpus()
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in pages), encoding="utf-8")
    assert main(["clean", str(source), "-o", str(tmp_path / "out")]) == 0
    assert main(["index", "add", str(tmp_path / "i.db"), str(source), "--decisions", str(tmp_path / "index.jsonl")]) == 0
    assert main(["chrome", "learn", str(source), "-m", str(tmp_path / "model.json")]) == 0
    assert main(["chrome", "strip", str(source), "-m", str(tmp_path / "model.json"), "-o", str(tmp_path / "stripped.jsonl")]) == 0
    for name, count in (("out/decisions.jsonl", len(pages)), ("index.jsonl", len(pages)), ("stripped.jsonl", len(pages))):
        content = (tmp_path / name).read_text(encoding="utf-8")
        for separator in ("\u2028", "\u2029", "\x85"):
            assert separator not in content, name
        rows = [json.loads(line) for line in content.splitlines()]
        assert len(rows) == count, name
    kept = [json.loads(line) for line in (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any("before\u2028between\u2029after\x85end" in row["text"] for row in kept)
    stripped = [json.loads(line) for line in (tmp_path / "stripped.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in stripped] == [p["id"] for p in pages]
    json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    capsys.readouterr()
    # `neardup align` prints JSON lines too: a passage's text holding the separators stays on its line.
    words = " ".join(f"w{i}" for i in range(30))
    shared = f"{words[:14]} before\u2028between\u2029after\x85end {words}"
    (tmp_path / "a.txt").write_text(f"top\n{shared}\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text(f"{shared}\nbottom\n", encoding="utf-8")
    assert main(["align", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]) == 0
    printed = capsys.readouterr().out
    for separator in ("\u2028", "\u2029", "\x85"):
        assert separator not in printed
    rows = [json.loads(line) for line in printed.splitlines()]
    assert len(rows) == 2 and rows[-1]["passages"] == 1
    a = (tmp_path / "a.txt").read_text(encoding="utf-8")
    assert rows[0]["a_text"] == a[rows[0]["a"][0] : rows[0]["a"][1]][:80]
    assert "before\u2028between\u2029after\x85end" in rows[0]["a_text"]


def test_the_report_is_safe_to_open_from_a_subprocess_run(tmp_path):
    """The same through `python -m neardup` (the installed command path), with hostile ids
    in a folder input: the report names them as text."""
    folder = tmp_path / "pages"
    folder.mkdir()
    body = " ".join(f"word{j % 300}" for j in range(200))
    (folder / "<script>alert(1)<\\script>.txt").write_text(body, encoding="utf-8")
    (folder / "plain.txt").write_text(body + " and a little more", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "neardup", "clean", str(folder), "-o", str(tmp_path / "out")], capture_output=True, text=True, env={**os.environ})
    assert result.returncode == 0, result.stderr
    page = _Page()
    page.feed((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    assert "script" not in [tag for tag, _ in page.tags]
    assert "<script>alert(1)<\\script>" in "".join(page.text)
