"""Who has reported: each roster agency's state, and the 催报 list of those still owing.

States: 已提交且通过 (valid, no warnings), 有警告 (valid with warnings), 未通过 (invalid or
unreadable), 未提交 (no return), 名单外 (a return from an agency not on the roster). The return
that decides an agency's state is the one the merge would use (same duplicate rule), so
``xlflow status`` and the summary's 填报情况 sheet always agree.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .fsutil import atomic_write_bytes
from .merge.consolidate import (
    ACTION_ZH,
    CONTAINED,
    INCLUDED,
    SUPERSEDED,
    Consolidation,
    Entry,
)
from .merge.fields import data_fields
from .merge.textsafe import safe_csv_cell

OK = "已提交且通过"
WARN = "有警告"
FAIL = "未通过"
MISSING = "未提交"
OUTSIDE = "名单外"
STATES = (OK, WARN, FAIL, MISSING, OUTSIDE)
CHASE_STATES = (MISSING, FAIL)


@dataclass
class StatusRow:
    code: str
    name: str
    state: str
    action: str  # what the merge did with the file (计入汇总 / 被替代 …), "" when no file
    note: str
    entry: Entry | None = None
    in_roster: bool = True

    @property
    def file(self) -> str:
        return self.entry.result.path.name if self.entry else ""

    def problems(self, limit: int = 3) -> str:
        if self.entry is None:
            return ""
        errors = [(f"{f.sheet}!{f.cell}：" if f.sheet and f.cell else "") + f.message for f in self.entry.result.findings if f.severity == "error"]
        text = "；".join(errors[:limit])
        return text + (f"；等共{len(errors)}处错误" if len(errors) > limit else "")


def file_state(entry: Entry) -> str:
    r = entry.result
    if r.status != "valid":
        return FAIL
    return WARN if r.warnings else OK


def status_rows(c: Consolidation) -> list[StatusRow]:
    """Roster agencies first (roster order), then every other file seen."""
    rows: list[StatusRow] = []
    used: set[int] = set()
    deciding = {e.code: e for e in c.entries if e.code and e.action != SUPERSEDED}
    for e in c.entries:  # a file nobody can identify still tells who tried to report
        guess = guess_agency(e, c.roster or ())
        if guess is not None and guess.code not in deciding:
            deciding[guess.code] = e
    holder = {m: u for u in c.units for m in u.members}
    for agency in c.roster or ():
        e = deciding.get(agency.code)
        if e is None:
            if agency.code in holder:
                u = holder[agency.code]
                rows.append(StatusRow(agency.code, agency.name, file_state(u.entry), ACTION_ZH[CONTAINED], f"未单独报送，数据含在“{u.name}”的汇总报表中"))
            else:
                rows.append(StatusRow(agency.code, agency.name, MISSING, "", "没有收到报表"))
            continue
        used.add(id(e))
        note = e.note if e.code else f"{e.note}；文件中没有可识别的单位信息，按文件名判断为本单位的报表"
        rows.append(StatusRow(agency.code, agency.name, file_state(e), ACTION_ZH[e.action], note, e))
    for e in c.entries:
        if id(e) in used:
            continue
        outside = c.roster is not None and bool(e.code) and e.action != SUPERSEDED and not any(a.code == e.code for a in c.roster)
        state = OUTSIDE if outside else file_state(e)
        note = e.note or ("未能识别报送单位" if not e.code else "")
        rows.append(StatusRow(e.code, e.name, state, ACTION_ZH[e.action], note, e, in_roster=not outside and c.roster is not None))
    return rows


def guess_agency(e: Entry, roster) -> object | None:
    """For a file without readable identity only: the one roster agency its file name names."""
    if e.code:
        return None
    stem = e.result.path.stem
    hits = [a for a in roster if a.code in stem or a.name in stem]
    return hits[0] if len(hits) == 1 else None


def counts(rows: list[StatusRow]) -> Counter:
    return Counter(r.state for r in rows if r.action != ACTION_ZH[SUPERSEDED])


def chase_list(rows: list[StatusRow]) -> list[StatusRow]:
    """Roster agencies that still owe a usable report."""
    return [r for r in rows if r.in_roster and r.state in CHASE_STATES and r.action != ACTION_ZH[SUPERSEDED]]


def contact_fields(form) -> list:
    """Who to call: the required one-line text fields of the return (填报人, 联系电话 …)."""
    return [f for f in data_fields(form) if f.is_input and f.required and f.type.spec.kind == "text" and not f.type.spec.multiline]


CHASE_HEAD = ("序号", "单位代码", "单位名称", "状态", "问题摘要", "文件")


def chase_table(c: Consolidation, rows: list[StatusRow]) -> tuple[list[str], list[list[str]]]:
    cf = contact_fields(c.form)
    head = [*CHASE_HEAD, *(f.label for f in cf)]
    body = []
    for i, r in enumerate(chase_list(rows), 1):
        values = (r.entry.result.values or {}) if r.entry else {}
        body.append([str(i), r.code, r.name, r.state, r.problems() or r.note, r.file, *(str(values.get(f.id) or "") for f in cf)])
    return head, body


def write_chase_csv(path: Path, c: Consolidation, rows: list[StatusRow]) -> None:
    head, body = chase_table(c, rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(head)
    for line in body:
        w.writerow([safe_csv_cell(x) for x in line])
    atomic_write_bytes(path, buf.getvalue().encode("utf-8-sig"))


STATUS_HEAD = ("单位代码", "单位名称", "状态", "处理", "说明", "文件", "错误", "警告")


def write_status_xlsx(path: Path, c: Consolidation, rows: list[StatusRow]) -> None:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    from datetime import datetime

    wb.set_properties({"title": f"{c.name}{c.year or ''}年报送情况", "author": "xlflow", "created": datetime(c.year or 2000, 1, 1)})
    head_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    cell_fmt = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    head, body = chase_table(c, rows)
    ws = wb.add_worksheet("催报名单")
    _table(ws, head, body, head_fmt, cell_fmt, (6, 14, 30, 10, 60, 30, 14, 16))
    ws2 = wb.add_worksheet("全部单位")
    all_rows = [[r.code, r.name, r.state, r.action, r.note, r.file, str(r.entry.result.errors) if r.entry else "", str(r.entry.result.warnings) if r.entry else ""] for r in rows]
    _table(ws2, list(STATUS_HEAD), all_rows, head_fmt, cell_fmt, (14, 30, 12, 22, 50, 40, 6, 6))
    ws2.conditional_format(1, 2, max(1, len(all_rows)), 2, {"type": "text", "criteria": "begins with", "value": "未", "format": bad})
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


def included(rows: list[StatusRow]) -> int:
    return sum(1 for r in rows if r.action == ACTION_ZH[INCLUDED])
