"""A summary workbook as a file: what makes a workbook an xlflow summary, written and read.

The machine-readable part is the very hidden metadata sheet (``_xlflow``): key/value rows
(``xlflow_form_id`` … ``xlflow_kind = summary``, also written as custom document properties),
a blank row, then a table ``agency_code | agency_name | scope | members | <every data field id
in form order>`` with one row per unit in the totals. ``members`` is the ';'-joined list of
agency codes a unit that is itself a summary contains (transitively), empty otherwise.

This is the one place that knows the layout. The merge writes it (``identity``,
``table_header``, ``row_lead``); the next level's merge, validation, ``--previous``, the report
and the workspace read it (``read_summary``, or ``parse_summary`` on a workbook already open);
the numbers a summary stands for are ``totals.totals`` of its rows, for every reader alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from . import __version__
from .cells import a1, cell_text
from .errors import XlflowError
from .findings import finding
from .form import Form
from .read import Book, ReadProblem
from .read.archive import MAX_FILE_BYTES
from .read.sheetxml import Bounds
from .totals import as_number, totals
from .vocab import META_SHEET

SUMMARY_KIND = "summary"
TABLE_HEAD = ("agency_code", "agency_name", "scope", "members")
MEMBER_SEP = ";"
MAX_UNITS = 100_000  # rows of one summary's table; a province has some tens of thousands of agencies
# With a roster, the summary records who should have reported and who is not in it, so that a
# report drafted from the summary can say so (xlflow.report.from_file).
ROSTER_SIZE_KEY = "xlflow_roster_size"
MISSING_KEY = "xlflow_missing"  # JSON list of [code, name]
MISSING_COUNT_KEY = "xlflow_missing_count"
_MISSING_LIMIT = 30000  # characters: a cell holds 32,767
# With --previous (上年对比), last year's year and totals of the fields the form's measures read
# (JSON {field id: value}), so that the county draft can show last year beside this year.
PREVIOUS_YEAR_KEY = "xlflow_previous_year"
PREVIOUS_TOTALS_KEY = "xlflow_previous_totals"


class SummaryError(XlflowError):
    """A file that should be an xlflow summary cannot be read as one (the message names it)."""


def identity(form: Form, year: int | None, code: str, name: str) -> dict[str, str]:
    """The key/value rows (and custom properties) of a summary by unit ``code``/``name``."""
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


def roster_identity(roster_size: int, missing: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The rows a merge with a roster adds to the metadata: the roster's size and the units not
    in the summary (the list is cut where a cell would overflow; the count stays exact)."""
    kept: list[tuple[str, str]] = []
    for unit in missing:
        if len(json.dumps([*kept, unit], ensure_ascii=False)) > _MISSING_LIMIT:
            break
        kept.append(unit)
    return {ROSTER_SIZE_KEY: str(roster_size), MISSING_KEY: json.dumps(kept, ensure_ascii=False),
            MISSING_COUNT_KEY: str(len(missing))}


def previous_identity(year: int | None, totals: Mapping[str, object]) -> dict[str, str]:
    """The rows a merge with last year's data adds to the metadata."""
    numbers = {k: v for k, v in totals.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return {PREVIOUS_YEAR_KEY: "" if year is None else str(year),
            PREVIOUS_TOTALS_KEY: json.dumps(numbers, ensure_ascii=False, sort_keys=True)}


def is_summary(ident: Mapping[str, str]) -> bool:
    """Whether a workbook's xlflow identity (properties or metadata rows) says it is a summary."""
    return ident.get("xlflow_kind") == SUMMARY_KIND


def table_header(form: Form) -> list[str]:
    return [*TABLE_HEAD, *(f.id for f in form.data_fields)]


def row_lead(code: str, name: str, scope: str, members: Sequence[str]) -> list[str]:
    """The first cells of a unit's row; its values follow in ``form.data_fields`` order."""
    return [code, name, scope, MEMBER_SEP.join(members)]


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
    totals: dict[str, object] = field(default_factory=dict)  # ``totals.totals`` of the rows
    missing_fields: list[str] = field(default_factory=list)  # form fields absent from the table
    unknown_fields: list[str] = field(default_factory=list)  # table columns the form lacks

    @property
    def year(self) -> int | None:
        text = self.identity.get("xlflow_year", "")
        return int(text) if text.isdigit() else None

    @property
    def code(self) -> str:
        return self.identity.get("xlflow_agency_code", "")

    @property
    def name(self) -> str:
        return self.identity.get("xlflow_agency_name", "")

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
        count = self.identity.get(MISSING_COUNT_KEY, "")
        return (int(count) if count.isdigit() else len(units)), units

    @property
    def previous(self) -> tuple[int | None, dict[str, object]] | None:
        """(last year, last year's totals of the measured fields) when the summary was merged
        with ``--previous``; None otherwise (or when the rows cannot be read)."""
        text = self.identity.get(PREVIOUS_TOTALS_KEY)
        if not text:
            return None
        try:
            totals = json.loads(text)
        except ValueError:
            return None
        if not isinstance(totals, dict):
            return None
        year = self.identity.get(PREVIOUS_YEAR_KEY, "")
        numbers = {str(k): v for k, v in totals.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        return (int(year) if year.isdigit() else None), numbers

    @property
    def members(self) -> list[str]:
        """Every agency code inside this summary, transitively (its rows and their members)."""
        out: list[str] = []
        for row in self.rows:
            for c in (row.code, *row.members):
                if c and c not in out:
                    out.append(c)
        return out


def _text(value: object) -> str:
    return cell_text(value).strip()


def _value(form: Form, fid: str, raw: object) -> object:
    f = form.fields[fid]
    if raw is None or raw == "":
        return f.default if f.type.numeric else None
    if f.type.numeric:
        return as_number(f, raw)
    if f.type.spec.kind == "date":
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw).strip()[:10])
        except ValueError:
            return str(raw)
    return raw if isinstance(raw, str) else _text(raw)


def parse_summary(grid: list[list[object]], form: Form, path: Path) -> Summary:
    """The summary in the rows of a metadata sheet (``path`` names it in messages)."""
    ident: dict[str, str] = {}
    i = 0
    while i < len(grid) and grid[i] and _text(grid[i][0]):
        row = grid[i]
        ident[_text(row[0])] = _text(row[1]) if len(row) > 1 else ""
        i += 1
    if not is_summary(ident):
        raise SummaryError(f"{path.name}：元数据中 xlflow_kind 不是 {SUMMARY_KIND}，不是汇总表")
    while i < len(grid) and not any(_text(c) for c in grid[i]):
        i += 1
    if i >= len(grid) or tuple(_text(c) for c in grid[i][: len(TABLE_HEAD)]) != TABLE_HEAD:
        raise SummaryError(f"{path.name}：{META_SHEET} 工作表缺少单位明细表头（{' | '.join(TABLE_HEAD)} …）")
    header = [_text(c) for c in grid[i]]
    columns = {fid: k for k, fid in enumerate(header) if k >= len(TABLE_HEAD) and fid}
    known = [f.id for f in form.data_fields]
    rows: list[SummaryRow] = []
    for raw in grid[i + 1 :]:
        cells = list(raw) + [None] * (len(header) - len(raw))
        code = _text(cells[0])
        if not code:
            continue
        members = [m.strip() for m in _text(cells[3]).split(MEMBER_SEP) if m.strip()]
        values = {fid: _value(form, fid, cells[columns[fid]]) if fid in columns else None for fid in known}
        rows.append(SummaryRow(code, _text(cells[1]), _text(cells[2]), members, values))
    return Summary(
        path,
        ident,
        rows,
        totals(form, (r.values for r in rows)),
        missing_fields=[fid for fid in known if fid not in columns],
        unknown_fields=[fid for fid in columns if fid not in form.fields],
    )


def table_bounds(form: Form) -> Bounds:
    """How far a summary's table may reach: a column per field after the lead columns, a row per
    unit (``MAX_UNITS``, a province's agencies with room to spare), the identity rows above."""
    rows = MAX_UNITS + len(identity(form, None, "", "")) + 64
    cols = len(table_header(form)) + 8
    return Bounds(rows, cols, len(a1(rows - 1, cols - 1)))


def from_book(book: Book, form: Form, path: Path) -> Summary:
    """The summary in a workbook already open (validation has it open when it finds one)."""
    if META_SHEET not in book.sheet_names:
        raise SummaryError(f"{path.name}：没有隐藏的 {META_SHEET} 工作表，不是 xlflow 生成的汇总表")
    book.allow(META_SHEET, table_bounds(form))
    return parse_summary(book.grid(META_SHEET), form, path)


def read_summary(path: Path | str, form: Form) -> Summary:
    """Read an xlflow summary workbook (as written by ``xlflow merge``, or resaved by Excel, WPS
    or LibreOffice), through the same guarded reader as a return. Raises ``SummaryError``, with
    the file's name and the reason, when the file is not one or cannot be read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ReadProblem("file-too-large", what=f"文件大小 {size // 1024 // 1024} MB，超过上限 {MAX_FILE_BYTES // 1024 // 1024} MB")
        with Book(path.read_bytes(), META_SHEET) as book:
            return from_book(book, form, path)
    except ReadProblem as p:
        raise SummaryError(f"{path.name}：无法作为汇总表打开（{finding(p.code, **p.params).message}）") from None
    except OSError as exc:
        raise SummaryError(f"{path.name}：无法读取（{exc.strerror or exc}）") from None
