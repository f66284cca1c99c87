"""Template generation: a locked workbook per agency, built once and stamped per agency.

``TemplateFactory(form, year, password).build(name, code)`` returns the bytes of one agency's
workbook. The factory lays the workbook out once with placeholder identity strings and then
only substitutes the agency's name and code in the few parts that carry them; the result is
byte-identical to laying the workbook out for that agency from scratch (``build_full``), which
the tests check. Where substitution could differ (a name equal to another string of the
workbook, characters xlsxwriter escapes specially) the factory lays the workbook out in full.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.sax.saxutils import escape

from ..form import Form
from ..fsutil import safe_stem
from .cells_xml import autofit_rows
from .package import ZipPacker, protect_structure, unzip_parts
from .writer import META_SHEET, Stamp, build_xlsx, identity_properties
from .paper import narrative_rows

__all__ = ["DEFAULT_PASSWORD", "META_SHEET", "Stamp", "TemplateFactory", "identity_properties", "template_filename"]

DEFAULT_PASSWORD = "xlflow2021"

_PH_NAME = "XLFLOWPLACEHOLDERAGENCYNAME"
_PH_CODE = "XLFLOWPLACEHOLDERAGENCYCODE"
_SST_ITEM = re.compile(rb"<si><t(?: xml:space=\"preserve\")?>(.*?)</t></si>", re.S)
# Characters or sequences xlsxwriter rewrites inside strings: stamping would not reproduce them.
_SPECIAL = re.compile(r"[\x00-\x1f\x7f]|_x[0-9A-Fa-f]{4}_|^\s|\s$")


class TemplateFactory:
    def __init__(self, form: Form, year: int, password: str = DEFAULT_PASSWORD):
        self.form, self.year, self.password = form, year, password
        self.packer = ZipPacker()
        master = self._parts(Stamp(_PH_NAME, _PH_CODE, year))
        self._master = master
        self._stamped = [n for n, d in master.items() if _PH_NAME.encode() in d or _PH_CODE.encode() in d]
        sst = master.get("xl/sharedStrings.xml", b"")
        self._strings = [m.decode("utf-8") for m in _SST_ITEM.findall(sst)]

    def _parts(self, stamp: Stamp, values: Mapping[str, object] | None = None) -> dict[str, bytes]:
        parts = unzip_parts(build_xlsx(self.form, stamp, self.password, values))
        return protect_structure(autofit_rows(parts, narrative_rows(self.form)), self.password)

    def _stampable(self, name: str, code: str) -> bool:
        if _SPECIAL.search(name) or _SPECIAL.search(code) or not name or not code or "&" in name + code:
            # ("&" is doubled in the page header, so the placeholder's bytes would not match.)
            return False
        # saxutils.escape is the escaping xlsxwriter applies to element text (sharedStrings,
        # core.xml, custom.xml), so the stamped bytes match a full layout's.
        esc_name, esc_code = escape(name), escape(code)
        filled = [s.replace(_PH_NAME, esc_name).replace(_PH_CODE, esc_code) for s in self._strings]
        # xlsxwriter stores each distinct string once: if the agency's name or code equals
        # another string of the workbook, the full layout would share an index we cannot mimic.
        return len(set(filled)) == len(filled)

    def build(self, agency_name: str, agency_code: str, values: Mapping[str, object] | None = None) -> bytes:
        """One agency's workbook; with ``values``, filled in as the agency would return it."""
        if values is not None or not self._stampable(agency_name, agency_code):
            return self.build_full(agency_name, agency_code, values)
        name, code = escape(agency_name).encode(), escape(agency_code).encode()
        parts = dict(self._master)
        for part in self._stamped:
            parts[part] = parts[part].replace(_PH_NAME.encode(), name).replace(_PH_CODE.encode(), code)
        return self.packer.pack(parts)

    def build_full(self, agency_name: str, agency_code: str, values: Mapping[str, object] | None = None) -> bytes:
        """Lay the workbook out from scratch for this agency (the reference for ``build``)."""
        return self.packer.pack(self._parts(Stamp(agency_name, agency_code, self.year), values))


def template_filename(form: Form, year: int, agency_code: str = "", agency_name: str = "") -> str:
    """File name that carries code, name and year, safe on Windows (where clerks open it)."""
    title = form.spec.title
    if not agency_code:
        return f"{year}年{title}_空白模板.xlsx"
    return safe_stem(f"{agency_code}_{agency_name}_{year}年{title}") + ".xlsx"
