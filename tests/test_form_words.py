"""Words a form chooses are the form's: the mini form (scopes 单位/合计, value rule M5, its own
basis, superseded format and sheet names) goes through template, validation, merge and the
city level, and nothing of the 2021 form shows up in what it produces."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import openpyxl
import pytest

from tests.support.cli import xlflow
from xlflow.merge.run import merge_paths
from xlflow.summaryfile import read_summary
from xlflow.template import TemplateFactory
from xlflow.validate import validate_file

# Words only the 2021 form may bring: its scope values, value rule, sheet names, basis.
WORDS_2021 = ("本级", "R5", "基本信息", "〔2021〕", "30号", "2019", "主动公开", "表三")
YEAR = 2099


def _texts(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))


@pytest.fixture(scope="module")
def mini_county(tmp_path_factory, mini_form):
    root = tmp_path_factory.mktemp("mini")
    factory = TemplateFactory(mini_form, YEAR)
    inbox = root / "回收"
    inbox.mkdir()
    for i, code in enumerate(("M1", "M2"), 1):
        values = {"org.scope": "单位", "fruit.apples.first": 3 * i, "fruit.pears.first": i, "fruit.income": 1.5}
        (inbox / f"{code}.xlsx").write_bytes(factory.build(f"果园{i}", code, values))
    (inbox / "bad.xlsx").write_bytes(factory.build("果园3", "M3", {"fruit.apples.first": "/"}))
    out = root / "合计" / "Z.xlsx"
    outcome = merge_paths([inbox], mini_form, out, year=YEAR, code="Z", name="某县", csv_dir=root / "csv")
    return dict(root=root, inbox=inbox, out=out, outcome=outcome)


def test_the_template_speaks_the_forms_words(mini_form):
    data = TemplateFactory(mini_form, YEAR).build("某单位", "X1")
    text = _texts(data)
    assert "在“封面”工作表显示结果" in text and "单位,合计" in text
    assert not [w for w in WORDS_2021 if w in text]


def test_validation_findings_use_the_forms_value_rule(mini_county, mini_form, tmp_path):
    res = xlflow("validate", mini_county["inbox"], "--form", mini_form.source, "--json", tmp_path / "r.json")
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    bad = next(f for f in doc["files"] if f["path"].endswith("bad.xlsx"))
    assert [(x["rule"], x["basis"]) for x in bad["findings"]] == [("value-placeholder", "M5")]
    assert res.returncode == 1 and not [w for w in WORDS_2021 if w in res.stdout]


def test_an_old_layout_is_named_in_the_forms_words(mini_form, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["旧栏目甲", 1])
    path = tmp_path / "old.xlsx"
    wb.save(path)
    (f,) = validate_file(path, mini_form).findings
    assert f.rule == "old-2019-layout" and "2098年草案" in f.message and "测试用表式第99号" in f.message
    assert "2019" not in f.message and "2021" not in f.message


def test_the_summary_and_the_next_level_use_the_forms_scope(mini_county, mini_form, tmp_path):
    c = mini_county["outcome"].consolidation
    assert [u.code for u in c.units] == ["M1", "M2"] and c.totals["fruit.apples.all"] == 9
    rows = list(csv.reader(next((mini_county["root"] / "csv").glob("*.csv")).read_text(encoding="utf-8-sig").splitlines()))
    assert {r[2] for r in rows[1:]} == {"单位", "合计"}  # units, then the totals under the summary scope
    checked = validate_file(mini_county["out"], mini_form, year=YEAR)
    assert (checked.status, checked.kind, checked.scope, checked.members) == ("valid", "summary", "合计", ["M1", "M2"])
    city = merge_paths([mini_county["out"]], mini_form, tmp_path / "市.xlsx", year=YEAR, code="P", name="某市")
    (row,) = read_summary(tmp_path / "市.xlsx", mini_form).rows
    assert (row.code, row.scope, row.members) == ("Z", "合计", ["M1", "M2"])
    assert city.consolidation.totals == c.totals
    assert not [w for w in WORDS_2021 if w in _texts((tmp_path / "市.xlsx").read_bytes())]
