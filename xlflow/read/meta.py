"""The small metadata parts of a returned workbook: who made it, for whom, and where its names point.

XML is parsed with defusedxml (DTDs and entities are refused: a hostile file is reported, never
expanded), Transitional and Strict OOXML namespaces alike. ``docProps/app.xml`` lists every defined name and is read by a targeted scan of the
``<Application>`` element after refusing any DTD, because a full parse of it would cost more than
reading all cell values.
"""

from __future__ import annotations

import posixpath
import re
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from ..cells import parse_a1
from .archive import ReadProblem, Sniffed

_NS_VT = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
_NS_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_NS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_NS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_APP = re.compile(rb"<(?:\w+:)?Application>([^<]*)</(?:\w+:)?Application>")
_APP_VERSION = re.compile(rb"<(?:\w+:)?AppVersion>([^<]*)</(?:\w+:)?AppVersion>")
_REF = re.compile(r"^\$?(?:'((?:[^']|'')+)'|([^!.']+))[!.]\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
# Transitional (what Excel saves by default) and Strict OOXML ("Strict Open XML Spreadsheet").
_MAIN = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
_RELS = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships", "http://purl.oclc.org/ooxml/officeDocument/relationships")
_SHEETS_END = re.compile(rb"</(?:[\w.-]+:)?sheets\s*>")
MAX_META_PART_BYTES = 16 * 1024 * 1024  # workbook.xml with every defined name is ~25 KB


def parse_xml(data: bytes, part: str):
    if len(data) > MAX_META_PART_BYTES:
        raise ReadProblem("file-too-large", what=f"部件 {part} 有 {len(data) // 1024 // 1024} MB")
    try:
        return SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise ReadProblem("file-hostile-xml", part=part, what=type(exc).__name__) from None
    except ParseError as exc:
        raise ReadProblem("file-corrupt", what=f"{part} 不是有效的XML：{exc}") from None


def _refuse_dtd(data: bytes, part: str) -> None:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ReadProblem("file-hostile-xml", part=part, what="DTD/实体声明")


def custom_properties(sn: Sniffed) -> dict[str, str]:
    """xlsx custom document properties, or ODS user-defined metadata."""
    if sn.kind == "ods":
        data = sn.read("meta.xml")
        if not data:
            return {}
        root = parse_xml(data, "meta.xml")
        return {
            el.get(f"{_NS_META}name", ""): (el.text or "").strip()
            for el in root.iter(f"{_NS_META}user-defined")
        }
    data = sn.read("docProps/custom.xml")
    if not data:
        return {}
    root = parse_xml(data, "docProps/custom.xml")
    props: dict[str, str] = {}
    for prop in root:
        name = prop.get("name")
        if name and len(prop):
            props[name] = (prop[0].text or "").strip()
    return props


def _search(pattern: re.Pattern[bytes], data: bytes, word: bytes) -> re.Match[bytes] | None:
    """``pattern.search(data)``, started at the tag holding the first ``word``: the same match,
    without trying the pattern at every tag of a long part."""
    at = data.find(word)
    if at < 0:
        return None
    return pattern.search(data, max(data.rfind(b"<", 0, at), 0))


def application(sn: Sniffed) -> str:
    """The program that saved the file last, e.g. "Microsoft Excel 16.0300" or "LibreOffice/7.4…"."""
    if sn.kind == "ods":
        data = sn.read("meta.xml")
        if not data:
            return ""
        gen = parse_xml(data, "meta.xml").find(f"{_NS_OFFICE}meta/{_NS_META}generator")
        return (gen.text or "").strip() if gen is not None else ""
    data = sn.read("docProps/app.xml")
    if not data:
        return ""
    _refuse_dtd(data, "docProps/app.xml")
    m = _search(_APP, data, b"Application>")
    if not m:
        return ""
    name = m.group(1).decode("utf-8", "replace").strip()
    v = _search(_APP_VERSION, data, b"AppVersion>")
    if v and not name.startswith("LibreOffice"):
        name = f"{name} {v.group(1).decode('utf-8', 'replace').strip()}"
    return name


def parse_ref(text: str) -> tuple[str, int, int] | None:
    """``'三、依申请公开'!$D$6`` (Excel) or ``$'三、依申请公开'.$D$6`` (ODF) -> (sheet, row, col)."""
    m = _REF.match(text.strip())
    if not m:
        return None
    sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
    try:
        row, col = parse_a1(f"{m.group(3)}{m.group(4)}")
    except ValueError:
        return None
    return sheet, row, col


def defined_names(sn: Sniffed) -> dict[str, tuple[str, int, int]]:
    """Workbook-level names that point to one cell: name -> (sheet, row, col)."""
    out: dict[str, tuple[str, int, int]] = {}
    if sn.kind == "ods":
        data = sn.read("content.xml")
        if not data:
            return out
        for el in parse_xml(data, "content.xml").iter(f"{_NS_TABLE}named-range"):
            ref = parse_ref(el.get(f"{_NS_TABLE}cell-range-address", ""))
            if ref:
                out[el.get(f"{_NS_TABLE}name", "")] = ref
        return out
    data = sn.read("xl/workbook.xml")
    if not data:
        return out
    root = parse_xml(data, "xl/workbook.xml")
    for el in _iter_main(root, "definedName"):
        if el.get("localSheetId") is not None:
            continue
        ref = parse_ref(el.text or "")
        if ref:
            out[el.get("name", "")] = ref
    return out


def _iter_main(root, local: str):
    for ns in _MAIN:
        yield from root.iter(f"{{{ns}}}{local}")


def sheet_parts(sn: Sniffed) -> dict[str, str]:
    """xlsx sheet name -> part path (xl/worksheets/sheetN.xml), from workbook.xml and its rels."""
    wb = sn.read("xl/workbook.xml")
    rels = sn.read("xl/_rels/workbook.xml.rels")
    if not wb or not rels:
        return {}
    targets = {}
    for rel in parse_xml(rels, "xl/_rels/workbook.xml.rels"):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
        targets[rel.get("Id")] = target
    out = {}
    for sheet in _workbook_sheets(wb):
        rid = next((sheet.get(f"{{{ns}}}id") for ns in _RELS if sheet.get(f"{{{ns}}}id") is not None), None)
        if rid in targets:
            out[sheet.get("name", "")] = targets[rid]
    return out


class _SheetList:
    """Parser target keeping the attributes of ``<sheet>`` elements (either namespace)."""

    def __init__(self) -> None:
        self.sheets: list[dict[str, str]] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag in _SHEET_TAGS:
            self.sheets.append(attrib)

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass

    def close(self) -> list[dict[str, str]]:
        return self.sheets


_SHEET_TAGS = {f"{{{ns}}}sheet" for ns in _MAIN}


def _workbook_sheets(data: bytes) -> list[dict[str, str]]:
    """The ``<sheet>`` elements of workbook.xml. The parser is fed the document up to the end of
    its ``<sheets>`` list: the rest (hundreds of defined names) is read by ``defined_names``
    only when a layout needs it."""
    if len(data) > MAX_META_PART_BYTES:
        raise ReadProblem("file-too-large", what=f"部件 xl/workbook.xml 有 {len(data) // 1024 // 1024} MB")
    m = _SHEETS_END.search(data)
    target = _SheetList()
    parser = SafeET.XMLParser(target=target)
    try:
        if m is None:
            parser.feed(data)
            parser.close()
        else:
            parser.feed(data[: m.end()])
    except DefusedXmlException as exc:
        raise ReadProblem("file-hostile-xml", part="xl/workbook.xml", what=type(exc).__name__) from None
    except ParseError as exc:
        raise ReadProblem("file-corrupt", what=f"xl/workbook.xml 不是有效的XML：{exc}") from None
    return target.sheets
