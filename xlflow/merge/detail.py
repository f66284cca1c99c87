"""明细: one row per unit in the totals, one column per number of the form; a 合计 row (and a
subtotal per roster group) under the units, as formulas over their rows.

On paper (A4 landscape, at a fixed scale): the unit's code and name are repeated on every
page, and so are the three header rows, which say each column's table, row and column in the
form's own words (from the form's labels); a page never splits a row group of a table (the
seven applicant columns of 表三's “一、本年新收…”) when the group fits on a page, so the merged
headings stay whole. The field ids (row 1, for tracing a number back to the form definition)
and the file columns (统计范围, 所含单位, 文件) are outside the printed area.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cells import col_letter, quote_sheet
from ..form import FieldDef
from ..totals import totals, values_row
from ..vocab import SHEET_DETAIL
from .pages import column_bands, column_points, printable_width, setup_page, text_lines, text_units
from .stream import cell_value

FIELD_ID_ROW = 0
HEAD_ROWS = (1, 2, 3)  # table, row label, column label
DETAIL_FIRST_ROW = 4  # 0-based row of the first unit
NUMBER_WIDTH = {"integer": 5.5, "decimal": 8.5}
PRINT_SCALE = 75
_NUMBER = (int, float)
OTHER_GROUP = "其他"  # units in a grouped roster whose group cell is empty, or not on the roster


@dataclass(frozen=True)
class Column:
    head: tuple[str, str, str]  # the three header rows
    width: float
    field: FieldDef | None = None


def _last(path: str) -> str:
    return path.split(" / ")[-1]


def field_heads(fd: FieldDef) -> tuple[str, str]:
    """The row and column headings of a field: (“一、本年新收…”, “自然人”) for a table cell,
    ("", label) for a number standing alone."""
    if fd.col_label and fd.row_label:
        return fd.row_label.replace(" / ", "\n"), _last(fd.col_label)
    if fd.col_label:
        parts = fd.col_label.split(" / ")
        return "\n".join(parts[:-1]), parts[-1]
    return "", fd.label


class DetailLayout:
    """The columns of 明细, and where each field's column and the unit rows are."""

    def __init__(self, form, names: list[str], groups: list[str]):
        self.form = form
        self.grouped = bool(groups)
        fit = lambda texts, least: min(32.0, max([least] + [text_units(t) + 1.5 for t in texts]))  # noqa: E731
        lead = [Column(("单位代码", "", ""), 11), Column(("单位名称", "", ""), fit(names, 16))]
        if groups:
            lead.append(Column(("分组", "", ""), fit(groups, 8)))
        self.lead = lead
        self.numbers = [
            Column((fd.sheet, *field_heads(fd)), NUMBER_WIDTH.get(fd.type.spec.kind, 8.5), fd) for fd in form.numeric_fields
        ]
        self.trail = [Column(("统计范围", "", ""), 8), Column(("所含单位", "", ""), 24), Column(("文件", "", ""), 30)]
        self.columns = [*self.lead, *self.numbers, *self.trail]
        self.col = {c.field.id: k for k, c in enumerate(self.columns) if c.field is not None}
        self.first_number = len(lead)
        self.last_printed = len(lead) + len(self.numbers) - 1
        self.summable = {f.id for f in form.summable_fields}

    def sum_ref(self, field_id: str, count: int) -> str:
        """``SUM`` over a field's column of the unit rows (what every total on 汇总 is)."""
        letter = col_letter(self.col[field_id])
        first, last = DETAIL_FIRST_ROW + 1, DETAIL_FIRST_ROW + count
        return f"=SUM({quote_sheet(SHEET_DETAIL)}!{letter}{first}:{letter}{last})"


def write_detail(book) -> DetailLayout:
    c, f = book.c, book.fmt
    layout = DetailLayout(c.form, [u.name for u in c.units], book.groups)
    ws = book.wb.add_worksheet(SHEET_DETAIL)
    for k, col in enumerate(layout.columns):
        ws.set_column(k, k, col.width)
    breaks = column_bands(
        [column_points(col.width) for col in layout.numbers],
        _groups(layout.numbers),
        # a little room to spare: LibreOffice's columns come out slightly wider than Excel's
        printable_width(True) * 100 / PRINT_SCALE * 0.93 - sum(column_points(col.width) for col in layout.lead),
    )
    _write_head(ws, layout, f, {layout.first_number + b for b in breaks})
    known = book.member_name_map()
    ids = tuple(col.field.id for col in layout.numbers)
    group_of = book.group_of

    def rows():
        for u in c.units:
            lead = [u.code, u.name] + ([group_of(u.code)] if layout.grouped else [])
            names = "、".join(known.get(m, m) for m in u.members)
            numbers = [v if type(v) in _NUMBER else cell_value(v) for v in values_row(u.values, ids)]
            yield lead + numbers + [u.scope, names, u.entry.result.path.name]

    formats = [f.text] * len(layout.lead) + [f.number(col.field) for col in layout.numbers] + [f.text] * len(layout.trail)
    book.write_rows(ws, DETAIL_FIRST_ROW, len(c.units), rows(), formats)
    last = _write_sums(book, ws, layout)
    ws.autofilter(HEAD_ROWS[-1], 0, DETAIL_FIRST_ROW + max(len(c.units), 1) - 1, len(layout.columns) - 1)
    ws.freeze_panes(DETAIL_FIRST_ROW, len(layout.lead))
    ws.set_v_pagebreaks(sorted(layout.first_number + b for b in breaks))
    setup_page(ws, book.title, landscape=True, fit=None, scale=PRINT_SCALE,
               repeat_rows=(HEAD_ROWS[0], HEAD_ROWS[-1]), repeat_cols=(0, len(layout.lead) - 1),
               area=(HEAD_ROWS[0], 0, last, layout.last_printed))
    return layout


def _groups(columns: list[Column]) -> list[int]:
    """A group index per column: consecutive columns of one table and one row heading."""
    out, key, n = [], None, -1
    for col in columns:
        k = (col.head[0], col.head[1]) if col.head[1] else (col.head[0], id(col))
        if k != key:
            key, n = k, n + 1
        out.append(n)
    return out


def _write_head(ws, layout: DetailLayout, f, page_starts: set[int]) -> None:
    """Row 1 field ids (small, not printed); rows 2-4 table / row / column headings, merged
    over equal neighbours but never across a page break."""
    cols = layout.columns
    r_table, r_row, r_col = HEAD_ROWS
    for k, col in enumerate(cols):
        ws.write_string(FIELD_ID_ROW, k, col.field.id if col.field else "", f.small)
        if col.field is None:
            _merge(ws, r_table, k, r_col, k, col.head[0], f.head)
        elif not col.head[1]:
            _merge(ws, r_row, k, r_col, k, col.head[2], f.head)
        else:
            ws.write_string(r_col, k, col.head[2], f.head)
    heights = {r_row: 1, r_col: 1}
    for level, r in ((0, r_table), (1, r_row)):
        for k1, k2 in _runs(cols, level, page_starts):
            _merge(ws, r, k1, r, k2, cols[k1].head[level], f.head)
            if r in heights:
                heights[r] = max(heights[r], text_lines(cols[k1].head[level], sum(c.width for c in cols[k1:k2 + 1])))
    for k, col in enumerate(cols):
        if col.field is not None and col.head[1]:
            heights[r_col] = max(heights[r_col], text_lines(col.head[2], col.width))
    ws.set_row(r_table, 20)
    for r, lines in heights.items():
        ws.set_row(r, min(lines, 12) * 13 + 6)


def _runs(cols: list[Column], level: int, page_starts: set[int]):
    """(first, last) column of each run of number columns with the same headings down to
    ``level``, cut where a page starts."""
    k = 0
    while k < len(cols):
        col = cols[k]
        if col.field is None or (level == 1 and not col.head[1]):
            k += 1
            continue
        end = k
        while (end + 1 < len(cols) and end + 1 not in page_starts and cols[end + 1].field is not None
               and cols[end + 1].head[:level + 1] == col.head[:level + 1]):
            end += 1
        yield k, end
        k = end + 1


def _merge(ws, r1: int, c1: int, r2: int, c2: int, text: str, fmt) -> None:
    if r1 == r2 and c1 == c2:
        ws.write_string(r1, c1, text, fmt)
    else:
        ws.merge_range(r1, c1, r2, c2, text, fmt)


def _write_sums(book, ws, layout: DetailLayout) -> int:
    """The subtotal of each roster group (SUMIF over the 分组 column) and the 合计 row (SUM),
    under the units, with their values cached. Returns the last row written."""
    c, f = book.c, book.fmt
    n = len(c.units)
    row = DETAIL_FIRST_ROW + n
    first, last = DETAIL_FIRST_ROW + 1, DETAIL_FIRST_ROW + n
    lines: list[tuple[str, str | None, dict]] = []
    if layout.grouped:
        for g in book.groups:
            members = [u.values for u in c.units if book.group_of(u.code) == g]
            lines.append((f"{g}小计（{len(members)}个单位）", g, totals(c.form, members)))
    lines.append((f"合计（{n}个单位）", None, c.totals))
    group_col = col_letter(len(layout.lead) - 1)
    for label, group, sums in lines:
        ws.merge_range(row, 0, row, len(layout.lead) - 1, label, f.total_label)
        for col in layout.numbers:
            fd, k = col.field, layout.col[col.field.id]
            fmt = f.total_number(fd)
            if fd.id not in layout.summable:
                ws.write_string(row, k, "—", fmt)  # a count whose meaning each unit chose: no sum
                continue
            value = sums.get(fd.id, 0) or 0
            if not n:
                ws.write_number(row, k, 0, fmt)
                continue
            letter = col_letter(k)
            rng = f"{letter}{first}:{letter}{last}"
            if group is None:
                ws.write_formula(row, k, f"=SUM({rng})", fmt, value)
            else:
                criteria = '"' + group.replace('"', '""') + '"'
                ws.write_formula(row, k, f"=SUMIF(${group_col}${first}:${group_col}${last},{criteria},{rng})", fmt, value)
        for k in range(layout.last_printed + 1, len(layout.columns)):
            ws.write_blank(row, k, None, f.total_label)
        row += 1
    return row - 1
