"""xlflow init: create a workspace (or add a year to one)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import XlflowError
from ._common import check_year
from ._workspace import DEFAULT_ACTOR, ActorOpt, DirArg, init_workspace, new_password


def init(
    dir: DirArg,
    year: Annotated[int, typer.Option("--year", help="报告年度，例如 2024。")],
    agencies: Annotated[Optional[Path], typer.Option("--agencies", help="单位名单（CSV 或 .xlsx）；给已有工作区添加新年度时可省略，沿用上一年度的名单。")] = None,
    form: Annotated[Optional[str], typer.Option("--form", help="报表定义：内置编号（见 xlflow forms）或 YAML 文件；默认为现行格式，新年度默认沿用上一年度的。")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="本县（汇总单位）名称，如“嘉祥县”；默认取名单中单位名称的公共前缀。")] = None,
    code: Annotated[Optional[str], typer.Option("--code", help="本县（汇总单位）代码；默认取名单中单位代码的公共前缀。")] = None,
    db: Annotated[Optional[str], typer.Option("--db", help="数据库地址（SQLAlchemy URL，如 postgresql+psycopg://用户@主机/库）；默认是工作区文件夹里的 SQLite 文件。")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="同时设置报送平台的管理密码，从标准输入读取（第一行）；也可以以后用 xlflow admin-password 设置。")] = False,
    actor: ActorOpt = DEFAULT_ACTOR,
) -> None:
    """建立工作区：数据库、单位名单、报表定义和各单位的填报模板；在已有工作区中再次运行则添加新的年度（与上一年度关联）。

    示例：xlflow init 嘉祥县 --year 2024 --agencies 单位名单.csv --name 嘉祥县
    """
    check_year(year)
    password = new_password(True) if password_stdin else None
    with init_workspace(dir, year=year, roster=agencies, form=form, name=name, code=code, db_url=db, actor=actor) as ws:
        f = ws.form(year)
        years = ws.years()
        typer.echo(f"工作区：{dir.resolve()}（{ws.unit_name} {ws.unit_code}）")
        typer.echo(f"{year} 年度：{len(ws.roster(year))} 个单位，报表 {f.spec.title}（{f.form_id} {f.version}）"
                   + (f"；工作区中的年度：{'、'.join(map(str, years))}" if len(years) > 1 else ""))
        typer.echo(f"填报模板：{ws.paths.templates(year).resolve()}")
        if password is not None:
            try:
                ws.set_admin_password(password, actor=actor)
                typer.echo("报送平台的管理密码已设置。")
            except XlflowError as exc:  # the workspace stands; only the password is missing
                typer.secho(f"工作区已建立，但管理密码未设置：{exc}请用 xlflow admin-password {dir} 重新设置。", fg="yellow", err=True)
        typer.echo(f"下一步：把模板发给各单位；收回后运行 xlflow add {dir} 回收的文件或文件夹")
        if not ws.has_admin_password():
            typer.echo(f"用报送平台收报表：xlflow admin-password {dir} 设置管理密码，xlflow links {dir} --base-url 网址 --out 链接.xlsx 生成各单位的链接，xlflow serve {dir} 启动平台")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
