from __future__ import annotations

import pytest

from neardup.report import Example, Highlight, Side, histogram, render

# The report is Python code that no backend computes: `make test` runs these once.
pytestmark = pytest.mark.backend_independent


def test_report_escapes_document_text_and_marks_spans():
    text = 'Header <script>alert("x")</script>\nBody & more'
    page = render(
        title="run <1>",
        summary={"documents": 2, "kept": 1, "nested": {"ignored": True}},
        charts=[("similarity", histogram([0.1, 0.95, 0.97]), ""), ("chrome share", [("site<a>", 0.25)], "%")],
        examples=[Example("pair", [Side("doc<1>", text, [Highlight(0, 35, "removed", "chrome")]), Side("b", "Body & more")])],
    )
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<mark class="removed" title="chrome">Header &lt;script&gt;' in page
    assert "Body &amp; more" in page and "doc&lt;1&gt;" in page and "site&lt;a&gt;" in page
    assert "25.0%" in page and "http" not in page.replace("http-equiv", "")


def test_histogram_bins():
    assert [count for _, count in histogram([0.0, 0.05, 0.5, 1.0], bins=4)] == [2.0, 0.0, 1.0, 1.0]
