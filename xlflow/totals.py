"""Adding units up: the one sum behind every total xlflow shows or checks.

A merge's totals, a summary read back (by the next level's merge, by validation, by
``--previous``, by the report) and the city's sum of county summaries are all
``totals(form, rows)``, so they cannot disagree. Each summable number (``Form.summable_fields``)
is added cell by cell; a number whose sum means nothing (a category count next to a category
name each agency types) keeps the form's default; text stays empty; derived cells are
recomputed from the summed inputs, and decimal sums are rounded to what their type allows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .form import FieldDef, Form


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


def round_total(field: FieldDef, value: int | float) -> int | float:
    """Floating sums of decimal amounts (0.1 + 0.2) rounded to what the type allows."""
    if isinstance(value, int):
        return value
    if field.type.spec.kind == "integer" and float(value).is_integer():
        return int(value)
    decimals = field.type.spec.decimals
    return round(value, decimals + 2) if decimals is not None else value


def values_row(values: Mapping[str, object], ids: tuple[str, ...]) -> list:
    """``[values.get(i) for i in ids]``. A compact mapping that can hand over a whole row in one
    call (``row(ids)``: the merge's packed values) is asked for it instead."""
    row = getattr(values, "row", None)
    if row is not None:
        return row(ids)
    return [values.get(fid) for fid in ids]


def totals(form: Form, rows: Iterable[Mapping[str, object]]) -> dict[str, Any]:
    """Every data field of the form, summed over ``rows`` (field id -> value mappings)."""
    fields = form.summable_fields
    ids = tuple(f.id for f in fields)
    sums: list[int | float] = [0] * len(fields)
    for row in rows:
        for k, v in enumerate(values_row(row, ids)):
            t = type(v)
            sums[k] += v if t is int or t is float else as_number(fields[k], v)
    out: dict[str, Any] = {}
    for f in form.data_fields:
        out[f.id] = (f.default if f.default is not None else 0) if f.type.numeric else None
    for f, total in zip(fields, sums):
        out[f.id] = round_total(f, total)
    summed_derived = {d.field_id: out[d.field_id] for d in form.derived if d.field_id in out}
    form.compute_derived(out)
    for fid, value in summed_derived.items():
        out[fid] = round_total(form.fields[fid], out[fid]) if out.get(fid) is not None else value
    return out
