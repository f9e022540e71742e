"""Pure-Python reference of passage alignment: the specification rust/align.rs follows.

Method (docs/align.md): both texts are tokenised (neardup's normalised word tokens with their
original spans); every run of ``k`` equal tokens in both texts is an *anchor*; anchors are
chained by a bounded look-back dynamic programme that tolerates small gaps and a little drift
between the diagonals; each chain becomes a passage whose matched-token count is exact (the
longest common subsequence of the tokens inside each gap between its anchors). Everything is
integer arithmetic except the final score, one IEEE division of two integers, so both backends
agree bit for bit.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from .text import segment, tokenize

# Defaults, shared with rust/align.rs and neardup.align.
DEFAULT_K = 3
DEFAULT_MAX_GAP = 24
DEFAULT_MIN_TOKENS = 8
# A token k-gram seen c_a times in a and c_b times in b gives all c_a * c_b anchor pairs while
# that product is at most MAX_PAIRS; beyond it, only the i-th occurrence in a is paired with the
# i-th in b, so a text of one word repeated 100k times yields 100k anchors, not 10^10.
MAX_PAIRS = 16
# The chaining look-back scans at most this many earlier anchors, bounding the work per anchor.
MAX_LOOKBACK = 256


def check_align_args(k: int, max_gap: int, min_tokens: int) -> None:
    for name, value, low in (("k", k, 1), ("max_gap", max_gap, 0), ("min_tokens", min_tokens, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    if k > 64:
        raise ValueError(f"k must be at most 64, got {k!r}")
    if min_tokens >= 1 << 32:  # more than any text's tokens; and it must fit the core's integers
        raise ValueError(f"min_tokens must be < 2**32, got {min_tokens!r}")
    if max_gap > 1000:
        # The exact DP inside a gap costs (max_gap + k)^2 per gap; keep it small.
        raise ValueError(f"max_gap must be at most 1000, got {max_gap!r}")


def token_ids(tokens_a: list[str], tokens_b: list[str]) -> tuple[list[int], list[int]]:
    """Intern the tokens of both texts: equal tokens get equal ids (first-seen order)."""
    ids: dict[str, int] = {}
    ia = [ids.setdefault(t, len(ids)) for t in tokens_a]
    ib = [ids.setdefault(t, len(ids)) for t in tokens_b]
    return ia, ib


def _grams(ids: list[int], k: int) -> dict[tuple[int, ...], list[int]]:
    positions: dict[tuple[int, ...], list[int]] = {}
    for i in range(len(ids) - k + 1):
        positions.setdefault(tuple(ids[i : i + k]), []).append(i)
    return positions


def anchors(ia: list[int], ib: list[int], k: int) -> list[tuple[int, int]]:
    """Every (i, j) with ia[i:i+k] == ib[j:j+k], frequent k-grams paired by rank; sorted."""
    grams_b = _grams(ib, k)
    out: list[tuple[int, int]] = []
    for gram, pos_a in _grams(ia, k).items():
        pos_b = grams_b.get(gram)
        if pos_b is None:
            continue
        if len(pos_a) * len(pos_b) <= MAX_PAIRS:
            out.extend((i, j) for i in pos_a for j in pos_b)
        else:
            out.extend(zip(pos_a, pos_b))
    out.sort()
    return out


def chain(anchor_list: list[tuple[int, int]], k: int, max_gap: int) -> tuple[list[int], list[int]]:
    """Chaining DP: score f and predecessor of every anchor (anchors sorted by (i, j)).

    An anchor continues an earlier one (i' < i, j' < j, both gaps <= max_gap + k) with gain
    min(di, dj, k) minus the drift |di - dj|; the best (nearest on ties) predecessor among the
    last MAX_LOOKBACK anchors wins if it beats starting afresh with k. The scan stops at a
    predecessor on the same diagonal within k tokens: nothing earlier can beat it by much and
    it is the natural continuation, so the scan stays short on long exact matches.
    """
    n = len(anchor_list)
    score = [k] * n
    pred = [-1] * n
    reach = max_gap + k
    for x in range(n):
        i, j = anchor_list[x]
        best = k
        best_m = -1
        low = max(0, x - MAX_LOOKBACK)
        for m in range(x - 1, low - 1, -1):
            im, jm = anchor_list[m]
            di = i - im
            if di > reach:
                break
            dj = j - jm
            if di <= 0 or dj <= 0 or dj > reach:
                continue
            s = score[m] + min(di, dj, k) - abs(di - dj)
            if s > best:
                best = s
                best_m = m
            if di == dj and di <= k:
                break
        score[x] = best
        pred[x] = best_m
    return score, pred


def chains(anchor_list: list[tuple[int, int]], k: int, max_gap: int) -> list[list[int]]:
    """Disjoint chains (lists of anchor indices, in order), best-scoring first: from the
    unused anchor of highest score (lowest index on ties), follow predecessors until an anchor
    already taken."""
    score, pred = chain(anchor_list, k, max_gap)
    order = sorted(range(len(anchor_list)), key=lambda x: (-score[x], x))
    used = [False] * len(anchor_list)
    out: list[list[int]] = []
    for end in order:
        if used[end]:
            continue
        members = []
        x = end
        while x != -1 and not used[x]:
            used[x] = True
            members.append(x)
            x = pred[x]
        members.reverse()
        out.append(members)
    return out


def lcs_length(a: list[int], b: list[int]) -> int:
    """Length of the longest common subsequence (plain DP; inputs are small gaps)."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for jj, y in enumerate(b):
            cur.append(prev[jj] + 1 if x == y else max(prev[jj + 1], cur[jj]))
        prev = cur
    return prev[-1]


def passage(ia: list[int], ib: list[int], anchor_list, members: list[int], k: int) -> tuple[int, int, int, int, int]:
    """Token ranges [a0, a1), [b0, b1) of a chain and its exact matched-token count: k per
    anchor (minus overlap with what is already matched) plus the LCS of each gap."""
    a0, b0 = anchor_list[members[0]]
    ca, cb = a0, b0
    matches = 0
    for x in members:
        i, j = anchor_list[x]
        skip = max(0, ca - i, cb - j)
        if skip >= k:
            continue
        matches += lcs_length(ia[ca : i + skip], ib[cb : j + skip]) + (k - skip)
        ca, cb = i + k, j + k
    return a0, ca, b0, cb, matches


def align_tokens(ia: list[int], ib: list[int], k: int, max_gap: int, min_tokens: int):
    """Passages over token positions: (a0, a1, b0, b1, matches, anchors), sorted."""
    anchor_list = anchors(ia, ib, k)
    out = []
    for members in chains(anchor_list, k, max_gap):
        a0, a1, b0, b1, matches = passage(ia, ib, anchor_list, members, k)
        if matches >= min_tokens:
            out.append((a0, a1, b0, b1, matches, len(members)))
    out.sort()
    return out


def score(matches: int, tokens_a: int, tokens_b: int) -> float:
    """Dice share of matched tokens: 2 * matches / (tokens in a's span + tokens in b's span)."""
    return 2 * matches / (tokens_a + tokens_b)


def align(a: str, b: str, k: int = DEFAULT_K, max_gap: int = DEFAULT_MAX_GAP, min_tokens: int = DEFAULT_MIN_TOKENS):
    """Passages shared by a and b as tuples (a_start, a_end, b_start, b_end, score, matches,
    tokens_a, tokens_b, anchors) with spans into the original strings."""
    check_align_args(k, max_gap, min_tokens)
    tokens_a, spans_a = tokenize(a)
    tokens_b, spans_b = tokenize(b)
    ia, ib = token_ids(tokens_a, tokens_b)
    out = []
    for a0, a1, b0, b1, matches, count in align_tokens(ia, ib, k, max_gap, min_tokens):
        out.append(
            (
                spans_a[a0][0],
                spans_a[a1 - 1][1],
                spans_b[b0][0],
                spans_b[b1 - 1][1],
                score(matches, a1 - a0, b1 - b0),
                matches,
                a1 - a0,
                b1 - b0,
                count,
            )
        )
    return out


def align_token_ranges(
    a: str, b: str, k: int = DEFAULT_K, max_gap: int = DEFAULT_MAX_GAP, min_tokens: int = DEFAULT_MIN_TOKENS
) -> tuple[int, list[tuple[int, int, int]]]:
    """The number of tokens of b and, per passage of :func:`align` (in its order), the token
    range [b0, b1) of b it covers and its matched tokens: (b_tokens, [(b0, b1, matches), ...])."""
    check_align_args(k, max_gap, min_tokens)
    tokens_b = tokenize(b)[0]
    ia, ib = token_ids(tokenize(a)[0], tokens_b)
    return len(tokens_b), [(b0, b1, matches) for _, _, b0, b1, matches, _ in align_tokens(ia, ib, k, max_gap, min_tokens)]


def matched_share(a: str, b: str, k: int = DEFAULT_K, max_gap: int = DEFAULT_MAX_GAP, min_tokens: int = DEFAULT_MIN_TOKENS) -> float:
    """The share of b's tokens matched inside the passages aligned with a (:func:`matched_tokens`
    of its token ranges over b's tokens, at most 1.0; 0.0 when b has no token)."""
    tokens, ranges = align_token_ranges(a, b, k, max_gap, min_tokens)
    return min(1.0, matched_tokens(ranges) / tokens) if tokens else 0.0


def word_swaps(a: str, b: str) -> tuple[int, int]:
    """``(most, all)``: the places where a context (two tokens before, two after) occurs once
    in each text and surrounds different tokens (``all``), and those of the commonest such swap
    (``most``), swaps of two tokens one character edit apart left out."""
    in_a, in_b = _once_seen_contexts(tokenize(a)[0]), _once_seen_contexts(tokenize(b)[0])
    swaps: dict[tuple[str, str], int] = {}
    for context, x in in_a.items():
        y = in_b.get(context)
        if y is not None and y != x:
            swaps[(x, y)] = swaps.get((x, y), 0) + 1
    kept = [n for (x, y), n in swaps.items() if not _one_edit_apart(x, y)]
    return max(kept, default=0), sum(kept)


def _once_seen_contexts(tokens: list[str]) -> dict[tuple[str, str, str, str], str]:
    seen: dict[tuple[str, str, str, str], str | None] = {}
    for k in range(len(tokens) - 4):
        context = (tokens[k], tokens[k + 1], tokens[k + 3], tokens[k + 4])
        seen[context] = None if context in seen else tokens[k + 2]
    return {context: token for context, token in seen.items() if token is not None}


def _one_edit_apart(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    return a[start + (len(a) == len(b)) :] == b[start + 1 :]


def check_wrap_args(min_chars: int, min_share: float) -> None:
    if isinstance(min_chars, bool) or not isinstance(min_chars, int) or min_chars < 0:
        raise ValueError(f"min_chars must be an int >= 0, got {min_chars!r}")
    if isinstance(min_share, bool) or not isinstance(min_share, (int, float)) or not 0.0 <= min_share <= 1.0:
        raise ValueError(f"min_share must be in [0, 1], got {min_share!r}")


def wraps(outer: str, inner: str, min_chars: int, min_share: float, k: int = DEFAULT_K, max_gap: int = DEFAULT_MAX_GAP, min_tokens: int = DEFAULT_MIN_TOKENS) -> bool:
    """Whether ``outer`` wraps ``inner``: the passages :func:`align` finds between them cover
    at least ``min_share`` of ``inner.strip()``'s characters (the union of their spans in
    inner), and ``outer`` has at least ``min_chars`` characters of its own, stripped, both
    before its first aligned character and after its last (an article inside a page's header
    and footer)."""
    passages = align(outer, inner, k, max_gap, min_tokens)
    if not passages:
        return False
    covered = reach = 0
    for start, end in sorted((p[2], p[3]) for p in passages if p[3] > p[2]):
        start = max(start, reach)
        if end > start:
            covered += end - start
            reach = end
    if covered < min_share * len(inner.strip()):
        return False
    first = min(p[0] for p in passages)
    last = max(p[1] for p in passages)
    return len(outer[:first].strip()) >= min_chars and len(outer[last:].strip()) >= min_chars


def check_line_share(min_line_share: float) -> None:
    if isinstance(min_line_share, bool) or not isinstance(min_line_share, (int, float)) or not 0.0 < min_line_share <= 1.0:
        raise ValueError(f"min_line_share must be in (0, 1], got {min_line_share!r}")


def lines_shared(a: str, b: str, min_line_share: float, k: int = DEFAULT_K, max_gap: int = DEFAULT_MAX_GAP, min_tokens: int = DEFAULT_MIN_TOKENS) -> list[bool]:
    """Per line of ``a`` (split on LF, a trailing CR left out), whether at least
    ``min_line_share`` of its word characters (those of its tokens) lie in the passages
    :func:`align` finds with ``b``; a line without tokens is not shared."""
    covered = [False] * len(a)
    for start, end, *_ in align(a, b, k, max_gap, min_tokens):
        covered[start:end] = [True] * (end - start)
    lines = segment(a)[0]
    starts = [start for start, _ in lines]
    total = [0] * len(lines)
    inside = [0] * len(lines)
    for start, end in tokenize(a)[1]:
        # A token never crosses a line break: it lies in the last line starting at or before it.
        line = bisect_right(starts, start) - 1
        total[line] += end - start
        inside[line] += sum(covered[start:end])
    return [t > 0 and i >= min_line_share * t for t, i in zip(total, inside)]


def matched_tokens(ranges: Iterable[tuple[int, int, int]]) -> float:
    """Exactly matched tokens of b, each token counted once, from the passages' (b0, b1,
    matches) (token range [b0, b1) of b): a passage of b found twice in a is reported twice,
    and neighbouring passages may share a few edge tokens, so where passages overlap
    (transitively) on b each token counts the highest match rate (matches / tokens) of the
    passages covering it, summed by :func:`pairwise_sum`; a passage overlapping no other
    counts its matches. Groups are added up in order of their first token."""
    ranges = sorted((int(b0), int(b1), int(matches)) for b0, b1, matches in ranges)
    total = 0.0
    i = 0
    while i < len(ranges):
        j, end = i + 1, ranges[i][1]
        while j < len(ranges) and ranges[j][0] < end:
            end = max(end, ranges[j][1])
            j += 1
        if j == i + 1:
            total += ranges[i][2]
        else:
            start = ranges[i][0]
            best = [0.0] * (end - start)
            for t0, t1, matches in ranges[i:j]:
                if t1 > t0:
                    rate = matches / (t1 - t0)
                    for t in range(t0 - start, t1 - start):
                        if rate > best[t]:
                            best[t] = rate
            total += pairwise_sum(best)
        i = j
    return total


def pairwise_sum(values: list[float]) -> float:
    """The sum of ``values`` as numpy sums a float64 array (``ndarray.sum``): under 8 values in
    order; up to 128 in eight interleaved partial sums combined as ``((r0 + r1) + (r2 + r3)) +
    ((r4 + r5) + (r6 + r7))``, then the rest in order; more split in two halves (the first a
    multiple of 8) summed alike. Each step is one IEEE addition, so the core gives the same
    bits, and so did the scores of ``neardup clean`` before the core counted the tokens."""
    return 0.0 + _pairwise(values, 0, len(values))


def _pairwise(values: list[float], first: int, n: int) -> float:
    if n < 8:
        total = 0.0
        for value in values[first : first + n]:
            total += value
        return total
    if n <= 128:
        partial = values[first : first + 8]
        i = 8
        while i < n - n % 8:
            for j in range(8):
                partial[j] += values[first + i + j]
            i += 8
        total = ((partial[0] + partial[1]) + (partial[2] + partial[3])) + ((partial[4] + partial[5]) + (partial[6] + partial[7]))
        for value in values[first + i : first + n]:
            total += value
        return total
    half = n // 2
    half -= half % 8
    return _pairwise(values, first, half) + _pairwise(values, first + half, n - half)


def align_anchors(a: str, b: str, k: int = DEFAULT_K) -> list[tuple[int, int]]:
    """The anchors of a and b as token positions (i, j), sorted (exposed for testing)."""
    check_align_args(k, DEFAULT_MAX_GAP, DEFAULT_MIN_TOKENS)
    ia, ib = token_ids(tokenize(a)[0], tokenize(b)[0])
    return anchors(ia, ib, k)
