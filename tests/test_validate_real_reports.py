"""Real published reports (shared/reference/real_reports.json) filled into agency templates,
clean and with their real-world mistakes, classified as a county clerk would need."""

from collections import Counter

import pytest

from tests.returned import FORM, build, build_with_blanks, real_reports, real_values, set_cells, write
from xlflow.validate import load_previous, validate_file

REPORTS = {f"{r['agency'][:6]}{r['year']}": r for r in real_reports()}


def run(tmp_path, data, **kw):
    return validate_file(write(tmp_path, data), FORM, **kw)


@pytest.mark.parametrize(
    "key, status, codes",
    [
        ("沭阳县发展和2023", "invalid", {"value-blank"}),  # every legal-person cell left blank
        ("淮安市人民政2024", "valid", {"S4"}),  # 逾期未缴费 6, no 收费通知 reported in section 六
        ("淮安市洪泽区2024", "valid", set()),
        ("平潭综合实验2021", "valid", {"value-too-many-decimals"}),  # 24252.311082 万元: kept, flagged
        ("平潭综合实验2022", "valid", set()),
        ("宿迁市人民政2023", "valid", {"S4"}),
    ],
)
def test_real_reports_as_published(tmp_path, key, status, codes):
    r = run(tmp_path, build_with_blanks(real_values(REPORTS[key])))
    assert r.status == status and {f.rule for f in r.findings} == codes, [f.message for f in r.findings][:5]


def test_blank_legal_person_cells_are_each_reported_in_their_column(tmp_path):
    r = run(tmp_path, build_with_blanks(real_values(REPORTS["沭阳县发展和2023"])))
    cols = Counter(f.cell[0] for f in r.findings)
    assert set(cols) == {"E", "F", "G", "H", "I"}  # 商业企业 … 其他; 自然人 (D) was filled
    assert all(f.col_label and "法人或其他组织" in f.col_label for f in r.findings)
    assert not any(f.rule.startswith("R") for f in r.findings)  # totals not computable: no flood


def test_table_four_totals_typed_as_zero(tmp_path):
    """洪泽区 2023: table 四 总计 0 while the parts are not, totals typed over the formulas."""
    values = real_values(REPORTS["平潭综合实验2021"])
    values["t2.fees"] = 24252.3111
    data = set_cells(build(values), {f"t4.{g}.total": 0 for g in FORM.spec.sets["t4_groups"]})
    r = run(tmp_path, data)
    got = [(f.rule, f.cell, f.expected, f.actual) for f in r.findings]
    assert got == [("R4", "E6", 3, 0), ("R4", "J6", 12, 0)]  # 复议后起诉 is all 0: its typed 0 is right
    assert r.status == "invalid"


def test_cross_year_pingtan_2021_to_2022_holds(tmp_path):
    last = tmp_path / "2021"
    last.mkdir()
    v21 = real_values(REPORTS["平潭综合实验2021"])
    v21["t2.fees"] = 24252.3111
    write(last, build(v21, year=2021), "pt2021.xlsx")
    prev = load_previous([last], FORM)
    r = validate_file(write(tmp_path, build(real_values(REPORTS["平潭综合实验2022"]), year=2022)), FORM, year=2022, previous=prev)
    assert (r.status, r.findings) == ("valid", [])
    # and a carried-over number that does not match last year's 结转 is caught
    v22 = real_values(REPORTS["平潭综合实验2022"])
    v22["t3.carried.natural"], v22["t3.new.natural"] = 0, v22["t3.new.natural"] + 1
    r = validate_file(write(tmp_path, build(v22, year=2022)), FORM, year=2022, previous=prev)
    assert {(f.rule, f.cell) for f in r.findings} == {("S1", "D7"), ("S1", "J7")}
