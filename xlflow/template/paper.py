"""The template on paper: A4 page set-up, row heights that fit the text, the sign-off block.

What a clerk prints and hands on is the workbook itself, so every sheet must print on A4
without a cut: fitted to the page width, a header naming the agency and the sheet on every
page, narrative rows as tall as their text (and left for Excel to grow when the clerk
pastes), and the block the paper copy is signed and stamped in, declared in the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from ..cells import parse_range, quote_sheet
from ..form import FieldDef, Form, SheetSpec, SignoffSpec
from .styles import Styles

MULTILINE_ROW_HEIGHT = 80  # an empty narrative cell: room that invites pasting
MAX_ROW_HEIGHT = 409  # Excel's limit for one row
DEFAULT_COL_WIDTH = 8.43
DEFAULT_ROW_HEIGHT = 15.0
LINE_HEIGHT = 14.0  # 10pt 宋体 (or the CJK fallback font) with its leading
# Page set-up of every sheet (inches): A4, fitted to the page width.
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.7, "bottom": 0.6}


def wrapped_row_height(text: str, width: float) -> float:
    """Height for wrapped text: no spreadsheet program autofits rows of a generated file, so a
    long label (the two （六） rows of table 三) or a pasted narrative would otherwise be cut off
    on screen and paper. A CJK character takes about two width units of a column; every line
    break starts a new line. Capped at Excel's row limit."""
    # A width unit here is half a CJK character of the 10pt font, 5pt; the cell pads ~4pt.
    per_line = max(1, int((column_points(width) - 4) / 5 * 0.97))
    lines = 0
    for para in text.split("\n"):
        units = sum(2 if ord(ch) > 0x2E7F else 1.1 for ch in para)
        lines += max(1, -(-int(units) // per_line))
    return min(MAX_ROW_HEIGHT, max(DEFAULT_ROW_HEIGHT, lines * LINE_HEIGHT + 4))


def column_points(width: float) -> float:
    """A column width (characters of the default font) in points, as Excel lays it out."""
    return int(width * 7 + 5) * 0.75



def page_setup(ws, spec: SheetSpec, stamp) -> None:
    """A4, fitted to the page width (and to ``fit_pages`` pages tall), header and footer."""
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, spec.fit_pages)  # fit to width; as many pages tall as needed unless limited
    ws.center_horizontally()
    ws.set_margins(**MARGINS)
    # Every printed page says whose return it is and which part: pages get separated.
    who = _header_text(stamp.fill("{agency_name}　{year}年度"))
    ws.set_header(f"&L&9{who}&R&9{_header_text(spec.name)}", {"margin": 0.3})
    ws.set_footer("&C第 &P 页，共 &N 页", {"margin": 0.3})
    if spec.landscape:
        ws.set_landscape()
    if spec.repeat_rows:
        first, last = spec.repeat_rows.split(":")
        ws.repeat_rows(int(first) - 1, int(last) - 1)


def write_signoff(ws, st: Styles, form: Form, so: SignoffSpec, cells: Mapping[str, object]) -> dict[int, float]:
    """Row heights of the block the paper copy is signed and stamped in (``signoff``): a
    title, then per item its label and a cell, blank to sign or showing a field (填报人…).
    With ``new_page`` it starts a page of its own: spreadsheets cannot keep rows together,
    and the rows above it grow with what the clerk pastes."""
    r0, c0, _, c1 = parse_range(so.at)
    ws.merge_range(r0, c0, r0, c1, so.title, st.label("section"))
    out = {r0: 24.0}
    for k, item in enumerate(so.items, start=1):
        r = r0 + k
        ws.write_string(r, c0, item.label, st.label("label"))
        if item.field is None:
            value, formula = "", None
        else:
            f = form.fields[item.field]
            ref = f"{quote_sheet(f.sheet)}!{f.cell}"
            value = cells.get(f.id)
            formula = f'=IF({ref}="","",{ref})'
        fmt = st.signoff(form.fields[item.field].type.spec.kind if item.field else "text")
        if c1 > c0 + 1:
            ws.merge_range(r, c0 + 1, r, c1, "", fmt)
        if formula:
            ws.write_formula(r, c0 + 1, formula, fmt, _cached(value))
        else:
            ws.write_blank(r, c0 + 1, None, fmt)
        out[r] = item.height
    if so.new_page:
        ws.set_h_pagebreaks([r0])
    return out


def _cached(value: object) -> object:
    """A formula's cached result for a copied cell: dates as Excel's serial day number."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return (value - date(1899, 12, 30)).days
    return value if isinstance(value, (int, float, str)) else ""


def field_columns(f: FieldDef) -> range:
    _, c1, _, c2 = f.merge or (f.row, f.col, f.row, f.col)
    return range(c1, c2 + 1)


def _header_text(text: str) -> str:
    return text.replace("&", "&&")  # "&" starts a header code


def narrative_rows(form: Form) -> dict[str, set[int]]:
    """Sheet name -> 1-based rows of narrative cells, which Excel should grow to fit what the
    clerk pastes (their height must not be marked as set by hand)."""
    out: dict[str, set[int]] = {}
    for sheet in form.sheets:
        for f in sheet.fields:
            if f.type.spec.multiline:
                out.setdefault(sheet.name, set()).add(f.row + 1)
    return out
