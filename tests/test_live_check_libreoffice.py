"""The template's own check agrees with ``xlflow validate``: templates filled in LibreOffice with
each kind of mistake a clerk makes (pasted past the input check, as UNO writes ignore it), the
status on 基本信息 as LibreOffice recalculated it, and the validator on the saved file, give the
same verdict and the same counts of problems and of hints."""

from __future__ import annotations

import openpyxl
import pytest

from tests.live_cases import CASES, count
from tests.returned import CODE, FORM, NAME, clean_values, factory
from tests.support.libreoffice import UnoSession
from xlflow.validate import validate_file

pytestmark = pytest.mark.libreoffice

def _cells(values: dict) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for fid, v in values.items():
        f = FORM.fields[fid]
        out.setdefault(f.sheet, {})[f.cell] = v
    return out


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live")
    blank = tmp / "blank.xlsx"
    blank.write_bytes(factory().build(NAME, CODE))
    out = {}
    with UnoSession() as lo:
        for i, (name, (changes, typed_over)) in enumerate(CASES.items()):
            values = {} if changes is None else {**clean_values(), **changes}
            # A value is text as the clerk typed it, even "=…"; typed_over cells are entered as is.
            values = {k: "'" + v if isinstance(v, str) and v.startswith("=") else v for k, v in values.items()}
            out[name] = lo.fill(blank, tmp / f"case{i}.xlsx", _cells({**values, **typed_over}))
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_live_status_and_validator_agree(filled, case):
    path = filled[case]
    panel = FORM.sheet("info").spec.checks_panel
    # LibreOffice recalculated everything before saving (UnoSession.fill): the cached results
    # are its own.
    ws = openpyxl.load_workbook(path, data_only=True)[FORM.sheet("info").name]
    status, hint = ws[panel.status.split(":")[0]].value, ws[panel.hint.split(":")[0]].value
    r = validate_file(path, FORM, year=2024)
    why = [(f.rule, f.cell, f.message) for f in r.findings]
    assert (status == "校验通过") == (r.status == "valid"), (status, why)
    assert count(status, "校验通过") == r.errors, (status, why)
    assert count(hint, "无") == r.warnings, (hint, why)


def test_the_cases_cover_every_verdict(filled):
    """The table above is not all green or all red: each kind of outcome is exercised."""
    results = {name: validate_file(p, FORM, year=2024) for name, p in filled.items()}
    assert results["untouched template"].errors == 3  # 填报人, 联系电话, 第五部分
    assert results["correct return"].status == "valid" and not results["correct return"].findings
    assert results["slash in a number cell"].errors == 1  # the rules using it are skipped
    assert results["R1 broken"].errors == 2  # 自然人 and 总计 columns
    assert results["number stored as text"].status == "valid" and any(f.severity == "info" for f in results["number stored as text"].findings)
    assert results["too many decimals in 万元"].warnings == 1
    assert results["fee rules broken"].warnings == 2
    assert results["total typed over"].errors == 1
