"""xlflow log: the workspace's audit trail."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ._workspace import DirArg, WsYearOpt, open_workspace


def log(
    dir: DirArg,
    year: WsYearOpt = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="只显示最近的若干条。")] = None,
) -> None:
    """审计日志：每次建立、收文件、取代、重新校验、名单变更、导出，附时间和操作人；只追加，不可修改。

    示例：xlflow log 嘉祥县 --limit 20
    """
    with open_workspace(dir) as ws:
        for e in ws.log(year, limit):
            when = e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            typer.echo(f"{e.id:>6}  {when}  {e.actor}  {e.action}  {e.year or ''}  {e.agency_code or ''}  {e.detail}".rstrip())


def register(app: typer.Typer) -> None:
    app.command("log")(log)
