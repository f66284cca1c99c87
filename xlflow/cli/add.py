"""xlflow add: ingest returned files into a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ._common import require_spreadsheets
from ._run import DEFAULT_JOBS, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, JobsOpt, MaxMemoryOpt, TimeoutOpt, limits
from ._workspace import (
    DEFAULT_ACTOR,
    ActorOpt,
    DirArg,
    WsYearOpt,
    open_workspace,
    refresh,
)

_MARK = {"valid": "✓", "invalid": "✗", "unreadable": "!"}


def add(
    dir: DirArg,
    paths: Annotated[list[Path], typer.Argument(help="回收的报表文件或文件夹（文件夹会递归查找）。")],
    year: WsYearOpt = None,
    actor: ActorOpt = DEFAULT_ACTOR,
    jobs: JobsOpt = DEFAULT_JOBS,
    max_memory: MaxMemoryOpt = DEFAULT_MEMORY_MB,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
) -> int:
    """把回收的报表存入工作区：每个文件原样存档一次（按 SHA-256），校验一次，结果存下；同一文件再次加入不重复登记。

    同一单位的新报表按规则取代旧报表（有效优先，其次填报日期最新，其次收到时间最新），旧版本保留在历史中。

    退出码：0 新收到的文件都通过（可有警告）；1 有文件未通过或无法读取；2 用法错误。

    示例：xlflow add 嘉祥县 回收报表/
    """
    for p in paths:
        if not p.exists():
            raise UsageError(f"找不到输入路径：{p}")
    require_spreadsheets(paths)
    with open_workspace(dir) as ws:
        ws.jobs, ws.limits = jobs, limits(max_memory, timeout)
        refresh(ws, year, actor)

        def show(path: Path, o) -> None:
            mark = "=" if o.duplicate else _MARK.get(o.result.status, "?")
            typer.echo(f"  {mark} {o.message}")

        outcomes = ws.add(paths, year=year, actor=actor, on_outcome=show)
        new = [o for o in outcomes if not o.duplicate]
        bad = [o for o in new if o.result.status != "valid"]
        dup = len(outcomes) - len(new)
        typer.echo(f"新登记 {len(new)} 个文件（通过 {len(new) - len(bad)}，未通过或无法读取 {len(bad)}）" + (f"，{dup} 个与已收到的文件相同未重复登记" if dup else "") + "。")
        return 1 if bad else 0


def register(app: typer.Typer) -> None:
    app.command("add")(add)
