"""The command line speaks Chinese all the way: help at 80 columns shows every word of every
option (nothing cut with "…"), the framework's own words are Chinese, usage errors are one
Chinese sentence, bare ``xlflow`` is the help, and an empty folder is the same answer in every
command."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from rich.cells import cell_len

from tests.returned import build, clean_values
from xlflow.cli import app

ENGLISH = re.compile(
    r"Usage|Options|Arguments|Commands|\[required\]|Show this message|\[default|<int|<path|<str|<bool|"
    r"Try '|Error|Invalid value|Input should|Missing (argument|option|parameter)|Did you mean|No such|"
    r"Got unexpected|requires an argument|Aborted"
)
COMMANDS = sorted(typer.main.get_command(app).commands)
ROSTER = Path(__file__).resolve().parents[1] / "xlflow" / "samples" / "jiaxiang_roster.csv"


def xlflow(*args, columns: int = 80, cwd=None):
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "xlflow", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd)


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_at_80_columns_is_whole_and_chinese(command):
    res = xlflow(*([command] if command else []), "--help")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert out.startswith("用法：xlflow"), out[:80]
    assert all(cell_len(line) <= 80 for line in out.splitlines()), max(out.splitlines(), key=cell_len)
    assert not ENGLISH.search(out), ENGLISH.search(out).group(0)
    assert "显示本帮助并退出。" in out
    click_cmd = typer.main.get_command(app)
    cmd = click_cmd.commands[command] if command else click_cmd
    # Every word of the command's help and of each parameter's help is on screen.
    for para in inspect.cleandoc(cmd.help or "").split("\n\n"):
        assert squeeze(para) in squeeze(out), para
    for p in getattr(cmd, "params", []):
        if getattr(p, "help", None):
            assert squeeze(p.help) in squeeze(out), p.name
    if not command:
        for name in COMMANDS:
            assert re.search(rf"^{name}\s", out, re.M), name


def test_bare_xlflow_is_the_help_not_an_error():
    res = xlflow()
    assert res.returncode == 0 and res.stderr == ""
    assert res.stdout == xlflow("--help").stdout


@pytest.mark.parametrize(
    "args, said",
    [
        (["template", "--year", "abc", "--out", "x"], "--year 的值不正确：“abc”应为整数"),
        (["template", "--out", "x"], "缺少必填的选项 --year"),
        (["valdate", "x"], "没有命令“valdate”，您是不是要用 validate？"),
        (["validate"], "缺少参数：路径…"),
        (["validate", "x", "--yaer", "2024"], "没有选项 --yaer，您是不是要用 --year？"),
        (["validate", "x", "--jobs", "0"], "--jobs/-j 的值不正确：“0”应不小于1"),
        (["validate", "x", "--year"], "选项 --year 后面要写一个值"),
        (["forms", "a", "b"], "多余的参数：b"),
    ],
)
def test_usage_errors_are_one_chinese_sentence(args, said, tmp_path):
    res = xlflow(*args, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert said in res.stderr, res.stderr
    assert not ENGLISH.search(res.stderr + res.stdout), res.stderr


def test_an_empty_folder_is_the_same_answer_in_every_command(tmp_path):
    empty = tmp_path / "回收"
    empty.mkdir()
    (empty / "说明.txt").write_text("不是报表", encoding="utf-8")
    runs = [
        xlflow("validate", empty),
        xlflow("merge", empty, "--out", tmp_path / "汇总.xlsx"),
        xlflow("status", empty, "--agencies", ROSTER),
    ]
    expected = f"错误：在 {empty} 中没有找到报表文件（.xlsx/.xlsm/.xls/.ods）。请检查路径是否正确。"
    for res in runs:
        assert (res.returncode, res.stderr.strip()) == (1, expected), (res.returncode, res.stdout, res.stderr)
    assert not (tmp_path / "汇总.xlsx").exists()


def test_rule_codes_are_shown_with_their_chinese_names(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(build(clean_values(**{"t3.new.natural": "/", "t3.next.natural": 9})))
    res = xlflow("validate", path, "--annotate", tmp_path / "标注", columns=160)
    assert res.returncode == 1
    assert "用符号代替了0（value-placeholder）" in res.stdout
    import openpyxl

    annotated = next((tmp_path / "标注").glob("*.xlsx"))
    comment = openpyxl.load_workbook(annotated)["三、依申请公开"]["D6"].comment.text
    assert comment.startswith("【错误：用符号代替了0（value-placeholder）】")
