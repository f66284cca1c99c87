"""Editing cells of a workbook xlflow itself wrote, by rewriting its sheet XML.

The demo's clerk mistakes, the test fixtures and the benchmark generator start from a template
as ``TemplateFactory`` writes it and change a few cells. Rewriting the XML changes exactly
those cells; a round trip through openpyxl would rewrite every part (styles, names, the hidden
sheet) and the file would no longer be what a clerk's Excel returns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.sax.saxutils import escape, unescape

from ..form import Form
from .package import ZipPacker, unzip_parts

_SHEET = re.compile(rb'<sheet name="([^"]+)"[^>]*?r:id="([^"]+)"')
_REL = re.compile(rb'<Relationship Id="([^"]+)"[^>]*?Target="([^"]+)"')


def sheet_parts(parts: Mapping[str, bytes]) -> dict[str, str]:
    """Sheet name -> part name (xl/worksheets/sheetN.xml), from xl/workbook.xml and its rels."""
    rels = dict(_REL.findall(parts["xl/_rels/workbook.xml.rels"]))
    out = {}
    for name, rid in _SHEET.findall(parts["xl/workbook.xml"]):
        target = rels[rid].decode()
        out[unescape(name.decode("utf-8"), {"&quot;": '"'})] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return out


def _cell_rx(ref: str) -> re.Pattern[bytes]:
    # Group 1: the cell's attributes but its type (the style stays); group 2: its content.
    return re.compile(rb'<c r="' + ref.encode() + rb'"((?: [a-z]+="[^"]*")*?)(?: t="[a-zA-Z]+")?(?:/>|>(.*?)</c>)', re.S)


def cell_content(xml: bytes, ref: str) -> bytes:
    """What cell ``ref`` holds in a sheet's XML (``<f>…</f><v>…</v>``; b"" for a blank cell)."""
    m = _cell_rx(ref).search(xml)
    if m is None:
        raise KeyError(f"找不到单元格 {ref}")
    return m.group(2) or b""


def replace_cell(xml: bytes, ref: str, content: bytes = b"", kind: str = "") -> bytes:
    """Cell ``ref`` of a sheet's XML, rewritten with ``content`` (b"": blank) and type ``kind``
    ("": number or formula, "inlineStr", "e"); it keeps its style."""

    def repl(m: re.Match[bytes]) -> bytes:
        attrs = re.sub(rb' t="[^"]*"', b"", m.group(1))
        head = b'<c r="' + ref.encode() + b'"' + attrs + (f' t="{kind}"'.encode() if kind else b"")
        return head + b">" + content + b"</c>" if content else head + b"/>"

    out, n = _cell_rx(ref).subn(repl, xml, count=1)
    if n != 1:
        raise KeyError(f"找不到单元格 {ref}")
    return out


def cell_body(value: object) -> tuple[bytes, str]:
    """(content, kind) of a cell as Excel stores a typed value: None blank, a number, text
    (inline), or "=…" a formula (cached result 0, as if never recalculated)."""
    if value is None:
        return b"", ""
    if isinstance(value, str) and value.startswith("="):
        return b"<f>" + escape(value[1:]).encode() + b"</f><v>0</v>", ""
    if isinstance(value, str):
        return b'<is><t xml:space="preserve">' + escape(value).encode() + b"</t></is>", "inlineStr"
    return b"<v>" + str(value).encode() + b"</v>", ""


def set_cells(data: bytes, form: Form, cells: Mapping[str, object]) -> bytes:
    """A workbook of ``form`` with fields' cells overwritten: {field id: value} (see ``cell_body``)."""
    parts = unzip_parts(data)
    where = sheet_parts(parts)
    for fid, value in cells.items():
        f = form.fields[fid]
        part = where[f.sheet]
        parts[part] = replace_cell(parts[part], f.cell, *cell_body(value))
    return ZipPacker().pack(parts)


def autofit_rows(parts: dict[str, bytes], rows: dict[str, set[int]]) -> dict[str, bytes]:
    """Rows whose height Excel should keep fitting to their text: xlsxwriter marks every row
    it sizes as set by hand (customHeight), and Excel never grows such a row when a long
    narrative is pasted into it. The height stays as laid out until the clerk types."""
    names = sheet_parts(parts)
    out = dict(parts)
    for sheet, numbers in rows.items():
        part = names[sheet]
        xml = out[part]
        for n in numbers:
            xml = re.sub(rb'(<row r="%d"[^>]*?) customHeight="1"' % n, rb"\1", xml, count=1)
        out[part] = xml
    return out
