"""A form sheet's tables, laid out for print exactly as the sheet lays them out.

The labels (verbatim, with their merges) and the field cells of each declared table region
become one ``Table``; regions stacked directly on top of each other with the same columns (the
four blocks of a 表二-like sheet) print as one table, as in the official format.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..cells import col_index, parse_range
from ..form import Form, SheetDef
from .model import Cell, Table
from .text import fmt_value

_DEFAULT_WIDTH = 8.43  # Excel's default column width, for columns a sheet does not size
_STYLE = {"header": "header", "note": "note", "title": "header", "section": "header"}


def table_regions(sheet: SheetDef) -> list[tuple[int, int, int, int]]:
    """The sheet's table regions (0-based, inclusive), stacked regions joined."""
    regions = sorted(parse_range(r) for r in sheet.spec.tables)
    joined: list[tuple[int, int, int, int]] = []
    for r in regions:
        if joined:
            r1, c1, r2, c2 = joined[-1]
            if (r[1], r[3]) == (c1, c2) and r[0] == r2 + 1:
                joined[-1] = (r1, c1, r[2], c2)
                continue
        joined.append(r)
    return joined


def sheet_tables(form: Form, sheet: SheetDef, values: Mapping[str, object]) -> list[Table]:
    return [region_table(form, sheet, region, values) for region in table_regions(sheet)]


def region_table(form: Form, sheet: SheetDef, region: tuple[int, int, int, int],
                 values: Mapping[str, object]) -> Table:
    r1, c1, r2, c2 = region
    widths_by_col = {col_index(k): w for k, w in sheet.spec.columns.items()}
    widths = [float(widths_by_col.get(c, _DEFAULT_WIDTH)) for c in range(c1, c2 + 1)]
    cells: list[Cell] = []
    covered: set[tuple[int, int]] = set()

    def inside(rect: tuple[int, int, int, int]) -> bool:
        return r1 <= rect[0] and rect[2] <= r2 and c1 <= rect[1] and rect[3] <= c2

    def place(rect, text, style, field_id=None) -> None:
        a, b, c, d = rect
        cells.append(Cell(a - r1, b - c1, text, style, c - a + 1, d - b + 1, field_id))
        covered.update((r, k) for r in range(a, c + 1) for k in range(b, d + 1))

    for lb in sheet.labels:
        rect = lb.merge or (lb.row, lb.col, lb.row, lb.col)
        if inside(rect):
            place(rect, lb.text, _STYLE.get(lb.style, "label"))
    for f in sheet.fields:
        rect = f.merge or (f.row, f.col, f.row, f.col)
        if inside(rect):
            place(rect, fmt_value(values.get(f.id)), "value", f.id)
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            if (r, c) not in covered:
                place((r, c, r, c), "", "blank")
    return Table(r2 - r1 + 1, c2 - c1 + 1, widths, cells)
