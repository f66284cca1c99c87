"""`xlflow template` and `xlflow forms` as a clerk runs them."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from tests.support.cli import xlflow

ROOT = Path(__file__).resolve().parents[1]
ROSTER = ROOT / "xlflow" / "samples" / "jiaxiang_roster.csv"
MINI = Path(__file__).parent / "forms" / "mini-2099.yaml"


def test_one_template_per_roster_agency(tmp_path):
    res = xlflow("template", "--year", 2024, "--agencies", ROSTER, "--out", tmp_path / "模板")
    assert res.returncode == 0, res.stderr
    files = sorted((tmp_path / "模板").iterdir())
    assert len(files) == 16
    assert files[13].name == "370829014_嘉祥县金融工作服务中心_2024年政府信息公开工作年度报告.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(files[13].read_bytes()))
    assert wb["基本信息"]["B3"].value == "嘉祥县金融工作服务中心" and wb["基本信息"]["B5"].value == 2024
    assert "已生成 16 份模板" in res.stdout and str((tmp_path / "模板").resolve()) in res.stdout
    assert not [p for p in (tmp_path / "模板").iterdir() if p.name.startswith(".xlflow-")]


def test_blank_and_single_agency_templates(tmp_path):
    assert xlflow("template", "--year", 2025, "--out", tmp_path).returncode == 0
    assert (tmp_path / "2025年政府信息公开工作年度报告_空白模板.xlsx").is_file()
    res = xlflow("template", "--year", 2025, "--out", tmp_path, "--code", "X9", "--name", "新设单位")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "X9_新设单位_2025年政府信息公开工作年度报告.xlsx").is_file()


def test_bad_roster_is_one_clear_line(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("code,name\nA1,甲\nA1,乙\n", encoding="utf-8")
    res = xlflow("template", "--year", 2024, "--agencies", roster, "--out", tmp_path / "o")
    assert res.returncode == 1
    assert "第3行" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o").exists()


def test_usage_errors_exit_2(tmp_path):
    res = xlflow("template", "--year", 24, "--out", tmp_path)
    assert res.returncode == 2 and "年度" in res.stderr
    res = xlflow("template", "--year", 2024, "--out", tmp_path, "--code", "X")
    assert res.returncode == 2 and "--name" in res.stderr
    res = xlflow("template", "--out", tmp_path)
    assert res.returncode == 2


def test_unknown_form_and_a_form_from_a_file(tmp_path):
    res = xlflow("template", "--year", 2024, "--out", tmp_path, "--form", "no-such-form")
    assert res.returncode == 1 and "找不到报表定义" in res.stderr and "gov-info-annual-2021" in res.stderr
    res = xlflow("template", "--year", 2099, "--out", tmp_path, "--form", MINI, "--code", "A", "--name", "甲")
    assert res.returncode == 0, res.stderr
    assert openpyxl.load_workbook(tmp_path / "A_甲_2099年迷你统计表.xlsx").sheetnames[:3] == ["说明", "封面", "水果"]


def test_forms_lists_builtin_and_env_forms(tmp_path):
    res = xlflow("forms")
    assert res.returncode == 0 and "gov-info-annual-2021" in res.stdout
    extra = tmp_path / "forms"
    extra.mkdir()
    (extra / "mini.yaml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    # The one run as a separate process: the console entry point and the variable through a real environment.
    env_run = subprocess.run(
        [sys.executable, "-m", "xlflow", "forms"], capture_output=True, text=True, env={**os.environ, "XLFLOW_FORMS_PATH": str(extra)}
    )
    assert "mini-2099" in env_run.stdout
    shown = xlflow("forms", "gov-info-annual-2021")
    assert "三、依申请公开" in shown.stdout and "版式指纹" in shown.stdout
