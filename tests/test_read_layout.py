"""Layout verification: labels where the definition puts them, and what to do when they are not."""

from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName

from tests.returned import FORM, build, parts, pack, set_label, with_openpyxl, write
from xlflow.cells import a1, quote_sheet
from xlflow.validate import validate_file

T3 = FORM.sheet("t3").name
T2 = FORM.sheet("t2").name


def check(tmp_path, data, name="return.xlsx"):
    r = validate_file(write(tmp_path, data, name), FORM)
    return r


def _insert_rows(wb, sheet, before, n, move_names):
    ws = wb[sheet]
    ws.insert_rows(before, n)
    if move_names:  # what Excel does: names follow the cells they point to
        for f in FORM.fields.values():
            if f.sheet == sheet and f.row + 1 >= before:
                wb.defined_names[f.defined_name] = DefinedName(f.defined_name, attr_text=f"{quote_sheet(sheet)}!${a1(f.row + n, f.col).rstrip('0123456789')}${f.row + n + 1}")


def test_inserted_rows_read_through_defined_names(tmp_path):
    data = with_openpyxl(build(), lambda wb: _insert_rows(wb, T3, 12, 2, move_names=True))
    r = check(tmp_path, data)
    moved = [f for f in r.findings if f.rule == "layout-moved"]
    assert r.status == "valid", [f.message for f in r.findings]
    assert len(moved) == 1 and moved[0].sheet == T3 and "定义名称" in moved[0].message and "下移2行" in moved[0].message
    assert r.values["t3.unable_no_info.natural"] == 1 and r.values["t3.next.business"] == 1


def test_inserted_rows_without_names_read_through_labels(tmp_path):
    def edit(wb):
        _insert_rows(wb, T3, 12, 1, move_names=False)
        for n in list(wb.defined_names):
            del wb.defined_names[n]

    r = check(tmp_path, with_openpyxl(build(), edit))
    moved = [f for f in r.findings if f.rule == "layout-moved"]
    assert r.status == "valid", [f.message for f in r.findings]
    assert len(moved) == 1 and "表格标签" in moved[0].message
    assert r.values["t3.next.natural"] == 1 and r.values["t3.unable_no_info.natural"] == 1


def test_inserted_column_read_through_labels(tmp_path):
    def edit(wb):
        wb[T3].insert_cols(4, 1)  # before column D (自然人)
        for n in list(wb.defined_names):
            del wb.defined_names[n]

    r = check(tmp_path, with_openpyxl(build(), edit))
    assert r.status == "valid", [f.message for f in r.findings]
    assert any(f.rule == "layout-moved" and "右移1列" in f.message for f in r.findings)
    assert r.values["t3.new.natural"] == 5 and r.values["t3.new.business"] == 2


def test_renamed_sheet(tmp_path):
    def edit(wb):
        wb[T2].title = "表二"
        for f in FORM.fields.values():
            if f.sheet == T2:
                wb.defined_names[f.defined_name] = DefinedName(f.defined_name, attr_text=f"'表二'!${a1(f.row, f.col).rstrip('0123456789')}${f.row + 1}")

    r = check(tmp_path, with_openpyxl(build(), edit))
    assert r.status == "valid"
    (ren,) = [f for f in r.findings if f.rule == "sheet-renamed"]
    assert ren.expected == T2 and ren.actual == "表二"
    assert r.values["t2.licensing"] == 120


def test_deleted_sheet_is_unreadable(tmp_path):
    r = check(tmp_path, with_openpyxl(build(), lambda wb: wb.remove(wb[T3])))
    assert r.status == "unreadable" and [f.rule for f in r.findings] == ["sheet-missing"]
    assert T3 in r.findings[0].message


def test_label_typo_is_a_warning(tmp_path):
    r = check(tmp_path, set_label(build(), T3, "2.其他法律行政法规禁止公开", "2.其他法律行政止公开"))
    assert r.status == "valid"
    (f,) = r.findings
    assert (f.rule, f.sheet, f.cell, f.expected, f.actual) == ("label-mismatch", T3, "C11", "2.其他法律行政法规禁止公开", "2.其他法律行政止公开")


def test_2019_layout_is_one_finding(tmp_path):
    r = check(tmp_path, set_label(build(), T2, "本年制发件数", "本年新制作数量"))
    assert r.status == "unreadable" and [f.rule for f in r.findings] == ["old-2019-layout"]
    assert "本年新制作数量" in r.findings[0].message


def test_2019_workbook_without_identity(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "二、主动公开政府信息情况"
    ws["A1"], ws["B2"], ws["C2"], ws["D2"] = "第二十条第（一）项", "本年新制作数量", "本年新公开数量", "对外公开总数量"
    data = with_openpyxl(_empty_xlsx(wb), lambda _: None)
    r = check(tmp_path, data)
    assert r.status == "unreadable" and [f.rule for f in r.findings] == ["old-2019-layout"]


def test_foreign_workbook_is_not_a_template(tmp_path):
    wb = Workbook()
    wb.active["A1"] = "工资表"
    r = check(tmp_path, _empty_xlsx(wb))
    assert r.status == "unreadable" and [f.rule for f in r.findings] == ["not-a-template"]


def test_copied_into_fresh_workbook_reads_by_position(tmp_path):
    """No identity (contents pasted into a new workbook), layout intact: read, with a warning."""
    p = parts(build())
    p.pop("docProps/custom.xml")
    src = with_openpyxl(pack(p), lambda wb: wb.remove(wb["_xlflow"]))
    r = check(tmp_path, src)
    assert "identity-missing" in [f.rule for f in r.findings]
    assert r.status == "valid" and r.agency_code == "370829014" and r.values["t2.licensing"] == 120


def _empty_xlsx(wb):
    import io

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
