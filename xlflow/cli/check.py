"""xlflow check: verify a workspace's stored files and rows."""

from __future__ import annotations

from typing import Annotated

import typer

from ._workspace import DirArg, open_workspace


def check(
    dir: DirArg,
    prune: Annotated[bool, typer.Option("--prune", help="清理中断的导入留下的临时文件和无记录的文件。")] = False,
) -> int:
    """核对工作区：每个存档文件与其 SHA-256 是否一致，每条记录是否有对应的文件。

    退出码：0 一致；1 发现问题（逐条列出）。

    示例：xlflow check 嘉祥县
    """
    with open_workspace(dir) as ws:
        rep = ws.check(prune=prune)
    for note in rep.notes:
        typer.echo(f"  提示：{note}")
    for p in rep.problems:
        typer.secho(f"  问题：{p}", fg="red")
    if rep.ok:
        typer.echo(f"工作区完好：{rep.rows} 条报送记录，{rep.files} 个存档文件，全部与其 SHA-256 一致。")
        return 0
    typer.secho(f"发现 {len(rep.problems)} 个问题。请从备份恢复相应文件（见 docs/workspace.md“备份”）。", fg="red")
    return 1


def register(app: typer.Typer) -> None:
    app.command("check")(check)
