"""xlflow report: the publishable annual report from a filled return (or a county summary)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..fsutil import atomic_write_bytes
from ..report import FORMATS, render
from ..report.from_file import LISTED, ReportRefused, finding_line, report_from_file
from ._common import DEFAULT_FORM_ID, FormOpt, get_form
from ._workspace import is_workspace, open_workspace, refresh

_SUFFIX = {".docx": "docx", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}


def report(
    file: Annotated[Path, typer.Argument(help="填好的年度报表（.xlsx/.xls/.ods），xlflow merge 生成的汇总表，或工作区文件夹。")],
    out: Annotated[
        Optional[Path], typer.Option("--out", help="输出文件；默认在报表所在文件夹，以报告标题命名。")
    ] = None,
    fmt: Annotated[
        Optional[str], typer.Option("--format", help="输出格式：docx（默认）、md 或 html；不写时按 --out 的扩展名。")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="报表有错误时也生成报告（首页会注明未通过校验，不得发布）。")
    ] = False,
    name: Annotated[
        Optional[str], typer.Option("--name", help="报告标题和前言中的单位名称（默认取报表中的单位名称）。")
    ] = None,
    form: FormOpt = DEFAULT_FORM_ID,
) -> None:
    """由填好的报表生成可公开发布的政府信息公开工作年度报告（标题、前言、一至六部分、表二至表四、分类图表）。

    先校验报表：有错误时不生成，除非加 --force。汇总表生成全县报告草稿：数字取自汇总表，
    并按单位列出分项；文字部分留出醒目的【待撰写】位置。

    给出工作区文件夹时，由工作区中存下的结果生成全县报告草稿（与先汇总再生成的结果相同）。

    示例：xlflow report 370829014_嘉祥县金融工作服务中心_2023年.xlsx --format docx
    """
    fmt = _format(fmt, out)
    if is_workspace(file):
        with open_workspace(file) as ws:
            refresh(ws, None)
            target = out or file / f"{Path(ws.summary_name()).stem}_报告草稿.{fmt}"
            ws.report(target, fmt=fmt, force=force)
        typer.echo(f"已生成全县报告草稿（{fmt}）：{target}")
        return
    f = get_form(form)
    if not file.is_file():
        raise UsageError(f"找不到文件：{file}")
    try:
        made = report_from_file(file, f, force=force, name=name)
    except ReportRefused as exc:
        for x in exc.errors[:LISTED]:
            typer.echo(f"  {finding_line(x)}", err=True)
        raise
    target = out or made.default_path(fmt)
    if target.resolve() == file.resolve():
        raise UsageError(f"输出文件不能与输入的报表相同：{target}")
    atomic_write_bytes(target, render(made.model, fmt))
    typer.echo(f"已生成{'全县报告草稿' if made.is_summary else '年度报告'}（{fmt}）：{target}")
    if made.errors:
        typer.secho(f"报表有 {len(made.errors)} 处错误，报告首页已注明未通过校验，不得发布。", fg="red", err=True)
    elif made.result.warnings:
        typer.echo(f"报表有 {made.result.warnings} 条提示（不影响生成），建议用 xlflow validate 查看并核对。")


def _format(fmt: str | None, out: Path | None) -> str:
    from_suffix = _SUFFIX.get(out.suffix.lower()) if out is not None else None
    if fmt is None:
        if out is not None and from_suffix is None:
            raise UsageError(f"无法从 --out 的扩展名“{out.suffix}”判断格式，请用 --format 指定（{'、'.join(FORMATS)}）。")
        return from_suffix or "docx"
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise UsageError(f"不支持的格式“{fmt}”，可选：{'、'.join(FORMATS)}")
    if from_suffix is not None and from_suffix != fmt:
        raise UsageError(f"--format {fmt} 与 --out 的扩展名“{out.suffix}”不一致。")
    return fmt


def register(app: typer.Typer) -> None:
    app.command("report")(report)
