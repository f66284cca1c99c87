"""`xlflow demo`: the whole chain on bundled data, and what it shows."""

from __future__ import annotations


import openpyxl
import pytest

from tests.support.cli import xlflow
from xlflow.demo import run_demo
from xlflow.merge import INCLUDED
from xlflow.merge.workbook import total_positions
from xlflow.summaryfile import read_summary


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo"))


def test_demo_sums_exactly_the_good_returns(demo, form):
    c = demo.outcome.consolidation
    assert sorted(u.code for u in c.units) == sorted(demo.data.values)
    assert sorted(demo.data.values) == ["370829001", "370829002", "370829003", "370829005", "370829006",
                                        "370829007", "370829010", "370829014", "370829015"]
    wb = openpyxl.load_workbook(demo.summary, data_only=True)
    pos = total_positions(form)
    for fid in ("t3.new.natural", "t3.unable_no_info.natural", "t2.licensing", "t4.review.upheld", "t2.norms.issued"):
        want = sum(v.get(fid, 0) for v in demo.data.values.values())
        sheet, r, col = pos[fid]
        assert wb[sheet].cell(r + 1, col + 1).value == want, fid
    seed = next(u for u in c.units if u.code == "370829014")
    assert seed.values["s1.proactive_total"] == 21 and seed.values["s6.cppcc_proposals"] == 5


def test_demo_shows_each_mistake(demo):
    entries = {e.result.path.name: e for e in demo.outcome.consolidation.entries}
    notes = {d.path.name: d.note for d in demo.data.files}
    by_code = {}
    for name, e in entries.items():
        by_code.setdefault(e.code or name, []).append(e)
    for code in ("370829004", "370829009", "370829011", "370829012"):
        assert by_code[code][0].result.status == "invalid", notes
    old = [e for n, e in entries.items() if n.startswith("370829013")][0]
    assert old.result.status != "valid" and old.action != INCLUDED
    dup = sorted(by_code["370829002"], key=lambda e: e.result.path.name)
    assert [e.action for e in dup] == ["superseded", "included"]  # 初稿 superseded by 更正
    states = {r.code: r.state_text for r in demo.rows if r.code}
    assert states["370829008"] == "未提交" and states["370829016"] == "未提交"
    assert states["370829099"] == "名单外" and states["370829013"] == "未通过"
    assert read_summary(demo.summary, demo.outcome.consolidation.form).rows[3].values["s6.other"].startswith("=")


def test_demo_command_prints_where_the_summary_is(tmp_path, demo):
    res = xlflow("demo", "--out", tmp_path / "d")
    assert res.returncode == 0, res.stderr
    summary = next((tmp_path / "d" / "汇总").glob("*汇总表.xlsx"))
    assert f"汇总表：{summary.resolve()}" in res.stdout
    assert summary.read_bytes() == demo.summary.read_bytes()  # another run, another folder: the same bytes


def test_demo_ends_with_the_seed_report_and_the_county_draft(demo):
    import docx

    seed_report, county_draft = demo.reports
    assert seed_report.name == "嘉祥县金融工作服务中心2023年政府信息公开工作年度报告.docx"
    text = "\n".join(p.text for p in docx.Document(seed_report).paragraphs)
    assert "嘉祥县金融工作服务中心坚持“公开为常态，不公开为例外”的原则" in text  # the seed's own narrative
    doc = docx.Document(county_draft)
    boxes = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    draft = "\n".join(p.text for p in doc.paragraphs)
    assert "草稿" in boxes and "【待撰写】" in draft and "汇总全县各有关单位" in draft


def test_demo_values_are_what_the_generator_writes():
    from tests.support.demo_values import VALUES, values_yaml

    assert VALUES.read_text(encoding="utf-8") == values_yaml(), "run python -m tests.support.demo_values"


def test_demo_runs_through_a_two_year_workspace(demo):
    """The same collection in a workspace holding 2022 too: the carry-over check runs by itself
    and flags exactly the agency whose 2022 return carried one application more; the
    workspace's summary has the folder summary's totals."""
    from xlflow.workspace import Workspace

    w = demo.workspace
    assert w.years == [2022, 2023] and len(w.flagged) == 1
    with Workspace.open(w.root) as ws:
        assert ws.previous(2023).year == 2022 and ws.check().ok
        flagged = [s for s in ws.submissions(2023, w.flagged[0]) if s.current][0]
        assert {f.rule for f in ws.result(flagged.id).findings} == {"S1"}
        others = [s for s in ws.submissions(2023) if s.current and s.agency_code in demo.data.values and s.agency_code != w.flagged[0]]
        assert others and all("S1" not in {f.rule for f in ws.result(s.id).findings} for s in others)
    assert read_summary(w.summary, ws.form(2023)).totals == read_summary(demo.summary, ws.form(2023)).totals
