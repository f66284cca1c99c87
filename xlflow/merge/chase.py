"""The 催报 (chase) list and the all-agencies status table, as files: ``xlflow status --csv/--xlsx``.

The states come from ``merge.status``; this module only lays them out.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import xlsxwriter

from ..fsutil import atomic_write_bytes
from .consolidate import Consolidation
from ..vocab import STATE_FAIL, STATE_MISSING, STATE_ZH
from .status import StatusRow, chase_list
from .textsafe import safe_csv_cell

CHASE_HEAD = ("序号", "单位代码", "单位名称", "状态", "问题摘要", "文件")
STATUS_HEAD = ("单位代码", "单位名称", "状态", "处理", "说明", "文件", "错误", "警告")


def chase_table(c: Consolidation, rows: list[StatusRow]) -> tuple[list[str], list[list[str]]]:
    cf = c.form.contact_fields
    head = [*CHASE_HEAD, *(f.label for f in cf)]
    body = []
    for i, r in enumerate(chase_list(rows), 1):
        values = (r.entry.result.values or {}) if r.entry else {}
        body.append([str(i), r.code, r.name, r.state_text, r.problems() or r.note, r.file, *(str(values.get(f.id) or "") for f in cf)])
    return head, body


def write_chase_csv(path: Path, c: Consolidation, rows: list[StatusRow]) -> None:
    head, body = chase_table(c, rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(head)
    for line in body:
        w.writerow([safe_csv_cell(x) for x in line])
    atomic_write_bytes(path, buf.getvalue().encode("utf-8-sig"))


def write_status_xlsx(path: Path, c: Consolidation, rows: list[StatusRow]) -> None:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": f"{c.name}{c.year or ''}年报送情况", "author": "xlflow", "created": datetime(c.year or 2000, 1, 1)})
    head_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    cell_fmt = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    head, body = chase_table(c, rows)
    ws = wb.add_worksheet("催报名单")
    _table(ws, head, body, head_fmt, cell_fmt, (6, 14, 30, 10, 60, 30, 14, 16))
    ws2 = wb.add_worksheet("全部单位")
    all_rows = [[r.code, r.name, r.state_text, r.action_text, r.note, r.file, str(r.entry.result.errors) if r.entry else "", str(r.entry.result.warnings) if r.entry else ""] for r in rows]
    _table(ws2, list(STATUS_HEAD), all_rows, head_fmt, cell_fmt, (14, 30, 12, 22, 50, 40, 6, 6))
    for state in (STATE_FAIL, STATE_MISSING):
        ws2.conditional_format(1, 2, max(1, len(all_rows)), 2, {"type": "text", "criteria": "begins with", "value": STATE_ZH[state], "format": bad})
    wb.close()
    atomic_write_bytes(path, buf.getvalue())


def _table(ws, head, body, head_fmt, cell_fmt, widths) -> None:
    for k, w in enumerate(widths[: len(head)]):
        ws.set_column(k, k, w)
    for k, text in enumerate(head):
        ws.write_string(0, k, text, head_fmt)
    for i, line in enumerate(body, 1):
        for k, text in enumerate(line):
            ws.write_string(i, k, str(text), cell_fmt)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(1, len(body)), len(head) - 1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
