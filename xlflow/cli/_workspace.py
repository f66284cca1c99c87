"""What the workspace commands share: finding a workspace, opening it, telling the clerk
what re-validation changed. ``xlflow.workspace`` (and SQLAlchemy) is imported only by the
commands that use it, so every other command starts as fast as before."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError

CONFIG_NAME = "workspace.json"  # == xlflow.workspace.config.CONFIG_NAME (tests/test_workspace.py checks)

DirArg = Annotated[Path, typer.Argument(metavar="工作区", help="工作区文件夹（xlflow init 建立的）。")]
WsYearOpt = Annotated[Optional[int], typer.Option("--year", help="年度；默认为工作区中最新的年度。")]
ActorOpt = Annotated[str, typer.Option("--actor", help="记入审计日志的操作人。")]
DEFAULT_ACTOR = "cli"


def is_workspace(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / CONFIG_NAME).is_file()


def open_workspace(path: Path):
    from ..workspace import Workspace

    return Workspace.open(path)


def init_workspace(dir: Path, **kw):
    from ..workspace import Workspace

    return Workspace.init(dir, **kw)


def show_changes(changes) -> None:
    """One line per stored result whose status changed on re-validation."""
    from ..workspace.ingest import status_zh

    if not changes:
        return
    typer.secho(f"重新校验后状态有变化的文件 {len(changes)} 份：", fg="yellow")
    for ch in changes:
        typer.echo(f"  第 {ch.submission_id} 号 {Path(ch.filename).name}（{ch.agency_code or '未识别单位'}）：{status_zh(ch.before)} → {status_zh(ch.after)}"
                   f"（错误 {ch.errors}，警告 {ch.warnings}）")


def refresh(ws, year: int | None, actor: str = DEFAULT_ACTOR) -> None:
    """Re-validate what is stale (another form version, xlflow version, roster, last year) and say what changed."""
    stale = ws.stale(year)
    if stale:
        typer.echo(f"有 {len(stale)} 份已存的校验结果需要重新校验（报表定义、xlflow 版本、名单或上年数据有变化），正在从存档文件重新校验……")
    show_changes(ws.revalidate(year, actor=actor, ids=stale))


def new_password(from_stdin: bool) -> str:
    """The clerk's new portal password: the first line of stdin (scripts), or typed twice."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("新的管理密码", hide_input=True, prompt_suffix="：")
        again = typer.prompt("再输入一次", hide_input=True, prompt_suffix="：")
        if password != again:
            raise UsageError("两次输入的密码不一致，未修改。")
    if not password:
        raise UsageError("密码不能为空。")
    return password
