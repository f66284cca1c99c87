"""The summary's list sheets: 填报情况 and 问题清单.

Every string that came from a returned file is written with ``write_string``: a unit name or a
narrative that starts with "=" stays text.
"""

from __future__ import annotations

from typing import Protocol

from ..findings import rule_names
from ..results import Finding
from ..vocab import (
    FILE_STATUS_ZH,
    SEVERITIES,
    SEVERITY_ZH,
    SHEET_FINDINGS,
    SHEET_STATUS,
    STATE_ZH,
    SUPERSEDED,
    format_number,
    place_words,
)
from .consolidate import Consolidation
from .pages import row_height, setup_page
from .status import BAD_STATES, counts_line, guess_agency, status_rows


class Book(Protocol):
    """What the list sheets need of the workbook being built (``workbook.SummaryBook``)."""

    c: Consolidation
    wb: object
    fmt: object
    styles: object
    title: str  # the workbook's title, printed at the top of every page

    def write_rows(self, ws, first_row: int, count: int, rows, formats) -> None: ...


# Printed columns first; the file's hash, the program that saved it and the other technical
# columns follow, outside the printed area (``*_PRINTED`` columns print).
STATUS_HEAD = ("单位代码", "单位名称", "状态", "处理", "说明", "错误", "提示", "信息", "文件", "SHA-256", "保存程序", "年度", "统计范围")
STATUS_WIDTHS = (11, 24, 12, 16, 62, 5, 5, 5, 40, 20, 18, 7, 9)
STATUS_PRINTED = 8  # the file name and what follows stay on screen
FINDINGS_HEAD = ("单位代码", "单位名称", "级别", "问题", "位置", "问题说明", "文件", "年度", "文件状态", "规则代码", "工作表", "单元格", "字段",
                 "行标签", "列标签", "应为", "实际")
FINDINGS_WIDTHS = (11, 20, 6, 20, 30, 62, 40, 8, 10, 14, 16, 8, 24, 30, 20, 14, 14)
FINDINGS_PRINTED = 6


def _height(cells: list[str], widths) -> float:
    """A row tall enough for its printed cells' wrapped text."""
    return row_height(list(zip(cells, widths)))


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
    ws.merge_range(0, 0, 0, STATUS_PRINTED - 1, f"{book.c.name}{book.c.year or ''}年报表收集情况", f.title)
    summary = f"共收到 {len(c.entries)} 个文件；计入汇总 {len(c.units)} 个单位。{line}" + (f"；被替代的重复报表 {superseded} 份" if superseded else "") + "。"
    ws.merge_range(1, 0, 1, STATUS_PRINTED - 1, summary, f.para)
    _header(ws, f.head, STATUS_HEAD, STATUS_WIDTHS, row=2)
    for i, r in enumerate(rows, 3):
        res = r.entry.result if r.entry else None
        counts = [str(sum(1 for x in res.findings if x.severity == sev)) for sev in SEVERITIES] if res else ["", "", ""]
        cells = [
            r.code, r.name, r.state_text, r.action_text, r.note, *counts, r.file,
            res.sha256 if res else "", res.application if res else "",
            str(res.year or "") if res else "", (res.scope or "") if res else "",
        ]
        for k, text in enumerate(cells):
            ws.write_string(i, k, text, f.text)
        ws.set_row(i, _height(cells, STATUS_WIDTHS[:STATUS_PRINTED]))
    last = 2 + max(len(rows), 1)
    ws.autofilter(2, 0, last, len(STATUS_HEAD) - 1)
    ws.freeze_panes(3, 2)
    bad = book.styles.bad()
    for state in BAD_STATES:
        ws.conditional_format(3, 2, last, 2, {"type": "text", "criteria": "begins with", "value": STATE_ZH[state], "format": bad})
    setup_page(ws, book.title, landscape=True, repeat_rows=(2, 2), area=(0, 0, last, STATUS_PRINTED - 1))


def _finding_cells(names: dict[str, str], path_name: str, code: str, name: str, year, status: str, x: Finding) -> list[str]:
    return [
        code, name, SEVERITY_ZH.get(x.severity, x.severity), names.get(x.rule, x.rule),
        place_words(x.sheet, x.row_label, x.col_label), x.message,
        path_name, str(year or ""), FILE_STATUS_ZH.get(status, status), x.rule,
        x.sheet or "", x.cell or "", x.field or "", x.row_label or "", x.col_label or "",
        "" if x.expected is None else format_number(x.expected), "" if x.actual is None else format_number(x.actual),
    ]


def write_findings(book: Book) -> None:
    c, f = book.c, book.fmt
    ws = book.wb.add_worksheet(SHEET_FINDINGS)
    names = rule_names(c.form)
    ws.merge_range(0, 0, 0, FINDINGS_PRINTED - 1, f"{c.name}{c.year or ''}年报表问题清单（按文件）", f.title)
    _header(ws, f.head, FINDINGS_HEAD, FINDINGS_WIDTHS, row=1)
    row = 2
    for e in c.entries:
        r = e.result
        code, name = e.code, e.name
        if not code:  # a file that names no agency: whose it seems to be, else the file itself
            guess = guess_agency(e, c.roster or ())
            code, name = (guess.code, f"{guess.name}（按文件名）") if guess else ("", r.path.name)
        for x in r.findings:
            cells = _finding_cells(names, r.path.name, code, name, r.year, r.status, x)
            for k, text in enumerate(cells):
                ws.write_string(row, k, text, f.text)
            ws.set_row(row, _height(cells, FINDINGS_WIDTHS[:FINDINGS_PRINTED]))
            row += 1
    if row == 2:
        ws.merge_range(2, 0, 2, FINDINGS_PRINTED - 1, "没有发现问题。", f.text)
        row += 1
    ws.autofilter(1, 0, row - 1, len(FINDINGS_HEAD) - 1)
    ws.freeze_panes(2, 0)
    setup_page(ws, book.title, landscape=True, repeat_rows=(1, 1), area=(0, 0, row - 1, FINDINGS_PRINTED - 1))
