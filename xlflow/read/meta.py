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
from xml.parsers import expat

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
    for _, rel in start_elements(rels, "xl/_rels/workbook.xml.rels", {"Relationship"}):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
        targets[rel.get("Id")] = target
    out = {}
    # Only the start of workbook.xml is parsed, up to the end of its <sheets> list: the rest
    # (hundreds of defined names) is read by ``defined_names`` when a layout needs it.
    m = _SHEETS_END.search(wb)
    for ns, sheet in start_elements(wb if m is None else wb[: m.end()], "xl/workbook.xml", {"sheet"}, whole=m is None):
        if ns not in _MAIN:
            continue
        rid = next((sheet[f"{r}}}id"] for r in _RELS if f"{r}}}id" in sheet), None)
        if rid in targets:
            out[sheet.get("name", "")] = targets[rid]
    return out


def start_elements(data: bytes, part: str, wanted: set[str], whole: bool = True) -> list[tuple[str, dict[str, str]]]:
    """(namespace, attributes) of the start tags named ``wanted`` (local names), in order.

    expat with the same refusals as defusedxml (no DTD, no entity declarations, no external
    entities), calling back into Python only for start tags: a fraction of the cost of building
    the tree with defusedxml's pure-Python parser, for parts read in every file. Namespaced
    attributes are keyed ``uri}name``. With ``whole`` False, ``data`` may end mid-document."""
    if len(data) > MAX_META_PART_BYTES:
        raise ReadProblem("file-too-large", what=f"部件 {part} 有 {len(data) // 1024 // 1024} MB")
    found: list[tuple[str, dict[str, str]]] = []
    parser = expat.ParserCreate(namespace_separator="}")

    def refuse(*_):
        raise ReadProblem("file-hostile-xml", part=part, what="DTD/实体声明")

    def start(name: str, attrs: dict[str, str]) -> None:
        ns, _, local = name.rpartition("}")
        if local in wanted:
            found.append((ns, attrs))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    try:
        parser.Parse(data, whole)
    except expat.ExpatError as exc:
        raise ReadProblem("file-corrupt", what=f"{part} 不是有效的XML：{exc}") from None
    return found
