"""The command line in Chinese, at the framework's boundary.

Typer's help ("Usage", "Options", "[required]", "Show this message and exit.") and click's and
pydantic's errors ("Missing argument", "Did you mean", "Input should be a valid integer") are
English, and rich cuts a long run of Chinese with "…" because it only wraps at spaces. So the
commands are built with ``ZhCommand``/``ZhGroup``, whose ``format_help`` lays the help out here
from each parameter's own declaration (names, help, default, required, range), wrapping Chinese
anywhere; ``usage_message`` turns the framework's exceptions into one Chinese sentence. Command
modules stay plain Typer: ``XlflowTyper.command`` gives every command this class.
"""

from __future__ import annotations

import difflib
import inspect
import io
import re
import shutil
import sys

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

HELP_TEXT = "显示本帮助并退出。"
_TYPES = {"int": "整数", "int range": "整数", "float": "数字", "float range": "数字", "str": "文字", "path": "路径",
          "list[path]": "路径…", "list[str]": "文字…", "list[int]": "整数…", "datetime": "日期"}
MAX_WIDTH = 100


def _width() -> int:
    return max(40, min(MAX_WIDTH, shutil.get_terminal_size((80, 24)).columns))


def _prose(text: str) -> list[str]:
    """Paragraphs of a docstring, each joined into one line (a line break inside a Chinese
    paragraph is not a space)."""
    paras = []
    for para in inspect.cleandoc(text or "").split("\n\n"):
        lines = [ln.strip() for ln in para.splitlines() if ln.strip()]
        joined = ""
        for ln in lines:
            joined += ("" if not joined or ord(joined[-1]) > 0x2E7F or ord(ln[0]) > 0x2E7F else " ") + ln
        if joined:
            paras.append(joined)
    return paras


def type_name(param, ctx) -> str:
    """A parameter's kind in Chinese (整数, 路径…), from typer's own description of it."""
    try:
        shown = (param.display_type_rich(ctx=ctx) or "").strip("<>").lower()
    except Exception:  # noqa: BLE001 - a parameter class without typer's description
        shown = ""
    return _TYPES.get(shown, "值")


def _is_flag(param) -> bool:
    return bool(getattr(param, "is_flag", False))


def _argument_name(param, ctx) -> str:
    return getattr(param, "metavar", None) or type_name(param, ctx)


def _option_cell(param, ctx) -> str:
    names = ", ".join(sorted(param.opts + param.secondary_opts, key=lambda o: (not o.startswith("--"), o)))
    return names if _is_flag(param) or param.name == "help" else f"{names} {type_name(param, ctx)}"


def _details(param) -> str:
    if param.name == "help":
        return HELP_TEXT
    text = " ".join(_prose(getattr(param, "help", None) or ""))
    extras = []
    if getattr(param, "min", None) is not None:
        extras.append(f"不小于{param.min}")
    if getattr(param, "max", None) is not None:
        extras.append(f"不大于{param.max}")
    default = param.default
    if getattr(param, "show_default", False) is not False and not _is_flag(param) and default not in (None, "", [], ()):
        extras.append(f"默认：{default}")
    if param.required:
        extras.append("必填")
    return text + ("（" + "，".join(extras) + "）" if extras else "")


_TOKEN = re.compile(r"[\x21-\x7e]+| +|.", re.S)
_NO_LINE_START = "，。、；：？！）》」』”’,.;:?!)%"


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` terminal cells: Chinese may break after any character, a
    Latin word or path only at a space, and no line starts with closing punctuation."""
    lines: list[str] = []
    line = ""
    for tok in _TOKEN.findall(text):
        if cell_len(line + tok) <= width:
            line += tok
            continue
        if tok.isspace():
            lines.append(line.rstrip())
            line = ""
            continue
        if tok[0] in _NO_LINE_START and len(line) > 1:
            lines.append(line[:-1].rstrip())
            line = line[-1] + tok
        else:
            if line.strip():
                lines.append(line.rstrip())
            line = tok
        while cell_len(line) > width:  # a word longer than a line
            cut = next(i for i in range(len(line), 0, -1) if cell_len(line[:i]) <= width)
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _table(rows: list[tuple[str, str]], width: int) -> Table:
    left = max(cell_len(a) for a, _ in rows)
    room = max(20, width - left - 2)
    table = Table.grid(padding=(0, 2), expand=False)
    table.add_column(no_wrap=True, style="bold cyan")
    table.add_column(no_wrap=True, width=room)  # wrapped here: rich cuts Chinese with "…"
    for a, b in rows:
        table.add_row(a, Text("\n".join(wrap(b, room))))
    return table


def render_help(command, ctx) -> str:
    out = io.StringIO()
    tty = sys.stdout.isatty()
    console = Console(file=out, width=_width(), force_terminal=tty, color_system="standard" if tty else None,
                      highlight=False, soft_wrap=False)
    params = command.get_params(ctx)
    arguments = [p for p in params if not getattr(p, "opts", [""])[0].startswith("-")]
    options = [p for p in params if p not in arguments]
    if isinstance(command, TyperGroup):
        usage = f"{ctx.command_path} <命令> [选项]"
    else:
        args = " ".join(_argument_name(p, ctx) if p.required else f"[{_argument_name(p, ctx)}]" for p in arguments)
        usage = f"{ctx.command_path} [选项] {args}".rstrip()
    width = _width()
    console.print(Text("用法：", style="bold") + Text(usage))
    for para in _prose(command.help or ""):
        console.print()
        console.print(Text("\n".join(wrap(para, width))))
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    if isinstance(command, TyperGroup):
        rows = []
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                first = _prose(sub.short_help or sub.help or "")
                rows.append((name, first[0] if first else ""))
        sections.append(("命令", rows))
    sections.append(("参数", [(_argument_name(p, ctx), _details(p)) for p in arguments]))
    sections.append(("选项", [(_option_cell(p, ctx), _details(p)) for p in options]))
    for title, rows in sections:
        if rows:
            console.print()
            console.print(Text(title, style="bold"))
            console.print(_table(rows, width), justify="left")
    if isinstance(command, TyperGroup):
        console.print()
        console.print(f"查看某个命令的用法：{ctx.command_path} <命令> --help")
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


class ZhCommand(TyperCommand):
    def format_help(self, ctx, formatter) -> None:
        formatter.write(render_help(self, ctx))


class ZhGroup(TyperGroup):
    def format_help(self, ctx, formatter) -> None:
        formatter.write(render_help(self, ctx))


class XlflowTyper(typer.Typer):
    """A Typer whose commands render their help in Chinese (command modules stay plain)."""

    def command(self, name=None, *, cls=None, **kwargs):
        return super().command(name, cls=cls or ZhCommand, **kwargs)


# -- errors --------------------------------------------------------------------------------

_PYDANTIC = {
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是或否",
    "greater_than_equal": "应不小于{ge}",
    "greater_than": "应大于{gt}",
    "less_than_equal": "应不大于{le}",
    "less_than": "应小于{lt}",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
}


def _param_name(param) -> str:
    opts = getattr(param, "opts", None) or []
    if opts and opts[0].startswith("-"):
        return "/".join(opts)
    return getattr(param, "metavar", None) or "参数"


def usage_message(exc, commands: list[str]) -> str:
    """One Chinese sentence for a usage error raised by typer or click (matched by class name:
    typer vendors click, and which module defines them is not part of its interface)."""
    name = type(exc).__name__
    param = getattr(exc, "param", None)
    ctx = getattr(exc, "ctx", None)
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if name == "MissingParameter":
        if param is not None and not (getattr(param, "opts", None) or ["-"])[0].startswith("-"):
            return f"缺少参数：{_argument_name(param, ctx) if ctx else '参数'}（{' '.join(_prose(param.help or ''))}）"
        return f"缺少必填的选项 {_param_name(param)}"
    if name == "NoSuchOption":
        option = getattr(exc, "option_name", "")
        close = getattr(exc, "possibilities", None) or []
        hint = f"，您是不是要用 {'、'.join(close)}？" if close else ""
        return f"没有选项 {option}{hint}"
    if name == "BadOptionUsage":
        option = getattr(exc, "option_name", "")
        if "requires" in message:
            return f"选项 {option} 后面要写一个值"
        if "does not take a value" in message:
            return f"选项 {option} 后面不能写值"
        return f"选项 {option} 的用法不对"
    if name == "BadParameter":
        return f"{_param_name(param)} 的值不正确：{_bad_value(exc, param, ctx)}"
    m = re.search(r"No such command '([^']*)'", message)
    if m:
        close = difflib.get_close_matches(m.group(1), commands)
        hint = f"，您是不是要用 {'、'.join(close)}？" if close else f"。可用的命令：{'、'.join(commands)}"
        return f"没有命令“{m.group(1)}”{hint}"
    m = re.search(r"unexpected extra argument(?:\(s\)|s)? \((.*)\)", message)
    if m:
        return f"多余的参数：{m.group(1)}"
    if "Missing command" in message:
        return f"缺少命令。可用的命令：{'、'.join(commands)}"
    # Not one of the errors above: say so in Chinese; XLFLOW_DEBUG=1 shows the original.
    return "命令行有误，请对照帮助检查命令、选项和参数"


def _bad_value(exc, param, ctx) -> str:
    cause = exc.__cause__
    errors = cause.errors() if hasattr(cause, "errors") else []
    if errors:
        err = errors[0]
        given = err.get("input")
        template = _PYDANTIC.get(err.get("type", ""))
        if template is not None:
            try:
                what = template.format(**(err.get("ctx") or {}))
            except (KeyError, IndexError):
                what = template
            return f"“{given}”{what}" if given not in (None, "") else what
    kind = type_name(param, ctx) if param is not None and ctx is not None else "值"
    return f"应为{kind}"
