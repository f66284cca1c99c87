"""The compiled form: what every stage of xlflow reads.

Fields with their sheet, cell, type and label path; derived cells and rule instances with their
compiled expressions. Built by ``loader.compile_form`` from a ``spec.FormSpec``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from .. import expr as ex
from ..cells import a1, quote_sheet, range_a1
from ..errors import FormDefinitionError
from .spec import CompareMeasureSpec, FormSpec, RuleSpec, SheetSpec, TypeSpec

_STAMP_VARS = ("agency_name", "agency_code", "year")
T = TypeVar("T")


@dataclass(frozen=True)
class TypeDef:
    name: str
    spec: TypeSpec

    @property
    def numeric(self) -> bool:
        return self.spec.kind in ("integer", "decimal")


@dataclass
class FieldDef:
    id: str
    sheet: str  # sheet name as in the workbook
    sheet_key: str
    row: int
    col: int
    merge: tuple[int, int, int, int] | None
    type: TypeDef
    label_path: tuple[str, ...]
    stamp: str | None = None
    derived: DerivedInstance | None = None
    required: bool = False
    # What a finding on this cell names as its row and column inside the field's table (None
    # outside a table), computed once when the form is compiled.
    row_label: str | None = None
    col_label: str | None = None

    @property
    def cell(self) -> str:
        return a1(self.row, self.col)

    @property
    def defined_name(self) -> str:
        return "xlf_" + self.id.replace(".", "_")

    @property
    def is_input(self) -> bool:
        return self.derived is None and self.stamp is None

    @property
    def label(self) -> str:
        return " / ".join(self.label_path)

    @property
    def default(self):
        return self.type.spec.default


@dataclass
class LabelDef:
    sheet: str
    sheet_key: str
    row: int
    col: int
    merge: tuple[int, int, int, int] | None
    text: str
    style: str

    @property
    def cell(self) -> str:
        return a1(self.row, self.col)

    @property
    def stamped(self) -> bool:
        """Labels carrying the agency name or year differ per copy; not part of the layout."""
        return any("{" + v + "}" in self.text for v in _STAMP_VARS)


@dataclass
class DerivedInstance:
    field_id: str
    expr: ex.Expr
    rule: str
    func: Any = field(repr=False, default=None)


@dataclass
class RuleInstance:
    """One rule applied to one foreach binding, e.g. R1 for column 自然人."""

    rule: RuleSpec
    key: str  # e.g. "R1[natural]"
    variables: dict[str, str]
    expr: ex.Expr
    anchor: str  # field id where findings point
    labels: dict[str, str]  # {"col_label": "自然人"} for messages
    func: Any = field(repr=False, default=None)

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def live(self) -> bool:
        return not self.rule.needs_previous


@dataclass
class MeasureDef:
    """A year-over-year measure (``compare.measures``): a number, or the share ``expr / of``."""

    spec: CompareMeasureSpec
    expr: ex.Expr
    of: ex.Expr | None
    anchor: str  # field id where an outlier warning points
    func: Any = field(repr=False, default=None)
    of_func: Any = field(repr=False, default=None)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def share(self) -> bool:
        return self.of is not None

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.expr.refs, *(self.of.refs if self.of is not None else ())]))

    def value(self, values) -> float | None:
        """The measure on ``values`` (a return's, last year's or totals); None when a number it
        needs is missing, or a share's denominator is 0."""
        if values is None:
            return None
        try:
            num = self.func(values, {})
            if self.of_func is None:
                return num
            den = self.of_func(values, {})
            return num / den if den else None
        except (TypeError, KeyError, ZeroDivisionError):
            return None

    def base(self, values) -> float | None:
        """What a share is a share of (its denominator); a plain measure's own value."""
        if self.of_func is None:
            return self.value(values)
        try:
            return self.of_func(values, {}) if values is not None else None
        except (TypeError, KeyError, ZeroDivisionError):
            return None


@dataclass
class SheetDef:
    spec: SheetSpec
    labels: list[LabelDef]
    fields: list[FieldDef]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def key(self) -> str:
        return self.spec.key


@dataclass
class Form:
    spec: FormSpec
    source: Path | None
    sheets: list[SheetDef]
    fields: dict[str, FieldDef]
    derived: list[DerivedInstance]  # in evaluation order
    rules: list[RuleInstance]
    measures: list[MeasureDef] = field(default_factory=list)  # year over year (``compare:``)

    @property
    def form_id(self) -> str:
        return self.spec.form_id

    @property
    def version(self) -> str:
        return self.spec.version

    def sheet(self, key: str) -> SheetDef:
        for s in self.sheets:
            if s.key == key or s.name == key:
                return s
        raise KeyError(key)

    def field_for_identity(self, what: str) -> FieldDef:
        return self.fields[self.spec.identity[what]]

    @property
    def summary_scope(self) -> str:
        """The scope value of a return that adds up several units (汇总 in the 2021 form)."""
        return self.spec.scopes.summary

    def value_rule(self, f: FieldDef) -> str:
        """The rule a value check of field ``f`` enforces (its type's, else the form's)."""
        return f.type.spec.rule or self.spec.value_rule

    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def memo(self, build: Callable[[Form], T]) -> T:
        """``build(self)``, computed on first call and kept on this form: what a later stage
        prepares once per form (the reader's plan, the validator's checkers) lives and dies
        with the form it was made from."""
        try:
            return self._memo[build]
        except KeyError:
            value = self._memo[build] = build(self)
            return value

    # -- what each field is for, decided from the definition's structure ------------------------
    # Nothing here names a field of a particular form: a sheet is a *table* when every field on
    # it is a number; a number is *summable* unless free text on its own row gives it its
    # meaning (a category count next to a category name each agency types cannot be added up).

    @cached_property
    def input_fields(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if f.is_input]

    @cached_property
    def data_fields(self) -> list[FieldDef]:
        """Every field a return carries, in form order (stamps are the identity)."""
        return [f for f in self.fields.values() if f.stamp is None]

    @cached_property
    def numeric_fields(self) -> list[FieldDef]:
        return [f for f in self.data_fields if f.type.numeric]

    @cached_property
    def summable_fields(self) -> list[FieldDef]:
        """Numbers whose sum over units means something, in form order."""
        out: set[str] = set()
        for sheet in self.sheets:
            text_rows = {f.row for f in sheet.fields if f.is_input and f.type.spec.kind == "text"}
            out.update(f.id for f in sheet.fields if f.stamp is None and f.type.numeric and f.row not in text_rows)
        return [f for f in self.fields.values() if f.id in out]

    @cached_property
    def table_sheets(self) -> list[SheetDef]:
        """Sheets that are numeric tables (the official tables), laid out again in a summary."""
        return [
            s for s in self.sheets
            if s.spec.kind == "form" and s.fields and all(f.type.numeric and f.stamp is None for f in s.fields)
        ]

    @cached_property
    def narrative_fields(self) -> list[FieldDef]:
        """Long free-text sections (what the clerk compiles into the county's own report)."""
        return [f for f in self.data_fields if f.is_input and f.type.spec.kind == "text" and f.type.spec.multiline]

    @cached_property
    def date_field(self) -> FieldDef | None:
        """The return's own date (填报日期), which picks the later of two returns."""
        return next((f for f in self.data_fields if f.is_input and f.type.spec.kind == "date"), None)

    @cached_property
    def contact_fields(self) -> list[FieldDef]:
        """Who to call: the required one-line text fields of a return (填报人, 联系电话 …)."""
        return [f for f in self.data_fields if f.is_input and f.required and f.type.spec.kind == "text" and not f.type.spec.multiline]

    @cached_property
    def previous_rules(self) -> list[str]:
        """Ids of the rules that compare with last year (``needs_previous``), in form order."""
        return [r.id for r in self.spec.rules if r.needs_previous]

    @cached_property
    def compare_fields(self) -> set[str]:
        """Field ids the year-over-year measures read (kept from last year by ``--previous``)."""
        return {r for m in self.measures for r in m.refs}

    @cached_property
    def fingerprint(self) -> str:
        """Hash of everything a returned workbook's layout must match: sheets, labels, cells."""
        canon = {
            "form": self.form_id,
            "version": self.version,
            "sheets": [
                {
                    "name": s.name,
                    "labels": [[lb.cell, lb.text] for lb in s.labels if not lb.stamped],
                    "fields": [[f.id, f.cell, f.type.name] for f in s.fields],
                }
                for s in self.sheets
            ],
        }
        blob = json.dumps(canon, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]

    def parse_expr(self, text: str, where: str) -> ex.Expr:
        """An expression over this form's fields written outside the form's own rules (merge and
        report specs), checked like the rules are; errors say where it came from."""
        try:
            e = ex.parse(ex.expand_ids(text, self.spec.sets, self.fields))
        except ex.ExprError as exc:
            raise FormDefinitionError(f"{where}：{exc}") from None
        unknown = [r for r in e.refs if r.removeprefix(ex.PREV) not in self.fields]
        if unknown:
            raise FormDefinitionError(f"{where}：表达式引用了不存在的字段 {'、'.join(unknown)}：{text}")
        return e

    def defaults(self) -> dict[str, object]:
        """Every field at its blank-template value, derived cells computed."""
        values: dict[str, object] = {f.id: f.default for f in self.fields.values()}
        return self.compute_derived(values)

    def compute_derived(self, values: dict[str, object]) -> dict[str, object]:
        """Fill in derived cells from inputs (in dependency order). Mutates and returns values.
        A derived cell whose inputs are not all numbers becomes None (cannot be computed)."""
        for d in self.derived:
            try:
                values[d.field_id] = d.func(values, {})
            except TypeError:
                values[d.field_id] = None
        return values


def excel_range_list(form: Form, ids: list[str], sheet: str) -> str:
    """Compress a list of field ids into Excel ranges (same sheet: D8:D28 rather than 21 cells)."""
    cells = [form.fields[i] for i in ids]
    parts: list[str] = []
    run: list[FieldDef] = []

    def flush() -> None:
        if not run:
            return
        first, last = run[0], run[-1]
        ref = range_a1(first.row, first.col, last.row, last.col)
        parts.append(ref if first.sheet == sheet else f"{quote_sheet(first.sheet)}!{ref}")
        run.clear()

    for f in cells:
        if run:
            prev = run[-1]
            same_sheet = prev.sheet == f.sheet
            vertical = f.col == prev.col == run[0].col and f.row == prev.row + 1 and (len(run) == 1 or run[1].row == run[0].row + 1)
            horizontal = f.row == prev.row == run[0].row and f.col == prev.col + 1 and (len(run) == 1 or run[1].col == run[0].col + 1)
            if same_sheet and (vertical or horizontal):
                run.append(f)
                continue
            flush()
        run.append(f)
    flush()
    return ",".join(parts)
