"""Command line: a thin Typer layer over the library.

Each command lives in its own module in this package and exposes ``register(app)``; modules are
discovered here, so adding a command is adding a file. The library never imports typer.
``XlflowError`` becomes one clear Chinese line (exit 1, or 2 for usage errors) instead of a
traceback; set XLFLOW_DEBUG=1 to see tracebacks of unexpected errors. Help and the framework's
own messages are Chinese too (``_zh.py``); bare ``xlflow`` shows the help.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import typer

from ..errors import UsageError, XlflowError
from ._zh import XlflowTyper, ZhGroup, usage_message

app = XlflowTyper(
    name="xlflow",
    cls=ZhGroup,
    help="政府信息公开工作年度报告：生成填报模板、校验回收的报表、汇总全县数据，生成年度报告。",
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context) -> None:
    # Bare "xlflow" is a question, not a mistake: the help, exit 0.
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def _register_commands() -> None:
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main() -> None:
    try:
        rc = app(prog_name="xlflow", standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except UsageError as exc:
        typer.secho(f"用法错误：{exc}", fg="red", err=True)
        sys.exit(2)
    except XlflowError as exc:
        typer.secho(f"错误：{exc}", fg="red", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.secho("已取消。", err=True)
        sys.exit(1)
    except Exception as exc:
        if hasattr(exc, "exit_code") and hasattr(exc, "format_message"):
            # click's usage errors (typer vendors click, so match by shape, not by class)
            typer.secho(f"用法错误：{usage_message(exc, sorted(_command_names()))}", fg="red", err=True)
            typer.echo("运行 xlflow --help 或 xlflow <命令> --help 查看用法。", err=True)
            sys.exit(2)
        if os.environ.get("XLFLOW_DEBUG"):
            raise
        typer.secho(f"内部错误：{type(exc).__name__}: {exc}（设置环境变量 XLFLOW_DEBUG=1 可查看详细信息）", fg="red", err=True)
        sys.exit(1)


def _command_names() -> list[str]:
    return [c.name or c.callback.__name__ for c in app.registered_commands]
