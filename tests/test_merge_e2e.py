"""`xlflow merge` end to end: generated templates, filled returns, the summary workbook.

Expected totals are computed here from the values put into the returns, never by the merge
code; the summary is read back with openpyxl (cached values) and with read_summary.
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.support.cli import xlflow
from tests.support.demo_values import synthetic_values
from xlflow.merge.workbook import total_positions
from xlflow.roster import Agency
from xlflow.summaryfile import read_summary
from xlflow.template import TemplateFactory, template_filename
from xlflow.template.cells_xml import set_cells
from xlflow.vocab import SHEET_TOTAL

YEAR = 2023
NARRATIVES = {"s5.text": "{name}存在的问题：公开不够及时。", "s1.proactive": "{name}全年主动公开{proactive}条。"}


def write_roster(path: Path, agencies) -> Path:
    path.write_text("单位代码,单位名称\n" + "".join(f"{a.code},{a.name}\n" for a in agencies), encoding="utf-8")
    return path


def make_values(form, agency, seed):
    return synthetic_values(form, agency, {"applications": 12, "licensing": 100, "penalty": 20, "fees": True},
                            random.Random(seed), NARRATIVES)


def expected_sums(form, value_sets):
    """Independent sums: input cells added up; totals re-added from their parts by hand."""
    out = {}
    for f in form.summable_fields:
        if f.is_input:
            out[f.id] = sum(v.get(f.id, 0) or 0 for v in value_sets)
    for col in form.spec.sets["t3_applicants"]:
        out[f"t3.total.{col}"] = sum(out[f"t3.{o}.{col}"] for o in form.spec.sets["t3_outcomes"])
    for row in form.spec.sets["t3_rows"]:
        out[f"t3.{row}.total"] = sum(out[f"t3.{row}.{c}"] for c in form.spec.sets["t3_applicants"])
    for g in form.spec.sets["t4_groups"]:
        out[f"t4.{g}.total"] = sum(out[f"t4.{g}.{p}"] for p in form.spec.sets["t4_parts"])
    return out


def total_sheet_values(form, path):
    wb = openpyxl.load_workbook(path, data_only=True)
    return {fid: wb[sheet].cell(r + 1, c + 1).value for fid, (sheet, r, c) in total_positions(form).items()}


@pytest.fixture(scope="module")
def county(tmp_path_factory, form):
    """Six agencies: four clean returns, one with a typed-over total, one missing."""
    root = tmp_path_factory.mktemp("county")
    agencies = [Agency(f"3708290{i:02d}", n, i) for i, n in enumerate(["县政府办公室", "县发改局", "县公安局", "县民政局", "县财政局", "县水务局"], 1)]
    factory = TemplateFactory(form, YEAR)
    returns = root / "回收"
    returns.mkdir()
    clean = {}
    for i, a in enumerate(agencies[:5]):
        v = make_values(form, a, i)
        if i == 3:
            v["s5.text"] = "=HYPERLINK(\"http://x\")"  # a clerk's text that looks like a formula
            v["s6.other"] = "+1"
        data = factory.build(a.name, a.code, v)
        if i == 4:
            data = set_cells(data, form, {"t3.new.total": 999})
        else:
            clean[a.code] = form.compute_derived(dict(v))
        (returns / template_filename(form, YEAR, a.code, a.name)).write_bytes(data)
    roster = write_roster(root / "名单.csv", agencies)
    out = root / "汇总" / "县汇总.xlsx"
    res = xlflow("merge", returns, "--year", YEAR, "--agencies", roster, "--out", out, "--code", "370829", "--name", "嘉祥县", "--csv", root / "csv")
    return dict(root=root, returns=returns, roster=roster, out=out, res=res, clean=clean, agencies=agencies, factory=factory)


def test_totals_equal_independent_sums(county, form):
    res = county["res"]
    assert res.returncode == 1, res.stdout + res.stderr  # written, but one invalid and one missing
    assert "汇总表已写入" in res.stdout and "县水务局" in res.stdout
    got = total_sheet_values(form, county["out"])
    want = expected_sums(form, county["clean"].values())
    for fid in total_positions(form):
        assert got[fid] == pytest.approx(want[fid]), fid
    assert want["t3.new.total"] > 0 and want["t2.licensing"] > 0  # the data is not all zeros


def test_total_sheet_keeps_the_forms_labels_and_formulas(county, form):
    wb = openpyxl.load_workbook(county["out"])
    pos = total_positions(form)
    sheet, r, c = pos["t3.new.natural"]
    assert sheet == "汇总（三、依申请公开）"  # the form's own sheet name, with the table's own layout
    ws = wb[sheet]
    labels = {lb.text for lb in form.sheet("t3").labels}
    assert ws.cell(r + 1, 1).value in labels and ws.cell(r + 1, 1).value.startswith("一、本年新收")
    assert [ws.column_dimensions[x].width for x in "ACD"] == [pytest.approx(w, abs=0.72) for w in (12, 40, 9)]
    formula = ws.cell(r + 1, c + 1).value
    assert formula.startswith("=SUM('明细'!") and formula.endswith(":" + formula.split(":")[-1])
    detail = wb["明细"]
    assert detail.freeze_panes == "C5" and detail.auto_filter.ref
    assert [detail.cell(5 + i, 1).value for i in range(4)] == [a.code for a in county["agencies"][:4]]


def test_rules_hold_on_the_totals(county, form):
    totals = read_summary(county["out"], form).totals
    for inst in form.rules:
        if inst.id.startswith("R"):
            assert inst.func(totals, {}), inst.key
    ws = openpyxl.load_workbook(county["out"], data_only=True)[SHEET_TOTAL]
    marks = [ws.cell(r, 5).value for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value or "").startswith("表三各列勾稽关系")]
    assert marks == ["相符"] * 7


def test_rerun_is_byte_identical(county, tmp_path):
    again = tmp_path / "again.xlsx"
    res = xlflow("merge", county["returns"], "--year", YEAR, "--agencies", county["roster"], "--out", again, "--code", "370829", "--name", "嘉祥县")
    assert res.returncode == 1
    assert again.read_bytes() == county["out"].read_bytes()


def test_text_starting_with_equals_stays_text(county, form):
    with zipfile.ZipFile(county["out"]) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        strings = z.read("xl/sharedStrings.xml").decode()
    formulas = re.findall(r"<f>(.*?)</f>", "".join(sheets))
    assert formulas and not any("HYPERLINK" in f for f in formulas)  # never a <f> formula
    # per-unit rows are streamed with inline strings (stream.py), the rest are shared strings
    assert '<t>=HYPERLINK("http://x")</t>' in "".join(sheets) + strings
    rows = list(csv.reader(io.StringIO((county["root"] / "csv").glob("*.csv").__next__().read_text(encoding="utf-8-sig"))))
    texts = {r[3]: r[7] for r in rows if r[0] == "370829004"}
    assert texts["s5.text"] == "'=HYPERLINK(\"http://x\")" and texts["s6.other"] == "'+1"
    assert read_summary(county["out"], form).rows[3].values["s5.text"] == '=HYPERLINK("http://x")'


def test_status_sheets_list_every_file_and_agency(county):
    wb = openpyxl.load_workbook(county["out"])
    rows = [[c.value for c in r] for r in wb["填报情况"].iter_rows(min_row=4)]
    states = {r[0]: r[2] for r in rows}
    assert states["370829005"] == "未通过" and states["370829006"] == "未提交" and states["370829001"] in ("已提交且通过", "有警告")
    findings = [[c.value for c in r] for r in wb["问题清单"].iter_rows(min_row=3)]
    assert any(r[0] == "370829005" and r[2] == "错误" and r[3] == "合计与明细不符" for r in findings)
    text = [c.value for c in wb["文字汇编"]["A"] if c.value]
    assert any(str(t).startswith("全县共收到政府信息公开申请") and "本年新收" in t and "上年结转" in t for t in text)
    assert "图表" in wb.sheetnames and wb["_xlflow"].sheet_state == "veryHidden"


def test_out_may_not_be_an_input(county, tmp_path):
    victim = next(county["returns"].iterdir())
    before = victim.read_bytes()
    res = xlflow("merge", victim, "--out", victim)
    assert res.returncode == 2 and "输入文件" in res.stderr
    assert victim.read_bytes() == before
    assert xlflow("merge", tmp_path / "nope", "--out", tmp_path / "x.xlsx").returncode == 2


def test_all_valid_gives_exit_zero(form, tmp_path):
    agencies = [Agency("A1", "甲局", 2), Agency("A2", "乙局", 3)]
    factory = TemplateFactory(form, YEAR)
    for i, a in enumerate(agencies):
        (tmp_path / f"{a.code}.xlsx").write_bytes(factory.build(a.name, a.code, make_values(form, a, 10 + i)))
    res = xlflow("merge", tmp_path, "--year", YEAR, "--agencies", write_roster(tmp_path / "r.csv", agencies), "--out", tmp_path / "out" / "s.xlsx")
    assert res.returncode == 0, res.stdout + res.stderr
    # Re-running into the folder it reads: the earlier summary is skipped, not read as a return.
    inside = tmp_path / "s.xlsx"
    inside.write_bytes((tmp_path / "out" / "s.xlsx").read_bytes())
    res = xlflow("merge", tmp_path, "--year", YEAR, "--agencies", tmp_path / "r.csv", "--out", inside)
    assert res.returncode == 0 and "跳过" in res.stdout, res.stdout + res.stderr


def test_city_merge_does_not_count_a_unit_twice(form, tmp_path):
    factory = TemplateFactory(form, YEAR)
    counties = {"C1": [Agency("C1-01", "甲县公安局", 2), Agency("C1-02", "甲县民政局", 3)], "C2": [Agency("C2-01", "乙县公安局", 2)]}
    values = {}
    summaries = []
    for county_code, agencies in counties.items():
        folder = tmp_path / county_code
        folder.mkdir()
        for a in agencies:
            values[a.code] = make_values(form, a, a.code)
            (folder / f"{a.code}.xlsx").write_bytes(factory.build(a.name, a.code, values[a.code]))
        out = tmp_path / "县汇总" / f"{county_code}.xlsx"
        res = xlflow("merge", folder, "--year", YEAR, "--out", out, "--code", county_code, "--name", county_code + "县")
        assert res.returncode == 0, res.stdout + res.stderr
        summaries.append(out)
    # The city receives both county summaries, and 甲县公安局's own return as well.
    city_in = tmp_path / "市收到"
    city_in.mkdir()
    for s in summaries:
        (city_in / s.name).write_bytes(s.read_bytes())
    (city_in / "C1-01.xlsx").write_bytes((tmp_path / "C1" / "C1-01.xlsx").read_bytes())
    city = tmp_path / "市汇总.xlsx"
    res = xlflow("merge", city_in, "--year", YEAR, "--out", city, "--code", "P", "--name", "某市")
    assert "C1-01.xlsx" in res.stdout and "不重复计算" in res.stdout, res.stdout + res.stderr
    got = total_sheet_values(form, city)
    want = expected_sums(form, [form.compute_derived(dict(v)) for v in values.values()])
    for fid in total_positions(form):
        assert got[fid] == pytest.approx(want[fid]), fid
    rows = read_summary(city, form).rows
    assert [(r.code, r.scope, r.members) for r in rows] == [("C1", "汇总", ["C1-01", "C1-02"]), ("C2", "汇总", ["C2-01"])]


def test_jobs_give_the_same_summary(tmp_path, form):
    from benchmarks.make_returns import write_returns, write_roster
    from xlflow.merge.run import merge_paths
    from xlflow.roster import load_roster

    folder = tmp_path / "returns"
    write_returns(folder, 120, form=form, year=2024)  # 100+ files: the process pool is used
    roster = load_roster(write_roster(tmp_path / "roster.csv", 120))
    one, two = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    a = merge_paths([folder], form, one, year=2024, roster=roster)
    b = merge_paths([folder], form, two, year=2024, roster=roster, jobs=2)
    assert len(a.consolidation.units) == len(b.consolidation.units) == 120
    assert one.read_bytes() == two.read_bytes()
