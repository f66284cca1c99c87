"""xlflow history: every file a workspace received, newest first (all versions are kept)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..vocab import REVIEW_STATE_ZH, UPLOAD_STATUS_ZH
from ._workspace import DirArg, WsYearOpt, open_workspace


def history(
    dir: DirArg,
    agency: Annotated[Optional[str], typer.Option("--agency", help="只列出这个单位代码的报送。")] = None,
    year: WsYearOpt = None,
) -> None:
    """报送历史：收到的每个文件（新的在前），含收到时间、来源、校验结果，哪一份是现用报表，是否逾期。

    示例：xlflow history 嘉祥县 --agency 370829014
    """
    with open_workspace(dir) as ws:
        subs = ws.submissions(year, agency)
        for s in subs:
            when = s.received_at.astimezone().strftime("%Y-%m-%d %H:%M")
            flags = "".join(["  现用" if s.current else "", "  逾期" if s.late else "", f"  {REVIEW_STATE_ZH[s.review]}" if s.review else ""])
            typer.echo(f"第 {s.id:>4} 号  {when}  {s.agency_code or '未识别单位':<12} {UPLOAD_STATUS_ZH.get(s.status, s.status)}"
                       f"（错误 {s.errors}，警告 {s.warnings}）{flags}  {Path(s.filename).name}  {s.source}/{s.actor}")
        typer.echo(f"共 {len(subs)} 份。")


def register(app: typer.Typer) -> None:
    app.command("history")(history)
