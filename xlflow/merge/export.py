"""``--csv DIR``: the summary in long format, one line per unit and field.

Columns: agency_code, agency_name, scope, field_id, sheet, cell, label, value. The totals come
last under the consolidating unit's own code with the form's summary scope (汇总). UTF-8 with BOM, so Excel on a
Chinese Windows opens it correctly.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from ..fsutil import atomic_write_bytes
from ..totals import values_row
from ..vocab import DEFAULT_UNIT_NAME
from .consolidate import Consolidation
from .textsafe import safe_csv_cell

HEAD = ("agency_code", "agency_name", "scope", "field_id", "sheet", "cell", "label", "value")


def _value(v: object) -> object:
    return v.isoformat() if isinstance(v, date) else v


def long_rows(c: Consolidation):
    fields = c.form.data_fields
    ids = tuple(f.id for f in fields)
    for u in c.units:
        for f, v in zip(fields, values_row(u.values, ids)):
            yield (u.code, u.name, u.scope, f.id, f.sheet, f.cell, f.label, _value(v))
    for f in c.form.summable_fields:
        yield (c.code, c.name, c.form.summary_scope, f.id, f.sheet, f.cell, f.label, c.totals.get(f.id))


def csv_filename(c: Consolidation) -> str:
    return f"{c.name or c.code or DEFAULT_UNIT_NAME}_{c.year or ''}年_汇总明细_长表.csv"


def write_long_csv(c: Consolidation, out_dir: Path) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEAD)
    for row in long_rows(c):
        w.writerow([safe_csv_cell(x) for x in row])
    path = Path(out_dir) / csv_filename(c)
    atomic_write_bytes(path, buf.getvalue().encode("utf-8-sig"))
    return path
