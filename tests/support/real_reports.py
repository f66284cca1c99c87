"""Real published reports (shared/reference/real_reports.json) as field values of a form.

The transcriptions key table 三 rows by their official labels ("三、本年度办理结果/（三）不予公开/
1.属于国家秘密") and list table 四 in official order, so they map onto the form through its own
label paths and cell order; nothing here repeats the layout. Blank published cells are None.
"""

from __future__ import annotations

import json
from pathlib import Path

REAL_REPORTS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "real_reports.json"
COPY = Path(__file__).resolve().parents[1] / "data" / "real_reports.json"


def load_real_reports() -> list[dict]:
    path = COPY if COPY.exists() else REAL_REPORTS
    return json.loads(path.read_text(encoding="utf-8"))


def report_values(form, report: dict) -> dict[str, object]:
    """Input values of tables 二, 三, 四 (totals included where published: the caller decides
    whether to type them over the formulas)."""
    values: dict[str, object] = {}
    sheet = {key: [f for f in form.fields.values() if f.sheet_key == key] for key in ("t2", "t3", "t4")}
    # 表二: label path = (block title, row label, column label)
    for f in sheet["t2"]:
        block, row_label, col_label = f.label_path
        published = report["table2"][block]
        if "columns" in published:
            values[f.id] = published[row_label][published["columns"].index(col_label)]
        else:
            key = next(k for k in published if k.startswith(row_label))
            values[f.id] = published[key]
    # 表三: the row part of the label path, joined as the transcription joins it
    columns = report["table3"]["columns"]
    rows = report["table3"]["rows"]
    for f in sheet["t3"]:
        col_label = f.label_path[-1]
        path = [p for p in f.label_path if p not in ("申请人情况", "法人或其他组织", col_label)]
        row_key = "/".join(path)
        if row_key in rows:
            values[f.id] = rows[row_key][columns.index(col_label)]
        else:
            # A report in the old layout published （六）其他处理 as one row: a clerk moving it
            # into the 2021 template would put it under "3.其他" and 0 in the other two.
            group = rows["/".join(path[:-1])][columns.index(col_label)]
            values[f.id] = group if path[-1].startswith("3.") else (0 if group is not None else None)
    # 表四: 15 numbers in official (left-to-right) order
    for f, v in zip(sorted(sheet["t4"], key=lambda f: f.col), report["table4"]):
        values[f.id] = v
    return values
