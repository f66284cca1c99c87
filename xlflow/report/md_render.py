"""The report as Markdown. The official tables have merged headers, which pipe tables cannot
express, so they are written as HTML tables (valid CommonMark/GFM); the chart becomes a plain
pipe table of category and count."""

from __future__ import annotations

import re

from .html_render import table_html
from .model import Chart, Paragraph, Report, TableBlock
from .text import fmt_number


_LIST_START = re.compile(r"^(\d+)([.)])(\s)")


def _md_escape(text: str) -> str:
    # Only what would change meaning: a table-cell bar, or a line that would start a heading,
    # quote or list. Chinese text rarely does, but "1. " or "# " pasted by a clerk would.
    text = text.replace("|", "\\|")
    if (text[:1] and text[:1] in "#>") or text[:2] in ("- ", "+ ", "* "):
        return "\\" + text
    return _LIST_START.sub(r"\1\\\2\3", text)


def render_md(report: Report) -> bytes:
    out: list[str] = []
    if report.notices:
        out.extend("> **" + _md_escape(n) + "**" if i == 0 else "> " + _md_escape(n)
                   for i, n in enumerate(report.notices))
        out.append("")
    out += [f"# {report.title}", ""]
    for p in report.preamble:
        out += [_md_escape(p), ""]
    for section in report.sections:
        out += [f"## {section.heading}", ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                if block.role == "subheading":
                    out += [f"### {block.text}", ""]
                elif block.role == "placeholder":
                    out += [f"**{_md_escape(block.text)}**", ""]
                else:
                    out += [_md_escape(block.text), ""]
            elif isinstance(block, TableBlock):
                out += [table_html(block.table), ""]
                if block.caption:
                    out += [_md_escape(block.caption), ""]
            elif isinstance(block, Chart):
                out += chart_md(block) + [""]
    return ("\n".join(out).rstrip("\n") + "\n").encode("utf-8")


def chart_md(chart: Chart) -> list[str]:
    lines = [f"**{_md_escape(chart.title)}**", ""] if chart.title else []
    lines += ["| 类别 | 数量 |", "| --- | ---: |"]
    lines += [f"| {_md_escape(c)} | {fmt_number(v)} |" for c, v in zip(chart.categories, chart.values)]
    return lines
