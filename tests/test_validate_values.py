"""The value policy, one fixture per value finding: each cell mistake is reported at its cell."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MINI_FORM
from tests.returned import (
    FORM,
    add_external_link,
    build,
    clean_values,
    set_cell,
    with_openpyxl,
    write,
)
from xlflow.form import load_form
from xlflow.validate import validate_file
from xlflow.validate.policy import check, checker


def run(tmp_path, data):
    return validate_file(write(tmp_path, data), FORM)


# Fields outside every derived total, so a changed cell cannot also disturb a cached total.
@pytest.mark.parametrize(
    "typed, number",
    [("120", 120), ("１２０", 120), (" 120 ", 120), ("\u3000120\u3000", 120), ("1,234", 1234), ("１，２３４", 1234), ("+120", 120)],
)
def test_text_numbers_are_accepted_normalised_and_noted(tmp_path, typed, number):
    r = run(tmp_path, set_cell(build(), "t2.licensing", typed))
    assert r.status == "valid"
    (f,) = r.findings
    assert (f.rule, f.severity, f.cell, f.field, f.expected, f.actual) == ("value-normalised", "info", "B9", "t2.licensing", number, typed)
    assert r.values["t2.licensing"] == number and isinstance(r.values["t2.licensing"], int)


def test_text_number_inside_a_total_matches_what_excel_shows(tmp_path):
    """Excel's SUM skips text, so the cached total counts a text number as 0: not a finding."""
    data = set_cell(build(clean_values(**{"t3.new.business": 0})), "t3.new.business", "2")
    r = run(tmp_path, data)
    assert [f.rule for f in r.findings] == ["value-normalised"] and r.values["t3.new.total"] == 7


@pytest.mark.parametrize(
    "fid, typed, rule, hint",
    [
        ("t3.new.natural", "/", "value-placeholder", "数字0"),
        ("t3.new.natural", "—", "value-placeholder", "数字0"),
        ("t3.carried.natural", "无", "value-placeholder", "数字0"),
        ("t3.new.natural", None, "value-blank", "请填0"),
        ("t3.new.natural", "  ", "value-blank", "请填0"),
        ("t3.new.natural", -1, "value-negative", "不小于0"),
        ("t3.new.natural", 2.5, "value-not-integer", "整数"),
        ("t3.new.natural", "约5件", "value-not-number", "不小于0的整数"),
    ],
)
def test_bad_values_are_errors_quoting_the_value(tmp_path, fid, typed, rule, hint):
    r = run(tmp_path, set_cell(build(), fid, typed))
    f = FORM.fields[fid]
    assert r.status == "invalid"
    # one mistake, one finding: rules that read the cell are skipped, not failed
    assert [(x.rule, x.sheet, x.cell, x.field) for x in r.findings] == [(rule, f.sheet, f.cell, fid)]
    finding = r.findings[0]
    assert hint in finding.message
    if isinstance(typed, str) and typed.strip():
        assert typed.strip() in finding.message
    assert finding.row_label and (finding.col_label or f.type.spec.kind != "integer" or fid.startswith("t2"))


@pytest.mark.parametrize(
    "fid, typed, hint",
    [("t2.fees", 5949.088667, "至多保留4位小数"), ("fee.notice_amount", 12.345, "至多保留2位小数")],
)
def test_over_precise_amounts_are_kept_with_a_warning(tmp_path, fid, typed, hint):
    # real reports publish 万元 with 6 decimals: plausible numbers, summed, but flagged to check the unit
    r = run(tmp_path, set_cell(build(), fid, typed))
    f = FORM.fields[fid]
    assert r.status == "valid" and r.values[fid] == typed
    assert [(x.rule, x.severity, x.cell) for x in r.findings] == [("value-too-many-decimals", "warning", f.cell)]
    assert hint in r.findings[0].message and str(typed) in r.findings[0].message


def test_formula_error_value(tmp_path):
    r = run(tmp_path, set_cell(build(), "t2.penalty", "#REF!", error=True))
    assert [(f.rule, f.cell, f.actual) for f in r.findings] == [("value-formula-error", "B12", "#REF!")]


def test_date_in_a_count_cell(tmp_path):
    def edit(wb):
        ws = wb[FORM.fields["t2.penalty"].sheet]
        ws["B12"] = dt.datetime(2024, 3, 5)
        ws["B12"].number_format = "yyyy-mm-dd"

    r = run(tmp_path, with_openpyxl(build(), edit))
    found = [f for f in r.findings if f.rule != "formulas-not-calculated"]  # openpyxl saves no cached totals
    assert [(f.rule, f.cell) for f in found] == [("value-date", "B12")] and "2024-03-05" in found[0].message


def test_formula_into_another_workbook(tmp_path):
    r = run(tmp_path, add_external_link(build(), "t2.penalty"))
    assert r.status == "invalid"
    assert [(f.rule, f.cell, f.actual) for f in r.findings] == [("value-external-link", "B12", "=[1]Sheet1!$A$1")]


def test_required_text_choice_and_length(tmp_path):
    data = build(clean_values(**{"unit.contact": None, "unit.scope": "全县", "unit.phone": "1" * 201}))
    r = run(tmp_path, data)
    got = {(f.rule, f.field) for f in r.findings}
    assert got == {("value-required", "unit.contact"), ("value-not-in-choices", "unit.scope"), ("value-too-long", "unit.phone")}


def test_dates_typed_as_text_are_normalised(tmp_path):
    r = run(tmp_path, set_cell(build(), "unit.date", "2025年1月15日"))
    assert [(f.rule, f.expected) for f in r.findings] == [("value-normalised", "2025-01-15")]
    assert r.values["unit.date"] == dt.date(2025, 1, 15)
    r = run(tmp_path, set_cell(build(), "unit.date", "下周"))
    assert [f.rule for f in r.findings] == ["value-not-date"]


def _numeric_types():
    """One field per distinct number type of each form (integer counts, 万元, 元, ...)."""
    seen = {}
    for form in (FORM, load_form(MINI_FORM)):
        for f in form.fields.values():
            if f.type.numeric:
                seen.setdefault((form.form_id, f.type.name), f)
    return list(seen.values())


def _outcome(result):
    value, problem = result
    return type(value), value, problem


_RAW = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e6, 1e6).map(lambda x: round(x, 6)),
    st.integers(-5, 10**6).map(float),
    st.decimals(0, 10**5, places=5).map(float),
    st.sampled_from([0.0, -0.0, 1e308, -1e-300, 5e-324, 2**53 + 0.0, 1e16, 0.1 + 0.2, 12.5, 12.34567]),
)


@settings(max_examples=400, deadline=None)
@given(raw=_RAW, which=st.integers(0, 100))
def test_fast_number_check_gives_the_same_result_as_the_full_policy(raw, which):
    fields = _numeric_types()
    f = fields[which % len(fields)]
    assert _outcome(checker(f)(raw)) == _outcome(check(raw, f))


@pytest.mark.parametrize("raw", [None, "", "12", "1,234", "/", True, 7, dt.date(2024, 1, 1), "#REF!"])
def test_per_field_checker_falls_back_to_the_full_policy_for_everything_else(raw):
    for f in _numeric_types() + [FORM.fields["unit.scope"], FORM.fields["unit.contact"]]:
        assert _outcome(checker(f)(raw)) == _outcome(check(raw, f))


def test_narrative_starting_with_equals_is_kept_with_a_warning(tmp_path):
    """Typed as "=本单位无…" (Excel would take it for a formula): read as text, warned about."""
    r = run(tmp_path, build(clean_values(**{"s1.oversight": "=本单位无监督保障方面的情况", "s6.other": "＝无"})))
    assert r.status == "valid"
    assert [(f.rule, f.field, f.severity) for f in r.findings] == [
        ("value-leading-equals", "s1.oversight", "warning"), ("value-leading-equals", "s6.other", "warning")]
    assert "“=本单位无监督保障方面的…”以等号开头" in r.findings[0].message
    assert r.values["s1.oversight"] == "=本单位无监督保障方面的情况"
