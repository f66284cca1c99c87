"""Where are the form's cells in this returned workbook?

A clean return has every label where the definition puts it, and every field at its cell. When
labels disagree, the reader tries, in order: the 2019 layout (one finding, unreadable); the
workbook's defined names (``xlf_<field>``: Excel moves them with inserted rows and columns);
the labels themselves (found elsewhere on the sheet, they tell how far rows and columns moved).
It reports what moved and reads through the new positions; when nothing fits, the sheet, and so
the file, is unreadable with the reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..cells import a1
from ..findings import finding, old_layout
from ..results import Finding
from .book import Book, Grid
from .plan import FormPlan, LabelPlan, SheetPlan, norm

MAX_LABEL_FINDINGS = 5  # per sheet: a tampered sheet gets a few examples, not a flood
MIN_LABELS_MATCHED = 0.5


@dataclass
class Placement:
    positions: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False
    in_place: set[str] = field(default_factory=set)  # sheets found under their name, every cell where defined


def cell(grid: Grid, row: int, col: int) -> object:
    if row < len(grid):
        r = grid[row]
        if col < len(r):
            return r[col]
    return ""


def _label_at(grid: Grid, lb: LabelPlan) -> bool:
    """Does the label's cell hold its text? The text as written is compared first: normalising
    every label of every file would cost more than reading the cells."""
    value = cell(grid, lb.row, lb.col)
    return value == lb.text or norm(value) == lb.key


def find_marker(grid: Grid, plan: FormPlan) -> str | None:
    """The first 2019-only label found anywhere on the sheet."""
    if not plan.markers:
        return None
    keys = dict(plan.markers)
    for row in grid:
        for v in row:
            if isinstance(v, str) and v:
                hit = keys.get(norm(v))
                if hit:
                    return hit
    return None


def locate(book: Book, plan: FormPlan) -> Placement:
    out = Placement()
    for sp in plan.sheets:
        _locate_sheet(book, plan, sp, out)
        if out.unreadable:
            break
    return out


def _locate_sheet(book: Book, plan: FormPlan, sp: SheetPlan, out: Placement) -> None:
    if not sp.fields:
        return  # a guide sheet carries no data: nothing to locate, nothing worth a finding
    actual = sp.name if sp.name in book.sheet_names else _find_renamed(book, plan, sp, out)
    if actual is None:
        present = "、".join(n for n in book.sheet_names if n != plan.meta_sheet) or "（无）"
        out.findings.append(finding("sheet-missing", sheet=sp.name, present=present))
        out.unreadable = True
        return
    grid = book.grid(actual)
    mismatched = [lb for lb in sp.labels if not _label_at(grid, lb)]
    if not mismatched:
        for f in sp.fields:
            out.positions[f.id] = (actual, f.row, f.col)
        if actual == sp.name:
            out.in_place.add(sp.name)
        return
    marker = find_marker(grid, plan)
    if marker:
        out.findings.append(old_layout(plan.form, actual, marker))
        out.unreadable = True
        return
    moved = _through_names(book, plan, sp, actual)
    if moved is not None and _matched(grid, sp, moved[2], moved[3]) < MIN_LABELS_MATCHED * len(sp.labels):
        moved = None  # the names survived but the sheet around them did not
    if moved is None:
        moved = _through_labels(grid, sp, actual)
    if moved is None:
        what = f"{len(mismatched)}/{len(sp.labels)}个栏目文字不符，例如{mismatched[0].text}"
        out.findings.append(finding("layout-unrecognised", sheet=actual, what=what))
        out.unreadable = True
        return
    positions, how, shift_row, shift_col = moved
    out.positions.update(positions)
    _report_moves(sp, actual, positions, how, out)
    _report_labels(grid, sp, actual, shift_row, shift_col, out)


def _find_renamed(book: Book, plan: FormPlan, sp: SheetPlan, out: Placement) -> str | None:
    known = set(plan.sheet_names) | {plan.meta_sheet}
    targets = Counter(
        book.defined_names[f.defined_name][0] for f in sp.fields if f.defined_name in book.defined_names
    )
    how = None
    actual = None
    if targets:
        cand = targets.most_common(1)[0][0]
        if cand in book.sheet_names and cand not in known:
            actual, how = cand, "定义名称"
    if actual is None and sp.labels:
        best, best_score = None, 0.0
        for name in book.sheet_names:
            if name in known:
                continue
            grid = book.grid(name)
            score = sum(1 for lb in sp.labels if norm(cell(grid, lb.row, lb.col)) == lb.key) / len(sp.labels)
            if score > best_score:
                best, best_score = name, score
        if best is not None and best_score >= MIN_LABELS_MATCHED:
            actual, how = best, "表格标签"
    if actual is not None:
        out.findings.append(finding("sheet-renamed", sheet=actual, expected=sp.name, actual=actual, how=how))
    return actual


def _through_names(book: Book, plan: FormPlan, sp: SheetPlan, actual: str):
    names = book.defined_names
    if not sp.fields or not all(f.defined_name in names for f in sp.fields):
        return None
    positions = {}
    for f in sp.fields:
        sheet, row, col = names[f.defined_name]
        if sheet != actual:
            return None
        positions[f.id] = (actual, row, col)
    rows = {f.row: positions[f.id][1] - f.row for f in sp.fields}
    cols = {f.col: positions[f.id][2] - f.col for f in sp.fields}
    return positions, "定义名称", rows, cols


def _through_labels(grid: Grid, sp: SheetPlan, actual: str):
    """Infer row and column shifts from where each label's text now is."""
    if not sp.labels:
        return None
    wanted = {lb.key for lb in sp.labels}
    index: dict[str, list[tuple[int, int]]] = {}
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if isinstance(v, str) and v:
                k = norm(v)
                if k in wanted:
                    index.setdefault(k, []).append((r, c))
    row_votes: dict[int, Counter] = {}
    col_votes: dict[int, Counter] = {}
    for lb in sp.labels:
        occ = index.get(lb.key)
        if not occ:
            continue
        r, c = min(occ, key=lambda p: abs(p[0] - lb.row) + abs(p[1] - lb.col))
        row_votes.setdefault(lb.row, Counter())[r - lb.row] += 1
        col_votes.setdefault(lb.col, Counter())[c - lb.col] += 1
    rows = {k: v.most_common(1)[0][0] for k, v in row_votes.items()}
    cols = {k: v.most_common(1)[0][0] for k, v in col_votes.items()}
    if _matched(grid, sp, rows, cols) < MIN_LABELS_MATCHED * len(sp.labels):
        return None
    positions = {f.id: (actual, f.row + _shift(rows, f.row), f.col + _shift(cols, f.col)) for f in sp.fields}
    return positions, "表格标签", rows, cols


def _matched(grid: Grid, sp: SheetPlan, rows: dict[int, int], cols: dict[int, int]) -> int:
    return sum(
        1 for lb in sp.labels if norm(cell(grid, lb.row + _shift(rows, lb.row), lb.col + _shift(cols, lb.col))) == lb.key
    )


def _shift(table: dict[int, int], x: int) -> int:
    """Shift of the nearest known line at or before x (rows/columns move in blocks)."""
    below = [k for k in table if k <= x]
    if below:
        return table[max(below)]
    return table[min(table)] if table else 0


def _report_moves(sp: SheetPlan, actual: str, positions, how: str, out: Placement) -> None:
    moved = [f for f in sp.fields if positions[f.id][1:] != (f.row, f.col)]
    if not moved:
        return
    shifts = Counter((positions[f.id][1] - f.row, positions[f.id][2] - f.col) for f in moved)
    parts = []
    for (dr, dc), _ in shifts.most_common(3):
        words = []
        if dr:
            words.append(f"{'下' if dr > 0 else '上'}移{abs(dr)}行")
        if dc:
            words.append(f"{'右' if dc > 0 else '左'}移{abs(dc)}列")
        parts.append("、".join(words))
    first = moved[0]
    _, r, c = positions[first.id]
    out.findings.append(
        finding(
            "layout-moved",
            sheet=actual,
            cell=a1(r, c),
            field=first.id,
            expected=first.cell,
            actual=a1(r, c),
            count=len(moved),
            label=" / ".join(first.label_path),
            detail="；".join(parts),
            how=how,
        )
    )


def _report_labels(grid: Grid, sp: SheetPlan, actual: str, rows, cols, out: Placement) -> None:
    shown = 0
    for lb in sp.labels:
        r, c = lb.row + _shift(rows, lb.row), lb.col + _shift(cols, lb.col)
        value = cell(grid, r, c)
        if norm(value) == lb.key:
            continue
        if shown == MAX_LABEL_FINDINGS:
            break
        shown += 1
        out.findings.append(
            finding("label-mismatch", sheet=actual, cell=a1(r, c), expected=lb.text, actual=str(value) if value != "" else "（空）")
        )
