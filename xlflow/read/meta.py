"""The small metadata parts of a returned workbook: who made it, for whom, and where its names point.

XML is parsed with defusedxml (DTDs and entities are refused: a hostile file is reported, never
expanded). ``docProps/app.xml`` lists every defined name and is read by a targeted scan of the
``<Application>`` element after refusing any DTD, because a full parse of it would cost more than
reading all cell values.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from ..cells import parse_a1
from .archive import ReadProblem, Sniffed

_NS_VT = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_NS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_NS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_APP = re.compile(rb"<(?:\w+:)?Application>([^<]*)</(?:\w+:)?Application>")
_APP_VERSION = re.compile(rb"<(?:\w+:)?AppVersion>([^<]*)</(?:\w+:)?AppVersion>")
# docProps/custom.xml exactly as Excel, WPS, LibreOffice and xlflow write it: plain names and
# values, no entities, no comments, no DTD. A document of that shape is read by this pattern
# (it expands nothing); any other document, however slightly different, goes to the XML parser.
_CUSTOM_DOC = re.compile(
    rb'(?:<\?xml version="1\.0" encoding="UTF-8"(?: standalone="yes")?\?>[ \t\r\n]*)?'
    rb'<Properties xmlns="http://schemas\.openxmlformats\.org/officeDocument/2006/custom-properties" '
    rb'xmlns:vt="http://schemas\.openxmlformats\.org/officeDocument/2006/docPropsVTypes">'
    rb'((?:<property fmtid="\{[0-9A-Fa-f-]+\}" pid="\d+" name="[^"<>&\x00-\x1f]*">'
    rb"<vt:\w+>[^<>&\r\x00-\x08\x0b\x0c\x0e-\x1f]*</vt:\w+></property>)*)"
    rb"</Properties>[ \t\r\n]*"
)
_CUSTOM_PROP = re.compile(rb'<property [^>]*? name="([^"]*)"><vt:(\w+)>([^<]*)</vt:(\w+)></property>')
_REF = re.compile(r"^\$?(?:'((?:[^']|'')+)'|([^!.']+))[!.]\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def parse_xml(data: bytes, part: str):
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
    plain = _plain_custom_properties(data)
    if plain is not None:
        return plain
    root = parse_xml(data, "docProps/custom.xml")
    props: dict[str, str] = {}
    for prop in root:
        name = prop.get("name")
        if name and len(prop):
            props[name] = (prop[0].text or "").strip()
    return props


def _plain_custom_properties(data: bytes) -> dict[str, str] | None:
    """The properties of a custom.xml in the usual shape, as the XML parser would give them;
    None when the document has any other shape (then it is parsed)."""
    doc = _CUSTOM_DOC.fullmatch(data)
    if doc is None:
        return None
    props: dict[str, str] = {}
    try:
        for m in _CUSTOM_PROP.finditer(doc.group(1)):
            if m.group(2) != m.group(4):
                return None  # mismatched end tag: not well-formed, let the parser say so
            name, value = m.group(1).decode("utf-8"), m.group(3).decode("utf-8")
            if "\ufffe" in name + value or "\uffff" in name + value:
                return None  # not XML characters
            if name:
                props[name] = value.strip()
    except UnicodeDecodeError:
        return None
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
    for el in root.iter(f"{_NS_MAIN}definedName"):
        if el.get("localSheetId") is not None:
            continue
        ref = parse_ref(el.text or "")
        if ref:
            out[el.get("name", "")] = ref
    return out


def sheet_parts(sn: Sniffed) -> dict[str, str]:
    """xlsx sheet name -> part path (xl/worksheets/sheetN.xml), from workbook.xml and its rels."""
    wb = sn.read("xl/workbook.xml")
    rels = sn.read("xl/_rels/workbook.xml.rels")
    if not wb or not rels:
        return {}
    targets = {}
    for rel in parse_xml(rels, "xl/_rels/workbook.xml.rels"):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[rel.get("Id")] = target
    out = {}
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    for sheet in parse_xml(wb, "xl/workbook.xml").iter(f"{_NS_MAIN}sheet"):
        if sheet.get(rid) in targets:
            out[sheet.get("name", "")] = targets[sheet.get(rid)]
    return out
