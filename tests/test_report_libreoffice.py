"""The Word report opens and prints in LibreOffice: PDF without error, CJK fonts embedded, the
tables and the chart on the page, table 三 kept on one page; a page is rasterised to PNG so the
layout can be looked at (see the PNGs under the test's tmp_path)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from tests.support.libreoffice import convert, pdf_to_png
from tests.printing import is_a4, keep_pngs, page_sizes
from xlflow.report import Coverage, build_report, build_summary_report, render

SEED = yaml.safe_load((Path(__file__).resolve().parents[1] / "xlflow" / "samples"
                       / "seed_jiaxiang_finance_2023.yaml").read_text(encoding="utf-8"))


def _pages_text(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")


@pytest.fixture(scope="module")
def printed(form, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report-pdf")
    values = {**form.defaults(), **SEED["values"], "unit.name": SEED["agency_name"],
              "unit.code": SEED["agency_code"], "unit.year": SEED["year"]}
    values = form.compute_derived(values)
    agency = tmp / "agency.docx"
    agency.write_bytes(render(build_report(form, values), "docx"))
    unit = SimpleNamespace(code=SEED["agency_code"], name=SEED["agency_name"], values=values)
    county = tmp / "county.docx"
    coverage = Coverage(1, 3, 2, ("嘉祥县财政局", "嘉祥县教育和体育局"))  # 1 of 3 units reported
    county.write_bytes(render(build_summary_report(form, values, [unit], agency_name="嘉祥县人民政府",
                                                   notices=["草稿：请撰写标记处后再发布。"], coverage=coverage), "docx"))
    pdfs = convert([agency, county], "pdf", tmp)
    return tmp, pdfs


@pytest.mark.libreoffice
def test_agency_report_prints(printed):
    tmp, (pdf, _) = printed
    pages = _pages_text(pdf)
    squeeze = ["".join(p.split()) for p in pages]
    assert "嘉祥县金融工作服务中心2023年政府信息" in squeeze[0]
    assert "本报告所列数据的统计期限自2023年1月1日起至2023年12月31日止" in squeeze[0]
    # The chart is drawn with its labels and numbers.
    chart_page = next(p for p in squeeze if "公开情况" in p and "会议公开" in p)
    assert all(c in chart_page for c in ("规划计划", "建议提案", "通知公告", "其他信息"))
    # Table 三 (28 rows) is kept together on one page, heading included.
    t3 = [p for p in squeeze if "申请人情况" in p]
    assert len(t3) == 1 and "三、收到和处理政府信息公开申请情况" in t3[0] and "四、结转下年度继续办理" in t3[0]
    assert "3.危及“三安全一稳定”" in t3[0] and "（七）总计" in t3[0]
    assert any("未经复议直接起诉" in p and "复议后起诉" in p for p in squeeze)
    assert "（四）年度政务公开工作创新情况" in squeeze[-1] or "（四）年度政务公开工作创新情况" in squeeze[-2]
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts  # Chinese text is set in a CJK font, not boxes
    first = pdf_to_png(pdf, tmp / "page1-agency", first_page_only=True, dpi=60)
    assert first[0].stat().st_size > 20_000
    all_pages = pdf_to_png(pdf, tmp / "agency", first_page_only=False, dpi=60)
    assert len(all_pages) == len([p for p in pages if p.strip()])
    assert all(is_a4(s) for s in page_sizes(pdf))
    keep_pngs(pdf, "report-agency")


@pytest.mark.libreoffice
def test_county_draft_prints_with_its_notice(printed):
    tmp, (_, pdf) = printed
    squeeze = ["".join(p.split()) for p in _pages_text(pdf)]
    assert squeeze[0].index("草稿") < squeeze[0].index("嘉祥县人民政府2023年政府信息")
    assert any("【待撰写：（三）政府信息管理情况】" in p for p in squeeze)
    assert pdf_to_png(pdf, tmp / "page1-county", dpi=60)[0].is_file()
    # Page 1 says that 2 of the 3 units are not included, by name; so does every table.
    missing = "另有2个单位未计入（未报送或未通过校验）：嘉祥县财政局、嘉祥县教育和体育局"
    assert squeeze[0].count(missing) == 2  # in the notice box and in the preamble
    captions = sum(p.count("注：本表为名单内3个单位中1个单位的合计，另有2个单位未计入") for p in squeeze)
    assert captions == 3  # 表二 (its four blocks print as one table), 表三, 表四
    assert any("监督保障情况。须写明政务公开工作考核、社会评议和责任追究结果情况" in p for p in squeeze)
    assert "本报告电子版可在嘉祥县政府门户网站" in squeeze[0]  # the website/contact sentence is carried
    keep_pngs(pdf, "report-county")
