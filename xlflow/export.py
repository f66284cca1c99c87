"""Validation results for people and programs: ``--json`` (a contract) and ``--xlsx`` (for the clerk).

The JSON keys of files and findings are documented in the issue and must not be renamed;
extra keys are allowed. The workbook has one row per finding (filterable, header frozen, Chinese
headers) and a second sheet with one row per file.

Both are written as results arrive (``JsonWriter``, ``FindingsWorkbookWriter``), so checking a
province's 10,000 returns does not hold 10,000 results in memory; each output appears under its
name only when complete (written beside it, then renamed).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from . import __version__
from .findings import CATALOG, rule_label, rule_names
from .form import Form
from .results import FileResult
from .vocab import FILE_STATUS_ZH, SEVERITY_ZH



def _basis(form: Form, rule: str, field: str | None) -> str:
    """Which rule of the definition a finding enforces: value codes implement the form's value
    rule (``value_rule``, R5 in the 2021 form)."""
    kind = CATALOG.get(rule)
    if kind is not None and kind.group == "value" and field in form.fields:
        return form.value_rule(form.fields[field]) or rule
    return rule


_STATUSES = ("valid", "invalid", "unreadable")


def file_entry(form: Form, r: FileResult) -> dict[str, Any]:
    """One entry of the ``files`` list of ``xlflow validate --json`` (the portal's JSON answer too)."""
    d = r.to_dict()
    d["members"] = list(r.members)
    for fd in d["findings"]:
        fd["basis"] = _basis(form, fd["rule"], fd["field"])
    return d


_file_entry = file_entry  # the name before the portal used it


def _document_head(form: Form) -> dict[str, Any]:
    return {
        "form": form.form_id,
        "form_version": form.version,
        "form_title": form.spec.title,
        "generator": f"xlflow {__version__}",
    }


def json_document(form: Form, results: Iterable[FileResult]) -> dict[str, Any]:
    files = []
    counts = dict.fromkeys(_STATUSES, 0)
    for r in results:
        files.append(_file_entry(form, r))
        counts[r.status] += 1
    return {**_document_head(form), "counts": counts, "files": files}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


class _Staged:
    """A temporary file beside ``path``, renamed over it by ``commit`` (as
    ``fsutil.atomic_write_bytes`` does for outputs built in memory): a reader, or a crash,
    never sees half an output."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".xlflow-", suffix=".tmp", dir=path.parent)
        os.close(fd)
        self.path, self.tmp = path, Path(tmp)

    def commit(self) -> None:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(self.tmp, 0o666 & ~mask)  # mkstemp creates 0600; give the permissions a new file gets
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


class JsonWriter:
    """The ``--json`` document, file entries written as they come. The counts stand before the
    files in the document, so the entries are spooled to a temporary file and copied behind
    the counts at the end; the bytes are those of ``json.dumps(json_document(...), indent=2)``."""

    def __init__(self, path: Path, form: Form):
        self.path = Path(path)
        self.form = form
        self.counts = dict.fromkeys(_STATUSES, 0)
        self._spool: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - lives until close()

    def add(self, r: FileResult) -> None:
        entry = _dumps(_file_entry(self.form, r))
        # json.dumps indents nested values by level; an entry sits two levels deep. Only the
        # layout's own line breaks are "\n" (strings escape theirs), so splitting on it is exact.
        self._spool.write(("," if any(self.counts.values()) else "") + "\n    " + entry.replace("\n", "\n    "))
        self.counts[r.status] += 1

    def close(self) -> None:
        """Write the document and rename it into place."""
        head = _dumps({**_document_head(self.form), "counts": self.counts, "files": []})
        assert head.endswith('"files": []\n}')
        staged = _Staged(self.path)
        try:
            with open(staged.tmp, "w", encoding="utf-8") as out:
                if not any(self.counts.values()):
                    out.write(head)
                else:
                    out.write(head[: -len("]\n}")])
                    self._spool.seek(0)
                    shutil.copyfileobj(self._spool, out)
                    out.write("\n  ]\n}")
            staged.commit()
        finally:
            staged.discard()
            self._spool.close()

    def discard(self) -> None:
        self._spool.close()


def write_json(path: Path, form: Form, results: Iterable[FileResult]) -> None:
    writer = JsonWriter(path, form)
    try:
        for r in results:
            writer.add(r)
        writer.close()
    finally:
        writer.discard()


_FINDING_COLUMNS = [
    ("文件", 40), ("单位代码", 14), ("单位名称", 28), ("年度", 8), ("文件状态", 10), ("级别", 8), ("问题（代码）", 30),
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


class FindingsWorkbookWriter:
    """The ``--xlsx`` workbook, rows written as results come (xlsxwriter's constant-memory mode
    keeps only the current row of each sheet in memory)."""

    def __init__(self, path: Path, names: dict[str, str] | None = None):
        self.path = Path(path)
        self._names = names or rule_names()
        self._staged = _Staged(self.path)
        self._wb = xlsxwriter.Workbook(
            str(self._staged.tmp),
            {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        head = self._wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
        wrap = self._wb.add_format({"text_wrap": True, "valign": "top"})
        self._ws = self._wb.add_worksheet("问题清单")
        self._fs = self._wb.add_worksheet("文件清单")
        for sheet, cols in ((self._ws, _FINDING_COLUMNS), (self._fs, _FILE_COLUMNS)):
            for c, (title, width) in enumerate(cols):
                sheet.write_string(0, c, title, head)
                sheet.set_column(c, c, width, wrap if title == "问题说明" else None)
            sheet.freeze_panes(1, 0)
        self._row = self._frow = 0
        self._closed = False

    def add(self, r: FileResult) -> None:
        self._frow += 1
        file_cells = [str(r.path), r.agency_code, r.agency_name, r.year, r.scope, FILE_STATUS_ZH[r.status], r.errors, r.warnings, r.application, r.sha256]
        for c, v in enumerate(file_cells):
            self._fs.write(self._frow, c, _cell(v))
        for f in r.findings:
            self._row += 1
            cells = [str(r.path), r.agency_code, r.agency_name, r.year, FILE_STATUS_ZH[r.status], SEVERITY_ZH[f.severity],
                     rule_label(f.rule, self._names),
                     f.sheet, f.cell, f.field, f.row_label, f.col_label, f.message, f.expected, f.actual]
            for c, v in enumerate(cells):
                self._ws.write(self._row, c, _cell(v))

    def close(self) -> None:
        """Finish the workbook and rename it into place."""
        self._ws.autofilter(0, 0, max(self._row, 1), len(_FINDING_COLUMNS) - 1)
        self._fs.autofilter(0, 0, max(self._frow, 1), len(_FILE_COLUMNS) - 1)
        self._closed = True
        try:
            self._wb.close()
            self._staged.commit()
        finally:
            self._staged.discard()

    def discard(self) -> None:
        """Drop the unfinished workbook (an interrupted run leaves no output and no temp file)."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(Exception):
                self._wb.close()
        self._staged.discard()

