"""Consolidation rules on FileResults built directly: duplicates, double counts, totals, checks."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from xlflow.merge import CONTAINED, INCLUDED, OUTSIDE, OVERLAP, REJECTED, SUPERSEDED, build_summary, consolidate
from xlflow.merge.consolidate import rules_on_totals
from xlflow.merge.digest import load_digest, sentences
from xlflow.results import FileResult, Finding
from xlflow.roster import Agency
from xlflow.summaryfile import read_summary


def values(form, **changes):
    v = form.defaults()
    for k, x in changes.items():
        v[k.replace("__", ".")] = x
    return form.compute_derived(v)


def result(form, tmp_path, code, name, status="valid", scope="本级", members=(), file=None, **changes):
    path = tmp_path / (file or f"{code}.xlsx")
    path.write_bytes(b"x")
    v = values(form, **changes) if status != "unreadable" else None
    findings = [Finding("R1", "error", "坏")] if status == "invalid" else []
    return FileResult(path, status, findings, code, name, 2023, scope, list(members), v, "0" * 64, "Microsoft Excel")


def by_path(c):
    return {e.result.path.name: e for e in c.entries}


def test_duplicates_valid_then_latest_date_then_mtime(form, tmp_path):
    a = result(form, tmp_path, "001", "甲局", file="a.xlsx", t3__new__natural=1, t3__granted__natural=1, unit__date=date(2024, 1, 20))
    b = result(form, tmp_path, "001", "甲局", file="b.xlsx", t3__new__natural=5, t3__granted__natural=5, unit__date=date(2024, 1, 10))
    bad = result(form, tmp_path, "001", "甲局", status="invalid", file="c.xlsx", unit__date=date(2024, 2, 1))
    c = consolidate([b, bad, a], form, year=2023)
    e = by_path(c)
    assert e["a.xlsx"].action == INCLUDED  # latest 填报日期 among the valid ones
    assert e["b.xlsx"].action == SUPERSEDED and "a.xlsx" in e["b.xlsx"].note
    assert e["c.xlsx"].action == SUPERSEDED  # invalid loses even with a later date
    assert c.totals["t3.new.natural"] == 1 and len(c.units) == 1
    # Same date: the more recently modified file wins.
    d1 = result(form, tmp_path, "002", "乙局", file="d1.xlsx", t2__licensing=3)
    d2 = result(form, tmp_path, "002", "乙局", file="d2.xlsx", t2__licensing=4)
    os.utime(d1.path, (1_700_000_000, 1_700_000_000))
    os.utime(d2.path, (1_600_000_000, 1_600_000_000))
    c = consolidate([d2, d1], form)
    assert by_path(c)["d1.xlsx"].action == INCLUDED and c.totals["t2.licensing"] == 3


def test_invalid_unreadable_and_outside_are_never_summed(form, tmp_path):
    roster = [Agency("001", "甲局", 2), Agency("002", "乙局", 3), Agency("003", "丙局", 4)]
    ok = result(form, tmp_path, "001", "甲局", t2__penalty=7)
    bad = result(form, tmp_path, "002", "乙局", status="invalid", t2__penalty=100)
    outsider = result(form, tmp_path, "999", "外单位", t2__penalty=50)
    broken = result(form, tmp_path, None, None, status="unreadable", file="broken.xlsx")
    c = consolidate([ok, bad, outsider, broken], form, roster=roster, code="C", name="某县")
    e = by_path(c)
    assert e["001.xlsx"].action == INCLUDED
    assert e["002.xlsx"].action == REJECTED and e["broken.xlsx"].action == REJECTED
    assert e["999.xlsx"].action == OUTSIDE
    assert c.totals["t2.penalty"] == 7
    assert [a.code for a in c.missing] == ["002", "003"] and not c.complete


def test_unit_inside_a_summary_is_not_counted_twice(form, tmp_path):
    county = result(form, tmp_path, "C1", "甲县", scope="汇总", members=["001", "002"], t2__licensing=30, t3__new__natural=4, t3__granted__natural=4)
    alone = result(form, tmp_path, "001", "甲县某局", t2__licensing=10, t3__new__natural=1, t3__granted__natural=1)
    other = result(form, tmp_path, "C2", "乙县", scope="汇总", members=["101"], t2__licensing=5)
    c = consolidate([alone, county, other], form, code="CITY", name="某市")
    e = by_path(c)
    assert e["001.xlsx"].action == CONTAINED and "甲县" in e["001.xlsx"].note
    assert e["C1.xlsx"].action == INCLUDED and e["C2.xlsx"].action == INCLUDED
    assert c.totals["t2.licensing"] == 35 and c.totals["t3.new.total"] == 4


def test_overlapping_summaries_are_flagged_not_summed(form, tmp_path):
    a = result(form, tmp_path, "S1", "甲片区", scope="汇总", members=["001", "002", "003"], t2__licensing=3)
    b = result(form, tmp_path, "S2", "乙片区", scope="汇总", members=["003", "004"], t2__licensing=2)
    c = consolidate([b, a], form)
    e = by_path(c)
    assert e["S1.xlsx"].action == INCLUDED  # the wider summary is taken
    assert e["S2.xlsx"].action == OVERLAP and "003" in e["S2.xlsx"].note
    assert c.totals["t2.licensing"] == 3 and not c.complete


def test_members_given_by_name_are_resolved_through_the_roster(form, tmp_path):
    roster = [Agency("001", "甲局", 2), Agency("S", "某街道", 3)]
    street = result(form, tmp_path, "S", "某街道", scope="汇总", members=["甲局"], t2__licensing=9)
    alone = result(form, tmp_path, "001", "甲局", t2__licensing=4)
    c = consolidate([alone, street], form, roster=roster)
    assert by_path(c)["001.xlsx"].action == CONTAINED
    assert c.totals["t2.licensing"] == 9 and c.complete  # 甲局 is covered through 某街道


def test_totals_recompute_derived_and_rules(form, tmp_path):
    r1 = result(form, tmp_path, "001", "甲", t3__new__natural=3, t3__granted__natural=2, t3__next__natural=1, t2__fees=0.1)
    r2 = result(form, tmp_path, "002", "乙", t3__new__business=2, t3__partial__business=2, t2__fees=0.2)
    c = consolidate([r1, r2], form)
    assert c.totals["t3.new.total"] == 5 and c.totals["t3.total.total"] == 4 and c.totals["t3.next.total"] == 1
    assert c.totals["t2.fees"] == pytest.approx(0.3)
    keys = {ch.rule.key for ch in c.checks}
    assert "R1[natural]" in keys and "S4b" in keys
    assert all(ch.ok for ch in c.checks)
    # Narrative rules and rules over category counts (named per agency) are not re-run on sums.
    ids = {r.id for r in rules_on_totals(form)}
    assert "S7" not in ids and "X1" not in ids


def test_a_failing_unit_shows_in_the_total_checks(form, tmp_path):
    broken = result(form, tmp_path, "001", "甲", t3__new__natural=5)  # R1 broken, but say validation let it through
    c = consolidate([broken], form)
    failed = [ch for ch in c.checks if not ch.ok]
    assert [ch.rule.key for ch in failed] == ["R1[natural]", "R1[total]"]
    assert failed[0].failing_units == ["甲"] and failed[0].lhs == 5 and failed[0].rhs == 0


def test_breakdown_sentences_name_new_and_carried(form, tmp_path):
    a = result(form, tmp_path, "001", "甲局", t3__new__natural=3, t3__carried__natural=1, t3__granted__natural=4)
    b = result(form, tmp_path, "002", "乙局", t3__new__natural=5, t3__granted__natural=5)
    z = result(form, tmp_path, "003", "丙局")
    c = consolidate([a, b, z], form, code="370829", name="嘉祥县")
    text = sentences(c, load_digest(form))[0]
    assert text == "全县共收到政府信息公开申请9件，其中本年新收8件、上年结转1件（乙局5件、甲局4件；其余1个单位为0）。"


def test_summary_round_trip_and_nesting(form, tmp_path):
    rows = [result(form, tmp_path, f"00{i}", f"局{i}", t2__penalty=i, s5__text=f"=问题{i}") for i in (1, 2)]
    c = consolidate(rows, form, year=2023, code="C1", name="甲县")
    path = tmp_path / "甲县汇总.xlsx"
    path.write_bytes(build_summary(c))
    s = read_summary(path, form)
    assert s.identity["xlflow_kind"] == "summary" and s.identity["xlflow_agency_code"] == "C1"
    assert [(r.code, r.values["t2.penalty"], r.values["s5.text"]) for r in s.rows] == [("001", 1, "=问题1"), ("002", 2, "=问题2")]
    assert s.totals["t2.penalty"] == 3 and s.members == ["001", "002"] and not s.missing_fields
    # A city summary of that county summary carries the county's members on its row.
    county = FileResult(path, "valid", [], "C1", "甲县", 2023, "汇总", s.members, s.totals, "", "", kind="summary")
    city = consolidate([county], form, year=2023, code="P", name="某市")
    path2 = tmp_path / "市汇总.xlsx"
    path2.write_bytes(build_summary(city))
    assert read_summary(path2, form).rows[0].members == ["001", "002"]
    assert read_summary(path2, form).members == ["C1", "001", "002"]


def test_not_a_summary_is_a_clear_error(form, tmp_path, factory):
    from xlflow.summaryfile import SummaryError

    p = tmp_path / "template.xlsx"
    p.write_bytes(factory.build("甲局", "001"))
    with pytest.raises(SummaryError, match="xlflow_kind"):
        read_summary(p, form)
    q = tmp_path / "junk.xlsx"
    q.write_bytes(b"not a zip")
    with pytest.raises(SummaryError, match="junk.xlsx"):
        read_summary(q, form)


def test_generic_form_merges_without_knowing_it(mini_form, tmp_path):
    def mini(code, apples):
        v = mini_form.defaults()
        v["fruit.apples.first"] = apples
        v["fruit.income"] = 1.5
        mini_form.compute_derived(v)
        p = tmp_path / f"{code}.xlsx"
        p.write_bytes(b"x")
        return FileResult(p, "valid", [], code, f"单位{code}", 2099, "本级", [], v, "", "")

    c = consolidate([mini("a", 2), mini("b", 3)], mini_form, year=2099, code="Z", name="某县")
    assert c.totals["fruit.apples.all"] == 5 and c.totals["fruit.income"] == 3.0
    assert {ch.rule.key for ch in c.checks} >= {"M1[first]", "M3"}
    path = Path(tmp_path / "mini.xlsx")
    path.write_bytes(build_summary(c))
    assert read_summary(path, mini_form).totals["fruit.apples.all"] == 5
