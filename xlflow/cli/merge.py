"""xlflow merge: validate returned workbooks and consolidate the valid ones into the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..roster import load_roster
from ._common import DEFAULT_FORM_ID, AgenciesOpt, FormOpt, YearOpt, check_year, get_form, require_spreadsheets
from ._workspace import is_workspace, open_workspace, refresh
from ._run import DEFAULT_JOBS, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, JobsOpt, MaxMemoryOpt, NoCacheOpt, TimeoutOpt, limits, open_cache

_MARK = {"valid": "✓", "invalid": "✗", "unreadable": "!"}


def merge(
    paths: Annotated[list[Path], typer.Argument(help="回收的报表文件或文件夹（文件夹会递归查找）。")],
    out: Annotated[Path, typer.Option("--out", help="汇总表输出路径（.xlsx）。不能是输入文件之一。")],
    year: YearOpt = None,
    agencies: AgenciesOpt = None,
    previous: Annotated[
        Optional[list[Path]], typer.Option("--previous", help="上一年度的汇总表或各单位报表（用于跨年度核对），可多次指定。")
    ] = None,
    code: Annotated[Optional[str], typer.Option("--code", help="汇总单位（本县）的代码；默认取名单中单位代码的公共前缀。")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="汇总单位（本县）的名称；默认取名单中单位名称的公共前缀，如“嘉祥县”。")] = None,
    csv_dir: Annotated[Optional[Path], typer.Option("--csv", help="另存一份长表 CSV（单位、字段、标签、数值）到这个文件夹。")] = None,
    jobs: JobsOpt = DEFAULT_JOBS,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不逐个列出文件。")] = False,
    no_cache: NoCacheOpt = False,
    max_memory: MaxMemoryOpt = DEFAULT_MEMORY_MB,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    form: FormOpt = DEFAULT_FORM_ID,
) -> int:
    """校验回收的报表并汇总：生成全县汇总表（汇总、明细、填报情况、问题清单、文字汇编、图表）。

    给出工作区文件夹（xlflow init 建立的）时，汇总取自工作区中存下的校验结果，不再重读文件。

    退出码：0 汇总表已生成且名单内单位全部有效；1 已生成但有单位未报或未通过；2 用法错误。

    示例：xlflow merge 回收报表/ --year 2024 --agencies 单位名单.csv --out 嘉祥县2024年汇总.xlsx
    """
    from ..merge.run import merge_paths

    check_year(year)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"--out 应为 .xlsx 文件：{out}")
    if out.exists() and out.is_dir():
        raise UsageError(f"--out 是一个文件夹，请给出文件路径：{out}")
    if len(paths) == 1 and is_workspace(paths[0]):
        given = [opt for opt, v in (("--agencies", agencies), ("--previous", previous), ("--code", code), ("--name", name)) if v]
        if given:
            raise UsageError(f"从工作区汇总时不用 {'、'.join(given)}：名单、上年数据和本县名称都在工作区中（名单用 xlflow roster 修改，上年用 xlflow import-year 导入）。")
        return _from_workspace(paths[0], out, year, csv_dir)
    for p in paths:
        if not p.exists():
            raise UsageError(f"找不到输入路径：{p}")
    require_spreadsheets(paths)
    f = get_form(form)
    roster = load_roster(agencies) if agencies is not None else None

    def show(r) -> None:
        if not quiet:
            who = f"{r.agency_code or '?'} {r.agency_name or ''}".strip()
            typer.echo(f"  {_MARK.get(r.status, '?')} {r.path.name}  {who}  错误{r.errors} 警告{r.warnings}")

    cache = open_cache(paths, no_cache)
    if cache is not None and cache.note:
        typer.secho(cache.note, fg="yellow")
    try:
        outcome = merge_paths(
            paths, f, out, year=year, roster=roster, previous=previous or (), code=code, name=name, csv_dir=csv_dir, on_result=show,
            jobs=jobs, cache=cache, limits=limits(max_memory, timeout),
            exclude=[p for p in [agencies, *(previous or [])] if p is not None and p.is_file()],
        )
    finally:
        if cache is not None:
            cache.close()
    c = outcome.consolidation
    for note in outcome.notes:
        typer.echo(note)
    reused = f"，其中 {cache.hits} 个文件沿用了上次的校验结果" if cache is not None and cache.hits else ""
    return _report(c, out, f"（{len(c.entries)} 个文件{reused}，计入 {len(c.units)} 个单位，用时 {outcome.seconds:.1f} 秒）", outcome.csv,
                   outcome.comparison)


def _from_workspace(dir: Path, out: Path, year: int | None, csv_dir: Path | None) -> int:
    import time

    from ..merge.export import write_long_csv

    started = time.perf_counter()
    with open_workspace(dir) as ws:
        refresh(ws, year)
        c = ws.write_summary(out, year)
    csv = write_long_csv(c, csv_dir) if csv_dir is not None else None
    return _report(c, out, f"（工作区中 {len(c.entries)} 个现用文件，计入 {len(c.units)} 个单位，用时 {time.perf_counter() - started:.1f} 秒）", csv,
                   c.comparison)


def _report(c, out: Path, what: str, csv, cmp=None) -> int:
    from ..vocab import ACTION_ZH, INCLUDED, SHEET_COMPARE, SHEET_FINDINGS, SHEET_STATUS, SHEET_TOTAL

    for e in c.entries:
        if e.action != INCLUDED and e.result.status == "valid":
            typer.echo(f"  未计入：{e.result.path.name}（{ACTION_ZH[e.action]}）{e.note}")
    typer.echo(f"汇总表已写入：{out.resolve()}{what}")
    if cmp is not None:
        odd = cmp.outlier_units
        names = "、".join(u.name or u.code for u in odd[:10]) + ("等" if len(odd) > 10 else "")
        typer.echo(f"上年对比：已与{cmp.previous_year or '上一'}年比较，见“{SHEET_COMPARE}”工作表"
                   + (f"；{len(odd)} 个单位有与上年相比变化异常的项目：{names}。" if odd else "；没有变化异常的项目。"))
    if csv is not None:
        typer.echo(f"长表 CSV：{csv.resolve()}")
    failed = [ch for ch in c.checks if not ch.ok and ch.rule.rule.severity == "error"]
    if failed:
        typer.secho(f"注意：合计数有 {len(failed)} 项规则不成立，见“{SHEET_TOTAL}”工作表末尾的汇总数校验。", fg="yellow")
    if c.roster is not None and c.missing:
        typer.secho(f"名单内尚有 {len(c.missing)} 个单位未计入：" + "、".join(a.name for a in c.missing), fg="yellow")
    if not c.complete:
        typer.secho(f"汇总不完整：请查看汇总表的“{SHEET_STATUS}”和“{SHEET_FINDINGS}”，或运行 xlflow status 生成催报名单。", fg="yellow")
        return 1
    return 0


def register(app: typer.Typer) -> None:
    app.command("merge")(merge)
