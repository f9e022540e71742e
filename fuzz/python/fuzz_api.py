"""Coverage-guided fuzzing of neardup's public Python API with atheris (docs/fuzzing.md).

    python fuzz/python/fuzz_api.py TARGET [libFuzzer options, e.g. -max_total_time=120]

TARGET is one of: text, dedup, simhash, chrome, align, repeats, model. The fuzzer's bytes
choose the function, every argument (valid or hostile: wrong types, NaN, huge ints, lone
surrogates) and the texts. A call must return or raise a TypeError/ValueError with a message;
with the compiled core active, the pure-Python reference must give the same outcome. Anything
else (a crash, a Rust panic, an IndexError from deep inside, a disagreement) is reported by
libFuzzer as a crash with the input that caused it.
"""

from __future__ import annotations

import json
import math
import sys
from functools import partial
from pathlib import Path
from typing import Any, Callable

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

with atheris.instrument_imports(include=["neardup"]):
    import neardup

import numpy as np  # noqa: E402
from fuzz_support import check_call  # noqa: E402

HOSTILE = [None, b"x", -1, 0, 2**64, 1.5, math.nan, math.inf, True, "", "\ud800", [], {}, [None], object()]


class Args:
    """Arguments drawn from the fuzzer's bytes: mostly valid, sometimes hostile."""

    def __init__(self, data: bytes) -> None:
        self.fdp = atheris.FuzzedDataProvider(data)

    def hostile(self, valid: Any) -> Any:
        if self.fdp.ConsumeIntInRange(0, 7) == 0:
            return HOSTILE[self.fdp.ConsumeIntInRange(0, len(HOSTILE) - 1)]
        return valid

    def int(self, low: int, high: int) -> Any:
        return self.hostile(self.fdp.ConsumeIntInRange(low, high))

    def float(self) -> Any:
        return self.hostile(self.fdp.ConsumeProbability())

    def text(self, size: int = 200) -> Any:
        return self.hostile(self.fdp.ConsumeUnicodeNoSurrogates(size))

    def texts(self, count: int = 4) -> Any:
        return self.hostile([self.fdp.ConsumeUnicodeNoSurrogates(120) for _ in range(self.fdp.ConsumeIntInRange(0, count))])

    def choice(self, options: list[Any]) -> Any:
        return self.hostile(options[self.fdp.ConsumeIntInRange(0, len(options) - 1)])

    def threads(self) -> Any:
        return self.choice([None, 1, 2])

    def u64s(self, count: int, rows: int | None = None) -> Any:
        values = [self.fdp.ConsumeIntInRange(0, 2**64 - 1) for _ in range(count * (rows or 1))]
        array = np.array(values, dtype=np.uint64)
        return self.hostile(array if rows is None else array.reshape(rows, count))


def text_calls(a: Args) -> Callable[[], Any]:
    return [
        lambda: partial(neardup.normalize, a.text(), mask_digits=a.choice([False, True])),
        lambda: partial(neardup.normalize_batch, a.texts(), num_threads=a.threads()),
        lambda: partial(neardup.segment, a.text()),
        lambda: partial(neardup.tokenize_batch, a.texts(), num_threads=a.threads()),
        lambda: partial(neardup.shingles, a.text(), n=a.int(1, 8), kind=a.choice(["word", "char"]), seed=a.int(0, 2**64 - 1)),
        lambda: partial(neardup.shingles_batch, a.texts(), n=a.int(1, 8), kind=a.choice(["word", "char"])),
        lambda: partial(neardup.hash64, a.choice([a.fdp.ConsumeBytes(40), a.fdp.ConsumeUnicodeNoSurrogates(40)]), a.int(0, 2**64 - 1)),
    ][a.fdp.ConsumeIntInRange(0, 6)]()


def dedup_calls(a: Args) -> Callable[[], Any]:
    return [
        lambda: partial(neardup.minhash, a.texts(), num_perm=a.int(1, 64), seed=a.int(0, 9), scheme=a.choice(["classic", "oph"]), n=a.int(1, 5)),
        lambda: partial(neardup.find_duplicates, a.texts(6), a.float(), measure=a.choice(["containment", "jaccard"]), num_perm=a.choice([16, 32]), n=a.int(1, 4), keep=a.choice(["longest", "earliest", "most_complete"])),
        lambda: partial(neardup.datasketch_minhash, [[a.fdp.ConsumeBytes(6) for _ in range(a.fdp.ConsumeIntInRange(0, 4))]], num_perm=a.int(1, 32), seed=a.int(0, 2**32 - 1), scheme=a.choice(["affine32", "affine64", "legacy"])),
        lambda: partial(neardup.candidate_pairs, a.u64s(8, rows=2) if a.fdp.ConsumeBool() else a.u64s(8), threshold=a.float()),
        lambda: partial(neardup.cluster, a.int(0, 6), [(a.fdp.ConsumeIntInRange(0, 6), a.fdp.ConsumeIntInRange(0, 6)) for _ in range(3)], a.hostile(None)),
        lambda: partial(neardup.lsh_params, a.float(), a.int(1, 256)),
        lambda: partial(neardup.lsh.anchor_pairs, a.u64s(6), a.hostile(np.array([0, a.fdp.ConsumeIntInRange(0, 7), 6], dtype=np.int64)), max_docs=a.int(-1, 4), num_threads=a.threads()),
    ][a.fdp.ConsumeIntInRange(0, 6)]()


def simhash_calls(a: Args) -> Callable[[], Any]:
    k, blocks, fingerprints, query = a.int(0, 6), a.choice([None, 8]), a.u64s(3), a.int(0, 2**64 - 1)

    def index() -> Any:
        idx = neardup.SimHashIndex(k, blocks)
        idx.insert_batch(["a", "b", "c"], fingerprints)
        return idx.query_with_distances(query), idx.pairs()

    return [
        lambda: partial(neardup.simhash_text, a.text(), n=a.int(1, 5), weighting=a.choice(["tf", "binary"])),
        lambda: partial(neardup.simhash_batch, a.texts(), kind=a.choice(["word", "char"]), num_threads=a.threads()),
        lambda: partial(neardup.simhash_features, a.u64s(3), a.hostile([a.fdp.ConsumeRegularFloat() for _ in range(3)])),
        lambda: partial(neardup.simhash_pairs, a.u64s(5), a.int(0, 8), blocks=a.choice([None, 9, 12])),
        lambda: index,
    ][a.fdp.ConsumeIntInRange(0, 4)]()


def chrome_calls(a: Args) -> Callable[[], Any]:
    min_pages, template, texts = a.int(2, 4), a.int(0, 1000), a.texts(5)
    sites = a.hostile(["s"] * len(texts) if isinstance(texts, list) else [])
    page, site = a.text(), a.choice(["s", "t"])

    def model() -> Any:
        m = neardup.ChromeModel(min_pages=min_pages, template_permille=template)
        m.update(texts, sites)
        return m.strip(page, site), m.to_dict()

    return model


def align_calls(a: Args) -> Callable[[], Any]:
    measures = ["levenshtein", "indel", "levenshtein_similarity", "ratio", "token_sort_ratio", "token_set_ratio"]
    return [
        lambda: partial(neardup.align, a.text(), a.text(), k=a.int(1, 6), max_gap=a.int(0, 40), min_tokens=a.int(1, 10)),
        lambda: partial(neardup.containment, a.text(), a.text(), threshold=a.float()),
        lambda: partial(neardup.body_by_agreement, a.text(), a.text(), min_line_share=a.float()),
        lambda: partial(getattr(neardup, a.fdp.PickValueInList(measures)), a.text(80), a.text(80), normalize=a.fdp.ConsumeBool()),
        lambda: partial(neardup.fuzzy_batch, [(a.text(40), a.text(40))], measure=a.choice(measures), num_threads=a.threads()),
    ][a.fdp.ConsumeIntInRange(0, 4)]()


def repeats_calls(a: Args) -> Callable[[], Any]:
    return [
        lambda: partial(neardup.find_repeats, a.text(400), min_lines=a.int(1, 4), min_chars=a.int(0, 60), long_chars=a.int(0, 200)),
        lambda: partial(neardup.collapse_repeats, a.text(400), min_lines=a.int(1, 4), min_chars=a.int(0, 60)),
        lambda: partial(neardup.repetition_stats, a.text(400), top_ns=a.hostile([a.fdp.ConsumeIntInRange(1, 5)]), dup_ns=a.hostile([a.fdp.ConsumeIntInRange(1, 10)])),
        lambda: partial(neardup.repetition_stats_batch, a.texts(), num_threads=a.threads()),
    ][a.fdp.ConsumeIntInRange(0, 3)]()


def model_calls(a: Args) -> Callable[[], Any]:
    """A saved chrome model whose JSON is fuzzer bytes, or a valid one with a field replaced."""
    base = neardup.ChromeModel(min_pages=2)
    base.update(["Menu\nOne", "Menu\nTwo"], ["a.com", "a.com"])
    saved = base.to_dict()
    raw = a.fdp.ConsumeUnicodeNoSurrogates(300)
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    field = a.fdp.PickValueInList([None, "format", "version", "params", "sites"])
    state = value if field is None else {**saved, field: value}
    return lambda: neardup.ChromeModel.from_dict(state).to_dict()


TARGETS = {
    "text": text_calls,
    "dedup": dedup_calls,
    "simhash": simhash_calls,
    "chrome": chrome_calls,
    "align": align_calls,
    "repeats": repeats_calls,
    "model": model_calls,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options]")
    make = TARGETS[sys.argv[1]]

    def one_input(data: bytes) -> None:
        check_call(make(Args(data)))

    atheris.Setup([sys.argv[0], *sys.argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
