"""What the sheet XML tells beyond the values: formulas in input cells, cells outside the form,
hidden rows and columns that hold data, merges that were undone or added.

All of it comes from the book's sheet scan (``read.sheetxml``), made once per sheet before the
values were read, so these checks cost set lookups on a clean return. xls and ods keep none of
this in a form we read (only cells outside the form are found there, from the grid).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..cells import a1, parse_range, range_a1
from ..findings import finding
from ..read import Book
from ..read.formulas import is_external
from ..read.plan import FormPlan
from ..results import Finding
from .policy import FORMULA_ERRORS, describe

Position = tuple[str, int, int]
_INDIRECT = re.compile(r"\b(?:INDIRECT|OFFSET)\s*\(", re.I)
_REFERENCE = re.compile(r"(?<![A-Za-z_.])\$?[A-Za-z]{1,3}\$?[0-9]{1,7}(?![0-9A-Za-z_(])")


def outside(book: Book) -> list[Finding]:
    return [finding("cell-out-of-range", sheet=o.sheet, cell=a1(*o.first), count=o.count) for o in book.outside]


def _place(plan: FormPlan, fid: str, pos: Position) -> dict:
    return {"sheet": pos[0], "cell": a1(pos[1], pos[2]), "field": fid, "row_label": plan.row_label.get(fid), "col_label": plan.col_label.get(fid)}


def formula_inputs(book: Book, plan: FormPlan, positions: Mapping[str, Position], raw: Mapping, invalid: set[str]) -> list[Finding]:
    """Input cells that hold a formula (the cached result is not a typed number). An error
    result (#DIV/0!) is left to the value policy, which quotes it."""
    fields = plan.form.fields
    out: list[Finding] = []
    by_sheet: dict[str, set[str] | None] = {}
    for fid, pos in positions.items():
        f = fields[fid]
        if f.derived is not None or f.stamp is not None or fid in invalid:
            continue
        sheet = pos[0]
        if sheet not in by_sheet:
            by_sheet[sheet] = book.formula_cells(sheet)
        cells = by_sheet[sheet]
        ref = a1(pos[1], pos[2])
        if not cells or ref not in cells:
            continue
        shown = raw.get(fid)
        if isinstance(shown, str) and shown.strip() in FORMULA_ERRORS:
            continue
        text = "=" + (book.formulas(sheet) or {}).get(ref, "")
        invalid.add(fid)
        if is_external(text):
            out.append(finding("value-external-link", actual=text, **_place(plan, fid, pos)))
            continue
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


def hidden(book: Book, plan: FormPlan, positions: Mapping[str, Position], raw: Mapping) -> list[Finding]:
    """Hidden rows or columns of the form's sheets that hold something: one finding per sheet."""
    out: list[Finding] = []
    at: dict[str, dict[tuple[int, int], str]] = {}
    for fid, (sheet, r, c) in positions.items():
        at.setdefault(sheet, {})[(r, c)] = fid
    for sheet, cells in at.items():
        sc = book.scan(sheet)
        if sc is None or not (sc.hidden_rows or sc.hidden_cols):
            continue

        def is_hidden(r: int, c: int) -> bool:
            return r in sc.hidden_rows or any(lo <= c <= hi for lo, hi in sc.hidden_cols)

        grid = book.grid(sheet)
        used = [(r, c) for r, row in enumerate(grid) for c, v in enumerate(row) if v not in ("", None) and is_hidden(r, c)]
        if not used:
            continue
        inputs = [rc for rc in used if rc in cells and plan.form.fields[cells[rc]].derived is None]
        first = inputs[0] if inputs else used[0]
        rows = any(r in sc.hidden_rows for r, _ in used)
        cols = any(lo <= c <= hi for _, c in used for lo, hi in sc.hidden_cols)
        what = "、".join(w for w, on in (("行", rows), ("列", cols)) if on)
        effect = ("隐藏的填报单元格中的数字照常计入汇总，但打印和查看时看不到。" if inputs
                  else "这些内容不是填报项，不计入汇总。")
        out.append(finding("hidden-data", sheet=sheet, cell=a1(*first), what=what, effect=effect,
                           field=cells.get(first)))
    return out


def merges(book: Book, plan: FormPlan, positions: Mapping[str, Position]) -> list[Finding]:
    """Label merges undone, and merges added over input cells (sheets read in place only: a
    moved layout has its own finding)."""
    out: list[Finding] = []
    for s in plan.form.sheets:
        if not s.fields or any(positions.get(f.id) != (s.name, f.row, f.col) for f in s.fields):
            continue
        sc = book.scan(s.name)
        if sc is not None:
            out.extend(_merge_findings(plan, s, frozenset(sc.merges)))
    return out


_merge_memo: dict[tuple[int, str, frozenset[str]], tuple[FormPlan, list[Finding]]] = {}


def _merge_findings(plan: FormPlan, s, found: frozenset[str]) -> list[Finding]:
    """Memoised: every clean return of a form has the same merges."""
    key = (id(plan), s.name, found)
    hit = _merge_memo.get(key)
    if hit is not None and hit[0] is plan:
        return list(hit[1])
    out: list[Finding] = []
    declared = {range_a1(*x.merge) for x in [*s.labels, *s.fields] if x.merge}
    lost = [lb for lb in s.labels if lb.merge and range_a1(*lb.merge) not in found]
    if lost:
        lb = lost[0]
        out.append(finding("label-unmerged", sheet=s.name, cell=lb.cell, label=lb.text, expected=range_a1(*lb.merge)))
    inputs = [f for f in s.fields if f.is_input]
    for ref in sorted(found - declared):
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
