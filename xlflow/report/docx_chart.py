"""A native Word bar chart (DrawingML chart part), as the published reports have.

python-docx cannot make charts, but a chart is just a part: ``word/charts/chartN.xml`` related
from the document and shown by an inline ``<c:chart r:id=…/>`` drawing. Word, WPS and
LibreOffice draw it from the values cached in the part, with the document's own CJK fonts; the
embedded workbook (written with xlsxwriter) is what Word opens for "编辑数据".
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import xlsxwriter
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.shared import Cm

from .model import Chart
from .text import fmt_number

_NS = (
    'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_SHEET = "Sheet1"


def _txpr(size: int, east_asia: str, bold: bool = False) -> str:
    b = ' b="1"' if bold else ' b="0"'
    return (
        "<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr>"
        f'<a:defRPr sz="{size}"{b}><a:latin typeface="Times New Roman"/><a:ea typeface="{east_asia}"/></a:defRPr>'
        '</a:pPr><a:endParaRPr lang="zh-CN"/></a:p></c:txPr>'
    )


def chart_xml(chart: Chart, east_asia: str = "宋体") -> str:
    n = len(chart.categories)
    cats = "".join(f'<c:pt idx="{i}"><c:v>{escape(c)}</c:v></c:pt>' for i, c in enumerate(chart.categories))
    vals = "".join(f'<c:pt idx="{i}"><c:v>{fmt_number(v)}</c:v></c:pt>' for i, v in enumerate(chart.values))
    title = escape(chart.title)
    title_xml = (
        '<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr>'
        f'<a:defRPr sz="1400" b="1"><a:ea typeface="{east_asia}"/></a:defRPr></a:pPr>'
        f'<a:r><a:rPr lang="zh-CN" sz="1400" b="1"><a:ea typeface="{east_asia}"/></a:rPr><a:t>{title}</a:t></a:r>'
        '</a:p></c:rich></c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
        if title else '<c:autoTitleDeleted val="1"/>'
    )
    axis_common = '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<c:chartSpace {_NS}>"
        '<c:date1904 val="0"/><c:lang val="zh-CN"/><c:roundedCorners val="0"/>'
        f"<c:chart>{title_xml}"
        "<c:plotArea><c:layout/>"
        '<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
        '<c:ser><c:idx val="0"/><c:order val="0"/>'
        f'<c:tx><c:strRef><c:f>{_SHEET}!$B$1</c:f><c:strCache><c:ptCount val="1"/>'
        f'<c:pt idx="0"><c:v>{title}</c:v></c:pt></c:strCache></c:strRef></c:tx>'
        '<c:spPr><a:solidFill><a:srgbClr val="4472C4"/></a:solidFill></c:spPr>'
        '<c:invertIfNegative val="0"/>'
        '<c:dLbls><c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>'
        f'{_txpr(1050, east_asia)}<c:dLblPos val="outEnd"/><c:showLegendKey val="0"/><c:showVal val="1"/>'
        '<c:showCatName val="0"/><c:showSerName val="0"/><c:showPercent val="0"/><c:showBubbleSize val="0"/></c:dLbls>'
        f'<c:cat><c:strRef><c:f>{_SHEET}!$A$2:$A${n + 1}</c:f><c:strCache><c:ptCount val="{n}"/>{cats}</c:strCache></c:strRef></c:cat>'
        f'<c:val><c:numRef><c:f>{_SHEET}!$B$2:$B${n + 1}</c:f><c:numCache><c:formatCode>General</c:formatCode>'
        f'<c:ptCount val="{n}"/>{vals}</c:numCache></c:numRef></c:val>'
        "</c:ser>"
        '<c:gapWidth val="80"/><c:axId val="500000001"/><c:axId val="500000002"/></c:barChart>'
        '<c:catAx><c:axId val="500000001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        '<c:delete val="0"/><c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="1"/>'
        f'{axis_common}{_txpr(1050, east_asia)}<c:crossAx val="500000002"/><c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="500000002"/><c:scaling><c:orientation val="minMax"/><c:min val="0"/></c:scaling>'
        '<c:delete val="0"/><c:axPos val="l"/>'
        '<c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="D9D9D9"/></a:solidFill></a:ln></c:spPr></c:majorGridlines>'
        '<c:numFmt formatCode="General" sourceLinked="1"/>'
        f'{axis_common}{_txpr(1000, east_asia)}<c:crossAx val="500000001"/><c:crosses val="autoZero"/>'
        '<c:crossBetween val="between"/></c:valAx>'
        "</c:plotArea>"
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        f"{_txpr(1050, east_asia)}"
        '<c:externalData r:id="rId1"><c:autoUpdate val="0"/></c:externalData>'
        "</c:chartSpace>"
    )


def chart_workbook(chart: Chart) -> bytes:
    """The chart's data as a tiny workbook, so Word's "编辑数据" has something to open."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(_SHEET)
    ws.write_row(0, 0, ["", chart.title])
    for i, (c, v) in enumerate(zip(chart.categories, chart.values), start=1):
        ws.write_row(i, 0, [c, v])
    wb.close()
    return buf.getvalue()


def add_chart(document, paragraph, chart: Chart, width: Cm, height: Cm, east_asia: str = "宋体") -> None:
    """Append ``chart`` as an inline drawing to ``paragraph`` of ``document``."""
    package = document.part.package
    chart_part = Part(
        package.next_partname("/word/charts/chart%d.xml"), CT.DML_CHART,
        chart_xml(chart, east_asia).encode("utf-8"), package,
    )
    book = Part(
        package.next_partname("/word/embeddings/Microsoft_Excel_Worksheet%d.xlsx"), CT.SML_SHEET,
        chart_workbook(chart), package,
    )
    # The chart XML refers to its workbook as rId1, the first id of a part's own relationships.
    if chart_part.relate_to(book, RT.PACKAGE) != "rId1":
        raise RuntimeError("图表部件已有关系，数据工作簿不是 rId1")
    rid = document.part.relate_to(chart_part, RT.CHART)
    shape_id = _next_shape_id(document)
    inline = parse_xml(
        '<wp:inline distT="0" distB="0" distL="0" distR="0" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<wp:extent cx="{int(width)}" cy="{int(height)}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{shape_id}" name="图表 {shape_id}" descr="{escape(chart.title)}"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:chart r:id="{rid}"/></a:graphicData></a:graphic></wp:inline>'
    )
    run = paragraph.add_run()
    drawing = parse_xml('<w:drawing xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>')
    drawing.append(inline)
    run._r.append(drawing)


def _next_shape_id(document) -> int:
    ids = [int(x) for x in document.element.body.xpath("//wp:docPr/@id") if str(x).isdigit()]
    return max(ids, default=0) + 1
