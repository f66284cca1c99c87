"""xlflow import-year: bring in a year collected without a workspace (for the cross-year checks)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ._common import check_year
from ._workspace import DEFAULT_ACTOR, ActorOpt, DirArg, open_workspace, refresh


def import_year(
    dir: DirArg,
    source: Annotated[Path, typer.Argument(help="那一年的汇总表（xlflow merge 生成的），或各单位报表所在的文件夹。")],
    year: Annotated[int, typer.Option("--year", help="导入的年度，例如 2023。")],
    actor: ActorOpt = DEFAULT_ACTOR,
) -> None:
    """导入不是在工作区中收集的年度（汇总表或报表文件夹），使下一年度的跨年度核对（上年结转等）自动进行。

    示例：xlflow import-year 嘉祥县 嘉祥县2023年汇总表.xlsx --year 2023
    """
    check_year(year)
    if not source.exists():
        raise UsageError(f"找不到输入路径：{source}")
    with open_workspace(dir) as ws:
        n = ws.import_year(source, year, actor=actor)
        typer.echo(f"已导入 {year} 年度：{n} 个单位的数据（来自 {source.name}）。")
        later = [y for y in ws.years() if y == year + 1]
        for y in later:
            refresh(ws, y, actor)


def register(app: typer.Typer) -> None:
    app.command("import-year")(import_year)
