"""The report definition of a form: the declared ``report:`` section, or a plain default.

A form without ``report:`` still gets a report: one section per form sheet, headed by the
sheet's title, showing its tables and its other fields as "标签：值" lines. Every name a report
definition uses (sheets, fields, sets, placeholders, ``when`` expressions) is checked here so a
typo in the YAML is one clear error, not a half-empty report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .. import expr as ex
from ..errors import FormDefinitionError
from ..form import Form, ReportBlockSpec, ReportSectionSpec, ReportSpec, ReportTextSpec, SheetDef
from .tables import table_regions
from .text import placeholders

FIXED_NAMES = ("agency_name", "year", "scope_name", "form_title")
UNITS = "units:"


def sheet_heading(sheet: SheetDef) -> str:
    for lb in sheet.labels:
        if lb.style == "title" and not lb.stamped:
            return lb.text
    return sheet.name


def in_tables(sheet: SheetDef, row: int, col: int) -> bool:
    return any(r1 <= row <= r2 and c1 <= col <= c2 for r1, c1, r2, c2 in table_regions(sheet))


def _default_blocks(form: Form, sheet: SheetDef) -> list[ReportBlockSpec]:
    stamped = {form.spec.identity.get(k) for k in ("agency_name", "agency_code", "year")}
    blocks = [
        ReportBlockSpec(field=f.id, run_in="：", optional=True)
        for f in sheet.fields
        if f.stamp is None and f.id not in stamped and not in_tables(sheet, f.row, f.col)
    ]
    if sheet.spec.tables:
        blocks.append(ReportBlockSpec(kind="table", sheet=sheet.key))
    return blocks


def report_spec(form: Form) -> ReportSpec:
    """The form's report definition with every default made explicit."""
    spec = form.spec.report or ReportSpec()
    sections = spec.sections or [
        ReportSectionSpec(sheet=s.key) for s in form.sheets if s.spec.kind == "form"
    ]
    resolved = []
    for sec in sections:
        sheet = form.sheet(sec.sheet) if sec.sheet else None
        heading = sec.heading if sec.heading is not None else (sheet_heading(sheet) if sheet else "")
        blocks = sec.blocks or (_default_blocks(form, sheet) if sheet else [])
        resolved.append(sec.model_copy(update={"heading": heading, "blocks": blocks}))
    spec = spec.model_copy(update={"sections": resolved})
    check_spec(form, spec)
    return spec


@dataclass(frozen=True)
class Condition:
    """A compiled ``when``: false (not an error) when a value it needs is missing."""

    func: Callable | None

    def holds(self, values: Mapping[str, object]) -> bool:
        if self.func is None:
            return True
        try:
            return bool(self.func(values, {}))
        except (TypeError, KeyError, ZeroDivisionError):
            return False


def condition(form: Form, text: str | None) -> Condition:
    if not text:
        return Condition(None)
    return Condition(form.parse_expr(text, "报告定义的条件").compile())


def check_spec(form: Form, spec: ReportSpec) -> None:
    problems: list[str] = []

    def check_template(text: str, item: bool = False) -> None:
        for name in placeholders(text):
            base = name[len(UNITS):] if name.startswith(UNITS) else name
            if item and name in ("name", "code", "value"):
                continue
            if base not in FIXED_NAMES and base not in form.fields:
                problems.append(f"模板引用了未知的名称 {{{name}}}：{text}")

    def check_texts(texts: list[ReportTextSpec]) -> None:
        for t in texts:
            check_template(t.text)
            check_template(t.item, item=True)
            try:
                condition(form, t.when)
            except FormDefinitionError as exc:
                problems.append(str(exc))

    check_template(spec.title)
    for p in [*spec.preamble, *spec.summary_preamble]:
        check_template(p)
    for sec in spec.sections:
        for b in sec.blocks:
            _check_block(form, sec, b, problems)
            check_texts(b.fallback)
            check_texts(b.summary)
    if problems:
        raise FormDefinitionError(f"报表定义 {form.form_id} 的 report 部分有错误：" + "；".join(problems))


def _check_block(form: Form, sec: ReportSectionSpec, b: ReportBlockSpec, problems: list[str]) -> None:
    if b.kind == "text" and b.field not in form.fields:
        problems.append(f"文字段落引用了不存在的字段 {b.field}")
    sheet_ref = b.sheet or sec.sheet
    if b.kind == "table":
        try:
            sheet = form.sheet(sheet_ref or "")
        except KeyError:
            problems.append(f"表格引用了不存在的工作表 {sheet_ref}")
            return
        if not sheet.spec.tables:
            problems.append(f"工作表“{sheet.name}”没有声明 tables，无法作为表格输出")
    if b.kind == "compare" and not form.measures:
        problems.append("compare 段落需要报表定义中有 compare.measures")
    if b.kind == "chart":
        if b.rows not in form.spec.sets or not b.label or not b.value:
            problems.append(f"图表“{b.title}”须写明 rows（集合）、label 和 value")
            return
        for key in form.spec.sets[b.rows]:
            for pattern in (b.label, b.value):
                fid = ex.substitute(pattern, {"row": key})
                if fid not in form.fields:
                    problems.append(f"图表“{b.title}”引用了不存在的字段 {fid}")
