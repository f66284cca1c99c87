"""Everything the reader and validator derive from a form once, not once per file.

Label positions, field lookups, row/column labels for findings, the split of every rule into
its two sides: computed on first use for a ``Form`` and kept on it (``Form.memo``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from .. import expr as ex
from ..cells import a1, parse_range
from ..expr import PREV
from ..form import FieldDef, Form, RuleInstance
from ..vocab import META_SHEET
from .sheetxml import Bounds

# How far past the form's own cells a returned sheet may reach before cells are "outside the
# form": room for notes beside the tables and rows a clerk inserted, small enough that the
# grid calamine builds stays a few MB.
ROW_SLACK = 1000
COL_SLACK = 100

_SPACE = re.compile(r"\s+")


def norm(value: object) -> str:
    """Label text as compared: whitespace (line breaks in headers, full-width spaces) removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACE.sub("", str(value))


@dataclass
class LabelPlan:
    row: int
    col: int
    text: str  # as defined
    key: str  # normalised


@dataclass
class SheetPlan:
    name: str
    labels: list[LabelPlan]
    fields: list[FieldDef]


@dataclass
class RulePlan:
    inst: RuleInstance
    refs: tuple[str, ...]  # this year's field ids
    prev_refs: tuple[str, ...]  # last year's field ids (without "prev.")
    lhs: object = None  # compiled sides of a comparison, for messages
    rhs: object = None


@dataclass
class FormPlan:
    form: Form
    sheets: list[SheetPlan]
    markers: list[tuple[str, str]]  # (normalised, as defined)
    by_defined_name: dict[str, str]
    row_label: dict[str, str | None]
    col_label: dict[str, str | None]
    rules: list[RulePlan]
    prev_fields: set[str] = field(default_factory=set)
    meta_sheet: str = META_SHEET
    bounds: Bounds = field(default_factory=lambda: Bounds(ROW_SLACK, COL_SLACK))

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]


def plan_for(form: Form) -> FormPlan:
    """The form's plan, built on first use and kept on the form (``Form.memo``)."""
    return form.memo(_build)


def _build(form: Form) -> FormPlan:
    sheets = []
    row_label: dict[str, str | None] = {}
    col_label: dict[str, str | None] = {}
    for s in form.sheets:
        labels = [LabelPlan(lb.row, lb.col, lb.text, norm(lb.text)) for lb in s.labels if not lb.stamped]
        sheets.append(SheetPlan(s.name, labels, list(s.fields)))
        for f in s.fields:
            row_label[f.id], col_label[f.id] = f.row_label, f.col_label
    rules = []
    prev_fields: set[str] = set()
    for inst in form.rules:
        refs = tuple(r for r in inst.expr.refs if not r.startswith(PREV))
        prev = tuple(r[len(PREV):] for r in inst.expr.refs if r.startswith(PREV))
        prev_fields.update(prev)
        rp = RulePlan(inst, refs, prev)
        cmp = _message_comparison(inst.expr)
        if cmp is not None:
            rp.lhs, rp.rhs = cmp[0].compile(), cmp[2].compile()
        rules.append(rp)
    return FormPlan(
        form=form,
        sheets=sheets,
        markers=[(norm(m), m) for m in form.spec.supersedes_markers],
        by_defined_name={f.defined_name: f.id for f in form.fields.values()},
        row_label=row_label,
        col_label=col_label,
        rules=rules,
        prev_fields=prev_fields,
        bounds=_bounds(form),
    )


def _bounds(form: Form) -> Bounds:
    """The form's extent on any sheet (labels with their merges, fields, tables; the metadata
    sheet lists every field, one per row) plus the slack."""
    rows, cols = len(form.fields) + 64, 8
    for s in form.sheets:
        for lb in s.labels:
            r2, c2 = (lb.merge[2], lb.merge[3]) if lb.merge else (lb.row, lb.col)
            rows, cols = max(rows, r2 + 1), max(cols, c2 + 1)
        for f in s.fields:
            rows, cols = max(rows, f.row + 1), max(cols, f.col + 1)
        for t in s.spec.tables:
            _, _, r2, c2 = parse_range(t)
            rows, cols = max(rows, r2 + 1), max(cols, c2 + 1)
    return Bounds(rows + ROW_SLACK, cols + COL_SLACK, len(a1(rows - 1, cols - 1)))


def _message_comparison(e: ex.Expr):
    """The comparison a rule's {lhs}/{rhs} refer to: the expression itself, or in a guarded
    rule ("x == 0 or a >= b") the last comparison of the ``or`` (the one that must hold)."""
    cmp = e.comparison()
    if cmp is not None:
        return cmp
    node = e.tree
    if isinstance(node, ast.BoolOp):
        for value in reversed(node.values):
            if isinstance(value, ast.Compare):
                return ex.parse(ast.unparse(value)).comparison()
    return None
