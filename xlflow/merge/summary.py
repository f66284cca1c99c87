"""The summary's machine-readable part: the very hidden ``_xlflow`` sheet, written and read.

Layout (a contract with validation, which reads a summary given as input at the next level):
key/value rows (``xlflow_form_id`` … ``xlflow_kind = summary``), a blank row, then a table
``agency_code | agency_name | scope | members | <every non-stamp field id in form order>``
with one row per included unit. ``members`` is the ';'-joined list of agency codes a unit
that is itself a summary contains (transitively), empty otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .. import __version__
from ..errors import XlflowError
from ..form import Form
from ..template import META_SHEET
from .fields import as_number, data_fields

SUMMARY_KIND = "summary"
# With a roster, the summary records who should have reported and who is not in it, so that a
# report drafted from the summary can say so (xlflow.report.from_file).
ROSTER_SIZE_KEY = "xlflow_roster_size"
MISSING_KEY = "xlflow_missing"  # JSON list of [code, name]
_MISSING_LIMIT = 30000  # characters: a cell holds 32,767
TABLE_HEAD = ("agency_code", "agency_name", "scope", "members")
MEMBER_SEP = ";"


class SummaryError(XlflowError):
    """A file that should be an xlflow summary cannot be read as one (names the file)."""


def summary_identity(form: Form, year: int | None, code: str, name: str) -> dict[str, str]:
    return {
        "xlflow_form_id": form.form_id,
        "xlflow_form_version": form.version,
        "xlflow_year": "" if year is None else str(year),
        "xlflow_agency_code": code,
        "xlflow_agency_name": name,
        "xlflow_fingerprint": form.fingerprint,
        "xlflow_generator": f"xlflow {__version__}",
        "xlflow_kind": SUMMARY_KIND,
    }


def roster_identity(roster_size: int, missing: list[tuple[str, str]]) -> dict[str, str]:
    """The rows ``roster_size`` and ``missing`` add to the summary's metadata (the list is cut
    where a cell would overflow; the count stays exact)."""
    kept: list[tuple[str, str]] = []
    for unit in missing:
        if len(json.dumps([*kept, unit], ensure_ascii=False)) > _MISSING_LIMIT:
            break
        kept.append(unit)
    return {ROSTER_SIZE_KEY: str(roster_size), MISSING_KEY: json.dumps(kept, ensure_ascii=False),
            "xlflow_missing_count": str(len(missing))}


@dataclass
class SummaryRow:
    code: str
    name: str
    scope: str
    members: list[str]
    values: dict[str, object]


@dataclass
class Summary:
    path: Path
    identity: dict[str, str]
    rows: list[SummaryRow]
    totals: dict[str, object] = field(default_factory=dict)  # numbers summed over rows
    missing_fields: list[str] = field(default_factory=list)  # form fields absent from the table
    unknown_fields: list[str] = field(default_factory=list)  # table columns the form lacks

    @property
    def year(self) -> int | None:
        text = self.identity.get("xlflow_year", "")
        return int(text) if text.isdigit() else None

    @property
    def roster_size(self) -> int | None:
        """How many units the roster of the merge had; None when it was merged without one."""
        text = self.identity.get(ROSTER_SIZE_KEY, "")
        return int(text) if text.isdigit() else None

    @property
    def missing(self) -> tuple[int, list[tuple[str, str]]] | None:
        """(count, [(code, name), ...]) of roster units not in the summary; None without roster."""
        if self.roster_size is None:
            return None
        try:
            units = [(str(c), str(n)) for c, n in json.loads(self.identity.get(MISSING_KEY) or "[]")]
        except (ValueError, TypeError):
            units = []
        count = self.identity.get("xlflow_missing_count", "")
        return (int(count) if count.isdigit() else len(units)), units

    @property
    def members(self) -> list[str]:
        """Every agency code inside this summary, transitively."""
        out: list[str] = []
        for row in self.rows:
            for c in (row.code, *row.members):
                if c and c not in out:
                    out.append(c)
        return out


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _value(form: Form, fid: str, raw: object) -> object:
    f = form.fields[fid]
    kind = f.type.spec.kind
    if raw is None or raw == "":
        return f.default if f.type.numeric else None
    if f.type.numeric:
        return as_number(f, raw)
    if kind == "date":
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw).strip()[:10])
        except ValueError:
            return str(raw)
    return _text(raw) if not isinstance(raw, str) else raw


def read_summary(path: Path | str, form: Form) -> Summary:
    """Read an xlflow summary workbook (as written by ``xlflow merge``, or resaved by Excel,
    WPS or LibreOffice). Raises ``SummaryError`` when the file is not one."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for broken or foreign files
        raise SummaryError(f"{path.name}：无法作为汇总表打开（{exc}）") from None
    if META_SHEET not in wb.sheet_names:
        raise SummaryError(f"{path.name}：没有隐藏的 {META_SHEET} 工作表，不是 xlflow 生成的汇总表")
    try:
        grid = wb.get_sheet_by_name(META_SHEET).to_python(skip_empty_area=False)
    except Exception as exc:
        raise SummaryError(f"{path.name}：{META_SHEET} 工作表无法读取（{exc}）") from None
    identity: dict[str, str] = {}
    i = 0
    while i < len(grid) and grid[i] and _text(grid[i][0]):
        row = grid[i]
        identity[_text(row[0])] = _text(row[1]) if len(row) > 1 else ""
        i += 1
    if identity.get("xlflow_kind") != SUMMARY_KIND:
        raise SummaryError(f"{path.name}：元数据中 xlflow_kind 不是 {SUMMARY_KIND}，不是汇总表")
    while i < len(grid) and not any(_text(c) for c in grid[i]):
        i += 1
    if i >= len(grid) or tuple(_text(c) for c in grid[i][: len(TABLE_HEAD)]) != TABLE_HEAD:
        raise SummaryError(f"{path.name}：{META_SHEET} 工作表缺少单位明细表头（{' | '.join(TABLE_HEAD)} …）")
    header = [_text(c) for c in grid[i]]
    columns = {fid: k for k, fid in enumerate(header) if k >= len(TABLE_HEAD) and fid}
    known = [f.id for f in data_fields(form)]
    rows: list[SummaryRow] = []
    for raw in grid[i + 1 :]:
        cells = list(raw) + [None] * (len(header) - len(raw))
        code = _text(cells[0])
        if not code:
            continue
        members = [m.strip() for m in _text(cells[3]).split(MEMBER_SEP) if m.strip()]
        values = {fid: _value(form, fid, cells[columns[fid]]) if fid in columns else None for fid in known}
        rows.append(SummaryRow(code, _text(cells[1]), _text(cells[2]), members, values))
    summary = Summary(
        path,
        identity,
        rows,
        missing_fields=[fid for fid in known if fid not in columns],
        unknown_fields=[fid for fid in columns if fid not in form.fields],
    )
    summary.totals = _totals(form, rows)
    return summary


def _totals(form: Form, rows: list[SummaryRow]) -> dict[str, object]:
    from .consolidate import sum_units

    class _Row:  # sum_units reads .values only
        def __init__(self, values):
            self.values = values

    totals = sum_units([_Row(r.values) for r in rows], form)
    return {**{f.id: None for f in data_fields(form) if not f.type.numeric}, **totals}
