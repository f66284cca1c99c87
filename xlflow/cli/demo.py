"""xlflow demo: the whole chain on bundled sample data, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def demo(
    out: Annotated[Path, typer.Option("--out", help="演示输出文件夹（模板、回收报表、汇总表都放在这里）。")] = Path("xlflow-demo"),
) -> None:
    """演示完整流程：为示例名单（嘉祥县16个单位）生成2023年度模板，模拟各单位回收的报表
    （含真实的嘉祥县金融工作服务中心报表和若干典型错误、两个单位未报），校验、汇总，生成催报名单，并生成该中心的年度报告和全县报告草稿。

    示例：xlflow demo --out xlflow-demo
    """
    from ..demo import run_demo
    from ..merge.status import chase_list, counts_line
    from ..vocab import ACTION_ZH, FILE_STATUS_ZH

    typer.echo(f"xlflow 演示：输出到 {out.resolve()}")
    run = run_demo(out, on_step=lambda text: typer.echo("  " + text))
    c = run.outcome.consolidation
    typer.echo(f"  已校验并汇总（用时 {run.outcome.seconds:.1f} 秒）：计入 {len(c.units)} 个单位。")
    for d in run.data.files:
        e = next((x for x in c.entries if x.result.path.resolve() == d.path.resolve()), None)
        if e is not None:
            typer.echo(f"    {d.path.name}：{d.note} → {FILE_STATUS_ZH[e.result.status]}，{e.note or ACTION_ZH.get(e.action, '')}")
    typer.echo("  报送状态：" + counts_line(run.rows, "，"))
    typer.echo("  需催报：" + ("、".join(r.name for r in chase_list(run.rows)) or "无"))
    typer.echo(f"汇总表：{run.summary.resolve()}")
    typer.echo(f"催报名单：{run.chase_xlsx.resolve()}")
    for path in run.reports:
        typer.echo(f"年度报告：{path.resolve()}")
    w = run.workspace
    if w is not None:
        years = "、".join(map(str, w.years))
        typer.echo(f"工作区（{years} 两个年度，可继续用 xlflow status/add/merge/log 操作）：{w.root.resolve()}")
        typer.echo(f"  跨年度核对自动进行：{len(w.flagged)} 个单位的上年结转与上一年度不一致（警告）：{'、'.join(w.flagged) or '无'}；工作区汇总表：{w.summary.resolve()}")
        typer.echo(f"  报送平台：xlflow admin-password {w.root.resolve()} 设置管理密码，再 xlflow serve {w.root.resolve()}，"
                   "用浏览器打开 http://127.0.0.1:8000/login；各单位的链接用 xlflow links 生成")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
