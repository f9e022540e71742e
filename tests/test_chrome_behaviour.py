"""Chrome stripping behaves as documented: spans index the original, models round-trip, the
cross-site model works on one-page sites, and quality holds on the labelled sets."""

from __future__ import annotations

import gzip
import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import neardup
from neardup._reference.chrome import position_weighted
from neardup.chrome import ChromeModel, site_key

TEMPLATE_TOP = ["Home", "World", "Business", "Sport", "Search"]
TEMPLATE_BOTTOM = ["About us", "Contact", "Privacy policy", "\u00a9 2024 The Daily Example"]
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()


def page(i: int, extra: str = "") -> str:
    body = [f"{WORDS[i % 12]} story number {i}: {' '.join(WORDS[(i + k) % 12] for k in range(9))} {WORDS[i % 7]}",
            f"{WORDS[(i + 3) % 12]} reported that {WORDS[(i * 5) % 12]} happened {'again ' * (i % 4)}today {i}."]
    return "\n".join(TEMPLATE_TOP + [f"Updated {i} May 2021"] + body + ([extra] if extra else []) + TEMPLATE_BOTTOM)


def site_model(n: int = 10) -> ChromeModel:
    return ChromeModel().update([page(i) for i in range(n)], ["example.com"] * n)


def test_strip_removes_template_and_keeps_body():
    model = site_model()
    text = page(3)
    result = model.strip(text, "example.com")
    assert result.text.split("\n") == text.split("\n")[6:8]
    assert {r.reason for r in result.removed} == {"template"}
    # Plain Python values, whichever backend and batch call made them (not numpy scalars).
    for stripped in (result, *model.strip_batch([text], ["example.com"]), *ChromeModel().fit_strip([text] * 3, ["x"] * 3)):
        assert stripped.removed and all(type(v) is t for r in stripped.removed for v, t in zip(r, (int, int, str)))
    # Spans index the original; removed + kept rebuild it.
    rebuilt, position = [], 0
    for span in result.removed:
        rebuilt.append(text[position:span.start])
        position = span.end
    assert "".join(rebuilt) + text[position:] == result.text


@given(st.text(max_size=60), st.integers(0, 9))
def test_spans_partition_the_original(noise, i):
    text = page(i, extra=noise.replace("\n", " "))
    result = site_model().strip(text, "example.com")
    previous_end = 0
    kept_length = 0
    for span in result.removed:
        assert previous_end <= span.start < span.end <= len(text)
        kept_length += span.start - previous_end
        previous_end = span.end
    assert kept_length + len(text) - previous_end == len(result.text)


def test_unknown_and_one_page_sites_keep_everything():
    model = site_model()
    text = page(1)
    assert model.strip(text, "elsewhere.org").text == text
    one = ChromeModel().update([text], ["single.org"])
    assert one.strip(text, "single.org").text == text


def test_section_list_at_the_body_edge_is_kept():
    # A chapter page whose body ends with a list of its sections: each entry recurs on a few
    # pages (the sections' own pages, an index), far below the template share. The body
    # region reaches the template block below it, so the list stays.
    n = 20
    sections = [f"{WORDS[k % 12]} section {WORDS[(k * 7) % 12]} {k}" for k in range(n)]
    texts = []
    for i in range(n):
        listed = [sections[(i + d) % n] for d in range(3)]  # each section listed on 3 pages
        body = f"{WORDS[i % 12]} chapter {i} introduces {' '.join(WORDS[(i + k) % 12] for k in range(8))}."
        texts.append("\n".join(TEMPLATE_TOP + [body] + listed + TEMPLATE_BOTTOM))
    model = ChromeModel().update(texts, ["docs.example"] * n)
    for i in (0, 7):
        kept = model.strip(texts[i], "docs.example").text.split("\n")
        assert kept == texts[i].split("\n")[5:9]


def test_title_above_the_share_buttons_is_kept():
    n = 10
    share_block = ["Share", "Tweet", "Email"]
    texts = []
    for i in range(n):
        title = f"{WORDS[(i * 5) % 12].title()} {WORDS[i % 12]} wins {i} awards"
        body = [f"{WORDS[i % 12]} paragraph {i} {' '.join(WORDS[(i + k) % 12] for k in range(10))}.",
                f"Then {WORDS[(i + 2) % 12]} said {' '.join(WORDS[(i * 3 + k) % 12] for k in range(9))} {i}."]
        texts.append("\n".join(TEMPLATE_TOP + [title] + share_block + body + TEMPLATE_BOTTOM))
    model = ChromeModel().update(texts, ["news.example"] * n)
    lines = texts[4].split("\n")
    assert model.strip(texts[4], "news.example").text.split("\n") == [lines[5]] + lines[9:11]
    off = ChromeModel(title_lines=0).update(texts, ["news.example"] * n)
    assert off.strip(texts[4], "news.example").text.split("\n") == lines[9:11]
    # A navigation header that repeats the page's heading: the body's copy is kept, the
    # header's is not rescued.
    docs = []
    for i in range(n):
        heading = f"{i}.1. {WORDS[(i * 5) % 12].title()} {WORDS[i % 12]}"
        body = f"{WORDS[i % 12]} text {i} {' '.join(WORDS[(i + k) % 12] for k in range(10))}."
        docs.append("\n".join(["Prev", "Up", heading, "Home", "Next", heading, body] + TEMPLATE_BOTTOM))
    model = ChromeModel().update(docs, ["docs.example"] * n)
    assert model.strip(docs[3], "docs.example").text.split("\n") == docs[3].split("\n")[5:7]


def test_own_headline_listed_on_the_sites_other_pages_is_kept():
    # Each page's "Latest" box lists the site's five newest headlines, its own among them, so
    # every headline recurs on most pages and is a template line; above its own article (the
    # headline twice on its page) it is the page's title, and only there.
    n = 10
    heads = [f"{WORDS[(i * 5) % 12].title()} {WORDS[i % 12]} wins the {i} awards vote" for i in range(n)]
    texts = []
    for i in range(n):
        latest = [heads[(i + d) % n] for d in range(5)]
        body = [f"{WORDS[i % 12]} paragraph {i} {' '.join(WORDS[(i + k) % 12] for k in range(10))}.",
                f"Then {WORDS[(i + 2) % 12]} said {' '.join(WORDS[(i * 3 + k) % 12] for k in range(9))} {i}."]
        texts.append("\n".join(TEMPLATE_TOP + ["Latest"] + latest + [heads[i], "By Ann Lee"] + body + TEMPLATE_BOTTOM))
    model = ChromeModel().update(texts, ["news.example"] * n)
    for i in (0, 4):
        lines = texts[i].split("\n")
        assert model.strip(texts[i], "news.example").text.split("\n") == [lines[11]] + lines[13:15]
    # A shorter line there (a section name on the page twice) is no headline.
    short = [t.replace(heads[0], "Sport news") for t in texts]
    model = ChromeModel().update(short, ["news.example"] * n)
    assert model.strip(short[0], "news.example").text.split("\n") == short[0].split("\n")[13:15]


def test_cross_site_boilerplate_on_a_one_page_site():
    boiler = "Share this article on social media"
    texts = [f"{WORDS[k]} site body line with words {k}\n{boiler}" for k in range(3)]
    model = ChromeModel().update(texts, ["a.com", "b.com", "c.com"])
    new = "A brand new article about something else entirely\n" + boiler
    result = model.strip(new, "d.com")
    assert result.text == "A brand new article about something else entirely"
    assert [r.reason for r in result.removed] == ["cross_site"]
    assert ChromeModel(cross_sites=0).update(texts, ["a.com", "b.com", "c.com"]).strip(new, "d.com").text == new


def test_a_short_article_several_sites_published_is_kept():
    # A news brief of short lines (none over 120 characters) republished by three sites, once
    # each, is cross-site but no site repeats it: it is the article, kept on every page. A
    # pair of short lines that one site repeats on its pages is boilerplate on a new site.
    brief = ["Storm closes the harbour", "Ferries stay in port until Friday;", "the coast guard asks boats to wait."]
    menu = ["Share this story on Facebook", "Follow our newsroom on Twitter"]

    def pages_of(site: str, n: int) -> list[str]:
        return [f"{site} home\n{site} news\n{WORDS[k]} page {k} of {site}, alone on it\n" + "\n".join(menu) + f"\n{site} footer"
                for k in range(n)]

    texts = pages_of("a.com", 3) + pages_of("b.com", 1) + pages_of("c.com", 1)
    sites = ["a.com"] * 3 + ["b.com", "c.com"]
    carrying = {"a.com": "a.com home\n", "b.com": "b.com home\n", "c.com": "c.com home\n"}
    briefs = [carrying[s] + "\n".join(brief) + "\n" + "\n".join(menu) for s in ("a.com", "b.com", "c.com")]
    model = ChromeModel().update(texts + briefs, sites + ["a.com", "b.com", "c.com"])
    for text, site in zip(briefs, ("a.com", "b.com", "c.com")):
        kept = model.strip(text, site).text.split("\n")
        assert kept[-3:] == brief and not set(menu) & set(kept)
    new = "A new page on a new site\n" + "\n".join(menu)
    result = model.strip(new, "d.com")
    assert result.text == "A new page on a new site" and {r.reason for r in result.removed} == {"cross_site"}


def test_a_one_line_article_several_sites_published_is_kept():
    # A caption or a one-line brief under a short dateline, republished by three sites once
    # each: its one line of 40 characters or more is the article on every copy. A line as
    # long that one site repeats on its pages (a sign-up notice) stays boilerplate.
    story = ["6 Nov 2012", "In the pink: the harbour lights up for the autumn festival"]
    notice = "Sign up for our newsletter to get every story first"

    def pages_of(site: str, n: int) -> list[str]:
        return [f"{site} home\n{WORDS[k]} page {k} of {site}, alone on it\n{notice}\n{site} footer" for k in range(n)]

    sites = ("a.com", "b.com", "c.com")
    copies = [f"{site} home\n" + "\n".join(story) + f"\n{notice}" for site in sites]
    model = ChromeModel().update(pages_of("a.com", 3) + pages_of("b.com", 1) + pages_of("c.com", 1) + copies,
                                 ["a.com"] * 3 + ["b.com", "c.com"] + list(sites))
    for text, site in zip(copies, sites):
        assert model.strip(text, site).text.split("\n")[-1] == story[1]
    result = model.strip(f"A new page on a new site\n{notice}", "d.com")
    assert result.text == "A new page on a new site" and {r.reason for r in result.removed} == {"cross_site"}


def test_an_article_on_three_pages_of_its_site_is_kept():
    # One story at three addresses of a site (or placed on three of its pages): each of its
    # lines recurs on 3 of the site's 12 pages, below the template share, and the pages hold
    # nothing else but the template and, on one, a byline. Decided as recurring lines, the
    # pages would keep the byline at most; a page whose own lines are that short (under 100
    # characters, against ten times as many recurring below the template share) takes its
    # lines below the template share as its own.
    story = ["Council approves the new harbour budget after a long night of talks in the town hall",
             "The vote was close, and the works on the north quay start in May, the mayor said."]
    texts = [page(i) for i in range(9)] + ["\n".join(TEMPLATE_TOP + story + TEMPLATE_BOTTOM)] * 2
    # (the byline above the last template line: no run of the byline reaches the story)
    texts.append("\n".join(TEMPLATE_TOP[:-1] + ["By Ann Lee"] + TEMPLATE_TOP[-1:] + story + TEMPLATE_BOTTOM))
    model = ChromeModel().update(texts, ["example.com"] * len(texts))
    for text in texts[9:]:
        result = model.strip(text, "example.com")
        assert result.text.split("\n")[-2:] == story
        assert {r.reason for r in result.removed} == {"template"}
    # A page with a text of its own is decided as before: its own line is the body, and the
    # story's lines, recurring, are kept only as they widen it (next to it, no template between).
    own = "A line of this page alone, long enough to be its text; more than a title or a date is."
    other = "\n".join(TEMPLATE_TOP + [own] + TEMPLATE_BOTTOM[:1] + story + TEMPLATE_BOTTOM)
    assert model.strip(other, "example.com").text.split("\n") == [own]


def test_save_load_update_round_trip(tmp_path):
    model = site_model(6)
    path = tmp_path / "model.json"
    model.save(path)
    state = json.loads(path.read_text())
    assert state["format"] == "neardup-chrome-model" and state["version"] == 6
    loaded = ChromeModel.load(path)
    assert loaded.to_dict() == model.to_dict()
    text = page(2)
    assert loaded.strip(text, "example.com") == model.strip(text, "example.com")
    # Updating a loaded model equals learning everything at once.
    loaded.update([page(i) for i in range(6, 10)], ["example.com"] * 4)
    assert loaded.to_dict() == site_model(10).to_dict()


def test_older_models_are_migrated():
    # Versions 1 and 2 had no position weighting and no template boxes, version 3 no boxes,
    # versions 1-4 no extra body runs and one penalty for every template line, versions 1-5
    # no comment threads: their counts load unchanged and what they lacked is off, so a
    # model decides as the release that wrote it.
    current = site_model(4).to_dict()
    current["params"]["title_lines"] = 2  # so that version 1's completed value (3) shows
    current["params"]["cut_comments"] = True  # so that the completed value (False) shows
    v5 = json.loads(json.dumps(current))
    v5["version"] = 5
    del v5["params"]["cut_comments"]
    current["params"]["cut_comments"] = False
    assert ChromeModel.from_dict(v5).to_dict() == current
    with pytest.raises(ValueError, match="version 5: params must have exactly the keys"):
        ChromeModel.from_dict({**v5, "params": current["params"]})
    current = json.loads(json.dumps(current))
    del current["params"]["cut_comments"]
    before_runs = {"small_penalty": current["params"]["penalty"], "run_cost": None, "decay_pages": 0, "max_runs": None}
    v4 = json.loads(json.dumps(current))
    v4["version"] = 4
    for name in before_runs:
        del v4["params"][name]
    completed = {"cut_comments": False}
    assert ChromeModel.from_dict(v4).to_dict() == {**current, "params": {**current["params"], **before_runs, **completed}}
    with pytest.raises(ValueError, match="version 4: params must have exactly the keys"):
        ChromeModel.from_dict({**v4, "params": current["params"]})
    current = {**current, "params": {**current["params"], **before_runs}}
    v3 = json.loads(json.dumps(v4))
    v3["version"] = 3
    del v3["params"]["box_chars"]
    assert ChromeModel.from_dict(v3).to_dict() == {**current, "params": {**current["params"], "box_chars": 0, **completed}}
    with pytest.raises(ValueError, match="version 3: params must have exactly the keys"):
        ChromeModel.from_dict({**v3, "params": current["params"]})
    old = json.loads(json.dumps(v3))
    old["version"] = 2
    del old["params"]["decay_chars"], old["params"]["decay_floor_permille"]
    migrated = ChromeModel.from_dict(old).to_dict()
    assert migrated["sites"] == current["sites"] and migrated["version"] == 6
    assert migrated["params"] == {**current["params"], "decay_chars": 0, "decay_floor_permille": 0, "box_chars": 0, **completed}
    # Version 1 also lacked title_lines, which gets its default.
    del old["params"]["title_lines"]
    assert ChromeModel.from_dict({**old, "version": 1}).to_dict() == {
        **migrated, "params": {**migrated["params"], "title_lines": 3}}
    with pytest.raises(ValueError, match="version 1: params must have exactly the keys"):
        ChromeModel.from_dict({**old, "version": 1, "params": current["params"]})
    with pytest.raises(ValueError, match="version 2: params must have exactly the keys"):
        ChromeModel.from_dict({**old, "version": 2, "params": current["params"]})
    # A version 2 model labelled 3 is refused, not completed.
    with pytest.raises(ValueError, match="version 3: params must have exactly the keys"):
        ChromeModel.from_dict({**old, "version": 3, "params": {**old["params"], "title_lines": 3}})
    with pytest.raises(ValueError, match="version 4: params must have exactly the keys"):
        ChromeModel.from_dict({**v3, "version": 4})
    with pytest.raises(ValueError, match="version 5: params must have exactly the keys"):
        ChromeModel.from_dict({**v4, "version": 5})


@pytest.mark.parametrize(
    ("length", "before", "decay", "floor", "score"),
    [(200, 0, 3000, 250, 200), (200, 3000, 3000, 250, 100), (200, 10**6, 3000, 250, 50), (3, 10**6, 3000, 0, 1),
     (200, 10**6, 0, 250, 200), (2**32 - 1, 0, 2**32 - 1, 1000, 2**32 - 1), (2**32 - 1, 2**64 - 1, 2**32 - 1, 0, 1)],
)
def test_position_weight(length, before, decay, floor, score):
    # The same values as the core's unit test (rust/chrome.rs position_weight_bounds).
    assert position_weighted(length, before, decay, floor) == score


def test_article_outweighed_by_its_comment_thread_stays_the_body():
    # An article of 10 paragraphs, a template block of 10 lines, then a comment thread of 12
    # longer in all than the article: page-specific prose too, but after the article. With
    # position weighting the article is the body; without it (decay_chars=0) the thread
    # outweighs the article and the template block keeps them apart.
    n = 8
    header = ["Home", "World", "Business", "Sport", "Sign in"]
    between = ["Share this", "Facebook", "Twitter", "Email", "Print", "Tags", "Previous", "Next", "Add a comment",
               "Comments"]
    footer = ["Contact us", "Terms", "Privacy", "Copyright example.com"]

    def prose(seed: int) -> str:  # a page-specific line of about 200 characters
        rng = random.Random(seed)
        return " ".join(rng.choice(WORDS) for _ in range(32)).capitalize() + "."

    texts = []
    for i in range(n):
        article = [prose(i * 100 + p) for p in range(10)]
        thread = [prose(i * 100 + 50 + c) for c in range(12)]
        texts.append("\n".join(header + article + between + thread + footer))
    sites = ["news.example"] * n
    lines = texts[3].split("\n")
    model = ChromeModel(run_cost=None).update(texts, sites)
    assert model.strip(texts[3], "news.example").text.splitlines() == lines[5:15]
    flat = ChromeModel(decay_chars=0, run_cost=None).update(texts, sites)
    kept = flat.strip(texts[3], "news.example").text.splitlines()
    # (the title rescue keeps the article's last lines, just above the template block)
    assert kept[-12:] == lines[25:37] and lines[5] not in kept
    # With the default run_cost a run of prose outside the main region is kept too (article
    # text first): the thread stays, the template block between them goes.
    kept = ChromeModel().update(texts, sites).strip(texts[3], "news.example").text.splitlines()
    assert kept == lines[5:15] + lines[25:37]


def test_article_cut_by_a_small_template_box_is_kept_whole():
    # A gallery link ("Video", "Photo", "Gallery": template lines on every page) sits in the
    # middle of each article. The position weighting makes the article's second half worth
    # less than the box costs, so the main region ends at the box; run_cost keeps the second
    # half as another run, and the box still goes.
    n = 8
    header = ["Home", "World", "Business", "Sport", "Sign in"]
    widget = ["Video", "Photo", "Gallery"]
    footer = ["Share this", "Contact us", "Terms", "Privacy", "Copyright example.com"]

    def prose(seed: int, words: int) -> str:
        rng = random.Random(seed)
        return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."

    texts = []
    for i in range(n):
        first = [prose(i * 100 + p, 120) for p in range(5)]
        second = [prose(i * 100 + 50 + p, 30) for p in range(4)]
        texts.append("\n".join(header + first + widget + second + footer))
    sites = ["news.example"] * n
    lines = texts[3].split("\n")
    article = lines[5:10] + lines[13:17]
    assert ChromeModel().update(texts, sites).strip(texts[3], "news.example").text.splitlines() == article
    one_region = ChromeModel(run_cost=None).update(texts, sites).strip(texts[3], "news.example").text.splitlines()
    assert one_region == lines[5:10]


def test_a_recurring_separator_does_not_cut_the_article():
    # "* * *" between sections recurs on every page of the site and has no word character:
    # it costs small_penalty, not penalty, so the region runs past it (the separator itself
    # is still chrome).
    n = 6
    header = ["Home", "World", "Business", "Sport", "Sign in"]
    footer = ["Contact us", "Terms", "Privacy", "Copyright example.com"]

    def prose(seed: int, words: int) -> str:
        rng = random.Random(seed)
        return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()

    texts = []
    for i in range(n):
        sections = []
        for k in range(4):
            sections += [prose(i * 100 + k, 60), "* * *"]
        texts.append("\n".join(header + sections[:-1] + footer))
    sites = ["blog.example"] * n
    lines = texts[2].split("\n")
    paragraphs = [lines[5], lines[7], lines[9], lines[11]]
    kept = ChromeModel(run_cost=None).update(texts, sites).strip(texts[2], "blog.example").text.splitlines()
    assert kept == paragraphs
    old = ChromeModel(run_cost=None, small_penalty=300).update(texts, sites)
    assert old.strip(texts[2], "blog.example").text.splitlines() != paragraphs


def test_run_cost_is_a_knob():
    # A closed page-specific line of about 150 characters after the footer block (a
    # correction note, say) is a run of prose outside the main region: kept while run_cost is
    # below its worth, cut above it and with the main region only.
    def note(i: int) -> str:
        # (first and last words vary: a shared shape would make it a template line)
        return f"{WORDS[(i + 4) % 12].capitalize()} correction: an earlier version of this story misspelled " \
               f"{WORDS[i % 12]} and {WORDS[(i + 5) % 12]}; the figures were updated by {WORDS[(i + 2) % 12]}."

    texts = [page(i) + "\n" + note(i) for i in range(8)]
    kept = []
    for cost in (0, 50, 300, None):
        model = ChromeModel(run_cost=cost).update(texts, ["example.com"] * 8)
        kept.append([model.strip(t, "example.com").text.splitlines() for t in texts])
    for i, text in enumerate(texts):
        lines = text.split("\n")
        assert kept[0][i] == kept[1][i] == [*lines[6:8], note(i)]
        assert kept[2][i] == kept[3][i] == lines[6:8]


def test_bad_models_are_refused(tmp_path):
    good = site_model(3).to_dict()
    with pytest.raises(ValueError, match="version 9"):
        ChromeModel.from_dict({**good, "version": 9})
    with pytest.raises(ValueError, match="not a neardup chrome model"):
        ChromeModel.from_dict({"format": "other"})
    broken = json.loads(json.dumps(good))
    broken["sites"][0]["lines"]["keys"] = "!!"
    with pytest.raises(ValueError, match="site entry 0 lines.keys"):
        ChromeModel.from_dict(broken)
    for entry, message in [({"site": 5}, "site entry 0: site must be a str, got int"),
                           ({"pages": 1}, "site entry 0: site .example.com.: invalid entry"), ({"site": "a\ud800"}, "site entry 0: .*surrogate")]:
        with pytest.raises(ValueError, match=f"^chrome model: {message}"):
            ChromeModel.from_dict({**good, "sites": [{**good["sites"][0], **entry}]})
    for name, value in [("min_pages", 1), ("penalty", "300"), ("template_permille", 1001)]:
        with pytest.raises(ValueError, match=f"^chrome model: params: .*{name}"):
            ChromeModel.from_dict({**good, "params": {**good["params"], name: value}})
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match="not JSON"):
        ChromeModel.load(tmp_path / "bad.json")


def test_site_key():
    assert site_key("https://WWW.Example.com:8080/a?b") == "example.com"
    assert site_key("news.example.org/x") == "news.example.org"
    for no_host in ("https:///nohost", "http://www./x"):
        with pytest.raises(ValueError, match="has no host"):
            site_key(no_host)


def score(rows, model):
    kept = body = removed = chrome = 0
    for row, decided in zip(rows, model.classify([r["text"] for r in rows], [r["site"] for r in rows])):
        for line, is_body, decision in zip(row["text"].split("\n"), row["line_is_body"], decided.decisions.tolist()):
            if is_body:
                body += len(line)
                kept += len(line) if decision == 0 else 0
            else:
                chrome += len(line)
                removed += len(line) if decision != 0 else 0
    return kept / body, removed / chrome


@pytest.mark.parametrize(
    "name, body_min, chrome_min",
    # Floors a little under the measured numbers with the defaults (docs/chrome.md: postgres
    # docs 0.9996 / 0.9974, CleanPortalEval 0.9941 / 0.8712), over the >=3-pages rule.
    [("chrome-postgresql-doc-15", 0.99, 0.99), ("chrome-cleanportaleval", 0.99, 0.85)],
)
def test_quality_on_labelled_sites(shared_data, name, body_min, chrome_min):
    rows = [json.loads(line) for line in gzip.open(shared_data / f"{name}.jsonl.gz", "rt")]
    if neardup.backend() == "python":
        rows = rows[:: max(1, len(rows) // 60)]  # the reference is slow; a spread sample
        body_min, chrome_min = body_min - 0.05, chrome_min - 0.1
    model = ChromeModel().update([r["text"] for r in rows], [r["site"] for r in rows])
    kept, removed = score(rows, model)
    assert kept >= body_min and removed >= chrome_min, (kept, removed)


def test_template_box_inside_the_article_is_cut():
    # A site embeds a "Related stories" box in its articles: the box's header recurs on every
    # page (a template line inside the body region), its items are short page-specific
    # headlines, and the article resumes after it. With box_chars=80 the items are chrome;
    # with box_chars=0 (the default since the protocol chose it, and models before version 4)
    # they are kept. A short closed line ("Dear ... readers,") is prose, not an item.
    n = 6
    header = ["Home", "World", "Business", "Sport", "Sign in"]
    footer = ["Contact us", "Terms", "Privacy", "Copyright example.com"]

    def prose(seed: int) -> str:
        rng = random.Random(seed)
        return " ".join(rng.choice(WORDS) for _ in range(48)).capitalize() + "."

    def headline(seed: int) -> str:
        rng = random.Random(seed)
        return " ".join(rng.choice(WORDS) for _ in range(5)).capitalize()

    texts = []
    for i in range(n):
        box = [headline(i * 100 + 60 + k) for k in range(3)]
        article = [headline(i * 100), *(prose(i * 100 + k) for k in range(6, 9)), "Related stories", *box,
                   prose(i * 100 + 2),
                   "Continue reading", f"Dear {WORDS[i]} readers,", prose(i * 100 + 3), prose(i * 100 + 4),
                   prose(i * 100 + 5)]
        texts.append("\n".join(header + article + footer))
    sites = ["news.example"] * n
    lines = texts[2].split("\n")
    box = lines[10:13]
    kept = ChromeModel(box_chars=80).update(texts, sites).strip(texts[2], "news.example").text.split("\n")
    assert not set(box) & set(kept)
    assert kept == [*lines[5:9], lines[13], *lines[15:19]]
    without = ChromeModel(box_chars=0).update(texts, sites).strip(texts[2], "news.example").text.split("\n")
    assert without == [*lines[5:9], *box, lines[13], *lines[15:19]]


def test_removed_spans_are_never_empty():
    # An empty page, and a page whose last line is chrome followed by a final line break:
    # the empty last line has nothing to remove (it used to give a zero-length span).
    model = site_model(3)
    assert ChromeModel().strip("", "x.com").removed == []
    assert ChromeModel().strip("\r", "x.com").removed == []
    text = page(3) + "\n"
    result = model.strip(text, "example.com")
    assert result.removed and all(r.start < r.end for r in result.removed)
    assert result.removed[-1].end == len(text) and result.text == "\n".join(page(3).split("\n")[6:8]) + "\n"


def test_defaults_are_the_packaged_parameters():
    # One set of defaults: the versioned data file the protocol wrote, which ChromeModel takes
    # its defaults from; the core's and the reference's own defaults must be the same.
    from neardup import _reference
    from neardup.chrome import DEFAULT_PARAMS, PARAM_NAMES

    assert ChromeModel().params == DEFAULT_PARAMS
    assert _reference.ChromeModel().params() == tuple(DEFAULT_PARAMS[name] for name in PARAM_NAMES)
    if neardup.backend() == "rust":  # the compiled core exists only then
        from neardup import _core

        assert _core.ChromeModel().params() == tuple(DEFAULT_PARAMS[name] for name in PARAM_NAMES)


def test_tuned_parameters_round_trip_and_bad_files_are_refused(tmp_path):
    from neardup.chrome import load_params, save_params, tune

    texts = [page(i) for i in range(6)]
    labels = [[6 <= k < 8 for k in range(len(t.split("\n")))] for t in texts]
    # (comment threads off, as a file of version 1 is read)
    tuning = tune({"all": (texts, ["example.com"] * 6, labels)}, grid={"run_cost": (0, None), "cut_comments": (False,)})
    assert tuning.params["run_cost"] == 0  # the first of equal points
    assert [point for point, _ in tuning.table] == [{"run_cost": 0, "cut_comments": False}, {"run_cost": None, "cut_comments": False}]
    quality_of = tuning.table[0][1]["all"]
    assert (quality_of.kept, quality_of.removed) == (1.0, 1.0)
    save_params(tmp_path / "p.json", tuning.params, note="test")
    assert load_params(tmp_path / "p.json") == tuning.params
    state = json.loads((tmp_path / "p.json").read_text())
    assert state["version"] == 2 and state["params"]["cut_comments"] is False
    # A file of version 1 (before comment threads) is read with them off.
    version_1 = {**state, "version": 1, "params": {k: v for k, v in state["params"].items() if k != "cut_comments"}}
    (tmp_path / "v1.json").write_text(json.dumps(version_1))
    assert load_params(tmp_path / "v1.json") == tuning.params
    for broken, message in [({**state, "version": 3}, "not a chrome parameters file"),
                            ({**version_1, "params": state["params"]}, "exactly the keys"),
                            ({**state, "params": {**state["params"], "cut_comments": 1}}, "cut_comments must be a bool"),
                            ({**state, "params": {**state["params"], "run_cost": -1}}, "run_cost must be an int"),
                            ({**state, "params": {"penalty": 3}}, "exactly the keys")]:
        (tmp_path / "bad.json").write_text(json.dumps(broken))
        with pytest.raises(ValueError, match=message):
            load_params(tmp_path / "bad.json")


def test_position_weighting_on_a_site_with_few_pages_follows_decay_pages():
    # One page per site: nothing recurs, so the menu above the article is page-specific text
    # and, weighted by position, outweighs the article after it (the share buttons, on every
    # site, are cross-site boilerplate and split them). Without the weighting on such sites
    # (decay_pages 3) the article is the main region and the menu goes; with it everywhere
    # (decay_pages 0, the default: docs/chrome.md, "Separators on small sites") a menu of
    # seventy lines of its own wins (a limit the labelled sets show little of).
    def line(seed: int, words: int, end: str) -> str:
        rng = random.Random(seed)
        return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + end

    texts, sites = [], []
    buttons = ["Share this", "Tweet", "Email", "Print", "Comments", "Subscribe", "Facebook", "Reddit", "Pinterest",
               "WhatsApp", "Copy link", "Newsletter"]
    for i in range(4):
        menu = [line(i * 1000 + k, 6, "") for k in range(70)]
        article = [line(i * 1000 + 500 + k, 40, ".") for k in range(12)]
        texts.append("\n".join(menu + buttons + article + buttons))
        sites.append(f"site{i}.example")
    lines = texts[1].split("\n")
    kept = ChromeModel(decay_pages=3).update(texts, sites).strip(texts[1], "site1.example").text.splitlines()
    # (the title rescue keeps the three lines above the buttons, as it would a headline)
    assert kept == lines[67:70] + lines[82:94]
    weighted = ChromeModel(decay_pages=0).update(texts, sites).strip(texts[1], "site1.example").text.splitlines()
    assert weighted[:70] == lines[:70]


def test_separators_between_the_paragraphs_of_a_one_page_site_do_not_cut_the_article():
    # One page per site, a long article with an "Advertisement" line (on every site: a
    # cross-site template line) after each paragraph, a menu above and buttons below that the
    # sites share too. Weighted by position, a late paragraph is worth less than a marker
    # costs at full cost: the article fell apart into runs, and those beyond max_runs went.
    # A separator on a site of fewer than min_pages pages costs its weighted cost.
    def prose(seed: int) -> str:
        rng = random.Random(seed)
        return " ".join(rng.choice(WORDS) for _ in range(50)).capitalize() + "."

    menu = ["Home", "World", "Business", "Sport", "Search"]
    buttons = ["Share this", "Tweet", "Email", "Print"]
    texts, sites = [], []
    for i in range(4):
        article = []
        for k in range(20):
            article += [prose(i * 100 + k), "Advertisement"]
        texts.append("\n".join(menu + article[:-1] + buttons))
        sites.append(f"site{i}.example")
    paragraphs = [line for line in texts[1].split("\n") if line.endswith(".")]
    model = ChromeModel().update(texts, sites)
    assert model.params["decay_pages"] < model.params["min_pages"]  # weighted on one-page sites
    assert [line for line in model.strip(texts[1], "site1.example").text.splitlines() if line != "Advertisement"] == paragraphs


def test_max_runs_keeps_the_runs_nearest_the_article():
    # Below each article, after the share buttons, a thread of five comments, each a run of
    # prose between the recurring "Reply" and "Report" lines. With max_runs 2 only the two
    # nearest runs are kept; with no limit (None) every one worth run_cost (the position
    # weighting leaves the last comment under it).
    n = 6

    def prose(seed: int, words: int) -> str:
        rng = random.Random(seed)
        return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."

    texts = []
    for i in range(n):
        article = [prose(i * 100 + k, 50) for k in range(5)]
        thread = []
        for c in range(5):
            thread += [prose(i * 100 + 50 + c, 30), "Reply", "Report"]
        texts.append("\n".join(["Home", "World", "Sign in"] + article + ["Share this", "Comments"] + thread + ["Contact us"]))
    sites = ["news.example"] * n
    lines = texts[1].split("\n")
    comments = [lines[k] for k in range(10, 25, 3)]
    kept = ChromeModel(max_runs=2).update(texts, sites).strip(texts[1], "news.example").text.splitlines()
    assert kept == lines[3:8] + comments[:2]
    every = ChromeModel(max_runs=None).update(texts, sites).strip(texts[1], "news.example").text.splitlines()
    assert every == lines[3:8] + comments[:4]


def _prose(seed: int, words: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _threaded_site(n: int = 6, *, first_comment_lines: int = 1, stamp_after: bool = False, short: bool = False,
                   sidebar: bool = False) -> list[str]:
    """Pages of one site: menu, article, a "Comments" heading, four comments each signed by a
    line "by NAME on May D, 2012 at H:MM pm. Reply" (or, ``short``, "May D, 2012 H:MM pm"),
    before or after its text, footer (and, ``sidebar``, a sidebar of prose below it). Days and
    hours have one digit or two (no two stamps alike but for the runs of zeros they mask to)."""
    texts = []
    for i in range(n):
        article = [_prose(i * 100 + k, 40) for k in range(5)]
        thread = []
        for c in range(4):
            text = [_prose(i * 100 + 50 + c * 7 + k, 30) for k in range(first_comment_lines if c == 0 else 1)]
            reader = (WORDS[i % 12] + WORDS[c]).title()  # a reader per comment: no stamp recurs across pages
            day, hour, minute = c + 8, 9 + c % 2, 10 * c + 5
            stamp = f"May {day}, 2012 {hour}:{minute:02d} pm" if short else f"by {reader} on May {day}, 2012 at {hour}:{minute:02d} pm. Reply"
            thread += text + [stamp] if stamp_after else [stamp] + text
        headline = _prose(i * 100 + 99, 6).rstrip(".")
        aside = [_prose(i * 100 + 80 + k, 40) for k in range(6)] if sidebar else []
        texts.append("\n".join(["Home", "World", "Sign in", headline] + article + ["Comments"] + thread + ["Contact us"] + aside))
    return texts


@pytest.mark.parametrize("short, sidebar", [(False, False), (True, False), (False, True)])
def test_cut_comments_removes_the_thread_below_the_article(short, sidebar):
    # (a sidebar of prose below the footer is not the article going on after the thread: the
    #  thread's text is measured, and cut, up to the footer)
    texts = _threaded_site(short=short, sidebar=sidebar)
    sites = ["news.example"] * len(texts)
    lines = texts[1].split("\n")
    result = ChromeModel(cut_comments=True).update(texts, sites).strip(texts[1], "news.example")
    footer = lines.index("Contact us")
    sidebar_kept = [line for line in result.text.splitlines() if line in lines[footer:]]
    assert result.text.splitlines() == lines[3:9] + sidebar_kept  # the headline and the article
    assert sidebar_kept or not sidebar  # (the thread ends at the footer)
    assert "comments" in {r.reason for r in result.removed}
    # Turned off, the comments' prose stays (some of it: the runs nearest the article).
    kept = ChromeModel(cut_comments=False, max_runs=8).update(texts, sites).strip(texts[1], "news.example").text.splitlines()
    assert kept[:6] == lines[3:9] and len(kept) > 6


@pytest.mark.parametrize("pages", [1, 2, 3])
def test_comment_threads_are_cut_on_sites_of_min_pages_pages_only(pages):
    # A page alone (or one of two) may be a forum thread or a blog's front page whose signed
    # entries are its text: its thread stays. From min_pages (3) pages of the site on, it goes.
    texts = _threaded_site(n=pages)
    sites = ["news.example"] * pages
    text = texts[-1]
    cut = ChromeModel(cut_comments=True).update(texts, sites).strip(text, "news.example")
    kept = ChromeModel(cut_comments=False).update(texts, sites).strip(text, "news.example")
    if pages < 3:
        assert cut == kept and "comments" not in {r.reason for r in cut.removed}
    else:
        assert "comments" in {r.reason for r in cut.removed} and len(cut.text) < len(kept.text)


@pytest.mark.parametrize("lines_above, starts_at_heading", [(3, True), (4, False)])
def test_a_thread_starts_below_its_heading_when_the_first_comment_is_short(lines_above, starts_at_heading):
    # Stamps close each comment; the first comment's lines above its stamp belong to the
    # thread when a line that is not body (the "Comments" heading) is at most three lines up.
    texts = _threaded_site(first_comment_lines=lines_above, stamp_after=True)
    sites = ["news.example"] * len(texts)
    lines = texts[1].split("\n")
    kept = ChromeModel(cut_comments=True).update(texts, sites).strip(texts[1], "news.example").text.splitlines()
    first_comment = lines[10:10 + lines_above]
    assert kept == lines[3:9] + ([] if starts_at_heading else first_comment)


def _with_other_pages(texts: list[str], sites: list[str], others: int = 2) -> ChromeModel:
    """A model with ``cut_comments`` of ``texts`` plus ``others`` pages of prose of their own
    on each of their sites: threads are looked for on sites of ``min_pages`` (3) pages or more."""
    extra = [(site, "\n".join(_prose(5000 + 100 * k + 10 * j + i, 30) for i in range(6)))
             for k, site in enumerate(dict.fromkeys(sites)) for j in range(others)]
    return ChromeModel(cut_comments=True).update(texts + [t for _, t in extra], sites + [s for s, _ in extra])


def _article_page(middle: list[str], seed: int = 0, after: int = 5, before: int = 5) -> str:
    return "\n".join([_prose(seed + k, 40) for k in range(before)] + middle + [_prose(seed + 50 + k, 40) for k in range(after)])


def _signed(stamps: list[str]) -> list[str]:
    return [line for k, stamp in enumerate(stamps) for line in [stamp, _prose(900 + k, 12)]]


@pytest.mark.parametrize("middle, after, before", [
    # a table of times: every row is a stamp next to another (a description under each pair)
    ([line for k in range(1, 7, 2) for line in [f"{k}:{k * 7 % 60:02d} pm departure from platform {k}",
                                                 f"{k + 1}:{k * 9 % 60:02d} pm arrival at platform {k + 1}", _prose(800 + k, 12)]], 0, 5),
    # a schedule: times with short items, no prose between them
    ([line for k in range(5) for line in [f"Doors open at {k + 6}:{k * 7:02d}", "Main hall"]], 0, 5),
    # one time repeated in a code example between paragraphs: the stamps do not differ
    (_signed(["SELECT '2020-08-01 17:00 UTC'::timestamptz;"] * 4), 1, 5),
    # times of a story told hour by hour, the article going on after them
    (_signed([f"Posted at {k + 8}:{k * 11:02d}" for k in range(4)]), 5, 5),
    # entries from the page's top: under 500 body characters above the first stamp
    (_signed([f"Posted at {k + 8}:{k * 11:02d}" for k in range(3)]), 0, 1),
], ids=["table", "schedule", "one-time", "article-after", "from-the-top"])
def test_time_stamps_that_are_not_a_thread(middle, after, before):
    text = _article_page(middle, after=after, before=before)
    stripped = _with_other_pages([text], ["blog.example"]).strip(text, "blog.example")
    assert stripped.text == text


def test_time_stamps_spread_over_a_manual_are_not_a_thread():
    # Log lines of examples in every section of a long page: more than twenty body lines per
    # stamp between the first and the last.
    sections = []
    for k in range(4):
        sections += [_prose(700 + k * 40 + j, 15) for j in range(22)]
        sections += [f"2005-03-23 23:47:{11 + k:02d},663 - app - INFO -", "done", _prose(990 + k, 15)]
    text = _article_page(sections, after=0)
    assert _with_other_pages([text], ["docs.example"]).strip(text, "docs.example").text == text


def test_a_dateline_above_the_article_does_not_start_the_thread():
    # The article's own time stamp above it, other stories' stamps below it: the gap after
    # the dateline (the article) is far longer than the others, so the thread starts below.
    teasers = [line for k in range(4) for line in [_prose(300 + k, 10), f"{k + 1} March 2019 at {k + 10}:{k * 13:02d}"]]
    lines = ["Menu"] + [_prose(k, 40) for k in range(3)] + ["28 February 2019 at 18:42"] + [_prose(10 + k, 40) for k in range(6)]
    text = "\n".join(lines + teasers)
    kept = _with_other_pages([text], ["paper.example"]).strip(text, "paper.example").text.splitlines()
    # (the first teaser's title, above its stamp with no heading above it, stays)
    assert kept == lines + teasers[:1]


def test_a_thread_above_the_article_is_cut_only_up_to_the_line_below_it():
    # A page on each of three sites (each with two other pages): an introduction, a list of
    # other stories signed with times, a menu the sites share (cross-site lines), the article. The list is a thread (the
    # text after its last stamp, up to the menu, is short); it is cut up to the menu, and the
    # article below stays.
    texts, sites = [], []
    for i in range(3):
        intro = [_prose(i * 100 + k, 40) for k in range(3)]
        teasers = [line for k in range(4) for line in [_prose(i * 100 + 20 + k, 25), f"{k + 1} March 2019 at {k + 10}:{k * 13 + i:02d}"]]
        article = [_prose(i * 100 + 40 + k, 40) for k in range(6)]
        texts.append("\n".join(intro + teasers + ["Sections", "Sport", "Culture"] + article))
        sites.append(f"paper{i}.example")
    lines = texts[1].split("\n")
    kept = _with_other_pages(texts, sites).strip(texts[1], "paper1.example").text.splitlines()
    assert kept == lines[:4] + lines[14:]


def test_a_site_of_two_pages_loses_the_lines_both_pages_frame_their_text_with():
    # Two pages are too few for min_pages (3): the menu and footer lines on both, none of which
    # ends a clause, recur at the template share and, in blocks, are template lines. Prose both
    # pages carry and a heading both use alone inside their text stay.
    def two_page(i: int) -> list[str]:
        own = page(i).split("\n")[6:8]
        return TEMPLATE_TOP + [f"{WORDS[i].capitalize()} leads the news today"] + own[:1] + ["Background"] + own[1:] + [
            "The minister said the talks would go on next week."] + TEMPLATE_BOTTOM
    texts = ["\n".join(two_page(i)) for i in (1, 2)]
    model = ChromeModel().update(texts, ["two.example"] * 2)
    for i, text in zip((1, 2), texts):
        result = model.strip(text, "two.example")
        assert result.text.split("\n") == two_page(i)[len(TEMPLATE_TOP):-len(TEMPLATE_BOTTOM)]
        assert {r.reason for r in result.removed} == {"template"}
