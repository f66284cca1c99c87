"""What the sheet XML tells beyond the values: formulas in input cells, cells outside the form,
hidden rows and columns that hold data, merges that were undone or added.

All of it comes from the book's sheet scan (``read.sheetxml``), made once per sheet before the
values were read. What a sheet of the form looks like (its input cells by reference, its
declared merges) is prepared once per form, so on a clean return these checks are a few set
operations per sheet. xls and ods keep none of this in a form we read (only cells outside the
form are found there, from the grid).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..cells import a1, parse_range, range_a1
from ..findings import finding
from ..read import Book, Placement
from ..read.formulas import is_external
from ..read.plan import FormPlan
from ..results import Finding
from .policy import FORMULA_ERRORS, describe

Position = tuple[str, int, int]
_INDIRECT = re.compile(r"\b(?:INDIRECT|OFFSET)\s*\(", re.I)
_REFERENCE = re.compile(r"(?<![A-Za-z_.])\$?[A-Za-z]{1,3}\$?[0-9]{1,7}(?![0-9A-Za-z_(])")


@dataclass(frozen=True)
class _Sheet:
    """One sheet of the form as the checks need it, prepared once per form."""

    inputs: dict[str, str]  # A1 ref -> field id of the input cells (not derived, not stamped)
    input_refs: frozenset[bytes]  # the same refs, as the sheet scan has them
    declared: frozenset[str]  # merges of the definition (labels and fields)


_prepared: dict[int, tuple[FormPlan, dict[str, _Sheet]]] = {}


def _sheets(plan: FormPlan) -> dict[str, _Sheet]:
    hit = _prepared.get(id(plan))
    if hit is not None and hit[0] is plan:
        return hit[1]
    out = {}
    for s in plan.form.sheets:
        inputs = {f.cell: f.id for f in s.fields if f.derived is None and f.stamp is None}
        declared = frozenset(range_a1(*x.merge) for x in [*s.labels, *s.fields] if x.merge)
        out[s.name] = _Sheet(inputs, frozenset(r.encode() for r in inputs), declared)
    _prepared[id(plan)] = (plan, out)  # keeps the plan alive so its id is never reused
    return out


def outside(book: Book) -> list[Finding]:
    return [finding("cell-out-of-range", sheet=o.sheet, cell=a1(*o.first), count=o.count) for o in book.outside]


def _place(plan: FormPlan, fid: str, pos: Position) -> dict:
    return {"sheet": pos[0], "cell": a1(pos[1], pos[2]), "field": fid, "row_label": plan.row_label.get(fid), "col_label": plan.col_label.get(fid)}


def _inputs_by_sheet(plan: FormPlan, placement: Placement) -> dict[str, dict[str, str]]:
    """Actual sheet -> {A1 ref: field id} of the input cells where this file has them."""
    prepared = _sheets(plan)
    out = {name: prepared[name].inputs for name in placement.in_place}
    moved = {}
    for fid, (sheet, r, c) in placement.positions.items():
        if sheet in out:
            continue
        f = plan.form.fields[fid]
        if f.derived is None and f.stamp is None:
            moved.setdefault(sheet, {})[a1(r, c)] = fid
    out.update(moved)
    return out


def formula_inputs(book: Book, plan: FormPlan, placement: Placement, raw: Mapping, invalid: set[str]) -> list[Finding]:
    """Input cells that hold a formula (the cached result is not a typed number). An error
    result (#DIV/0!) is left to the value policy, which quotes it."""
    out: list[Finding] = []
    prepared = _sheets(plan)
    for sheet, inputs in _inputs_by_sheet(plan, placement).items():
        refs = book.formula_refs(sheet)
        if not refs:
            continue
        hits = refs & prepared[sheet].input_refs if sheet in placement.in_place else {r for r in refs if r.decode() in inputs}
        for ref in sorted(r.decode() for r in hits):
            fid = inputs[ref]
            shown = raw.get(fid)
            if fid in invalid or (isinstance(shown, str) and shown.strip() in FORMULA_ERRORS):
                continue
            text = "=" + (book.formulas(sheet) or {}).get(ref, "")
            invalid.add(fid)
            pos = placement.positions[fid]
            if is_external(text):
                out.append(finding("value-external-link", actual=text, **_place(plan, fid, pos)))
            else:
                f = plan.form.fields[fid]
                out.append(finding("value-formula", actual=text, detail=_detail(text, ref, shown), what=describe(f), **_place(plan, fid, pos)))
    return out


def _detail(text: str, ref: str, shown: object) -> str:
    body = text[1:]
    own = {m.group(0).replace("$", "").upper() for m in _REFERENCE.finditer(body)}
    if ref in own:
        kind = "，引用了单元格自身（循环引用）"
    elif _INDIRECT.search(body):
        kind = "，用 INDIRECT/OFFSET 间接引用其他单元格"
    elif own:
        kind = "，引用了其他单元格"
    else:
        kind = ""
    if shown not in (None, ""):
        value = int(shown) if isinstance(shown, float) and shown.is_integer() else shown
        return f"（显示为 {value}{kind}）"
    return f"（没有保存计算结果{kind}）"


def hidden(book: Book, plan: FormPlan, placement: Placement) -> list[Finding]:
    """Hidden rows or columns of the form's sheets that hold something: one finding per sheet."""
    out: list[Finding] = []
    for sheet, inputs in _inputs_by_sheet(plan, placement).items():
        sc = book.scan(sheet)
        if sc is None or not (sc.hidden_rows or sc.hidden_cols):
            continue

        hidden_cols = {c for lo, hi in sc.hidden_cols for c in range(lo, min(hi, plan.bounds.cols) + 1)}
        grid = book.grid(sheet)
        used = [(r, c) for r, row in enumerate(grid) for c, v in enumerate(row)
                if v not in ("", None) and (r in sc.hidden_rows or c in hidden_cols)]
        if not used:
            continue
        counted = [rc for rc in used if a1(*rc) in inputs]
        first = counted[0] if counted else used[0]
        rows = any(r in sc.hidden_rows for r, _ in used)
        cols = any(c in hidden_cols for _, c in used)
        what = "、".join(w for w, on in (("行", rows), ("列", cols)) if on)
        effect = ("隐藏的填报单元格中的数字照常计入汇总，但打印和查看时看不到。" if counted
                  else "这些内容不是填报项，不计入汇总。")
        out.append(finding("hidden-data", sheet=sheet, cell=a1(*first), what=what, effect=effect, field=inputs.get(a1(*first))))
    return out


def merges(book: Book, plan: FormPlan, placement: Placement) -> list[Finding]:
    """Label merges undone, and merges added over input cells (sheets read in place only: a
    moved layout has its own finding)."""
    out: list[Finding] = []
    prepared = _sheets(plan)
    for s in plan.form.sheets:
        if s.name not in placement.in_place:
            continue
        sc = book.scan(s.name)
        if sc is not None and sc.merges != prepared[s.name].declared:
            out.extend(_merge_findings(plan, s, prepared[s.name], frozenset(sc.merges)))
    return out


_merge_memo: dict[tuple[int, str, frozenset[str]], tuple[FormPlan, list[Finding]]] = {}


def _merge_findings(plan: FormPlan, s, prepared: _Sheet, found: frozenset[str]) -> list[Finding]:
    """Memoised: every clean return of a form has the same merges (its template adds a few of
    its own, beside the table, that cover no input)."""
    key = (id(plan), s.name, found)
    hit = _merge_memo.get(key)
    if hit is not None and hit[0] is plan:
        return list(hit[1])
    out: list[Finding] = []
    lost = [lb for lb in s.labels if lb.merge and range_a1(*lb.merge) not in found]
    if lost:
        lb = lost[0]
        out.append(finding("label-unmerged", sheet=s.name, cell=lb.cell, label=lb.text, expected=range_a1(*lb.merge)))
    inputs = [f for f in s.fields if f.is_input]
    for ref in sorted(found - prepared.declared):
        try:
            r1, c1, r2, c2 = parse_range(ref)
        except ValueError:
            continue
        covered = [f for f in inputs if r1 <= f.row <= r2 and c1 <= f.col <= c2 and (f.row, f.col) != (r1, c1)]
        if covered:
            f = covered[0]
            out.append(finding("input-merged", actual=ref, **_place(plan, f.id, (s.name, f.row, f.col))))
    if len(_merge_memo) > 256:
        _merge_memo.clear()
    _merge_memo[key] = (plan, out)
    return list(out)
