"""The summary's list sheets: 填报情况, 问题清单, 文字汇编 and 图表.

Every string that came from a returned file is written with ``write_string``: a unit name or a
narrative that starts with "=" stays text.
"""

from __future__ import annotations

from typing import Protocol

from ..cells import a1
from ..results import Finding
from ..totals import values_row
from ..vocab import (
    FILE_STATUS_ZH,
    SEVERITY_ZH,
    SHEET_CHARTS,
    SHEET_FINDINGS,
    SHEET_STATUS,
    SHEET_TEXT,
    STATE_ZH,
    SUPERSEDED,
    format_number,
    scope_word,
)
from .consolidate import Consolidation
from .digest import load_digest, sentences
from .status import BAD_STATES, counts_line, status_rows
from .stream import MAX_CELL_TEXT


class Book(Protocol):
    """What the list sheets need of the workbook being built (``workbook.SummaryBook``)."""

    c: Consolidation
    wb: object
    fmt: object
    styles: object

    def write_rows(self, ws, first_row: int, count: int, rows, formats) -> None: ...


STATUS_HEAD = ("单位代码", "单位名称", "状态", "处理", "说明", "文件", "SHA-256", "保存程序", "错误", "警告", "提示", "年度", "统计范围")
STATUS_WIDTHS = (14, 30, 12, 24, 50, 36, 20, 18, 6, 6, 6, 7, 9)
FINDINGS_HEAD = ("文件", "单位代码", "单位名称", "年度", "文件状态", "级别", "规则/代码", "工作表", "单元格", "字段", "行标签", "列标签", "问题说明", "应为", "实际")
FINDINGS_WIDTHS = (40, 14, 28, 8, 10, 8, 18, 16, 8, 24, 30, 20, 80, 14, 14)


def _header(ws, fmt, head, widths, row: int = 0) -> None:
    for k, (text, w) in enumerate(zip(head, widths)):
        ws.set_column(k, k, w)
        ws.write_string(row, k, text, fmt)


def write_status(book: Book) -> None:
    c, f = book.c, book.fmt
    ws = book.wb.add_worksheet(SHEET_STATUS)
    rows = status_rows(c)
    line = counts_line(rows)
    superseded = sum(1 for r in rows if r.action == SUPERSEDED)
    ws.write_string(0, 0, f"共收到 {len(c.entries)} 个文件；计入汇总 {len(c.units)} 个单位。{line}" + (f"；被替代的重复报表 {superseded} 份" if superseded else "") + "。", f.title)
    _header(ws, f.head, STATUS_HEAD, STATUS_WIDTHS, row=2)
    for i, r in enumerate(rows, 3):
        res = r.entry.result if r.entry else None
        cells = [
            r.code, r.name, r.state_text, r.action_text, r.note, r.file,
            res.sha256 if res else "", res.application if res else "",
            str(res.errors) if res else "", str(res.warnings) if res else "",
            str(sum(1 for x in res.findings if x.severity == "info")) if res else "",
            str(res.year or "") if res else "", (res.scope or "") if res else "",
        ]
        for k, text in enumerate(cells):
            ws.write_string(i, k, text, f.text)
    last = 2 + max(len(rows), 1)
    ws.autofilter(2, 0, last, len(STATUS_HEAD) - 1)
    ws.freeze_panes(3, 2)
    bad = book.styles.bad()
    for state in BAD_STATES:
        ws.conditional_format(3, 2, last, 2, {"type": "text", "criteria": "begins with", "value": STATE_ZH[state], "format": bad})
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _finding_cells(path_name: str, code: str, name: str, year, status: str, x: Finding) -> list[str]:
    return [
        path_name, code, name, str(year or ""), FILE_STATUS_ZH.get(status, status), SEVERITY_ZH.get(x.severity, x.severity), x.rule,
        x.sheet or "", x.cell or "", x.field or "", x.row_label or "", x.col_label or "", x.message,
        "" if x.expected is None else format_number(x.expected), "" if x.actual is None else format_number(x.actual),
    ]


def write_findings(book: Book) -> None:
    c, f = book.c, book.fmt
    ws = book.wb.add_worksheet(SHEET_FINDINGS)
    _header(ws, f.head, FINDINGS_HEAD, FINDINGS_WIDTHS)
    row = 1
    for e in c.entries:
        r = e.result
        for x in r.findings:
            for k, text in enumerate(_finding_cells(r.path.name, e.code, e.name, r.year, r.status, x)):
                ws.write_string(row, k, text, f.text)
            row += 1
    ws.autofilter(0, 0, max(row - 1, 1), len(FINDINGS_HEAD) - 1)
    ws.freeze_panes(1, 0)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def write_narratives(book: Book) -> None:
    c, f = book.c, book.fmt
    ws = book.wb.add_worksheet(SHEET_TEXT)
    fields = c.form.narrative_fields
    ws.set_column(0, 1, 14)
    ws.set_column(1, 1, 26)
    ws.set_column(2, 2 + max(len(fields), 1), 60)
    ws.write_string(0, 0, f"{scope_word(c.name)}汇总数字与分单位情况（供撰写{c.name}年度报告参考）", f.title)
    row = 2
    for text in sentences(c, load_digest(c.form)):
        # Merged over 单位代码..first section (about 100 width units, 48 CJK characters a line).
        ws.merge_range(row, 0, row, 2, text, f.para)
        ws.set_row(row, 15 * (1 + (2 * len(text)) // 96))
        row += 1
    row += 1
    ws.write_string(row, 0, "各单位文字部分（每列一个部分，每行一个单位）", f.title)
    row += 1
    head_row = row
    for k, text in enumerate(("单位代码", "单位名称", *(fd.label for fd in fields))):
        ws.write_string(row, k, text, f.head)

    ids = tuple(fd.id for fd in fields)

    def rows():
        for u in c.units:
            yield [u.code, u.name, *("" if v is None else str(v)[:MAX_CELL_TEXT] for v in values_row(u.values, ids))]

    book.write_rows(ws, row + 1, len(c.units), rows(), [f.text] * (2 + len(fields)))
    row += len(c.units)
    ws.autofilter(head_row, 0, max(row, head_row + 1), 1 + len(fields))
    ws.freeze_panes(head_row + 1, 2)
    ws.set_landscape()
    ws.repeat_rows(head_row)


def write_charts(book: Book) -> None:
    c = book.c
    digest = load_digest(c.form)
    if not digest.charts:
        return
    ws = book.wb.add_worksheet(SHEET_CHARTS)
    ws.fit_to_pages(1, 0)
    ws.set_paper(9)
    f = book.fmt
    ws.set_column(0, 0, 28)
    row = 0
    for chart_spec in digest.charts:
        ws.write_string(row, 0, chart_spec.title, f.title)
        top = row + 1
        if chart_spec.kind == "by_unit":
            ws.write_string(top, 0, "单位", f.head)
            for k, m in enumerate(chart_spec.series, 1):
                ws.write_string(top, k, m.label, f.head)
            for i, u in enumerate(c.units, 1):
                ws.write_string(top + i, 0, u.name or u.code, f.text)
                for k, m in enumerate(chart_spec.series, 1):
                    ws.write_number(top + i, k, m.of(u.values), f.text)
            n = max(len(c.units), 1)
            chart = book.wb.add_chart({"type": "bar", "subtype": "stacked"})
            for k, m in enumerate(chart_spec.series, 1):
                chart.add_series({
                    "name": [SHEET_CHARTS, top, k],
                    "categories": [SHEET_CHARTS, top + 1, 0, top + n, 0],
                    "values": [SHEET_CHARTS, top + 1, k, top + n, k],
                })
            chart.set_y_axis({"reverse": True})
            chart.set_size({"width": 720, "height": max(300, 60 + 22 * n)})
            end = top + n
        else:
            ws.write_string(top, 0, "项目", f.head)
            ws.write_string(top, 1, "合计", f.head)
            for i, m in enumerate(chart_spec.series, 1):
                ws.write_string(top + i, 0, m.label, f.text)
                ws.write_number(top + i, 1, m.of(c.totals), f.text)
            n = len(chart_spec.series)
            chart = book.wb.add_chart({"type": "pie"})
            chart.add_series({
                "name": chart_spec.title,
                "categories": [SHEET_CHARTS, top + 1, 0, top + n, 0],
                "values": [SHEET_CHARTS, top + 1, 1, top + n, 1],
                "data_labels": {"value": True, "category": True, "leader_lines": True},
            })
            chart.set_size({"width": 560, "height": 340})
            end = top + max(n, 16)
        chart.set_title({"name": chart_spec.title})
        chart.set_legend({"position": "bottom"})
        ws.insert_chart(a1(top, len(chart_spec.series) + 2 if chart_spec.kind == "by_unit" else 3), chart)
        row = max(end, top + (max(300, 60 + 22 * len(c.units)) // 20 if chart_spec.kind == "by_unit" else 17)) + 2
