"""The summary workbook: 汇总, 明细, 填报情况, 问题清单, 文字汇编, 图表 and the hidden _xlflow.

Layout comes from the form: 汇总 stacks the form's numeric table sheets with their own labels,
merges and cell positions (shifted down), and every number there is ``SUM`` over its column of
明细, cached with the correct value so a viewer that does not recalculate shows the truth.
The same inputs give byte-identical bytes: fixed creation date, fixed zip timestamps, units
in roster order, no paths or clock readings in the content.
"""

from __future__ import annotations

import io
from datetime import datetime

import xlsxwriter

from .. import summaryfile
from ..cells import a1, col_index, col_letter, quote_sheet
from ..form import FieldDef
from ..template import META_SHEET, Stamp
from ..template.styles import Styles
from ..template.writer import DEFAULT_ROW_HEIGHT, wrapped_row_height
from ..totals import values_row
from ..vocab import SHEET_DETAIL, SHEET_STATUS, SHEET_TOTAL
from .consolidate import Consolidation
from .sheets import write_charts, write_findings, write_narratives, write_status
from .stream import RowTail, cell_value, splice

DETAIL_LEAD = ("单位代码", "单位名称", "统计范围", "所含单位", "文件")
DETAIL_FIRST_ROW = 2  # 0-based: row 0 field ids, row 1 labels (filter row), data from row 2


class SummaryBook:
    def __init__(self, c: Consolidation):
        self.c = c
        self.buf = io.BytesIO()
        self.wb = xlsxwriter.Workbook(
            self.buf,
            {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        self.styles = Styles(self.wb)
        self.fmt = _Formats(self.wb)
        self.numbers = c.form.numeric_fields
        self.detail_col = {f.id: len(DETAIL_LEAD) + k for k, f in enumerate(self.numbers)}
        self.total_pos: dict[str, tuple[int, int]] = {}
        self.tails: list[RowTail] = []

    # -- whole book ----------------------------------------------------------------------------
    def build(self) -> bytes:
        c = self.c
        year = c.year or 2000
        self.wb.set_properties(
            {
                "title": f"{c.name}{c.year or ''}年{c.form.spec.title}汇总",
                "subject": f"{c.form.spec.title}（{c.form.spec.basis}）",
                "author": "xlflow",
                "company": "",
                "comments": f"{c.form.form_id} {c.form.version}",
                "created": datetime(year, 1, 1),  # fixed: same inputs, same bytes
            }
        )
        for key, value in summaryfile.identity(c.form, c.year, c.code, c.name).items():
            self.wb.set_custom_property(key, value)
        total_ws = self.wb.add_worksheet(SHEET_TOTAL)
        detail_ws = self.wb.add_worksheet(SHEET_DETAIL)
        self.write_detail(detail_ws)
        self.write_total(total_ws)
        write_status(self)
        write_findings(self)
        write_narratives(self)
        write_charts(self)
        self.write_meta()
        self.wb.close()
        return splice(self.buf.getvalue(), self.tails)

    # -- 明细 ----------------------------------------------------------------------------------
    def write_detail(self, ws) -> None:
        c, f = self.c, self.fmt
        widths = (14, 30, 8, 24, 30)
        for k, w in enumerate(widths):
            ws.set_column(k, k, w)
        ws.set_column(len(DETAIL_LEAD), len(DETAIL_LEAD) + len(self.numbers), 11)
        for k, text in enumerate(DETAIL_LEAD):
            ws.write_string(0, k, "", f.small)
            ws.write_string(1, k, text, f.head)
        for fd in self.numbers:
            col = self.detail_col[fd.id]
            ws.write_string(0, col, fd.id, f.small)
            ws.write_string(1, col, f"{fd.sheet}：{fd.label}", f.head)
        ws.set_row(1, 90)
        known = self.member_name_map()
        ids = tuple(fd.id for fd in self.numbers)

        def rows():
            for u in c.units:
                names = "、".join(known.get(m, m) for m in u.members)
                lead = [u.code, u.name, u.scope, names, u.entry.result.path.name]
                yield lead + [v if type(v) in _NUMBER else cell_value(v) for v in values_row(u.values, ids)]

        formats = [f.text] * len(DETAIL_LEAD) + [f.number(fd) for fd in self.numbers]
        self.write_rows(ws, DETAIL_FIRST_ROW, len(c.units), rows(), formats)
        last = DETAIL_FIRST_ROW + max(len(c.units), 1) - 1
        ws.autofilter(1, 0, last, len(DETAIL_LEAD) + len(self.numbers) - 1)
        ws.freeze_panes(DETAIL_FIRST_ROW, 2)

    def member_name_map(self) -> dict[str, str]:
        """Agency code -> name, from the roster and every file seen (built once: a summary
        lists its members by code, and the clerk reads names)."""
        known = {a.code: a.name for a in self.c.roster or ()}
        known.update({e.code: e.name for e in self.c.entries if e.code and e.name})
        return known

    def write_rows(self, ws, first_row: int, count: int, rows, formats) -> None:
        """One row per unit: the first through xlsxwriter (so every format gets its style
        index), the rest streamed into the finished package (``stream.splice``)."""
        rows = iter(rows)
        for i, values in enumerate(rows):
            for k, value in enumerate(values):
                fmt = formats[k] if k < len(formats) else None
                if value is None:
                    ws.write_blank(first_row, k, None, fmt)
                elif isinstance(value, str):
                    ws.write_string(first_row, k, value, fmt)
                else:
                    ws.write_number(first_row, k, value, fmt)
            self.tails.append(RowTail(ws, first_row + 1, count - 1, len(values), rows, formats))
            break

    def detail_sum(self, field_id: str) -> str:
        letter = col_letter(self.detail_col[field_id])
        first, last = DETAIL_FIRST_ROW + 1, DETAIL_FIRST_ROW + len(self.c.units)
        return f"=SUM({quote_sheet(SHEET_DETAIL)}!{letter}{first}:{letter}{last})"

    # -- 汇总 ----------------------------------------------------------------------------------
    def write_total(self, ws) -> None:
        c, form = self.c, self.c.form
        tables = form.table_sheets
        widths: dict[int, float] = {}
        for s in tables:
            for letters, w in s.spec.columns.items():
                widths[col_index(letters)] = max(widths.get(col_index(letters), 0), w)
        span = max([max(widths, default=3)] + [lb.merge[3] if lb.merge else lb.col for s in tables for lb in s.labels])
        for col in range(span + 1):
            ws.set_column(col, col, widths.get(col, 10))
        ws.merge_range(0, 0, 0, span, f"{c.name}{c.year or ''}年{form.spec.title}汇总表", self.styles.label("title"))
        ws.merge_range(1, 0, 1, span, self.scope_line(), self.styles.label("hint"))
        stamp = Stamp(f"{c.name}（汇总）", c.code, c.year or 0)
        row = TOTAL_FIRST_ROW
        heights: dict[int, float] = {}
        for s, row in table_offsets(form):
            for lb in s.labels:
                fmt = self.styles.label(lb.style)
                text = stamp.fill(lb.text)
                r1, c1, r2, c2 = lb.merge or (lb.row, lb.col, lb.row, lb.col)
                if lb.merge:
                    ws.merge_range(row + r1, c1, row + r2, c2, text, fmt)
                else:
                    ws.write_string(row + lb.row, lb.col, text, fmt)
                if r1 == r2 and lb.style not in ("title", "subtitle"):
                    # long labels (表三（六）) wrap: no application autofits a generated file's rows
                    width = sum(widths.get(k, 10) for k in range(c1, c2 + 1))
                    heights[row + r1] = max(heights.get(row + r1, 0), wrapped_row_height(text, width))
            for fd in s.fields:
                self.write_total_cell(ws, row, fd)
            row += _height(s) + 1
        for r, h in heights.items():
            if h > DEFAULT_ROW_HEIGHT:
                ws.set_row(r, h)
        row = self.write_other_totals(ws, row, {s.name for s in tables}, span)
        self.write_checks(ws, row + 1, span)
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_landscape()
        ws.set_footer("&C第 &P 页，共 &N 页")

    def scope_line(self) -> str:
        c = self.c
        text = f"汇总单位：{c.name}（代码 {c.code}）；计入汇总 {len(c.units)} 个单位"
        if c.roster is not None:
            text += f"；名单内应报 {len(c.roster)} 个，未计入 {len(c.missing)} 个（见“{SHEET_STATUS}”）"
        return text + f"。每个数字为“{SHEET_DETAIL}”工作表对应列的合计。"

    def write_total_cell(self, ws, offset: int, fd: FieldDef) -> None:
        r, col = offset + fd.row, fd.col
        fmt = self.styles.derived(fd.type.spec.num_format)
        if fd.merge:
            r1, c1, r2, c2 = fd.merge
            ws.merge_range(offset + r1, c1, offset + r2, c2, "", fmt)
        value = self.c.totals.get(fd.id, 0)
        if self.c.units:
            ws.write_formula(r, col, self.detail_sum(fd.id), fmt, value)
        else:
            ws.write_number(r, col, 0, fmt)
        self.total_pos[fd.id] = (r, col)

    def write_other_totals(self, ws, row: int, table_names: set[str], span: int) -> int:
        others = [fd for fd in self.c.form.summable_fields if fd.sheet not in table_names]
        if not others:
            return row
        ws.merge_range(row, 0, row, span, "其他数字汇总", self.styles.label("section"))
        row += 1
        label_end = max(1, min(span - 1, 2))
        for fd in others:
            ws.merge_range(row, 0, row, label_end, f"{fd.sheet}：{fd.label}", self.styles.label("label"))
            fmt = self.styles.derived(fd.type.spec.num_format)
            col = label_end + 1
            if self.c.units:
                ws.write_formula(row, col, self.detail_sum(fd.id), fmt, self.c.totals.get(fd.id, 0))
            else:
                ws.write_number(row, col, 0, fmt)
            self.total_pos[fd.id] = (row, col)
            row += 1
        return row + 1

    def write_checks(self, ws, row: int, span: int) -> None:
        """Rules re-run on the totals, as live formulas over the 汇总 cells."""
        checks = self.c.checks
        if not checks:
            return
        st = self.styles
        ws.merge_range(row, 0, row, span, "汇总数校验（按报表定义的规则对合计数重新核对）", st.label("section"))
        row += 1
        heads = ("规则", "检查内容", "结果", "说明")
        bounds = ((0, 0), (1, 2), (3, 3), (4, span))
        for text, (c1, c2) in zip(heads, bounds):
            _cell(ws, row, c1, c2, text, st.label("header"))
        row += 1

        def ref(fid: str) -> str:
            r, c = self.total_pos[fid]
            return a1(r, c)

        for chk in checks:
            inst = chk.rule
            title = inst.rule.title + (f"（{'、'.join(inst.labels.values())}）" if inst.labels else "")
            _cell(ws, row, 0, 0, inst.key, st.label("label"))
            _cell(ws, row, 1, 2, title, st.label("label"))
            formula = f'=IF({inst.expr.to_excel(ref, lambda ids: ",".join(ref(i) for i in ids))},"✓","✗")'
            ws.write_formula(row, 3, formula, st.check(), "✓" if chk.ok else "✗")
            if chk.ok:
                note = "通过"
            else:
                note = chk.message
                if chk.failing_units:
                    note += f"（本规则在这些单位的报表中也不成立：{'、'.join(chk.failing_units)}）"
                else:
                    note += "（各单位报表均满足本规则，合计不满足说明该规则不能逐项相加，仅供参考）"
            _cell(ws, row, 4, span, note, st.label("label"))
            row += 1
        rng = (row - len(checks), 3, row - 1, 3)
        ws.conditional_format(*rng, {"type": "cell", "criteria": "==", "value": '"✗"', "format": st.bad()})
        ws.conditional_format(*rng, {"type": "cell", "criteria": "==", "value": '"✓"', "format": st.good()})

    # -- values and meta -------------------------------------------------------------------------
    def write_meta(self) -> None:
        c = self.c
        ws = self.wb.add_worksheet(META_SHEET)
        row = 0
        identity = summaryfile.identity(c.form, c.year, c.code, c.name)
        if c.roster is not None:
            identity.update(summaryfile.roster_identity(len(c.roster), [(a.code, a.name) for a in c.missing]))
        for key, value in identity.items():
            ws.write_string(row, 0, key)
            ws.write_string(row, 1, value)
            row += 1
        row += 1
        ids = tuple(fd.id for fd in c.form.data_fields)
        for k, text in enumerate(summaryfile.table_header(c.form)):
            ws.write_string(row, k, text)

        def rows():
            for u in c.units:
                lead = summaryfile.row_lead(u.code, u.name, u.scope, u.members)
                yield lead + [v if type(v) in _NUMBER else cell_value(v) for v in values_row(u.values, ids)]

        self.write_rows(ws, row + 1, len(c.units), rows(), [])
        ws.very_hidden()


TOTAL_FIRST_ROW = 3
_NUMBER = (int, float)


def _height(s) -> int:
    return 1 + max([lb.merge[2] if lb.merge else lb.row for lb in s.labels] + [fd.merge[2] if fd.merge else fd.row for fd in s.fields])


def table_offsets(form) -> list:
    """(table sheet, first row on 汇总) for each numeric table of the form, stacked."""
    out, row = [], TOTAL_FIRST_ROW
    for s in form.table_sheets:
        out.append((s, row))
        row += _height(s) + 1
    return out


def total_positions(form) -> dict[str, tuple[int, int]]:
    """Where each table field's total sits on 汇总 (0-based row, col): the form's own cell,
    shifted down to its table's place."""
    return {fd.id: (off + fd.row, fd.col) for s, off in table_offsets(form) for fd in s.fields}


def _cell(ws, row: int, c1: int, c2: int, text: str, fmt) -> None:
    if c2 > c1:
        ws.merge_range(row, c1, row, c2, text, fmt)
    else:
        ws.write_string(row, c1, text, fmt)


class _Formats:
    """Formats of the sheets that are lists rather than official tables."""

    def __init__(self, wb):
        base = {"font_name": "宋体", "font_size": 10, "valign": "top", "border": 1}
        self.wb = wb
        self.head = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "vcenter"})
        self.text = wb.add_format({**base, "text_wrap": True, "num_format": "@"})
        self.small = wb.add_format({"font_size": 8, "font_color": "#7F7F7F"})
        self.title = wb.add_format({"font_name": "宋体", "bold": True, "font_size": 14})
        self.para = wb.add_format({"font_name": "宋体", "font_size": 11, "text_wrap": True, "valign": "top"})
        self._num: dict[str, object] = {}
        self.base = base

    def number(self, fd: FieldDef):
        nf = fd.type.spec.num_format or "General"
        if nf not in self._num:
            self._num[nf] = self.wb.add_format({**self.base, "num_format": nf, "valign": "vcenter"})
        return self._num[nf]


def build_summary(c: Consolidation) -> bytes:
    """The summary workbook's bytes (write them with ``fsutil.atomic_write_bytes``)."""
    return SummaryBook(c).build()


__all__ = ["SummaryBook", "build_summary", "table_offsets", "total_positions"]
