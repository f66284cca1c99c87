"""How the county's outputs print: every sheet of the summary workbook and of the 催报 list on
A4, with margins, a header naming the workbook and the sheet, and page numbers.

A sheet that places its own page breaks (明细: a page never splits a group of columns) needs
the printed width of its columns; ``column_points`` converts a column width as Excel stores it
(characters of the default font, Calibri 11: 7 pixels each plus 5 of padding) into points.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

A4 = 9  # Excel's paper code
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.75, "bottom": 0.6}  # inches
_LONG_WORD = re.compile(r"[\x21-\x7e]{8,}")
_PAGE = {False: (595.3, 841.9), True: (841.9, 595.3)}  # A4 in points: (width, height), portrait / landscape


def column_points(width: float) -> float:
    return int(width * 7 + 5) * 0.75


def text_units(text: str) -> float:
    """Width of a line of text in column-width units (a CJK character takes two), counted from
    the UTF-8 length so that laying out the texts of 10,000 units stays cheap."""
    n = len(text)
    wide = (len(text.encode("utf-8")) - n) // 2
    return 2 * wide + 1.1 * (n - wide)


def text_lines(text: str, width: float, size: float = 10) -> int:
    """Lines ``text`` wraps to in a column ``width`` wide, at font ``size`` (every line break
    starts a line). Spreadsheets do not fit a generated file's rows to their text, on screen
    or on paper: the height of every wrapped row is set from this."""
    # A 10-point CJK character is two width units wide in Excel (SimSun) and a little less in
    # LibreOffice (Noto CJK), so a column holds about ``width`` units of text per line.
    per_line = max(1, int(width * 10 / size))
    lines = 0
    for part in str(text).split("\n"):
        units = text_units(part)
        if _LONG_WORD.search(part):  # a file name or code does not break where a line is full
            units *= 1.15
        lines += max(1, -(-int(units) // per_line))
    return lines


def row_height(cells, size: float = 10, line: float = 14.5) -> float:
    """Height in points for a row whose wrapped ``cells`` are (text, width) pairs."""
    lines = max((text_lines(t, w, size) for t, w in cells if t), default=1)
    return min(409.0, lines * line * size / 10 + 5)


def printable_width(landscape: bool) -> float:
    """Points across an A4 page inside the margins."""
    return _PAGE[landscape][0] - (MARGINS["left"] + MARGINS["right"]) * 72


def printable_height(landscape: bool) -> float:
    return _PAGE[landscape][1] - (MARGINS["top"] + MARGINS["bottom"]) * 72 - 20  # header and footer lines


def _header_text(text: str) -> str:
    return text.replace("&", "&&")  # "&" starts a code in Excel's header language


def setup_page(
    ws,
    title: str,
    *,
    landscape: bool = False,
    fit: tuple[int, int] | None = (1, 0),
    scale: int | None = None,
    repeat_rows: tuple[int, int] | None = None,
    repeat_cols: tuple[int, int] | None = None,
    area: tuple[int, int, int, int] | None = None,
) -> None:
    """A4, ``title`` top left and the sheet's name top right on every page, 第 x 页，共 y 页 at
    the foot. ``fit`` (pages wide, pages tall; 0 = as many as needed) or a fixed ``scale``;
    ``repeat_rows``/``repeat_cols`` are 0-based inclusive ranges printed on every page;
    ``area`` (first row, first col, last row, last col) limits what prints."""
    ws.set_paper(A4)
    ws.set_margins(**MARGINS)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_header(f"&L&9{_header_text(title)}&R&9&A", {"margin": 0.3})
    ws.set_footer("&C&9第 &P 页，共 &N 页", {"margin": 0.3})
    if scale is not None:
        ws.set_print_scale(scale)
    elif fit is not None:
        ws.fit_to_pages(*fit)
    if repeat_rows is not None:
        ws.repeat_rows(*repeat_rows)
    if repeat_cols is not None:
        ws.repeat_columns(*repeat_cols)
    if area is not None:
        ws.print_area(*area)


def column_bands(widths: Sequence[float], groups: Sequence[int], room: float) -> list[int]:
    """Where pages should break across columns: ``widths`` are the points of the columns after
    the repeated ones, ``groups`` the group index of each column (columns of one group stay on
    one page when they fit on one), ``room`` the points a page has for them. Returns the
    indexes (into ``widths``) of the first column of every page after the first."""
    breaks: list[int] = []
    used = 0.0
    k = 0
    while k < len(widths):
        end = k
        while end < len(widths) and groups[end] == groups[k]:
            end += 1
        need = sum(widths[k:end])
        if used and used + need > room:
            breaks.append(k)
            used = 0.0
        if need > room:  # a group wider than a page: break inside it, column by column
            for j in range(k, end):
                if used and used + widths[j] > room:
                    breaks.append(j)
                    used = 0.0
                used += widths[j]
        else:
            used += need
        k = end
    return breaks
