"""Which fields of a form a summary shows where, decided from the definition's structure.

Nothing here names a field of a particular form: a sheet is a *table* when every field on it
is a number; a number is *summable* unless free text on its own row gives it its meaning (a
category count next to a category name typed by each agency cannot be added across units).
"""

from __future__ import annotations

from ..form import FieldDef, Form, SheetDef


def data_fields(form: Form) -> list[FieldDef]:
    """Every field an agency's return carries, in form order (stamps are the identity)."""
    return [f for f in form.fields.values() if f.stamp is None]


def numeric_fields(form: Form) -> list[FieldDef]:
    return [f for f in data_fields(form) if f.type.numeric]


def _text_rows(sheet: SheetDef) -> set[int]:
    return {f.row for f in sheet.fields if f.is_input and f.type.spec.kind == "text"}


def summable_fields(form: Form) -> list[FieldDef]:
    """Numbers whose sum over units means something."""
    out = []
    for sheet in form.sheets:
        text_rows = _text_rows(sheet)
        out.extend(f for f in sheet.fields if f.stamp is None and f.type.numeric and f.row not in text_rows)
    order = {fid: i for i, fid in enumerate(form.fields)}
    return sorted(out, key=lambda f: order[f.id])


def table_sheets(form: Form) -> list[SheetDef]:
    """Sheets that are numeric tables (the official tables): laid out again in the summary."""
    return [
        s for s in form.sheets
        if s.spec.kind == "form" and s.fields and all(f.type.numeric and f.stamp is None for f in s.fields)
    ]


def narrative_fields(form: Form) -> list[FieldDef]:
    """Long free-text sections (what the clerk compiles into the county's own report)."""
    return [f for f in data_fields(form) if f.is_input and f.type.spec.kind == "text" and f.type.spec.multiline]


def date_field(form: Form) -> FieldDef | None:
    """The return's own date (填报日期), used to pick the latest of two returns."""
    return next((f for f in data_fields(form) if f.is_input and f.type.spec.kind == "date"), None)


def as_number(field: FieldDef, value: object) -> int | float:
    """A validated value as a number for summing; blank counts as 0 (the template's default)."""
    if value is None or value == "" or isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        num = value
    else:
        try:
            num = float(str(value).strip().replace(",", ""))
        except ValueError:
            return 0
    if field.type.spec.kind == "integer" and float(num).is_integer():
        return int(num)
    return num


def round_total(field: FieldDef, value: float) -> int | float:
    """Floating sums of decimal amounts (0.1 + 0.2) rounded to what the type allows."""
    if isinstance(value, int):
        return value
    if field.type.spec.kind == "integer" and float(value).is_integer():
        return int(value)
    decimals = field.type.spec.decimals
    return round(value, decimals + 2) if decimals is not None else value
