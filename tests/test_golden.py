"""Golden tests, XlsxWriter style: the template's parts compared element by element with
reviewed files in tests/golden/ (timestamps ignored). Run `pytest --update-golden` after an
intended change, then review the diff of the golden files and open them once in LibreOffice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.xlsx_compare import assert_xlsx_equal
from xlflow.form import load_form
from xlflow.template import TemplateFactory

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "gov-info-annual-2021": ("gov-info-annual-2021", 2024, "嘉祥县金融工作服务中心", "370829014"),
    "mini-2099": (str(Path(__file__).parent / "forms" / "mini-2099.yaml"), 2099, "某单位", "X1"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_template_matches_golden(case, update_golden):
    ref, year, name, code = CASES[case]
    got = TemplateFactory(load_form(ref), year).build(name, code)
    path = GOLDEN / f"{case}.xlsx"
    if update_golden or not path.exists():
        if not update_golden:
            pytest.fail(f"{path} is missing: run pytest --update-golden and review it")
        path.write_bytes(got)
    assert_xlsx_equal(got, path.read_bytes())
