"""Hypothesis strategies for text of every kind."""

from __future__ import annotations

import string

from hypothesis import strategies as st

# Characters that exercise every rule: combining marks and their reordering, Hangul jamo
# composition, compatibility forms, case folding that changes length, RTL scripts, scripts
# written without spaces, emoji with joiners, controls, NUL, ignorables, whitespace of every
# kind, digits of other scripts, and code points unassigned in the pinned Unicode version.
INTERESTING = (
    "aZz09 _-'\".,;\t\n\r\x0b\x0c\x00\x1f\x7f\x85\xa0"
    "\u00ad\u200b\u200c\u200d\u2060\ufeff"
    "\u0301\u0308\u0323\u0345\u034f\u0591\u05b0\u064b\u0e31\u0e48\u093f\u094d\u20dd\u1dc0"
    "\u00e9\u00c5\u00df\u0130\u0131\u03a3\u03c2\u1e9e\u01f0\u1fb3\u0149\ufb01\ufb03\u2126\u212b"
    "\u05d0\u05e9\u0627\u0644\u06f3\u0663\u0966\uff10\u2463\u00bd\u2153\u00b2"
    "\u4e2d\u6587\u3042\u30ab\uff76\u0e01\u0e44\u0e97\u1780\u1000\uac00\u1100\u1161\u11a8\u3131\u3150"
    "\u2018\u2019\u201c\u201d\u2014\u2013\u2212\u2026\u00ab\u00bb\u2032\u2033"
    "\u1680\u2003\u2028\u2029\u202f\u3000"
    "\U0001f600\U0001f44d\U0001f3fd\u2764\ufe0f\U0001f1fa\U0001f1f8"
    "\U0001faf9\U0001f7f0\u0d81\U00031350\U000e0001\U0010ffff\ue000"
)
WORDS = ["the", "The", "news", "Stor\u00fd", "caf\u00e9", "cafe\u0301", "\u201cquoted\u201d", "e-mail", "\u6771\u4eac", "\u0e44\u0e17\u0e22", "\u0645\u0631\u062d\u0628\u0627", "\u00a0", "\n", "\n\n", "42", "\u0663\u0664"]

texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=string.printable, max_size=300),
    st.text(alphabet=INTERESTING, max_size=300),
    st.lists(st.sampled_from(WORDS), max_size=80).map(" ".join),
    st.lists(st.one_of(st.text(alphabet=INTERESTING, max_size=8), st.sampled_from(WORDS)), max_size=60).map("".join),
    st.tuples(st.text(alphabet=INTERESTING, min_size=1, max_size=5), st.integers(1, 400)).map(lambda p: p[0] * p[1]),
)

# Mostly ASCII with a non-ASCII character (or a short run of them) here and there, the shape
# of real web text: exercises the tokenizer's boundaries between its ASCII runs and the
# general path (a combining mark right after an ASCII letter, ignorables, NBSP, quotes, CJK).
ascii_heavy = st.lists(
    st.one_of(
        st.text(alphabet=string.printable, min_size=1, max_size=12),
        st.text(alphabet=INTERESTING, min_size=1, max_size=2),
    ),
    max_size=40,
).map("".join)

# Long ASCII stretches (white space at their edges too) between short runs of other characters:
# the reference normalises ASCII stretches as whole strings and the rest unit by unit, so this
# exercises the joins (white space pending across them, a combining mark after an ASCII letter).
ascii_stretches = st.lists(
    st.one_of(
        st.text(alphabet=" \t\n" + string.ascii_letters + string.digits + "'-", min_size=30, max_size=60),
        st.text(alphabet=INTERESTING, min_size=1, max_size=3),
        st.sampled_from([" ", "\n\n", "\xa0", "\u3000 ", " \u0301", "\u200b", "\u2019"]),
    ),
    max_size=12,
).map("".join)
