"""Formula text of a few cells, read from the sheet XML only when a question needs it.

calamine gives values, not formulas. Two questions need formulas: which input cells point to
another workbook (only asked when the file has ``xl/externalLinks/`` parts), and whether a total
whose cached value is wrong still holds its formula (a formula typed over with a number, or a
file saved by a program that does not recalculate). Both are rare, so the sheet XML is
decompressed and scanned only then. The scan is a regular expression over bytes: it expands
nothing, so it is safe on hostile input.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import unescape

from .archive import ReadProblem, Sniffed

_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3}[0-9]{1,7})"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_EXTERNAL = re.compile(r"\[\d+\]")


def has_external_links(sn: Sniffed) -> bool:
    return any(n.startswith("xl/externalLinks/") for n in sn.names)


def sheet_formulas(sn: Sniffed, part: str) -> dict[str, str]:
    """A1 cell -> formula text ("" for a shared-formula follower) in one sheet part of an xlsx."""
    data = sn.read(part)
    if not data:
        return {}
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ReadProblem("file-hostile-xml", part=part, what="DTD/实体声明")
    out: dict[str, str] = {}
    for m in _CELL.finditer(data):
        body = m.group(2)
        if not body or b"<f" not in body:
            continue
        f = _FORMULA.search(body)
        if f is not None:
            out[m.group(1).decode()] = unescape((f.group(1) or b"").decode("utf-8", "replace"), {"&apos;": "'", "&quot;": '"'})
    return out


def is_external(formula: str) -> bool:
    """Whether a formula refers to another workbook (``[1]Sheet!A1``)."""
    return _EXTERNAL.search(formula) is not None


_ERROR_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3}[0-9]{1,7})"[^>]*?\bt="e"[^>]*>(.*?)</c>', re.S)
_VALUE = re.compile(rb"<v>([^<]*)</v>")


def sheet_errors(sn: Sniffed, part: str) -> dict[str, str]:
    """A1 cell -> error value ("#REF!") in one sheet part of an xlsx (calamine shows these as blank)."""
    data = sn.read(part)
    if not data or b't="e"' not in data:
        return {}
    out = {}
    for m in _ERROR_CELL.finditer(data):
        v = _VALUE.search(m.group(2))
        if v:
            out[m.group(1).decode()] = v.group(1).decode("utf-8", "replace")
    return out
