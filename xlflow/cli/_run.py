"""Options of the commands that read returns (validate, merge): worker limits and the cache."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

NoCacheOpt = Annotated[
    bool,
    typer.Option("--no-cache", help="不使用校验结果缓存，每个文件都重新读取（缓存位置见 xlflow cache info）。"),
]
MaxMemoryOpt = Annotated[
    int,
    typer.Option("--max-memory", min=64, metavar="MB", help="读取一个文件最多可用的内存（MB）；超过时该文件记为“无法读取”，其余文件照常校验。"),
]
TimeoutOpt = Annotated[
    float,
    typer.Option("--timeout", min=1, metavar="秒", help="读取一个文件最多用时（秒，含 CPU 时间）；超过时该文件记为“无法读取”，其余文件照常校验。"),
]
DEFAULT_MEMORY_MB = 2048
DEFAULT_TIMEOUT = 60.0
# Every file is read in a worker process anyway (isolation), so using the machine's cores costs
# nothing extra; more than 4 gains little and holds more memory.
DEFAULT_JOBS = max(1, min(4, os.cpu_count() or 1))
JobsOpt = Annotated[
    int,
    typer.Option("--jobs", "-j", min=1, help="同时读取文件的子进程数（每个文件都在子进程中读取；默认为电脑的核数，至多4）。结果与顺序都与 --jobs 1 相同。"),
]


def limits(max_memory: int, timeout: float):
    from ..validate.isolation import Limits

    return Limits(memory_mb=max_memory, timeout=timeout)


def open_cache(paths: Sequence[Path], no_cache: bool):
    """The run's result cache, or None with --no-cache."""
    if no_cache:
        return None
    from ..validate.cache import for_inputs

    return for_inputs(paths)
