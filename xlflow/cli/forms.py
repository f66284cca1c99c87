"""xlflow forms: which form definitions this installation knows."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..form import available_forms, load_form


def forms(
    show: Annotated[Optional[str], typer.Argument(help="显示某个报表定义的详细信息（编号或文件路径）。", metavar="报表")] = None,
) -> None:
    """列出已知的报表定义（内置的，以及环境变量 XLFLOW_FORMS_PATH 指定文件夹中的）。"""
    if show:
        f = load_form(show)
        typer.echo(f"{f.form_id}  版本 {f.version}  {f.spec.title}（{f.spec.basis}）")
        typer.echo(f"定义文件：{f.source}")
        typer.echo(f"工作表：{'、'.join(s.name for s in f.sheets)}")
        typer.echo(f"字段 {len(f.fields)} 个（填报 {len(f.input_fields)}，公式 {len(f.derived)}），规则 {len(f.spec.rules)} 条")
        typer.echo(f"版式指纹：{f.fingerprint}")
        return
    for form_id, path in available_forms().items():
        f = load_form(path)
        typer.echo(f"{form_id}\t{f.version}\t{f.spec.title}（{f.spec.basis}）\t{path}")


def register(app: typer.Typer) -> None:
    app.command("forms")(forms)
