"""The report as a Word document, set like a government publication (GB/T 9704 page and fonts).

A4 with the official margins; title in 宋体 二号; body 仿宋 三号 with a two-character indent;
一、 headings in 黑体 and （一） sub-headings in 楷体; tables in 宋体 with the form's merges and
column proportions; the category breakdown as a native bar chart.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .docx_chart import add_chart
from .linebreak import column_widths, lines, longest_word, two_lines
from .model import Chart, Paragraph, Report, Table, TableBlock

LATIN = "Times New Roman"
TITLE_FONT, BODY_FONT, HEADING_FONT, SUBHEADING_FONT, TABLE_FONT = "宋体", "仿宋", "黑体", "楷体", "宋体"
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
LINE = Pt(28)  # fixed line pitch of official documents
PAGE_W, PAGE_H = Cm(21.0), Cm(29.7)
MARGINS = {"top": Cm(3.7), "bottom": Cm(3.5), "left": Cm(2.8), "right": Cm(2.6)}
TEXT_WIDTH = PAGE_W - MARGINS["left"] - MARGINS["right"]
RED = RGBColor(0xC0, 0x00, 0x00)
ROW_HEIGHT = Cm(0.6)  # at least: rows with long labels grow


def render_docx(report: Report) -> bytes:
    doc = Document()
    _page(doc)
    _base_styles(doc)
    _properties(doc, report)
    if report.notices:
        _notices(doc, report.notices)
    _title(doc, report.title)
    for text in report.preamble:
        _para(doc, text)
    for section in report.sections:
        _para(doc, section.heading, font=HEADING_FONT, keep_with_next=True)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                _paragraph_block(doc, block)
            elif isinstance(block, TableBlock):
                _table(doc, block.table, block.caption)
            elif isinstance(block, Chart):
                p = doc.add_paragraph()
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                # An exact line pitch would clip the drawing to one line.
                p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
                add_chart(doc, p, block, TEXT_WIDTH, Cm(7.5), TABLE_FONT)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# -- document properties ---------------------------------------------------------------------

_APP_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Company>{company}</Company></Properties>"
)


def _properties(doc, report: Report) -> None:
    """The agency's document, not python-docx's: its title and name, made now; the default
    template's description, dates, application name and thumbnail picture go."""
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    props = doc.core_properties
    props.title = report.title
    props.author = props.last_modified_by = report.author
    props.subject = props.keywords = props.category = props.comments = ""
    props.created = props.modified = now
    props.revision = 1
    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            package.rels.pop(rid)  # a part is saved only while something relates to it
        elif rel.reltype == RT.EXTENDED_PROPERTIES:
            rel.target_part._blob = _APP_XML.format(company=escape(report.author)).encode("utf-8")


# -- page and styles -------------------------------------------------------------------------

def _page(doc) -> None:
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = PAGE_W, PAGE_H
    for side, value in MARGINS.items():
        setattr(sec, f"{side}_margin", value)
    footer = sec.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, "— ", BODY_FONT, Pt(14))
    _page_field(footer)
    _run(footer, " —", BODY_FONT, Pt(14))


def _page_field(paragraph) -> None:
    run = paragraph.add_run()
    _fonts(run, BODY_FONT, Pt(14))
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == "1":
            el = OxmlElement("w:t")
            el.text = text
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _base_styles(doc) -> None:
    # Chinese as the East Asian language: viewers then pick Simplified Chinese glyphs (a
    # fallback font chosen for "en-US" text may be the Japanese variant of a CJK family).
    for lang in doc.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang"):
        lang.set(qn("w:eastAsia"), "zh-CN")
    normal = doc.styles["Normal"]
    normal.font.name = LATIN
    normal.font.size = BODY_SIZE
    _east_asia(normal.element.get_or_add_rPr(), BODY_FONT)
    pf = normal.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE


def _east_asia(rpr, font: str) -> None:
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), font)
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)


def _fonts(run, font: str, size, bold: bool = False) -> None:
    run.font.size = size
    run.font.bold = bold
    run.font.name = LATIN
    _east_asia(run._r.get_or_add_rPr(), font)


def _run(paragraph, text: str, font: str, size, bold: bool = False):
    run = paragraph.add_run(text)
    _fonts(run, font, size, bold)
    return run


# -- text ------------------------------------------------------------------------------------

def _title(doc, text: str) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pf = p.paragraph_format
    pf.line_spacing = Pt(36)
    pf.space_after = Pt(24)
    _run(p, text, TITLE_FONT, TITLE_SIZE, bold=True)


_TO_WRITE = re.compile(r"(【[^】]*】)")


def _para(doc, text: str, font: str = BODY_FONT, keep_with_next: bool = False):
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = BODY_SIZE * 2
    p.paragraph_format.keep_with_next = keep_with_next
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for piece in _TO_WRITE.split(text):
        if piece:
            run = _run(p, piece, font, BODY_SIZE)
            if _TO_WRITE.fullmatch(piece):  # a place left to write or fill, inside a sentence
                _mark(run)
    return p


def _mark(run) -> None:
    run.font.color.rgb = RED
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _paragraph_block(doc, block: Paragraph) -> None:
    if block.role == "subheading":
        _para(doc, block.text, font=SUBHEADING_FONT, keep_with_next=True)
    elif block.role == "placeholder":
        p = _para(doc, block.text)
        for r in p.runs:
            _mark(r)
    else:
        _para(doc, block.text)


def _notices(doc, notices: list[str]) -> None:
    box = doc.add_table(rows=1, cols=1)
    box.style = doc.styles["Table Grid"]
    cell = box.cell(0, 0)
    for i, text in enumerate(notices):
        p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        p.paragraph_format.line_spacing = Pt(20)
        r = _run(p, text, HEADING_FONT if i == 0 else BODY_FONT, Pt(12), bold=i == 0)
        r.font.color.rgb = RED
    doc.add_paragraph()


# -- tables ----------------------------------------------------------------------------------

def _table(doc, table: Table, caption: str = "") -> None:
    grid = doc.add_table(rows=table.n_rows, cols=table.n_cols)
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False  # a fixed layout: Word keeps the form's column proportions
    size = Pt(10.5) if table.n_cols <= 6 else Pt(9)
    margin = Cm(0.08)
    widths = _column_widths(table, size, margin)
    for i, col in enumerate(grid.columns):
        col.width = widths[i]
        for cell in col.cells:
            cell.width = widths[i]
    _cell_margins(grid, margin)
    last_row = table.n_rows - 1
    for c in table.cells:
        cell = grid.cell(c.row, c.col)
        if c.rowspan > 1 or c.colspan > 1:
            cell = cell.merge(grid.cell(c.row + c.rowspan - 1, c.col + c.colspan - 1))
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        p = cell.paragraphs[0]
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        p.paragraph_format.first_line_indent = Pt(0)
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT if c.style == "label" else WD_ALIGN_PARAGRAPH.CENTER
        # Keeps a table that fits on one page from being split (Word moves it whole).
        p.paragraph_format.keep_with_next = c.row + c.rowspan - 1 < last_row or bool(caption)  # caption too
        if c.text:
            room = sum(widths[c.col:c.col + c.colspan]) - 2 * margin
            run = None
            for line in lines(c.text, room / size - _SAFETY_EM):
                if run is not None:
                    run.add_break()  # the line ends between two words
                run = _run(p, line, TABLE_FONT, size, bold=c.style == "header")
    for i, row in enumerate(grid.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        height = OxmlElement("w:trHeight")
        height.set(qn("w:val"), str(int(ROW_HEIGHT.twips)))
        tr_pr.append(height)
        if i < _repeating_header_rows(table):
            tr_pr.append(OxmlElement("w:tblHeader"))
    if caption:
        p = doc.add_paragraph()
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        p.paragraph_format.space_before = Pt(3)
        _run(p, caption, TABLE_FONT, Pt(10.5))
    doc.add_paragraph()


_SAFETY_EM = 0.2  # a line a little shorter than the cell: fonts differ between Word, WPS and LibreOffice


def _column_widths(table: Table, size, margin) -> list[int]:
    """The form's column proportions over the text width, each column widened (where others can
    spare the room) to its longest word, and to two lines for a header (cells of that column
    alone)."""
    total = sum(table.widths) or 1.0
    widths = [TEXT_WIDTH * w / total for w in table.widths]
    needs = [0.0] * table.n_cols
    for c in table.cells:
        if c.colspan == 1 and c.text:
            em = two_lines(c.text) if c.style == "header" else longest_word(c.text)
            needs[c.col] = max(needs[c.col], (em + _SAFETY_EM) * size + 2 * margin)
    return [int(w) for w in column_widths(widths, needs)]


def _cell_margins(grid, side) -> None:
    mar = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(int(side.twips)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    # tblCellMar must come before tblLook in tblPr (schema order).
    look = grid._tbl.tblPr.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(mar)
    else:
        grid._tbl.tblPr.append(mar)


def _repeating_header_rows(table: Table) -> int:
    """Rows above the first number repeat on every page, but only for a table with one header
    band: a table that stacks several titled blocks (表二) must not repeat its first block."""
    rows = table.rows()
    first_value = next((i for i, r in enumerate(rows) if any(c.style == "value" for c in r)), 0)
    later_headers = any(c.style == "header" for r in rows[first_value:] for c in r)
    return 0 if later_headers else first_value
