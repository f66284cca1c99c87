"""The county's outputs on paper: the demo's summary workbook and 催报 list printed by LibreOffice.

Each sheet is found in the PDF by the page header (the sheet's name, top right); every page must
be A4, each sheet must take the pages a clerk would accept, and what is printed must be what a
reader needs (words, not codes; no hashes or field ids; every unit named on the charts; texts in
full). ``XLFLOW_PRINT_DIR=docs/images python -m pytest tests/test_print_summary.py`` also writes
the pictures docs/printing-summary.md shows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from tests.printing import is_a4, page_sizes, pages_text
from tests.support.libreoffice import convert, pdf_to_png
from xlflow.demo import run_demo
from xlflow.merge import build_summary, consolidate
from xlflow.merge.chase import write_status_xlsx
from xlflow.merge.status import chase_list
from xlflow.results import FileResult
from xlflow.vocab import SHEET_CHARTS, SHEET_DETAIL, SHEET_FINDINGS, SHEET_STATUS, SHEET_TEXT, SHEET_TOTAL, table_sheet_name

pytestmark = pytest.mark.libreoffice

DEADLINE, TODAY = date(2024, 1, 31), date(2024, 1, 20)
# Pages a clerk accepts for the demo (16 agencies, 9 in the totals): the cover and every
# official table on one page each, 明细 as an appendix, every chart on a page of its own.
MOST_PAGES = {SHEET_TOTAL: 2, SHEET_DETAIL: 12, SHEET_STATUS: 1, SHEET_FINDINGS: 1, SHEET_TEXT: 8}


def _raw(pdf: Path, crop: tuple[float, float, float, float] | None = None) -> list[str]:
    """Each page's text in reading order (pdftotext without -layout keeps a wrapped cell's
    lines together), without whitespace; ``crop`` (x, y, width, height in points) reads one
    column only."""
    area = ["-x", str(int(crop[0])), "-y", str(int(crop[1])), "-W", str(int(crop[2])), "-H", str(int(crop[3]))] if crop else []
    out = subprocess.run(["pdftotext", *area, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = out.split("\f")
    pages = pages[:-1] if pages and not pages[-1].strip() else pages
    return ["".join(p.split()) for p in pages]


def _sheet_of(page: str) -> str:
    """The sheet a page belongs to: the last word of its header line."""
    first = next(line for line in page.splitlines() if line.strip())
    return first.split()[-1]


def _keep(pngs: list[Path], name: str, pages: list[int]) -> None:
    target = os.environ.get("XLFLOW_PRINT_DIR")
    if not target:
        return
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{name}-*.png"):
        old.unlink()
    for n in pages:
        shutil.copyfile(pngs[n - 1], folder / f"{name}-{n}.png")


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    root = tmp_path_factory.mktemp("print")
    run = run_demo(root / "demo")
    chase = root / "催报名单.xlsx"
    write_status_xlsx(chase, run.outcome.consolidation, run.rows, deadline=DEADLINE, today=TODAY)
    summary_pdf, chase_pdf = convert([run.summary, chase], "pdf", root / "pdf")
    out = {}
    for name, pdf in (("summary", summary_pdf), ("chase", chase_pdf)):
        texts = pages_text(pdf)
        sheets = [_sheet_of(t) for t in texts]
        pngs = pdf_to_png(pdf, pdf.with_name(pdf.stem + "-page"), first_page_only=False, dpi=70)
        firsts = [i for i, s in enumerate(sheets, 1) if i == 1 or sheets[i - 2] != s]
        every = [i for i, s in enumerate(sheets, 1) if s in (SHEET_TOTAL, SHEET_CHARTS)]  # the cover and each chart
        _keep(pngs, name, sorted(set(firsts) | set(every)) if name == "summary" else firsts)
        out[name] = dict(pdf=pdf, texts=texts, squeezed=_raw(pdf), sheets=sheets, sizes=page_sizes(pdf), pngs=pngs)
    out["run"] = run
    return out


def _pages(p, sheet: str) -> list[int]:
    return [i for i, s in enumerate(p["sheets"]) if s == sheet]


def test_every_page_is_a4_and_each_sheet_takes_the_pages_it_should(printed):
    s = printed["summary"]
    assert s["sizes"] and all(is_a4(size) for size in s["sizes"]), s["sizes"]
    counts = Counter(s["sheets"])
    form = printed["run"].outcome.consolidation.form
    tables = [table_sheet_name(t.name) for t in form.table_sheets]
    for sheet in tables:
        assert counts[sheet] == 1, (sheet, counts)  # one official table per page
    for sheet, most in MOST_PAGES.items():
        assert 1 <= counts[sheet] <= most, (sheet, counts)
    charts = len([c for c in printed["run"].outcome.consolidation.form.spec.summary.charts])
    assert counts[SHEET_CHARTS] == charts  # one chart a page
    assert set(counts) == {*tables, *MOST_PAGES, SHEET_CHARTS}, counts  # no sheet left unprinted, none unknown
    assert len(s["sheets"]) <= 30
    landscape = {sheet for sheet, (w, h) in zip(s["sheets"], s["sizes"]) if w > h}
    assert landscape == {table_sheet_name(t.name) for t in form.table_sheets if t.spec.landscape} | {SHEET_DETAIL, SHEET_STATUS, SHEET_FINDINGS}
    c = printed["chase"]
    assert all(is_a4(size) and size[0] > size[1] for size in c["sizes"]) and c["sheets"][0] == "催报名单"
    assert c["sheets"].count("催报名单") == 1


def test_every_page_has_content_and_its_number(printed):
    for p in (printed["summary"], printed["chase"]):
        n = len(p["texts"])
        assert len(p["pngs"]) == n
        for i, text in enumerate(p["squeezed"], 1):
            assert f"第{i}页，共{n}页" in text
            body = text.replace(f"第{i}页，共{n}页", "").replace(p["sheets"][i - 1], "")
            assert len(body) > 60, (i, body)  # no page with only its header and footer


def test_the_cover_says_what_is_in_the_totals_in_words(printed):
    s = printed["summary"]
    cover = "".join(s["squeezed"][i] for i in _pages(s, SHEET_TOTAL))
    c = printed["run"].outcome.consolidation
    assert "名单内应报16个，未计入7个" in cover and all(a.name in cover for a in c.missing)
    assert "分组小计" in cover and "县直部门" in cover and "乡镇（街道）" in cover
    assert "表三各列勾稽关系：自然人" in cover and "第一项+第二项为" in cover and "相符" in cover
    assert "✓" not in cover and "R1[" not in cover


def test_the_official_tables_are_the_forms_with_the_county_totals(printed):
    s = printed["summary"]
    form = printed["run"].outcome.consolidation.form
    for t in form.table_sheets:
        page = s["squeezed"][_pages(s, table_sheet_name(t.name))[0]]
        for lb in t.labels:
            if "{" not in lb.text and lb.style not in ("header", "note"):  # headers wrap in narrow columns
                assert "".join(lb.text.split()) in page, (t.name, lb.text)  # every row label printed whole
        assert "填报单位：嘉祥县（汇总）" in page


def test_detail_prints_names_headings_and_totals_on_every_page_without_field_ids(printed):
    s = printed["summary"]
    pages = _pages(s, SHEET_DETAIL)
    c = printed["run"].outcome.consolidation
    for i in pages:
        text = s["squeezed"][i]
        assert "单位名称" in text and all(u.name in text for u in c.units), i + 1  # repeated columns
        assert f"合计（{len(c.units)}个单位）" in text and "县直部门小计" in text
        assert not re.search(r"t3\.|t2\.|s1\.|cat\.c", text), i + 1  # no internal field id
    every = "".join(s["squeezed"][i] for i in pages)
    for t in c.form.table_sheets:  # the headings in the form's words: table, row group, column
        assert t.name in every
    for heading in ("一、本年新收政府信息公开申请数量", "（七）总计", "四、结转下年度继续办理", "自然人", "总计", "复议后起诉"):
        assert heading in every, heading


def test_status_and_findings_print_words_not_codes_or_hashes(printed):
    s = printed["summary"]
    run = printed["run"]
    status = "".join(s["squeezed"][i] for i in _pages(s, SHEET_STATUS))
    findings = "".join(s["squeezed"][i] for i in _pages(s, SHEET_FINDINGS))
    for e in run.outcome.consolidation.entries:
        assert e.result.sha256 and e.result.sha256[:12] not in status + findings
    assert "MicrosoftExcel" not in status + findings and "SHA" not in status
    assert "合计与明细不符" in findings and "表三各列勾稽关系" in findings and "用符号代替了0" in findings
    assert "三、依申请公开“一、本年新收政府信息公开申请数量”行“总计”列" in findings
    assert not re.search(r"value-[a-z]|wrong-year|![A-Z]+\d", findings)


def _text_column(pdf: Path) -> list[str]:
    """The text column of 文字汇编 alone (portrait, the label column to its left)."""
    from xlflow.merge.pages import MARGINS, column_points
    from xlflow.merge.texts import WIDTHS

    # a line of the label column starts at the left margin, one of the text column a label
    # column further right: read from a little before that to the edge of the page, between
    # the margins (not the page's header and footer, so a text reads on over a page break)
    left = MARGINS["left"] * 72 + column_points(WIDTHS[0]) - 5
    top, bottom = MARGINS["top"] * 72 - 8, 842 - MARGINS["bottom"] * 72 + 4
    return _raw(pdf, (left, top, 596 - left, bottom - top))


def test_text_compilation_prints_each_unit_with_its_sections_in_full(printed):
    s = printed["summary"]
    c = printed["run"].outcome.consolidation
    pages = _pages(s, SHEET_TEXT)
    text = "".join(s["squeezed"][i] for i in pages)
    column = "".join(t for i, t in enumerate(_text_column(s["pdf"])) if i in pages)
    for i, u in enumerate(c.units, 1):
        assert f"{i}.{u.name}（{u.code}）" in text
        for fd in c.form.narrative_fields:
            value = "".join(str(u.values[fd.id] or "（未填写）").split())
            # every section whole on paper: a row too short would cut its last lines off
            assert value in column, (u.name, fd.id)


def test_charts_name_every_unit_largest_first(printed):
    s = printed["summary"]
    c = printed["run"].outcome.consolidation
    pages = _pages(s, SHEET_CHARTS)
    assert any("各单位主动公开政府信息条数" in s["squeezed"][i] for i in pages)
    by_unit = [i for i in pages if "各单位" in s["squeezed"][i]]
    assert len(by_unit) == 3
    for i in by_unit:
        for u in c.units:
            assert s["squeezed"][i].count(u.name) >= 2, (i + 1, u.name)  # on the axis and in the table
        assert "按分组" in s["squeezed"][i]
    wb = openpyxl.load_workbook(printed["run"].summary, data_only=True)[SHEET_CHARTS]
    rows = list(wb.iter_rows(values_only=True))
    head = next(k for k, r in enumerate(rows) if r[0] == "单位")
    totals = [r[-1] if len(r) and isinstance(r[-1], (int, float)) else r[3] for r in rows[head + 1:head + 1 + len(c.units)]]
    assert totals == sorted(totals, reverse=True)


def test_chase_list_says_what_to_do_in_words_with_whom_to_call(printed):
    p = printed["chase"]
    page = p["squeezed"][0]
    run = printed["run"]
    assert "嘉祥县2023年政府信息公开工作年度报告催报名单" in page
    assert "制表日期：2024年1月20日" in page and "报送截止日期：2024年1月31日" in page
    chased = chase_list(run.rows)
    roster = {a.code: dict(a.contacts) for a in run.outcome.consolidation.roster}
    for r in chased:
        assert r.name in page and roster[r.code]["联系电话"] in page and roster[r.code]["联系人"] in page
    assert "三、依申请公开“一、本年新收政府信息公开申请数量”行“总计”列" in page
    assert "尚未报送" in page and "报表中的填报人、联系电话" in page
    assert not re.search(r"![A-Z]+\d", page) and ".xlsx" not in page  # no sheet!cell, no file names on paper


def test_long_texts_print_in_full(tmp_path, form):
    """A 1,600-character section and a 900-character one, cut into rows and printed whole."""
    long = "\n".join(f"第{k}段：" + "本单位坚持以公开为常态、不公开为例外，持续完善主动公开目录，及时发布政策文件和解读材料。" * 8 + f"（第{k}段完）"
                     for k in range(1, 6))
    middle = "存在的主要问题是公开内容不够全面，解读形式单一。" * 38 + "（完）"
    assert len(long) > 1600 and len(middle) > 900
    results = []
    for code in ("A1", "A2"):
        v = {**form.defaults(), "unit.scope": "本级", "s1.proactive": long, "s5.text": middle}
        results.append(FileResult(Path(f"{code}.xlsx"), "valid", [], code, f"{code}单位", 2024, "本级", [], form.compute_derived(v), "", ""))
    path = tmp_path / "s.xlsx"
    path.write_bytes(build_summary(consolidate(results, form, year=2024, code="Z", name="某县")))
    pdf = convert([path], "pdf", tmp_path / "pdf")[0]
    sheets = [_sheet_of(t) for t in pages_text(pdf)]
    assert all(is_a4(size) for size in page_sizes(pdf))
    column = "".join(t for t, sheet in zip(_text_column(pdf), sheets) if sheet == SHEET_TEXT)
    assert column.count("".join(long.split())) == 2 and column.count(middle) == 2  # whole, for both units
    wb = openpyxl.load_workbook(path)[SHEET_TEXT]
    cells = [c.value for c in wb["B"] if isinstance(c.value, str) and "第1段" in c.value]
    assert cells and all(len(v) < 1600 for v in cells)  # cut into rows, not one cell taller than a page


def test_the_mini_form_prints_from_its_own_definition(tmp_path, mini_form):
    """Nothing of the 2021 form in the layout: the mini form's sheets, labels and rules."""
    results = []
    for code, apples, pears in (("A", 5, 1), ("B", 2, 3)):
        v = {**mini_form.defaults(), "org.scope": "单位", "fruit.apples.first": apples, "fruit.pears.first": pears}
        results.append(FileResult(Path(f"{code}.xlsx"), "valid", [], code, f"果园{code}", 2099, "单位", [], mini_form.compute_derived(v), "", ""))
    path = tmp_path / "mini.xlsx"
    path.write_bytes(build_summary(consolidate(results, mini_form, year=2099, code="Z", name="某县")))
    pdf = convert([path], "pdf", tmp_path / "pdf")[0]
    sheets = [_sheet_of(t) for t in pages_text(pdf)]
    assert all(is_a4(size) for size in page_sizes(pdf))
    assert Counter(sheets) == {SHEET_TOTAL: 2, "汇总（水果）": 1, SHEET_DETAIL: 1, SHEET_STATUS: 1, SHEET_FINDINGS: 1, SHEET_TEXT: 1}
    text = "".join(_raw(pdf))
    assert "苹果不少于梨：上半年" in text and "水果产量" in text and "合计（2个单位）" in text
    for word in ("政府信息", "依申请", "表三", "本级"):
        assert word not in text, word
