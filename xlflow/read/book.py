"""One returned workbook, opened once: identity, application, sheet grids, names on demand.

Values come from python-calamine (xlsx, xlsm, xls, ods alike); the few metadata parts are read
from the zip directly. Grids are read per sheet when first asked for, and names and formulas
only when layout or value checks need them, so a clean return costs one zip open, two small XML
parts and the form's sheets.

Reading is bounded: before calamine reads an xlsx sheet, the sheet's XML is scanned
(``sheetxml.scan``) and any cell beyond the form's ``Bounds`` is cut from a private in-memory
copy of the workbook that calamine reads instead (the file itself is never touched); the cut
cells are listed in ``outside`` for a finding. For xls and ods, which calamine parses whole
when it opens them, the grid is checked after reading and trimmed the same way; anything that
would not fit in memory at all is stopped by the worker's limits (``validate.isolation``).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cached_property

from python_calamine import CalamineWorkbook, PasswordError

from ..cells import cell_text
from . import meta
from .archive import ReadProblem, Sniffed, sniff
from .formulas import formula_texts, has_external_links, is_external, sheet_errors
from .sheetxml import Bounds, SheetScan, scan, strip

IDENTITY_PREFIX = "xlflow_"
Grid = list[list[object]]
DEFAULT_BOUNDS = Bounds(2000, 200)
# Parts calamine loads whole when it opens an xlsx are counted when they are big enough to matter.
COUNTED_FROM_BYTES = 1024 * 1024
MAX_SHARED_STRINGS = 500_000
MAX_STYLES = 65_536  # Excel itself allows 64,000 cell formats


@dataclass
class Outside:
    """Cells of one sheet beyond the form's bounds that hold something (0-based)."""

    sheet: str
    first: tuple[int, int]
    count: int


class Book:
    def __init__(self, data: bytes, meta_sheet: str, bounds: Bounds | None = None):
        self.sn: Sniffed = sniff(data)
        self.kind = self.sn.kind
        self.meta_sheet = meta_sheet
        self.bounds = bounds or DEFAULT_BOUNDS
        self._sheet_bounds: dict[str, Bounds] = {}
        self.outside: list[Outside] = []
        self._grids: dict[str, Grid] = {}
        self._scans: dict[str, SheetScan] = {}
        self._formulas: dict[str, dict[str, str]] = {}
        self._stripped: dict[str, bytes] = {}
        if self.kind in ("xlsx", "xlsm"):
            _preflight(self.sn)
        self._data = data
        self._wb = _open(data)
        self.sheet_names: list[str] = list(self._wb.sheet_names)

    def close(self) -> None:
        self._wb.close()
        if self.sn.zip is not None:
            self.sn.zip.close()

    def __enter__(self) -> Book:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- metadata ------------------------------------------------------------------------------
    @cached_property
    def application(self) -> str:
        if self.kind == "xls":
            return ""
        return meta.application(self.sn)

    @cached_property
    def properties(self) -> dict[str, str]:
        return {k: v for k, v in meta.custom_properties(self.sn).items() if k.startswith(IDENTITY_PREFIX)}

    @cached_property
    def meta_rows(self) -> dict[str, str]:
        """The key/value rows at the top of the metadata sheet (read in every format)."""
        if self.meta_sheet not in self.sheet_names:
            return {}
        out: dict[str, str] = {}
        for row in self.grid(self.meta_sheet):
            key = str(row[0]).strip() if row and row[0] is not None else ""
            if not key:
                break
            if key.startswith(IDENTITY_PREFIX) and len(row) > 1:
                out[key] = cell_text(row[1])
        return out

    @cached_property
    def identity(self) -> dict[str, str]:
        """xlflow_* keys: custom properties first (cheap); the metadata sheet only when they are
        missing (an .xls keeps no custom properties we can read)."""
        props = dict(self.properties)
        if "xlflow_form_id" not in props:
            for k, v in self.meta_rows.items():
                props.setdefault(k, v)
        return props

    @cached_property
    def defined_names(self) -> dict[str, tuple[str, int, int]]:
        if self.kind == "xls":
            return {}
        return meta.defined_names(self.sn)

    # -- cells ----------------------------------------------------------------------------------
    def allow(self, sheet: str, bounds: Bounds) -> None:
        """Let one sheet reach as far as ``bounds`` instead of the form's (a summary's table has
        a column per field and a row per unit). A sheet already read is read again."""
        if self._sheet_bounds.get(sheet) == bounds:
            return
        self._sheet_bounds[sheet] = bounds
        self._grids.pop(sheet, None)
        self.outside = [o for o in self.outside if o.sheet != sheet]
        if self._scans.pop(sheet, None) is not None:
            part = self._sheet_parts.get(sheet)
            if self._stripped.pop(part, None) is not None:
                self._wb.close()
                self._wb = _open(_repack(self.sn, self._stripped) if self._stripped else self._data)

    def bounds_for(self, sheet: str) -> Bounds:
        return self._sheet_bounds.get(sheet, self.bounds)

    def grid(self, sheet: str) -> Grid:
        if sheet not in self._grids:
            self.scan(sheet)  # before calamine: cells beyond the bounds are cut first
            try:
                grid = self._wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as exc:
                raise _calamine_problem(exc, sheet) from None
            self._grids[sheet] = self._trim(sheet, grid)
        return self._grids[sheet]

    def scan(self, sheet: str) -> SheetScan | None:
        """The sheet's XML scan (xlsx only; None for xls and ods)."""
        if self.kind not in ("xlsx", "xlsm"):
            return None
        if sheet not in self._scans:
            part = self._sheet_parts.get(sheet)
            if part is None or part not in self.sn.names:
                raise ReadProblem("file-corrupt", what=f"工作表“{sheet}”的内容在文件中找不到")
            found = scan(self._part(part), self.bounds_for(sheet), part)
            self._scans[sheet] = found
            if found.far:
                first = min(found.far)
                self.outside.append(Outside(sheet, first, len(found.far)))
                self._stripped[part] = strip(self._part(part), found.spans)
                self._wb.close()
                self._wb = _open(_repack(self.sn, self._stripped))
        return self._scans[sheet]

    def _trim(self, sheet: str, grid: Grid) -> Grid:
        """A grid that reaches beyond the bounds (an xls or ods; an xlsx was cut before):
        the far cells that hold something are recorded, the grid is cut to the bounds."""
        bounds = self.bounds_for(sheet)
        rows, cols = bounds.rows, bounds.cols
        if len(grid) <= rows and (not grid or len(grid[0]) <= cols):
            return grid
        first, count = None, 0
        for r, row in enumerate(grid):
            tail = row[cols:] if r < rows else row
            if tail.count("") + tail.count(None) == len(tail):  # C-level: most far rows are empty
                continue
            for c, v in enumerate(tail, start=len(row) - len(tail)):
                if v not in ("", None):
                    count += 1
                    first = first or (r, c)
        if count:
            self.outside.append(Outside(sheet, first, count))
        return [row[:cols] for row in grid[:rows]]

    @cached_property
    def _sheet_parts(self) -> dict[str, str]:
        return meta.sheet_parts(self.sn)

    def _part(self, part: str) -> bytes:
        return self.sn.read(part) or b""

    def formula_cells(self, sheet: str) -> set[str] | None:
        """A1 refs of the sheet's cells that hold a formula; None where the format keeps no
        formulas we read (xls, ods)."""
        found = self.scan(sheet)
        return None if found is None else found.formula_cells

    def formula_refs(self, sheet: str) -> set[bytes] | None:
        """The same as ASCII bytes, as the scan found them (no decoding on the clean path)."""
        found = self.scan(sheet)
        return None if found is None else found.formula_refs

    def external_formulas(self, sheets: list[str]) -> dict[tuple[str, str], str] | None:
        """Cells with formulas into other workbooks; None when the file has no external links."""
        if self.kind not in ("xlsx", "xlsm") or not has_external_links(self.sn):
            return None
        return {
            (sheet, cell): formula
            for sheet in sheets
            for cell, formula in self.formulas(sheet).items()
            if is_external(formula)
        }

    def errors(self, sheet: str) -> dict[str, str]:
        """Cells showing an error value (#REF!, #DIV/0!); only xlsx keeps them readable."""
        part = self._sheet_parts.get(sheet) if self.kind in ("xlsx", "xlsm") else None
        return sheet_errors(self._part(part)) if part else {}

    def formulas(self, sheet: str) -> dict[str, str] | None:
        """A1 cell -> formula text of one sheet (read once per book); None where the format
        keeps no formulas we read (xls, ods)."""
        if self.kind not in ("xlsx", "xlsm"):
            return None
        if sheet not in self._formulas:
            part = self._sheet_parts.get(sheet)
            self._formulas[sheet] = formula_texts(self._part(part), part) if part else {}
        return self._formulas[sheet]


def _open(data: bytes) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise ReadProblem("file-encrypted") from None
    except Exception as exc:  # calamine raises its own error types for broken parts
        raise _calamine_problem(exc) from None


def _preflight(sn: Sniffed) -> None:
    """The parts calamine loads whole when it opens an xlsx are inflated here first, so a part
    that would inflate past its declared size is refused before calamine sees it; big ones are
    counted (declared sizes are trustworthy once inflated)."""
    for name in sorted(sn.names):
        low = name.lower()
        if low.endswith("sharedstrings.xml"):
            what, limit, tags = "共享字符串", MAX_SHARED_STRINGS, (b"<si>", b"<si ", b":si>", b":si ")
        elif low.endswith("styles.xml"):
            what, limit, tags = "单元格格式", MAX_STYLES, (b"<xf ", b"<xf>", b":xf ", b":xf>")
        elif low in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            sn.read(name)
            continue
        else:
            continue
        data = sn.read(name) or b""
        if len(data) >= COUNTED_FROM_BYTES:
            count = sum(data.count(t) for t in tags)
            if count > limit:
                raise ReadProblem("file-too-large", what=f"部件 {name} 有 {count} 个{what}，超过上限 {limit}")


def _repack(sn: Sniffed, replaced: dict[str, bytes]) -> bytes:
    """The workbook as a new in-memory zip with some parts replaced (stored, not compressed:
    it lives only as long as this read)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name in sorted(sn.names, key=lambda n: sn.infos[n].header_offset if n in sn.infos else 0):
            data = replaced.get(name)
            zf.writestr(name, data if data is not None else (sn.read(name) or b""))
    return out.getvalue()


def _calamine_problem(exc: Exception, sheet: str | None = None) -> ReadProblem:
    text = str(exc)
    if "password" in text.lower() or "encrypt" in text.lower():
        return ReadProblem("file-encrypted")
    if "entity" in text.lower() or "doctype" in text.lower():
        return ReadProblem("file-hostile-xml", part=sheet or "工作表", what=text[:120])
    where = f"工作表“{sheet}”" if sheet else "工作簿"
    return ReadProblem("file-corrupt", what=f"{where}无法解析：{text[:200]}")
