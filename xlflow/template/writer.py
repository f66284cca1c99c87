"""Lay out one template workbook with xlsxwriter, entirely from the compiled ``Form``.

Nothing here knows about the 2021 form: sheets, labels, fields, formulas, validation and live
checks all come from the definition. Totals are written as formulas *with* their cached value
(computed by the same expressions in Python), so a program that does not recalculate still
shows correct numbers.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import xlsxwriter

from .. import __version__
from ..cells import a1, col_index, col_letter, parse_a1, parse_range, quote_sheet
from ..form import FieldDef, Form, RuleInstance, SheetDef, excel_range_list
from ..vocab import SEVERITY_ZH
from .styles import Styles

META_SHEET = "_xlflow"
MULTILINE_ROW_HEIGHT = 150
DEFAULT_COL_WIDTH = 8.43
DEFAULT_ROW_HEIGHT = 15.0
LINE_HEIGHT = 13.5


def wrapped_row_height(text: str, width: float) -> float:
    """Height for wrapped text: no spreadsheet program autofits rows of a generated file, so a
    long label (the two （六） rows of table 三) would otherwise be cut off on screen and paper.
    A CJK character takes about two width units of a column."""
    units = sum(2 if ord(ch) > 0x2E7F else 1.1 for ch in text)
    lines = max(1, -(-int(units) // max(1, int(width * 0.95))))
    return max(DEFAULT_ROW_HEIGHT, lines * LINE_HEIGHT + 3)


@dataclass(frozen=True)
class Stamp:
    """What makes one copy an agency's own."""

    agency_name: str
    agency_code: str
    year: int

    def fill(self, text: str) -> str:
        return (
            text.replace("{agency_name}", self.agency_name)
            .replace("{agency_code}", self.agency_code)
            .replace("{year}", str(self.year))
        )


def identity_properties(form: Form, stamp: Stamp) -> dict[str, str]:
    """What the reader checks first: stored as custom document properties and on the hidden
    metadata sheet (LibreOffice keeps the sheet even where it may drop properties)."""
    return {
        "xlflow_form_id": form.form_id,
        "xlflow_form_version": form.version,
        "xlflow_year": str(stamp.year),
        "xlflow_agency_code": stamp.agency_code,
        "xlflow_agency_name": stamp.agency_name,
        "xlflow_fingerprint": form.fingerprint,
        "xlflow_generator": f"xlflow {__version__}",
    }


def build_xlsx(form: Form, stamp: Stamp, password: str, values: Mapping[str, object] | None = None) -> bytes:
    """The workbook as xlsxwriter writes it (the packager adds structure protection).

    ``values`` (field id -> value) fills input cells, as an agency would; every formula then
    caches the result for those values, like a workbook saved by Excel."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    wb.set_properties(
        {
            "title": stamp.fill(f"{{agency_name}}{{year}}年{form.spec.title}"),
            "subject": f"{form.spec.title}（{form.spec.basis}）",
            "author": "xlflow",
            "company": "",
            "comments": f"{form.form_id} {form.version}",
            # Fixed: the same definition, roster and year must give byte-identical files.
            "created": datetime(stamp.year, 1, 1),
        }
    )
    for name, value in identity_properties(form, stamp).items():
        wb.set_custom_property(name, value)

    filled: dict[str, object] = {f.id: f.default for f in form.fields.values()}
    for fid, value in (values or {}).items():
        if fid in form.fields and form.fields[fid].is_input:
            filled[fid] = value
    for f in form.fields.values():
        if f.stamp:
            filled[f.id] = stamp.year if f.stamp == "year" else getattr(stamp, f.stamp)
    # Formulas cache what Excel would compute: a blank (or text) number cell counts as 0 in SUM.
    calc = {
        fid: (0 if form.fields[fid].type.numeric and not isinstance(v, (int, float)) else v) for fid, v in filled.items()
    }
    form.compute_derived(calc)
    for d in form.derived:
        filled[d.field_id] = calc[d.field_id]
    styles = Styles(wb)
    for sheet in form.sheets:
        _SheetWriter(wb, styles, form, sheet, stamp, filled, calc, password).write()
    _write_meta_sheet(wb, form, stamp, password)
    for f in form.fields.values():
        wb.define_name(f.defined_name, f"={quote_sheet(f.sheet)}!${col_letter(f.col)}${f.row + 1}")
    wb.close()
    return buf.getvalue()


class _SheetWriter:
    def __init__(self, wb, styles, form: Form, sheet: SheetDef, stamp: Stamp, cells: dict, calc: dict, password: str):
        self.wb, self.styles, self.form, self.sheet, self.stamp = wb, styles, form, sheet, stamp
        self.cells = cells  # what each field cell holds
        self.values = calc  # the same as Excel sees it in formulas: the cached results
        self.password = password
        self.ws = wb.add_worksheet(sheet.name)

    # -- references --------------------------------------------------------------------------
    def ref(self, field_id: str) -> str:
        f = self.form.fields[field_id]
        return f.cell if f.sheet == self.sheet.name else f"{quote_sheet(f.sheet)}!{f.cell}"

    def sum_ref(self, ids: list[str]) -> str:
        return excel_range_list(self.form, ids, self.sheet.name)

    def formula(self, expr) -> str:
        return "=" + expr.to_excel(self.ref, self.sum_ref)

    # -- sheet -------------------------------------------------------------------------------
    def write(self) -> None:
        spec, ws = self.sheet.spec, self.ws
        for letters, width in spec.columns.items():
            c = col_index(letters)
            ws.set_column(c, c, width)
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)  # fit to width, as many pages tall as needed
        ws.center_horizontally()
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.set_footer("&C第 &P 页，共 &N 页")
        if spec.landscape:
            ws.set_landscape()
        if spec.repeat_rows:
            first, last = spec.repeat_rows.split(":")
            ws.repeat_rows(int(first) - 1, int(last) - 1)
        if spec.freeze:
            ws.freeze_panes(spec.freeze)
        for lb in self.sheet.labels:
            text = self.stamp.fill(lb.text)
            fmt = self.styles.label(lb.style)
            if lb.merge:
                ws.merge_range(*lb.merge, text, fmt)
            else:
                ws.write_string(lb.row, lb.col, text, fmt)
        heights: dict[int, float] = {}
        for lb in self.sheet.labels:
            r1, c1, r2, c2 = lb.merge or (lb.row, lb.col, lb.row, lb.col)
            if r1 == r2 and lb.style not in ("title", "subtitle"):
                width = sum(spec.columns.get(col_letter(c), DEFAULT_COL_WIDTH) for c in range(c1, c2 + 1))
                heights[r1] = max(heights.get(r1, 0), wrapped_row_height(self.stamp.fill(lb.text), width))
        for f in self.sheet.fields:
            self.write_field(f)
            if f.type.spec.multiline:
                heights[f.row] = MULTILINE_ROW_HEIGHT
        for r, h in sorted(heights.items()):
            if h > DEFAULT_ROW_HEIGHT:
                ws.set_row(r, h)
        if spec.kind == "guide":
            self.write_guide()
        self.write_shown_checks()
        if spec.checks_panel:
            self.write_checks_panel()
        ws.protect(
            self.password,
            {"format_columns": True, "format_rows": True, "select_locked_cells": True, "select_unlocked_cells": True},
        )

    def write_field(self, f: FieldDef) -> None:
        ws, t = self.ws, f.type.spec
        value = self.cells.get(f.id)
        if f.stamp:
            fmt = self.styles.stamp()
        elif f.derived:
            fmt = self.styles.derived(t.num_format)
        else:
            fmt = self.styles.input(t.kind, t.num_format, t.multiline)
        if f.merge:
            ws.merge_range(*f.merge, "", fmt)
        if f.derived:
            ws.write_formula(f.row, f.col, self.formula(f.derived.expr), fmt, value)
        elif isinstance(value, (date, datetime)):
            ws.write_datetime(f.row, f.col, value, fmt)
        elif isinstance(value, (int, float)):
            ws.write_number(f.row, f.col, value, fmt)
        elif isinstance(value, str) and value:
            ws.write_string(f.row, f.col, value, fmt)
        else:
            ws.write_blank(f.row, f.col, None, fmt)
        if f.is_input:
            ws.data_validation(f.row, f.col, f.row, f.col, _validation(f))

    def write_guide(self) -> None:
        ws, fmt = self.ws, self.styles.text()
        row = 3
        for i, line in enumerate(self.form.spec.instructions, 1):
            ws.write_string(row, 0, f"{i}.", fmt)
            ws.write_string(row, 1, self.stamp.fill(line), fmt)
            row += 1
        row += 1
        panel = next((s.name for s in self.form.sheets if s.spec.checks_panel is not None), None)
        where = f"（在“{panel}”工作表显示结果）" if panel else ""
        ws.write_string(row, 1, f"自动校验规则{where}：", self.styles.label("section"))
        row += 1
        for spec in self.form.spec.rules:
            if spec.needs_previous:
                continue
            ws.write_string(row, 0, spec.id, fmt)
            ws.write_string(row, 1, f"【{SEVERITY_ZH[spec.severity]}】{spec.title}：{spec.description.strip()}", fmt)
            row += 1

    def write_shown_checks(self) -> None:
        """Per-column check rows under a table (R1 under table 三), mirroring its 勾稽 note."""
        by_rule: dict[str, list[RuleInstance]] = defaultdict(list)
        for inst in self.form.rules:
            show = inst.rule.show
            if show and inst.live and self.form.sheet(show.sheet).name == self.sheet.name:
                by_rule[inst.id].append(inst)
        ws, st = self.ws, self.styles
        for instances in by_rule.values():
            show = instances[0].rule.show
            r0 = show.first_row - 1
            label_cols = min(self.form.fields[i.anchor].col for i in instances)
            for k, text in enumerate((show.lhs_label, show.rhs_label, "差额", "结果")):
                if label_cols > 1:
                    ws.merge_range(r0 + k, 0, r0 + k, label_cols - 1, text, st.check_label())
                elif label_cols == 1:
                    ws.write_string(r0 + k, 0, text, st.check_label())
            for inst in instances:
                col = self.form.fields[inst.anchor].col
                lhs, op, rhs = inst.expr.comparison()
                lv, rv = lhs.compile()(self.values, {}), rhs.compile()(self.values, {})
                ws.write_formula(r0, col, self.formula(lhs), st.derived("0"), lv)
                ws.write_formula(r0 + 1, col, self.formula(rhs), st.derived("0"), rv)
                ws.write_formula(r0 + 2, col, f"={a1(r0, col)}-{a1(r0 + 1, col)}", st.derived("0"), lv - rv)
                # the mark applies the rule's own comparison to the two shown sides (not only "=")
                xl_op = {"==": "=", "!=": "<>"}.get(op, op)
                mark = f'=IF({a1(r0, col)}{xl_op}{a1(r0 + 1, col)},"✓","✗")'
                ws.write_formula(r0 + 3, col, mark, st.check(), "✓" if inst.func(self.values, {}) else "✗")
            cols = [self.form.fields[i.anchor].col for i in instances]
            rng = (r0 + 3, min(cols), r0 + 3, max(cols))
            ws.conditional_format(*rng, {"type": "cell", "criteria": "==", "value": '"✗"', "format": st.bad()})
            ws.conditional_format(*rng, {"type": "cell", "criteria": "==", "value": '"✓"', "format": st.good()})
            rng = (r0 + 2, min(cols), r0 + 2, max(cols))
            ws.conditional_format(*rng, {"type": "cell", "criteria": "!=", "value": 0, "format": st.bad()})

    def write_checks_panel(self) -> None:
        """Every live rule with its count of broken instances, and the overall status."""
        ws, st = self.ws, self.styles
        r0, c0 = parse_a1(self.sheet.spec.checks_panel.at)
        for k, text in enumerate(("规则", "说明", "级别", "问题数")):
            ws.write_string(r0, c0 + k, text, st.label("header"))
        grouped: dict[str, list[RuleInstance]] = defaultdict(list)
        for inst in self.form.rules:
            if inst.live:
                grouped[inst.id].append(inst)
        rows = {"error": [], "warning": [], "info": []}
        r = r0 + 1
        for rule_id, instances in grouped.items():
            spec = instances[0].rule
            broken = sum(0 if inst.func(self.values, {}) else 1 for inst in instances)
            parts = [f"IF({inst.expr.to_excel(self.ref, self.sum_ref)},0,1)" for inst in instances]
            ws.write_string(r, c0, f"{rule_id} {spec.title}", st.label("label"))
            ws.write_string(r, c0 + 1, spec.description.strip(), st.label("label"))
            width = self.sheet.spec.columns.get(col_letter(c0 + 1), DEFAULT_COL_WIDTH)
            ws.set_row(r, wrapped_row_height(spec.description.strip(), width))
            ws.write_string(r, c0 + 2, SEVERITY_ZH[spec.severity], st.label("label"))
            ws.write_formula(r, c0 + 3, "=" + "+".join(parts), st.check(), broken)
            rows[spec.severity].append((r, broken))
            r += 1
        cnt = (r0 + 1, c0 + 3, r - 1, c0 + 3)
        ws.conditional_format(*cnt, {"type": "cell", "criteria": ">", "value": 0, "format": st.bad()})
        ws.conditional_format(*cnt, {"type": "cell", "criteria": "==", "value": 0, "format": st.good()})

        def total(sev: str) -> tuple[str, int]:
            cells = [a1(rr, c0 + 3) for rr, _ in rows[sev]] or ["0"]
            return "+".join(cells), sum(b for _, b in rows[sev])

        errors_f, errors = total("error")
        warns_f, warns = total("warning")
        status = "校验通过" if errors == 0 else f"有 {errors} 处问题"
        hint = "无" if warns == 0 else f"有 {warns} 处提示，请核对"
        panel = self.sheet.spec.checks_panel
        for where, formula, cached in (
            (panel.status, f'=IF(({errors_f})=0,"校验通过","有 "&({errors_f})&" 处问题")', status),
            (panel.hint, f'=IF(({warns_f})=0,"无","有 "&({warns_f})&" 处提示，请核对")', hint),
        ):
            r1, c1, r2, c2 = parse_range(where)
            if (r1, c1) != (r2, c2):
                ws.merge_range(r1, c1, r2, c2, "", st.status())
            ws.write_formula(r1, c1, formula, st.status(), cached)
            ws.conditional_format(r1, c1, r1, c1, {"type": "text", "criteria": "begins with", "value": "有", "format": st.bad()})


def _validation(f: FieldDef) -> dict:
    t = f.type.spec
    title = t.title[:32]
    common = {"input_title": title, "input_message": t.prompt[:255], "error_title": "输入有误", "error_type": "stop"}
    if t.kind == "integer":
        msg = f"这里只能填写不小于{t.min:g}的整数。没有发生的事项请填0，不要填写“/”“无”或留空。"
        return {"validate": "integer", "criteria": ">=", "value": int(t.min or 0), "error_message": msg, **common}
    if t.kind == "decimal":
        c = f.cell
        msg = f"这里只能填写不小于{t.min:g}的数字，单位为{t.unit}，至多{t.decimals}位小数。没有请填0。"
        formula = f"=AND(ISNUMBER({c}),{c}>={t.min:g},ROUND({c},{t.decimals})={c})"
        return {"validate": "custom", "value": formula, "error_message": msg, "ignore_blank": False, **common}
    if t.kind == "choice":
        msg = "请从下拉列表中选择：" + "、".join(t.choices)
        return {"validate": "list", "source": list(t.choices), "error_message": msg, **common}
    if t.kind == "date":
        msg = "请填写日期，例如 2025-01-15。"
        return {"validate": "date", "criteria": ">=", "value": date(2000, 1, 1), "error_message": msg, **common}
    limit = t.max_length or 32767
    msg = f"文字不能超过{limit}字。"
    return {"validate": "length", "criteria": "<=", "value": limit, "error_message": msg, **common}


def _write_meta_sheet(wb, form: Form, stamp: Stamp, password: str) -> None:
    """A very hidden sheet the reader can read with calamine: identity, then the field map."""
    ws = wb.add_worksheet(META_SHEET)
    row = 0
    for key, value in identity_properties(form, stamp).items():
        ws.write_string(row, 0, key)
        ws.write_string(row, 1, value)
        row += 1
    row += 1
    ws.write_string(row, 0, "field_id")
    ws.write_string(row, 1, "sheet")
    ws.write_string(row, 2, "cell")
    for f in form.fields.values():
        row += 1
        ws.write_string(row, 0, f.id)
        ws.write_string(row, 1, f.sheet)
        ws.write_string(row, 2, f.cell)
    ws.very_hidden()
    ws.protect(password)
