"""The report as one self-contained HTML page (tables with their merges, chart as inline SVG),
ready to paste into a government site's CMS or to open in a browser."""

from __future__ import annotations

import math
from html import escape

from .model import Chart, Paragraph, Report, Table, TableBlock
from .text import fmt_number

_CSS = """
body { font-family: "FangSong", "仿宋", "STFangsong", "Noto Serif CJK SC", serif; font-size: 16pt;
       line-height: 1.75; max-width: 46em; margin: 2em auto; padding: 0 1em; color: #000; }
h1 { font-family: "SimSun", "宋体", "Noto Serif CJK SC", serif; font-size: 22pt; text-align: center;
     line-height: 1.5; margin: 1em 0; }
h2 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 16pt; font-weight: normal;
     text-indent: 2em; margin: 0; }
h3 { font-family: "KaiTi", "楷体", "STKaiti", serif; font-size: 16pt; font-weight: normal;
     text-indent: 2em; margin: 0; }
p { text-indent: 2em; margin: 0; text-align: justify; }
p.placeholder { color: #c00000; background: #ffff00; }
div.notice { border: 2px solid #c00000; color: #c00000; padding: .5em 1em; margin-bottom: 1em; }
div.notice p { text-indent: 0; font-size: 12pt; }
table.form { border-collapse: collapse; margin: .5em auto 1em; width: 100%; table-layout: fixed;
             font-family: "SimSun", "宋体", "Noto Serif CJK SC", serif; font-size: 10.5pt; line-height: 1.4; }
table.form td { border: 1px solid #000; padding: 2px 3px; text-align: center; vertical-align: middle; }
table.form td.label { text-align: left; }
table.form td.header { font-weight: bold; }
p.caption { text-indent: 0; font-size: 10.5pt; margin: -.5em 0 1em; }
figure.chart { margin: .5em auto 1em; text-align: center; }
"""


def render_html(report: Report) -> bytes:
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(report.title)}</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    if report.notices:
        out.append('<div class="notice">' + "".join(f"<p>{escape(n)}</p>" for n in report.notices) + "</div>")
    out.append(f"<h1>{escape(report.title)}</h1>")
    out.extend(f"<p>{escape(p)}</p>" for p in report.preamble)
    for section in report.sections:
        out.append(f"<h2>{escape(section.heading)}</h2>")
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out.append(paragraph_html(block))
            elif isinstance(block, TableBlock):
                out.append(table_html(block.table))
                if block.caption:
                    out.append(f'<p class="caption">{escape(block.caption)}</p>')
            elif isinstance(block, Chart):
                out.append(f'<figure class="chart">{chart_svg(block)}</figure>')
    out.append("</body></html>")
    return ("\n".join(out) + "\n").encode("utf-8")


def paragraph_html(block: Paragraph) -> str:
    if block.role == "subheading":
        return f"<h3>{escape(block.text)}</h3>"
    cls = ' class="placeholder"' if block.role == "placeholder" else ""
    return f"<p{cls}>{escape(block.text)}</p>"


def table_html(table: Table) -> str:
    total = sum(table.widths) or 1.0
    cols = "".join(f'<col style="width:{w * 100 / total:.1f}%">' for w in table.widths)
    rows = []
    for row in table.rows():
        tds = []
        for c in row:
            span = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (f' colspan="{c.colspan}"' if c.colspan > 1 else "")
            tds.append(f'<td class="{c.style}"{span}>{escape(c.text)}</td>')
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return f'<table class="form"><colgroup>{cols}</colgroup>' + "".join(rows) + "</table>"


def chart_svg(chart: Chart, width: int = 560, height: int = 260) -> str:
    """A bar chart drawn directly in SVG: the browser sets the CJK labels with its own fonts."""
    left, right, top, bottom = 40, 10, 36, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max(chart.values, default=0))
    n = max(len(chart.values), 1)
    slot = plot_w / n
    bar = slot * 0.55
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(chart.title)}" '
        'font-family="SimSun, 宋体, Noto Serif CJK SC, serif">',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{escape(chart.title)}</text>',
    ]
    steps = 5
    for i in range(steps + 1):
        v = top_value * i / steps
        y = top + plot_h - plot_h * i / steps
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#d9d9d9"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{fmt_number(round(v, 2))}</text>')
    for i, (cat, v) in enumerate(zip(chart.categories, chart.values)):
        h = plot_h * v / top_value if top_value else 0
        x = left + slot * i + (slot - bar) / 2
        y = top + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="#4472c4"/>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="12">{fmt_number(v)}</text>')
        parts.append(f'<text x="{left + slot * (i + .5):.1f}" y="{height - bottom + 18}" text-anchor="middle" font-size="12">{escape(cat)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#000"/>')
    parts.append("</svg>")
    return "".join(parts)


def _nice_max(v: float) -> float:
    """The axis top: five equal steps of 1, 2, 2.5 or 5 × 10ⁿ reaching the largest bar."""
    if v <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(v))
    for m in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        if m * mag * 5 >= v:
            return m * mag * 5
    return v
