"""The proof of `xlflow report`: the seed agency's own 2023 return, rendered, is its published report.

The seed (tests/data/seed_report.txt, a copy of shared/seed/000_9e9c33fd413cdd23.txt) is the
published report flattened to text: paragraphs one per line, table cells on tab-led lines with a
blank line between rows (a vertically merged cell repeats as an empty cell), and the chart's
cached data as the closing tab-separated lines. The rendered docx, flattened the same way, must
give the same paragraphs, the same table rows and the same chart data.
"""

from __future__ import annotations

import html.parser
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
import pytest
import yaml

from xlflow.report import build_report, render
from xlflow.template import TemplateFactory
from xlflow.validate import validate_file

SEED_TEXT = Path(__file__).parent / "data" / "seed_report.txt"
SHARED_SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "000_9e9c33fd413cdd23.txt"
SEED_VALUES = Path(__file__).resolve().parents[1] / "xlflow" / "samples" / "seed_jiaxiang_finance_2023.yaml"
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


@dataclass
class Flat:
    paragraphs: list[str] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    chart_title: str = ""
    chart: list[tuple[str, str]] = field(default_factory=list)


def parse_seed(text: str) -> Flat:
    out = Flat()
    lines = text.split("\n")
    # The title is printed over two lines in the original.
    out.paragraphs.append(lines[0] + lines[1])
    table: list[list[str]] | None = None
    prev = ""
    for line in lines[2:]:
        if line.startswith("\t"):
            if table is None:
                table = [[]]
                out.tables.append(table)
            elif prev == "":
                table.append([])
            table[-1].append(line[1:])
        elif line == "":
            pass
        elif table is not None and prev.startswith("\t"):
            table[-1][-1] += line  # a header broken over two lines: 商业\n企业
        elif "\t" in line:
            cells = [c for c in line.split("\t") if c]
            if len(cells) == 1:
                out.chart_title = cells[0]
            else:
                half = len(cells) // 2
                out.chart = list(zip(cells[:half], cells[half:]))
        else:
            table = None
            out.paragraphs.append(line.replace("[bookmark: _GoBack]", ""))
        prev = line
    return out


def flatten_docx(data: bytes) -> Flat:
    out = Flat()
    d = docx.Document(io.BytesIO(data))
    for el in d.element.body.iterchildren():
        tag = el.tag.rsplit("}", 1)[1]
        if tag == "p":
            text = "".join(t.text or "" for t in el.iter("{*}t"))
            if text:
                out.paragraphs.append(text)
        elif tag == "tbl":
            rows = []
            for tr in el.tr_lst:
                rows.append(["" if tc.vMerge == "continue" else "\n".join(
                    "".join(t.text or "" for t in p.iter("{*}t")) for p in tc.p_lst) for tc in tr.tc_lst])
            out.tables.append(rows)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        charts = [n for n in z.namelist() if n.startswith("word/charts/") and n.endswith(".xml")]
        assert len(charts) == 1, charts
        root = docx.oxml.parse_xml(z.read(charts[0]))
    out.chart_title = "".join(t.text for t in root.find(f"{C}chart/{C}title").iter("{*}t"))
    cats = [v.text for v in root.find(f".//{C}cat").iter(f"{C}v")]
    vals = [v.text for v in root.find(f".//{C}val").iter(f"{C}v")]
    out.chart = list(zip(cats, vals))
    return out


@pytest.fixture(scope="module")
def seed():
    return parse_seed(SEED_TEXT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_sample():
    return yaml.safe_load(SEED_VALUES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_values(form, seed_sample, tmp_path_factory):
    """The seed agency's 2023 return as it comes back: the template filled with its own figures
    and narrative, read and validated like any returned workbook."""
    path = tmp_path_factory.mktemp("seed") / "370829014_嘉祥县金融工作服务中心_2023年.xlsx"
    path.write_bytes(TemplateFactory(form, seed_sample["year"]).build(
        seed_sample["agency_name"], seed_sample["agency_code"], seed_sample["values"]))
    result = validate_file(path, form)
    assert result.status == "valid", [f.message for f in result.findings]
    return result.values


@pytest.fixture(scope="module")
def seed_docx(form, seed_values):
    return render(build_report(form, seed_values), "docx")


def test_seed_copy_is_the_shared_seed():
    if SHARED_SEED.is_file():  # CI has shared/ beside the clone; the copy must not drift
        assert SHARED_SEED.read_text(encoding="utf-8") == SEED_TEXT.read_text(encoding="utf-8")


def test_parser_reads_the_whole_seed(seed):
    assert [len(t) for t in seed.tables] == [14, 28, 4]
    assert [len(r) for r in seed.tables[1][:4]] == [2, 4, 8, 8]
    assert seed.chart_title == "公开情况" and len(seed.chart) == 5
    assert seed.paragraphs[0] == "嘉祥县金融工作服务中心2023年政府信息公开工作年度报告"
    assert len(seed.paragraphs) == 25


def test_docx_paragraphs_are_the_seed_paragraphs(seed, seed_docx):
    assert flatten_docx(seed_docx).paragraphs == seed.paragraphs


def test_docx_tables_are_the_seed_tables_cell_for_cell(seed, seed_docx):
    got = flatten_docx(seed_docx).tables
    assert len(got) == 3
    for mine, theirs in zip(got, seed.tables):
        assert mine == theirs


def test_docx_chart_is_the_seed_chart(seed, seed_docx):
    flat = flatten_docx(seed_docx)
    assert flat.chart_title == seed.chart_title
    assert flat.chart == seed.chart


def test_docx_chart_sits_after_the_proactive_paragraph(seed_docx):
    body = list(docx.Document(io.BytesIO(seed_docx)).element.body.iterchildren())
    at = next(i for i, el in enumerate(body) if el.xpath(".//c:chart"))
    before = "".join(t.text or "" for t in body[at - 1].iter("{*}t"))
    after = "".join(t.text or "" for t in body[at + 1].iter("{*}t"))
    assert before.endswith("共计21条。") and after == "（二）依申请公开情况"


class _HtmlFlattener(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.blocks: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._text: list[str] | None = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "p", "h1", "h2", "h3"):
            self._text = []
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag == "td":
            self.tables[-1][-1].append("".join(self._text))
            self._text = None
        elif tag in ("p", "h1", "h2", "h3") and self._text is not None:
            self.blocks.append("".join(self._text))
            self._text = None
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._text is not None and not self._in_style:
            self._text.append(data)


def _visible(table: list[list[str]]) -> list[list[str]]:
    # The seed repeats a vertically merged cell as an empty cell; HTML writes it once.
    return [[c for c in row if c] for row in table]


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_html_and_md_carry_the_same_paragraphs_and_tables(form, seed_values, seed, fmt):
    text = render(build_report(form, seed_values), fmt).decode("utf-8")
    if fmt == "md":
        paragraphs = [re.sub(r"^#+ ", "", line) for line in text.split("\n")
                      if line and not line.startswith(("<", "|", "**"))]
        tables_html = "".join(line for line in text.split("\n") if line.startswith("<table"))
    else:
        tables_html = text
    p = _HtmlFlattener()
    p.feed(tables_html)
    assert [_visible(t) for t in p.tables] == [_visible(t) for t in seed.tables]
    if fmt == "html":
        paragraphs = p.blocks
    assert paragraphs == seed.paragraphs
    for name, value in seed.chart:
        assert name in text and value in text

