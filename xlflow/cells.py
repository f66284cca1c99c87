"""A1 references: the one place that converts between "D6" and (row, col).

Rows and columns are 0-based internally (as in xlsxwriter and calamine); A1 strings are what
users, findings and form definitions see.
"""

from __future__ import annotations

import re

_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?([1-9][0-9]{0,6})$")


def col_letter(col: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """"A" -> 0, "AA" -> 26."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def a1(row: int, col: int) -> str:
    return f"{col_letter(col)}{row + 1}"


def parse_a1(ref: str) -> tuple[int, int]:
    m = _A1.match(ref.strip().upper())
    if not m:
        raise ValueError(f"不是有效的单元格地址：{ref!r}")
    return int(m.group(2)) - 1, col_index(m.group(1))


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """"A1:C3" -> (0, 0, 2, 2); a single cell "B2" -> (1, 1, 1, 1)."""
    if ":" in ref:
        first, last = ref.split(":", 1)
        r1, c1 = parse_a1(first)
        r2, c2 = parse_a1(last)
        if r2 < r1 or c2 < c1:
            raise ValueError(f"区域的起止顺序颠倒：{ref!r}")
        return r1, c1, r2, c2
    r, c = parse_a1(ref)
    return r, c, r, c


def range_a1(r1: int, c1: int, r2: int, c2: int) -> str:
    if (r1, c1) == (r2, c2):
        return a1(r1, c1)
    return f"{a1(r1, c1)}:{a1(r2, c2)}"


def cell_text(value: object) -> str:
    """A cell's value as the text a clerk typed: codes and years typed as numbers come back
    from the reader as floats (1001.0) and read "1001"; an empty cell is ""."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def quote_sheet(name: str) -> str:
    """Sheet name as used inside a formula: always quoted, inner quotes doubled."""
    return "'" + name.replace("'", "''") + "'"
