"""validate_file: one returned workbook in, one ``FileResult`` out, whatever the file is.

Order matters for "one clear finding, not a flood": the file (format, size, encryption), then
its identity (form, year, agency), then the layout, and only then cell values and rules.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..cells import a1
from ..findings import finding, is_unreadable, old_layout
from ..form import Form
from ..read import Book, ReadProblem, find_marker, locate, plan_for
from ..read.archive import MAX_FILE_BYTES
from ..read.plan import FormPlan
from ..results import FileResult, Finding
from ..roster import Agency
from ..summaryfile import is_summary
from . import sheetchecks
from .checks import derive, normalise, outliers, run_rules
from .identity import check_identity
from .summary import validate_summary

_FORMAT_NAMES = {"xls": ".xls（Excel 97-2003）", "ods": ".ods（OpenDocument）"}
_NO_IDENTITY_UNREADABLE = ("sheet-missing", "layout-unrecognised")


def validate_file(
    path: str | os.PathLike,
    form: Form,
    *,
    year: int | None = None,
    roster: Sequence[Agency] | None = None,
    previous: Any = None,
) -> FileResult:
    """Validate one returned file. Never raises for a bad file: the problem is a finding."""
    path = Path(path)
    result = FileResult(path=path, status="unreadable")
    plan = plan_for(form)
    try:
        data = read_input(path)
    except ReadProblem as p:
        result.findings.append(finding(p.code, **p.params))
        return _finish(result)
    except OSError as exc:
        result.findings.append(finding("file-io-error", what=os_error_text(exc)))
        return _finish(result)
    result.sha256 = hashlib.sha256(data).hexdigest()
    book = None
    try:
        with Book(data, plan.meta_sheet, plan.bounds) as book:
            _validate_book(book, plan, result, year, roster, previous)
    except ReadProblem as p:
        result.findings.append(finding(p.code, **p.params))
        result.values = None
    except MemoryError:
        raise  # the worker reports it: its memory limit was reached (see isolation)
    except Exception as exc:  # noqa: BLE001 - a hostile or exotic file must not stop the run
        result.findings.append(finding("file-corrupt", what=f"读取时出错（{type(exc).__name__}：{str(exc)[:200]}）"))
        result.values = None
    if book is not None:
        result.findings.extend(sheetchecks.outside(book))
    return _finish(result)


_OS_ERRORS = {
    errno.ENOENT: "文件不存在，可能在校验过程中被移走或删除",
    errno.EACCES: "没有读取权限",
    errno.EPERM: "没有读取权限",
    errno.EISDIR: "这是一个文件夹",
    errno.ELOOP: "符号链接形成了循环",
    errno.EBUSY: "文件正被其他程序占用",
    errno.ENAMETOOLONG: "路径过长",
    errno.EIO: "磁盘读取错误",
}


def os_error_text(exc: OSError) -> str:
    """The clerk's words for why the operating system could not read a file."""
    return _OS_ERRORS.get(exc.errno) or exc.strerror or str(exc)


def read_input(path: Path) -> bytes:
    """The file's bytes, at most the size limit; a folder, device or pipe is refused before it
    is opened (reading a pipe would wait forever)."""
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        raise ReadProblem("file-io-error", what="不是普通文件（文件夹、设备或管道）")
    too_large = f"超过上限 {MAX_FILE_BYTES // 1024 // 1024} MB"
    if st.st_size > MAX_FILE_BYTES:
        raise ReadProblem("file-too-large", what=f"文件大小 {st.st_size // 1024 // 1024} MB，{too_large}")
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:  # it grew after the check
        raise ReadProblem("file-too-large", what=f"文件大小{too_large}")
    return data


def _finish(result: FileResult) -> FileResult:
    if any(is_unreadable(f) for f in result.findings):
        result.status = "unreadable"
        result.values = None
    elif any(f.severity == "error" for f in result.findings):
        result.status = "invalid"
    else:
        result.status = "valid"
    return result


def _validate_book(book: Book, plan: FormPlan, result: FileResult, year, roster, previous) -> None:
    form = plan.form
    result.application = book.application
    if book.kind in _FORMAT_NAMES:
        result.findings.append(
            finding("file-format-converted", kind=_FORMAT_NAMES[book.kind], application=book.application or "保存程序未知")
        )
    if book.kind == "xlsm" and "xl/vbaProject.bin" in book.sn.names:
        result.findings.append(finding("file-macros"))
    ident = book.identity
    if is_summary(ident):
        validate_summary(result, book, form, year=year, roster=roster, previous=previous)
        return
    form_id = ident.get("xlflow_form_id")
    if form_id and form_id != form.form_id:
        result.findings.append(finding("wrong-form", expected=form.spec.title, actual=form_id))
        return
    if not form_id:
        for name in book.sheet_names:
            marker = find_marker(book.grid(name), plan)
            if marker:
                result.findings.append(old_layout(form, name, marker))
                return
    elif ident.get("xlflow_fingerprint", form.fingerprint) != form.fingerprint or ident.get("xlflow_form_version", form.version) != form.version:
        result.findings.append(finding("template-outdated", expected=form.version, actual=ident.get("xlflow_form_version", "未知")))

    placement = locate(book, plan)
    if placement.unreadable and is_summary(book.meta_rows):
        # A summary whose custom properties were lost (saved as .xls): its metadata sheet says so.
        validate_summary(result, book, form, year=year, roster=roster, previous=previous)
        return
    if placement.unreadable and not form_id and any(f.rule in _NO_IDENTITY_UNREADABLE for f in placement.findings):
        what = "；".join(f.message for f in placement.findings if f.rule in _NO_IDENTITY_UNREADABLE)[:200]
        result.findings.append(finding("not-a-template", form_title=form.spec.title, what=what))
        return
    result.findings.extend(placement.findings)
    if placement.unreadable:
        return
    if not form_id:
        result.findings.append(finding("identity-missing"))

    positions = placement.positions
    raw = _raw_values(book, positions)
    _error_values(book, form, positions, raw)
    invalid: set[str] = set()
    result.findings.extend(_external_links(book, plan, positions, invalid))
    formula_findings = sheetchecks.formula_inputs(book, plan, placement, raw, invalid)
    texty: set[str] = set()
    values, value_findings = normalise(plan, raw, positions, invalid, texty)
    result.findings.extend(check_identity(plan, result, ident, values, positions, year, roster))
    result.findings.extend(formula_findings)
    result.findings.extend(value_findings)
    result.findings.extend(sheetchecks.merges(book, plan, placement))
    result.findings.extend(sheetchecks.hidden(book, plan, placement))

    result.findings.extend(derive(plan, values, raw, positions, invalid, book.formula_cells, book.application, texty))
    prev = previous.for_agency(result.agency_code) if previous is not None and result.agency_code else None
    result.findings.extend(run_rules(plan, values, positions, invalid, prev))
    result.findings.extend(outliers(plan, values, positions, invalid, prev))
    result.values = values


def _raw_values(book: Book, positions) -> dict[str, object]:
    """field id -> the cell's value as read ("" outside the sheet's used area)."""
    grids = {sheet: book.grid(sheet) for sheet in {p[0] for p in positions.values()}}
    raw: dict[str, object] = {}
    for fid, (sheet, r, c) in positions.items():
        grid = grids[sheet]
        row = grid[r] if r < len(grid) else ()
        raw[fid] = row[c] if c < len(row) else ""
    return raw


def _error_values(book: Book, form: Form, positions, raw: dict) -> None:
    """calamine reads error cells as blank: put the error text back so the finding quotes it."""
    blank_sheets = {positions[fid][0] for fid, v in raw.items() if v == "" and form.fields[fid].type.numeric}
    for sheet in blank_sheets:
        errors = book.errors(sheet)
        if not errors:
            continue
        for fid, (s, r, c) in positions.items():
            if s == sheet and raw[fid] == "" and a1(r, c) in errors:
                raw[fid] = errors[a1(r, c)]


def _external_links(book: Book, plan: FormPlan, positions, invalid: set[str]) -> list[Finding]:
    sheets = sorted({s for s, _, _ in positions.values()})
    found = book.external_formulas(sheets)
    if found is None:
        return []
    at = {(s, a1(r, c)): fid for fid, (s, r, c) in positions.items()}
    out = []
    for (sheet, ref), formula in sorted(found.items()):
        fid = at.get((sheet, ref))
        if fid is None:
            continue
        invalid.add(fid)
        out.append(
            finding("value-external-link", sheet=sheet, cell=ref, field=fid, actual="=" + formula,
                    row_label=plan.row_label.get(fid), col_label=plan.col_label.get(fid))
        )
    if not out:
        what = "、".join(sorted(n for n in book.sn.names if n.startswith("xl/externalLinks/") and n.endswith(".xml")))
        out.append(finding("external-links", what=what or "外部链接"))
    return out
