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
from ..vocab import META_SHEET, SEVERITY_ZH
from .live import ERR, FIRST_ROW, HEADERS, LiveChecks, severity_total
from .paper import (  # noqa: F401 - DEFAULT_ROW_HEIGHT: the summary workbook imports it from here
    DEFAULT_COL_WIDTH,
    DEFAULT_ROW_HEIGHT,
    MULTILINE_ROW_HEIGHT,
    field_columns,
    page_setup,
    wrapped_row_height,
    write_signoff,
)
from .styles import Styles

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
    live = LiveChecks(form, META_SHEET, filled)
    styles = Styles(wb)
    for sheet in form.sheets:
        _SheetWriter(wb, styles, form, sheet, stamp, filled, calc, password, live).write()
    _write_meta_sheet(wb, form, stamp, password, live)
    for f in form.fields.values():
        wb.define_name(f.defined_name, f"={quote_sheet(f.sheet)}!${col_letter(f.col)}${f.row + 1}")
    wb.close()
    return buf.getvalue()


class _SheetWriter:
    def __init__(self, wb, styles, form: Form, sheet: SheetDef, stamp: Stamp, cells: dict, calc: dict, password: str,
                 live: LiveChecks):
        self.wb, self.styles, self.form, self.sheet, self.stamp = wb, styles, form, sheet, stamp
        self.live = live
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
        page_setup(ws, spec, self.stamp)
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
                # Sized to the text written (a generated return prints in full); an empty
                # narrative gets room to paste, and the row is left for Excel to autofit
                # (template/package.py) when the clerk pastes a long text.
                text = self.cells.get(f.id)
                width = sum(spec.columns.get(col_letter(c), DEFAULT_COL_WIDTH) for c in field_columns(f))
                need = wrapped_row_height(str(text), width) if isinstance(text, str) and text.strip() else MULTILINE_ROW_HEIGHT
                heights[f.row] = max(heights.get(f.row, 0), need)
        if spec.signoff:
            heights.update(write_signoff(ws, self.styles, self.form, spec.signoff, self.cells))
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
            # Red while the live check counts this cell as a problem: the clerk sees where.
            flag = self.live.meta_ref(f.id, ERR, absolute=True)
            r1, c1, r2, c2 = f.merge or (f.row, f.col, f.row, f.col)
            ws.conditional_format(r1, c1, r2, c2, {"type": "formula", "criteria": f"={flag}=1", "format": self.styles.bad()})

    def write_guide(self) -> None:
        ws, fmt = self.ws, self.styles.text()
        width = self.sheet.spec.columns.get("B", DEFAULT_COL_WIDTH)

        def line(row: int, mark: str, text: str, style=fmt) -> None:
            ws.write_string(row, 0, mark, fmt)
            ws.write_string(row, 1, text, style)
            ws.set_row(row, wrapped_row_height(text, width))

        row = 3
        for i, text in enumerate(self.form.spec.instructions, 1):
            line(row, f"{i}.", self.stamp.fill(text))
            row += 1
        row += 1
        panel = next((s.name for s in self.form.sheets if s.spec.checks_panel is not None), None)
        where = f"（在“{panel}”工作表显示结果）" if panel else ""
        line(row, "", f"自动校验{where}：", self.styles.label("section"))
        row += 1
        for r in self.live.panel_rows():
            line(row, r.code or "", f"【{SEVERITY_ZH[r.severity]}】{r.title}：{r.description}")
            row += 1
        line(row, "", self.live.after_submission())

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
        """Every live check with its count of problems, the overall status and, below, what
        only the validator can check (``live.py``: the same verdict as ``xlflow validate``)."""
        ws, st = self.ws, self.styles
        r0, c0 = parse_a1(self.sheet.spec.checks_panel.at)
        for k, text in enumerate(("规则", "说明", "级别", "问题数")):
            ws.write_string(r0, c0 + k, text, st.label("header"))
        rows = self.live.panel_rows()
        width = self.sheet.spec.columns.get(col_letter(c0 + 1), DEFAULT_COL_WIDTH)
        at: dict[int, str] = {}
        r = r0 + 1
        for row in rows:
            ws.write_string(r, c0, f"{row.code} {row.title}".strip(), st.label("label"))
            ws.write_string(r, c0 + 1, row.description, st.label("label"))
            ws.set_row(r, wrapped_row_height(row.description, width))
            ws.write_string(r, c0 + 2, SEVERITY_ZH[row.severity], st.label("label"))
            ws.write_formula(r, c0 + 3, "=" + row.formula, st.check(), row.cached)
            at[id(row)] = a1(r, c0 + 3)
            r += 1
        cnt = (r0 + 1, c0 + 3, r - 1, c0 + 3)
        ws.conditional_format(*cnt, {"type": "cell", "criteria": ">", "value": 0, "format": st.bad()})
        ws.conditional_format(*cnt, {"type": "cell", "criteria": "==", "value": 0, "format": st.good()})
        note = self.live.after_submission()
        total_width = sum(self.sheet.spec.columns.get(col_letter(c), DEFAULT_COL_WIDTH) for c in range(c0, c0 + 4))
        ws.merge_range(r + 1, c0, r + 1, c0 + 3, note, st.label("hint"))
        ws.set_row(r + 1, wrapped_row_height(note, total_width))

        errors_f, errors = severity_total(rows, lambda row: at[id(row)], "error")
        warns_f, warns = severity_total(rows, lambda row: at[id(row)], "warning")
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


def _write_meta_sheet(wb, form: Form, stamp: Stamp, password: str, live: LiveChecks) -> None:
    """A very hidden sheet the reader can read with calamine: identity, then the field map,
    each field's row carrying its live checks (``live.py``)."""
    ws = wb.add_worksheet(META_SHEET)
    row = 0
    for key, value in identity_properties(form, stamp).items():
        ws.write_string(row, 0, key)
        ws.write_string(row, 1, value)
        row += 1
    row += 1
    assert row + 1 == FIRST_ROW, "the live checks address the field table by row"
    for col, text in ((0, "field_id"), (1, "sheet"), (2, "cell"), *HEADERS.items()):
        ws.write_string(row, col, text)
    for f in form.fields.values():
        row += 1
        assert row == live.row[f.id]
        ws.write_string(row, 0, f.id)
        ws.write_string(row, 1, f.sheet)
        ws.write_string(row, 2, f.cell)
        for col, (formula, cached) in live.field_formulas(f).items():
            ws.write_formula(row, col, "=" + formula, None, cached if cached is not None else "")
    ws.very_hidden()
    ws.protect(password)
