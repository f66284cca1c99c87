"""xlflow admin-password: the clerk's password for the portal's management pages."""

from __future__ import annotations

from typing import Annotated

import typer

from ._workspace import DEFAULT_ACTOR, ActorOpt, DirArg, new_password, open_workspace


def admin_password(
    dir: DirArg,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码（第一行），用于脚本。")] = False,
    actor: ActorOpt = DEFAULT_ACTOR,
) -> None:
    """设置报送平台的管理密码（至少 8 个字符；以加盐 scrypt 散列保存，不保存明文）。

    示例：xlflow admin-password 嘉祥县
    """
    password = new_password(password_stdin)
    with open_workspace(dir) as ws:
        ws.set_admin_password(password, actor=actor)
    typer.echo("管理密码已设置。")


def register(app: typer.Typer) -> None:
    app.command("admin-password")(admin_password)
