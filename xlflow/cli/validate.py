"""xlflow validate: check returned workbooks, file by file and cell by cell."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..findings import rule_label, rule_names
from ..vocab import FILE_STATUS_ZH, SEVERITY_ZH
from ._common import DEFAULT_FORM_ID, AgenciesOpt, FormOpt, YearOpt, check_year, get_form, require_spreadsheets
from ._run import DEFAULT_JOBS, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, JobsOpt, MaxMemoryOpt, NoCacheOpt, TimeoutOpt, limits, open_cache

STATUS_COLOUR = {"valid": "green", "invalid": "red", "unreadable": "magenta"}
SEVERITY_COLOUR = {"error": "red", "warning": "yellow", "info": "cyan"}
SAME_CODE_ON_SCREEN = 8
PROGRESS_FROM = 10  # files; fewer finish before a bar would be useful


def validate(
    paths: Annotated[list[Path], typer.Argument(help="回收的报表文件或文件夹（文件夹会递归查找 .xlsx/.xlsm/.xls/.ods）。", show_default=False)],
    year: YearOpt = None,
    agencies: AgenciesOpt = None,
    previous: Annotated[
        Optional[list[Path]],
        typer.Option("--previous", help="上一年度回收的报表文件夹或上一年度汇总表，用于报表定义中需要上年数据的跨年度核对规则。可重复。"),
    ] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="把全部结果写入这个 JSON 文件。")] = None,
    xlsx_out: Annotated[Optional[Path], typer.Option("--xlsx", help="把全部问题写入这个 .xlsx 文件（每个问题一行，可筛选）。")] = None,
    annotate: Annotated[
        Optional[Path], typer.Option("--annotate", help="在这个文件夹中为有问题的文件生成标注副本（问题单元格标色并加批注），原文件不动。")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="只显示有问题的文件和最后的汇总。")] = False,
    jobs: JobsOpt = DEFAULT_JOBS,
    no_cache: NoCacheOpt = False,
    max_memory: MaxMemoryOpt = DEFAULT_MEMORY_MB,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    form: FormOpt = DEFAULT_FORM_ID,
) -> None:
    """校验回收的报表：逐个文件、逐个单元格列出问题，说明应填什么。

    退出码：0 全部合格（可有提示）；1 有文件不合格或无法读取；2 用法错误（参数有误、路径不存在）。

    示例：xlflow validate 回收报表/ --year 2024 --agencies 单位名单.csv --xlsx 问题清单.xlsx --annotate 退回修改/
    """
    from rich.console import Console
    from rich.markup import escape as escape_markup

    from ..annotate import annotate_file, annotated_name
    from ..export import FindingsWorkbookWriter, JsonWriter
    from ..roster import load_roster
    from ..validate import input_files, load_previous, validate_paths

    check_year(year)
    for p in [*paths, *(previous or [])]:
        if not p.exists():
            raise UsageError(f"找不到路径：{p}")
    if agencies is not None and not agencies.is_file():
        raise UsageError(f"找不到单位名单文件：{agencies}")
    for target, suffix in ((json_out, ".json"), (xlsx_out, ".xlsx")):
        if target is not None and target.suffix.lower() != suffix:
            raise UsageError(f"输出文件应为 {suffix}：{target}")
    if annotate is not None and annotate.exists() and not annotate.is_dir():
        raise UsageError(f"--annotate 应为文件夹：{annotate}")
    require_spreadsheets(paths)
    f = get_form(form)
    roster = load_roster(agencies) if agencies is not None else None
    prev = load_previous(previous, f) if previous else None

    out = Console(highlight=False, soft_wrap=False, width=_width())
    err = Console(stderr=True, highlight=False)
    listed = list(input_files(paths, exclude=[p for p in [agencies, *(previous or [])] if p is not None and p.is_file()]))
    todo = [e for e in listed if e.skip is None]
    outputs = {t.resolve() for t in (json_out, xlsx_out) if t is not None}
    for path, skip, _ in listed:
        if skip is not None:
            out.print(f"[dim]跳过 {path}：{skip}[/dim]")
        elif path.resolve() in outputs:
            raise UsageError(f"输出文件 {path} 也是输入文件之一，请换一个路径。")
    if prev is not None:
        uses = [f"规则 {'、'.join(f.previous_rules)}"] if f.previous_rules else []
        uses += ["与上年对比的提示"] if f.measures else []
        out.print(f"上一年度数据：{len(prev)} 个单位（用于{'和'.join(uses) or '跨年度核对'}）")

    cache = open_cache(paths, no_cache)
    if cache is not None and cache.note:
        out.print(f"[yellow]{cache.note}[/yellow]")
    counts = {"valid": 0, "invalid": 0, "unreadable": 0}
    annotated_names: set[str] = set()
    # Results go to the outputs as they come: memory stays flat however many files there are.
    json_writer = JsonWriter(json_out, f) if json_out is not None else None
    names = rule_names(f)
    xlsx_writer = FindingsWorkbookWriter(xlsx_out, names) if xlsx_out is not None else None
    progress = task = results = None
    try:
        results = validate_paths(todo, f, year=year, roster=roster, previous=prev, jobs=jobs, cache=cache, limits=limits(max_memory, timeout))
        for r in results:
            if progress is None:
                # Started after the first result, so worker processes are forked before the
                # bar's refresh thread exists.
                progress = _progress(err, len(todo)) or False
                task = progress.add_task("校验中", total=len(todo)) if progress else None
            counts[r.status] += 1
            _print_result(out, r, quiet, names)
            if annotate is not None and r.findings:
                name = annotated_name(r)
                if name in annotated_names:
                    name = f"{r.path.stem}_{r.agency_code or len(annotated_names)}_校验标注{r.path.suffix.lower()}"
                try:
                    written = annotate_file(r, annotate, name, names)
                except Exception as exc:  # noqa: BLE001 - an odd file must not end the run for the others
                    written = None
                    out.print(f"[yellow]无法为 {escape_markup(str(r.path))} 生成标注副本（{type(exc).__name__}），请看问题清单。[/yellow]")
                if written is not None:
                    annotated_names.add(name)
            r.values = None  # the outputs need findings, not values
            for writer in (json_writer, xlsx_writer):
                if writer is not None:
                    writer.add(r)
            if progress:
                progress.advance(task)
        if json_writer is not None:
            json_writer.close()
            out.print(f"JSON：{json_out.resolve()}")
        if xlsx_writer is not None:
            xlsx_writer.close()
            out.print(f"问题清单：{xlsx_out.resolve()}")
    finally:
        if progress:
            progress.stop()
        if results is not None:
            results.close()  # stops the worker processes, also after Ctrl-C
        if cache is not None:
            cache.close()
        for writer in (json_writer, xlsx_writer):
            if writer is not None:
                writer.discard()

    if annotate is not None:
        out.print(f"标注副本：{len(annotated_names)} 份，保存在 {annotate.resolve()}")
    skipped = len(listed) - len(todo)
    line = f"共 {len(todo)} 个文件：合格 {counts['valid']}，不合格 {counts['invalid']}，无法读取 {counts['unreadable']}"
    if skipped:
        line += f"（另跳过 {skipped} 个临时或系统文件）"
    if cache is not None and cache.hits:
        line += f"；其中 {cache.hits} 个文件未改动，沿用了上次的校验结果"
    ok = counts["invalid"] == 0 and counts["unreadable"] == 0
    out.print(f"[{'green' if ok else 'red'}]{line}[/]")
    if not ok:
        raise typer.Exit(1)


def _width() -> int:
    import shutil

    return max(120, shutil.get_terminal_size((120, 24)).columns)


def _progress(console, total: int):
    if total < PROGRESS_FROM or not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console, transient=True)
    p.start()
    return p


def _print_result(out, r, quiet: bool, names: dict[str, str]) -> None:
    from rich.markup import escape
    from rich.table import Table

    label, colour = FILE_STATUS_ZH[r.status], STATUS_COLOUR[r.status]
    who = " ".join(x for x in (r.agency_code, r.agency_name, f"{r.year}年" if r.year else None) if x)
    if not r.findings:
        if not quiet:
            # Most files of a big run are clean: one line each, styled without rich's markup
            # parsing and layout (which cost more than validating the file).
            mark = out.get_style(colour).render(f"✓ {label}", color_system=out.color_system)
            out.file.write(f"{mark} {r.path}  {who}\n")
        return
    if quiet and r.status == "valid":
        return
    out.print(f"[{colour}]{'✓' if r.status == 'valid' else '✗'} {label}[/] {escape(str(r.path))}  {escape(who)}"
              f"  （错误 {r.errors}，提示 {r.warnings}）")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for title in ("级别", "问题", "位置", "说明"):
        table.add_column(title, overflow="fold", no_wrap=title != "说明")
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for fd in r.findings:
        # 125 blank cells are 125 findings (the JSON, workbook and annotation keep them all);
        # on screen a few examples per code say it.
        shown[fd.rule] = shown.get(fd.rule, 0) + 1
        if shown[fd.rule] > SAME_CODE_ON_SCREEN:
            hidden[fd.rule] = hidden.get(fd.rule, 0) + 1
            continue
        sev, sc = SEVERITY_ZH[fd.severity], SEVERITY_COLOUR[fd.severity]
        where = f"{fd.sheet}!{fd.cell}" if fd.sheet and fd.cell else (fd.sheet or "")
        table.add_row(f"[{sc}]{sev}[/]", escape(rule_label(fd.rule, names)), escape(where), escape(fd.message))
    for rule, n in hidden.items():
        table.add_row("", escape(rule_label(rule, names)), "", f"……另有 {n} 处同类问题（见 --json/--xlsx/--annotate）")
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
