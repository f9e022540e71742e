"""The HTML report of a run: one self-contained page (inline CSS and SVG, no network).

Every piece of document text goes through :func:`html.escape`, so a page that contains
``<script>`` shows it as text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: How much of a document an example shows; the rest is summarised.
EXAMPLE_CHARS = 6000


@dataclass
class Highlight:
    start: int
    end: int
    kind: str  # "removed" or "aligned"
    label: str = ""


@dataclass
class Side:
    id: str
    text: str
    highlights: list[Highlight] = field(default_factory=list)
    caption: str = ""


@dataclass
class Example:
    title: str
    sides: list[Side]
    note: str = ""


def _bar_chart(title: str, items: Sequence[tuple[str, float]], *, unit: str = "", width: int = 520) -> str:
    """A horizontal bar chart as inline SVG."""
    if not items:
        return f"<h3>{html.escape(title)}</h3><p class=muted>nothing to show</p>"
    top = max(value for _, value in items) or 1.0
    row, label_width = 22, 190
    height = row * len(items) + 10
    bars = []
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        length = (width - label_width - 70) * value / top
        shown = f"{value:.1%}" if unit == "%" else f"{value:,.0f}"
        bars.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{html.escape(label[:28])}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" class="bar"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 14}">{shown}</text>'
        )
    return (
        f"<h3>{html.escape(title)}</h3>"
        f'<svg width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">{"".join(bars)}</svg>'
    )


def histogram(values: Iterable[float], bins: int = 10, lo: float = 0.0, hi: float = 1.0) -> list[tuple[str, float]]:
    counts = [0] * bins
    for value in values:
        index = min(int((value - lo) / (hi - lo) * bins), bins - 1)
        counts[max(index, 0)] += 1
    step = (hi - lo) / bins
    return [(f"{lo + i * step:.1f}-{lo + (i + 1) * step:.1f}", float(c)) for i, c in enumerate(counts)]


def _marked_text(side: Side) -> str:
    """The text with its highlights as <mark> elements (overlaps resolved by start order)."""
    text = side.text[:EXAMPLE_CHARS]
    pieces, cursor = [], 0
    for mark in sorted(side.highlights, key=lambda m: (m.start, -m.end)):
        start, end = max(mark.start, cursor), min(mark.end, len(text))
        if start >= end:
            continue
        pieces.append(html.escape(text[cursor:start]))
        title = f' title="{html.escape(mark.label)}"' if mark.label else ""
        pieces.append(f'<mark class="{mark.kind}"{title}>{html.escape(text[start:end])}</mark>')
        cursor = end
    pieces.append(html.escape(text[cursor:]))
    if len(side.text) > EXAMPLE_CHARS:
        pieces.append(f'<span class=muted>\n[... {len(side.text) - EXAMPLE_CHARS:,} more characters]</span>')
    return "".join(pieces)


def _example(example: Example) -> str:
    columns = "".join(
        f'<div class=side><div class=caption><b>{html.escape(side.id)}</b> {html.escape(side.caption)}</div>'
        f"<pre>{_marked_text(side)}</pre></div>"
        for side in example.sides
    )
    note = f"<p>{html.escape(example.note)}</p>" if example.note else ""
    return f"<section class=example><h3>{html.escape(example.title)}</h3>{note}<div class=sides>{columns}</div></section>"


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}.muted{color:#888}
svg text{font-size:12px;fill:#333}.bar{fill:#4a7bd0}
.charts{display:flex;flex-wrap:wrap;gap:2em}
.sides{display:flex;gap:1em}.side{flex:1;min-width:0}
pre{white-space:pre-wrap;word-break:break-word;background:#fafafa;border:1px solid #ddd;padding:.6em;max-height:32em;overflow:auto;font-size:12px}
mark.removed{background:#f6c6c6;text-decoration:line-through;text-decoration-color:#a33}
mark.aligned{background:#c9efc9}
.legend mark{padding:0 .3em}
"""


def render(
    *,
    title: str,
    summary: dict[str, object],
    charts: Sequence[tuple[str, Sequence[tuple[str, float]], str]],
    examples: Sequence[Example],
) -> str:
    """The whole page: counts, charts (title, items, unit), then the examples side by side."""
    rows = "".join(
        f"<tr><td>{html.escape(str(key))}</td><td>{html.escape(str(value))}</td></tr>"
        for key, value in summary.items()
        if not isinstance(value, (dict, list))
    )
    chart_html = "".join(f"<div>{_bar_chart(name, items, unit=unit)}</div>" for name, items, unit in charts)
    legend = (
        '<p class=legend><mark class="removed">removed</mark> taken out of the document &nbsp; '
        '<mark class="aligned">aligned</mark> shared with the other document</p>'
    )
    body = "".join(_example(e) for e in examples) or "<p class=muted>no examples</p>"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><h2>Summary</h2><table>{rows}</table>"
        f"<h2>Charts</h2><div class=charts>{chart_html}</div>"
        f"<h2>Examples</h2>{legend}{body}</body></html>"
    )
