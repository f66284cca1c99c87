"""xlflow roster: the workspace's roster, changed by commands with history."""

from __future__ import annotations

from typing import Annotated

import typer

from ._workspace import (
    DEFAULT_ACTOR,
    ActorOpt,
    DirArg,
    WsYearOpt,
    open_workspace,
    show_changes,
)
from ._zh import XlflowTyper, ZhGroup

roster_app = XlflowTyper(
    cls=ZhGroup,
    help="工作区的单位名单：查看、新增、更名、合并、移除（每次变更记入审计日志，受影响的报表自动重新校验）。",
    no_args_is_help=True,
)

CodeArg = Annotated[str, typer.Argument(metavar="单位代码", help="单位代码。")]


@roster_app.command("list")
def list_(dir: DirArg, year: WsYearOpt = None) -> None:
    """列出名单内的单位。

    示例：xlflow roster list 嘉祥县
    """
    with open_workspace(dir) as ws:
        for a in ws.roster(year):
            typer.echo(f"{a.code}  {a.name}" + (f"  {a.group}" if a.group else ""))


@roster_app.command("add")
def add(dir: DirArg, code: CodeArg, name: Annotated[str, typer.Argument(metavar="单位名称", help="单位名称。")],
        group: Annotated[str, typer.Option("--group", help="分组，如 县直部门 / 乡镇（街道）。")] = "",
        year: WsYearOpt = None, actor: ActorOpt = DEFAULT_ACTOR) -> None:
    """名单新增一个单位（并生成它的模板）。

    示例：xlflow roster add 嘉祥县 370829017 嘉祥县医疗保障局
    """
    with open_workspace(dir) as ws:
        show_changes(ws.roster_add(code, name, group=group, year=year, actor=actor))
        typer.echo(f"已新增：{code} {name}")


@roster_app.command("rename")
def rename(dir: DirArg, code: CodeArg, name: Annotated[str, typer.Argument(metavar="新名称", help="新的单位名称。")],
           year: WsYearOpt = None, actor: ActorOpt = DEFAULT_ACTOR) -> None:
    """单位更名（代码不变）。

    示例：xlflow roster rename 嘉祥县 370829010 嘉祥县交通运输局（新）
    """
    with open_workspace(dir) as ws:
        show_changes(ws.roster_rename(code, name, year=year, actor=actor))
        typer.echo(f"已更名：{code} → {name}")


@roster_app.command("merge")
def merge(dir: DirArg, code: CodeArg, into: Annotated[str, typer.Argument(metavar="并入单位代码", help="并入的单位的代码。")],
          year: WsYearOpt = None, actor: ActorOpt = DEFAULT_ACTOR) -> None:
    """把一个单位并入另一个单位：原单位不再单独报送，其报表保留在历史中。

    示例：xlflow roster merge 嘉祥县 370829016 370829015
    """
    with open_workspace(dir) as ws:
        show_changes(ws.roster_merge(code, into, year=year, actor=actor))
        typer.echo(f"已合并：{code} 并入 {into}")


@roster_app.command("remove")
def remove(dir: DirArg, code: CodeArg, year: WsYearOpt = None, actor: ActorOpt = DEFAULT_ACTOR) -> None:
    """把单位移出名单：不再要求报送，其报表保留在历史中。

    示例：xlflow roster remove 嘉祥县 370829016
    """
    with open_workspace(dir) as ws:
        show_changes(ws.roster_remove(code, year=year, actor=actor))
        typer.echo(f"已移出名单：{code}")


def register(app: typer.Typer) -> None:
    app.add_typer(roster_app, name="roster")
