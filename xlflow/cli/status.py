"""xlflow status: who has reported, and the 催报 list of those who still owe a report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..roster import load_roster
from ._workspace import is_workspace, open_workspace, refresh
from ._common import DEFAULT_FORM_ID, FormOpt, YearOpt, check_year, get_form, parse_date, require_spreadsheets


def status(
    paths: Annotated[list[Path], typer.Argument(help="回收的报表文件或文件夹。")],
    agencies: Annotated[Optional[Path], typer.Option("--agencies", help="单位名单：CSV（列 code,name 或 单位代码,单位名称）或 .xlsx；从工作区查看时不需要。")] = None,
    year: YearOpt = None,
    xlsx: Annotated[Optional[Path], typer.Option("--xlsx", help="把催报名单和全部单位状态写入这个 .xlsx 文件。")] = None,
    csv_path: Annotated[Optional[Path], typer.Option("--csv", help="把催报名单写入这个 .csv 文件（UTF-8，Excel可直接打开）。")] = None,
    deadline: Annotated[Optional[str], typer.Option("--deadline", help="印在催报名单上的报送截止日期，如 2024-01-31。")] = None,
    form: FormOpt = DEFAULT_FORM_ID,
) -> int:
    """名单内每个单位的报送状态：已提交且通过 / 有警告 / 未通过 / 未提交 / 名单外；可导出催报名单。

    给出工作区文件夹（xlflow init 建立的）时，状态取自工作区中存下的校验结果。

    退出码：0 名单内单位都已提交且通过（可有警告）；1 有单位未提交或未通过；2 用法错误。

    示例：xlflow status 回收报表/ --agencies 单位名单.csv --year 2024 --xlsx 催报名单.xlsx
    """
    from ..merge.consolidate import consolidate
    from ..merge.run import default_identity, input_files
    from ..merge.status import status_rows
    from ..validate import validate_paths

    check_year(year)
    due = parse_date(deadline, "--deadline") if deadline else None
    for target, suffix in ((xlsx, ".xlsx"), (csv_path, ".csv")):
        if target is not None and target.suffix.lower() != suffix:
            raise UsageError(f"输出文件应为 {suffix}：{target}")
    if len(paths) == 1 and is_workspace(paths[0]):
        if agencies is not None:
            raise UsageError("从工作区查看时不用 --agencies：名单在工作区中（用 xlflow roster 修改）。")
        with open_workspace(paths[0]) as ws:
            refresh(ws, year)
            y = year or ws.current_year()
            c = ws.consolidation(y)
            rc = _show(c, status_rows(c), xlsx, csv_path, due or ws.deadline(y))
            for target in (xlsx, csv_path):
                if target is not None:
                    ws.audit("export", actor="cli", year=y, detail=f"生成催报名单 {target.name}")
            return rc
    if agencies is None:
        raise UsageError("缺少必填的选项 --agencies（或给出工作区文件夹）")
    for p in paths:
        if not p.exists():
            raise UsageError(f"找不到输入路径：{p}")
    require_spreadsheets(paths)
    f = get_form(form)
    roster = load_roster(agencies)
    code, name = default_identity(roster)
    files, _ = input_files(paths, None, f, code, exclude=[agencies])
    for target in (xlsx, csv_path):
        if target is not None and any(target.resolve() == p.resolve() for p in files):
            raise UsageError(f"输出文件 {target} 也是输入文件之一，请换一个路径。")
    results = list(validate_paths(files, f, year=year, roster=roster, previous=None))
    c = consolidate(results, f, year=year, roster=roster, code=code, name=name)
    return _show(c, status_rows(c), xlsx, csv_path, due)


def _show(c, rows, xlsx: Path | None, csv_path: Path | None, due) -> int:
    from ..merge.chase import write_chase_csv, write_status_xlsx
    from ..merge.status import chase_list, counts_line

    width = max((len(r.name) for r in rows), default=8)
    for r in rows:
        detail = r.problems(1) or r.note
        typer.echo(f"{r.code:<12} {r.name:{chr(12288)}<{width}}  {r.state_text:{chr(12288)}<6}  {r.file}  {detail}".rstrip())
    typer.echo("合计：" + counts_line(rows, "，"))
    chase = chase_list(rows)
    if xlsx is not None:
        write_status_xlsx(xlsx, c, rows, deadline=due)
        typer.echo(f"催报名单（xlsx）：{xlsx.resolve()}")
    if csv_path is not None:
        write_chase_csv(csv_path, c, rows)
        typer.echo(f"催报名单（csv）：{csv_path.resolve()}")
    if chase:
        typer.echo(f"需催报 {len(chase)} 个单位：" + "、".join(r.name for r in chase))
        return 1
    return 0


def register(app: typer.Typer) -> None:
    app.command("status")(status)
