"""The report as a document model: what every renderer (docx, html, md) lays out.

Building (``build.py``) decides *what* the report says; renderers only decide how it looks, so
the three formats cannot disagree about a label, a number or a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

CellStyle = Literal["header", "label", "note", "value", "blank"]


@dataclass
class Cell:
    """One visible cell of a table; ``rowspan``/``colspan`` > 1 for merged cells."""

    row: int
    col: int
    text: str
    style: CellStyle
    rowspan: int = 1
    colspan: int = 1
    field_id: str | None = None


@dataclass
class Table:
    """A table as laid out on a form sheet: a grid whose covered positions hold no cell."""

    n_rows: int
    n_cols: int
    widths: list[float]  # relative column widths (from the sheet's column widths)
    cells: list[Cell]

    def rows(self) -> list[list[Cell]]:
        """Visible cells row by row, each row left to right."""
        out: list[list[Cell]] = [[] for _ in range(self.n_rows)]
        for c in sorted(self.cells, key=lambda c: (c.row, c.col)):
            out[c.row].append(c)
        return out

    def cell_at(self, row: int, col: int) -> Cell | None:
        """The cell covering (row, col), merged or not."""
        for c in self.cells:
            if c.row <= row < c.row + c.rowspan and c.col <= col < c.col + c.colspan:
                return c
        return None


@dataclass
class Paragraph:
    text: str
    # data: a sentence generated from a summary's numbers; placeholder: a marked place to write
    role: Literal["body", "subheading", "placeholder", "data"] = "body"


@dataclass
class Chart:
    """A bar chart of counts by category (e.g. 主动公开 by 类别)."""

    title: str
    categories: list[str]
    values: list[float]


@dataclass
class TableBlock:
    table: Table
    caption: str = ""  # printed under the table (a county draft: which units it adds up)


Block = Union[Paragraph, TableBlock, Chart]


@dataclass
class Section:
    heading: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    title: str
    preamble: list[str]
    sections: list[Section]
    notices: list[str] = field(default_factory=list)  # shown boxed on the first page
    draft: bool = False  # a county draft with places left for the clerk to write
    author: str = ""  # the agency (document properties)

