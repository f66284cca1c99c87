"""The publishable annual report, rendered from a return's values (or a county summary).

    report = build_report(form, values)            # agency: from one validated return
    report = build_summary_report(form, values, units)   # county: draft from a summary
    data = render(report, "docx")                  # or "md", "html"

What the report says (title, preamble, sections, which field feeds which paragraph, the chart)
comes from the form definition's ``report:`` section; the tables are the form sheets' own
labels and merges. Renderers only lay the model out.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import UsageError
from .build import MISSING, PLACEHOLDER, Coverage, build_report, build_summary_report
from .model import Cell, Chart, Paragraph, Report, Section, Table, TableBlock

FORMATS = ("docx", "md", "html")


def _renderer(fmt: str) -> Callable[[Report], bytes]:
    if fmt == "docx":
        from .docx_render import render_docx

        return render_docx
    if fmt == "html":
        from .html_render import render_html

        return render_html
    if fmt == "md":
        from .md_render import render_md

        return render_md
    raise UsageError(f"不支持的报告格式“{fmt}”，可选：{'、'.join(FORMATS)}")


def render(report: Report, fmt: str) -> bytes:
    """The report as file bytes in ``fmt`` (docx, md or html)."""
    return _renderer(fmt)(report)


__all__ = [
    "FORMATS", "MISSING", "PLACEHOLDER", "Cell", "Coverage", "Chart", "Paragraph", "Report", "Section", "Table",
    "TableBlock", "build_report", "build_summary_report", "render",
]
