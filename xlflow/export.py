"""Validation results for people and programs: ``--json`` (a contract) and ``--xlsx`` (for the clerk).

The JSON keys of files and findings are documented in the issue and must not be renamed;
extra keys are allowed. The workbook has one row per finding (filterable, header frozen, Chinese
headers) and a second sheet with one row per file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import xlsxwriter

from . import __version__
from .findings import CATALOG
from .form import Form
from .fsutil import atomic_write_bytes
from .results import FileResult

STATUS_ZH = {"valid": "合格", "invalid": "不合格", "unreadable": "无法读取"}
SEVERITY_ZH = {"error": "错误", "warning": "提示", "info": "信息"}


def _basis(form: Form, rule: str, field: str | None) -> str:
    """Which rule of the definition a finding enforces: value codes implement the type's rule (R5)."""
    kind = CATALOG.get(rule)
    if kind is not None and kind.group == "value" and field in form.fields:
        return form.fields[field].type.spec.rule
    return rule


def json_document(form: Form, results: Iterable[FileResult]) -> dict[str, Any]:
    files = []
    counts = {"valid": 0, "invalid": 0, "unreadable": 0}
    for r in results:
        d = r.to_dict()
        d["members"] = list(r.members)
        for fd in d["findings"]:
            fd["basis"] = _basis(form, fd["rule"], fd["field"])
        files.append(d)
        counts[r.status] += 1
    return {
        "form": form.form_id,
        "form_version": form.version,
        "form_title": form.spec.title,
        "generator": f"xlflow {__version__}",
        "counts": counts,
        "files": files,
    }


def write_json(path: Path, form: Form, results: Iterable[FileResult]) -> None:
    doc = json_document(form, results)
    atomic_write_bytes(Path(path), json.dumps(doc, ensure_ascii=False, indent=2, default=str).encode("utf-8"))


_FINDING_COLUMNS = [
    ("文件", 40), ("单位代码", 14), ("单位名称", 28), ("年度", 8), ("文件状态", 10), ("级别", 8), ("规则/代码", 18),
    ("工作表", 16), ("单元格", 8), ("字段", 24), ("行标签", 30), ("列标签", 20), ("问题说明", 80), ("应为", 14), ("实际", 14),
]
_FILE_COLUMNS = [
    ("文件", 40), ("单位代码", 14), ("单位名称", 28), ("年度", 8), ("统计范围", 8), ("文件状态", 10), ("错误", 8), ("提示", 8),
    ("保存程序", 30), ("SHA-256", 20),
]


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)


def findings_workbook(results: Iterable[FileResult]) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet("问题清单")
    fs = wb.add_worksheet("文件清单")
    for sheet, cols in ((ws, _FINDING_COLUMNS), (fs, _FILE_COLUMNS)):
        for c, (title, width) in enumerate(cols):
            sheet.write_string(0, c, title, head)
            sheet.set_column(c, c, width, wrap if title == "问题说明" else None)
        sheet.freeze_panes(1, 0)
    row = frow = 0
    for r in results:
        frow += 1
        file_cells = [str(r.path), r.agency_code, r.agency_name, r.year, r.scope, STATUS_ZH[r.status], r.errors, r.warnings, r.application, r.sha256]
        for c, v in enumerate(file_cells):
            fs.write(frow, c, _cell(v))
        for f in r.findings:
            row += 1
            cells = [str(r.path), r.agency_code, r.agency_name, r.year, STATUS_ZH[r.status], SEVERITY_ZH[f.severity], f.rule,
                     f.sheet, f.cell, f.field, f.row_label, f.col_label, f.message, f.expected, f.actual]
            for c, v in enumerate(cells):
                ws.write(row, c, _cell(v))
    ws.autofilter(0, 0, max(row, 1), len(_FINDING_COLUMNS) - 1)
    fs.autofilter(0, 0, max(frow, 1), len(_FILE_COLUMNS) - 1)
    wb.close()
    return buf.getvalue()


def write_findings_xlsx(path: Path, results: Iterable[FileResult]) -> None:
    atomic_write_bytes(Path(path), findings_workbook(results))
