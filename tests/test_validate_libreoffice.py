"""Real application round trip: the generated template filled through LibreOffice (UNO), saved
as xlsx, xls and ods, validated. Fails (does not skip) when LibreOffice is missing."""

import hashlib

import pytest

from tests.returned import CODE, FORM, NAME, clean_values, factory
from tests.support.libreoffice import UnoSession
from xlflow.validate import validate_file

pytestmark = pytest.mark.libreoffice


def cells_by_sheet(values):
    out: dict[str, dict[str, object]] = {}
    for fid, v in values.items():
        f = FORM.fields[fid]
        out.setdefault(f.sheet, {})[f.cell] = v
    return out


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """One LibreOffice session: a clean fill and a fill with clerk mistakes, in three formats."""
    tmp = tmp_path_factory.mktemp("lo")
    blank = tmp / "blank.xlsx"
    blank.write_bytes(factory().build(NAME, CODE))
    good = clean_values()
    bad = cells_by_sheet({**good, "t3.new.natural": "/", "t2.licensing": "1,234", "t3.next.business": 0})
    bad[FORM.fields["t4.review.total"].sheet]["E6"] = 0  # formula typed over with a number
    out = {}
    with UnoSession() as lo:
        for kind, cells in (("good", cells_by_sheet(good)), ("bad", bad)):
            for ext in ("xlsx", "xls", "ods"):
                out[kind, ext] = lo.fill(blank, tmp / f"{kind}.{ext}", cells)
    return out


@pytest.mark.parametrize("ext", ["xlsx", "xls", "ods"])
def test_correct_fill_is_valid_in_every_format(filled, ext):
    path = filled["good", ext]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    r = validate_file(path, FORM, year=2024)
    assert r.status == "valid", [f.message for f in r.findings]
    assert [f.rule for f in r.findings] == ([] if ext == "xlsx" else ["file-format-converted"])
    assert (r.agency_code, r.year) == (CODE, 2024)
    assert r.values["t3.total.total"] == 6 and r.values["t2.fees"] == 1.25
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    if ext != "xls":
        assert r.application.startswith("LibreOffice")


@pytest.mark.parametrize("ext", ["xlsx", "xls", "ods"])
def test_mistakes_are_found_in_every_format(filled, ext):
    r = validate_file(filled["bad", ext], FORM, year=2024)
    got = {(f.rule, f.cell) for f in r.findings if f.rule != "file-format-converted"}
    assert got == {
        ("value-placeholder", "D6"),  # "/" for 0; R1[natural] and R1[total] are skipped
        ("value-normalised", "B9"),  # "1,234" typed as text
        ("R1", "E30"),  # 商业企业: 2 + 0 != 1 + 0
        ("R4", "E6"),  # typed over
    }, [f.message for f in r.findings]
    r4 = next(f for f in r.findings if f.rule == "R4")
    assert (r4.expected, r4.actual) == (1, 0)
    if ext == "xlsx":
        assert "公式被改掉了" in r4.message
    assert r.status == "invalid"
