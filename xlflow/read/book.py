"""One returned workbook, opened once: identity, application, sheet grids, names on demand.

Values come from python-calamine (xlsx, xlsm, xls, ods alike); the few metadata parts are read
from the zip directly. Grids are read per sheet when first asked for, and names and formulas
only when layout or value checks need them, so a clean return costs one zip open, two small XML
parts and the form's sheets.
"""

from __future__ import annotations

import io
from functools import cached_property

from python_calamine import CalamineWorkbook, PasswordError

from ..cells import cell_text
from . import meta
from .archive import ReadProblem, Sniffed, sniff
from .formulas import has_external_links, is_external, sheet_errors, sheet_formulas

IDENTITY_PREFIX = "xlflow_"
Grid = list[list[object]]


class Book:
    def __init__(self, data: bytes, meta_sheet: str):
        self.sn: Sniffed = sniff(data)
        self.kind = self.sn.kind
        self.meta_sheet = meta_sheet
        self._grids: dict[str, Grid] = {}
        self._formulas: dict[str, dict[str, str]] = {}
        try:
            self._wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
            self.sheet_names: list[str] = list(self._wb.sheet_names)
        except PasswordError:
            raise ReadProblem("file-encrypted") from None
        except Exception as exc:  # calamine raises its own error types for broken parts
            raise _calamine_problem(exc) from None

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
    def grid(self, sheet: str) -> Grid:
        if sheet not in self._grids:
            try:
                self._grids[sheet] = self._wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as exc:
                raise _calamine_problem(exc, sheet) from None
        return self._grids[sheet]

    @cached_property
    def _sheet_parts(self) -> dict[str, str]:
        return meta.sheet_parts(self.sn)

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
        return sheet_errors(self.sn, part) if part else {}

    def formulas(self, sheet: str) -> dict[str, str] | None:
        """A1 cell -> formula text of one sheet (read once per book); None where the format
        keeps no formulas we read (xls, ods)."""
        if self.kind not in ("xlsx", "xlsm"):
            return None
        if sheet not in self._formulas:
            part = self._sheet_parts.get(sheet)
            self._formulas[sheet] = sheet_formulas(self.sn, part) if part else {}
        return self._formulas[sheet]


def _calamine_problem(exc: Exception, sheet: str | None = None) -> ReadProblem:
    text = str(exc)
    if "password" in text.lower() or "encrypt" in text.lower():
        return ReadProblem("file-encrypted")
    if "entity" in text.lower() or "doctype" in text.lower():
        return ReadProblem("file-hostile-xml", part=sheet or "工作表", what=text[:120])
    where = f"工作表“{sheet}”" if sheet else "工作簿"
    return ReadProblem("file-corrupt", what=f"{where}无法解析：{text[:200]}")
