"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError, XlflowError
from ..form import DEFAULT_FORM, Form, load_form

FormOpt = Annotated[
    str,
    typer.Option("--form", help="报表定义：内置编号（见 xlflow forms）或 YAML 定义文件路径。", show_default=True),
]
YearOpt = Annotated[Optional[int], typer.Option("--year", help="报告年度，例如 2024。")]
AgenciesOpt = Annotated[
    Optional[Path],
    typer.Option("--agencies", help="单位名单：CSV（列 code,name 或 单位代码,单位名称；UTF-8 或 GBK）或 .xlsx。"),
]

DEFAULT_FORM_ID = DEFAULT_FORM


def get_form(ref: str) -> Form:
    return load_form(ref)


def check_year(year: int | None) -> None:
    if year is not None and not (2000 <= year <= 2100):
        raise UsageError(f"年度 {year} 不合理，请填写四位年份，例如 2024。")


def require_spreadsheets(paths: list[Path]) -> None:
    """The same message and exit code (1) in every command for a folder with no spreadsheet:
    checked before any work, from the same walk validation does. (Once there is one, every
    other file of the folder gets its own finding: a PDF among the returns is named as such.)"""
    from ..validate import SPREADSHEET_SUFFIXES, input_files

    named = {Path(p) for p in paths if Path(p).is_file()}  # a file named is always checked
    if not any(e.skip is None and (e.path in named or e.path.suffix.lower() in SPREADSHEET_SUFFIXES) for e in input_files(paths)):
        where = "、".join(str(p) for p in paths)
        raise XlflowError(f"在 {where} 中没有找到报表文件（.xlsx/.xlsm/.xls/.ods）。请检查路径是否正确。")


def parse_date(text: str, option: str):
    """A date as clerks write it: 2024-01-31, 2024/1/31, 2024.1.31 or 2024年1月31日."""
    import re
    from datetime import date

    m = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*", text)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        pass
    raise UsageError(f"{option} 的日期“{text}”无法识别，请写成 2024-01-31 或 2024年1月31日。")
