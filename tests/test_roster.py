"""The roster as clerks really save it: UTF-8 with/without BOM, GBK from Excel, .xlsx."""

from __future__ import annotations

import pytest
import xlsxwriter

from xlflow.errors import RosterError
from xlflow.roster import load_roster

ROWS = "单位代码,单位名称\n370829001,嘉祥县人民政府办公室\n370829002,嘉祥县发展和改革局\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "名单.csv"
    path.write_bytes(ROWS.encode(encoding))
    agencies = load_roster(path)
    assert [(a.code, a.name, a.line) for a in agencies] == [
        ("370829001", "嘉祥县人民政府办公室", 2),
        ("370829002", "嘉祥县发展和改革局", 3),
    ]


def test_english_headers_extra_columns_and_blank_lines(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("name,code,备注\n 甲单位 , A1 ,x\n\n乙单位,A2,\n", encoding="utf-8")
    assert [(a.code, a.name) for a in load_roster(path)] == [("A1", "甲单位"), ("A2", "乙单位")]


def test_xlsx_roster_with_numeric_codes(tmp_path):
    path = tmp_path / "r.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["单位代码", "单位名称"])
    ws.write_row(1, 0, [370829001, "甲单位"])
    ws.write_row(2, 0, ["B-2", "乙单位"])
    wb.close()
    assert [(a.code, a.name) for a in load_roster(path)] == [("370829001", "甲单位"), ("B-2", "乙单位")]


@pytest.mark.parametrize(
    "content,message",
    [
        ("单位名称\n甲\n", "第1行（表头）缺少列 code（单位代码）"),
        ("code,name\nA1,甲\nA1,乙\n", "第3行：单位代码“A1”与第2行重复"),
        ("code,name\nA1,甲\nA2,\n", "第3行：单位名称为空"),
        ("code,name\nA1,甲\n,乙\n", "第3行：单位代码为空"),
        ("code,name\nA1,甲\nA2,甲\n", "第3行：单位名称“甲”与第2行重复"),
        ("code,name\n", "只有表头"),
        ("", "是空的"),
    ],
)
def test_bad_rosters_name_the_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RosterError) as err:
        load_roster(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_missing_and_undecodable_files(tmp_path):
    with pytest.raises(RosterError, match="不存在"):
        load_roster(tmp_path / "nope.csv")
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x30\x81\x30\xff")
    with pytest.raises(RosterError):
        load_roster(path)


@pytest.mark.parametrize(
    "codes, line, shown",
    [
        (["3.70829E+08", "3.70829E+08"], 2, "“3.70829E+08”是科学记数法"),  # saved as Excel showed it
        (["370829001", "3.7083E+11"], 3, "“3.7083E+11”是科学记数法"),
        (["370829000000", "370829000000"], 3, "像是长代码被Excel按科学记数法（3.70829E+11）取整"),
        (["0101001", "0101002", "101003"], 4, "“101003”比其他代码短（应为7位，像是0101003丢掉了开头的0；共1个"),
    ],
)
def test_codes_excel_mangled_say_how_to_save_them_as_text(tmp_path, codes, line, shown):
    path = tmp_path / "名单.csv"
    path.write_text("单位代码,单位名称\n" + "".join(f"{c},单位{i}\n" for i, c in enumerate(codes)), encoding="utf-8")
    with pytest.raises(RosterError) as exc:
        load_roster(path)
    message = str(exc.value)
    assert f"第{line}行" in message and shown in message, message
    assert "设置单元格格式”→“文本”" in message


def test_codes_that_only_look_alike_are_kept(tmp_path):
    """A county's own 12-digit code ends in zeros; codes of different lengths without a shared
    zero prefix are simply different codes."""
    path = tmp_path / "名单.csv"
    path.write_text("code,name\n370829000000,嘉祥县\n370829001001,甲\n7,乙\n12,丙\n", encoding="utf-8")
    assert [a.code for a in load_roster(path)] == ["370829000000", "370829001001", "7", "12"]


def test_group_and_contact_columns_are_kept_as_typed(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("单位代码,单位名称,分组,联系人,联系电话,备注\nA1,甲局,县直部门,张三,0537-1,x\nA2,乙街道,乡镇（街道）,,0537-2,\nA3,丙局,,李四,,\n",
                    encoding="utf-8")
    a1, a2, a3 = load_roster(path)
    assert (a1.group, a1.contacts) == ("县直部门", (("联系人", "张三"), ("联系电话", "0537-1")))
    assert (a2.group, dict(a2.contacts)) == ("乡镇（街道）", {"联系人": "", "联系电话": "0537-2"})
    assert a3.group == "" and dict(a3.contacts)["联系人"] == "李四"


def test_a_roster_without_the_optional_columns_has_none(tmp_path):
    path = tmp_path / "r.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["code", "name", "group", "phone"])
    ws.write_row(1, 0, ["A1", "甲单位", "乡镇", 5371234])
    wb.close()
    (a,) = load_roster(path)
    assert (a.group, a.contacts) == ("乡镇", (("phone", "5371234"),))
    plain = tmp_path / "p.csv"
    plain.write_text(ROWS, encoding="utf-8")
    assert all(x.group == "" and x.contacts == () for x in load_roster(plain))
