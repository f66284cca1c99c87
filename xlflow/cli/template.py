"""xlflow template: the locked workbooks a county sends to its agencies."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..fsutil import atomic_write_bytes
from ..roster import load_roster
from ..template import DEFAULT_PASSWORD, TemplateFactory, template_filename
from ._common import DEFAULT_FORM_ID, AgenciesOpt, FormOpt, check_year, get_form


def template(
    year: Annotated[int, typer.Option("--year", help="报告年度，例如 2024。")],
    out: Annotated[Path, typer.Option("--out", help="输出文件夹（不存在会自动创建）。")],
    agencies: AgenciesOpt = None,
    code: Annotated[Optional[str], typer.Option("--code", help="只为一个单位生成：单位代码（与 --name 一起用）。")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="只为一个单位生成：单位名称。")] = None,
    password: Annotated[
        str, typer.Option("--password", help="工作表保护密码；请换成本县自己的密码并妥善保管。")
    ] = DEFAULT_PASSWORD,
    form: FormOpt = DEFAULT_FORM_ID,
) -> None:
    """生成填报模板：有单位名单时每个单位一份（预填单位代码、名称和年度），否则生成一份空白模板。

    示例：xlflow template --year 2024 --agencies 单位名单.csv --out 模板
    """
    check_year(year)
    if (code is None) != (name is None):
        raise UsageError("--code 和 --name 要一起使用。")
    if agencies is not None and code is not None:
        raise UsageError("--agencies 与 --code/--name 只能选一种。")
    if not password:
        raise UsageError("--password 不能为空。")
    f = get_form(form)
    if agencies is not None:
        targets = [(a.code, a.name) for a in load_roster(agencies)]
    elif code is not None:
        targets = [(code.strip(), name.strip())]
    else:
        targets = [("", "")]
    started = time.perf_counter()
    factory = TemplateFactory(f, year, password)
    written = []
    for c, n in targets:
        data = factory.build(n, c) if c else factory.build_full("", "")
        path = out / template_filename(f, year, c, n)
        atomic_write_bytes(path, data)
        written.append(path)
    ms = (time.perf_counter() - started) * 1000 / len(written)
    typer.echo(f"已生成 {len(written)} 份模板（{f.spec.title}，{year}年度），保存在：{out.resolve()}")
    if len(written) <= 5:
        for p in written:
            typer.echo(f"  {p.name}")
    typer.echo(f"平均每份 {ms:.1f} 毫秒。工作表保护密码：{'（默认密码，请用 --password 设置本县密码）' if password == DEFAULT_PASSWORD else '已按 --password 设置'}")


def register(app: typer.Typer) -> None:
    app.command("template")(template)
