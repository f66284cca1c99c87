"""Command line: a thin Typer layer over the library.

Each command lives in its own module in this package and exposes ``register(app)``; modules are
discovered here, so adding a command is adding a file. The library never imports typer.
``XlflowError`` becomes one clear Chinese line (exit 1, or 2 for usage errors) instead of a
traceback; set XLFLOW_DEBUG=1 to see tracebacks of unexpected errors.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import typer

from ..errors import UsageError, XlflowError

app = typer.Typer(
    name="xlflow",
    help="政府信息公开工作年度报告：生成填报模板、校验回收的报表、汇总全县数据。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
        rc = app(standalone_mode=False)
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
            typer.secho(f"用法错误：{_usage_message(exc)}", fg="red", err=True)
            typer.echo("运行 xlflow --help 或 xlflow <命令> --help 查看用法。", err=True)
            sys.exit(2)
        if os.environ.get("XLFLOW_DEBUG"):
            raise
        typer.secho(f"内部错误：{type(exc).__name__}: {exc}（设置环境变量 XLFLOW_DEBUG=1 可查看详细信息）", fg="red", err=True)
        sys.exit(1)


def _usage_message(exc) -> str:
    name = type(exc).__name__
    param = getattr(exc, "param", None)
    opt = "/".join(getattr(param, "opts", []) or []) or getattr(param, "name", "") or ""
    if name == "MissingParameter":
        return f"缺少必需的参数 {opt}"
    if name == "NoSuchOption":
        return f"没有这个选项：{getattr(exc, 'option_name', '')}"
    if name == "BadParameter":
        return f"参数 {opt} 的值不正确：{exc.format_message()}"
    if name == "UsageError" and "No such command" in exc.format_message():
        return f"没有这个命令：{exc.format_message().split('No such command')[-1].strip(' .')}"
    return exc.format_message()
