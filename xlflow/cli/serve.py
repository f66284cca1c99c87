"""xlflow serve: the collection portal over a workspace (issue 11)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from ..errors import UsageError
from ._workspace import DirArg, open_workspace


def serve(
    dir: DirArg,
    host: Annotated[str, typer.Option("--host", help="监听地址；默认只接受本机访问，局域网内使用请设为本机的局域网地址或 0.0.0.0。")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="监听端口。")] = 8000,
    max_upload_mb: Annotated[int, typer.Option("--max-upload-mb", help="单个上传文件的大小上限（MB）。")] = 20,
    jobs: Annotated[int, typer.Option("--jobs", help="同时校验文件的进程数；默认等于本机处理器核数。")] = 0,
    secure_cookies: Annotated[bool, typer.Option("--secure-cookies", help="只通过 HTTPS 发送登录 Cookie（门户放在 HTTPS 反向代理之后时使用）。")] = False,
) -> None:
    """启动报送平台：各单位用自己的链接下载模板、上传报表并立即看到校验结果；管理员登录后查看总览、审核、导出。

    先用 xlflow admin-password 设置管理密码，用 xlflow links 生成各单位的链接。按 Ctrl+C 停止。

    示例：xlflow serve 嘉祥县 --host 0.0.0.0 --port 8000
    """
    import uvicorn

    from ..portal import Settings, create_app

    if not 0 < port < 65536:
        raise UsageError(f"端口应在 1 到 65535 之间：{port}")
    if jobs < 0:
        raise UsageError(f"--jobs 应为正整数：{jobs}")
    if max_upload_mb < 1:
        raise UsageError(f"上传大小上限应至少为 1 MB：{max_upload_mb}")
    ws = open_workspace(dir)
    try:
        if not ws.has_admin_password():
            typer.secho(f"提示：尚未设置管理密码，管理员无法登录。请运行 xlflow admin-password {dir}", fg="yellow", err=True)
        ws.jobs = jobs or os.cpu_count() or 1
        ws.start_validation()  # workers forked now, before the server starts its threads
        app = create_app(ws, Settings(max_upload_bytes=max_upload_mb * 1024 * 1024, secure_cookies=secure_cookies))
        typer.echo(f"报送平台：http://{host}:{port}/ （管理员登录：/login；按 Ctrl+C 停止）")
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, date_header=True)
    finally:
        ws.close()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
