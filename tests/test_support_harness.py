"""Tests of the test helpers themselves (tests/support): LibreOffice driving and xlsx comparison."""

import zipfile

import openpyxl
import pytest
import xlsxwriter

from tests.support.libreoffice import UnoSession, convert, pdf_to_png, soffice_path
from tests.support.xlsx_compare import assert_xlsx_equal, compare_xlsx

SHEET = "汇总"


def make_workbook(path, a1=2, a2=3):
    """Tiny workbook whose formula caches a deliberately wrong value (0)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(SHEET)
    ws.write("A1", a1)
    ws.write("A2", a2)
    ws.write_formula("A3", "=A1+A2", None, 0)
    ws.write("B1", "单位名称")
    wb.close()
    return path


@pytest.fixture(scope="module")
def lo():
    with UnoSession() as session:
        yield session


# -- LibreOffice ---------------------------------------------------------------

@pytest.mark.libreoffice
def test_soffice_is_installed():
    assert soffice_path()


def test_missing_libreoffice_is_an_error_not_a_skip(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="install-libreoffice.sh"):
        soffice_path()


@pytest.mark.libreoffice
def test_convert_recalculates_stale_cached_values(tmp_path):
    src = make_workbook(tmp_path / "in" / "book.xlsx")
    assert openpyxl.load_workbook(src, data_only=True)[SHEET]["A3"].value == 0

    (out,) = convert([src], "xlsx", tmp_path / "out")

    assert out == tmp_path / "out" / "book.xlsx"
    ws = openpyxl.load_workbook(out, data_only=True)[SHEET]
    assert ws["A3"].value == 5
    assert openpyxl.load_workbook(out)[SHEET]["A3"].value == "=A1+A2"  # still a live formula


@pytest.mark.libreoffice
def test_convert_handles_outdir_equal_to_input_dir(tmp_path):
    src = make_workbook(tmp_path / "book.xlsx")
    (out,) = convert([src], "ods", tmp_path)
    assert out == tmp_path / "book.ods" and out.stat().st_size > 0


@pytest.mark.libreoffice
def test_convert_reports_soffice_output_on_failure(tmp_path):
    # soffice exits 0 even when it writes nothing: the helper must notice the missing file.
    src = make_workbook(tmp_path / "in" / "book.xlsx")
    with pytest.raises(RuntimeError, match="(?s)did not produce.*No Such Filter"):
        convert([src], "xlsx:No Such Filter", tmp_path / "out")


@pytest.mark.libreoffice
@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_uno_fill_writes_each_format(lo, tmp_path, suffix):
    src = make_workbook(tmp_path / "book.xlsx")
    dest = lo.fill(src, tmp_path / f"filled{suffix}", {SHEET: {"A1": 10, "A2": 2.5, "B1": "某某局", "C1": "=A3*2"}})

    assert dest.is_file() and dest.stat().st_size > 0
    got = lo.recalc_read(dest, {SHEET: ["A1", "A3", "B1", "C1", "D9"]})
    assert got == {SHEET: {"A1": 10, "A3": 12.5, "B1": "某某局", "C1": 25, "D9": None}}
    if suffix == ".xlsx":
        ws = openpyxl.load_workbook(dest, data_only=True)[SHEET]
        assert (ws["A1"].value, ws["A3"].value, ws["B1"].value, ws["C1"].value) == (10, 12.5, "某某局", 25)
        assert openpyxl.load_workbook(dest)[SHEET]["A3"].value == "=A1+A2"


@pytest.mark.libreoffice
def test_uno_errors_are_reported_and_session_survives(lo, tmp_path):
    src = make_workbook(tmp_path / "book.xlsx")
    with pytest.raises(RuntimeError, match="no sheet"):
        lo.fill(src, tmp_path / "x.xlsx", {"不存在": {"A1": 1}})
    assert lo.recalc_read(src, {SHEET: ["A3"]}) == {SHEET: {"A3": 5}}


@pytest.mark.libreoffice
def test_pdf_and_png(tmp_path):
    src = make_workbook(tmp_path / "in" / "book.xlsx")
    (pdf,) = convert([src], "pdf", tmp_path / "out")
    assert pdf.read_bytes().startswith(b"%PDF")

    (png,) = pdf_to_png(pdf, tmp_path / "out" / "page")
    assert png.name == "page.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


# -- xlsx comparator -----------------------------------------------------------

def test_comparator_accepts_two_generations(tmp_path):
    a = make_workbook(tmp_path / "a.xlsx")
    b = make_workbook(tmp_path / "b.xlsx")
    assert compare_xlsx(a, b) == []
    assert_xlsx_equal(a.read_bytes(), b)


def test_comparator_reports_changed_cell(tmp_path):
    a = make_workbook(tmp_path / "a.xlsx")
    b = make_workbook(tmp_path / "b.xlsx", a2=4)

    diffs = compare_xlsx(a, b)

    assert len(diffs) == 1
    assert diffs[0].startswith("xl/worksheets/sheet1.xml: XML differs")
    assert "-<v>4</v>" in diffs[0] and "+<v>3</v>" in diffs[0]
    with pytest.raises(AssertionError, match="xl/worksheets/sheet1.xml"):
        assert_xlsx_equal(a, b)
    assert compare_xlsx(a, b, ignore_parts=["xl/worksheets/*"]) == []
    assert compare_xlsx(a, b, ignore_elements={"xl/worksheets/sheet1.xml": [r"<v>[34]</v>"]}) == []


def test_comparator_reports_part_lists(tmp_path):
    a = make_workbook(tmp_path / "a.xlsx")
    b = tmp_path / "b.xlsx"
    with zipfile.ZipFile(a) as src, zipfile.ZipFile(b, "w") as dst:
        for item in src.infolist():
            if item.filename != "docProps/app.xml":
                dst.writestr(item, src.read(item))
    (diff,) = [d for d in compare_xlsx(b, a) if d.startswith("part lists")]
    assert "missing ['docProps/app.xml']" in diff
