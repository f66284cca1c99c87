"""Formula text and error values of a sheet, from its XML (already inflated by the book).

calamine gives values, not formulas. Formulas matter for a few questions: which input cells
hold a formula at all (``=1+1`` typed into a number cell is not a typed number), which point to
another workbook, and whether a total whose cached value is wrong still holds its formula (a
formula typed over with a number, or a file saved by a program that does not recalculate).
Which cells hold formulas comes from the sheet scan (``sheetxml``); the text is read here, only
when a question needs it. The scan is a regular expression over bytes: it expands nothing, so
it is safe on hostile input; element prefixes (``x:c``) are allowed.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import unescape

from .archive import ReadProblem, Sniffed

_CELL = re.compile(rb'<(?:[\w.-]+:)?c\b[^>]*?\br="([A-Za-z]{1,3}[0-9]{1,7})"[^>]*?(?:/>|>(.*?)</(?:[\w.-]+:)?c>)', re.S)
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f\b[^>]*?(?:/>|>(.*?)</(?:[\w.-]+:)?f>)", re.S)
_EXTERNAL = re.compile(r"\[\d+\]")
_ERROR_TYPE = re.compile(rb'\bt="e"')
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v>([^<]*)</(?:[\w.-]+:)?v>")
_ENTITIES = {"&apos;": "'", "&quot;": '"'}


def has_external_links(sn: Sniffed) -> bool:
    return any(n.startswith("xl/externalLinks/") for n in sn.names)


def _refuse_dtd(xml: bytes, part: str) -> None:
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise ReadProblem("file-hostile-xml", part=part, what="DTD/实体声明")


def formula_texts(xml: bytes, part: str) -> dict[str, str]:
    """A1 cell -> formula text ("" for a shared-formula follower) in one sheet's XML."""
    if not xml:
        return {}
    _refuse_dtd(xml, part)
    out: dict[str, str] = {}
    for m in _CELL.finditer(xml):
        body = m.group(2)
        if not body or b"f" not in body:
            continue
        f = _FORMULA.search(body)
        if f is not None:
            out[m.group(1).decode().upper()] = unescape((f.group(1) or b"").decode("utf-8", "replace"), _ENTITIES)
    return out


def is_external(formula: str) -> bool:
    """Whether a formula refers to another workbook (``[1]Sheet!A1``)."""
    return _EXTERNAL.search(formula) is not None


def sheet_errors(xml: bytes) -> dict[str, str]:
    """A1 cell -> error value ("#REF!") in one sheet's XML (calamine shows these as blank)."""
    if not xml or b't="e"' not in xml:
        return {}
    out = {}
    for m in _CELL.finditer(xml):
        head = xml[m.start() : m.start(2) if m.group(2) is not None else m.end()]
        if _ERROR_TYPE.search(head) is None or m.group(2) is None:
            continue
        v = _VALUE.search(m.group(2))
        if v:
            out[m.group(1).decode().upper()] = v.group(1).decode("utf-8", "replace")
    return out
