"""Small goldens, one per feature, checked against files saved by a real spreadsheet application.

Beside the whole-template goldens (``test_golden.py``: our bytes against our reviewed bytes),
each case here is a small workbook of the mini form that exercises one feature, and its golden
is the same workbook *opened, recalculated and saved by LibreOffice* (``tests/golden/features``).
The test extracts the feature from our fresh output and from LibreOffice's file and asserts
they agree: the totals and check marks we cache are what the application computes, the input
rules, protection, merges and names we write are what it keeps. LibreOffice is needed only to
refresh the goldens (``pytest tests/test_golden_features.py --update-golden``), not to run them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from xlflow.cells import a1, parse_range
from xlflow.merge import build_summary, consolidate
from xlflow.results import FileResult
from xlflow.template import TemplateFactory

GOLDEN = Path(__file__).parent / "golden" / "features"
YEAR = 2099


def _return(form, values=None) -> bytes:
    return TemplateFactory(form, YEAR).build("某果园", "X1", values)


def _summary(form) -> bytes:
    results = []
    for code, apples, pears in (("A", 5, 1), ("B", 2, 3)):
        v = {**form.defaults(), "org.scope": "单位", "fruit.apples.first": apples, "fruit.pears.first": pears, "fruit.income": 0.1}
        results.append(FileResult(Path(f"{code}.xlsx"), "valid", [], code, f"果园{code}", YEAR, "单位", [], form.compute_derived(v), "", ""))
    return build_summary(consolidate(results, form, year=YEAR, code="Z", name="某县"))


def _formula_values(ours: bytes, other: bytes, sheets: list[str] | None = None) -> tuple[dict, dict]:
    """The value of every formula cell of ours, as we cached it and as the other file has it."""
    formulas = openpyxl.load_workbook(io.BytesIO(ours))
    cached = openpyxl.load_workbook(io.BytesIO(ours), data_only=True)
    saved = openpyxl.load_workbook(io.BytesIO(other), data_only=True)
    a, b = {}, {}
    for ws in formulas.worksheets:
        if sheets is not None and ws.title not in sheets:
            continue
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    a[(ws.title, c.coordinate)] = cached[ws.title][c.coordinate].value
                    b[(ws.title, c.coordinate)] = saved[ws.title][c.coordinate].value
    return a, b


def _cells(sqref: str) -> list[str]:
    out = []
    for part in sqref.split():
        r1, c1, r2, c2 = parse_range(part)
        out += [a1(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    return out


def _validations(data: bytes) -> set:
    """What may be typed where: per cell (LibreOffice joins neighbouring cells into one range)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = set()
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            op = dv.operator or "between"
            # A second bound only means something for between/notBetween (LibreOffice writes "0").
            second = str(dv.formula2) if op in ("between", "notBetween") and dv.type not in ("list", "custom") else None
            for cell in _cells(str(dv.sqref)):
                out.add((ws.title, cell, dv.type, op, str(dv.formula1), second, bool(dv.allow_blank)))
    return out


def _protection(data: bytes) -> dict:
    """Each sheet protected, which cells are open for input, whether it is shown. LibreOffice
    saves Excel's "very hidden" as "hidden": both keep the metadata sheet out of sight."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = {}
    for ws in wb.worksheets:
        unlocked = sorted(c.coordinate for row in ws.iter_rows() for c in row if c.protection.locked is False)
        out[ws.title] = (bool(ws.protection.sheet), unlocked, ws.sheet_state == "visible")
    return out


def _layout(data: bytes) -> dict:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    names = {n: str(d.attr_text).replace("$", "").replace("'", "") for n, d in wb.defined_names.items() if n.startswith("xlf_")}
    return {"merges": {ws.title: sorted(str(r) for r in ws.merged_cells.ranges) for ws in wb.worksheets}, "names": names}


def _same_formula_values(ours: bytes, golden: bytes, sheets=None) -> None:
    a, b = _formula_values(ours, golden, sheets)
    assert a and a == b


def _same(extract):
    def check(ours: bytes, golden: bytes) -> None:
        a, b = extract(ours), extract(golden)
        assert a and a == b
    return check


# golden -> (our workbook of the mini form, {feature: check of ours against LibreOffice's file})
CASES: dict[str, tuple[Callable, dict[str, Callable]]] = {
    "blank-template": (lambda f: _return(f), {
        "checks pass on a blank template": lambda ours, golden: _same_formula_values(ours, golden),
        "input rules": _same(_validations),
        "protection": _same(_protection),
        "merges and names": _same(_layout),
    }),
    # one column breaks M1 (梨多于苹果): totals, check marks and the panel's count
    "filled-return": (
        lambda f: _return(f, {"fruit.apples.first": 3, "fruit.apples.second": 4, "fruit.pears.first": 5, "fruit.pears.second": 1,
                              "fruit.income": 2.5}),
        {"totals and checks": lambda ours, golden: _same_formula_values(ours, golden)},
    ),
    # the summary's totals (SUM over 明细, decimals included, on each table's sheet and in 明细's
    # 合计 row) and its checks on the totals (on 汇总)
    "summary": (_summary, {"totals and checks": lambda ours, golden: _same_formula_values(ours, golden)}),
}
FEATURES = [(golden, feature) for golden, (_, checks) in sorted(CASES.items()) for feature in checks]


@pytest.mark.parametrize("case,feature", FEATURES)
def test_feature_matches_what_libreoffice_saves(case, feature, mini_form, update_golden, tmp_path):
    build, checks = CASES[case]
    ours = build(mini_form)
    path = GOLDEN / f"{case}.xlsx"
    if update_golden and not _refreshed.get(case):
        from tests.support.libreoffice import convert

        src = tmp_path / f"{case}.xlsx"
        src.write_bytes(ours)
        saved = convert([src], "xlsx", tmp_path / "lo")[0]  # opened, recalculated, saved by LibreOffice
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(saved.read_bytes())
        _refreshed[case] = True
    if not path.exists():
        pytest.fail(f"{path} is missing: run pytest tests/test_golden_features.py --update-golden (needs LibreOffice)")
    checks[feature](ours, path.read_bytes())


_refreshed: dict[str, bool] = {}
