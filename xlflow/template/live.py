"""The template's live check: what 基本信息 counts is what ``xlflow validate`` reports.

The validator takes a returned workbook in three steps: every cell through the value policy
(``validate.policy``), every derived cell recomputed from the normalised inputs, every rule run on
those values unless one of its inputs was rejected. The template repeats the same three steps in
formulas, on the very hidden metadata sheet next to each field's row:

* D: 1 when the value would be an error (blank or "/" in a number cell, an empty required
  field, text too long, …), E: 1 for a warning (too many decimals), F: 1 for an accepted but
  normalised value (a number stored as text);
* G: the value the rules see (a number stored as text counts as its number, as the validator
  reads it; a derived cell is its expression over these values);
* H (derived cells): 1 when the cell no longer equals its expression (a total typed over).

Each rule instance is then counted only while none of its inputs is flagged in D, with its own
expression evaluated on column G. The cached results are what the validator's own code says for
the written values, so a program that never recalculates shows the same status.
What a formula cannot see (identity, layout, last year's data) is named under the panel.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..cells import a1, col_letter, quote_sheet
from ..findings import CATALOG
from ..form import FieldDef, Form
from ..vocab import LEADING_EQUALS

# Columns of the metadata sheet's field table: A field id, B sheet, C cell, then the checks.
ERR, WARN, INFO, VALUE, MISMATCH = 3, 4, 5, 6, 7
HEADERS = {ERR: "error", WARN: "warning", INFO: "info", VALUE: "value", MISMATCH: "derived_mismatch"}
FIRST_ROW = 9  # 0-based row of the first field: seven identity rows, a blank row, the header
_EPS = "1E-9"
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")


@dataclass
class PanelRow:
    code: str
    title: str
    description: str
    severity: str  # error / warning / info
    formula: str  # without "="
    cached: int


@dataclass
class LiveChecks:
    """The live checks of one workbook: per-field formulas for the metadata sheet, the panel
    rows for the checks sheet, and their cached values for the written cells."""

    form: Form
    meta_sheet: str
    cells: Mapping[str, object]  # what each field cell holds (derived: Excel's cached result)
    row: dict[str, int] = field(default_factory=dict)
    err: dict[str, int] = field(default_factory=dict)
    warn: dict[str, int] = field(default_factory=dict)
    info: dict[str, int] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    mismatch: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, fid in enumerate(self.form.fields):
            self.row[fid] = FIRST_ROW + i
        self._evaluate()

    # -- Python: the validator's verdict on the written cells ---------------------------------
    def _evaluate(self) -> None:
        from ..validate.policy import check as policy_check  # see tests/test_imports.py

        form = self.form
        for f in form.fields.values():
            raw = self.cells.get(f.id)
            if f.derived is not None:
                continue
            if f.stamp is not None:
                self.values[f.id] = raw
                continue
            value, problem = policy_check(raw, f)
            severity = CATALOG[problem.code].severity if problem else None
            self.err[f.id] = int(severity == "error")
            self.warn[f.id] = int(severity == "warning")
            self.info[f.id] = int(severity == "info")
            self.values[f.id] = (0 if f.type.numeric else None) if severity == "error" else value
        excel_view = {fid: (self.cells.get(fid) if isinstance(self.cells.get(fid), (int, float)) else 0)
                      for fid, f in form.fields.items() if f.type.numeric}
        for d in form.derived:
            fid = d.field_id
            self.err[fid] = int(any(self.err.get(r) for r in d.expr.refs))
            try:
                self.values[fid] = d.func(self.values, {})
            except (TypeError, KeyError, ZeroDivisionError):
                self.values[fid] = 0
            cached = self.cells.get(fid)
            shown = d.func(excel_view, {})
            excel_view[fid] = cached if isinstance(cached, (int, float)) else 0
            ok = isinstance(cached, (int, float)) and any(
                math.isclose(cached, v, rel_tol=0.0, abs_tol=1e-9) for v in (self.values[fid], shown)
            )
            self.mismatch[fid] = 0 if self.err[fid] or ok else 1

    def broken(self, inst) -> int:
        """1 when the validator would report this rule instance (its inputs all accepted)."""
        if any(self.err.get(r) for r in inst.expr.refs):
            return 0
        try:
            return 0 if inst.func(self.values, {}) else 1
        except (TypeError, KeyError, ZeroDivisionError):
            return 0

    # -- Excel: the same steps as formulas -----------------------------------------------------
    def meta_ref(self, fid: str, col: int, absolute: bool = False) -> str:
        ref = f"${col_letter(col)}${self.row[fid] + 1}" if absolute else a1(self.row[fid], col)
        return f"{quote_sheet(self.meta_sheet)}!{ref}"

    def cell_ref(self, fid: str) -> str:
        f = self.form.fields[fid]
        return f"{quote_sheet(f.sheet)}!{f.cell}"

    def meta_ranges(self, fids: list[str], col: int) -> str:
        """The metadata cells of ``fids`` in one column, consecutive rows joined into ranges."""
        rows = sorted(self.row[f] for f in fids)
        parts: list[str] = []
        start = prev = None
        for r in rows + [None]:
            if start is not None and r == prev + 1:
                prev = r
                continue
            if start is not None:
                ref = a1(start, col) if start == prev else f"{a1(start, col)}:{a1(prev, col)}"
                parts.append(f"{quote_sheet(self.meta_sheet)}!{ref}")
            start = prev = r
        return ",".join(parts) or "0"

    def _value_ref(self, fid: str) -> str:
        # Rules read numbers as the validator normalised them (column G), texts from the cell.
        return self.meta_ref(fid, VALUE) if self.form.fields[fid].type.numeric else self.cell_ref(fid)

    def _value_sum(self, ids: list[str]) -> str:
        return self.meta_ranges(ids, VALUE)

    def field_formulas(self, f: FieldDef) -> dict[int, tuple[str, Any]]:
        """Column -> (formula without "=", cached value) for one field's metadata row."""
        if f.stamp is not None:
            return {}
        r = self.row[f.id]
        here = {c: a1(r, c) for c in HEADERS}
        x = self.cell_ref(f.id)
        if f.derived is not None:
            d = f.derived
            err = f"IF(SUM({self.meta_ranges(list(d.expr.refs), ERR)})>0,1,0)"
            value = d.expr.to_excel(self._value_ref, self._value_sum)
            shown = d.expr.to_excel(self.cell_ref, lambda ids: ",".join(self.cell_ref(i) for i in ids))
            mismatch = (f"IF({here[ERR]}=1,0,IFERROR(IF(OR(ABS({x}-{here[VALUE]})<={_EPS},"
                        f"ABS({x}-({shown}))<={_EPS}),0,1),1))")
            return {ERR: (err, self.err[f.id]), VALUE: (value, cached_number(self.values[f.id])),
                    MISMATCH: (mismatch, self.mismatch[f.id])}
        t = f.type.spec
        if f.type.numeric:
            v = f"IF(ISNUMBER({x}),{x},VALUE(TRIM(ASC({x}))))"
            conds = [f"{v}>={t.min:g}"] if t.min is not None else []
            conds += [f"{v}<={t.max:g}"] if t.max is not None else []
            conds += [f"{v}=INT({v})"] if t.kind == "integer" else []
            err = typed(x, f"IFERROR(IF(AND({','.join(conds) or f'ISNUMBER({v})'}),0,1),1)")
            warn = "0"
            if t.kind == "decimal" and t.decimals is not None:
                warn = f"IF({here[ERR]}=1,0,IF(ROUND({here[VALUE]},{t.decimals})<>{here[VALUE]},1,0))"
            info = f"IF(AND({here[ERR]}=0,{here[WARN]}=0,ISTEXT({x})),1,0)"
            value = f"IF({here[ERR]}=1,0,{v})"
            cached_value = cached_number(self.values[f.id])
            return {ERR: (err, self.err[f.id]), WARN: (warn, self.warn[f.id]), INFO: (info, self.info[f.id]),
                    VALUE: (value, cached_value)}
        blank = f'LEN(TRIM(SUBSTITUTE({x},"\u3000"," ")))=0'
        missing = "1" if f.required else "0"
        # An error value (#NAME? from a pasted "=…") reads as an empty cell, as the reader sees it.
        guarded = lambda formula, empty: f"IFERROR({formula},{empty})"  # noqa: E731
        if t.kind == "choice" and t.choices:
            listed = ",".join(f'TRIM({x})="{c}"' for c in t.choices)
            err = typed(x, guarded(f"IF({blank},{missing},IF(OR({listed}),0,1))", missing))
            info = "0"
        elif t.kind == "date":
            text = f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(TRIM({x}),"年","-"),"月","-"),"日",""),"/","-"),".","-")'
            err = typed(x, guarded(f"IF(ISNUMBER({x}),IF(AND({x}>=1,{x}<2958466),0,1),"
                                   f"IF({blank},{missing},IFERROR(IF(DATEVALUE({text})>0,0,1),1)))", missing))
            info = guarded(f"IF(AND({here[ERR]}=0,ISTEXT({x}),NOT({blank})),1,0)", 0)
        else:
            too_long = f"LEN(TRIM({x}))>{t.max_length}" if t.max_length is not None else "FALSE"
            err = typed(x, guarded(f"IF(OR(AND({blank},{missing}=1),{too_long}),1,0)", missing))
            first = f'LEFT(TRIM(SUBSTITUTE({x},"\u3000"," ")),1)'
            signs = ",".join(f'{first}="{c}"' for c in LEADING_EQUALS)
            warn = guarded(f"IF(AND({here[ERR]}=0,OR({signs})),1,0)", 0)
            return {ERR: (err, self.err[f.id]), WARN: (warn, self.warn[f.id]), INFO: ("0", 0)}
        return {ERR: (err, self.err[f.id]), WARN: ("0", 0), INFO: (info, self.info[f.id])}

    def rule_formula(self, inst) -> str:
        guard = self.meta_ranges(list(inst.expr.refs), ERR)
        check = inst.expr.to_excel(self._value_ref, self._value_sum)
        return f"IFERROR(IF(SUM({guard})>0,0,IF({check},0,1)),0)"

    # -- the panel -----------------------------------------------------------------------------
    def panel_rows(self) -> list[PanelRow]:
        form = self.form
        inputs = [f for f in form.fields.values() if f.is_input]
        numbers = [f for f in inputs if f.type.numeric]
        others = [f for f in inputs if not f.type.numeric]
        rows: list[PanelRow] = []

        def add(code, title, desc, severity, fields: list[FieldDef], col: int, source: dict[str, int]) -> None:
            if fields:
                ids = [f.id for f in fields]
                rows.append(PanelRow(code, title, desc, severity, f"SUM({self.meta_ranges(ids, col)})",
                                     sum(source[i] for i in ids)))

        value_rule = form.value_rule(inputs[0]) if inputs else ""
        type_titles = "、".join(dict.fromkeys(f.type.spec.title for f in numbers))
        add(value_rule, "数字的填写",
            f"数字单元格（{type_titles}）不能为空，不能填写“/”“—”“无”等符号或其他文字，不能使用公式，不能小于规定的最小值，整数项不能有小数。",
            "error", numbers, ERR, self.err)
        required = "、".join(f.label for f in others if f.required)
        parts = [f"必填项（{required}）不能为空"] if required else []
        parts.append("文字不能超过规定的字数，不能使用公式")
        if any(f.type.spec.kind == "choice" for f in others):
            parts.append("选择项只能从下拉列表中选")
        if any(f.type.spec.kind == "date" for f in others):
            parts.append("日期须为有效的日期")
        add(value_rule, "文字、选择项和日期", "；".join(parts) + "。", "error", others, ERR, self.err)
        decimals = [f for f in numbers if f.type.spec.kind == "decimal" and f.type.spec.decimals is not None]
        add(value_rule, "小数位数",
            "金额的小数位数不能超过规定（" + "、".join(dict.fromkeys(f.type.spec.title for f in decimals)) + "），"
            "多出的小数常因单位用错或粘贴了未取整的计算结果。", "warning", decimals, WARN, self.warn)
        texts = [f for f in others if f.type.spec.kind == "text"]
        add(value_rule, "文字以等号开头", "文字不要以“=”开头（Excel会当成公式）；发布的报告会去掉开头的等号。",
            "warning", texts, WARN, self.warn)
        add(value_rule, "以文本形式保存的数字", "按数字读取并计入合计；建议改为直接填写数字。", "info", numbers, INFO, self.info)

        by_rule: dict[str, list[str]] = {}
        for d in form.derived:
            by_rule.setdefault(d.rule, []).append(d.field_id)
        for rule, ids in by_rule.items():
            label = form.fields[ids[0]].label
            rows.append(PanelRow(
                rule, "合计公式", f"{len(ids)}个合计单元格（如“{label}”）按明细自动计算；公式被改成手填数字时计为问题。",
                "error", f"SUM({self.meta_ranges(ids, MISMATCH)})", sum(self.mismatch[i] for i in ids)))

        grouped: dict[str, list] = {}
        for inst in form.rules:
            if inst.live:
                grouped.setdefault(inst.id, []).append(inst)
        for rule_id, instances in grouped.items():
            spec = instances[0].rule
            rows.append(PanelRow(rule_id, spec.title, prose(spec.description), spec.severity,
                                 "+".join(self.rule_formula(i) for i in instances), sum(self.broken(i) for i in instances)))
        return rows

    def after_submission(self) -> str:
        """What only the validator can check, named on the panel so nobody reads 校验通过 as more."""
        items = [
            "文件格式和模板版本",
            "单位名称、单位代码和年度与名单及模板标识是否一致",
            "工作表、栏目文字是否被改动，行列是否被增删",
            "合计公式是否保存了计算结果、是否引用了其他工作簿",
            "以文字形式填写的数字的写法（如“12%”“1e3”不能识别为数字）",
        ]
        items += [f"{spec.title}（需上年报表）" for spec in self.form.spec.rules if spec.needs_previous]
        return "提交后还会检查：" + "；".join(items) + "。"


def typed(cell: str, check: str) -> str:
    """An input cell holding a formula is an error whatever it shows, as the validator rules
    (value-formula): its result was typed by nobody and may not have been recalculated.
    (ISFORMULA is an Excel 2013 function: the file stores it with the _xlfn. prefix.)"""
    return f"IF(_xlfn.ISFORMULA({cell}),1,{check})"


def prose(text: str) -> str:
    """A description as one line: YAML's folded lines leave a space between two Chinese
    characters where the source had a line break."""
    return _CJK_GAP.sub("", " ".join(text.split()))


def cached_number(value: object) -> int | float:
    """A number as the cached result of a formula: 3 rather than 3.0, as Excel writes it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return int(value) if float(value).is_integer() else value


def meta_cell(form: Form, field_id: str, col: int) -> str:
    """A field's cell in one column of the metadata sheet's field table (the benchmark's
    return generator rewrites the cached values of column G)."""
    return a1(FIRST_ROW + list(form.fields).index(field_id), col)


def severity_total(rows: list[PanelRow], cell_of: Callable[[PanelRow], str], severity: str) -> tuple[str, int]:
    picked = [r for r in rows if r.severity == severity]
    return "+".join(cell_of(r) for r in picked) or "0", sum(r.cached for r in picked)
