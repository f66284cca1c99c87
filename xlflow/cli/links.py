"""xlflow links: each agency's private link to the portal, as a file to send them by."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..fsutil import atomic_write_bytes
from ._workspace import DEFAULT_ACTOR, ActorOpt, DirArg, WsYearOpt, open_workspace

HEAD = ["单位代码", "单位名称", "填报链接", "说明"]


def links(
    dir: DirArg,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="报送平台的地址，如 http://192.168.1.10:8000（各单位电脑能打开的地址）。")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="写入链接的文件：.xlsx 或 .csv。文件含各单位的私密链接，请妥善保管。")] = None,
    revoke: Annotated[Optional[list[str]], typer.Option("--revoke", help="作废这个单位（代码）的链接；可重复。")] = None,
    reissue: Annotated[Optional[list[str]], typer.Option("--reissue", help="为这个单位（代码）重新生成链接（旧链接作废）；可重复。")] = None,
    all_: Annotated[bool, typer.Option("--all", help="为全部单位重新生成链接（所有旧链接作废）。")] = False,
    year: WsYearOpt = None,
    actor: ActorOpt = DEFAULT_ACTOR,
) -> None:
    """生成各单位的私密填报链接（只保存散列，链接只在本次输出中出现）；可作废、重新生成。

    默认只为还没有有效链接的单位生成新链接，已有链接的单位保持不变。

    示例：xlflow links 嘉祥县 --base-url http://192.168.1.10:8000 --out 链接.xlsx
    """
    if out is not None and out.suffix.lower() not in (".xlsx", ".csv"):
        raise UsageError(f"输出文件应为 .xlsx 或 .csv：{out}")
    issuing = not revoke or bool(reissue) or all_
    if issuing and (out is None or not base_url):
        raise UsageError("生成链接需要 --base-url 和 --out。")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise UsageError(f"--base-url 应以 http:// 或 https:// 开头：{base_url}")
    with open_workspace(dir) as ws:
        y = year or ws.current_year()
        for code in revoke or []:
            if ws.revoke_link(code, y, actor=actor):
                typer.echo(f"已作废 {code} 的链接。")
            else:
                typer.echo(f"{code} 没有有效链接。")
        if not issuing:
            return
        roster = ws.roster(y)
        live = ws.link_codes(y)
        if all_:
            codes = [a.code for a in roster]
        else:
            codes = [a.code for a in roster if a.code not in live] + [c for c in reissue or [] if c in live]
        tokens = ws.issue_links(y, codes, actor=actor) if codes else {}
        base = base_url.rstrip("/")
        rows = []
        for a in roster:
            if a.code in tokens:
                rows.append([a.code, a.name, f"{base}/a/{tokens[a.code]}", "新链接"])
            else:
                rows.append([a.code, a.name, "", "已有有效链接（未改变，见上次生成的文件）"])
        _write(out, rows, f"{ws.unit_name}{y}年度报送平台链接")
    typer.echo(f"新生成 {len(tokens)} 个单位的链接，写入 {out.resolve()}（文件含私密链接，请妥善保管，按单位分别发送）。")


def _write(out: Path, rows: list[list[str]], title: str) -> None:
    if out.suffix.lower() == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(HEAD)
        w.writerows(rows)
        atomic_write_bytes(out, buf.getvalue().encode("utf-8-sig"))
        return
    import xlsxwriter

    data = io.BytesIO()
    wb = xlsxwriter.Workbook(data, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    ws = wb.add_worksheet("链接")
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    ws.merge_range(0, 0, 0, 3, title, wb.add_format({"bold": True, "font_size": 14}))
    for c, (h, width) in enumerate(zip(HEAD, (14, 32, 70, 36))):
        ws.write_string(1, c, h, bold)
        ws.set_column(c, c, width)
    for r, row in enumerate(rows, 2):
        for c, v in enumerate(row):
            ws.write_string(r, c, v)
    ws.freeze_panes(2, 0)
    wb.close()
    atomic_write_bytes(out, data.getvalue())


def register(app: typer.Typer) -> None:
    app.command("links")(links)
