"""A summary is an input at the next level: a city merging county summaries must get exactly
what merging every agency's return would give, field for field, whoever reads the summary
(the merge, validation, read_summary).

Category counts of 主动公开 are the trap: each agency names its own categories, so their sum
means nothing and the totals keep the form's default; a summary read back must not sum them
either (it did: 613 against 0 on the demo's county summary), or a county with one agency that
lists categories and one that does not gets a false 主动公开分类合计 warning at the city.
"""

from __future__ import annotations

import random

import pytest

from tests.support.demo_values import synthetic_values
from xlflow.merge.run import merge_paths
from xlflow.roster import Agency
from xlflow.summaryfile import read_summary
from xlflow.template import TemplateFactory
from xlflow.validate import validate_file

YEAR = 2023
NARRATIVES = {"s5.text": "{name}存在的问题：公开不够及时。", "s1.proactive": "{name}全年主动公开{proactive}条。"}
COUNTIES = {
    "C1": [Agency("C1-01", "甲县公安局", 1), Agency("C1-02", "甲县民政局", 2)],
    "C2": [Agency("C2-01", "乙县公安局", 1), Agency("C2-02", "乙县财政局", 2)],
}


def agency_values(form, agency: Agency) -> dict:
    v = synthetic_values(form, agency, {"applications": 15, "licensing": 80, "penalty": 9, "fees": True},
                         random.Random(agency.code), NARRATIVES)
    if agency.code.endswith("02"):  # lists no categories: its counts stay 0, as the rule allows
        for fid in list(v):
            if fid.startswith("cat."):
                del v[fid]
    return v


def data_ids(form) -> list[str]:
    return [f.id for f in form.fields.values() if f.stamp is None]


@pytest.fixture(scope="module")
def levels(tmp_path_factory, form):
    root = tmp_path_factory.mktemp("levels")
    factory = TemplateFactory(form, YEAR)
    every = root / "全部单位"
    every.mkdir()
    counties = {}
    for code, agencies in COUNTIES.items():
        folder = root / code
        folder.mkdir()
        for a in agencies:
            data = factory.build(a.name, a.code, agency_values(form, a))
            (folder / f"{a.code}.xlsx").write_bytes(data)
            (every / f"{a.code}.xlsx").write_bytes(data)
        out = root / "县汇总" / f"{code}.xlsx"
        counties[code] = merge_paths([folder], form, out, year=YEAR, code=code, name=code + "县")
    city = merge_paths([root / "县汇总"], form, root / "市汇总.xlsx", year=YEAR, code="P", name="某市")
    direct = merge_paths([every], form, root / "直接汇总.xlsx", year=YEAR, code="P", name="某市")
    return dict(counties=counties, city=city, direct=direct)


def test_the_agencies_are_all_valid_and_list_categories_unevenly(levels, form):
    for outcome in levels["counties"].values():
        assert len(outcome.consolidation.units) == 2
        counts = [u.values["cat.c1.count"] for u in outcome.consolidation.units]
        assert counts[0] > 0 and counts[1] == 0


def test_every_reader_of_a_county_summary_sees_its_totals(levels, form):
    ids = data_ids(form)
    for code, outcome in levels["counties"].items():
        want = {k: outcome.consolidation.totals.get(k) for k in ids if form.fields[k].type.numeric}
        read = read_summary(outcome.out, form).totals
        checked = validate_file(outcome.out, form, year=YEAR)
        assert checked.status == "valid" and checked.findings == [], [x.message for x in checked.findings]
        for k, v in want.items():
            assert read[k] == v, (code, k)
            assert checked.values[k] == v, (code, k)


def test_a_city_of_county_summaries_equals_the_merge_of_all_their_agencies(levels, form):
    city, direct = levels["city"].consolidation, levels["direct"].consolidation
    assert [u.code for u in city.units] == ["C1", "C2"] and len(direct.units) == 4
    for k in data_ids(form):
        assert city.totals.get(k) == direct.totals.get(k), k
    # Each county's row at the city is that county's own totals (明细 and _xlflow show it).
    for u in city.units:
        county = levels["counties"][u.code].consolidation
        for k in data_ids(form):
            if form.fields[k].type.numeric:
                assert u.values[k] == county.totals[k], (u.code, k)
    # And the two city summaries read back the same, field for field, category counts included.
    a, b = read_summary(levels["city"].out, form), read_summary(levels["direct"].out, form)
    va, vb = validate_file(levels["city"].out, form), validate_file(levels["direct"].out, form)
    for k in data_ids(form):
        if form.fields[k].type.numeric:
            assert a.totals[k] == b.totals[k], k
            assert va.values[k] == vb.values[k] == direct.totals[k], k
    assert va.findings == vb.findings == []
    assert [(c.rule.key, c.ok) for c in city.checks] == [(c.rule.key, c.ok) for c in direct.checks]
