"""The benchmark's own tools: generated returns are real, distinct, valid returns, and the
benchmark script runs end to end."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from benchmarks.make_returns import ReturnFactory, agency, write_returns, write_roster
from benchmarks.run import run_child
from benchmarks.values import ValueMaker, failing, live_rules
from xlflow.roster import load_roster
from xlflow.template import META_SHEET
from xlflow.validate import validate_paths

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def returns(form):
    return ReturnFactory(form, 2024, pool_size=8)


@pytest.fixture(scope="module")
def mini_returns(mini_form):
    return ReturnFactory(mini_form, 2099, pool_size=4)


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return {n: zf.read(n) for n in zf.namelist()}


def _inputs(form, values):
    return {f.id: values[f.id] for f in form.input_fields}


def _read_back(form, data: bytes) -> dict[str, object]:
    """Field values as python-calamine reads them from the file (blank -> None)."""
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    grids = {s.name: wb.get_sheet_by_name(s.name).to_python(skip_empty_area=False) for s in form.sheets}
    out = {}
    for f in form.fields.values():
        rows = grids[f.sheet]
        v = rows[f.row][f.col] if f.row < len(rows) and f.col < len(rows[f.row]) else ""
        out[f.id] = None if v == "" else v
    return out


@pytest.mark.parametrize("which", ["returns", "mini_returns"])
def test_generated_return_is_the_fully_laid_out_workbook(which, request):
    """Every part equals what xlsxwriter writes for that agency and those values, including
    cached totals and live-check cells: the XML edits reproduce a real filled return."""
    rf: ReturnFactory = request.getfixturevalue(which)
    for i in (0, 3, 4, 9, 31):
        name, data = rf.build(i)
        code, agency_name = agency(i)
        assert code in name and agency_name in name
        values = rf.values(i)
        full = rf.template.build_full(agency_name, code, values=_inputs(rf.form, values))
        mine, ref = _parts(data), _parts(full)
        assert list(mine) == list(ref)
        assert [p for p in mine if mine[p] != ref[p]] == []


def test_values_read_back_recompute_and_satisfy_every_rule(form, returns, tmp_path):
    paths = write_returns(tmp_path, 40, factory=returns)
    seen = set()
    for i, path in enumerate(paths):
        data = path.read_bytes()
        got = _read_back(form, data)
        expected = returns.values(i)
        for f in form.fields.values():
            if f.type.spec.kind == "date" or expected[f.id] is None:
                continue
            if f.type.numeric:
                assert got[f.id] == pytest.approx(float(expected[f.id])), f.id
            else:
                assert got[f.id] == expected[f.id], f.id
        code, name = agency(i)
        assert got[form.field_for_identity("agency_code").id] == code
        assert got[form.field_for_identity("agency_name").id] == name
        meta = dict((r[0], r[1]) for r in CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(META_SHEET).to_python() if r[0])
        assert meta["xlflow_agency_code"] == code and meta["xlflow_agency_name"] == name
        # Cached totals are what the inputs give, and every checkable rule holds.
        recomputed = form.compute_derived({**got, **{f.id: None for f in form.fields.values() if f.derived}})
        for d in form.derived:
            assert got[d.field_id] == pytest.approx(recomputed[d.field_id]), d.field_id
        assert [r.key for r in failing(form, recomputed)] == []
        numbers = tuple(got[f.id] for f in form.input_fields if f.type.numeric)
        assert any(numbers) and numbers not in seen
        seen.add(numbers)


@pytest.mark.parametrize("which,year", [("returns", 2024), ("mini_returns", 2099)])
def test_generated_returns_validate_clean(which, year, request, tmp_path):
    """What the benchmark times must be the normal path: every return valid, not one finding."""
    rf: ReturnFactory = request.getfixturevalue(which)
    paths = write_returns(tmp_path / "returns", 24, factory=rf)
    roster = load_roster(write_roster(tmp_path / "roster.csv", 24))
    results = list(validate_paths([tmp_path / "returns"], rf.form, year=year, roster=roster))
    assert len(results) == 24
    assert {r.path for r in results} == set(paths)
    assert [(r.path.name, [f.rule for f in r.findings]) for r in results if r.status != "valid" or r.findings] == []
    for r in results:
        i = int(r.agency_code) - int(agency(0)[0])
        assert r.agency_name == agency(i)[1]
        expected = rf.values(i)
        assert {f.id: r.values[f.id] for f in rf.pool.maker.numeric_inputs} == {f.id: expected[f.id] for f in rf.pool.maker.numeric_inputs}


@pytest.mark.parametrize("which", ["form", "mini_form"])
def test_value_maker_satisfies_rules_for_any_seed(which, request):
    import random

    form = request.getfixturevalue(which)
    maker = ValueMaker(form, 2024)
    assert live_rules(form)
    for seed in range(30):
        values = maker.draw(random.Random(seed))
        assert failing(form, values) == []
        for f in maker.numeric_inputs:
            assert values[f.id] >= (f.type.spec.min or 0)
            if f.type.spec.kind == "integer":
                assert isinstance(values[f.id], int)


def test_child_peak_memory_is_the_childs_own(tmp_path):
    """A child spawned from a big process inherits its high-water mark in ru_maxrss; the
    benchmark must report the CLI's own memory, not ours."""
    ballast = b"x" * (300 << 20)
    child = run_child(["--help"], tmp_path / "help.log")
    assert child.rc == 0
    assert 5 < child.rss_mb < 200
    assert len(ballast) == 300 << 20


def test_benchmark_smoke_run(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--sizes", "20", "--templates", "20", "--openpyxl-sample", "3",
         "--work", str(tmp_path / "work"), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "calamine loop (bare read, reference)" in proc.stdout
    result = json.loads(out.read_text(encoding="utf-8"))
    rows = {r["what"]: r for r in result["rows"]}
    assert rows["calamine loop (bare read, reference)"]["n"] == 20
    assert rows["calamine loop (bare read, reference)"]["seconds"] > 0
    assert rows["template: build + write (in process)"]["note"].endswith("20/20 sampled")
    checks = {target: (value, verdict) for target, value, verdict in result["checks"]}
    assert checks["template < 5 ms/agency, byte-identical"][0].endswith("20/20")
    assert not (tmp_path / "work").exists()
