"""One pass over a worksheet's XML before calamine sees it: how far do its cells reach?

calamine allocates a dense grid from the first to the last cell that holds something, so a
note typed at XFD1048576 asks it for 16,384 x 1,048,576 cells (hundreds of GB) and the process
aborts. (The declared ``<dimension>`` is not what it sizes the grid by: a huge one alone is
harmless, so only the cells themselves are measured.) ``scan`` reads the sheet XML (already inflated, bounded by the archive limits) and
reports the cells that lie beyond ``Bounds`` with their byte spans, so the reader can hand
calamine a private copy without them; it also reports which cells hold formulas, which rows
and columns are hidden and which ranges are merged, so later checks do not inflate the part
again.

Two ways through, the same answer:

* the quick way, for the XML every spreadsheet program writes (``<c r="B7" ...>`` cells,
  unprefixed): a handful of byte counts and one regular expression that matches only a
  reference longer than any of the form's own (see ``Bounds``), so a clean sheet costs a few
  C-level passes and no Python per cell;
* the exact way, for anything else (prefixed elements, cells without ``r``, lowercase or
  zero-padded references, rich text, a hit of the quick check): expat, following calamine's
  rules (a cell's own ``r`` wins; a cell without one follows the previous cell; a row without
  ``r`` follows the previous row; a cell counts when it holds a value, an inline string or a
  formula).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from xml.parsers import expat

from ..cells import a1
from .archive import ReadProblem

MAX_SHEET_CELLS = 500_000  # <c> elements in one sheet; a return has ~400 in its largest
MAX_DEPTH = 64  # element nesting inside a worksheet (Excel writes 6)
MAX_QUICK_REF_LEN = 5  # longer references always take the exact way (ZZZZ9 would be 4 M cells)
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"[^>]*><f\b')
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)"')
_REF = re.compile(r"^([A-Za-z]{1,3})0*([0-9]{1,7})$")
_TRUE = ("1", "true")


@dataclass(frozen=True)
class Bounds:
    """The largest sheet a return of this form can hold: 1-based last row and column.

    ``ref_len`` is the longest cell reference of the form's own cells ("J35": 3). The quick
    way sends a sheet the exact way as soon as one reference is longer: a reference that is
    not can reach at most a few hundred thousand cells (XFD9, ZZ99), which calamine reads in
    a few MB, and the grid check after reading (``Book._trim``) reports and drops whatever
    of it lies beyond the bounds. A clean return never takes the exact way."""

    rows: int
    cols: int
    ref_len: int = 4

    def beyond(self, row: int, col: int) -> bool:  # 0-based, as the grid counts
        return row >= self.rows or col >= self.cols

    @cached_property
    def quick(self) -> re.Pattern[bytes]:
        """Matches a canonical ``<c r="...`` with a reference longer than the form's own."""
        return re.compile(b'<c r="[^"]{%d}' % (min(self.ref_len, MAX_QUICK_REF_LEN) + 1))


@dataclass
class SheetScan:
    far: list[tuple[int, int]] = field(default_factory=list)  # 0-based (row, col) of far cells
    spans: list[tuple[int, int]] = field(default_factory=list)  # their byte spans in the XML
    formula_refs: set[bytes] = field(default_factory=set)  # A1 refs (ASCII) of cells with a formula
    hidden_rows: set[int] = field(default_factory=set)  # 0-based
    hidden_cols: list[tuple[int, int]] = field(default_factory=list)  # 0-based inclusive ranges
    merges: set[str] = field(default_factory=set)  # "A1:J1"
    exact: bool = False  # which way the scan went (for tests and profiling)

    @cached_property
    def formula_cells(self) -> set[str]:
        return {r.decode() for r in self.formula_refs}


def scan(xml: bytes, bounds: Bounds, part: str) -> SheetScan:
    start = xml.find(b"<sheetData")
    end = xml.rfind(b"</sheetData>")
    # A DTD (the only place entities are declared) comes before the root element.
    if xml.find(b"<!DOCTYPE", 0, start if start > 0 else len(xml)) >= 0:
        raise ReadProblem("file-hostile-xml", part=part, what="DTD/实体声明")
    if start < 0 and b"sheetData" in xml:
        return _exact(xml, bounds, part)  # prefixed elements (x:sheetData)
    region = xml[start:end] if 0 <= start < end else b""
    cells = region.count(b"<c")
    if cells > MAX_SHEET_CELLS:
        raise ReadProblem("file-too-large", what=f"部件 {part} 有 {cells} 个单元格，超过上限 {MAX_SHEET_CELLS}")
    if cells != region.count(b'<c r="') or bounds.quick.search(region) is not None:
        return _exact(xml, bounds, part)
    formulas = region.count(b"<f")
    refs = _FORMULA_CELL.findall(region) if formulas else []
    if len(refs) != formulas:
        return _exact(xml, bounds, part)  # a formula not first in its cell, or rich text
    out = SheetScan(formula_refs=set(refs))
    merged = xml.find(b"<mergeCells", end) if end >= 0 else -1
    if merged >= 0:  # only the list itself is searched (data validations after it are long)
        out.merges = _merges(xml[merged : xml.find(b"</mergeCells>", merged) + 1 or len(xml)])
    if xml.find(b"hidden=", 0, end) >= 0:  # columns (before the cells) and rows
        _hidden(xml, out, part)
    return out


_merge_sets: dict[bytes, frozenset[str]] = {}


def _merges(tail: bytes) -> frozenset[str]:
    """The merged ranges; the same list in every clean return of a form, decoded once."""
    found = tuple(_MERGE.findall(tail))
    key = b" ".join(found)
    hit = _merge_sets.get(key)
    if hit is None:
        if len(_merge_sets) > 1024:
            _merge_sets.clear()
        hit = _merge_sets[key] = frozenset(m.decode() for m in found)
    return hit


def _hidden(xml: bytes, out: SheetScan, part: str) -> None:
    """Hidden rows and columns (rare: then the part is parsed for them)."""
    exact = _exact(xml, Bounds(1 << 30, 1 << 30), part)
    out.hidden_rows, out.hidden_cols = exact.hidden_rows, exact.hidden_cols


def _parse_ref(ref: str, part: str) -> tuple[int, int]:
    m = _REF.match(ref)
    if m is None:
        raise ReadProblem("file-corrupt", what=f"部件 {part} 中的单元格引用“{ref[:20]}”无效")
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def _exact(xml: bytes, bounds: Bounds, part: str) -> SheetScan:
    out = SheetScan(exact=True)
    parser = expat.ParserCreate()
    st = {"depth": 0, "row": -1, "col": -1, "in_data": False, "cell": None, "value": False, "cells": 0}
    stack: list[str] = []

    def refuse(*_):
        raise ReadProblem("file-hostile-xml", part=part, what="DTD/实体声明")

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        stack.append(local)
        if len(stack) > MAX_DEPTH:
            raise ReadProblem("file-too-large", what=f"部件 {part} 的元素嵌套超过 {MAX_DEPTH} 层")
        parent = stack[-2] if len(stack) > 1 else ""
        if local == "sheetData":
            st["in_data"] = True
        elif local == "row" and parent == "sheetData":
            r = attrs.get("r")
            st["row"] = _parse_ref("A" + r, part)[0] if r else st["row"] + 1
            st["col"] = -1
            if attrs.get("hidden", "").lower() in _TRUE:
                out.hidden_rows.add(st["row"])
        elif local == "c" and parent == "row" and st["in_data"]:
            st["cells"] += 1
            if st["cells"] > MAX_SHEET_CELLS:
                raise ReadProblem("file-too-large", what=f"部件 {part} 的单元格超过上限 {MAX_SHEET_CELLS}")
            ref = attrs.get("r")
            row, col = _parse_ref(ref, part) if ref else (max(st["row"], 0), st["col"] + 1)
            st["col"] = col
            st["cell"] = (row, col, parser.CurrentByteIndex)
            st["value"] = False
        elif st["cell"] is not None and local in ("is", "f"):
            st["value"] = True
            if local == "f":
                out.formula_refs.add(a1(st["cell"][0], st["cell"][1]).encode())
        elif local == "col" and parent == "cols" and attrs.get("hidden", "").lower() in _TRUE:
            lo, hi = int(attrs.get("min", "1")), int(attrs.get("max", attrs.get("min", "1")))
            out.hidden_cols.append((lo - 1, hi - 1))
        elif local == "mergeCell" and attrs.get("ref"):
            out.merges.add(attrs["ref"].upper())

    def text(data: str) -> None:
        if st["cell"] is not None and stack and stack[-1] == "v" and data.strip():
            st["value"] = True

    def end(name: str) -> None:
        local = stack.pop()
        if local == "sheetData":
            st["in_data"] = False
        elif local == "c" and st["cell"] is not None:
            row, col, at = st["cell"]
            st["cell"] = None
            if st["value"] and bounds.beyond(row, col):
                stop = xml.find(b">", parser.CurrentByteIndex) + 1
                out.far.append((row, col))
                out.spans.append((at, stop if stop > at else at))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise ReadProblem("file-corrupt", what=f"部件 {part} 不是有效的XML：{exc}") from None
    except (ValueError, OverflowError):
        raise ReadProblem("file-corrupt", what=f"部件 {part} 中的行号无效") from None
    return out


def strip(xml: bytes, spans: list[tuple[int, int]]) -> bytes:
    """The sheet XML without the given cells (spans in order, not overlapping)."""
    pieces, at = [], 0
    for a, b in sorted(spans):
        pieces.append(xml[at:a])
        at = b
    pieces.append(xml[at:])
    return b"".join(pieces)
