"""--annotate copies: offending cells marked and commented, everything else intact."""

import hashlib

from openpyxl import load_workbook

from tests.returned import FORM, build, clean_values, set_cell, write
from xlflow.annotate import annotate_file
from xlflow.validate import validate_file


def test_annotated_copy_marks_cells_and_keeps_the_workbook(tmp_path):
    src = write(tmp_path, set_cell(build(clean_values(**{"t3.next.business": 0})), "t2.penalty", "/"))
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    r = validate_file(src, FORM)
    out = annotate_file(r, tmp_path / "out")
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before  # original untouched
    wb = load_workbook(out)
    t2, t3 = wb[FORM.sheet("t2").name], wb[FORM.sheet("t3").name]
    assert "value-placeholder" in t2["B12"].comment.text and "“/”" in t2["B12"].comment.text
    assert t2["B12"].fill.start_color.rgb.endswith("FFC7CE")
    assert "R1" in t3["E30"].comment.text
    # what makes it the agency's template still holds
    assert t3.protection.sheet and wb.security.lockStructure
    assert len(t3.data_validations.dataValidation) > 0 and t3.merged_cells.ranges
    assert "xlf_t3_new_natural" in wb.defined_names
    assert wb["_xlflow"].sheet_state == "veryHidden"
    assert {p.name for p in wb.custom_doc_props.props} >= {"xlflow_form_id", "xlflow_agency_code"}
    # and it is still a valid input: the annotated copy reads like the original
    again = validate_file(out, FORM)
    assert [f.rule for f in again.findings if f.rule != "formulas-not-calculated"] == [f.rule for f in r.findings]


def test_nothing_to_annotate(tmp_path):
    r = validate_file(write(tmp_path, build()), FORM)
    assert annotate_file(r, tmp_path / "out") is None and not (tmp_path / "out").exists()
