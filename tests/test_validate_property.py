"""Property tests: any filled return satisfying the rules validates clean; a single-cell change
that breaks a rule is reported, at that cell or at the rule's anchor naming that cell's rule."""

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.returned import FORM, build, clean_values, set_cell
from xlflow.validate import validate_file

SETS = FORM.spec.sets
APPLICANTS = list(SETS["t3_applicants"])
OUTCOMES = list(SETS["t3_outcomes"])
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
small = st.integers(min_value=0, max_value=40)


@st.composite
def consistent_returns(draw):
    """Table 三 built so that R1 holds column by column; fees consistent; categories add up."""
    v = clean_values()
    for key in list(v):
        if key.startswith(("t3.", "t4.", "fee.", "cat.")):
            del v[key]
    for col in APPLICANTS:
        outcomes = {o: draw(st.integers(0, 5)) for o in OUTCOMES}
        carried, nxt = draw(small), draw(small)
        new = sum(outcomes.values()) + nxt - carried
        if new < 0:
            carried, new = carried + new, 0
        v.update({f"t3.{o}.{col}": n for o, n in outcomes.items()})
        v.update({f"t3.new.{col}": new, f"t3.carried.{col}": carried, f"t3.next.{col}": nxt})
    for group in SETS["t4_groups"]:
        for part in SETS["t4_parts"]:
            v[f"t4.{group}.{part}"] = draw(small)
    unpaid = sum(v[f"t3.other_fee_unpaid.{c}"] for c in APPLICANTS)
    v["fee.notices"] = unpaid + draw(st.integers(0, 3))
    v["fee.notice_amount"] = draw(st.integers(0, 500)) * 10 if v["fee.notices"] else 0
    v["fee.collected"] = min(v["fee.notice_amount"], draw(st.integers(0, 500)) * 10)
    v["t2.fees"] = draw(st.decimals(min_value=0, max_value=99999, places=4)).__float__()
    counts = draw(st.lists(small, min_size=0, max_size=5))
    for i, n in enumerate(counts, 1):
        v[f"cat.c{i}.name"], v[f"cat.c{i}.count"] = f"类别{i}", n
    v["s1.proactive_total"] = sum(counts) if counts else draw(small)
    return v


def _validate(data: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.xlsx"
        path.write_bytes(data)
        return validate_file(path, FORM, year=2024)


@SETTINGS
@given(consistent_returns())
def test_any_return_satisfying_the_rules_validates_clean(values):
    r = _validate(build(values))
    assert (r.status, r.findings) == ("valid", [])


@SETTINGS
@given(consistent_returns(), st.sampled_from(APPLICANTS), st.sampled_from(["new", "carried", "next", *OUTCOMES]), st.integers(1, 9))
def test_single_changed_input_breaking_r1_is_reported(values, col, row, delta):
    fid = f"t3.{row}.{col}"
    data = build(values)
    changed = set_cells_via_build(values, fid, values[fid] + delta)
    r = _validate(changed)
    anchor = FORM.fields[f"t3.next.{col}"]
    hits = [f for f in r.findings if f.rule == "R1" and f.cell == anchor.cell]
    assert r.status == "invalid" and hits, [f.message for f in r.findings]
    inst = next(i for i in FORM.rules if i.key == f"R1[{col}]")
    assert fid in inst.expr.refs or f"t3.total.{col}" in inst.expr.refs
    assert data != changed


def set_cells_via_build(values, fid, value):
    return build({**values, fid: value})


@SETTINGS
@given(consistent_returns(), st.sampled_from([f.id for f in FORM.input_fields if f.type.numeric]),
       st.sampled_from(["/", "无", -3, None, "abc"]))
def test_single_bad_cell_is_reported_at_that_cell(values, fid, bad):
    r = _validate(set_cell(build(values), fid, bad))
    f = FORM.fields[fid]
    assert r.status == "invalid"
    assert [(x.sheet, x.cell, x.field) for x in r.findings if x.severity == "error"] == [(f.sheet, f.cell, fid)]


@SETTINGS
@given(consistent_returns(), st.sampled_from([d.field_id for d in FORM.derived]), st.integers(1, 50))
def test_single_typed_over_total_is_reported_at_that_cell(values, fid, delta):
    data = build(values)
    r0 = _validate(data)
    typed = r0.values[fid] + delta
    r = _validate(set_cell(data, fid, typed))
    f = FORM.fields[fid]
    assert [(x.rule, x.cell, x.actual) for x in r.findings] == [(f.derived.rule, f.cell, typed)]
