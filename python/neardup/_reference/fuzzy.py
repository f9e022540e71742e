"""Pure-Python reference of the fuzzy measures (rust/fuzzy.rs follows it).

Strings are sequences of code points. The definitions and float formulas are rapidfuzz 3.x's
(``Levenshtein.distance``, ``Indel.distance``, ``Levenshtein.normalized_similarity``,
``fuzz.ratio``, ``fuzz.token_sort_ratio``, ``fuzz.token_set_ratio``, all with no processor),
so the results equal rapidfuzz's. Distances use bit-parallel algorithms on Python integers,
which keeps the reference usable on texts of a few thousand characters.
"""

from __future__ import annotations

MEASURES = ("levenshtein", "indel", "levenshtein_similarity", "ratio", "token_sort_ratio", "token_set_ratio")


def check_measure(measure: object) -> str:
    if not isinstance(measure, str) or measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    return measure  # type: ignore[return-value]


def _peq(a: str) -> dict[str, int]:
    masks: dict[str, int] = {}
    for i, c in enumerate(a):
        masks[c] = masks.get(c, 0) | (1 << i)
    return masks


def lcs_length(a: str, b: str) -> int:
    """Longest common subsequence (Allison-Dix / Hyyro bit-vector, a as the bit pattern)."""
    if not a or not b:
        return 0
    peq = _peq(a)
    mask = (1 << len(a)) - 1
    v = mask
    for c in b:
        u = v & peq.get(c, 0)
        v = ((v + u) | (v - u)) & mask
    return len(a) - v.bit_count()


def levenshtein(a: str, b: str) -> int:
    """Levenshtein distance with unit costs (Myers/Hyyro bit-vector, a as the bit pattern)."""
    if not a:
        return len(b)
    peq = _peq(a)
    m = len(a)
    mask = (1 << m) - 1
    last = 1 << (m - 1)
    pv, mv, dist = mask, 0, m
    for c in b:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = ((((eq & pv) + pv) & mask) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & last:
            dist += 1
        elif mh & last:
            dist -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
    return dist


def indel(a: str, b: str) -> int:
    return len(a) + len(b) - 2 * lcs_length(a, b)


def levenshtein_similarity(a: str, b: str) -> float:
    maximum = max(len(a), len(b))
    if maximum == 0:
        return 1.0
    return 1.0 - levenshtein(a, b) / maximum


def ratio(a: str, b: str) -> float:
    lensum = len(a) + len(b)
    if lensum == 0:
        return 100.0
    return (1.0 - indel(a, b) / lensum) * 100.0


def token_sort_ratio(a: str, b: str) -> float:
    return ratio(" ".join(sorted(a.split())), " ".join(sorted(b.split())))


def _norm_distance(dist: int, lensum: int) -> float:
    return 100.0 - 100 * dist / lensum if lensum else 100.0


def token_set_ratio(a: str, b: str) -> float:
    tokens_a, tokens_b = set(a.split()), set(b.split())
    if not tokens_a or not tokens_b:
        return 0.0
    intersect = tokens_a & tokens_b
    diff_ab, diff_ba = tokens_a - tokens_b, tokens_b - tokens_a
    if intersect and (not diff_ab or not diff_ba):
        return 100.0
    joined_ab, joined_ba = " ".join(sorted(diff_ab)), " ".join(sorted(diff_ba))
    sect_len = len(" ".join(intersect))
    sep = int(sect_len != 0)
    sect_ab_len = sect_len + sep + len(joined_ab)
    sect_ba_len = sect_len + sep + len(joined_ba)
    result = _norm_distance(indel(joined_ab, joined_ba), sect_ab_len + sect_ba_len)
    if not sect_len:
        return result
    sect_ab_ratio = _norm_distance(sep + len(joined_ab), sect_len + sect_ab_len)
    sect_ba_ratio = _norm_distance(sep + len(joined_ba), sect_len + sect_ba_len)
    return max(result, sect_ab_ratio, sect_ba_ratio)


FUNCTIONS = {
    "levenshtein": levenshtein,
    "indel": indel,
    "levenshtein_similarity": levenshtein_similarity,
    "ratio": ratio,
    "token_sort_ratio": token_sort_ratio,
    "token_set_ratio": token_set_ratio,
}
