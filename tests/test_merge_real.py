"""Real published reports filled into one county's templates, merged, checked cell by cell.

Six transcribed reports (shared/reference/real_reports.json) become six agencies of a made-up
county, plus two agencies that never report. Two returns are broken the way real ones are:
沭阳 leaves its 法人 columns blank (as published), 平潭 2022 types "/" into 规章.
平潭 2021 gives 行政事业性收费 with 6 decimals (24252.311082 万元): over-precise but plausible, so it is
summed with a warning. The summary must hold exactly the sum of the valid ones, read straight
from the JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from tests.support.cli import xlflow
from tests.support.libreoffice import UnoSession, convert
from xlflow.merge.workbook import total_positions
from xlflow.summaryfile import read_summary
from xlflow.template import TemplateFactory
from xlflow.template.cells_xml import set_cells

REAL = Path("/work/shared/reference/real_reports.json")
if not REAL.is_file():
    REAL = Path(__file__).resolve().parents[2] / "shared" / "reference" / "real_reports.json"
YEAR = 2024


def real_values(form, report) -> dict:
    """Field values as a clerk would type the published tables (blank stays blank)."""
    v: dict = {}
    t2 = report["table2"]
    docs = t2["第二十条第（一）项"]
    for key, label in (("rules", "规章"), ("norms", "行政规范性文件")):
        for col, x in zip(("issued", "repealed", "in_force"), docs[label]):
            v[f"t2.{key}.{col}"] = x
    v["t2.licensing"] = t2["第二十条第（五）项"]["行政许可"]
    v["t2.penalty"], v["t2.coercion"] = t2["第二十条第（六）项"]["行政处罚"], t2["第二十条第（六）项"]["行政强制"]
    v["t2.fees"] = next(iter(t2["第二十条第（八）项"].values()))
    rows = report["table3"]["rows"]
    keys = list(form.spec.sets["t3_rows"])
    labels = list(rows)
    if len(labels) == 23:  # 洪泽: （六）其他处理 published as one row; typed into 3.其他
        labels = labels[:19] + [None, None] + labels[19:]
    for row_key, label in zip(keys, labels):
        cells = rows[label] if label else [0] * 7
        for col, x in zip(form.spec.sets["t3_applicants"], cells[:6]):
            v[f"t3.{row_key}.{col}"] = x  # None: blank as published
    t4 = report["table4"]
    for g, group in enumerate(form.spec.sets["t4_groups"]):
        for p, part in enumerate(form.spec.sets["t4_parts"]):
            v[f"t4.{group}.{part}"] = t4[g * 5 + p]
    v["s5.text"] = "存在的主要问题及改进情况（见原报告）。"
    v["unit.scope"], v["unit.contact"], v["unit.phone"] = "本级", "办公室", "0537-0000000"
    return v


def published(report) -> dict:
    """The published cells by field id, straight from the JSON (blank = 0)."""
    out = {}
    rows = list(report["table3"]["rows"].values())
    if len(rows) == 23:
        rows = rows[:19] + [[0] * 7, [0] * 7] + rows[19:]
    from xlflow.form import load_form

    form = load_form()
    for row_key, cells in zip(form.spec.sets["t3_rows"], rows):
        for col, x in zip(form.spec.sets["t3_cols"], cells):
            out[f"t3.{row_key}.{col}"] = x or 0
    for g, group in enumerate(form.spec.sets["t4_groups"]):
        for p, item in enumerate(form.spec.sets["t4_items"]):
            out[f"t4.{group}.{item}"] = report["table4"][g * 5 + p]
    t2 = report["table2"]
    for key, label in (("rules", "规章"), ("norms", "行政规范性文件")):
        for col, x in zip(("issued", "repealed", "in_force"), t2["第二十条第（一）项"][label]):
            out[f"t2.{key}.{col}"] = x
    out["t2.licensing"] = t2["第二十条第（五）项"]["行政许可"]
    out["t2.penalty"], out["t2.coercion"] = t2["第二十条第（六）项"]["行政处罚"], t2["第二十条第（六）项"]["行政强制"]
    out["t2.fees"] = next(iter(t2["第二十条第（八）项"].values()))
    return out


@pytest.fixture(scope="module")
def real_county(tmp_path_factory, form):
    root = tmp_path_factory.mktemp("real")
    reports = json.loads(REAL.read_text(encoding="utf-8"))
    factory = TemplateFactory(form, YEAR)
    returns = root / "回收"
    returns.mkdir()
    roster = ["单位代码,单位名称"]
    included = []
    for i, rep in enumerate(reports, 1):
        code, name = f"R{i:02d}", rep["agency"].split("（")[0] + f"{rep['year']}"
        roster.append(f"{code},{name}")
        values = real_values(form, rep)
        blanks = [fid for fid, x in values.items() if x is None]
        data = factory.build(name, code, {fid: (0 if x is None else x) for fid, x in values.items()})
        if blanks:  # the template writer caches totals from numbers: blank the cells afterwards
            data = set_cells(data, form, dict.fromkeys(blanks))
        if i == 5:  # 平潭 2022: "/" typed where 规章 is 0
            data = set_cells(data, form, {"t2.rules.issued": "/"})
        elif not blanks:  # 沭阳 (1): blank 法人 cells as published
            included.append((code, rep))
        (returns / f"{code}.xlsx").write_bytes(data)
    roster += ["R07,未报送单位甲", "R08,未报送单位乙"]
    (root / "名单.csv").write_text("\n".join(roster) + "\n", encoding="utf-8")
    out = root / "汇总.xlsx"
    args = ["merge", returns, "--year", YEAR, "--agencies", root / "名单.csv", "--out", out, "--code", "R", "--name", "某县"]
    res = xlflow(*args)
    return dict(root=root, out=out, res=res, included=included)


def test_real_reports_are_classified_and_summed_cell_by_cell(real_county, form):
    res = real_county["res"]
    assert res.returncode == 1, res.stdout + res.stderr
    summary = read_summary(real_county["out"], form)
    assert [r.code for r in summary.rows] == [code for code, _ in real_county["included"]]
    want: dict = {}
    for _, rep in real_county["included"]:
        for fid, x in published(rep).items():
            want[fid] = want.get(fid, 0) + x
    wb = openpyxl.load_workbook(real_county["out"], data_only=True)
    pos = total_positions(form)
    for fid, x in want.items():
        sheet, r, c = pos[fid]
        assert wb[sheet].cell(r + 1, c + 1).value == pytest.approx(x), fid
    assert want["t3.new.total"] == 3119 + 95 + 70 + 3511  # 淮安 2024, 洪泽 2024, 平潭 2021, 宿迁 2023


def test_real_broken_and_missing_are_reported(real_county):
    wb = openpyxl.load_workbook(real_county["out"])
    states = {r[0].value: r[2].value for r in wb["填报情况"].iter_rows(min_row=4)}
    assert states["R01"] == "未通过" and states["R04"] == "有警告" and states["R05"] == "未通过"
    rows = [(r[0].value, r[12].value, r[2].value) for r in wb["问题清单"].iter_rows(min_row=3)]
    problems = {(code, fid) for code, fid, sev in rows if sev == "错误"}
    assert ("R04", "t2.fees", "提示") in rows and ("R05", "t2.rules.issued") in problems
    assert ("R01", "t3.new.business") in problems
    assert states["R07"] == "未提交" and states["R08"] == "未提交"


@pytest.mark.libreoffice
def test_libreoffice_opens_and_recalculates_the_summary(real_county, form, tmp_path):
    pdf = convert([real_county["out"]], "pdf", tmp_path)[0]
    assert pdf.stat().st_size > 10_000 and pdf.read_bytes().startswith(b"%PDF")
    pos = total_positions(form)
    cells = {fid: pos[fid] for fid in ("t3.new.total", "t3.total.natural", "t2.fees", "t4.review.total")}
    refs = {fid: (sheet, openpyxl.utils.get_column_letter(c + 1) + str(r + 1)) for fid, (sheet, r, c) in cells.items()}
    cached = openpyxl.load_workbook(real_county["out"], data_only=True)
    wanted: dict[str, list[str]] = {}
    for sheet, ref in refs.values():
        wanted.setdefault(sheet, []).append(ref)
    with UnoSession() as lo:
        got = lo.recalc_read(real_county["out"], wanted)
    for fid, (sheet, ref) in refs.items():
        assert got[sheet][ref] == pytest.approx(cached[sheet][ref].value), fid  # the cached value is what LibreOffice computes
