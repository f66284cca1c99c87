"""The summary workbook's layout, read back with openpyxl: what each sheet holds and how it is
set up to print (A4, orientation, print titles and areas), without LibreOffice.

The printed result itself is checked in ``test_print_summary.py``.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from tests.support.cli import xlflow
from xlflow.demo import build_demo_data
from xlflow.merge import build_summary, consolidate
from xlflow.merge.detail import DETAIL_FIRST_ROW
from xlflow.merge.pages import column_bands
from xlflow.merge.stream import Row, RowTail, splice
from xlflow.merge.texts import text_rows
from xlflow.results import FileResult
from xlflow.roster import Agency
from xlflow.vocab import SHEET_DETAIL, SHEET_FINDINGS, SHEET_STATUS, SHEET_TEXT, SHEET_TOTAL, place_words, table_sheet_name

YEAR = 2024


def _results(form, n: int, text: str = "本单位的情况。"):
    out = []
    for i in range(n):
        v = {**form.defaults(), "unit.scope": "本级", "t3.new.natural": i + 1, "t2.fees": 0.5, "s1.proactive": text,
             "s1.proactive_total": 10 * (i + 1), "s5.text": "问题与改进。"}
        out.append(FileResult(Path(f"A{i}.xlsx"), "valid", [], f"A{i}", f"单位{i}", YEAR, "本级", [], form.compute_derived(v), "ab" * 32, "Microsoft Excel"))
    return out


def _roster(n: int):
    return [Agency(f"A{i}", f"单位{i}", i + 2, "乡镇（街道）" if i % 3 == 0 else "县直部门", (("联系人", f"联系人{i}"),)) for i in range(n)]


@pytest.fixture(scope="module")
def grouped(form):
    c = consolidate(_results(form, 5), form, year=YEAR, roster=_roster(6), code="Z", name="某县")
    data = build_summary(c)
    return c, openpyxl.load_workbook(io.BytesIO(data)), openpyxl.load_workbook(io.BytesIO(data), data_only=True)


def test_every_sheet_is_set_up_for_a4(grouped, form):
    _, wb, _ = grouped
    names = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert names == [SHEET_TOTAL, *(table_sheet_name(s.name) for s in form.table_sheets), SHEET_DETAIL, SHEET_STATUS,
                     SHEET_FINDINGS, SHEET_TEXT, "图表"]
    for name in names:
        ws = wb[name]
        assert ws.page_setup.paperSize == 9, name
        assert "第 &P 页" in ws.oddFooter.center.text and ws.oddHeader.right.text == "&A", name
    for s in form.table_sheets:
        ws = wb[table_sheet_name(s.name)]
        assert ws.page_setup.orientation == ("landscape" if s.spec.landscape else "portrait")
        # one page each (fitToHeight 1 is the default, written as no attribute; 0 is "as many as needed")
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight in (None, 1)
    t3 = wb[table_sheet_name(form.sheet("t3").name)]
    assert t3.print_title_rows == "$3:$5"  # the form's own print titles


def test_detail_has_headings_in_words_subtotals_and_a_total(grouped, form):
    c, wb, values = grouped
    ws, cached = wb[SHEET_DETAIL], values[SHEET_DETAIL]
    heads = [[ws.cell(r, k).value for k in range(1, ws.max_column + 1)] for r in (2, 3, 4)]
    col = next(k for k in range(1, ws.max_column + 1) if ws.cell(1, k).value == "t3.new.natural")
    assert ws.cell(2, col).value == "三、依申请公开" and ws.cell(3, col).value == "一、本年新收政府信息公开申请数量"
    assert ws.cell(4, col).value == "自然人" and "t3.new.natural" not in sum(heads, [])
    first = DETAIL_FIRST_ROW + 1
    units = [ws.cell(r, 1).value for r in range(first, first + 5)]
    assert units == ["A0", "A1", "A2", "A3", "A4"]
    below = {ws.cell(r, 1).value: r for r in range(first + 5, first + 8)}
    assert set(below) == {"县直部门小计（3个单位）", "乡镇（街道）小计（2个单位）", "合计（5个单位）"}
    letter = openpyxl.utils.get_column_letter(col)
    assert ws.cell(below["合计（5个单位）"], col).value == f"=SUM({letter}{first}:{letter}{first + 4})"
    assert ws.cell(below["乡镇（街道）小计（2个单位）"], col).value.startswith("=SUMIF($C$")
    assert cached.cell(below["合计（5个单位）"], col).value == 1 + 2 + 3 + 4 + 5
    assert cached.cell(below["乡镇（街道）小计（2个单位）"], col).value == 1 + 4  # A0 and A3
    assert cached.cell(below["县直部门小计（3个单位）"], col).value == 2 + 3 + 5
    assert ws.print_title_rows == "$2:$4" and ws.print_title_cols == "$A:$C"
    area = ws.print_area
    assert "$2:" in area.replace("$A$2", "$2") and "统计范围" not in [ws.cell(2, k).value for k in range(1, 10)]
    last_printed = openpyxl.utils.column_index_from_string(area.split(":")[-1].split("$")[1])
    trailing = [ws.cell(2, k).value for k in range(last_printed + 1, ws.max_column + 1)]
    assert trailing == ["统计范围", "所含单位", "文件"]  # the file columns are outside the printed area
    assert ws.page_setup.orientation == "landscape" and ws.col_breaks.brk


def test_status_and_findings_print_words_and_keep_hashes_out_of_print(grouped, form):
    c, wb, _ = grouped
    ws = wb[SHEET_STATUS]
    head = [ws.cell(3, k).value for k in range(1, ws.max_column + 1)]
    printed = openpyxl.utils.column_index_from_string(ws.print_area.split(":")[-1].split("$")[1])
    assert "SHA-256" in head and head.index("SHA-256") >= printed and head.index("保存程序") >= printed and head.index("文件") >= printed
    bad = consolidate([*_results(form, 1)[:0], _bad(form)], form, year=YEAR, code="Z", name="某县")
    findings = openpyxl.load_workbook(io.BytesIO(build_summary(bad)))[SHEET_FINDINGS]
    head = [findings.cell(2, k).value for k in range(1, findings.max_column + 1)]
    row = [findings.cell(3, k).value for k in range(1, findings.max_column + 1)]
    printed = openpyxl.utils.column_index_from_string(findings.print_area.split(":")[-1].split("$")[1])
    assert head[:printed] == ["单位代码", "单位名称", "级别", "问题", "位置", "问题说明"]
    assert row[3] == "表三各列勾稽关系" and row[4] == "三、依申请公开“四、结转下年度继续办理”行“自然人”列"
    assert row[head.index("规则代码")] == "R1"


def _bad(form):
    from xlflow.results import Finding

    f = form.fields["t3.next.natural"]
    x = Finding("R1", "error", "表三“自然人”列：……", f.sheet, f.cell, f.id, row_label=f.row_label, col_label=f.col_label)
    return FileResult(Path("B.xlsx"), "invalid", [x], "B", "乙局", YEAR, "本级", [], {}, "cd" * 32, "WPS")


def test_text_compilation_has_one_block_per_unit_with_every_section_in_full(form):
    long = "第一段。" * 200 + "\n" + "第二段，" * 150 + "完。"
    c = consolidate(_results(form, 2, long), form, year=YEAR, code="Z", name="某县")
    ws = openpyxl.load_workbook(io.BytesIO(build_summary(c)))[SHEET_TEXT]
    a = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    b = [ws.cell(r, 2).value for r in range(1, ws.max_row + 1)]
    start = a.index("1. 单位0（A0）")
    assert "2. 单位1（A1）" in a
    label = form.fields["s1.proactive"].label
    rows = [i for i in range(start, a.index("2. 单位1（A1）")) if a[i] == label]
    assert len(rows) == 1
    k = rows[0]
    pieces = []
    while b[k] and (k == rows[0] or a[k] is None):
        pieces.append(b[k])
        k += 1
    assert "".join(pieces) == long and len(pieces) > 1  # all of it, cut into rows
    assert all(ws.row_dimensions[r + 1].height and ws.row_dimensions[r + 1].height <= 409 for r in range(rows[0], k))
    assert "（未填写）" in b  # an empty section says so
    with zipfile.ZipFile(io.BytesIO(build_summary(c))) as z:
        names = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        text_part = next(z.read(n).decode() for n in names if "1. 单位0（A0）" in z.read(n).decode())
    assert "<dimension" not in text_part  # streamed without counting its rows first


def test_text_rows_cut_at_paragraphs_then_sentences():
    para = "甲" * 50
    assert text_rows(para, 100) == [(para, 1)]
    many = "\n".join([para] * 30)
    rows = text_rows(many, 100, max_lines=10)
    assert [n for _, n in rows] == [10, 10, 10] and "\n".join(t for t, _ in rows) == many  # cut between paragraphs
    sentences = "这是一句话。" * 200  # one paragraph, 1,200 characters
    rows = text_rows(sentences, 40, max_lines=5)
    assert "".join(t for t, _ in rows) == sentences and all(t.endswith("。") for t, _ in rows)
    assert all(n <= 5 for _, n in rows)
    endless = "字" * 1000  # no sentence end at all
    rows = text_rows(endless, 40, max_lines=5)
    assert "".join(t for t, _ in rows) == endless and all(n <= 5 for _, n in rows)


def test_page_breaks_keep_groups_together():
    assert column_bands([10] * 6, [0, 0, 0, 1, 1, 1], 40) == [3]
    assert column_bands([10] * 6, [0, 0, 1, 1, 2, 2], 45) == [4]
    assert column_bands([10] * 5, [0] * 5, 25) == [2, 4]  # a group wider than a page breaks inside


def test_place_words_use_the_forms_labels(form):
    f = form.fields["t3.deny_secret.business"]
    assert place_words(f.sheet, f.row_label, f.col_label) == "三、依申请公开“（三）不予公开 1.属于国家秘密”行“商业企业”列"
    g = form.fields["t4.direct.upheld"]
    assert place_words(g.sheet, g.row_label, g.col_label) == "四、复议诉讼“行政诉讼 未经复议直接起诉 结果维持”"
    h = form.fields["unit.contact"]
    assert place_words(h.sheet, h.row_label, h.col_label) == "基本信息“填报人”"
    assert place_words("二、主动公开", None, None) == "工作表“二、主动公开”" and place_words(None, "x", "y") == ""


def test_streamed_rows_go_above_rows_written_below_them():
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("s")
    bold = wb.add_format({"bold": True})
    tall = wb.add_format({"italic": True})  # used by no cell xlsxwriter writes
    ws.write_string(0, 0, "head")
    ws.write_string(1, 0, "first", bold)
    ws.write_formula(5, 0, "=1+1", None, 2)
    tail = RowTail(ws, 2, 3, 1, iter([["a"], Row(["b"], [tall], 40), ["c"]]), [bold], [tall])
    wb.close()
    data = splice(buf.getvalue(), [tail])
    got = openpyxl.load_workbook(io.BytesIO(data))["s"]
    assert [got.cell(r, 1).value for r in range(1, 7)] == ["head", "first", "a", "b", "c", "=1+1"]
    assert got.cell(4, 1).font.italic and got.row_dimensions[4].height == 40 and got.cell(3, 1).font.bold


def test_an_appended_sheet_is_written_and_prints_on_a4(form):
    c = consolidate(_results(form, 2), form, year=YEAR, code="Z", name="某县")

    def write(book) -> None:
        ws = book.wb.add_worksheet("上年对比")
        ws.write_string(0, 0, "对比", book.fmt.title)

    c.appendices.append(write)
    wb = openpyxl.load_workbook(io.BytesIO(build_summary(c)))
    assert wb.sheetnames[-2:] == ["上年对比", "_xlflow"] and wb["上年对比"].page_setup.paperSize == 9


def test_status_deadline_is_printed_and_a_bad_one_refused(tmp_path):
    data = build_demo_data(tmp_path / "demo")
    xlsx = tmp_path / "催报.xlsx"
    res = xlflow("status", data.returns, "--agencies", data.roster, "--year", 2023, "--xlsx", xlsx, "--deadline", "2024年1月31日")
    assert res.returncode == 1, res.stderr
    ws = openpyxl.load_workbook(xlsx)["催报名单"]
    assert "报送截止日期：2024年1月31日" in ws["A2"].value and "制表日期：" in ws["A2"].value
    head = [ws.cell(4, k).value for k in range(1, ws.max_column + 1)]
    assert head[:5] == ["序号", "单位代码", "单位名称", "状态", "需要补报或更正的内容"]
    assert "联系人" in head and "联系电话" in head and head[-1] == "文件"
    police = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 3).value == "嘉祥县公安局")
    todo = ws.cell(police, 5).value
    assert todo.startswith("1. 三、依申请公开“一、本年新收政府信息公开申请数量”行“总计”列：") and "!J6" not in todo
    assert ws.cell(police, head.index("联系电话") + 1).value == "0537-1000004"
    bad = xlflow("status", data.returns, "--agencies", data.roster, "--xlsx", xlsx, "--deadline", "下周五")
    assert bad.returncode == 2 and "--deadline" in bad.stderr and "2024-01-31" in bad.stderr
