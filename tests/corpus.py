"""The hostile corpus: every kind of odd file a returns folder can hold, made by code.

Each case starts from a generated return (``returned.build``) and changes its bytes the way the
odd producer, the careless clerk or the attacker would: zip surgery, sheet XML edits, parts
added or replaced. ``CASES`` maps a case name to how to build it and what validation must say:
the status, the finding codes (sorted), and optionally a check of the values that are counted.
``tests/test_corpus.py`` runs each case on its own and all of them together through the CLI.
"""

from __future__ import annotations

import io
import random
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.returned import (
    add_external_link,
    build,
    clean_values,
    pack,
    parts,
    set_cell,
    set_cells,
    set_label,
    with_openpyxl,
)
from xlflow.template import cells_xml

T3 = "xl/worksheets/sheet5.xml"  # 三、依申请公开 in a generated return
SHEET_T3 = "三、依申请公开"


@dataclass(frozen=True)
class Case:
    build: Callable[[], bytes]
    status: str
    codes: tuple[str, ...]  # finding codes, sorted
    name: str = "case.xlsx"  # file name in the folder
    values: dict = field(default_factory=dict)  # field id -> the value that must be counted (valid returns)
    mergeable: bool = True  # the real CLI can be given it (False: needs an in-process limit)


def _zip(entries: list[tuple[str, bytes]], **kw) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, **kw) as z:
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": that is the point
        for name, data in entries:
            z.writestr(name, data)
    return out.getvalue()


def _edit_part(data: bytes, part: str, edit: Callable[[bytes], bytes]) -> bytes:
    p = parts(data)
    new = edit(p[part])
    assert new != p[part], f"edit of {part} changed nothing"
    p[part] = new
    return pack(p)


def _t3(edit: Callable[[bytes], bytes]) -> bytes:
    return _edit_part(build(), T3, edit)


def _cell(ref: str, content: bytes, kind: str = "") -> Callable[[bytes], bytes]:
    return lambda xml: cells_xml.replace_cell(xml, ref, content, kind)


def _append_row(row_xml: bytes) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(b"</sheetData>", row_xml + b"</sheetData>", 1)


# -- zip oddities --------------------------------------------------------------------------

def duplicate_member() -> bytes:
    """Two members named like the sheet: zipfile reads the last, another reader the first."""
    p = parts(build())
    other = cells_xml.replace_cell(p[T3], "D6", b"<v>999</v>")
    return _zip([*p.items(), (T3, other)])


def duplicate_member_case() -> bytes:
    p = parts(build())
    return _zip([*p.items(), (T3.upper(), p[T3])])


def local_name_differs() -> bytes:
    """The central directory names one file, the local header another of the same length."""
    data = bytearray(build())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(T3)
    at = info.header_offset + 30
    assert data[at : at + len(T3)] == T3.encode()
    data[at : at + len(T3)] = T3.replace("sheet5", "sheetX").encode()
    return bytes(data)


def climbing_member() -> bytes:
    return _zip([*parts(build()).items(), ("../../evil.txt", b"x")])


def absolute_member() -> bytes:
    return _zip([*parts(build()).items(), ("/etc/cron.d/evil", b"x")])


def zip64_members() -> bytes:
    """Every member with zip64 size fields (what some tools write for any size)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts(build()).items():
            with z.open(name, "w", force_zip64=True) as fh:
                fh.write(data)
    return out.getvalue()


def _declared(size: Callable[[int], int], member: str) -> bytes:
    """A zip whose central directory declares another size for one member (zip64 fields are
    written when the size needs them)."""
    out = io.BytesIO()
    z = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
    for name, data in parts(build()).items():
        z.writestr(name, data)
    info = z.getinfo(member)
    info.file_size = size(info.file_size)
    z.close()
    return out.getvalue()


def zip64_huge_declared() -> bytes:
    return _declared(lambda n: 10 * 1024**3, T3)


def huge_declared() -> bytes:
    return _declared(lambda n: 3 * 1024**3, T3)


def smaller_than_declared_inflates_more() -> bytes:
    """The directory lies small: inflating would give more bytes than declared (a zip bomb)."""
    return _declared(lambda n: n - 100, "xl/sharedStrings.xml")


def encrypted_member() -> bytes:
    """The sheet's member flagged as encrypted (PKZIP password) in the central directory."""
    data = bytearray(build())
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        name_len = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + name_len] == T3.encode():
            data[at + 8] |= 0x1
            return bytes(data)
        at += 4


def bzip2_member() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts(build()).items():
            z.writestr(name, data, compress_type=zipfile.ZIP_BZIP2 if name == T3 else zipfile.ZIP_DEFLATED)
    return out.getvalue()


def truncated() -> bytes:
    data = build()
    return data[: len(data) * 2 // 3]


# -- other producers ------------------------------------------------------------------------

_TRANSITIONAL = (b"http://schemas.openxmlformats.org/spreadsheetml/2006/main", b"http://schemas.openxmlformats.org/officeDocument/2006/relationships")
_STRICT = (b"http://purl.oclc.org/ooxml/spreadsheetml/main", b"http://purl.oclc.org/ooxml/officeDocument/relationships")


def strict_ooxml() -> bytes:
    """Excel's "Strict Open XML Spreadsheet": other namespaces, same structure."""
    p = parts(build(clean_values(**{"t3.new.natural": 6, "t3.granted.natural": 5})))
    for name, data in p.items():
        if name.endswith((".xml", ".rels")) and not name.startswith("docProps/"):
            for old, new in zip(_TRANSITIONAL, _STRICT, strict=True):
                data = data.replace(old, new)
            p[name] = data
    return pack(p)


def prefixed_sheet(xml: bytes) -> bytes:
    head, _, body = xml.partition(b"?>")
    body = re.sub(rb"<(/?)([A-Za-z]+)([\s>/])", rb"<\1x:\2\3", body)
    body = body.replace(b'xmlns="' + _TRANSITIONAL[0] + b'"', b'xmlns:x="' + _TRANSITIONAL[0] + b'"', 1)
    return head + b"?>" + body


def prefixed_elements() -> bytes:
    """A sheet written with a namespace prefix (x:row, x:c), as the OpenXML SDK does."""
    return _t3(prefixed_sheet)


def cells_without_references() -> bytes:
    """A generator that writes every cell of a row in order, without r attributes."""
    def strip_refs(xml: bytes) -> bytes:
        def row(m: re.Match[bytes]) -> bytes:
            cells = re.findall(rb'<c r="([A-Z]+)[0-9]+"([^>]*?)(/>|>.*?</c>)', m.group(2), re.S)
            out, col = [], 0
            for letters, attrs, rest in cells:
                n = 0
                for ch in letters.decode():
                    n = n * 26 + ord(ch) - 64
                out += [b"<c/>"] * (n - 1 - col)
                out.append(b"<c" + attrs + rest)
                col = n
            return m.group(1) + b"".join(out) + b"</row>"
        return re.sub(rb'(<row [^>]*>)(.*?)</row>', row, xml, flags=re.S)
    return _t3(strip_refs)


def wps_saved() -> bytes:
    p = parts(build())
    p["docProps/app.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/extended-properties"><Application>WPS \xe8\xa1\xa8\xe6\xa0\xbc</Application><AppVersion>12.0000</AppVersion></Properties>'
    )
    return pack(p)


def openpyxl_saved() -> bytes:
    """Saved by a script with openpyxl: every part rewritten, formula results dropped."""
    return with_openpyxl(build(), lambda wb: None)


# -- formulas typed into input cells ----------------------------------------------------------

def formula(text: str, cached: bytes | None) -> Callable[[], bytes]:
    body = b"<f>" + text.encode() + b"</f>" + (b"<v>" + cached + b"</v>" if cached is not None else b"")
    return lambda: _t3(_cell("D6", body))


def external_link_no_value() -> bytes:
    """A formula into another workbook whose result was never saved: not a blank cell."""
    data = add_external_link(build(), "t3.new.natural")
    return _edit_part(data, T3, _cell("D6", b"<f>[1]Sheet1!$A$1</f>"))


def external_formula_without_link_part() -> bytes:
    return _t3(_cell("D6", b"<f>[1]Sheet1!$A$1</f><v>5</v>"))


# -- values -----------------------------------------------------------------------------------

def text(fid: str, value: str) -> Callable[[], bytes]:
    return lambda: set_cells(build(), {fid: value})


def boolean(flag: bool) -> bytes:
    return _t3(_cell("D6", b"<v>1</v>" if flag else b"<v>0</v>", "b"))


def error_value() -> bytes:
    return set_cell(build(), "t3.new.natural", "#REF!", error=True)


def formula_with_error_result() -> bytes:
    return _t3(_cell("D6", b"<f>1/0</f><v>#DIV/0!</v>", "e"))


# -- layout -------------------------------------------------------------------------------------

def hidden_input_row() -> bytes:
    return _t3(lambda xml: xml.replace(b'<row r="6" ', b'<row r="6" hidden="1" ', 1))


def hidden_column_with_note() -> bytes:
    def edit(xml: bytes) -> bytes:
        xml = xml.replace(b"</cols>", b'<col min="12" max="12" width="9" hidden="1" customWidth="1"/></cols>', 1)
        row_end = xml.index(b"</row>", xml.index(b'<row r="6" '))
        note = b'<c r="L6" t="inlineStr"><is><t>\xe5\xa4\x87\xe6\xb3\xa8</t></is></c>'
        return xml[:row_end] + note + xml[row_end:]
    return _t3(edit)


def unmerged_label() -> bytes:
    return _t3(lambda xml: xml.replace(b'<mergeCell ref="D3:J3"/>', b"", 1))


def merged_inputs() -> bytes:
    return _t3(lambda xml: xml.replace(b"</mergeCells>", b'<mergeCell ref="D6:E6"/></mergeCells>', 1))


def edited_label() -> bytes:
    return set_label(build(), SHEET_T3, "自然人", "个人")


# -- cells outside the form ----------------------------------------------------------------------

def far_note(ref: str = "XFD1048576", dimension: bool = True) -> Callable[[], bytes]:
    row = int(re.sub(r"[A-Za-z]", "", ref).lstrip("0"))
    def edit(xml: bytes) -> bytes:
        if dimension:
            xml = xml.replace(b'<dimension ref="A1:J35"/>', b'<dimension ref="A1:XFD1048576"/>', 1)
        return _append_row(b'<row r="%d"><c r="%s" t="inlineStr"><is><t>\xe5\xa4\x87\xe6\xb3\xa8</t></is></c></row>' % (row, ref.encode()))(xml)
    return lambda: _t3(edit)


def far_numbers() -> bytes:
    cells = b"".join(b'<c r="%s1048576"><v>%d</v></c>' % (c, i) for i, c in enumerate((b"AAA", b"XFA", b"XFD")))
    return _t3(_append_row(b'<row r="1048576">' + cells + b"</row>"))


def huge_dimension_only() -> bytes:
    return _t3(lambda xml: xml.replace(b'<dimension ref="A1:J35"/>', b'<dimension ref="A1:XFD1048576"/>', 1))


def _noise(n: int) -> list[bytes]:
    """n distinct short numbers that do not compress away (the archive's ratio check would
    refuse a part of repeats before any count is taken)."""
    rng = random.Random(9)
    return [b"%d" % rng.getrandbits(40) for _ in range(n)]


def too_many_cells() -> bytes:
    from xlflow.read.sheetxml import MAX_SHEET_CELLS

    row = b'<row r="40">' + b"".join(b'<c r="A40"><v>' + v + b"</v></c>" for v in _noise(MAX_SHEET_CELLS + 1)) + b"</row>"
    return _t3(_append_row(row))


def too_many_shared_strings() -> bytes:
    from xlflow.read.book import MAX_SHARED_STRINGS

    def edit(xml: bytes) -> bytes:
        return xml.replace(b"</sst>", b"".join(b"<si><t>" + v + b"</t></si>" for v in _noise(MAX_SHARED_STRINGS + 1)) + b"</sst>", 1)
    return _edit_part(build(), "xl/sharedStrings.xml", edit)


def deep_nesting() -> bytes:
    """Elements nested 100 deep after the cells, in a sheet the exact scan reads (prefixed)."""
    def edit(xml: bytes) -> bytes:
        xml = prefixed_sheet(xml)
        return xml.replace(b"</x:sheetData>", b"</x:sheetData><x:extLst>" + b"<x:ext>" * 100 + b"</x:ext>" * 100 + b"</x:extLst>", 1)
    return _t3(edit)


def dtd_in_sheet() -> bytes:
    return _t3(lambda xml: xml.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1))


# -- not a return at all ------------------------------------------------------------------------

def zip_of_returns() -> bytes:
    return _zip([("回收/甲局.xlsx", build()), ("回收/乙局.xlsx", build(code="370829001", name="嘉祥县人民政府办公室"))])


def pdf() -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"


def csv_file() -> bytes:
    return "单位代码,单位名称,本年新收\n370829014,嘉祥县金融工作服务中心,5\n".encode()


CASES: dict[str, Case] = {
    # zip oddities
    "zip-duplicate-member": Case(duplicate_member, "unreadable", ("file-zip-duplicate",)),
    "zip-duplicate-member-case": Case(duplicate_member_case, "unreadable", ("file-zip-duplicate",)),
    "zip-local-name-differs": Case(local_name_differs, "unreadable", ("file-zip-duplicate",)),
    "zip-climbing-path": Case(climbing_member, "unreadable", ("file-zip-path",)),
    "zip-absolute-path": Case(absolute_member, "unreadable", ("file-zip-path",)),
    "zip64-members": Case(zip64_members, "valid", (), values={"t3.new.natural": 5}),
    "zip64-huge-declared-size": Case(zip64_huge_declared, "unreadable", ("file-too-large",)),
    "zip-huge-declared-size": Case(huge_declared, "unreadable", ("file-too-large",)),
    "zip-inflates-past-declared-size": Case(smaller_than_declared_inflates_more, "unreadable", ("file-too-large",)),
    "zip-encrypted-member": Case(encrypted_member, "unreadable", ("file-encrypted",)),
    "zip-unsupported-compression": Case(bzip2_member, "unreadable", ("file-corrupt",)),
    "zip-truncated": Case(truncated, "unreadable", ("file-corrupt",)),
    # other producers
    "strict-ooxml": Case(strict_ooxml, "valid", (), values={"t3.new.natural": 6, "t3.total.total": 7}),
    "prefixed-elements": Case(prefixed_elements, "valid", (), values={"t3.new.natural": 5, "t3.total.total": 6}),
    "cells-without-references": Case(cells_without_references, "valid", (), values={"t3.new.natural": 5}),
    "wps-saved": Case(wps_saved, "valid", ()),
    "openpyxl-saved": Case(openpyxl_saved, "valid", ("formulas-not-calculated",), values={"t3.new.natural": 5}),
    # formulas typed into input cells
    "formula-arithmetic": Case(formula("1+1", b"2"), "invalid", ("value-formula",)),
    "formula-reference": Case(formula("D7", b"1"), "invalid", ("value-formula",)),
    "formula-indirect": Case(formula('INDIRECT("D7")', b"1"), "invalid", ("value-formula",)),
    "formula-circular": Case(formula("D6+1", b"0"), "invalid", ("value-formula",)),
    "formula-not-calculated": Case(formula("1+1", None), "invalid", ("value-formula",)),
    "formula-external-link": Case(external_link_no_value, "invalid", ("value-external-link",)),
    "formula-external-without-link-part": Case(external_formula_without_link_part, "invalid", ("value-external-link",)),
    "formula-in-text-cell": Case(lambda: set_cells(build(), {"unit.contact": "=B9"}), "invalid", ("value-formula",)),
    # numbers as text, error values, booleans
    "text-thousands-separator": Case(text("t2.licensing", "1,234"), "valid", ("value-normalised",), values={"t2.licensing": 1234}),
    "text-spaces": Case(text("t2.penalty", " 4 "), "valid", ("value-normalised",), values={"t2.penalty": 4}),
    "text-full-width": Case(text("t2.penalty", "４"), "valid", ("value-normalised",), values={"t2.penalty": 4}),
    "text-with-unit": Case(text("t2.penalty", "4件"), "invalid", ("value-with-unit",)),
    "text-with-magnitude-unit": Case(text("t2.fees", "1.25万元"), "invalid", ("value-with-unit",)),
    "error-value": Case(error_value, "invalid", ("value-formula-error",)),
    "formula-error-result": Case(formula_with_error_result, "invalid", ("value-formula-error",)),
    "boolean-true": Case(lambda: boolean(True), "invalid", ("value-boolean",)),
    "boolean-false": Case(lambda: boolean(False), "invalid", ("value-boolean",)),
    # hidden rows and columns, labels, merges
    "hidden-input-row": Case(hidden_input_row, "valid", ("hidden-data",), values={"t3.new.natural": 5}),
    "hidden-column-note": Case(hidden_column_with_note, "valid", ("hidden-data",), values={"t3.new.natural": 5}),
    "label-unmerged": Case(unmerged_label, "valid", ("label-unmerged",), values={"t3.new.natural": 5}),
    "label-edited": Case(edited_label, "valid", ("label-mismatch",), values={"t3.new.natural": 5}),
    "inputs-merged": Case(merged_inputs, "invalid", ("input-merged",)),
    # cells outside the form, sizes, nesting
    "far-note-xfd1048576": Case(far_note(), "valid", ("cell-out-of-range",), values={"t3.new.natural": 5, "t3.total.total": 6}),
    "far-note-no-dimension": Case(far_note(dimension=False), "valid", ("cell-out-of-range",), values={"t3.new.natural": 5}),
    "far-note-lowercase-zero-padded": Case(far_note("xfd001048576"), "valid", ("cell-out-of-range",), values={"t3.new.natural": 5}),
    "far-numbers": Case(far_numbers, "valid", ("cell-out-of-range",), values={"t3.new.natural": 5}),
    # short references: no exact scan; the grid, a few thousand cells, is trimmed after reading
    "far-note-short-ref": Case(far_note("ZZ99", dimension=False), "valid", ("cell-out-of-range",), values={"t3.new.natural": 5}),
    "far-note-row-2000": Case(far_note("A2000", dimension=False), "valid", ("cell-out-of-range",), values={"t3.new.natural": 5}),
    "huge-dimension-only": Case(huge_dimension_only, "valid", (), values={"t3.new.natural": 5}),
    "too-many-cells": Case(too_many_cells, "unreadable", ("file-too-large",)),
    "too-many-shared-strings": Case(too_many_shared_strings, "unreadable", ("file-too-large",)),
    "deep-nesting": Case(deep_nesting, "unreadable", ("file-too-large",)),
    "dtd-in-sheet": Case(dtd_in_sheet, "unreadable", ("file-hostile-xml",)),
    # not a return
    "zip-of-returns": Case(zip_of_returns, "unreadable", ("file-archive",), name="returns.zip"),
    "pdf": Case(pdf, "unreadable", ("file-not-spreadsheet",), name="signed.pdf"),
    "csv": Case(csv_file, "unreadable", ("file-not-spreadsheet",), name="data.csv"),
    "pdf-renamed-xlsx": Case(pdf, "unreadable", ("file-not-spreadsheet",)),
}
