"""The 催报 (chase) list and the all-agencies status table, as files: ``xlflow status --csv/--xlsx``.

The states come from ``merge.status``; this module only lays them out. The .xlsx is what the
clerk prints and hands on (A4 landscape): a title, the date, the deadline when one is given,
one line per agency that still owes a usable report with what is missing or wrong in the form's
own words, and whom to call (the roster's contact columns, and the return's own 填报人).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from ..fsutil import atomic_write_bytes
from ..vocab import SHEET_FINDINGS, STATE_FAIL, STATE_MISSING, STATE_ZH
from .consolidate import Consolidation
from .pages import row_height, setup_page
from .status import StatusRow, chase_list
from .textsafe import safe_csv_cell

CHASE_HEAD = ("序号", "单位代码", "单位名称", "状态", "需要补报或更正的内容")
STATUS_HEAD = ("单位代码", "单位名称", "状态", "处理", "说明", "文件", "错误", "提示")
PROBLEMS_SHOWN = 5


def date_words(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _contact_heads(c: Consolidation) -> list[str]:
    heads: list[str] = []
    for a in c.roster or ():
        for h, _ in a.contacts:
            if h not in heads:
                heads.append(h)
    return heads


def chase_table(c: Consolidation, rows: list[StatusRow], numbered: bool = False) -> tuple[list[str], list[list[str]]]:
    """Head and lines of the 催报 list: who, what to do, whom to call, the file."""
    cf = c.form.contact_fields
    roster = {a.code: dict(a.contacts) for a in c.roster or ()}
    contact_heads = _contact_heads(c)
    own = f"报表中的{'、'.join(f.label for f in cf)}" if cf else ""
    head = [*CHASE_HEAD, *contact_heads, *([own] if own else []), "文件"]
    body = []
    for i, r in enumerate(chase_list(rows), 1):
        values = (r.entry.result.values or {}) if r.entry else {}
        filled = "；".join(f"{f.label}：{values[f.id]}" for f in cf if values.get(f.id))
        todo = r.problems(PROBLEMS_SHOWN, numbered=numbered) or ("尚未报送，请尽快报送。" if r.state == STATE_MISSING else r.note)
        line = [str(i), r.code, r.name, r.state_text, todo, *(roster.get(r.code, {}).get(h, "") for h in contact_heads)]
        body.append(line + ([filled] if own else []) + [r.file])
    return head, body


def write_chase_csv(path: Path, c: Consolidation, rows: list[StatusRow]) -> None:
    head, body = chase_table(c, rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(head)
    for line in body:
        w.writerow([safe_csv_cell(x) for x in line])
    atomic_write_bytes(path, buf.getvalue().encode("utf-8-sig"))


def write_status_xlsx(path: Path, c: Consolidation, rows: list[StatusRow], *, deadline: date | None = None,
                      today: date | None = None) -> None:
    """The 催报名单 sheet (printed as handed on) and 全部单位 (every agency's state).
    ``today`` is the date printed on the list (default: today)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    title = f"{c.name}{c.year or ''}年{c.form.spec.title}催报名单"
    wb.set_properties({"title": title, "author": c.name or "xlflow", "created": datetime(c.year or 2000, 1, 1)})
    fmt = _Formats(wb)
    _chase_sheet(wb.add_worksheet("催报名单"), fmt, c, rows, title, deadline, today or date.today())
    _all_sheet(wb.add_worksheet("全部单位"), fmt, c, rows, f"{c.name}{c.year or ''}年报表报送情况（全部单位）")
    wb.close()
    atomic_write_bytes(path, buf.getvalue())


class _Formats:
    def __init__(self, wb):
        base = {"font_name": "宋体", "font_size": 10, "border": 1, "text_wrap": True, "valign": "vcenter"}
        self.title = wb.add_format({"font_name": "宋体", "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"})
        self.line = wb.add_format({"font_name": "宋体", "font_size": 11, "valign": "vcenter", "text_wrap": True})
        self.head = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "align": "center"})
        self.cell = wb.add_format(base)
        self.center = wb.add_format({**base, "align": "center"})
        self.bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})


def _chase_sheet(ws, f: _Formats, c: Consolidation, rows: list[StatusRow], title: str, deadline: date | None, today: date) -> None:
    head, body = chase_table(c, rows, numbered=True)
    widths = {"序号": 5, "单位代码": 11, "单位名称": 22, "状态": 8, "需要补报或更正的内容": 62, "文件": 30}
    printed = len(head) - 1  # the file name is for the clerk's screen, not for the paper
    last = printed - 1
    ws.merge_range(0, 0, 0, last, title, f.title)
    ws.set_row(0, 30)
    dates = f"制表日期：{date_words(today)}" + (f"　　报送截止日期：{date_words(deadline)}" if deadline else "")
    ws.merge_range(1, 0, 1, last, dates, f.line)
    chased = chase_list(rows)
    missing = sum(1 for r in chased if r.state == STATE_MISSING)
    failed = sum(1 for r in chased if r.state == STATE_FAIL)
    summary = (f"名单内应报 {len(c.roster or ())} 个单位，需催报 {len(chased)} 个（{STATE_ZH[STATE_MISSING]} {missing} 个，"
               f"{STATE_ZH[STATE_FAIL]} {failed} 个）。" + ("请于截止日期前报送；" if deadline else "请尽快报送；")
               + "报表未通过的，请按所列内容更正后重新报送。")
    ws.merge_range(2, 0, 2, last, summary, f.line)
    width = [widths.get(h) or (24 if h.startswith("报表中的") else 14) for h in head]
    for k, text in enumerate(head):
        ws.set_column(k, k, width[k])
        ws.write_string(3, k, text, f.head)
    for i, line in enumerate(body, 4):
        for k, text in enumerate(line):
            ws.write_string(i, k, text, f.center if k in (0, 3) else f.cell)
        ws.set_row(i, row_height(list(zip(line[:printed], width))))
    end = 4 + len(body)
    if not body:
        ws.merge_range(end, 0, end, last, "名单内单位都已报送且通过校验，无需催报。", f.cell)
        end += 1
    ws.merge_range(end + 1, 0, end + 1, last, f"各项问题的详细说明见汇总表的“{SHEET_FINDINGS}”工作表；报送情况见本文件的“全部单位”工作表。", f.line)
    ws.set_row(2, row_height([(summary, sum(width[:printed]))], size=11))
    ws.freeze_panes(4, 0)
    setup_page(ws, title, landscape=True, repeat_rows=(3, 3), area=(0, 0, end + 1, last))


def _all_sheet(ws, f: _Formats, c: Consolidation, rows: list[StatusRow], title: str) -> None:
    widths = (11, 24, 12, 22, 50, 40, 5, 5)
    ws.merge_range(0, 0, 0, len(STATUS_HEAD) - 1, title, f.title)
    ws.set_row(0, 30)
    for k, (text, w) in enumerate(zip(STATUS_HEAD, widths)):
        ws.set_column(k, k, w)
        ws.write_string(1, k, text, f.head)
    for i, r in enumerate(rows, 2):
        res = r.entry.result if r.entry else None
        line = [r.code, r.name, r.state_text, r.action_text, r.note, r.file, str(res.errors) if res else "", str(res.warnings) if res else ""]
        for k, text in enumerate(line):
            ws.write_string(i, k, text, f.cell)
        ws.set_row(i, row_height(list(zip(line, widths))))
    last = 1 + max(len(rows), 1)
    for state in (STATE_FAIL, STATE_MISSING):
        ws.conditional_format(2, 2, last, 2, {"type": "text", "criteria": "begins with", "value": STATE_ZH[state], "format": f.bad})
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, last, len(STATUS_HEAD) - 1)
    setup_page(ws, title, landscape=True, repeat_rows=(1, 1))
