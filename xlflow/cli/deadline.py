"""xlflow deadline: the year's 报送截止日期 (printed on the 催报 list; later returns are marked 逾期)."""

from __future__ import annotations

import typer

from ._common import parse_date
from ._workspace import DEFAULT_ACTOR, ActorOpt, DirArg, WsYearOpt, open_workspace


def deadline(
    dir: DirArg,
    date: str = typer.Argument(..., metavar="日期", help="截止日期，如 2025-01-31 或 2025年1月31日。"),
    year: WsYearOpt = None,
    actor: ActorOpt = DEFAULT_ACTOR,
) -> None:
    """设置报送截止日期：印在催报名单上，之后收到的报表标为逾期。

    示例：xlflow deadline 嘉祥县 2025-01-31
    """
    due = parse_date(date, "xlflow deadline")
    with open_workspace(dir) as ws:
        ws.set_deadline(due, year, actor=actor)
        typer.echo(f"{year or ws.current_year()} 年度报送截止日期：{due.isoformat()}")


def register(app: typer.Typer) -> None:
    app.command("deadline")(deadline)
