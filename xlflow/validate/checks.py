"""Cell values, derived cells and rules: from raw cells to normalised values and findings.

Every derived cell is recomputed from the inputs and compared with the value the file cached;
every rule instance of the form is run on the recomputed values. An instance whose inputs are
invalid is skipped: the invalid cell already has its finding, and one mistake gives one finding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..cells import a1
from ..findings import DERIVED_TEMPLATES, finding, render
from ..form import Form
from ..measures import SHIFT, changes, shown
from ..read.plan import FormPlan, plan_for
from ..results import Finding
from .policy import Checker, checker, parse_number

Position = tuple[str, int, int]


def _place(plan: FormPlan, positions: Mapping[str, Position], fid: str) -> dict[str, Any]:
    f = plan.form.fields[fid]
    sheet, row, col = positions.get(fid, (f.sheet, f.row, f.col))
    return {"sheet": sheet, "cell": a1(row, col), "field": fid, "row_label": plan.row_label.get(fid), "col_label": plan.col_label.get(fid)}


@dataclass(frozen=True)
class _Input:
    """A non-derived field as ``normalise`` walks it, prepared once per form."""

    id: str
    check: Checker
    numeric: bool
    stamped: bool


def _prepare(form: Form) -> tuple[list[_Input], list[tuple[str, ...]]]:
    fields = form.fields
    inputs = [_Input(fid, checker(f), f.type.numeric, f.stamp is not None) for fid, f in fields.items() if f.derived is None]
    numeric_refs = [tuple(r for r in rp.refs if fields[r].type.numeric) for rp in plan_for(form).rules]
    return inputs, numeric_refs


def _prepared(plan: FormPlan) -> tuple[list[_Input], list[tuple[str, ...]]]:
    """Per-field checkers, and per rule the refs whose blank value skips the rule (built once
    per form, kept on it)."""
    return plan.form.memo(_prepare)


def normalise(
    plan: FormPlan, raw: Mapping[str, Any], positions: Mapping[str, Position], invalid: set[str], texty: set[str]
) -> tuple[dict[str, Any], list[Finding]]:
    """Input and stamp values through the value policy (derived cells are left to ``derive``).
    ``texty`` collects number cells that held text (Excel's SUM counts those as 0)."""
    values: dict[str, Any] = {}
    findings: list[Finding] = []
    inputs, _ = _prepared(plan)
    for inp in inputs:
        fid = inp.id
        if fid in invalid:
            values[fid] = None
            continue
        r = raw.get(fid)
        value, problem = inp.check(r)
        values[fid] = value
        if problem is None:
            continue
        if problem.is_error:
            invalid.add(fid)
        elif inp.numeric and isinstance(r, str):
            texty.add(fid)
        if inp.stamped:
            continue  # identity cells are checked against the metadata instead
        findings.append(
            finding(problem.code, expected=problem.expected, actual=problem.actual, **(problem.params or {}), **_place(plan, positions, fid))
        )
    return values, findings


def derive(
    plan: FormPlan,
    values: dict[str, Any],
    raw: Mapping[str, Any],
    positions: Mapping[str, Position],
    invalid: set[str],
    formulas: Callable[[str], dict[str, str] | None],
    application: str,
    texty: set[str] = frozenset(),
) -> list[Finding]:
    """Recompute every derived cell; report cached values that disagree. A cached total that
    equals the sum with text-stored numbers counted as 0 is what Excel shows for accepted text
    numbers: it is not a finding (the text cell has its info finding)."""
    findings: list[Finding] = []
    uncalculated: list[dict[str, Any]] = []
    excel_view: dict[str, Any] | None = None
    if texty:
        excel_view = {**values, **{k: 0 for k in texty}}
    for d in plan.form.derived:
        if invalid and any(r in invalid for r in d.expr.refs):
            values[d.field_id] = None
            invalid.add(d.field_id)
            continue
        try:
            expected = d.func(values, {})
        except (TypeError, KeyError, ZeroDivisionError):
            values[d.field_id] = None
            invalid.add(d.field_id)
            continue
        values[d.field_id] = expected
        cached_raw = raw.get(d.field_id)
        cached = parse_number(cached_raw)
        if cached is not None and math.isclose(cached, expected, rel_tol=0.0, abs_tol=1e-9):
            if excel_view is not None:
                excel_view[d.field_id] = cached
            continue
        if excel_view is not None and cached is not None:
            try:
                as_excel = d.func(excel_view, {})
            except (TypeError, KeyError, ZeroDivisionError):
                as_excel = None
            excel_view[d.field_id] = cached
            if as_excel is not None and math.isclose(cached, as_excel, rel_tol=0.0, abs_tol=1e-9):
                continue
        place = _place(plan, positions, d.field_id)
        how = "unknown"
        sheet_formulas = formulas(place["sheet"])
        if sheet_formulas is not None:
            how = "stale" if place["cell"] in sheet_formulas else "typed"
        if cached_raw in (None, "") and how != "typed":
            uncalculated.append(place)  # nothing cached to mislead anyone: one note per file
            continue
        actual = cached if cached is not None else (cached_raw if cached_raw not in (None, "") else "（空）")
        if isinstance(actual, float) and actual.is_integer():
            actual = int(actual)
        params = {"label": " / ".join(plan.form.fields[d.field_id].label_path), "expected": expected, "actual": actual,
                  "application": application or "未知"}
        findings.append(
            Finding(rule=d.rule, severity="error", message=render(DERIVED_TEMPLATES[how], params),
                    expected=expected, actual=actual, **place)
        )
    if uncalculated:
        first = uncalculated[0]
        findings.insert(0, finding("formulas-not-calculated", count=len(uncalculated), application=application or "未知",
                                   example=f"{first['sheet']}!{first['cell']}", sheet=first["sheet"]))
    return findings


def run_rules(
    plan: FormPlan,
    values: Mapping[str, Any],
    positions: Mapping[str, Position],
    invalid: set[str],
    previous: Mapping[str, Any] | None,
) -> list[Finding]:
    findings: list[Finding] = []
    prev = previous or {}
    _, numeric_refs = _prepared(plan)
    for rp, blank_skips in zip(plan.rules, numeric_refs):
        inst = rp.inst
        if rp.prev_refs and (previous is None or any(prev.get(r) is None for r in rp.prev_refs)):
            continue
        if invalid and any(r in invalid for r in rp.refs):
            continue
        if any(values.get(r) is None for r in blank_skips):
            continue
        try:
            ok = inst.func(values, prev)
        except (TypeError, KeyError, ZeroDivisionError):
            continue
        if ok:
            continue
        params: dict[str, Any] = dict(inst.labels)
        params.update({r: values.get(r) for r in rp.refs})
        lhs = rhs = None
        if rp.lhs is not None:
            try:
                lhs, rhs = rp.lhs(values, prev), rp.rhs(values, prev)
            except (TypeError, KeyError, ZeroDivisionError):
                pass
            params["lhs"], params["rhs"] = lhs, rhs
        if lhs is None:
            lhs = values.get(inst.anchor)
        findings.append(
            Finding(rule=inst.id, severity=inst.rule.severity, message=render(inst.rule.message, params),
                    expected=rhs, actual=lhs, **_place(plan, positions, inst.anchor))
        )
    return findings


def outliers(
    plan: FormPlan,
    values: Mapping[str, Any],
    positions: Mapping[str, Position],
    invalid: set[str],
    previous: Mapping[str, Any] | None,
) -> list[Finding]:
    """The year-over-year warnings (the form's ``compare.measures`` with an ``outlier``): this
    return's measures against the same agency's last year. Nothing without last year's data,
    nothing on a measure that reads an invalid cell."""
    if previous is None:
        return []
    out: list[Finding] = []
    for c in changes(plan.form, values, previous):
        kind = c.outlier
        if kind is None or (invalid and any(r in invalid for r in c.measure.refs)):
            continue
        rule = c.measure.spec.outlier
        place = _place(plan, positions, c.measure.anchor)
        if kind == SHIFT:
            out.append(finding(kind, actual=shown(c, "this"), expected=shown(c, "last"), label=c.measure.label,
                               points=round(abs(c.change), 1), threshold=rule.points, **place))
        else:
            out.append(finding(kind, actual=c.this, expected=c.last, label=c.measure.label, unit=c.measure.spec.unit,
                               ratio=rule.ratio, **place))
    return out
