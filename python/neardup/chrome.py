"""Site chrome: learn each site's chrome (headers, navigation, related stories, footers) from
plain text and strip it, with the page's repeated passages (:mod:`neardup.repeats`)
collapsed too; and choose the chrome parameters on labelled pages.

The per-line work (normalise, mask, hash, count, decide, find repeats) runs in the active
backend (the Rust core or the pure-Python reference, identical results); this module turns
the decisions into cleaned text and removed spans of the caller's original string, and
saves models as versioned JSON. The method and the model format are in docs/chrome.md.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import numpy as np

from . import _backend
from ._arrays import as_list, uint64_array
from ._reference.chrome import MAX_PAGES, PARAM_NAMES, check_params
from ._reference.text import as_int, check_flag, check_threads
from .io.errors import output_error
from .repeats import REPEAT
from .spans import Removed, Stripped

_impl = _backend.IMPL

#: Name of the saved model format (docs/chrome.md); its version is MODEL_VERSION below.
MODEL_FORMAT = "neardup-chrome-model"

#: Decision codes of the core, by name. ``body`` lines are kept; ``repeat`` (code 4) is only
#: in removed spans (:mod:`neardup.repeats`); ``comments`` only with ``cut_comments``.
REASONS = ("body", "template", "outside_body", "cross_site", REPEAT, "comments")

_PARAMS = PARAM_NAMES  # the reference's order of the parameters tuple
#: Parameters each saved version lacks, with the value that keeps its writer's decisions
#: (version 1 had no title rescue; it gets the default, as when version 2 read it). A value
#: that is a parameter's name takes that parameter's saved value.
_BEFORE_COMMENTS = {"cut_comments": False}
_BEFORE_RUNS = {"small_penalty": "penalty", "run_cost": None, "decay_pages": 0, "max_runs": None, **_BEFORE_COMMENTS}
_ADDED_PARAMS: dict[int, dict[str, Any]] = {
    1: {"title_lines": 3, "decay_chars": 0, "decay_floor_permille": 0, "box_chars": 0, **_BEFORE_RUNS},
    2: {"decay_chars": 0, "decay_floor_permille": 0, "box_chars": 0, **_BEFORE_RUNS},
    3: {"box_chars": 0, **_BEFORE_RUNS},
    4: dict(_BEFORE_RUNS),
    5: dict(_BEFORE_COMMENTS),
    6: {},
}
#: The version written; all versions in _ADDED_PARAMS are read (and migrated).
MODEL_VERSION = max(_ADDED_PARAMS)
_READABLE_VERSIONS = tuple(_ADDED_PARAMS)


def migrate_params(params: Any, version: int) -> dict[str, Any]:
    """The parameters of a model saved in format ``version``, completed for this release:
    a parameter that version lacked gets the value that decides as its writer did (no
    position weighting before version 3, no template boxes before version 4). Raises ValueError for a wrong set of keys."""
    added = _ADDED_PARAMS[version]
    expected = tuple(name for name in _PARAMS if name not in added)
    if not isinstance(params, dict) or set(params) != set(expected):
        raise ValueError(f"chrome model version {version}: params must have exactly the keys {expected}")
    return _completed(params, added)


def _completed(params: dict[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    return {**params, **{name: params[value] if value in _PARAMS else value for name, value in added.items()}}


def complete_params(params: Any) -> dict[str, Any]:
    """Stored parameters of whichever version their keys are, completed as migrate_params
    does (an index stores parameters without a version). Raises ValueError otherwise."""
    if isinstance(params, dict):
        for added in _ADDED_PARAMS.values():
            if set(params) == {name for name in _PARAMS if name not in added}:
                return _completed(params, added)
    raise ValueError(f"the stored chrome parameters are not a chrome model's ({str(params)[:80]!r})")


#: Name of the format of a parameters file (``neardup chrome tune``); its version below.
PARAMS_FORMAT = "neardup-chrome-params"
#: Parameters each version of the file lacks, with the value that keeps its writer's decisions.
_PARAMS_FILE_ADDED: dict[int, dict[str, Any]] = {1: dict(_BEFORE_COMMENTS), 2: {}}
PARAMS_VERSION = max(_PARAMS_FILE_ADDED)


def _read_params(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as source:
            state = json.load(source)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{os.fspath(path)}: not a chrome parameters file ({error})") from None
    version = state.get("version") if isinstance(state, dict) else None
    if (not isinstance(state, dict) or state.get("format") != PARAMS_FORMAT or isinstance(version, bool)
            or version not in _PARAMS_FILE_ADDED):
        raise ValueError(f"{os.fspath(path)}: not a chrome parameters file (expected format {PARAMS_FORMAT!r} "
                         f"version {' or '.join(map(str, _PARAMS_FILE_ADDED))})")
    added = _PARAMS_FILE_ADDED[version]
    expected = tuple(name for name in _PARAMS if name not in added)
    params = state.get("params")
    if not isinstance(params, dict) or set(params) != set(expected):
        raise ValueError(f"{os.fspath(path)}: params must have exactly the keys {expected}")
    params = _completed(params, added)
    try:
        check_params(tuple(params[name] for name in _PARAMS))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{os.fspath(path)}: params: {error}") from None
    return {name: params[name] for name in _PARAMS}


#: The defaults of every chrome parameter: the package's versioned data file, written by the
#: protocol that chose them (``python benches/chrome_quality.py --write-defaults``; its scores
#: and rule are in the file, the method in docs/chrome.md).
DEFAULT_PARAMS: dict[str, Any] = _read_params(Path(__file__).with_name("chrome_params.json"))


class LineDecisions(NamedTuple):
    """Per line of a page: its ``(n, 2)`` span and its decision code (index into REASONS)."""

    spans: np.ndarray
    decisions: np.ndarray

    def reasons(self) -> list[str]:
        return [REASONS[d] for d in self.decisions.tolist()]


def site_key(url: str) -> str:
    """The site of a URL: its host, lower-cased, without a leading ``www.``."""
    if not isinstance(url, str):
        raise TypeError(f"url must be str, got {type(url).__name__}")
    host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower()
    site = host[4:] if host.startswith("www.") else host
    if not site:  # also "www." alone: no site would be an empty key shared by every such page
        raise ValueError(f"url {url!r} has no host")
    return site


def _list(values: Iterable[Any], what: str) -> Sequence[Any]:
    return as_list(values, what)


def _b64(array: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _unb64(text: object, dtype: str, where: str) -> np.ndarray:
    if not isinstance(text, str):
        raise ValueError(f"{where}: expected a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except ValueError as error:
        raise ValueError(f"{where}: invalid base64 ({error})") from None
    width = np.dtype(dtype).itemsize
    if len(raw) % width:
        raise ValueError(f"{where}: {len(raw)} bytes is not a whole number of {width}-byte values")
    return np.frombuffer(raw, dtype=dtype)


class ChromeModel:
    """Learns each site's chrome from pages of plain text and strips it.

    ``update(texts, sites)`` counts, per site, on how many distinct pages each masked line
    (case, whitespace, digits and month names folded) and each line shape (first two and
    last two words) occurs, and on how many sites each line occurs. ``strip(text, site)``
    then keeps the page's body region and removes template blocks, the page-specific lines
    between them, the items of template boxes inside the article (related stories under a
    recurring heading), cross-site boilerplate and (by default) in-page repeats. Shares are in
    permille of the site's pages; the defaults are documented in docs/chrome.md.

    ``run_cost`` is the knob between keeping article text and cutting chrome: a run of prose
    outside the page's main body region worth more than ``run_cost`` characters (of closed,
    page-specific lines, less the template lines inside it) is kept as body too. Lower keeps
    more (0: every such run), higher cuts more, ``None`` keeps the main region only. The
    measured curve of body kept against chrome cut per labelled set is in docs/chrome.md.

    ``cut_comments`` (on by default) also removes a thread of readers' comments (or forum
    replies) below the article, found by the time stamps its entries repeat (reason
    ``comments``), on pages of sites of ``min_pages`` pages or more: a page alone may be a
    forum thread or a blog's front page whose signed entries are its text (docs/chrome.md).
    """

    def __init__(
        self,
        *,
        min_pages: int = DEFAULT_PARAMS["min_pages"],
        template_permille: int = DEFAULT_PARAMS["template_permille"],
        inner_permille: int = DEFAULT_PARAMS["inner_permille"],
        shape_permille: int = DEFAULT_PARAMS["shape_permille"],
        penalty: int = DEFAULT_PARAMS["penalty"],
        cross_sites: int = DEFAULT_PARAMS["cross_sites"],
        title_lines: int = DEFAULT_PARAMS["title_lines"],
        decay_chars: int = DEFAULT_PARAMS["decay_chars"],
        decay_floor_permille: int = DEFAULT_PARAMS["decay_floor_permille"],
        box_chars: int = DEFAULT_PARAMS["box_chars"],
        small_penalty: int = DEFAULT_PARAMS["small_penalty"],
        run_cost: int | None = DEFAULT_PARAMS["run_cost"],
        decay_pages: int = DEFAULT_PARAMS["decay_pages"],
        max_runs: int | None = DEFAULT_PARAMS["max_runs"],
        cut_comments: bool = DEFAULT_PARAMS["cut_comments"],
    ) -> None:
        params = check_params(
            (min_pages, template_permille, inner_permille, shape_permille, penalty, cross_sites, title_lines, decay_chars,
             decay_floor_permille, box_chars, small_penalty, run_cost, decay_pages, max_runs, cut_comments)
        )
        self._model = _impl.ChromeModel(*params)
        #: Page counts of the sites inserted with more than half of MAX_PAGES: counting more
        #: pages of them could pass it (the core's uint32 counts would overflow). A site counted
        #: page by page never comes near it.
        self._near_limit: dict[str, int] = {}

    @property
    def params(self) -> dict[str, int | bool | None]:
        return dict(zip(_PARAMS, (v if v is None or isinstance(v, bool) else int(v) for v in self._model.params())))

    @property
    def sites(self) -> list[str]:
        return list(self._model.site_names())

    def pages(self, site: str) -> int:
        """How many pages of ``site`` the model has counted (0 for an unknown site)."""
        return int(self._model.site_state(site)[0]) if site in self.sites else 0

    def site_state(self, site: str) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What the model has counted on ``site``: ``(pages, line_keys, line_counts,
        shape_keys, shape_counts)``, the keys of its masked lines and of its line shapes
        (sorted, ``uint64`` arrays) with the number of pages each occurs on (``uint32``
        arrays): the saved model's fields, decoded. KeyError for a site not in the model."""
        pages, line_keys, line_counts, shape_keys, shape_counts = self._model.site_state(site)
        # The core gives arrays, the reference lists: the same types from both.
        return (int(pages), np.asarray(line_keys, dtype=np.uint64), np.asarray(line_counts, dtype=np.uint32),
                np.asarray(shape_keys, dtype=np.uint64), np.asarray(shape_counts, dtype=np.uint32))

    def insert_site(self, site: str, pages: int, line_keys: Any, line_counts: Any, shape_keys: Any, shape_counts: Any) -> None:
        """Add the counts of a site the model has not counted yet, in the form
        :meth:`site_state` gives them (sorted keys, one count each, counts at most ``pages``).
        ``pages`` is at most MAX_PAGES (2**32 - 1): the saved format counts in uint32, so no
        site holds more. Raises TypeError for a site that is not a str, ValueError for counts
        the format cannot hold or that contradict each other."""
        if not isinstance(site, str):
            raise TypeError(f"site must be str, got {type(site).__name__}")
        number = as_int(pages)
        if number is None or number < 1:
            raise ValueError(f'site "{site}": pages must be an int >= 1, got {pages!r}')
        if number > MAX_PAGES:
            raise ValueError(f'site "{site}": pages must be at most 2**32 - 1 (counts are stored as uint32), got {number}')
        arrays = []
        for name, value in (("line_keys", line_keys), ("line_counts", line_counts), ("shape_keys", shape_keys),
                            ("shape_counts", shape_counts)):
            array = uint64_array(value, f'site "{site}": {name}', 1)
            # Past the core's uint32 counts (its conversion would say OverflowError); a count
            # within them but above pages is refused by both backends alike.
            if name.endswith("counts") and array.size and int(array.max()) > MAX_PAGES:
                raise ValueError(f'site "{site}": {name} must be at most pages={number}, got {int(array.max())}')
            arrays.append(array.tolist())
        self._model.insert_site(site, number, *arrays)
        if number > MAX_PAGES // 2:
            self._near_limit[site] = number

    def _make_room(self, sites: Sequence[Any]) -> Counter[str]:
        """The pages ``sites`` add to the sites near MAX_PAGES, refused (ValueError) when
        they would pass it."""
        added = Counter(s for s in sites if isinstance(s, str) and s in self._near_limit) if self._near_limit else Counter()
        for site, count in added.items():
            if self._near_limit[site] + count > MAX_PAGES:
                raise ValueError(f'site "{site}": counting {count} more page(s) would make {self._near_limit[site] + count} pages, '
                                 "past 2**32 - 1, the most a model counts (counts are stored as uint32)")
        return added

    def _counted(self, added: Counter[str]) -> None:
        for site, count in added.items():
            self._near_limit[site] += count

    def update(self, texts: Iterable[str], sites: Iterable[str], *, num_threads: int | None = None) -> ChromeModel:
        """Count more pages (one site key per text, e.g. :func:`site_key` of its URL)."""
        num_threads = check_threads(num_threads)
        sites = _list(sites, "site keys")
        added = self._make_room(sites)
        self._model.add(_list(texts, "str documents"), sites, num_threads)
        self._counted(added)
        return self

    def classify(
        self, texts: Iterable[str], sites: Iterable[str], *, num_threads: int | None = None
    ) -> list[LineDecisions]:
        """Per page, each line's span and decision (see :data:`REASONS`)."""
        num_threads = check_threads(num_threads)
        results = self._model.decide(_list(texts, "str documents"), _list(sites, "site keys"), num_threads)
        return [
            LineDecisions(np.asarray(s, dtype=np.int64).reshape(-1, 2), np.asarray(d, dtype=np.uint8))
            for s, d in results
        ]

    def line_counts(self, texts: Iterable[str], sites: Iterable[str], *, num_threads: int | None = None) -> list[np.ndarray]:
        """Per page, an ``(n, 2)`` ``uint32`` array: for each line (split on LF, as
        :func:`neardup.text.segment`), by its masked fingerprint, on how many of its site's
        counted pages it occurs and on how many sites the model has counted it (0 and 0 for a
        blank line; the first 0 on a site the model has not counted)."""
        num_threads = check_threads(num_threads)
        counts = self._model.line_counts(_list(texts, "str documents"), _list(sites, "site keys"), num_threads)
        return [np.asarray(c, dtype=np.uint32).reshape(-1, 2) for c in counts]

    def strip(self, text: str, site: str, *, repeats: bool = True) -> Stripped:
        """Cleaned text of one page and the removed spans, each with its reason; in-page
        repeats are collapsed too unless ``repeats`` is False (a bool: TypeError otherwise)."""
        return self.strip_batch([text], [site], repeats=repeats)[0]

    def strip_batch(
        self, texts: Iterable[str], sites: Iterable[str], *, repeats: bool = True, num_threads: int | None = None
    ) -> list[Stripped]:
        """:meth:`strip` over many pages, in parallel with the GIL released."""
        repeats = check_flag(repeats, "repeats")
        num_threads = check_threads(num_threads)
        texts = _list(texts, "str documents")
        removed = self._model.strip(texts, _list(sites, "site keys"), repeats, num_threads)
        return [_cut(text, r) for text, r in zip(texts, removed)]

    def fit_strip(
        self, texts: Iterable[str], sites: Iterable[str], *, repeats: bool = True, num_threads: int | None = None
    ) -> list[Stripped]:
        """Count these pages, then strip them: the same result as ``update(texts, sites)``
        followed by ``strip_batch(texts, sites)``, with each line keyed once for both."""
        repeats = check_flag(repeats, "repeats")
        num_threads = check_threads(num_threads)
        texts = _list(texts, "str documents")
        sites = _list(sites, "site keys")
        added = self._make_room(sites)
        removed = self._model.add_strip(texts, sites, repeats, num_threads)
        self._counted(added)
        return [_cut(text, r) for text, r in zip(texts, removed)]

    # -- persistence -----------------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # Pickled through the versioned model format (a process boundary: multiprocessing,
        # datatrove, Spark closures), never through the core object itself.
        return (ChromeModel.from_dict, (self.to_dict(),))

    def to_dict(self) -> dict[str, Any]:
        """The model as a JSON-ready dict (format in docs/chrome.md)."""
        sites = []
        for site in self.sites:
            pages, line_keys, line_counts, shape_keys, shape_counts = self.site_state(site)
            sites.append(
                {
                    "site": site,
                    "pages": int(pages),
                    "lines": {"keys": _b64(line_keys, "<u8"), "counts": _b64(line_counts, "<u4")},
                    "shapes": {"keys": _b64(shape_keys, "<u8"), "counts": _b64(shape_counts, "<u4")},
                }
            )
        return {"format": MODEL_FORMAT, "version": MODEL_VERSION, "params": self.params, "sites": sites}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> ChromeModel:
        if not isinstance(state, dict) or state.get("format") != MODEL_FORMAT:
            raise ValueError(f"not a neardup chrome model (expected format {MODEL_FORMAT!r})")
        version = state.get("version")
        if isinstance(version, bool) or version not in _READABLE_VERSIONS:
            raise ValueError(
                f"chrome model version {version!r} is not supported (this neardup reads {_READABLE_VERSIONS})"
            )
        # Older versions' counts are valid as they are; parameters they lacked are completed
        # (docs/chrome.md, "Model format").
        try:
            model = cls(**migrate_params(state.get("params"), version))
        except (TypeError, ValueError) as error:  # a saved value out of range, of the wrong type
            message = str(error)
            raise ValueError(message if message.startswith("chrome model") else f"chrome model: params: {message}") from None
        sites = state.get("sites")
        if not isinstance(sites, list):
            raise ValueError("chrome model: sites must be a list")
        for i, entry in enumerate(sites):
            where = f"chrome model: site entry {i}"
            try:
                site, pages, lines, shapes = entry["site"], entry["pages"], entry["lines"], entry["shapes"]
                arrays = [
                    _unb64(lines["keys"], "<u8", where + " lines.keys"),
                    _unb64(lines["counts"], "<u4", where + " lines.counts"),
                    _unb64(shapes["keys"], "<u8", where + " shapes.keys"),
                    _unb64(shapes["counts"], "<u4", where + " shapes.counts"),
                ]
            except (KeyError, TypeError) as error:
                raise ValueError(f"{where}: missing or malformed field ({error})") from None
            if not isinstance(site, str):
                raise ValueError(f"{where}: site must be a str, got {type(site).__name__}")
            keys, counts, shape_keys, shape_counts = (a.astype(a.dtype.newbyteorder("=")) for a in arrays)
            try:
                model.insert_site(site, pages, keys, counts, shape_keys, shape_counts)
            except (TypeError, ValueError, OverflowError) as error:  # pages out of range, a lone surrogate, bad counts, ...
                raise ValueError(f"{where}: {error}") from None
        return model

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as JSON (atomically: a partial file never replaces a good one)."""
        tmp = f"{os.fspath(path)}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                json.dump(self.to_dict(), out, separators=(",", ":"))
            os.replace(tmp, path)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise output_error(path, error) from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ChromeModel:
        # JSON only: a model file is never unpickled or evaluated.
        with open(path, encoding="utf-8") as source:
            try:
                state = json.load(source)
            except UnicodeDecodeError:
                raise ValueError(f"{os.fspath(path)}: not a neardup chrome model (not UTF-8 JSON text)") from None
            except json.JSONDecodeError as error:
                raise ValueError(f"{os.fspath(path)}: not JSON ({error})") from None
        try:
            return cls.from_dict(state)
        except ValueError as error:
            raise ValueError(f"{os.fspath(path)}: {error}") from None


def learn(texts: Iterable[str], sites: Iterable[str], *, num_threads: int | None = None, **params: int | None) -> ChromeModel:
    """A :class:`ChromeModel` counted on ``texts``."""
    return ChromeModel(**params).update(texts, sites, num_threads=num_threads)


def _cut(text: str, removed: Any, _make: Any = tuple.__new__, _reasons: tuple[str, ...] = REASONS) -> Stripped:
    """Cleaned text and Removed spans from the core's ``(start, end, code)`` rows."""
    # One tolist() of the core's array: unpacking its rows one by one costs more than the core.
    rows = removed.tolist() if isinstance(removed, np.ndarray) else removed
    # Each Removed made as the tuple it is (its generated __new__ costs a third of the loop);
    # the rows are Python ints already (tolist(), or the reference's lists).
    spans = [_make(Removed, (a, b, _reasons[c])) for a, b, c in rows]
    if not spans:
        return Stripped(text, spans)
    pieces = []
    position = 0
    for start, end, _ in spans:
        pieces.append(text[position:start])
        position = end
    pieces.append(text[position:])
    return Stripped("".join(pieces), spans)


# -- choosing the parameters on labelled pages ----------------------------------------------

#: The grid ``tune`` searches by default: the knob and the number of extra runs, the template
#: penalty, template boxes, the position weighting on small sites and comment threads.
TUNE_GRID: dict[str, tuple[int | bool | None, ...]] = {
    "run_cost": (0, 25, 50, 100, 300, 1000, None),
    "max_runs": (None, 4, 6, 8),
    "penalty": (200, 300),
    "box_chars": (0, 80),
    "decay_pages": (0, 3),
    "cut_comments": (False, True),
}
#: What tune maximises per group of pages: chrome removed minus BODY_WEIGHT times the body
#: kept missing to BODY_FLOOR (article text first: a point of body under the floor costs
#: twenty points of chrome).
BODY_FLOOR = 0.99
BODY_WEIGHT = 20.0


class Quality(NamedTuple):
    """Characters of body kept and of chrome removed, against per-line gold labels."""

    body: int
    body_kept: int
    chrome: int
    chrome_removed: int

    @property
    def kept(self) -> float:
        """Share of the body characters kept."""
        return self.body_kept / self.body if self.body else 1.0

    @property
    def removed(self) -> float:
        """Share of the chrome characters removed."""
        return self.chrome_removed / self.chrome if self.chrome else 0.0

    @classmethod
    def of_lines(cls, lines: Iterable[tuple[str, bool, bool]]) -> Quality:
        """The counts over ``(line, is_body, removed)`` triples."""
        body = kept = chrome = removed = 0
        for line, is_body, gone in lines:
            if is_body:
                body += len(line)
                kept += 0 if gone else len(line)
            else:
                chrome += len(line)
                removed += len(line) if gone else 0
        return cls(body, kept, chrome, removed)

    def __add__(self, other: object) -> Quality:
        if not isinstance(other, Quality):
            return NotImplemented
        return Quality(*(a + b for a, b in zip(self, other)))


def quality(model: ChromeModel, texts: Sequence[str], sites: Sequence[str], labels: Sequence[Sequence[bool]],
            *, repeats: bool = True, num_threads: int | None = None) -> Quality:
    """Body and chrome characters kept and removed by :meth:`ChromeModel.strip_batch` (with
    in-page repeats unless ``repeats`` is False) on labelled pages: ``labels[i][k]`` says
    whether line ``k`` of ``texts[i]`` (split on LF, as the model's lines) is body, a bool or
    0/1 (:func:`checked_labels`). A line counts as removed when a removed span starts at or
    before its first character and ends after it (chrome and repeats are removed as whole
    lines)."""
    texts = _list(texts, "str documents")
    return _quality(model, texts, sites, checked_labels(labels, len(texts)), repeats=repeats, num_threads=num_threads)


def _quality(model: ChromeModel, texts: list[str], sites: Sequence[str], labels: list[list[bool]],
             *, repeats: bool = True, num_threads: int | None = None) -> Quality:
    """:func:`quality` of labels already checked (:func:`checked_labels`)."""
    total = Quality(0, 0, 0, 0)
    for i, (text, stripped) in enumerate(zip(texts, model.strip_batch(texts, sites, repeats=repeats, num_threads=num_threads))):
        lines = text.split("\n")
        if len(labels[i]) != len(lines):
            raise ValueError(f"page {i}: {len(labels[i])} labels for {len(lines)} lines")
        total += Quality.of_lines(zip(lines, labels[i], removed_lines(lines, stripped.removed)))
    return total


def checked_labels(labels: Any, pages: int) -> list[list[bool]]:
    """``labels`` as one list of bools per page of ``pages`` (True: the line is body). A label
    is a bool or 0/1 (the labelled sets' JSON and ``neardup chrome tune`` take both); anything
    else is an error naming it, since by truthiness a label "no" would be body."""
    rows = as_list(labels, "lists of bools (labels, one list per page)")
    if len(rows) != pages:
        raise ValueError(f"labels: {len(rows)} lists of labels for {pages} pages")
    checked = []
    for i, row in enumerate(rows):
        flags = []
        for k, label in enumerate(as_list(row, f"bools (labels[{i}])")):
            if not isinstance(label, (bool, np.bool_)):
                number = as_int(label)
                if number is None:
                    raise TypeError(f"labels[{i}][{k}] must be a bool (True: body) or 0/1, got {label!r}")
                if number not in (0, 1):
                    raise ValueError(f"labels[{i}][{k}] must be a bool (True: body) or 0/1, got {label!r}")
            flags.append(bool(label))
        checked.append(flags)
    return checked


def removed_lines(lines: Sequence[str], spans: Sequence[Any]) -> list[bool]:
    """For each of ``lines`` (a text split on LF), whether a removed span (sorted, with
    ``start``/``end``) covers its first character."""
    gone, k, start = [], 0, 0
    for line in lines:
        while k < len(spans) and spans[k].end <= start:
            k += 1
        gone.append(k < len(spans) and spans[k].start <= start < spans[k].end)
        start += len(line) + 1
    return gone


def objective(result: Quality, *, body_floor: float = BODY_FLOOR, body_weight: float = BODY_WEIGHT) -> float:
    """What :func:`tune` maximises for one group of pages."""
    return result.removed - body_weight * max(0.0, body_floor - result.kept)


class Tuning(NamedTuple):
    """The parameters :func:`tune` chose, and every grid point's quality per group."""

    params: dict[str, int | None]
    table: list[tuple[dict[str, int | None], dict[str, Quality]]]


def grid_points(grid: dict[str, Sequence[int | None]]) -> list[dict[str, int | None]]:
    """Every combination of the grid's values, in order."""
    points: list[dict[str, int | None]] = [{}]
    for name, values in grid.items():
        if name not in _PARAMS:
            raise ValueError(f"unknown chrome parameter {name!r}")
        points = [{**point, name: value} for point in points for value in values]
    return points


def tune_table(
    groups: dict[str, tuple[Sequence[str], Sequence[str], Sequence[Sequence[bool]]]],
    *,
    grid: dict[str, Sequence[int | None]] | None = None,
    base: dict[str, Any] | None = None,
    num_threads: int | None = None,
) -> list[tuple[dict[str, int | None], dict[str, Quality]]]:
    """Every grid point's :class:`Quality` per group: ``groups`` maps a name to ``(texts,
    sites, labels)``; each group's model is counted once on its own pages (over ``base``
    parameters) and decides its pages with each point of ``grid`` (default :data:`TUNE_GRID`).
    ValueError for no groups, labels checked as :func:`quality` does, all before any counting."""
    if not isinstance(groups, dict):
        raise TypeError(f"groups must be a dict of name -> (texts, sites, labels), got {type(groups).__name__}")
    if not groups:
        raise ValueError("groups is empty: give at least one group of labelled pages (name -> (texts, sites, labels))")
    checked = {}
    for name, group in groups.items():
        # Checked before any model is counted, not at the first grid point.
        try:
            texts, sites, labels = group
        except (TypeError, ValueError):
            raise ValueError(f"groups[{name!r}] must be a tuple (texts, sites, labels)") from None
        texts = _list(texts, "str documents")
        try:
            checked[name] = (texts, sites, checked_labels(labels, len(texts)))
        except (TypeError, ValueError) as error:
            raise type(error)(f"groups[{name!r}]: {error}") from None
    groups = checked
    base = dict(base or {})
    counted = {name: ChromeModel(**base).update(texts, sites, num_threads=num_threads).to_dict()
               for name, (texts, sites, _) in groups.items()}
    table = []
    for point in grid_points(TUNE_GRID if grid is None else grid):
        results = {}
        for name, (texts, sites, labels) in groups.items():
            state = counted[name]
            model = ChromeModel.from_dict({**state, "params": {**state["params"], **point}})
            # Labels checked once above, not at each of the grid's points.
            results[name] = _quality(model, texts, sites, labels, num_threads=num_threads)
        table.append((point, results))
    if not table:
        raise ValueError("the grid has no points")
    return table


def best_point(
    table: list[tuple[dict[str, int | None], dict[str, Quality]]],
    names: Iterable[str] | None = None,
    *,
    body_floor: float = BODY_FLOOR,
    body_weight: float = BODY_WEIGHT,
) -> dict[str, int | None]:
    """The grid point of ``table`` with the best mean :func:`objective` over the groups
    ``names`` (default: all), the first such point on a tie. ValueError for an empty table or
    no names, or a name not in the table."""
    if not table:
        raise ValueError("table is empty: it has no grid point to choose")
    known = list(table[0][1])
    chosen = known if names is None else list(as_list(names, "str group names"))
    if not chosen:
        raise ValueError("no groups to choose the point for: names is empty" if names is not None else "the table has no groups")
    unknown = [name for name in chosen if name not in table[0][1]]
    if unknown:
        raise ValueError(f"names: no group {unknown[0]!r} in the table (its groups: {', '.join(map(repr, known))})")

    def mean_objective(results: dict[str, Quality]) -> float:
        return sum(objective(results[n], body_floor=body_floor, body_weight=body_weight) for n in chosen) / len(chosen)

    return max(table, key=lambda row: mean_objective(row[1]))[0]


def tune(
    groups: dict[str, tuple[Sequence[str], Sequence[str], Sequence[Sequence[bool]]]],
    *,
    grid: dict[str, Sequence[int | None]] | None = None,
    base: dict[str, Any] | None = None,
    body_floor: float = BODY_FLOOR,
    body_weight: float = BODY_WEIGHT,
    num_threads: int | None = None,
) -> Tuning:
    """Choose chrome parameters on labelled pages (:func:`tune_table`, then
    :func:`best_point` over all groups): the whole parameters, and the table."""
    table = tune_table(groups, grid=grid, base=base, num_threads=num_threads)
    best = best_point(table, body_floor=body_floor, body_weight=body_weight)
    return Tuning({**ChromeModel(**(base or {})).params, **best}, table)


def save_params(path: str | os.PathLike[str], params: dict[str, Any], **provenance: Any) -> None:
    """Write chrome parameters (``neardup chrome tune``) as versioned JSON, with what chose
    them; :func:`load_params` reads them."""
    state = {"format": PARAMS_FORMAT, "version": PARAMS_VERSION, "params": ChromeModel(**params).params, **provenance}
    tmp = f"{os.fspath(path)}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(state, out, indent=1)
        os.replace(tmp, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise output_error(path, error) from None


def load_params(path: str | os.PathLike[str]) -> dict[str, int | None]:
    """The chrome parameters of a file written by :func:`save_params` (all of them, checked)."""
    return _read_params(path)
