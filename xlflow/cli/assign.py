"""xlflow assign: attribute a file no agency could be read from to an agency."""

from __future__ import annotations

from typing import Annotated

import typer

from ._workspace import DEFAULT_ACTOR, ActorOpt, DirArg, open_workspace


def assign(
    dir: DirArg,
    submission: Annotated[int, typer.Argument(metavar="编号", help="报送编号（xlflow history 的“第 N 号”）。")],
    code: Annotated[str, typer.Argument(metavar="单位代码", help="这份文件所属单位的代码。")],
    actor: ActorOpt = DEFAULT_ACTOR,
) -> None:
    """把无法识别单位的文件（无法读取、扫描件等）归到某个单位：之后按取代规则与该单位的其他报表一起处理，不再单独列在状态末尾。

    示例：xlflow assign 嘉祥县 12 370829006
    """
    with open_workspace(dir) as ws:
        typer.echo(ws.assign(submission, code, actor=actor).message)


def register(app: typer.Typer) -> None:
    app.command("assign")(assign)
