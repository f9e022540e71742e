"""Pure-Python reference of the chrome primitives: masked line keys, per-site page counts and
the decision per line. The Rust core (rust/chrome.rs) is held to it bit for bit; the
arithmetic is in integers (shares in permille) so that both decide identically.
See docs/chrome.md for the method in prose.
"""

from __future__ import annotations

import re

from .hash import xxh3_64
from .repeats import find_repeats
from .text import CLASS_OTHER, as_int, check_flag, check_text, class_of, normalize

FINGERPRINT_SEED = 0x6E65_6172_6475_7001
SHAPE_SEED = 0x6E65_6172_6475_7002
STAMP_LINE_SEED = 0x6E65_6172_6475_7003
STAMP_TAIL_SEED = 0x6E65_6172_6475_7004
STAMP_TEXT_SEED = 0x6E65_6172_6475_7005
_ZERO_RUN = re.compile("0+")

# Month names (and abbreviations) are folded to "0" like digits, so dates do not split a line.
MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_ASCII_WORD = re.compile("[a-z]+")

BODY, TEMPLATE, OUTSIDE_BODY, CROSS_SITE, REPEAT, COMMENTS = 0, 1, 2, 3, 4, 5

# The order of the parameters tuple; the defaults are ChromeModel's.
PARAM_NAMES = (
    "min_pages", "template_permille", "inner_permille", "shape_permille", "penalty", "cross_sites", "title_lines",
    "decay_chars", "decay_floor_permille", "box_chars", "small_penalty", "run_cost", "decay_pages", "max_runs",
    "cut_comments",
)
#: Parameters that may be None (run_cost: the main body region only; max_runs: no limit).
OPTIONAL_PARAMS = frozenset({"run_cost", "max_runs"})
#: Parameters that are bools.
FLAG_PARAMS = frozenset({"cut_comments"})
#: A masked line ending in one of these (after closing quotes and brackets) is a sentence or a
#: clause, not a box item.
CLAUSE_ENDS = frozenset(".,;:!?")
CLOSERS = "\"')]"
#: Upper bound of title_lines (rust/chrome.rs MAX_TITLE_LINES).
MAX_TITLE_LINES = 16
#: The page's own headline among the template lines right above its body (rust/chrome.rs).
OWN_TITLE_LINES = 2
OWN_TITLE_CHARS = 30
_U32 = 1 << 32
#: Most pages a site can have counted: line and shape counts are uint32 (the saved model's
#: "<u4"), and the core's shares multiply pages by permille in u64 (rust/chrome.rs insert_site).
MAX_PAGES = _U32 - 1


def check_params(params: tuple[int, ...]) -> tuple[int, ...]:
    """The parameters checked, in PARAM_NAMES order, as Python ints and bools (numpy scalars
    converted): ValueError for a value out of range or not an int, TypeError for a flag that
    is not a bool."""
    if len(params) != len(PARAM_NAMES):
        raise ValueError(f"expected {len(PARAM_NAMES)} parameters {PARAM_NAMES}, got {len(params)}")
    checked = []
    for name, value in zip(PARAM_NAMES, params):
        if value is None and name in OPTIONAL_PARAMS:
            checked.append(None)
            continue
        if name in FLAG_PARAMS:
            checked.append(check_flag(value, name))
            continue
        number = as_int(value)
        if number is None or not 0 <= number < _U32:
            allowed = " or None" if name in OPTIONAL_PARAMS else ""
            raise ValueError(f"{name} must be an int in [0, 2**32){allowed}, got {value!r}")
        checked.append(number)
    params = tuple(checked)
    if params[0] < 2:
        raise ValueError(f"min_pages must be >= 2, got {params[0]}")
    # The permille shares, in the core's order (Params::check), then title_lines.
    for index in (1, 2, 3, 8):
        if params[index] > 1000:
            raise ValueError(f"{PARAM_NAMES[index]} must be in [0, 1000], got {params[index]}")
    if params[6] > MAX_TITLE_LINES:
        raise ValueError(f"title_lines must be in [0, {MAX_TITLE_LINES}], got {params[6]}")
    return params


def mask_line(line: str) -> str:
    """Normalised line with digits masked to 0 and month names (maximal runs of ASCII
    letters) replaced by 0."""
    masked = normalize(line, True)[0]
    return _ASCII_WORD.sub(lambda m: "0" if m.group() in MONTHS else m.group(), masked)


def line_key(masked: str) -> tuple[int, int]:
    """(fingerprint, shape) of a masked line; 0 for a blank line / a line under 4 words."""
    if not masked:
        return 0, 0
    fingerprint = max(xxh3_64(masked.encode("utf-8"), FINGERPRINT_SEED), 1)
    words = masked.split(" ")
    shape = 0
    if len(words) >= 4:
        key = f"{words[0]} {words[1]}\x1f{words[-2]} {words[-1]}"
        shape = max(xxh3_64(key.encode("utf-8"), SHAPE_SEED), 1)
    return fingerprint, shape


#: A line of at most STAMP_TAIL_CHARS characters with a clock time is a time stamp: as a
#: whole when it has at most STAMP_LINE_CHARS, by its last two words when it has three words
#: or more (rust/chrome.rs ``stamp_keys``).
STAMP_LINE_CHARS = 60
STAMP_TAIL_CHARS = 120


def has_clock(masked: str) -> bool:
    """Whether a masked line holds a clock time: one or two ``0``s, not after a ``.``, then
    ``:00`` not followed by another ``0``."""
    for j, c in enumerate(masked):
        if c != ":" or masked[j + 1:j + 3] != "00" or masked[j + 3:j + 4] == "0":
            continue
        zeros = len(masked[:j]) - len(masked[:j].rstrip("0"))
        if 1 <= zeros <= 2 and (j == zeros or masked[j - zeros - 1] != "."):
            return True
    return False


def stamp_keys(masked: str, length: int) -> tuple[int, int]:
    """(line stamp, tail stamp) of a masked line of ``length`` characters with a clock time
    and at most STAMP_TAIL_CHARS characters (else (0, 0)), from the masked line with each run
    of 0s made one 0: its hash when it has at most STAMP_LINE_CHARS characters, the hash of
    its last two words when it has three words or more (0: none)."""
    if length > STAMP_TAIL_CHARS or not has_clock(masked):
        return 0, 0
    folded = _ZERO_RUN.sub("0", masked)
    line = max(xxh3_64(folded.encode("utf-8"), STAMP_LINE_SEED), 1) if length <= STAMP_LINE_CHARS else 0
    words = folded.split(" ")
    tail = max(xxh3_64(f"{words[-2]} {words[-1]}".encode("utf-8"), STAMP_TAIL_SEED), 1) if len(words) >= 3 else 0
    return line, tail


def split_lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, line) of every line, as segment(): split on LF, one trailing CR left out."""
    out = []
    start = 0
    for piece in text.split("\n"):
        line = piece[:-1] if piece.endswith("\r") else piece
        out.append((start, start + len(line), line))
        start += len(piece) + 1
    return out


def line_keys(text: str):
    """(spans, fingerprints, shapes, lengths, closed, worded, stamps, stamp_tails, stamp_texts)
    of every line of ``text``; ``closed``: the masked line ends in one of CLAUSE_ENDS, closing
    quotes and brackets aside; ``worded``: the line has a word character (masking keeps every
    character's class); ``stamps``, ``stamp_tails``: its time-stamp keys (stamp_keys);
    ``stamp_texts``: for a line with one, the hash of its normalised text, digits unmasked."""
    spans, fingerprints, shapes, lengths, closed, worded, stamps, stamp_tails, stamp_texts = [], [], [], [], [], [], [], [], []
    for start, end, line in split_lines(text):
        masked = mask_line(line)
        fingerprint, shape = line_key(masked)
        stamp, stamp_tail = stamp_keys(masked, end - start)
        spans.append((start, end))
        fingerprints.append(fingerprint)
        shapes.append(shape)
        lengths.append(end - start)
        closed.append(masked.rstrip(CLOSERS)[-1:] in CLAUSE_ENDS)
        worded.append(any(class_of(c) != CLASS_OTHER for c in masked))
        stamps.append(stamp)
        stamp_tails.append(stamp_tail)
        stamp_texts.append(max(xxh3_64(normalize(line)[0].encode("utf-8"), STAMP_TEXT_SEED), 1) if stamp or stamp_tail else 0)
    return spans, fingerprints, shapes, lengths, closed, worded, stamps, stamp_tails, stamp_texts


#: A cross-site line longer than this many characters is prose, not boilerplate.
CROSS_PROSE_CHARS = 120
#: Cross-site lines that no site repeats on two of its pages, with this many characters in
#: one run (one line may hold them), are text the sites share.
SHARED_TEXT_CHARS = 40
#: A shorter cross-site line (a button, a menu entry) is never taken for shared text.
SHARED_LINE_CHARS = 15


def keep_shared_prose(share, cross, site_share, lengths, single) -> None:
    """Runs of cross-site lines (blank lines do not break them) that are an article several
    sites published, not boilerplate, go back to their own site's statistics: the whole run
    when it holds a line longer than CROSS_PROSE_CHARS, else its ``single`` lines (of
    SHARED_LINE_CHARS or more, on one page of every site that has them) when they hold
    SHARED_TEXT_CHARS characters or more (rust/chrome.rs ``keep_shared_prose``)."""
    n = len(cross)
    i = 0
    while i < n:
        if not cross[i]:
            i += 1
            continue
        last, longest, k = i, 0, i
        single_chars = 0
        while k < n and (cross[k] or share[k] is None):
            if cross[k]:
                longest = max(longest, lengths[k])
                last = k
                if single[k]:
                    single_chars += lengths[k]
            k += 1
        article = longest > CROSS_PROSE_CHARS
        if article or single_chars >= SHARED_TEXT_CHARS:
            for m in range(i, last + 1):
                if cross[m] and (article or single[m]):
                    cross[m] = False
                    share[m] = site_share[m]
        i = last + 1


def position_weighted(length: int, before: int, decay_chars: int, decay_floor: int) -> int:
    """Score of a page-specific line of ``length`` characters (or cost of a separator, in
    ``decide_lines``) with ``before`` characters of page-specific lines above it:
    ``length * decay_chars / (decay_chars + before)``, at least ``decay_floor`` permille of
    ``length`` and at least 1 (decay_chars 0: ``length``). The article comes before the
    comment thread and teaser lists that may outweigh it."""
    if decay_chars == 0:
        return length
    return max(length * decay_chars // (decay_chars + before), length * decay_floor // 1000, 1)


#: A page whose own lines hold fewer characters than this, and its lines recurring below the
#: template share COPY_RECURRING_TIMES as many or more, is one of several copies of an article
#: on its site (rust/chrome.rs ``copies_taken_as_text``); a page of a site of fewer than
#: min_pages pages whose lines the others lack hold fewer is left alone (``_decide_keys``).
COPY_OWN_CHARS = 100
COPY_RECURRING_TIMES = 10


def copies_taken_as_text(tmin: int, share: list[int | None], lengths: list[int]) -> list[int | None] | None:
    """The shares a page is decided with when its own lines (share 0) hold fewer than
    COPY_OWN_CHARS characters and its lines recurring below ``tmin`` (template_permille)
    COPY_RECURRING_TIMES as many or more: those taken as page-specific (share 0). None for
    any other page (rust/chrome.rs)."""

    def below_template(s: int | None) -> bool:
        return s is not None and 0 < s < tmin

    own = sum(length for s, length in zip(share, lengths) if s == 0)
    below = sum(length for s, length in zip(share, lengths) if below_template(s))
    if own >= COPY_OWN_CHARS or below == 0 or below < COPY_RECURRING_TIMES * own:
        return None
    return [0 if below_template(s) else s for s in share]


def decide_lines(params, pages, share, cross, lengths, fingerprints, closed, worded, stamps, stamp_tails, stamp_texts) -> list[int]:
    """The decision of a page of a site with ``pages`` counted pages from each line's share
    (permille of the site's pages it recurs on, None for a blank line), cross-site flags,
    lengths, fingerprints, closed and worded flags and time-stamp keys; see rust/chrome.rs
    ``decide_lines`` and docs/chrome.md for the steps."""
    (min_pages, tmin, inner, _, penalty, _, title_lines, decay_chars, decay_floor, box_chars, small_penalty, run_cost,
     decay_pages, max_runs, cut_comments) = params
    share = copies_taken_as_text(tmin, share, lengths) or share
    if pages < decay_pages:
        decay_chars = 0
    n = len(share)

    def recurring(i: int) -> bool:
        s = share[i]
        return s is not None and s > 0 and s >= tmin

    nonblank = [i for i in range(n) if share[i] is not None]
    template = [False] * n
    for j, i in enumerate(nonblank):
        if not recurring(i):
            continue
        above = j > 0 and recurring(nonblank[j - 1])
        below = j + 1 < len(nonblank) and recurring(nonblank[j + 1])
        edge = j == 0 or j + 1 == len(nonblank)
        template[i] = above or below or edge or share[i] >= inner
    # On a site of fewer than min_pages pages, a template line between two lines that are not
    # (an "Advertisement" marker between paragraphs) costs its cost weighted by position.
    separator = [False] * n
    if decay_chars > 0 and pages < min_pages:
        for j in range(1, len(nonblank) - 1):
            i = nonblank[j]
            separator[i] = template[i] and not template[nonblank[j - 1]] and not template[nonblank[j + 1]]
    scores = []
    before = 0  # characters of page-specific lines above line i
    for i in range(n):
        s = share[i]
        if s is None:
            scores.append(0)
        elif template[i]:
            cost = (penalty if worded[i] else small_penalty) + lengths[i]
            scores.append(-(position_weighted(cost, before, decay_chars, decay_floor) if separator[i] else cost))
        elif s > 0:
            scores.append(0)
        else:
            scores.append(position_weighted(lengths[i], before, decay_chars, decay_floor))
            before += lengths[i]
    best = 0
    best_start = best_end = 0
    current = current_start = 0
    for i in range(n):
        if current <= 0:
            current = 0
            current_start = i
        current += scores[i]
        if current > best:
            best = current
            best_start, best_end = current_start, i + 1
    runs = [best_start <= i < best_end for i in range(n)]
    if run_cost is not None and best_end > best_start:
        # Outside the main region, only closed lines (prose) count for a run.
        prose = [0 if share[i] == 0 and not closed[i] else scores[i] for i in range(n)]
        above = extra_runs(prose[:best_start], run_cost)
        below = extra_runs(prose[best_end:], run_cost)
        if max_runs is not None:
            # The runs nearest the main region: an article cut by a box or two is a few runs,
            # a comment thread many.
            below = keep_nearest_runs(below, max_runs)
            above = keep_nearest_runs(above[::-1], max_runs)[::-1]
        runs[:best_start] = above
        runs[best_end:] = below
    # Each run reaches the lines of score 0 at its edges (blank, or recurring on a few pages:
    # a list of sections), up to the template lines around it.
    inside = list(runs)
    for i in range(n):
        if not runs[i]:
            continue
        if i + 1 == n or not runs[i + 1]:
            k = i + 1
            while k < n and scores[k] == 0 and not runs[k]:
                inside[k] = True
                k += 1
        if i == 0 or not runs[i - 1]:
            k = i - 1
            while k >= 0 and scores[k] == 0 and not runs[k]:
                inside[k] = True
                k -= 1
    rescued = set()
    own_titles = set()
    first = next((i for i in range(n) if inside[i]), None)
    if first is not None:
        # Title rescue: the page's headline sits above the template lines (byline, share
        # buttons) that precede the body; keep the nearest page-specific lines there unless
        # the body already holds the same line (a navigation header repeating the title).
        # A template line right above the body may be the page's own headline, which the
        # site's other pages list among theirs (rust/chrome.rs OWN_TITLE_LINES).
        kept = {fingerprints[i] for i in range(n) if inside[i]}
        k, seen, nonblank = first - 1, 0, 0
        while k >= 0 and seen < title_lines:
            if share[k] is not None:
                nonblank += 1
                if not template[k]:
                    if scores[k] > 0 and fingerprints[k] not in kept:
                        rescued.add(k)
                    seen += 1
                elif (nonblank <= OWN_TITLE_LINES and not cross[k] and lengths[k] >= OWN_TITLE_CHARS
                      and fingerprints[k] not in kept and fingerprints.count(fingerprints[k]) >= 2):
                    own_titles.add(k)
            k -= 1
    decisions = []
    for i in range(n):
        inside_body = inside[i] or i in rescued
        reason = CROSS_SITE if cross[i] else TEMPLATE
        s = share[i]
        if i in own_titles:
            decisions.append(BODY)
        elif s is None:
            decisions.append(BODY if inside_body else OUTSIDE_BODY)
        elif inside_body:
            decisions.append(reason if s > 0 and s >= inner else BODY)
        else:
            decisions.append(reason if s > 0 else OUTSIDE_BODY)
    if box_chars:
        template_boxes(decisions, template, share, lengths, closed, box_chars)
    if cut_comments and pages >= min_pages:
        thread = comment_thread(decisions, lengths, fingerprints, stamps, stamp_tails, stamp_texts)
        if thread is not None:
            for i in range(*thread):
                if decisions[i] == BODY:
                    decisions[i] = COMMENTS
    return decisions


# The comment thread's constants (rust/chrome.rs, ``comment_thread``).
THREAD_STAMPS = 3
THREAD_AFTER_CHARS = 500
THREAD_PROSE_CHARS = 40
THREAD_FIRST_GAP, THREAD_FIRST_GAP_CHARS = 3, 500
THREAD_TAIL, THREAD_TAIL_CHARS = 2, 300
THREAD_LINES_PER_STAMP = 20
THREAD_HEADER_LINES = 3


def comment_thread(decisions, lengths, fingerprints, stamps, stamp_tails, stamp_texts) -> tuple[int, int] | None:
    """The lines ``(start, end)`` of the comment thread of a decided page, or None. It ends at
    the first non-blank line that is not body after its last stamp, or the page's end. It
    starts at the first *stamp*
    (a line whose time-stamp key is on THREAD_STAMPS or more lines of the page with as many
    distinct texts, and no time-stamp key on its nearest non-blank lines above and below) with enough
    body above it, comments' prose between the stamps from it on, a first gap not far
    longer than the others, at most THREAD_LINES_PER_STAMP body lines per stamp and little
    body after the last stamp (up to the next line that is not body); or the line below a
    non-blank line that is not body at most THREAD_HEADER_LINES lines above it (the thread's
    heading). See rust/chrome.rs ``comment_thread``."""
    n = len(decisions)
    lines_of: list[dict[int, list[int]]] = [{}, {}]
    for table, keys in zip(lines_of, (stamps, stamp_tails)):
        for i, key in enumerate(keys):
            if key:
                table.setdefault(key, []).append(i)
    good = [{key for key, where in table.items() if len(where) >= THREAD_STAMPS and len({stamp_texts[i] for i in where}) >= THREAD_STAMPS}
            for table in lines_of]
    # A stamp heads or closes one comment: a line next to another time stamp is a row of a
    # table of times (or a log) instead.
    nonblank = [i for i in range(n) if fingerprints[i]]
    is_stamp = [False] * n
    for j, i in enumerate(nonblank):
        lone = all(not (stamps[k] or stamp_tails[k]) for k in nonblank[max(j - 1, 0):j] + nonblank[j + 1:j + 2])
        is_stamp[i] = lone and (stamps[i] in good[0] or stamp_tails[i] in good[1])
    marks = [i for i in range(n) if is_stamp[i]]
    if len(marks) < THREAD_STAMPS:
        return None
    kept = [0] * (n + 1)
    for i in range(n):
        kept[i + 1] = kept[i] + (lengths[i] if decisions[i] == BODY else 0)

    def removed(i: int) -> bool:
        return decisions[i] != BODY and fingerprints[i] != 0

    for c, first in enumerate(marks):
        if kept[first] < THREAD_AFTER_CHARS:
            continue
        later = marks[c:]
        if len(later) < THREAD_STAMPS:
            return None
        pairs = list(zip(later, later[1:]))
        prose = sum(1 for a, b in pairs
                    if any(decisions[t] == BODY and lengths[t] >= THREAD_PROSE_CHARS and not is_stamp[t] for t in range(a + 1, b)))
        if prose < THREAD_STAMPS - 1:
            continue
        gaps = [kept[b] - kept[a + 1] for a, b in pairs]
        rest = sorted(gaps[1:])
        if gaps[0] > THREAD_FIRST_GAP * rest[len(rest) // 2] + THREAD_FIRST_GAP_CHARS:
            continue
        last = later[-1]
        body_lines = sum(1 for t in range(first, last) if decisions[t] == BODY and fingerprints[t])
        if body_lines > THREAD_LINES_PER_STAMP * (len(later) - 1):
            continue
        # The thread's last entry ends at the next line that is not body (the comment form).
        end = next((t for t in range(last + 1, n) if removed(t)), n)
        span, after, intervals = kept[last] - kept[first], kept[end] - kept[last + 1], len(later) - 1
        if after * intervals > THREAD_TAIL * span + THREAD_TAIL_CHARS * intervals:
            continue
        start = first
        while start > 0 and first - start < THREAD_HEADER_LINES and not removed(start - 1):
            start -= 1
        return (start if start > 0 and removed(start - 1) else first), end
    return None


def keep_nearest_runs(runs, most) -> list[bool]:
    """``runs`` with every run (stretch of True) after the first ``most`` cleared."""
    out, seen = [], 0
    for i, flag in enumerate(runs):
        if flag and (i == 0 or not runs[i - 1]):
            seen += 1
        out.append(flag and seen <= most)
    return out


def extra_runs(scores, cost) -> list[bool]:
    """Flags of the runs of ``scores`` that maximise the total of the chosen runs minus
    ``cost`` per run (rust/chrome.rs ``extra_runs``: ties keep fewer runs)."""
    outside, within = 0, None
    back = []  # per line: (previous state of a line in a run, of a line outside); True = in a run
    for score in scores:
        enter = outside - cost
        if within is not None and within >= enter:
            into_run, from_run = within, True
        else:
            into_run, from_run = enter, False
        if within is not None and within > outside:
            stay_out, from_run_out = within, True
        else:
            stay_out, from_run_out = outside, False
        back.append((from_run, from_run_out))
        within = into_run + score
        outside = stay_out
    runs = [False] * len(scores)
    in_run = within is not None and within > outside
    for i in range(len(scores) - 1, -1, -1):
        runs[i] = in_run
        in_run = back[i][0] if in_run else back[i][1]
    return runs


def template_boxes(decisions, template, share, lengths, closed, box_chars) -> None:
    """A template line between the page's first and last body line heads a box the site
    embeds in the article (related stories, a fact box, market data): the page-specific body
    lines after it that are shorter than ``box_chars`` and not ``closed`` are the box's items
    when a page-specific body line (the article resuming) ends the run; they become TEMPLATE
    (rust/chrome.rs ``template_boxes``)."""
    nonblank = [i for i in range(len(share)) if share[i] is not None]
    body = [i for i in nonblank if decisions[i] == BODY]
    if not body:
        return
    first, last = body[0], body[-1]

    def page_body(t: int) -> bool:
        return share[t] == 0 and decisions[t] == BODY

    for j, i in enumerate(nonblank):
        if not (first < i < last and template[i]):
            continue
        k = j + 1
        while k < len(nonblank) and page_body(nonblank[k]) and lengths[nonblank[k]] < box_chars \
                and not closed[nonblank[k]]:
            k += 1
        # Runs cannot overlap (a template line ends one), so marking in place is safe.
        if k > j + 1 and k < len(nonblank) and page_body(nonblank[k]):
            for t in nonblank[j + 1:k]:
                decisions[t] = TEMPLATE


def removed_spans(spans, decisions, copies) -> list[tuple[int, int, int]]:
    """(start, end, code) removed from a page: a body line whose start is inside an in-page
    repeat gets code REPEAT; runs of lines with one code merge into a span that takes the
    line break after it (at the end of the text: the one before it, unless already taken)."""
    codes = list(decisions)
    for copy in copies:
        for i, (start, _) in enumerate(spans):
            if copy[0] <= start < copy[1] and codes[i] == BODY:
                codes[i] = REPEAT
    removed: list[tuple[int, int, int]] = []
    n = len(spans)
    i = 0
    while i < n:
        code = codes[i]
        if code == BODY:
            i += 1
            continue
        j = i
        while j + 1 < n and codes[j + 1] == code:
            j += 1
        start, end = spans[i][0], spans[j][1]
        if j + 1 < n:
            end = spans[j + 1][0]
        elif i > 0:
            start = min(start, spans[i - 1][1])
        if removed and removed[-1][1] > start:
            start = removed[-1][1]
        if start < end:  # an empty last line whose break the span before took
            removed.append((start, end, code))
        i = j + 1
    return removed


class SiteStats:
    __slots__ = ("pages", "lines", "shapes")

    def __init__(self) -> None:
        self.pages = 0
        self.lines: dict[int, int] = {}
        self.shapes: dict[int, int] = {}


def _site(site: object, doc: int) -> str:
    if not isinstance(site, str):
        raise TypeError(f"document {doc}: site must be str, got {type(site).__name__}")
    try:
        return check_text(site, doc)
    except ValueError as error:  # a lone surrogate in the site key, not in the text
        raise ValueError(f"document {doc}: site: {str(error).removeprefix(f'document {doc}: ')}") from None


def _pairs(texts, sites) -> list[tuple[str, str]]:
    # Every text, then every site, then the counts: the core's order, so that both backends
    # name the same first problem.
    texts = [check_text(t, i) for i, t in enumerate(texts)]
    sites = [_site(s, i) for i, s in enumerate(sites)]
    if len(texts) != len(sites):
        raise ValueError(f"got {len(texts)} texts but {len(sites)} sites; give one site per text")
    return list(zip(texts, sites))


class ChromeModel:
    """Per-site statistics of masked line fingerprints and shapes, and the cross-site
    counts; mirrors ``neardup._core.ChromeModel`` method for method."""

    def __init__(self, min_pages=3, template_permille=300, inner_permille=500, shape_permille=300, penalty=200, cross_sites=3,
                 title_lines=3, decay_chars=3000, decay_floor_permille=250, box_chars=0, small_penalty=20, run_cost=100,
                 decay_pages=0, max_runs=None, cut_comments=True):
        self._params = check_params(
            (min_pages, template_permille, inner_permille, shape_permille, penalty, cross_sites, title_lines, decay_chars,
             decay_floor_permille, box_chars, small_penalty, run_cost, decay_pages, max_runs, cut_comments)
        )
        self._sites: dict[str, SiteStats] = {}
        self._cross: dict[int, int] = {}
        #: The fingerprints on two or more pages of at least one site.
        self._recurring: set[int] = set()

    def params(self) -> tuple[int, ...]:
        return self._params

    def _add_keys(self, site: str, fingerprints, shapes) -> None:
        stats = self._sites.setdefault(site, SiteStats())
        stats.pages += 1
        for fingerprint in dict.fromkeys(f for f in fingerprints if f):
            count = stats.lines.get(fingerprint, 0)
            if count == 0:
                self._cross[fingerprint] = self._cross.get(fingerprint, 0) + 1
            elif count == 1:
                self._recurring.add(fingerprint)
            stats.lines[fingerprint] = count + 1
        for shape in dict.fromkeys(s for s in shapes if s):
            stats.shapes[shape] = stats.shapes.get(shape, 0) + 1

    def add(self, texts, sites, num_threads=None) -> None:
        for text, site in _pairs(texts, sites):
            _, fingerprints, shapes, *_ = line_keys(text)
            self._add_keys(site, fingerprints, shapes)

    def _decide_keys(self, site: str, fingerprints, shapes, lengths, closed, worded, stamps, stamp_tails, stamp_texts) -> list[int]:
        min_pages, tmin, _, shape_permille, _, cross_sites = self._params[:6]
        stats = self._sites.get(site) or SiteStats()
        pages = stats.pages
        share: list[int | None] = []
        # A site of too few pages for min_pages counts the lines on every one of its pages,
        # unless this page has next to no line the others lack (rust/chrome.rs).
        few_pages = 2 <= pages < min_pages and sum(
            n for f, n in zip(fingerprints, lengths) if f and stats.lines.get(f, 0) < pages) >= COPY_OWN_CHARS
        site_share = [0] * len(fingerprints)
        cross = [False] * len(fingerprints)
        for i, fingerprint in enumerate(fingerprints):
            if fingerprint == 0:
                share.append(None)
                continue
            value = 0
            count = stats.lines.get(fingerprint, 0)
            if count >= min_pages:
                value = count * 1000 // pages
            elif few_pages and count == pages and not closed[i]:
                value = max(tmin, 1)  # a line on every page of a small site (rust/chrome.rs)
            shape = shapes[i]
            if shape:
                count = stats.shapes.get(shape, 0)
                if count >= min_pages and count * 1000 >= shape_permille * pages:
                    value = max(value, count * 1000 // pages)
            site_share[i] = value
            if cross_sites > 0 and value < 1000 and self._cross.get(fingerprint, 0) >= cross_sites:
                value = 1000
                cross[i] = True
            share.append(value)
        # Cross-site lines that may be text the sites share: long enough to carry words, and on
        # a single page of every site that has them.
        single = [c and n >= SHARED_LINE_CHARS and f not in self._recurring for f, c, n in zip(fingerprints, cross, lengths)]
        keep_shared_prose(share, cross, site_share, lengths, single)
        return decide_lines(self._params, pages, share, cross, lengths, fingerprints, closed, worded, stamps, stamp_tails, stamp_texts)

    def decide(self, texts, sites, num_threads=None):
        out = []
        for text, site in _pairs(texts, sites):
            spans, *keys = line_keys(text)
            out.append((spans, self._decide_keys(site, *keys)))
        return out

    def strip(self, texts, sites, repeats=True, num_threads=None):
        repeats = check_flag(repeats, "repeats")
        out = []
        for text, site in _pairs(texts, sites):
            spans, *keys = line_keys(text)
            decisions = self._decide_keys(site, *keys)
            copies = find_repeats(text) if repeats else []
            out.append(removed_spans(spans, decisions, copies))
        return out

    def add_strip(self, texts, sites, repeats=True, num_threads=None):
        repeats = check_flag(repeats, "repeats")
        pairs = _pairs(texts, sites)
        self.add([t for t, _ in pairs], [s for _, s in pairs])
        return self.strip([t for t, _ in pairs], [s for _, s in pairs], repeats)

    def line_counts(self, texts, sites, num_threads=None):
        out = []
        for text, site in _pairs(texts, sites):
            _, fingerprints, *_ = line_keys(text)
            stats = self._sites.get(site)
            out.append([[stats.lines.get(f, 0) if stats is not None and f else 0, self._cross.get(f, 0) if f else 0] for f in fingerprints])
        return out

    def site_names(self) -> list[str]:
        return sorted(self._sites)

    def site_state(self, site: str):
        stats = self._sites.get(site)
        if stats is None:
            raise KeyError(f'site "{site}" is not in the model')
        lines = sorted(stats.lines.items())
        shapes = sorted(stats.shapes.items())
        return (
            stats.pages,
            [k for k, _ in lines],
            [v for _, v in lines],
            [k for k, _ in shapes],
            [v for _, v in shapes],
        )

    def insert_site(self, site, pages, line_fingerprints, line_counts, shape_keys, shape_counts) -> None:
        # The core's order of checks: the site's text, the lengths, a repeated site, the pages,
        # then each entry in turn (lines, then shapes), invalid before repeated.
        site = _site(site, 0)
        if len(line_fingerprints) != len(line_counts) or len(shape_keys) != len(shape_counts):
            raise ValueError(f'site "{site}": keys and counts differ in length')
        if site in self._sites:
            raise ValueError(f'site "{site}" appears twice in the model')
        pages = int(pages)
        if not 1 <= pages <= MAX_PAGES:
            raise ValueError(f'site "{site}": pages must be in [1, 2**32), got {pages}')
        stats = SiteStats()
        stats.pages = pages
        for table, keys, counts in ((stats.lines, line_fingerprints, line_counts), (stats.shapes, shape_keys, shape_counts)):
            for key, count in zip(keys, counts):
                key, count = int(key), int(count)
                if not 0 < key < 1 << 64 or not 0 <= count <= stats.pages or count >= _U32:
                    raise ValueError(
                        f'site "{site}": invalid entry {key}: {count} (keys in [1, 2**64), counts in [0, pages={stats.pages}])'
                    )
                if key in table:
                    raise ValueError(f'site "{site}": duplicate keys')
                table[key] = count
        for fingerprint, count in stats.lines.items():
            if count > 0:
                self._cross[fingerprint] = self._cross.get(fingerprint, 0) + 1
            if count >= 2:
                self._recurring.add(fingerprint)
        self._sites[site] = stats
