"""Which files to check: paths and folders in, spreadsheet files out, streamed one at a time."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..form import Form
from ..results import FileResult
from ..roster import Agency
from .engine import validate_file
from .parallel import use_pool, validate_parallel

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et")


def _skip_reason(path: Path, explicit: bool) -> str | None:
    name = path.name
    if name.startswith("~$"):
        return "Office 临时锁定文件（~$ 开头），已跳过"
    if name.startswith(".~lock.") or name.startswith(".~"):
        return "LibreOffice/WPS 临时锁定文件，已跳过"
    if not explicit and path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        return f"不是电子表格文件（{path.suffix or '无扩展名'}），已跳过"
    return None


def iter_input_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, str | None]]:
    """(path, skip reason or None) for every file under ``paths``; folders are walked
    recursively in name order. A file named explicitly is always checked (a PDF renamed to
    .xlsx must get its finding), except an Office lock file."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    path = Path(root) / name
                    yield path, _skip_reason(path, explicit=False)
        else:
            yield p, _skip_reason(p, explicit=True)


def validate_paths(
    paths: Iterable[str | os.PathLike],
    form: Form,
    *,
    year: int | None = None,
    roster: Sequence[Agency] | None = None,
    previous: Any = None,
    jobs: int = 1,
) -> Iterator[FileResult]:
    """Validate every spreadsheet under ``paths``, one at a time (memory stays flat), in input
    order. ``jobs`` > 1 validates in that many processes when there are enough files to gain
    from it (see ``parallel``); the results are the same."""
    if jobs < 1:
        raise ValueError(f"jobs 应为正整数：{jobs}")
    files = (path for path, skip in iter_input_files(paths) if skip is None)
    if jobs > 1:
        files = list(files)
        if use_pool(len(files), jobs):
            yield from validate_parallel(files, form, jobs, year=year, roster=roster, previous=previous)
            return
    for path in files:
        yield validate_file(path, form, year=year, roster=roster, previous=previous)
