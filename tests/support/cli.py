"""Run the ``xlflow`` command in this process, as a clerk runs it from a shell.

The entry point is the console script's own (``xlflow.cli.main``: exit codes, Chinese error
lines), inside Typer's ``CliRunner`` isolation (stdout and stderr captured, environment
variables set for the call), so a test pays for the command and not for starting an interpreter
and importing xlflow again (about 0.5 s a call). Tests about the process itself (``python -m
xlflow`` works, a worker pool, the benchmark's child processes) still start one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from xlflow.cli import main


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def xlflow(*args: object, cwd: Path | None = None, env: Mapping[str, str | None] | None = None, input_text: str | None = None) -> Run:
    runner = CliRunner()
    argv, here = sys.argv, Path.cwd()
    with runner.isolation(input=input_text, env=env) as (out, err, _):
        sys.argv = ["xlflow", *map(str, args)]
        code = 0
        try:
            if cwd is not None:
                os.chdir(cwd)
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.argv = argv
            os.chdir(here)
            sys.stdout.flush()
            sys.stderr.flush()
        return Run(code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8"))
