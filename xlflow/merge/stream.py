"""Rows too many to hold in memory: the per-unit sheets of a province-sized summary.

xlsxwriter keeps every cell of a book in memory until ``close`` (some 150 bytes and two
Python calls per cell); 明细 and _xlflow have a row of several hundred cells per unit, so
10,000 units would cost over a gigabyte and most of the run. Instead, a sheet's per-unit rows
are registered as a ``RowTail``: xlsxwriter lays out everything else (headers, styles, filters,
freeze panes, merges, charts) and the first unit's row, then ``splice`` copies the finished
package and streams the remaining rows' XML into their sheets, unit by unit, straight into
the compressed part. Cells mean exactly what ``write_string``/``write_number`` would have
written; strings are inline (as xlsxwriter's own constant-memory mode writes them) so nothing
accumulates in a shared-string table.

Rows xlsxwriter wrote below the tail (明细's subtotals and 合计, formulas over the streamed rows)
stay below it: the streamed rows go in before them. A row may be a ``Row`` with its own formats
and a height (文字汇编: a heading row, then text rows sized to their text).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from ..cells import col_letter

MAX_CELL_TEXT = 32767
_CONTROL_ESCAPED = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_NEEDS_WORK = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")


def cell_value(value: object) -> object:
    """What a cell holds for a field's value: a number, a string, or None (blank: an empty
    value leaves the cell blank). Booleans and dates are written as text, as they always were.
    Strings a sheet writes as they are (names, codes) go in unchanged: "" is an empty string."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    if value is None or value == "":
        return None
    return str(value)[:MAX_CELL_TEXT]


def _text_xml(text: str) -> str:
    if _NEEDS_WORK.search(text):
        # Excel's escape of control characters (_xHHHH_), and of text that looks like one.
        text = _CONTROL_ESCAPED.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = escape(text)
    if text[:1].isspace() or text[-1:].isspace():
        return f'<is><t xml:space="preserve">{text}</t></is>'
    return f"<is><t>{text}</t></is>"


@dataclass
class Row:
    """A streamed row with formats of its own (one per cell, None for none) and a height in
    points. The height is not marked as set by hand, so LibreOffice fits the row to its text
    when it opens the file; Excel shows the height given."""

    values: Sequence[object]
    formats: Sequence[object | None] | None = None
    height: float | None = None


def _style(fmt) -> str:
    # The style index, assigned now (before the book is closed) as xlsxwriter's own write
    # methods assign it, so the style is written to styles.xml even if no cell xlsxwriter
    # writes uses it.
    return f' s="{fmt._get_xf_index()}"' if fmt is not None else ""


@dataclass
class RowTail:
    """Rows ``first_row`` … ``first_row + count - 1`` of a worksheet, produced on demand.
    ``count=None``: as many as ``rows`` yields (the sheet then has no ``<dimension>``, which
    is optional, rather than one that would have to be known before the rows are).

    ``rows`` yields one sequence of cell values per row (see ``cell_value``), or a ``Row``;
    ``formats`` holds the xlsxwriter format of each column (or None), ``row_formats`` every
    other format a ``Row`` may use. The tail must be made before the book is closed."""

    worksheet: object
    first_row: int
    count: int | None
    ncols: int
    rows: Iterator[Sequence[object] | Row]
    formats: Sequence[object | None]
    row_formats: Sequence[object] = ()

    def __post_init__(self) -> None:
        self._styles = {id(f): _style(f) for f in (*self.formats, *self.row_formats) if f is not None}
        self._starts = [f'<c r="{col_letter(k)}' for k in range(self.ncols)]
        self._column_styles = [_style(self.formats[k]) if k < len(self.formats) else "" for k in range(self.ncols)]
        self._plain = list(zip(self._starts, self._column_styles))
        self._cache: dict[tuple[int, ...], list[tuple[str, str]]] = {}

    def part_name(self) -> str:
        return f"xl/worksheets/sheet{self.worksheet.index + 1}.xml"

    def _row_starts(self, row: Row) -> list[tuple[str, str]]:
        if row.formats is None:
            return self._plain
        key = tuple(map(id, row.formats))
        starts = self._cache.get(key)
        if starts is None:
            try:
                styles = [self._styles[id(f)] if f is not None else "" for f in row.formats]
            except KeyError:
                raise RuntimeError(f"{self.part_name()}：流式行使用了未登记的格式") from None
            starts = self._cache[key] = list(zip(self._starts, styles))
        return starts

    def chunks(self) -> Iterator[str]:
        plain = self._plain
        r = self.first_row
        buf: list[str] = []
        for values in self.rows:
            r += 1  # 1-based row number in the XML
            if type(values) is Row:
                starts = self._row_starts(values)
                out = [f'<row r="{r}" ht="{values.height:.2f}">' if values.height else f'<row r="{r}">']
                values = values.values
            else:
                starts = plain
                out = [f'<row r="{r}">']
            for (start, style), v in zip(starts, values):
                if v is None:
                    if style:
                        out.append(f'{start}{r}"{style}/>')
                elif isinstance(v, str):
                    out.append(f'{start}{r}"{style} t="inlineStr">{_text_xml(v)}</c>')
                else:
                    out.append(f"{start}{r}\"{style}><v>{v:.16G}</v></c>")
            out.append("</row>")
            buf.append("".join(out))
            if len(buf) >= 64:
                yield "".join(buf)
                buf.clear()
        if buf:
            yield "".join(buf)
        if self.count is not None and r != self.first_row + self.count:
            raise RuntimeError(f"{self.part_name()}：应流式写入 {self.count} 行，实际 {r - self.first_row} 行")


_DIMENSION = re.compile(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"/>')


_ROW_START = re.compile(r'<row r="(\d+)"')


def _head_tail(xml: str, tail: RowTail) -> tuple[str, str]:
    end = xml.rfind("</sheetData>")
    if end < 0:
        raise RuntimeError(f"{tail.part_name()}：xlsxwriter 在流式行之前没有写出任何行")
    cut = end
    for m in _ROW_START.finditer(xml):  # the first row below the tail, if xlsxwriter wrote one
        if int(m.group(1)) > tail.first_row:
            cut = m.start()
            break
    head = xml[:cut]
    if tail.count is None:
        return _DIMENSION.sub("", head, count=1), xml[cut:]
    last = tail.first_row + tail.count  # 1-based last row

    def widen(m: re.Match[str]) -> str:
        c1, r1, c2, r2 = m.group(1), m.group(2), m.group(3) or m.group(1), m.group(4) or m.group(2)
        c2 = max(c2, col_letter(tail.ncols - 1), key=lambda s: (len(s), s))
        return f'<dimension ref="{c1}{r1}:{c2}{max(int(r2), last)}"/>'

    return _DIMENSION.sub(widen, head, count=1), xml[cut:]


def splice(package: bytes, tails: Sequence[RowTail]) -> bytes:
    """The package with each tail's rows appended to its sheet; every other part unchanged."""
    streamed = [t for t in tails if t.count or t.count is None]
    by_part = {t.part_name(): t for t in streamed}
    if len(by_part) != len(streamed):
        raise RuntimeError("同一工作表只能有一段流式行")
    if not by_part:
        return package
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type = info.compress_type
            copy.external_attr = info.external_attr
            copy.create_system = info.create_system
            data = zin.read(info)
            tail = by_part.get(info.filename)
            if tail is None:
                zout.writestr(copy, data)
                continue
            head, rest = _head_tail(data.decode("utf-8"), tail)
            with zout.open(copy, "w") as fh:
                fh.write(head.encode("utf-8"))
                for chunk in tail.chunks():
                    fh.write(chunk.encode("utf-8"))
                fh.write(rest.encode("utf-8"))
    return out.getvalue()
