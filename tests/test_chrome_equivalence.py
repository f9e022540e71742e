"""The Rust core and the pure-Python reference agree on every chrome and repeat primitive:
line keys, per-site counts, decisions, repeat spans, on generated input and on real pages."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup import _reference
from strategies import texts
from equivalence import _core, same

# Rust == reference, called directly: needs the core, and the active backend changes nothing.
pytestmark = [pytest.mark.core, pytest.mark.backend_independent]

# Pages of small generated sites: lines drawn from a shared pool (so that they recur across
# pages, masked digits and months included) mixed with arbitrary text of every kind.
POOL = ["Home", "News", "Sport", "Share this article", "Last updated 5 May 2021", "Last updated 17 October 1999",
        "Prev Up Chapter 1 Intro Home Next", "Prev Up Part II Other Home Next", "Note", "See also", "", "  ",
        "\u00a9 2024 Caf\u00e9 \u201cSite\u201d", "Contact us", "Related stories", "* * *", "\u2014",
        "A closed line of prose that ends the way a sentence does."]
lines = st.one_of(st.sampled_from(POOL), texts)
pages = st.lists(lines, max_size=25).map("\n".join)
sites = st.sampled_from(["a", "b", "c", "d", "\u00e9"])
corpus = st.lists(st.tuples(pages, sites), max_size=12)
# (decay_chars: off, tiny so that the weighting bites on short generated pages, default, huge;
#  box_chars: off, tiny, around the lengths of generated lines, default, huge;
#  run_cost: the main region only, every run, small, default, huge)
params = st.tuples(st.integers(2, 4), st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 1000),
                   st.integers(0, 500), st.integers(0, 4), st.integers(0, 4),
                   st.sampled_from([0, 1, 7, 40, 3000, 2**32 - 1]), st.integers(0, 1000),
                   st.sampled_from([0, 1, 12, 30, 80, 2**32 - 1]), st.integers(0, 500),
                   st.sampled_from([None, 0, 1, 50, 300, 2**32 - 1]), st.integers(0, 4),
                   st.sampled_from([None, 0, 1, 2, 6]), st.booleans())


# The tests of page shapes below draw a corpus of up to 14 pages per example, each of tens of
# lines: half the profile's examples each (100 in CI). Drawing the corpora is most of their
# time (77% of the comment threads' test under cProfile); at 300 examples these eight took
# 115 s of the CI's Rust pass, which shares 2 cores with the Spark tests.
SHAPED_CORPORA = settings(max_examples=max(1, settings.default.max_examples // 2))


def strip_and_decide_alike(pairs, p, repeats, num_threads):
    """Core and reference models of parameters ``p`` learn and strip the ``(text, site)``
    pages alike (``add_strip``), then decide them alike."""
    rust, ref = _core.ChromeModel(*p), _reference.ChromeModel(*p)
    texts, names = [t for t, _ in pairs], [s for _, s in pairs]
    same(rust.add_strip(texts, names, repeats, num_threads), ref.add_strip(texts, names, repeats))
    same(rust.decide(texts, names), ref.decide(texts, names))


@given(texts)
def test_line_keys(text):
    same(_core.line_keys(text), _reference.line_keys(text))


@given(st.lists(texts, max_size=5), st.sampled_from([None, 1, 2]))
def test_line_keys_batch(batch, num_threads):
    same(_core.line_keys_batch(batch, num_threads), _reference.line_keys_batch(batch))


@given(corpus, corpus, params, st.sampled_from([None, 1, 2]))
def test_model_counts_and_decisions(learn, check, p, num_threads):
    """Counts, decisions and each line's count on its site, learned on ``learn``."""
    rust, ref = _core.ChromeModel(*p), _reference.ChromeModel(*p)
    for model in (rust, ref):
        model.add([t for t, _ in learn], [s for _, s in learn], num_threads)
    assert rust.site_names() == ref.site_names()
    for site in ref.site_names():
        same(rust.site_state(site), ref.site_state(site))
    pairs = learn + check
    same(rust.decide([t for t, _ in pairs], [s for _, s in pairs], num_threads),
         ref.decide([t for t, _ in pairs], [s for _, s in pairs]))
    # Pages of sites the model has not counted among them (check's).
    same(rust.line_counts([t for t, _ in pairs], [s for _, s in pairs], num_threads),
         ref.line_counts([t for t, _ in pairs], [s for _, s in pairs]))


#: Ways a line is pasted again with its key unchanged (or nearly: the key folds case,
#: punctuation and spacing, and ``swapcase`` of some letters is more than one letter).
RESTYLE = {
    "same": lambda line: line,
    "upper": str.upper,
    "swapcase": str.swapcase,
    "bullet": lambda line: "- " + line,
    "shout": lambda line: line + " !!",
    "spaced": lambda line: line.replace(" ", " \t, "),
    "quoted": lambda line: "\u201c" + line + "\u201d",
}


@given(st.lists(st.one_of(st.sampled_from(POOL), texts, st.sampled_from(["x" * 300, "A longer line of body text."])),
                max_size=30).map("\n".join), st.integers(1, 4), st.integers(0, 300), st.integers(0, 700),
       st.lists(st.sampled_from(sorted(RESTYLE)), min_size=1, max_size=4))
def test_find_repeats(text, min_lines, min_chars, long_chars, styles):
    doubled = text + "\n" + text  # a body pasted twice, so that there is something to find
    # Pasted again with its case, punctuation and spacing changed line by line, which the
    # repeat key folds: the two backends must fold them alike.
    restyled = text + "\n" + "\n".join(RESTYLE[styles[k % len(styles)]](line) for k, line in enumerate(text.split("\n")))
    for t in (text, doubled, restyled):
        assert _core.find_repeats(t, min_lines, min_chars, long_chars) == _reference.find_repeats(
            t, min_lines, min_chars, long_chars)


def test_huge_and_empty_pages():
    huge = ("line of text 1\n" * 20000) + "x" * 200000
    same(_core.line_keys(huge), _reference.line_keys(huge))
    assert _core.find_repeats(huge) == _reference.find_repeats(huge)
    for model in (_core.ChromeModel(), _reference.ChromeModel()):
        model.add(["", "", ""], ["s", "s", "s"])
    same(_core.ChromeModel().decide([""], ["s"]), _reference.ChromeModel().decide([""], ["s"]))
    doubled = huge + "\n" + huge
    same(_core.ChromeModel().add_strip([doubled, "", huge], ["s"] * 3),
         _reference.ChromeModel().add_strip([doubled, "", huge], ["s"] * 3))


def test_model_errors_say_the_same_in_both_backends():
    # Site names are shown in double quotes as they are (Rust's Debug and Python's repr
    # quote and escape differently).
    def message(impl, call) -> str:
        model = impl.ChromeModel()
        model.insert_site("it's", 3, [5], [3], [], [])
        with pytest.raises((KeyError, ValueError)) as error:
            call(model)
        return str(error.value.args[0])

    calls = [
        lambda m: m.insert_site("it's", 3, [6], [1], [], []),
        lambda m: m.insert_site("s\tt", 3, [5, 5], [1, 1], [], []),
        lambda m: m.insert_site("s", 1, [5], [2], [], []),
        lambda m: m.insert_site("s", 1, [5], [], [], []),
        lambda m: m.site_state("none \"here\""),
    ]
    for call in calls:
        assert message(_core, call) == message(_reference, call)
    assert message(_core, calls[0]) == 'site "it\'s" appears twice in the model'


@pytest.mark.parametrize("impl", [_core, _reference], ids=["rust", "python"])
def test_bad_input_is_named(impl):
    model = impl.ChromeModel()
    with pytest.raises(ValueError, match="2 texts but 1 sites"):
        model.add(["a", "b"], ["s"])
    with pytest.raises(TypeError, match="document 1: site must be str"):
        model.add(["a", "b"], ["s", 3])
    with pytest.raises(ValueError, match="document 0: lone surrogate"):
        model.decide(["\ud800"], ["s"])
    with pytest.raises(ValueError, match="min_pages must be >= 2"):
        impl.ChromeModel(1)
    with pytest.raises(ValueError, match=r"title_lines must be in \[0, 16\], got 17"):
        impl.ChromeModel(title_lines=17)
    with pytest.raises(ValueError, match=r"decay_floor_permille must be in \[0, 1000\], got 1001"):
        impl.ChromeModel(decay_floor_permille=1001)
    with pytest.raises(ValueError, match="duplicate keys"):
        model.insert_site("s", 3, [5, 5], [1, 1], [], [])
    with pytest.raises(ValueError, match="invalid entry"):
        model.insert_site("t", 1, [5], [2], [], [])
    with pytest.raises(ValueError, match="min_lines must be >= 1"):
        impl.find_repeats("x", 0)


def test_real_pages_agree(shared_data):
    rows = [json.loads(line) for line in gzip.open(shared_data / "chrome-cleanportaleval.jsonl.gz", "rt")][:71]
    texts, sites = [r["text"] for r in rows], [r["site"] for r in rows]
    rust, ref = _core.ChromeModel(), _reference.ChromeModel()
    rust.add(texts, sites)
    ref.add(texts, sites)
    same(rust.decide(texts, sites), ref.decide(texts, sites))
    same(rust.strip(texts, sites), ref.strip(texts, sites))
    assert [_core.find_repeats(t) for t in texts] == [_reference.find_repeats(t) for t in texts]


@given(corpus, corpus, params, st.booleans(), st.sampled_from([None, 1, 2]))
def test_strip_and_add_strip(learn, check, p, repeats, num_threads):
    """Removed spans from keys computed once per line (decisions + repeats fused) equal the
    reference's, for strip after add and for add_strip; doubled pages give repeats to find."""
    learn = learn + [(t + "\n" + t, s) for t, s in learn[:2]]
    rust, ref = _core.ChromeModel(*p), _reference.ChromeModel(*p)
    texts, names = [t for t, _ in learn], [s for _, s in learn]
    same(rust.add_strip(texts, names, repeats, num_threads), ref.add_strip(texts, names, repeats))
    pairs = learn + check
    texts, names = [t for t, _ in pairs], [s for _, s in pairs]
    same(rust.strip(texts, names, repeats, num_threads), ref.strip(texts, names, repeats))


# News-like pages: a header block, page-specific lines (a title, a byline), a share block, the
# body, a footer; so that the body region, its widening and the title rescue all come into play.
HEADER, SHARE, FOOTER = ["Home", "News", "Sport"], ["Share this article", "Contact us"], ["Related stories", "Note"]
page_parts = st.tuples(st.lists(lines, max_size=3), st.lists(lines, max_size=6), st.lists(lines, max_size=3))
news_pages = page_parts.map(lambda p: "\n".join(HEADER + p[0] + SHARE + p[1] + FOOTER + p[2]))


# Short articles that several sites publish, once or twice each, under each site's header and
# share lines: cross-site lines that no site repeats (text the sites share) beside ones that
# some site does (boilerplate), around the lengths and counts that decide between them.
BRIEFS = [["Storm closes the harbour", "Ferries stay in port until Friday;", "the coast guard asks boats to wait."],
          ["Markets rally", "A quiet day in Tokyo", "Dear readers,"], ["In a car;", "at the office;", "while waiting in line;"],
          ["Fourteen chars", "Fifteen chars!!", "x" * 40]]
brief_pages = st.tuples(st.sampled_from(BRIEFS), st.lists(lines, max_size=3), st.sampled_from(["a", "b", "c", "d"])).map(
    lambda p: ("\n".join([f"{p[2]} header"] + p[0] + p[1] + SHARE), p[2]))


@SHAPED_CORPORA
@given(st.lists(brief_pages, min_size=3, max_size=14), params)
def test_decisions_on_shared_short_articles(pairs, p):
    strip_and_decide_alike(pairs, p, True, None)


# One article of a few on several pages of a site, under the template, sometimes with a
# line of the page's own: pages none of whose lines is page-specific (their lines below the
# template share taken as page-specific) beside pages decided as usual.
ARTICLES = [["Council approves the harbour budget", "The vote was close, and the works start in May."],
            ["Markets rally", "Shares rose on Tuesday."], ["Dear readers,", "x" * 60, "y" * 30]]
copied_pages = st.tuples(st.sampled_from(ARTICLES), st.lists(lines, max_size=2), st.booleans()).map(
    lambda p: "\n".join(HEADER + p[0] + (p[1] if p[2] else []) + FOOTER))


@SHAPED_CORPORA
@given(st.lists(st.tuples(copied_pages, st.sampled_from(["a", "b"])), min_size=3, max_size=14), params)
def test_decisions_on_pages_copied_within_a_site(pairs, p):
    strip_and_decide_alike(pairs, p, True, None)


# Sites of two to four pages, fewer than min_pages or not: lines on every page of a small site,
# on some of its pages, closed and not, beside generated text (docs/chrome.md, step 3).
SMALL_SITE_LINES = ["Home", "Contact us", "By Ann Lee - May 5, 2012", "The talks go on next week.", "Background",
                    "\u00a9 2012 Caf\u00e9 \u201cSite\u201d", "Read more \u00bb", "Said the minister:"]
small_site_pages = st.lists(st.one_of(st.sampled_from(SMALL_SITE_LINES), lines), max_size=12).map("\n".join)


@SHAPED_CORPORA
@given(st.lists(st.tuples(small_site_pages, st.sampled_from(["a", "b"])), min_size=2, max_size=8), params,
       st.sampled_from([None, 2]))
def test_decisions_on_sites_of_few_pages(pairs, p, num_threads):
    strip_and_decide_alike(pairs, p, True, num_threads)


# One page per site (and sites of two), paragraphs of an article between markers every site
# carries ("Advertisement": cross-site template lines, alone between the paragraphs or two in a
# row), beside generated text: the separators of step 5, weighted by position on sites of fewer
# than min_pages pages when the weighting applies there.
paragraphs = st.one_of(st.text(alphabet="abcdefghij ", min_size=1, max_size=300).map(lambda t: "P " + t + "."), lines)
separated_pages = st.lists(st.tuples(paragraphs, st.sampled_from([["Advertisement"], ["Advertisement"] * 2, [""], []])),
                           min_size=1, max_size=10).map(
    lambda p: "\n".join(["Home", "News"] + [line for text, marks in p for line in [text] + marks] + ["Share this article"]))


# The parameters under which separators decide: weighting on small sites (decay_pages <= 1,
# decay_chars tiny to default), markers cross-site from one to three sites, the main region
# deciding alone or with few extra runs; the others drawn as everywhere.
separator_params = st.tuples(params, st.sampled_from([3, 4]), st.integers(1, 3), st.sampled_from([1, 7, 40, 3000]),
                             st.sampled_from([None, 100, 300]), st.integers(0, 1), st.sampled_from([None, 0, 1])).map(
    lambda t: (t[1], *t[0][1:5], t[2], t[0][6], t[3], *t[0][8:11], t[4], t[5], t[6], t[0][14]))


@SHAPED_CORPORA
@given(st.lists(st.tuples(separated_pages, st.sampled_from(["a", "b", "c", "d", "e", "f"])), min_size=3, max_size=10),
       separator_params, st.sampled_from([None, 2]))
def test_decisions_with_separators_on_one_page_sites(pairs, p, num_threads):
    strip_and_decide_alike(pairs, p, True, num_threads)


# An article interrupted by a box under a template heading ("More on this"), then the article
# again: template boxes (step 7) come into play; headlines and prose lines around box_chars.
headlines = st.sampled_from(["Talks resume in Brussels", "What next for the euro?", "Markets rally", "\u201cNo deal\u201d",
                             "Dear readers,", "A much longer line of prose that goes on past eighty characters."])
mixed = st.one_of(headlines, lines)
boxed_pages = st.tuples(st.lists(lines, max_size=3), st.lists(mixed, max_size=4), st.lists(headlines, max_size=4),
                        st.lists(mixed, max_size=4)).map(
    lambda p: "\n".join(HEADER + p[0] + SHARE + p[1] + ["More on this"] + p[2] + p[3] + FOOTER))


@SHAPED_CORPORA
@given(st.lists(st.tuples(boxed_pages, st.sampled_from(["a", "b"])), min_size=3, max_size=12), params,
       st.booleans(), st.sampled_from([None, 2]))
def test_strip_on_boxed_pages(pairs, p, repeats, num_threads):
    """The fused strip path (keys and closed flags from one normalisation) on pages with boxes."""
    strip_and_decide_alike(pairs, p, repeats, num_threads)


# A site's pages list its latest headlines, the page's own among them; each page puts its own
# headline (or another) at one to three lines above its body, twice or once on the page: the
# own headline of step 5, around its length (29, 30 characters) and distance.
HEADLINES = ["Council approves the harbour budget", "Storms close the coast road again", "x" * 29, "y" * 30,
             "Talks resume", "\u201cNo deal\u201d, says the minister of finance"]
headline_pages = st.tuples(st.lists(st.sampled_from(HEADLINES), max_size=4), st.sampled_from(HEADLINES),
                           st.lists(st.sampled_from(["By Ann Lee", "Share this article", "", "Updated 5 May"]), max_size=2),
                           st.lists(lines, max_size=3), st.booleans()).map(
    lambda p: "\n".join(HEADER + p[0] + ["Latest"] + ([p[1]] if p[4] else []) + [p[1]] + p[2] + p[3] + FOOTER))


@SHAPED_CORPORA
@given(st.lists(st.tuples(headline_pages, st.sampled_from(["a", "b", "c"])), min_size=3, max_size=12), params)
def test_decisions_on_pages_listing_their_own_headline(pairs, p):
    strip_and_decide_alike(pairs, p, True, None)


@SHAPED_CORPORA
@given(st.lists(st.tuples(news_pages, st.sampled_from(["a", "b"])), min_size=3, max_size=12), params)
def test_decisions_on_news_like_pages(pairs, p):
    rust, ref = _core.ChromeModel(*p), _reference.ChromeModel(*p)
    texts, names = [t for t, _ in pairs], [s for _, s in pairs]
    for model in (rust, ref):
        model.add(texts, names)
    same(rust.decide(texts, names), ref.decide(texts, names))


# Pages with a thread of comments below the article: entries signed with time stamps (a short
# stamp line, or a name and a date ending in a time, or a time inside a longer line), prose
# between them, stamps next to each other (a table of times), one time repeated (a code
# example), and generated text anywhere; so that every test of ``comment_thread`` comes into play.
PROSE = ["A closed line of prose that ends the way a sentence does, and goes on long enough to count as a paragraph.",
         "Short reply.", "x" * 45, "Another paragraph of the article, with words enough to weigh more than the stamps do here."]
# (short generated lines: the thread's tests need the page's shape, and long lines of every
#  kind of text are tested above)
short_lines = st.one_of(st.sampled_from(POOL), st.text(max_size=40))
clock_chars = st.lists(st.sampled_from(["0", "7", "12", "123", "2024", ":", ":", "00", "59", ".", " ", "am", "pm", "\u0660",
                                         "\u00b2", "h", "May"]), max_size=8).map("".join)


def stamp_line(kind: int, hour: int, minute: int, who: str, noise: str) -> str:
    return [f"{hour}:{minute:02d} pm", f"by {who} on May {hour}, 2012 at {hour}:{minute:02d} am. Reply #",
            f"{who} said at {hour}:{minute:02d}", f"Posted {noise} {hour}:{minute:02d}", f"{noise}"][kind]


entries = st.lists(st.tuples(st.integers(0, 23), st.sampled_from([0, 5, 59]), st.sampled_from(["Ann", "Bo Li", "\u00e9mile"]),
                             clock_chars, st.lists(st.sampled_from(PROSE), min_size=1, max_size=2), st.lists(short_lines, max_size=2)),
                   min_size=2, max_size=10)
# (one kind of stamp per page, as a site signs its comments, sometimes another kind for an
#  entry; the times differ from entry to entry unless the page repeats one; the stamp heads
#  or closes each comment, alone or next to another)
thread_parts = st.tuples(st.lists(st.sampled_from(PROSE), min_size=3, max_size=12), st.integers(0, 4),
                         st.lists(st.none() | st.none() | st.integers(0, 4), min_size=10, max_size=10), entries,
                         st.lists(short_lines, max_size=3), st.sampled_from(["", "12 comments"]), st.booleans(),
                         st.lists(short_lines, max_size=3), st.booleans(), st.booleans())


def thread_page(parts) -> str:
    article, kind, others, signed, footer, heading, one_time, above, stamp_after, doubled = parts
    thread = []
    for i, ((hour, minute, who, noise, text, more), other) in enumerate(zip(signed, others)):
        hour = hour if one_time else (hour + 5 * i) % 24
        stamp = stamp_line(kind if other is None else other, hour, minute, who, noise)
        stamps = [stamp, stamp.replace("2012", "2013")] if doubled else [stamp]
        thread += [*text, *more, *stamps] if stamp_after else [*stamps, *text, *more]
    return "\n".join(HEADER + above + article + [heading] + thread + FOOTER + footer)


thread_pages = thread_parts.map(thread_page)


@SHAPED_CORPORA
@given(st.lists(st.tuples(thread_pages, st.sampled_from(["a", "b"])), min_size=1, max_size=8), params)
def test_decisions_on_pages_with_comment_threads(pairs, p):
    # (decisions only: the removed spans follow from them as on every other page, tested above;
    #  up to eight pages on two sites, as threads are looked for on sites of min_pages or more)
    p = (*p[:-1], True)
    rust, ref = _core.ChromeModel(*p), _reference.ChromeModel(*p)
    texts, names = [t for t, _ in pairs], [s for _, s in pairs]
    for model in (rust, ref):
        model.add(texts, names)
    same(rust.decide(texts, names), ref.decide(texts, names))


@given(st.lists(st.one_of(clock_chars, lines), max_size=8).map("\n".join))
def test_line_keys_of_clock_times(text):
    same(_core.line_keys(text), _reference.line_keys(text))


CLOCKS = {"9:05": True, "at 10:47 pm": True, "12:00:00": True, "\u0663:\u0664\u0665": True, "7:00.": True,
          "100:00": False, "1.2:30": False, "12:000": False, "12:0": False, ":00": False, "12h55": False, "\u00b2:00": True}


@pytest.mark.parametrize("clock, is_clock", CLOCKS.items())
def test_clock_times_are_stamps_alike(clock, is_clock):
    # (a short line holding a clock time has a time-stamp key; ² is a digit after NFKC)
    for text in (clock, f"by Ann on May 5, 2012 at {clock}", f"{clock} Reply"):
        rust, reference = _core.line_keys(text), _reference.line_keys(text)
        same(rust, reference)
        assert bool(rust[6][0] or rust[7][0]) == is_clock


@given(st.lists(st.lists(st.one_of(st.sampled_from(POOL), texts, st.sampled_from(["x" * 300, "A longer line of body text."])),
                         max_size=20).map("\n".join), max_size=5),
       st.integers(1, 4), st.integers(0, 300), st.integers(0, 700), st.sampled_from([None, 1, 2]))
def test_find_repeats_batch(batch, min_lines, min_chars, long_chars, num_threads):
    batch = batch + [t + "\n" + t for t in batch]  # bodies pasted twice: something to find
    rust = _core.find_repeats_batch(batch, min_lines, min_chars, long_chars, num_threads)
    same(rust, _reference.find_repeats_batch(batch, min_lines, min_chars, long_chars))
    same(rust, [_core.find_repeats(t, min_lines, min_chars, long_chars) for t in batch])


@pytest.mark.parametrize("args", [(["ok", 3],), (["ok", None],), (["ok", "b\udc00"],), (["ok"], 0)])
def test_find_repeats_batch_errors_say_the_same(args):
    with pytest.raises((TypeError, ValueError, OverflowError)) as rust_error:
        _core.find_repeats_batch(*args)
    with pytest.raises((TypeError, ValueError, OverflowError)) as reference_error:
        _reference.find_repeats_batch(*args)
    assert (type(rust_error.value), str(rust_error.value)) == (type(reference_error.value), str(reference_error.value))


def outcome(call):
    """What a call gives: ("ok", result) or its error's type and message."""
    try:
        return "ok", call()
    except (TypeError, ValueError, OverflowError, KeyError) as error:
        return type(error).__name__, str(error)


# Parameter tests take their number from the reference, so that they hold for whatever
# parameters the model has.
N_PARAMS = len(_reference.ChromeModel().params())
# Every parameter but the flags is an int; values at and around the bounds any of them has.
int_value = st.one_of(st.integers(0, 5), st.sampled_from([16, 17, 80, 300, 999, 1000, 1001, 3000, 2**32 - 1]),
                      st.integers(0, 2**32 - 1))
param_values = st.tuples(*(st.booleans() if name in _reference.chrome.FLAG_PARAMS else int_value
                           for name in _reference.chrome.PARAM_NAMES)).map(list)


def test_params_default():
    assert _core.ChromeModel().params() == _reference.ChromeModel().params()


@given(param_values)
def test_params_accepted_and_refused_alike(values):
    rust = outcome(lambda: _core.ChromeModel(*values).params())
    assert rust == outcome(lambda: _reference.ChromeModel(*values).params())
    if rust[0] == "ok":
        assert list(rust[1]) == values
        assert _core.ChromeModel(*rust[1]).params() == rust[1]


def rebuilt(impl, source):
    """A model of ``impl`` holding ``source``'s sites, inserted from their exported state."""
    model = impl.ChromeModel(*source.params())
    for site in source.site_names():
        model.insert_site(site, *source.site_state(site))
    return model


@settings(max_examples=100)  # each example learns, exports and decides twice in the reference
@given(st.lists(st.tuples(news_pages, sites), min_size=3, max_size=12), corpus)
def test_insert_site_rebuilds_the_other_backends_model(learn, check):
    """A model exported site by site (site_state) and inserted into a fresh model of the other
    backend (insert_site) holds the same state and decides the same, cross-site counts included
    (news-like pages of several sites: their header lines are cross-site boilerplate)."""
    rust, ref = _core.ChromeModel(), _reference.ChromeModel()
    for model in (rust, ref):
        model.add([t for t, _ in learn], [s for _, s in learn])
    pairs = learn + check
    texts, names = [t for t, _ in pairs], [s for _, s in pairs]
    expected = ref.decide(texts, names)
    for model in (rebuilt(_core, ref), rebuilt(_reference, rust)):
        assert model.site_names() == ref.site_names()
        for site in ref.site_names():
            same(model.site_state(site), ref.site_state(site))
        same(model.decide(texts, names), expected)


# Within the types' ranges (u64 keys, u32 counts): outside them the core's argument conversion
# raises OverflowError where the reference says ValueError (ChromeModel.from_dict decodes them
# as u64 and u32 arrays, so the public API never passes such values).
keys = st.one_of(st.sampled_from([0, 1, 2, 2**64 - 1]), st.integers(1, 2**64 - 1))
counts = st.one_of(st.integers(0, 6), st.sampled_from([2**32 - 2, 2**32 - 1]))


# Keys without repeats: an entry with repeated and invalid keys is named differently by the
# backends (test_insert_site_checks_in_the_same_order).
site_entries = st.tuples(sites, st.integers(0, 5), st.lists(keys, max_size=4, unique=True), st.lists(counts, max_size=4),
                         st.lists(keys, max_size=3, unique=True), st.lists(counts, max_size=3))


@given(st.lists(site_entries, max_size=4, unique_by=lambda entry: entry[0]), corpus)
def test_insert_site_accepts_and_refuses_alike(entries, check):
    rust, ref = _core.ChromeModel(), _reference.ChromeModel()
    for entry in entries:
        assert outcome(lambda: rust.insert_site(*entry)) == outcome(lambda: ref.insert_site(*entry))
    assert rust.site_names() == ref.site_names()
    for site in ref.site_names():
        same(rust.site_state(site), ref.site_state(site))
    texts, names = [t for t, _ in check], [s for _, s in check]
    same(rust.decide(texts, names), ref.decide(texts, names))


@pytest.mark.parametrize("first, second", [
    # A site inserted twice, the second time with keys and counts of different lengths: the core
    # names the lengths, the reference the repeated site.
    (("a", 1, [], [], [], []), ("a", 1, [], [], [], [0])),
    # Repeated invalid keys: the core names the invalid entry, the reference the repeated keys.
    (("b", 1, [], [], [], []), ("a", 1, [], [], [0, 0, 0], [0, 0, 0])),
], ids=["repeated-site", "repeated-invalid-keys"])
def test_insert_site_checks_in_the_same_order(first, second):
    rust, ref = _core.ChromeModel(), _reference.ChromeModel()
    for model in (rust, ref):
        model.insert_site(*first)
    assert outcome(lambda: rust.insert_site(*second)) == outcome(lambda: ref.insert_site(*second))
