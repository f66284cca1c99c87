"""xlflow cache: where the validation results are kept, and emptying it."""

from __future__ import annotations

import typer

from ._zh import XlflowTyper, ZhGroup

cache_app = XlflowTyper(
    cls=ZhGroup,
    help="校验结果缓存：未改动的文件不重复读取。缓存位置取环境变量 XLFLOW_CACHE_DIR，默认为用户缓存目录。",
    no_args_is_help=True,
)


@cache_app.command("info")
def info() -> None:
    """显示缓存的位置、条目数和占用空间。"""
    from ..validate.cache import ResultCache

    c = ResultCache()
    i = c.info()
    c.close()
    typer.echo(f"缓存位置：{i['path']}")
    typer.echo(f"条目：{i['entries']} 个，占用 {i['bytes'] / 1024 / 1024:.1f} MB")
    if c.note:
        typer.secho(c.note, fg="yellow")


@cache_app.command("clear")
def clear() -> None:
    """清空缓存（下次校验时每个文件都重新读取）。回收的报表文件不受影响。"""
    from ..validate.cache import ResultCache

    c = ResultCache()
    n = c.clear()
    typer.echo(f"已清空缓存（{n} 个条目）：{c.path}")


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache")
