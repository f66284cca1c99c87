"""One year per summary, a summary among returns named as one, last year's data that must be read.

A 2022 return was counted into a summary titled 2023 when ``--year`` was left out; the county's
own summary lying among the returns was listed as a return from an agency called 嘉祥县; a
``--previous`` file that could not be read was silently skipped.
"""

from __future__ import annotations

import openpyxl
import pytest

from tests.returned import build, clean_values, write
from tests.support.cli import xlflow
from xlflow.demo import build_demo_data
from xlflow.errors import UsageError
from xlflow.merge import consolidate
from xlflow.summaryfile import read_summary
from xlflow.validate import load_previous, validate_file
from xlflow.vocab import SHEET_STATUS


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo_data(tmp_path_factory.mktemp("demo"))


def test_merge_without_year_refuses_files_of_two_years(demo, tmp_path):
    out = tmp_path / "汇总.xlsx"
    res = xlflow("merge", demo.returns, "--agencies", demo.roster, "--out", out)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "不同年度" in res.stderr and "2023年 " in res.stderr and "2022年 1 份" in res.stderr and "--year" in res.stderr
    assert not out.exists()


def test_status_without_year_refuses_files_of_two_years(demo):
    res = xlflow("status", demo.returns, "--agencies", demo.roster)
    assert res.returncode == 2 and "不同年度" in res.stderr and "--year" in res.stderr


def test_with_the_year_another_years_return_is_never_summed(demo, tmp_path, form):
    out = tmp_path / "汇总.xlsx"
    res = xlflow("merge", demo.returns, "--agencies", demo.roster, "--year", 2023, "--out", out, "-q")
    assert res.returncode == 1, res.stdout + res.stderr
    summary = read_summary(out, form)
    assert "370829012" not in [r.code for r in summary.rows]  # its file is the 2022 template
    rows = {r[0].value: r[2].value for r in openpyxl.load_workbook(out)[SHEET_STATUS].iter_rows(min_row=4)}
    assert rows["370829012"] == "未通过"


def test_consolidate_checks_the_year_of_results_validated_without_one(demo, form):
    files = sorted(demo.returns.iterdir())
    results = [validate_file(p, form) for p in files]  # as a workspace checks files on arrival
    with pytest.raises(UsageError, match="不同年度"):
        consolidate(results, form)
    c = consolidate(results, form, year=2023)
    wrong = next(e for e in c.entries if e.code == "370829012")
    assert wrong.result.status == "invalid" and [f.rule for f in wrong.result.findings][-1] == "wrong-year"
    assert "370829012" not in {u.code for u in c.units}


def test_own_summary_among_returns_is_listed_as_a_summary(demo, tmp_path, form):
    first = tmp_path / "第一次汇总.xlsx"
    xlflow("merge", demo.returns, "--agencies", demo.roster, "--year", 2023, "--out", first, "-q",
           "--code", "370829", "--name", "嘉祥县")
    inbox = tmp_path / "回收"
    inbox.mkdir()
    for p in demo.returns.iterdir():
        (inbox / p.name).write_bytes(p.read_bytes())
    (inbox / "嘉祥县汇总（旧）.xlsx").write_bytes(first.read_bytes())
    res = xlflow("status", inbox, "--agencies", demo.roster, "--year", 2023)
    line = next(x for x in res.stdout.splitlines() if x.startswith("370829 "))
    assert "汇总表" in line and "名单外" not in line and "嘉祥县" in line
    assert "汇总表 1" in res.stdout and "名单外 1" in res.stdout  # 370829099 is still the only outsider
    again = tmp_path / "第二次汇总.xlsx"
    res = xlflow("merge", inbox, "--agencies", demo.roster, "--year", 2023, "--out", again, "-q", "--code", "370829", "--name", "嘉祥县")
    assert "本单位的汇总表" in res.stdout
    # The old summary is not an input: the new totals are the returns', as without it.
    assert read_summary(again, form).totals == read_summary(first, form).totals
    assert [r.code for r in read_summary(again, form).rows] == [r.code for r in read_summary(first, form).rows]


def test_unreadable_previous_is_a_clear_error(tmp_path, form):
    last = tmp_path / "上年"
    last.mkdir()
    write(last, build(clean_values(), year=2023), "good.xlsx")
    write(last, b"%PDF-1.4 not a workbook", "扫描件.xlsx")
    with pytest.raises(UsageError, match="扫描件.xlsx"):
        load_previous([last], form)
    empty = tmp_path / "空"
    empty.mkdir()
    with pytest.raises(UsageError, match="没有找到上一年度"):
        load_previous([empty], form)
    res = xlflow("validate", write(tmp_path, build()), "--previous", last)
    assert res.returncode == 2 and "扫描件.xlsx" in res.stderr and "上一年度" in res.stderr
