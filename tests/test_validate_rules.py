"""Rules from the definition, derived cells, identity checks, previous year, summaries."""

from pathlib import Path

import pytest

from tests.returned import (CODE, FORM, NAME, ROSTER_CSV, build, clean_values, parts, pack, set_cell,
                            write)
from xlflow.form import load_form
from xlflow.merge import build_summary, consolidate
from xlflow.results import FileResult
from xlflow.roster import Agency, load_roster
from xlflow.template import TemplateFactory
from xlflow.validate import load_previous, validate_file, validate_paths


def run(tmp_path, data, name="return.xlsx", **kw):
    return validate_file(write(tmp_path, data, name), FORM, **kw)


def rules(r):
    return [(f.rule, f.sheet, f.cell) for f in r.findings]


T3, T4, S6 = FORM.sheet("t3").name, FORM.sheet("t4").name, FORM.sheet("s6").name


def test_r1_per_column_reported_at_its_anchor_with_both_sides(tmp_path):
    r = run(tmp_path, build(clean_values(**{"t3.next.business": 0})))
    assert r.status == "invalid"
    f, total = r.findings  # the 总计 column inherits the imbalance
    assert (total.rule, total.cell) == ("R1", "J30")
    assert (f.rule, f.severity, f.sheet, f.cell, f.field) == ("R1", "error", T3, "E30", "t3.next.business")
    assert (f.actual, f.expected) == (2, 1) and "商业企业" in f.message and "2" in f.message
    assert f.row_label == "四、结转下年度继续办理" and f.col_label.endswith("商业企业")


def test_r1_total_column_breaks_too_when_a_column_does(tmp_path):
    r = run(tmp_path, build(clean_values(**{"t3.new.natural": 6})))
    assert [x[0] for x in rules(r)] == ["R1", "R1"] and [x[2] for x in rules(r)] == ["D30", "J30"]


def test_total_typed_over_with_a_number_r4(tmp_path):
    """The real 洪泽区 2023 mistake: table 四 total 0 while the parts are not."""
    r = run(tmp_path, set_cell(build(), "t4.review.total", 0))
    (f,) = r.findings
    assert (f.rule, f.sheet, f.cell, f.expected, f.actual) == ("R4", T4, "E6", 1, 0)
    assert "公式被改掉了" in f.message and r.values["t4.review.total"] == 1


def test_column_total_typed_over_r2_and_row_total_r3(tmp_path):
    data = set_cell(set_cell(build(), "t3.total.natural", 9), "t3.new.total", 3)
    r = run(tmp_path, data)
    assert sorted(rules(r)) == [("R2", T3, "D29"), ("R3", T3, "J6")]


def test_not_recalculated_formula_names_the_application(tmp_path):
    p = parts(set_cell(build(), "t4.direct.total", 0, keep_formula=True))
    p["docProps/app.xml"] = p["docProps/app.xml"].replace(b"<Application>Microsoft Excel</Application>", b"<Application>SomeTool</Application>")
    r = run(tmp_path, pack(p))
    (f,) = r.findings
    assert (f.rule, f.cell) == ("R4", "J6") and "没有重新计算" in f.message and "SomeTool" in f.message


def test_s4_fee_notices(tmp_path):
    r = run(tmp_path, build(clean_values(**{"t3.unable_no_info.natural": 0, "t3.other_fee_unpaid.natural": 1})))
    assert r.status == "valid"  # warnings only
    (f,) = r.findings
    assert (f.rule, f.severity, f.sheet, f.field) == ("S4", "warning", S6, "fee.notices")
    assert "共1件" in f.message and "只有0件" in f.message


def test_s4a_s4b_fee_amounts(tmp_path):
    r = run(tmp_path, build(clean_values(**{"fee.collected": 100})))
    assert {f.rule for f in r.findings} == {"S4a", "S4b"}
    assert any("100" in f.message for f in r.findings)


@pytest.mark.parametrize("text", ["无", " 无。 ", "/"])
def test_s7_section_five_placeholder(tmp_path, text):
    r = run(tmp_path, build(clean_values(**{"s5.text": text})))
    assert [(f.rule, f.severity) for f in r.findings] == [("S7", "warning")]


def test_category_breakdown_must_add_up(tmp_path):
    r = run(tmp_path, build(clean_values(**{"cat.c2.count": 3})))
    (f,) = r.findings
    assert (f.rule, f.field, f.actual, f.expected) == ("X1", "s1.proactive_total", 19, 21)


def test_invalid_input_skips_its_rules_no_flood(tmp_path):
    # "/" in 自然人 new: one value finding; R1[natural], R1[total] and the totals are not run.
    r = run(tmp_path, set_cell(build(clean_values(**{"t3.next.business": 0})), "t3.new.natural", "/"))
    assert sorted(x[2] for x in rules(r) if x[0] == "R1") == ["E30"]  # not D30, not J30
    assert [x[0] for x in rules(r)].count("value-placeholder") == 1
    assert r.values["t3.new.total"] is None


# -- identity ------------------------------------------------------------------------------------

def test_wrong_year_is_one_finding(tmp_path):
    r = run(tmp_path, build(year=2023), year=2024)
    assert r.status == "invalid" and [(f.rule, f.expected, f.actual) for f in r.findings] == [("wrong-year", 2024, 2023)]


def test_roster_unknown_agency_and_name_mismatch(tmp_path):
    roster = load_roster(ROSTER_CSV)
    r = run(tmp_path, build(code="999999", name="不存在的局"), roster=roster)
    assert [f.rule for f in r.findings] == ["unknown-agency"] and "999999" in r.findings[0].message
    a = roster[1]
    r = run(tmp_path, build(code=a.code, name=a.name + "（旧名）"), roster=roster)
    assert [f.rule for f in r.findings] == ["agency-name-mismatch"] and r.status == "valid"
    r = run(tmp_path, build(code=a.code, name=a.name), roster=roster, year=2024)
    assert r.findings == [] and r.agency_code == a.code


def test_each_roster_is_used_as_given(tmp_path):
    """The roster index is built once per run; another roster, or one that grew, is re-read."""
    roster = load_roster(ROSTER_CSV)
    path = write(tmp_path, build(code="999999", name="新设的局"))
    assert [f.rule for f in validate_file(path, FORM, roster=roster).findings] == ["unknown-agency"]
    assert validate_file(path, FORM, roster=[*roster, Agency("999999", "新设的局", 99)]).findings == []
    roster.append(Agency("999999", "新设的局", 99))
    assert validate_file(path, FORM, roster=roster).findings == []
    assert [f.rule for f in validate_file(path, FORM, roster=roster[:-1]).findings] == ["unknown-agency"]


def test_wrong_form_is_unreadable(tmp_path):
    p = parts(build())
    p["docProps/custom.xml"] = p["docProps/custom.xml"].replace(b"gov-info-annual-2021", b"some-other-form")
    r = run(tmp_path, pack(p))
    assert r.status == "unreadable" and [f.rule for f in r.findings] == ["wrong-form"]


def test_outdated_template_is_noted(tmp_path):
    p = parts(build())
    p["docProps/custom.xml"] = p["docProps/custom.xml"].replace(FORM.fingerprint.encode(), b"0000000000000000").replace(b">2021.1<", b">2021.0<")
    r = run(tmp_path, pack(p))
    assert r.status == "valid" and [(f.rule, f.actual) for f in r.findings] == [("template-outdated", "2021.0")]


def test_stamped_cell_edited(tmp_path):
    r = run(tmp_path, set_cell(build(), "unit.name", "别的单位"))
    assert [(f.rule, f.cell, f.expected, f.actual) for f in r.findings] == [("identity-conflict", "B3", NAME, "别的单位")]
    assert r.agency_name == NAME  # identity comes from the metadata, not the editable cell


# -- previous year -----------------------------------------------------------------------------

def test_previous_year_s1_and_s2(tmp_path):
    last = tmp_path / "2023"
    last.mkdir()
    write(last, build(clean_values(**{"t3.next.natural": 2, "t3.granted.natural": 3, "t2.norms.in_force": 10}), year=2023), "a.xlsx")
    prev = load_previous([last], FORM)
    assert prev.for_agency(CODE)["t3.next.natural"] == 2 and prev.for_agency("nobody") is None
    r = run(tmp_path, build(), previous=prev)
    got = sorted((f.rule, f.cell, f.actual, f.expected) for f in r.findings)
    # carried 1 vs last year's next 2 (natural) and 0 vs 0 elsewhere; in force 12 vs 10 + 3 - 1
    # last year carried 2 (自然人), 1 (商业企业), 3 in total into this year; this year says 1, 0, 1
    assert got == [("S1", "D7", 1, 2), ("S1", "E7", 0, 1), ("S1", "J7", 1, 3)]
    assert all(f.severity == "warning" for f in r.findings)
    assert not any(f.rule == "S2" for f in r.findings)  # 10 + 3 - 1 == 12 holds
    assert r.status == "valid"
    r = run(tmp_path, build())
    assert r.findings == []  # without --previous the cross-year rules are not run


# -- summaries as input ------------------------------------------------------------------------

def _county_summary(tmp_path, rows):
    """A real summary workbook (as xlflow merge writes it) of units with these values."""
    results = []
    for code, name, scope, members, changes in rows:
        v = {**FORM.defaults(), "unit.scope": scope, **changes}
        path = tmp_path / f"{code}.xlsx"
        path.write_bytes(b"x")
        results.append(FileResult(path, "valid", [], code, name, 2024, scope, members, FORM.compute_derived(v), "", "",
                                  kind="summary" if members else "return"))
    c = consolidate(results, FORM, year=2024, code="370829", name="嘉祥县")
    return write(tmp_path, build_summary(c), "summary.xlsx")


def test_summary_input_is_read_as_its_totals(tmp_path):
    rows = [
        ("A", "甲", "本级", [], {"t3.new.natural": 2, "t3.granted.natural": 2}),
        ("B", "乙", "汇总", ["B1", "B2"], {"t3.new.natural": 1, "t3.next.natural": 1}),
    ]
    r = validate_file(_county_summary(tmp_path, rows), FORM, year=2024)
    assert (r.status, r.kind, r.scope, r.members, r.agency_code) == ("valid", "summary", "汇总", ["A", "B", "B1", "B2"], "370829")
    assert r.values["t3.new.total"] == 3 and r.values["t3.total.natural"] == 2
    r = validate_file(r.path, FORM, year=2023)
    assert [f.rule for f in r.findings] == ["wrong-year"] and r.status == "invalid"


def test_summary_input_runs_the_rules_on_its_totals(tmp_path):
    # Each unit balances its own table 三 column, the sum does not: R1 on the totals.
    rows = [("A", "甲", "本级", [], {"t3.new.natural": 5, "t3.granted.natural": 2})]
    r = validate_file(_county_summary(tmp_path, rows), FORM, year=2024)
    assert {f.rule for f in r.findings} == {"R1"} and r.status == "invalid"


def test_broken_summary_table_is_a_clear_finding(tmp_path):
    p = parts(build())
    p["docProps/custom.xml"] = p["docProps/custom.xml"].replace(
        b"</Properties>",
        b'<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="20" name="xlflow_kind"><vt:lpwstr>summary</vt:lpwstr></property></Properties>',
    )
    r = validate_file(write(tmp_path, pack(p), "summary.xlsx"), FORM)
    assert r.status == "unreadable" and [f.rule for f in r.findings] == ["file-corrupt"]
    assert "汇总表无法读取" in r.findings[0].message and "summary.xlsx" in r.findings[0].message


# -- the engine is generic ---------------------------------------------------------------------

def test_second_form_validates_from_its_definition_alone(tmp_path):
    mini = load_form(Path(__file__).parent / "forms" / "mini-2099.yaml")
    fac = TemplateFactory(mini, 2099)
    good = {"org.scope": "单位", "fruit.apples.first": 3, "fruit.pears.first": 1, "fruit.income": 12.5}
    r = validate_file(write(tmp_path, fac.build("某单位", "A1", good), "m.xlsx"), mini, year=2099)
    assert (r.status, r.findings, r.values["fruit.apples.all"]) == ("valid", [], 3)
    bad = {**good, "fruit.pears.first": 4}
    r = validate_file(write(tmp_path, fac.build("某单位", "A1", bad), "m.xlsx"), mini)
    assert [(f.rule, f.cell) for f in r.findings] == [("M1", "B4"), ("M1", "D4")]


def test_validate_paths_streams_and_skips_lock_files(tmp_path):
    write(tmp_path, build(), "a.xlsx")
    write(tmp_path, b"lock", "~$a.xlsx")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", set_cell(build(), "t2.penalty", "/"), "b.xlsx")
    results = validate_paths([tmp_path], FORM)
    assert not isinstance(results, list)
    assert [(r.path.name, r.status) for r in results] == [("a.xlsx", "valid"), ("b.xlsx", "invalid")]
