"""The template in a real spreadsheet application (LibreOffice headless, our stand-in for the
agencies' Excel/WPS): it opens, prints, resaves, and after a forced recalculation its totals and
live checks hold for a filled copy — and flag a broken one."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.support.libreoffice import UnoSession, convert, pdf_to_png
from tests.support.real_reports import load_real_reports, report_values

pytestmark = pytest.mark.libreoffice

AGENCY = ("平潭综合实验区", "350128")


@pytest.fixture(scope="module")
def template_path(factory, tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "template.xlsx"
    path.write_bytes(factory.build(*AGENCY))
    return path


def test_converts_to_pdf_and_xlsx_without_error(template_path, tmp_path, form):
    pdf, xlsx = convert([template_path], "pdf", tmp_path / "pdf")[0], convert([template_path], "xlsx", tmp_path / "x")[0]
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000
    pngs = pdf_to_png(pdf, tmp_path / "page", first_page_only=True)
    assert pngs and pngs[0].stat().st_size > 5_000
    wb = openpyxl.load_workbook(xlsx)
    for sheet in form.sheets:
        ws = wb[sheet.name]
        assert ws.protection.sheet
        for lb in sheet.labels:
            if not lb.stamped:
                assert ws.cell(lb.row + 1, lb.col + 1).value == lb.text


def _inputs_by_sheet(form, values):
    cells: dict[str, dict[str, object]] = {}
    for fid, v in values.items():
        f = form.fields[fid]
        if f.is_input and v is not None:
            cells.setdefault(f.sheet, {})[f.cell] = v
    return cells


def _r1_broken_columns(form, v) -> int:
    cols = form.spec.sets["t3_cols"]
    total = lambda row, c: (  # noqa: E731 - independent arithmetic, not the code under test
        sum(v[f"t3.{row}.{a}"] or 0 for a in form.spec.sets["t3_applicants"]) if c == "total" else v[f"t3.{row}.{c}"] or 0
    )
    outcomes = form.spec.sets["t3_outcomes"]
    return sum(
        1
        for c in cols
        if total("new", c) + total("carried", c) != sum(total(o, c) for o in outcomes) + total("next", c)
    )


def test_filled_in_libreoffice_totals_and_checks_hold(template_path, tmp_path, form):
    report = next(r for r in load_real_reports() if r["agency"].startswith("平潭") and r["year"] == 2021)
    # The published report has no 填报人/联系电话; a return must (the live check counts them).
    values = {**report_values(form, report), "unit.contact": "张三", "unit.phone": "0591-1234567"}
    values["s5.text"] = values.get("s5.text") or "存在的主要问题：公开内容还不够丰富。改进措施：加强培训。"
    broken = dict(values)
    broken["t3.new.natural"] = (values["t3.new.natural"] or 0) + 5  # five applications never accounted for
    t3, info = form.sheet("t3").name, form.sheet("info").name
    total_cells = [form.fields[f"t3.{r}.total"].cell for r in form.spec.sets["t3_rows"]]
    total_cells += [form.fields[f"t3.total.{c}"].cell for c in form.spec.sets["t3_applicants"]]
    check_cells = [f"{c}35" for c in "DEFGHIJ"]
    with UnoSession() as lo:
        good = lo.fill(template_path, tmp_path / "good.xlsx", _inputs_by_sheet(form, values))
        bad = lo.fill(template_path, tmp_path / "bad.xls", _inputs_by_sheet(form, broken))
        got = lo.recalc_read(good, {t3: total_cells + check_cells, info: ["B14"], form.sheet("t4").name: ["E6", "J6", "O6"]})
        got_bad = lo.recalc_read(bad, {t3: check_cells, info: ["B14"]})
    expected = form.compute_derived({f.id: (values.get(f.id) or 0) for f in form.numeric_fields})
    for fid in [f"t3.{r}.total" for r in form.spec.sets["t3_rows"]] + [f"t3.total.{c}" for c in form.spec.sets["t3_applicants"]]:
        assert got[t3][form.fields[fid].cell] == expected[fid], fid
    assert [got["四、复议诉讼"][c] for c in ("E6", "J6", "O6")] == [3, 12, 0]
    assert _r1_broken_columns(form, values) == 0
    assert [got[t3][c] for c in check_cells] == ["✓"] * 7
    assert got[info]["B14"] == "校验通过"
    assert got_bad[t3]["D35"] == "✗" and got_bad[t3]["J35"] == "✗" and got_bad[t3]["E35"] == "✓"
    assert got_bad[info]["B14"] == f"有 {_r1_broken_columns(form, broken)} 处问题" == "有 2 处问题"


def test_protection_and_validation_survive_a_libreoffice_resave(template_path, tmp_path, form):
    with UnoSession() as lo:
        saved = lo.fill(template_path, tmp_path / "saved.xlsx", {form.sheet("t3").name: {"D6": 4}})
    wb = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))
    ws = wb[form.sheet("t3").name]
    assert ws.protection.sheet and ws["D6"].protection.locked is False and ws["J6"].protection.locked is not False
    assert any(str(dv.sqref) == "D6" and dv.type == "whole" for dv in ws.data_validations.dataValidation)
    assert form.fields["t3.new.natural"].defined_name in wb.defined_names
