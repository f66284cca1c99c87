"""图表: the charts the form's ``summary:`` section declares, one per page, each over a table of
its numbers.

A chart by unit lists every unit (up to ``MAX_CHART_UNITS``; a province-sized summary shows the
largest and says how many more there are), largest first, every name on the axis; with a
grouped roster the table and a small chart give the subtotal of each group too. A composition
chart (pie) shows the parts of a county total with their shares.
"""

from __future__ import annotations

from ..vocab import SHEET_CHARTS, format_number
from .digest import load_digest
from .pages import setup_page

MAX_CHART_UNITS = 80
WIDTHS = (30, 12, 12, 12, 12, 12)
CHART_WIDTH = 690  # pixels: the width of the columns above, an A4 page portrait
ROW_PIXELS = 20
BAR_PIXELS = 26  # per unit: room for its name at 8 points, so the axis labels every one


def _rows_for(pixels: int) -> int:
    return -(-pixels // ROW_PIXELS) + 1


def write_charts(book) -> None:
    c = book.c
    digest = load_digest(c.form)
    if not digest.charts:
        return
    ws = book.wb.add_worksheet(SHEET_CHARTS)
    for k, w in enumerate(WIDTHS):
        ws.set_column(k, k, w)
    row = 0
    breaks = []
    for spec in digest.charts:
        if row:
            breaks.append(row)
        if spec.kind == "by_unit":
            row = _by_unit(book, ws, spec, row)
        else:
            row = _composition(book, ws, spec, row)
        row += 1
    ws.set_h_pagebreaks(breaks)
    setup_page(ws, book.title, landscape=False, fit=(1, 0))


def _table(book, ws, row: int, head: list[str], lines: list[list[object]], percent_col: int = -1) -> int:
    f = book.fmt
    for k, text in enumerate(head):
        ws.write_string(row, k, text, f.head)
    for i, line in enumerate(lines, row + 1):
        for k, v in enumerate(line):
            if isinstance(v, str):
                ws.write_string(i, k, v, f.name)
            else:
                ws.write_number(i, k, v, f.percent if percent_col == k else f.right_number)
    return row + 1 + len(lines)


def _bar(book, spec, name_col: int, first: int, last: int, series_cols: list[int], height: int):
    single = len(spec.series) == 1
    chart = book.wb.add_chart({"type": "bar"} if single else {"type": "bar", "subtype": "stacked"})
    for k, m in zip(series_cols, spec.series):
        chart.add_series({
            "name": m.label,
            "categories": [SHEET_CHARTS, first, name_col, last, name_col],
            "values": [SHEET_CHARTS, first, k, last, k],
            "data_labels": {"value": True, "position": "outside_end", "num_font": {"size": 8}} if single else {},
            "gap": 60,
        })
    # Bar charts: the y axis holds the categories. Reversed so the largest is at the top; every
    # label shown (interval 1), small enough for 40 names in a page's height.
    chart.set_y_axis({"reverse": True, "interval_unit": 1, "num_font": {"size": 8}, "crossing": "max"})
    chart.set_x_axis({"num_font": {"size": 8}, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_title({"none": True})  # the title is in the cell above the chart
    chart.set_legend({"position": "bottom"} if len(spec.series) > 1 else {"none": True})
    chart.set_size({"width": CHART_WIDTH, "height": height})
    return chart


def _by_unit(book, ws, spec, row: int) -> int:
    c, f = book.c, book.fmt
    ws.merge_range(row, 0, row, len(WIDTHS) - 1, spec.title, f.title)
    ranked = sorted(
        ((sum(m.of(u.values) for m in spec.series), -i, u) for i, u in enumerate(c.units)),
        key=lambda t: (t[0], t[1]), reverse=True,
    )
    shown = [u for _, _, u in ranked[:MAX_CHART_UNITS]]
    n = max(len(shown), 1)
    height = 90 + BAR_PIXELS * n
    chart_row = row + 1
    top = chart_row + _rows_for(height)
    head = ["单位", *(m.label for m in spec.series)] + (["合计"] if len(spec.series) > 1 else [])
    lines = []
    for u in shown:
        parts = [m.of(u.values) for m in spec.series]
        lines.append([u.name or u.code, *parts] + ([sum(parts)] if len(spec.series) > 1 else []))
    end = _table(book, ws, top, head, lines)
    ws.insert_chart(chart_row, 0, _bar(book, spec, 0, top + 1, top + n, list(range(1, 1 + len(spec.series))), height))
    rest = ranked[MAX_CHART_UNITS:]
    if rest:
        total = sum(t for t, _, _ in rest)
        ws.merge_range(end, 0, end, len(WIDTHS) - 1, f"另有 {len(rest)} 个单位（合计 {format_number(total)}）未列出，见“明细”。", f.para)
        end += 1
    if book.groups:
        end = _groups(book, ws, spec, end + 1)
    return end


def _groups(book, ws, spec, row: int) -> int:
    """The chart's numbers per roster group, as a table and a small bar chart."""
    c, f = book.c, book.fmt
    ws.merge_range(row, 0, row, len(WIDTHS) - 1, f"{spec.title}：按分组", f.subtitle)
    head = ["分组", *(m.label for m in spec.series)] + (["合计"] if len(spec.series) > 1 else [])
    lines = []
    for g in book.groups:
        members = [u for u in c.units if book.group_of(u.code) == g]
        parts = [sum(m.of(u.values) for u in members) for m in spec.series]
        lines.append([f"{g}（{len(members)}个单位）", *parts] + ([sum(parts)] if len(spec.series) > 1 else []))
    top = row + 1
    end = _table(book, ws, top, head, lines)
    height = 100 + 2 * BAR_PIXELS * len(lines)
    ws.insert_chart(end + 1, 0, _bar(book, spec, 0, top + 1, top + len(lines), list(range(1, 1 + len(spec.series))), height))
    return end + 1 + _rows_for(height)


def _composition(book, ws, spec, row: int) -> int:
    c, f = book.c, book.fmt
    ws.merge_range(row, 0, row, len(WIDTHS) - 1, spec.title, f.title)
    values = [m.of(c.totals) for m in spec.series]
    whole = sum(values)
    height = 360
    chart_row = row + 1
    top = chart_row + _rows_for(height)
    lines = [[m.label, v, (v / whole) if whole else 0] for m, v in zip(spec.series, values)]
    end = _table(book, ws, top, ["项目", "合计", "占比"], lines, percent_col=2)
    chart = book.wb.add_chart({"type": "pie"})
    chart.add_series({
        "name": spec.title,
        "categories": [SHEET_CHARTS, top + 1, 0, top + len(lines), 0],
        "values": [SHEET_CHARTS, top + 1, 1, top + len(lines), 1],
        "data_labels": {"value": True, "category": True, "leader_lines": True, "separator": " ", "num_font": {"size": 8}},
    })
    chart.set_title({"none": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": CHART_WIDTH, "height": height})
    ws.insert_chart(chart_row, 0, chart)
    return end
