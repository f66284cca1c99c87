"""The summary workbook: 汇总 and one sheet per official table, 明细, 填报情况, 问题清单, 文字汇编,
图表 and the hidden _xlflow; every sheet prints on A4 (``pages``).

Layout comes from the form: each numeric table sheet of the form is laid out again with its
own labels, merges, widths and cell positions (``tables``), and every number there is ``SUM``
over its column of 明细, cached with the correct value so a viewer that does not recalculate
shows the truth. An extra sheet (the workspace's 上年对比) is a writer in
``Consolidation.appendices``, called with the book after the standard sheets. The same inputs
give byte-identical bytes: fixed creation date, fixed zip timestamps, units in roster order, no
paths or clock readings in the content.
"""

from __future__ import annotations

import io
from datetime import datetime

import xlsxwriter

from .. import summaryfile
from ..form import FieldDef
from ..template import META_SHEET
from ..template.styles import Styles
from ..totals import values_row
from ..vocab import SHEET_TOTAL, table_sheet_name
from .charts import write_charts
from .consolidate import Consolidation
from .detail import DETAIL_FIRST_ROW, OTHER_GROUP, DetailLayout, write_detail
from .pages import setup_page
from .sheets import write_findings, write_status
from .stream import RowTail, cell_value, splice
from .tables import total_positions, write_overview, write_table_sheet
from .texts import write_narratives


class SummaryBook:
    def __init__(self, c: Consolidation):
        self.c = c
        self.buf = io.BytesIO()
        self.wb = xlsxwriter.Workbook(
            self.buf,
            {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        self.styles = Styles(self.wb)
        self.fmt = _Formats(self.wb)
        self.title = f"{c.name}{c.year or ''}年{c.form.spec.title}汇总表"
        self.total_pos: dict[str, tuple[str, int, int]] = {}  # field id -> (sheet, row, col) of its total
        self.tails: list[RowTail] = []
        # Roster groups (县直部门 / 乡镇（街道）…) in roster order, when the roster has a group column.
        roster = c.roster or ()
        self._group = {a.code: a.group or OTHER_GROUP for a in roster} if any(a.group for a in roster) else {}
        groups = list(dict.fromkeys(self._group.values()))
        if self._group and any(u.code not in self._group for u in c.units) and OTHER_GROUP not in groups:
            groups.append(OTHER_GROUP)
        self.groups: list[str] = groups
        self.layout: DetailLayout | None = None

    def group_of(self, code: str) -> str:
        return self._group.get(code, OTHER_GROUP)

    # -- whole book ----------------------------------------------------------------------------
    def build(self) -> bytes:
        c = self.c
        year = c.year or 2000
        self.wb.set_properties(
            {
                "title": f"{c.name}{c.year or ''}年{c.form.spec.title}汇总",
                "subject": f"{c.form.spec.title}（{c.form.spec.basis}）",
                "author": "xlflow",
                "company": "",
                "comments": f"{c.form.form_id} {c.form.version}",
                "created": datetime(year, 1, 1),  # fixed: same inputs, same bytes
            }
        )
        for key, value in summaryfile.identity(c.form, c.year, c.code, c.name).items():
            self.wb.set_custom_property(key, value)
        total_ws = self.wb.add_worksheet(SHEET_TOTAL)
        table_ws = [(self.wb.add_worksheet(table_sheet_name(s.name)), s) for s in c.form.table_sheets]
        self.layout = write_detail(self)
        for ws, s in table_ws:
            write_table_sheet(self, ws, s)
        write_overview(self, total_ws)
        write_status(self)
        write_findings(self)
        write_narratives(self)
        write_charts(self)
        for write in c.appendices:
            write(self)
            # An appended sheet prints like the others unless its writer set the page up itself.
            ws = self.wb.worksheets()[-1]
            if not ws.paper_size:
                setup_page(ws, self.title)
        self.write_meta()
        self.wb.close()
        return splice(self.buf.getvalue(), self.tails)

    def member_name_map(self) -> dict[str, str]:
        """Agency code -> name, from the roster and every file seen (built once: a summary
        lists its members by code, and the clerk reads names)."""
        known = {a.code: a.name for a in self.c.roster or ()}
        known.update({e.code: e.name for e in self.c.entries if e.code and e.name})
        return known

    def write_rows(self, ws, first_row: int, count: int, rows, formats) -> None:
        """One row per unit: the first through xlsxwriter, the rest streamed into the
        finished package (``stream.splice``)."""
        rows = iter(rows)
        for i, values in enumerate(rows):
            for k, value in enumerate(values):
                fmt = formats[k] if k < len(formats) else None
                if value is None:
                    ws.write_blank(first_row, k, None, fmt)
                elif isinstance(value, str):
                    ws.write_string(first_row, k, value, fmt)
                else:
                    ws.write_number(first_row, k, value, fmt)
            self.tails.append(RowTail(ws, first_row + 1, count - 1, len(values), rows, formats))
            break

    def stream_rows(self, ws, first_row: int, count: int | None, rows, formats, row_formats=()) -> None:
        """Rows from ``first_row`` (``count`` of them, or None: as many as ``rows`` yields),
        every one streamed; ``stream.Row`` items may set their own formats (among ``formats``
        and ``row_formats``) and heights."""
        self.tails.append(RowTail(ws, first_row, count, len(formats), iter(rows), formats, row_formats))

    # -- values and meta -------------------------------------------------------------------------
    def write_meta(self) -> None:
        c = self.c
        ws = self.wb.add_worksheet(META_SHEET)
        row = 0
        identity = summaryfile.identity(c.form, c.year, c.code, c.name)
        if c.roster is not None:
            identity.update(summaryfile.roster_identity(len(c.roster), [(a.code, a.name) for a in c.missing]))
        identity.update(c.meta)
        for key, value in identity.items():
            ws.write_string(row, 0, key)
            ws.write_string(row, 1, value)
            row += 1
        row += 1
        ids = tuple(fd.id for fd in c.form.data_fields)
        for k, text in enumerate(summaryfile.table_header(c.form)):
            ws.write_string(row, k, text)

        def rows():
            for u in c.units:
                lead = summaryfile.row_lead(u.code, u.name, u.scope, u.members)
                yield lead + [v if type(v) in _NUMBER else cell_value(v) for v in values_row(u.values, ids)]

        self.write_rows(ws, row + 1, len(c.units), rows(), [])
        ws.very_hidden()


_NUMBER = (int, float)


class _Formats:
    """Formats of the sheets that are lists rather than official tables."""

    def __init__(self, wb):
        base = {"font_name": "宋体", "font_size": 10, "valign": "top", "border": 1}
        self.wb = wb
        self.head = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "vcenter", "align": "center"})
        self.text = wb.add_format({**base, "text_wrap": True, "num_format": "@"})
        self.small = wb.add_format({"font_size": 8, "font_color": "#7F7F7F"})
        self.title = wb.add_format({"font_name": "宋体", "bold": True, "font_size": 14})
        self.subtitle = wb.add_format({"font_name": "宋体", "bold": True, "font_size": 12})
        self.para = wb.add_format({"font_name": "宋体", "font_size": 11, "text_wrap": True, "valign": "top"})
        self.name = wb.add_format({**base, "valign": "vcenter"})
        self.right = wb.add_format({**base, "align": "right", "valign": "vcenter"})
        self.right_number = wb.add_format({**base, "align": "right", "valign": "vcenter", "num_format": "General"})
        self.percent = wb.add_format({**base, "align": "right", "valign": "vcenter", "num_format": "0.0%"})
        self.unit_head = wb.add_format({"font_name": "宋体", "font_size": 12, "bold": True, "valign": "vcenter", "bottom": 2})
        self.side = wb.add_format({**base, "bold": True, "text_wrap": True, "bg_color": "#F2F2F2"})
        self.text_block = wb.add_format({**base, "text_wrap": True, "num_format": "@"})
        self.total_label = wb.add_format({**base, "bold": True, "bg_color": "#F2F2F2", "valign": "vcenter"})
        self._num: dict[tuple[str, bool], object] = {}
        self.base = base

    def number(self, fd: FieldDef, total: bool = False):
        nf = fd.type.spec.num_format or "General"
        key = (nf, total)
        if key not in self._num:
            extra = {"bold": True, "bg_color": "#F2F2F2"} if total else {}
            self._num[key] = self.wb.add_format({**self.base, "num_format": nf, "valign": "vcenter", **extra})
        return self._num[key]

    def total_number(self, fd: FieldDef):
        return self.number(fd, total=True)


def build_summary(c: Consolidation) -> bytes:
    """The summary workbook's bytes (write them with ``fsutil.atomic_write_bytes``)."""
    return SummaryBook(c).build()


__all__ = ["DETAIL_FIRST_ROW", "SummaryBook", "build_summary", "total_positions"]
