"""`xlflow report` as a clerk runs it: template -> filled return -> report (docx, md, html);
a return with errors refused unless --force; a county summary -> draft county report."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
import yaml

from tests.support.cli import xlflow
from xlflow.report import build_report, render
from xlflow.template import TemplateFactory
from xlflow.validate import validate_file

ROOT = Path(__file__).resolve().parents[1]
SEED = yaml.safe_load((ROOT / "xlflow" / "samples" / "seed_jiaxiang_finance_2023.yaml").read_text(encoding="utf-8"))
TITLE = "嘉祥县金融工作服务中心2023年政府信息公开工作年度报告"


@pytest.fixture(scope="module")
def factory_2023(form):
    return TemplateFactory(form, 2023)


@pytest.fixture
def seed_return(tmp_path, factory_2023):
    path = tmp_path / "370829014_嘉祥县金融工作服务中心_2023年.xlsx"
    path.write_bytes(factory_2023.build(SEED["agency_name"], SEED["agency_code"], SEED["values"]))
    return path


def test_filled_template_gives_the_report_of_its_values(form, seed_return):
    result = validate_file(seed_return, form)
    assert result.status == "valid", [f.message for f in result.findings]
    values = {**form.defaults(), **SEED["values"], "unit.name": SEED["agency_name"],
              "unit.code": SEED["agency_code"], "unit.year": 2023}
    expected = build_report(form, form.compute_derived(values))
    assert build_report(form, result.values, agency_name=result.agency_name, year=result.year) == expected


@pytest.mark.parametrize("fmt", ["docx", "md", "html"])
def test_report_from_a_filled_return(form, seed_return, fmt):
    before = seed_return.read_bytes()
    res = xlflow("report", seed_return, "--format", fmt)
    assert res.returncode == 0, res.stderr
    out = seed_return.parent / f"{TITLE}.{fmt}"
    assert str(out) in res.stdout and out.is_file()
    assert seed_return.read_bytes() == before  # the return is never touched
    result = validate_file(seed_return, form)
    expected = render(build_report(form, result.values), fmt)
    if fmt == "docx":  # zip timestamps differ between runs; compare the text
        got = [p.text for p in docx.Document(io.BytesIO(out.read_bytes())).paragraphs]
        assert got == [p.text for p in docx.Document(io.BytesIO(expected)).paragraphs]
    else:
        assert out.read_bytes() == expected


def test_format_follows_out_suffix_and_conflicts_are_usage_errors(seed_return, tmp_path):
    res = xlflow("report", seed_return, "--out", tmp_path / "out" / "年报.html")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "年报.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    res = xlflow("report", seed_return, "--out", tmp_path / "年报.docx", "--format", "md")
    assert res.returncode == 2 and "不一致" in res.stderr
    res = xlflow("report", seed_return, "--out", tmp_path / "年报.pdf")
    assert res.returncode == 2 and "--format" in res.stderr
    res = xlflow("report", seed_return, "--out", seed_return, "--format", "docx")
    assert res.returncode == 2 and "不能与输入的报表相同" in res.stderr
    res = xlflow("report", tmp_path / "没有这个文件.xlsx")
    assert res.returncode == 2 and "找不到文件" in res.stderr


def test_unreadable_file_is_one_clear_line(tmp_path):
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"this is not a workbook")
    res = xlflow("report", bad)
    assert res.returncode == 1
    assert "坏文件.xlsx：无法读取" in res.stderr and "Traceback" not in res.stderr
    assert list(tmp_path.iterdir()) == [bad]


@pytest.fixture
def broken_return(tmp_path, factory_2023):
    # 本年新收 5 applications, none handled or carried over: R1 fails in two columns.
    values = {**SEED["values"], "t3.new.natural": 5}
    path = tmp_path / "有错误的报表.xlsx"
    path.write_bytes(factory_2023.build(SEED["agency_name"], SEED["agency_code"], values))
    return path


def test_return_with_errors_is_refused(broken_return):
    res = xlflow("report", broken_return)
    assert res.returncode == 1
    assert "处错误，未生成报告" in res.stderr and "--force" in res.stderr
    assert "自然人" in res.stderr  # the errors themselves are listed
    assert not (broken_return.parent / f"{TITLE}.docx").exists()


def test_forced_report_says_so_on_its_first_page(broken_return):
    res = xlflow("report", broken_return, "--force")
    assert res.returncode == 0, res.stderr
    assert "不得发布" in res.stderr
    d = docx.Document(io.BytesIO((broken_return.parent / f"{TITLE}.docx").read_bytes()))
    first = d.element.body[0]
    assert first.tag.endswith("}tbl")  # the boxed notice comes before the title
    notice = d.tables[0].cell(0, 0).text
    assert "未通过校验" in notice and "不得发布" in notice and "有错误的报表.xlsx" in notice
    assert [p.text for p in d.paragraphs[:2]] == ["", TITLE]
    # The report still shows the figures as returned.
    table3 = d.tables[2]
    assert [c.text for c in table3.rows[3].cells][3:] == ["5", "0", "0", "0", "0", "0", "5"]


UNITS = [
    ("370829001", "嘉祥县人民政府办公室", {"t3.new.natural": 6, "t3.carried.natural": 1, "t3.granted.natural": 6,
                                      "t3.next.natural": 1, "s1.proactive_total": 40,
                                      "cat.c1.name": "通知公告", "cat.c1.count": 40}),
    ("370829004", "嘉祥县公安局", {"t3.new.business": 2, "t3.granted.business": 2, "s1.proactive_total": 10,
                               "cat.c1.name": "工作动态", "cat.c1.count": 4,
                               "cat.c2.name": "通知公告", "cat.c2.count": 6,
                               "fee.notices": 1, "fee.notice_amount": 100, "fee.collected": 100}),
    ("370829014", "嘉祥县金融工作服务中心", {}),
]


@pytest.fixture
def county_summary(tmp_path, factory_2023):
    returns = tmp_path / "回收"
    returns.mkdir()
    base = {"unit.scope": "本级", "unit.contact": "张三", "unit.phone": "0537-1234567",
            "s5.text": "存在的主要问题：公开内容不够丰富。改进措施：加强培训。"}
    for code, name, values in UNITS:
        v = {**SEED["values"], **base, **values} if code == SEED["agency_code"] else {**base, **values}
        (returns / f"{code}_{name}.xlsx").write_bytes(factory_2023.build(name, code, v))
    summary = tmp_path / "嘉祥县2023年汇总表.xlsx"
    res = xlflow("merge", returns, "--year", 2023, "--out", summary, "--code", "370829", "--name", "嘉祥县", "-q")
    assert res.returncode == 0, res.stdout + res.stderr
    return summary


def test_county_draft_from_a_summary(county_summary, tmp_path):
    out = tmp_path / "县报告.md"
    res = xlflow("report", county_summary, "--out", out, "--name", "嘉祥县人民政府")
    assert res.returncode == 0, res.stderr
    assert "全县报告草稿" in res.stdout
    text = out.read_text(encoding="utf-8")
    assert text.startswith("> **草稿：") and "（3 个单位）" in text
    assert "# 嘉祥县人民政府2023年政府信息公开工作年度报告" in text
    assert "汇总全县各有关单位政府信息公开工作情况编制而成" in text
    # Per-unit breakdowns, 本年新收 and 上年结转 named separately, units with 0 left out.
    assert ("2023年，全县本年新收政府信息公开申请8件（嘉祥县人民政府办公室6件、嘉祥县公安局2件），"
            "上年结转政府信息公开申请1件（嘉祥县人民政府办公室1件）。") in text
    assert "全县共主动公开政府信息71条（嘉祥县人民政府办公室40条、嘉祥县公安局10条、嘉祥县金融工作服务中心21条）" in text
    assert "实际收取信息处理费100元（嘉祥县公安局100元）" in text
    # Categories of the same name add up across units.
    assert "| 通知公告 | 51 |" in text and "| 会议公开 | 5 |" in text
    # Narrative is left to the clerk, clearly marked; no agency's own narrative leaks in.
    assert "**【待撰写：（三）政府信息管理情况】**" in text
    assert "**【待撰写：五、存在的主要问题及改进情况】**" in text
    assert "嘉祥金融" not in text
    # Table 三 numbers are the summary's totals.
    assert '<td class="label" colspan="3">一、本年新收政府信息公开申请数量</td><td class="value">6</td><td class="value">2</td>' in text


def test_county_draft_docx_marks_the_places_to_write(county_summary, tmp_path):
    out = tmp_path / "县报告.docx"
    assert xlflow("report", county_summary, "--out", out).returncode == 0
    d = docx.Document(io.BytesIO(out.read_bytes()))
    assert "草稿" in d.tables[0].cell(0, 0).text
    marked = [p for p in d.paragraphs if p.text.startswith("【待撰写")]
    assert len(marked) >= 7
    assert all(r.font.highlight_color is not None for p in marked for r in p.runs)


def test_county_draft_names_the_units_the_summary_lacks(tmp_path, factory_2023):
    """Merged with the roster of 16 units from 3 returns: the draft says 13 are not included,
    names them on page 1 and counts them under every table."""
    returns = tmp_path / "回收"
    returns.mkdir()
    base = {"unit.scope": "本级", "unit.contact": "张三", "unit.phone": "0537-1234567",
            "s5.text": "存在的主要问题：公开内容不够丰富。改进措施：加强培训。"}
    for code, name, values in UNITS:
        (returns / f"{code}_{name}.xlsx").write_bytes(factory_2023.build(name, code, {**base, **values}))
    roster = Path(__file__).resolve().parents[1] / "xlflow" / "samples" / "jiaxiang_roster.csv"
    summary = tmp_path / "汇总.xlsx"
    res = xlflow("merge", returns, "--year", 2023, "--agencies", roster, "--out", summary, "-q")
    assert res.returncode == 1, res.stdout + res.stderr  # written, but incomplete
    out = tmp_path / "县报告.md"
    assert xlflow("report", summary, "--out", out).returncode == 0
    text = out.read_text(encoding="utf-8")
    first_page = text[: text.index("## 一、")]
    assert "本稿只汇总了名单内16个单位中3个单位的数据，另有13个单位未计入（未报送或未通过校验）：嘉祥县发展和改革局" in first_page
    assert text.count("注：本表为名单内16个单位中3个单位的合计，另有13个单位未计入：") == 3
