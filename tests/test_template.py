"""The generated template: locked, validated, self-describing, deterministic."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.live_cases import CASES, count
from tests.returned import CODE, FORM, NAME, clean_values
from tests.returned import factory as returned_factory
from xlflow.form import load_form
from xlflow.template import TemplateFactory, template_filename
from xlflow.template.package import legacy_password_hash
from xlflow.template.styles import INPUT_FILL
from xlflow.validate import validate_file

MINI_FORM = Path(__file__).parent / "forms" / "mini-2099.yaml"

AGENCY = ("嘉祥县金融工作服务中心", "370829014")


@pytest.fixture(scope="module")
def xlsx(factory) -> bytes:
    return factory.build(*AGENCY)


@pytest.fixture(scope="module")
def wb(xlsx):
    return openpyxl.load_workbook(io.BytesIO(xlsx))


def part(xlsx: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zf:
        return zf.read(name).decode("utf-8")


def merged_first_cells(ws) -> dict[str, str]:
    """Every cell of a merged range -> the range's first cell (the one that holds the value)."""
    out = {}
    for rng in ws.merged_cells.ranges:
        first = rng.start_cell.coordinate
        for row in ws.iter_rows(min_row=rng.min_row, max_row=rng.max_row, min_col=rng.min_col, max_col=rng.max_col):
            for c in row:
                out[c.coordinate] = first
    return out


@pytest.mark.parametrize("ref", ["gov-info-annual-2021", str(MINI_FORM)])
def test_only_input_cells_are_unlocked(ref):
    form = load_form(ref)
    wb = openpyxl.load_workbook(io.BytesIO(TemplateFactory(form, 2024).build("某单位", "001")))
    for sheet in form.sheets:
        ws = wb[sheet.name]
        assert ws.protection.sheet, f"{sheet.name} is not protected"
        inputs = {f.cell for f in sheet.fields if f.is_input}
        first = merged_first_cells(ws)
        seen_inputs = set()
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row + 2, max_col=ws.max_column + 2):
            for c in row:
                home = first.get(c.coordinate, c.coordinate)
                if home in inputs:
                    seen_inputs.add(home)
                    if home == c.coordinate:
                        assert c.protection.locked is False, f"{sheet.name}!{c.coordinate} input is locked"
                else:
                    assert c.protection.locked is not False, f"{sheet.name}!{c.coordinate} is unlocked"
        assert seen_inputs == inputs


def test_structure_is_locked_with_the_password(xlsx, wb):
    assert wb.security.lockStructure
    xml = part(xlsx, "xl/workbook.xml")
    assert f'workbookPassword="{legacy_password_hash("xlflow2021")}"' in xml
    # workbookProtection must precede bookViews (schema order) or Excel repairs the file
    assert xml.index("<workbookProtection") < xml.index("<bookViews>")


def test_sheet_password_is_the_county_password(form):
    data = TemplateFactory(form, 2024, password="嘉祥2024").build(*AGENCY)
    for i in range(1, len(form.sheets) + 2):
        xml = part(data, f"xl/worksheets/sheet{i}.xml")
        assert f'password="{legacy_password_hash("嘉祥2024")}"' in xml


def test_input_cells_are_shaded_and_start_at_their_default(form, wb):
    for f in form.input_fields:
        c = wb[f.sheet][f.cell]
        assert c.fill.fgColor.rgb.upper().endswith(INPUT_FILL[1:].upper()), f.id
        if f.type.numeric:
            assert c.value == 0, f.id
    assert wb["基本信息"]["B6"].value == "本级"


def test_every_input_carries_data_validation_with_chinese_messages(form, wb):
    for sheet in form.sheets:
        dvs = {}
        for dv in wb[sheet.name].data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                dvs[rng.coord] = dv
        for f in sheet.fields:
            if not f.is_input:
                assert f.cell not in dvs
                continue
            dv = dvs[f.cell]
            assert dv.showErrorMessage and dv.error and dv.errorTitle == "输入有误", f.id
            kind = f.type.spec.kind
            if kind == "integer":
                assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0"), f.id
            elif kind == "decimal":
                d = f.type.spec.decimals
                assert dv.type == "custom" and f"ROUND({f.cell},{d})={f.cell}" in dv.formula1, f.id
            elif kind == "choice":
                assert dv.type == "list" and dv.formula1 == '"本级,汇总"'
            elif kind == "date":
                assert dv.type == "date"
            else:
                assert dv.type == "textLength" and dv.operator == "lessThanOrEqual"


def test_totals_are_formulas_with_correct_cached_values(form, factory):
    values = {f"t3.new.{c}": i + 1 for i, c in enumerate(form.spec.sets["t3_applicants"])}
    values |= {f"t3.granted.{c}": i + 1 for i, c in enumerate(form.spec.sets["t3_applicants"])}
    values |= {"t3.deny_secret.natural": 2, "t3.next.natural": 0, "t4.review.upheld": 3, "t4.review.pending": 4}
    data = factory.build(*AGENCY, values=values)
    formulas = openpyxl.load_workbook(io.BytesIO(data))
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    ws, wc = formulas["三、依申请公开"], cached["三、依申请公开"]
    assert ws["J6"].value == "=SUM(D6:I6)"
    assert ws["D29"].value == "=SUM(D8:D28)"
    assert wc["J6"].value == 21 and wc["D29"].value == 3 and wc["J29"].value == 23
    assert cached["四、复议诉讼"]["E6"].value == 7
    # R1 live check: the natural column (1 in, 3 out) and so the 总计 column are broken
    assert wc["D34"].value == -2 and wc["D35"].value == "✗" and wc["E35"].value == "✓" and wc["J35"].value == "✗"
    # two broken R1 columns, and 填报人, 联系电话, 第五部分 still empty
    assert cached["基本信息"]["B14"].value == "有 5 处问题"


def test_blank_template_does_not_pass(xlsx):
    """An untouched template is not a valid return: the required fields are empty."""
    cached = openpyxl.load_workbook(io.BytesIO(xlsx), data_only=True)["基本信息"]
    assert cached["B14"].value == "有 3 处问题"
    assert cached["B15"].value == "无"  # S7 is not counted while 第五部分 is an error already


def test_identity_is_stored_for_the_reader(xlsx, wb, form):
    custom = part(xlsx, "docProps/custom.xml")
    for key, value in {
        "xlflow_form_id": form.form_id,
        "xlflow_year": "2024",
        "xlflow_agency_code": AGENCY[1],
        "xlflow_agency_name": AGENCY[0],
        "xlflow_fingerprint": form.fingerprint,
    }.items():
        assert re.search(f'name="{key}"><vt:lpwstr>{re.escape(value)}</vt:lpwstr>', custom), key
    meta = wb["_xlflow"]
    assert meta.sheet_state == "veryHidden"
    rows = {r[0]: r[1] for r in meta.iter_rows(values_only=True) if r[0]}
    assert rows["xlflow_agency_name"] == AGENCY[0] and rows["xlflow_form_version"] == form.version
    assert rows["t3.next.natural"] == "三、依申请公开"


def test_a_defined_name_for_every_field(wb, form):
    names = wb.defined_names
    for f in form.fields.values():
        dest = list(names[f.defined_name].destinations)
        assert dest == [(f.sheet, f"${re.sub(r'[0-9]', '', f.cell)}${re.sub(r'[A-Z]', '', f.cell)}")]


def test_print_setup(form, wb):
    for sheet in form.sheets:
        ws = wb[sheet.name]
        assert ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
        tall = ws.page_setup.fitToHeight  # absent means 1 (OOXML's default)
        assert (1 if tall is None else int(tall)) == sheet.spec.fit_pages  # 0: as tall as needed; 表三: 1
        assert (ws.page_setup.orientation == "landscape") == sheet.spec.landscape
        assert "嘉祥县金融工作服务中心" in ws.oddHeader.left.text and ws.oddHeader.right.text == sheet.name
        assert "第 &P 页" in ws.oddFooter.center.text
    assert wb["三、依申请公开"].print_title_rows == "$3:$5"
    assert wb["三、依申请公开"].freeze_panes == "D6"


def test_stamped_agency_appears_in_the_file(wb):
    assert wb["基本信息"]["B3"].value == AGENCY[0]
    assert wb["基本信息"]["B4"].value == AGENCY[1]
    assert wb["基本信息"]["B5"].value == 2024
    assert wb["三、依申请公开"]["A2"].value == f"填报单位：{AGENCY[0]}\u3000\u3000年度：2024年"


def test_generation_is_deterministic(form, factory, xlsx):
    assert TemplateFactory(form, 2024).build(*AGENCY) == xlsx
    assert factory.build(*AGENCY) == xlsx


@pytest.mark.parametrize(
    "name,code",
    [
        AGENCY,
        ("A&B<公司>\"引号\"", "x&1"),
        ("总计", "370829"),  # equals a label: xlsxwriter shares the string, stamping must not differ
        ("结果维持", "2024"),
        ("名称_x0041_怪", "c1"),
    ],
)
def test_stamping_is_byte_identical_to_a_full_build(factory, name, code):
    assert factory.build(name, code) == factory.build_full(name, code)


def test_file_names_carry_code_name_and_year(form):
    assert template_filename(form, 2024, "370829014", "嘉祥县金融工作服务中心") == (
        "370829014_嘉祥县金融工作服务中心_2024年政府信息公开工作年度报告.xlsx"
    )
    assert "/" not in template_filename(form, 2024, "a/b", 'c:d*"')


def test_text_that_looks_like_a_formula_stays_text(factory):
    data = factory.build(*AGENCY, values={"s5.text": "=HYPERLINK(\"x\")", "unit.contact": "+86 123"})
    ws = openpyxl.load_workbook(io.BytesIO(data))["五、问题及改进"]
    assert ws["B3"].data_type == "s" and ws["B3"].value == '=HYPERLINK("x")'


def test_mini_form_generates_from_its_definition_alone(mini_form):
    data = TemplateFactory(mini_form, 2099).build("某单位", "X1", values={"fruit.apples.first": 1, "fruit.pears.first": 2})
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    assert wb.sheetnames == ["说明", "封面", "水果", "_xlflow"]
    assert wb["水果"]["D3"].value == 1 and wb["水果"]["B10"].value == "✗"
    assert wb["封面"]["B8"].value == "有 2 处问题"  # columns 上半年 and 全年


def test_blank_and_text_inputs_cache_totals_as_excel_would(factory):
    # a return with a blank and a "/" in number cells: SUM treats both as 0, like Excel
    data = factory.build(*AGENCY, values={"t3.new.natural": None, "t3.new.business": "/", "t3.new.research": 2})
    ws = openpyxl.load_workbook(io.BytesIO(data), data_only=True)["三、依申请公开"]
    assert ws["D6"].value is None and ws["E6"].value == "/" and ws["J6"].value == 2


def test_outputs_are_written_atomically_with_normal_permissions(tmp_path):
    import os

    from xlflow.fsutil import atomic_write_bytes

    target = tmp_path / "sub" / "out.xlsx"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["out.xlsx"]
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_shown_check_marks_use_the_rules_own_comparison(mini_form):
    # M1 is "apples >= pears": 3 apples and 1 pear holds, and must show ✓ (not "difference is 0")
    data = TemplateFactory(mini_form, 2099).build("某单位", "X1", values={"fruit.apples.first": 3, "fruit.pears.first": 1})
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    assert [wb["水果"][c].value for c in ("B10", "C10", "D10")] == ["✓", "✓", "✓"]
    assert openpyxl.load_workbook(io.BytesIO(data))["水果"]["B10"].value == '=IF(B7>=B8,"✓","✗")'


@pytest.mark.parametrize("case", [c for c, (_, typed_over) in CASES.items() if not typed_over])
def test_cached_live_status_is_the_validators_verdict(case, tmp_path):
    """A program that never recalculates shows the cached status: it must be the validator's."""
    changes, _ = CASES[case]
    values = None if changes is None else {**clean_values(), **changes}
    data = returned_factory().build(NAME, CODE, values) if values is not None else returned_factory().build(NAME, CODE)
    path = tmp_path / "r.xlsx"
    path.write_bytes(data)
    ws = openpyxl.load_workbook(io.BytesIO(data), data_only=True)["基本信息"]
    r = validate_file(path, FORM, year=2024)
    assert count(ws["B14"].value, "校验通过") == r.errors, [f.message for f in r.findings]
    assert count(ws["B15"].value, "无") == r.warnings, [f.message for f in r.findings]
