"""The agency roster (单位名单): who must report, with their codes.

Read from CSV (UTF-8 with or without BOM, or GBK/GB18030 as Excel on Chinese Windows saves it)
or from the first sheet of an .xlsx/.xls/.ods. Any problem is a ``RosterError`` naming the
file and the line, because the clerk fixes it in the file.

Besides code and name (all that validation reads), a roster may have a group column (分组:
县直部门 / 乡镇（街道）, for the summary's subtotals) and contact columns (联系人, 联系电话 …,
for the 催报 list); both are optional and kept on ``Agency`` as typed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

from .cells import cell_text
from .errors import RosterError

CODE_HEADERS = ("code", "单位代码", "代码", "agency_code")
NAME_HEADERS = ("name", "单位名称", "名称", "agency_name")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")  # "3.70829E+08": Excel's display, saved
_ROUNDED = re.compile(r"^[1-9]\d{0,5}0{5,}$")  # 370829000000: what 3.70829E+11 reads back as
SAVE_AS_TEXT = (
    "Excel把单位代码当成了数字，原来的代码已经丢失。请打开原始名单，选中单位代码列，右键“设置单元格格式”→“文本”，"
    "重新粘贴或输入代码（也可以在每个代码前加英文单引号'），然后另存为 .xlsx（建议）或“CSV UTF-8”；"
    "CSV 名单不要再用Excel打开后保存，否则代码会再次被改。"
)


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    line: int  # line in the roster file (1 = header)
    group: str = ""  # 县直部门 / 乡镇（街道） …: the roster's group column, "" without one
    contacts: tuple[tuple[str, str], ...] = ()  # (header, value) of the roster's contact columns


def load_roster(path: Path) -> list[Agency]:
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"单位名单文件不存在：{path}")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        rows = _spreadsheet_rows(path)
    else:
        rows = list(csv.reader(io.StringIO(_decode(path))))
    return _with_extras(_parse(path, rows), rows)


GROUP_HEADERS = ("group", "分组", "类别", "单位类别", "单位分组")
# Contact columns keep the roster's own header, in the roster's column order.
CONTACT_HEADERS = ("联系人", "联系电话", "电话", "手机", "办公电话", "联系方式", "邮箱", "contact", "phone", "email")


def _with_extras(agencies: list[Agency], rows: list[list[str]]) -> list[Agency]:
    """The optional group and contact columns, read after the checks of code and name (each
    agency's ``line`` says which row is its own)."""
    rows = [[cell_text(c).strip() for c in r] for r in rows]
    header_at = next(i for i, r in enumerate(rows) if any(r))
    header = [h.lower() for h in rows[header_at]]
    group_col = next((header.index(h) for h in GROUP_HEADERS if h in header), None)
    contact_cols = [(k, rows[header_at][k]) for k, h in enumerate(header) if h in CONTACT_HEADERS]
    if group_col is None and not contact_cols:
        return agencies

    def cell(row: list[str], col: int) -> str:
        return row[col] if col < len(row) else ""

    out = []
    for a in agencies:
        row = rows[a.line - 1]
        group = cell(row, group_col) if group_col is not None else ""
        out.append(replace(a, group=group, contacts=tuple((h, cell(row, k)) for k, h in contact_cols)))
    return out


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise RosterError(f"单位名单 {path} 的编码无法识别：请另存为“CSV UTF-8”或 .xlsx。")


def _spreadsheet_rows(path: Path) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        data = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken files
        raise RosterError(f"单位名单 {path} 无法打开：{exc}") from None
    return [[cell_text(v) for v in row] for row in data]


def _parse(path: Path, rows: list[list[str]]) -> list[Agency]:
    rows = [[c.strip() for c in r] for r in rows]
    header_at = next((i for i, r in enumerate(rows) if any(r)), None)
    if header_at is None:
        raise RosterError(f"单位名单 {path} 是空的。")
    header = [h.lower() for h in rows[header_at]]
    code_col = next((header.index(h) for h in CODE_HEADERS if h in header), None)
    name_col = next((header.index(h) for h in NAME_HEADERS if h in header), None)
    if code_col is None or name_col is None:
        missing = "code（单位代码）" if code_col is None else "name（单位名称）"
        raise RosterError(
            f"单位名单 {path} 第{header_at + 1}行（表头）缺少列 {missing}。"
            f"表头应为 code,name 或 单位代码,单位名称，实际为：{','.join(rows[header_at])}"
        )
    agencies: list[Agency] = []
    seen_code: dict[str, int] = {}
    seen_name: dict[str, int] = {}
    for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(row):
            continue
        code = row[code_col] if code_col < len(row) else ""
        name = row[name_col] if name_col < len(row) else ""
        if not code:
            raise RosterError(f"单位名单 {path} 第{i}行：单位代码为空（单位名称“{name}”）。")
        if not name:
            raise RosterError(f"单位名单 {path} 第{i}行：单位名称为空（单位代码“{code}”）。")
        for what, text in (("单位代码", code), ("单位名称", name)):
            if _CONTROL.search(text):
                raise RosterError(f"单位名单 {path} 第{i}行：{what}含有不可见的控制字符。")
        _check_mangled(path, i, code, seen_code)
        if code in seen_code:
            raise RosterError(f"单位名单 {path} 第{i}行：单位代码“{code}”与第{seen_code[code]}行重复。")
        if name in seen_name:
            raise RosterError(f"单位名单 {path} 第{i}行：单位名称“{name}”与第{seen_name[name]}行重复。")
        seen_code[code], seen_name[name] = i, i
        agencies.append(Agency(code, name, i))
    if not agencies:
        raise RosterError(f"单位名单 {path} 只有表头，没有单位。")
    _check_lost_zeros(path, agencies)
    return agencies


def _check_mangled(path: Path, line: int, code: str, seen_code: dict[str, int]) -> None:
    """Codes Excel turned into numbers: shown as "3.70829E+08" and saved that way, or read
    back as 370829000000 (only telling where two units came out the same)."""
    if _SCIENTIFIC.match(code):
        raise RosterError(f"单位名单 {path} 第{line}行：单位代码“{code}”是科学记数法。{SAVE_AS_TEXT}")
    if code in seen_code and _ROUNDED.match(code):
        raise RosterError(
            f"单位名单 {path} 第{line}行：单位代码“{code}”与第{seen_code[code]}行相同，"
            f"像是长代码被Excel按科学记数法（{code[0]}.{code[1:6].rstrip('0') or '0'}E+{len(code) - 1}）取整后的结果。{SAVE_AS_TEXT}"
        )


def _check_lost_zeros(path: Path, agencies: list[Agency]) -> None:
    """Codes that lost their leading zeros: all digits, of different lengths, and only zero
    padding gives them the common prefix (the county's) that the longest ones start with."""
    codes = [a.code for a in agencies]
    if len(codes) < 2 or not all(c.isdigit() for c in codes):
        return
    width = max(len(c) for c in codes)
    short = [a for a in agencies if len(a.code) < width]
    if not short:
        return
    padded = [c.zfill(width) for c in codes]
    prefix = padded[0]
    for c in padded[1:]:
        while not c.startswith(prefix):
            prefix = prefix[:-1]
    if len(prefix) >= 2 and prefix.startswith("0"):
        first = short[0]
        raise RosterError(
            f"单位名单 {path} 第{first.line}行：单位代码“{first.code}”比其他代码短（应为{width}位，"
            f"像是{first.code.zfill(width)}丢掉了开头的0；共{len(short)}个代码如此）。{SAVE_AS_TEXT}"
        )
