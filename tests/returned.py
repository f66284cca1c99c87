"""Builders for returned workbooks: a generated template, filled, then broken on purpose.

Every fixture starts from ``TemplateFactory(form, year).build(name, code, values)`` bytes (what
Excel would save for a correct return) and injects one mistake, by editing the zip parts or the
sheet XML directly (exactly one cell changes) or with openpyxl where a structural change is
needed. One builder per finding kind.
"""

from __future__ import annotations

import io
import json
import re
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from xlflow.form import load_form
from xlflow.template import TemplateFactory, cells_xml
from xlflow.template.package import ZipPacker, unzip_parts

FORM = load_form()
YEAR = 2024
CODE = "370829014"
NAME = "嘉祥县金融工作服务中心"
REAL_REPORTS = Path("/work/shared/reference/real_reports.json")
ROSTER_CSV = Path(__file__).resolve().parents[1] / "xlflow" / "samples" / "jiaxiang_roster.csv"


@lru_cache(maxsize=4)
def factory(year: int = YEAR) -> TemplateFactory:
    return TemplateFactory(FORM, year)


def clean_values(**overrides) -> dict[str, object]:
    """A plausible, fully correct return (every rule holds)."""
    v: dict[str, object] = {
        "unit.scope": "本级",
        "unit.contact": "张三",
        "unit.phone": "0537-6853353",
        "s1.proactive_total": 21,
        "s5.text": "存在的主要问题：公开内容还不够丰富。改进措施：加强培训，规范发布流程。",
        "t2.norms.issued": 3, "t2.norms.repealed": 1, "t2.norms.in_force": 12,
        "t2.licensing": 120, "t2.penalty": 4, "t2.fees": 1.25,
        "t3.new.natural": 5, "t3.new.business": 2, "t3.carried.natural": 1,
        "t3.granted.natural": 4, "t3.partial.business": 1, "t3.unable_no_info.natural": 1,
        "t3.next.natural": 1, "t3.next.business": 1,
        "t4.review.upheld": 1, "t4.direct.pending": 1,
        "cat.c1.name": "会议公开", "cat.c1.count": 16, "cat.c2.name": "通知公告", "cat.c2.count": 5,
    }
    v.update(overrides)
    return v


def build(values: dict | None = None, *, name: str = NAME, code: str = CODE, year: int = YEAR) -> bytes:
    return factory(year).build(name, code, clean_values() if values is None else values)


def write(tmp_path: Path, data: bytes, name: str = "return.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- zip/XML surgery ----------------------------------------------------------------------

def parts(data: bytes) -> dict[str, bytes]:
    return unzip_parts(data)


def pack(p: dict[str, bytes]) -> bytes:
    return ZipPacker().pack(p)


def set_cell(data: bytes, fid: str, value, *, keep_formula: bool = False, error: bool = False) -> bytes:
    """Replace one field's cell in the sheet XML: a number, a string (inline), None (blank),
    "=..." (a formula, cached value 0), with ``keep_formula`` only the cached value, with
    ``error`` an error value such as "#REF!"."""
    if not (keep_formula or error):
        return set_cells(data, {fid: value})
    p = parts(data)
    f = FORM.fields[fid]
    name = cells_xml.sheet_parts(p)[f.sheet]
    if error:
        p[name] = cells_xml.replace_cell(p[name], f.cell, f"<v>{escape(value)}</v>".encode(), "e")
    else:
        formula = re.search(rb"<f>.*?</f>", cells_xml.cell_content(p[name], f.cell)).group(0)
        p[name] = cells_xml.replace_cell(p[name], f.cell, formula + f"<v>{value}</v>".encode())
    return pack(p)


def set_cells(data: bytes, cells: dict) -> bytes:
    return cells_xml.set_cells(data, FORM, cells)


def build_with_blanks(values: dict, **kw) -> bytes:
    """Like ``build``, but cells whose value is None are left blank, as a clerk leaves them
    (the cached totals count them as 0, as Excel does)."""
    blanks = [k for k, v in values.items() if v is None and FORM.fields[k].type.numeric]
    data = build({k: (0 if k in blanks else v) for k, v in values.items()}, **kw)
    return set_cells(data, {k: None for k in blanks}) if blanks else data


def replace_part(data: bytes, name: str, content: bytes | None) -> bytes:
    p = parts(data)
    if content is None:
        p.pop(name, None)
    else:
        p[name] = content
    return pack(p)


def set_label(data: bytes, sheet: str, old: str, new: str) -> bytes:
    """Change a label's text in the shared strings (all cells showing it)."""
    p = parts(data)
    sst = p["xl/sharedStrings.xml"].decode()
    assert f">{escape(old)}<" in sst, old
    p["xl/sharedStrings.xml"] = sst.replace(f">{escape(old)}<", f">{escape(new)}<", 1).encode()
    return pack(p)


def with_openpyxl(data: bytes, edit) -> bytes:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def add_external_link(data: bytes, fid: str) -> bytes:
    """An input cell computed from another workbook, as Excel stores it."""
    data = set_cell(data, fid, "=[1]Sheet1!$A$1")
    p = parts(data)
    p["xl/externalLinks/externalLink1.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<externalLink xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        b'r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>'
    )
    return pack(p)


# -- real published reports -----------------------------------------------------------------

def real_reports() -> list[dict]:
    return json.loads(REAL_REPORTS.read_text(encoding="utf-8"))


def real_values(report: dict) -> dict[str, object]:
    """A real report's tables as field values (blank cells stay blank: None)."""
    sets = FORM.spec.sets
    v = clean_values()
    for key in list(v):
        if key.startswith(("t2.", "t3.", "t4.")):
            del v[key]
    t2 = report["table2"]
    first = t2["第二十条第（一）项"]
    for doc, label in sets["t2_docs"].items():
        for col, value in zip(sets["t2_doc_cols"], first[label]):
            v[f"t2.{doc}.{col}"] = value
    v["t2.licensing"] = t2["第二十条第（五）项"]["行政许可"]
    v["t2.penalty"] = t2["第二十条第（六）项"]["行政处罚"]
    v["t2.coercion"] = t2["第二十条第（六）项"]["行政强制"]
    v["t2.fees"] = next(iter(t2["第二十条第（八）项"].values()))
    rows = list(report["table3"]["rows"].values())
    if len(rows) == len(sets["t3_rows"]) - 2:
        # The 2019 layout's single （六）其他处理 row: typed into 3.其他 of the 2021 table.
        at = list(sets["t3_rows"]).index("other_no_correction")
        rows[at:at] = [[0] * 7, [0] * 7]
    assert len(rows) == len(sets["t3_rows"])
    for row_key, numbers in zip(sets["t3_rows"], rows):
        for col_key, value in zip(sets["t3_applicants"], numbers):
            v[f"t3.{row_key}.{col_key}"] = value
    t4 = report["table4"]
    for g, group in enumerate(sets["t4_groups"]):
        for i, part in enumerate(sets["t4_parts"]):
            v[f"t4.{group}.{part}"] = t4[g * 5 + i]
    return v
