"""`xlflow status`: the roster's states and the 催报 list."""

from __future__ import annotations

import csv

import openpyxl

from tests.support.cli import xlflow
from xlflow.demo import build_demo_data


def test_status_lists_every_state_and_exports_the_chase_list(tmp_path):
    data = build_demo_data(tmp_path / "demo")
    xlsx, csv_path = tmp_path / "催报.xlsx", tmp_path / "催报.csv"
    res = xlflow("status", data.returns, "--agencies", data.roster, "--year", 2023, "--xlsx", xlsx, "--csv", csv_path)
    assert res.returncode == 1, res.stderr
    lines = {line.split()[0]: line for line in res.stdout.splitlines() if line[:1].isdigit()}
    assert "已提交且通过" in lines["370829001"] and "未提交" in lines["370829008"]
    assert "未通过" in lines["370829004"] and "名单外" in lines["370829099"]
    # the return whose narrative starts with "=" is accepted with a warning (value-leading-equals)
    assert "合计：已提交且通过 8，有警告 1，未通过 5，未提交 2，名单外 1" in res.stdout
    rows = list(csv.reader(csv_path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:4] == ["序号", "单位代码", "单位名称", "状态"]
    chased = {r[1]: r[3] for r in rows[1:]}
    assert chased == {"370829004": "未通过", "370829008": "未提交", "370829009": "未通过", "370829011": "未通过",
                      "370829012": "未通过", "370829013": "未通过", "370829016": "未提交"}
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["催报名单", "全部单位"]
    listed = [r[1].value for r in wb["催报名单"].iter_rows(min_row=5) if str(r[0].value or "").isdigit()]
    assert listed == list(chased)


def test_status_all_reported_is_exit_zero(tmp_path, form, factory):
    (tmp_path / "r.csv").write_text("code,name\nA1,甲局\n", encoding="utf-8")
    values = {"unit.contact": "张三", "unit.phone": "1", "s5.text": "问题与改进。"}
    (tmp_path / "a.xlsx").write_bytes(factory.build("甲局", "A1", values))
    res = xlflow("status", tmp_path, "--agencies", tmp_path / "r.csv", "--year", 2024)
    assert res.returncode == 0, res.stdout + res.stderr
    assert xlflow("status", tmp_path, "--agencies", tmp_path / "r.csv", "--csv", tmp_path / "a.xlsx").returncode == 2
