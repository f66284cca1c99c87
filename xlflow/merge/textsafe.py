"""Text from returned files stays text in every output.

In workbooks every such string goes through ``write_string`` (never ``write``), so "=1+1" is
stored as a string. CSV has no types: a spreadsheet opening it would run a cell starting with
= + - @ (or a tab/CR before one) as a formula, so those cells get a leading apostrophe, the
convention Excel and LibreOffice show as plain text.
"""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
