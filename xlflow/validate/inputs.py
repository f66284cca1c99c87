"""Which files to check, and checking them: paths and folders in, one result per file out,
streamed in input order.

A returns folder is hostile by nature. Every file in it gets a result, whatever it is (a PDF,
a zip of returns, a CSV are named as such), except the lock files and litter that Office,
LibreOffice, Windows and macOS leave behind. Subfolders are walked; symbolic links found inside
a folder are not followed (they may point anywhere on the machine) but get a finding; a link
named explicitly on the command line is followed. Files are validated in worker processes
(``isolation``) and results come from the cache (``cache``) when the file was already seen.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ..findings import finding
from ..form import Form
from ..results import FileResult
from ..roster import Agency
from .cache import file_sha256
from .isolation import ValidationPool

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et")
_LITTER = frozenset({"thumbs.db", "desktop.ini", ".ds_store", "ehthumbs.db"})
_LITTER_DIRS = frozenset({"__MACOSX", ".git", ".svn"})


class InputFile(NamedTuple):
    """One entry of the inputs: ``skip`` is why it is left out (lock file, litter), ``link``
    that it is a symbolic link found inside a folder (reported, not read)."""

    path: Path
    skip: str | None = None
    link: bool = False


def _skip_reason(path: Path) -> str | None:
    name = path.name
    if name.startswith("~$"):
        return "Office 临时锁定文件（~$ 开头），已跳过"
    if name.startswith(".~lock.") or name.startswith(".~"):
        return "LibreOffice/WPS 临时锁定文件，已跳过"
    if name.startswith("._"):
        return "macOS 附带的资源文件（._ 开头），已跳过"
    if name.lower() in _LITTER or name.startswith("."):
        return "系统或隐藏文件，已跳过"
    return None


def input_files(paths: Iterable[str | os.PathLike], exclude: Iterable[str | os.PathLike] = ()) -> Iterator[InputFile]:
    """Every file under ``paths``; folders are walked recursively in name order. A file named
    explicitly is always checked (a PDF renamed to .xlsx must get its finding), except an
    Office lock file. Files in ``exclude`` (the roster, last year's data, the outputs: kept in
    the same folder, they are not returns) are skipped."""
    excluded = _Excluded(exclude)
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                base = Path(root)
                for name in list(dirs):
                    if name in _LITTER_DIRS or (base / name).is_symlink():
                        dirs.remove(name)
                        if (base / name).is_symlink():
                            yield InputFile(base / name, link=True)
                for name in sorted(files):
                    path = base / name
                    skip = _skip_reason(path) or excluded(path)
                    yield InputFile(path, skip, skip is None and path.is_symlink())
        else:
            yield InputFile(p, "Office 临时锁定文件（~$ 开头），已跳过" if p.name.startswith("~$") else None)


class _Excluded:
    """Is this one of the excluded files? Names are compared first, so a folder of 10,000
    files costs no extra system call per file."""

    def __init__(self, paths: Iterable[str | os.PathLike]):
        self.by_name: dict[str, list[Path]] = {}
        for p in paths:
            p = Path(p)
            self.by_name.setdefault(p.name, []).append(p)

    def __call__(self, path: Path) -> str | None:
        for other in self.by_name.get(path.name, ()):
            try:
                if os.path.samefile(path, other):
                    return "这是本次使用的单位名单、上年数据或输出文件，不是报表，已跳过"
            except OSError:
                continue
        return None


def iter_input_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, str | None]]:
    """(path, skip reason or None) for every file under ``paths`` (see ``input_files``)."""
    for f in input_files(paths):
        yield f.path, f.skip


def link_result(path: Path) -> FileResult:
    try:
        target = os.readlink(path)
    except OSError:
        target = "未知位置"
    return FileResult(path=path, status="unreadable", findings=[finding("file-symlink", what=target)])


def validate_paths(
    paths: Iterable[str | os.PathLike | InputFile],
    form: Form,
    *,
    year: int | None = None,
    roster: Sequence[Agency] | None = None,
    previous: Any = None,
    jobs: int = 1,
    cache: Any = None,
    pool: Any = None,
    limits: Any = None,
) -> Iterator[FileResult]:
    """Validate every file under ``paths`` (see ``input_files``; an ``InputFile`` is taken as
    listed), one result per file in input order, streamed (memory stays flat). Files are read
    in ``jobs`` worker processes (``isolation.ValidationPool``; ``pool`` to reuse one, ``limits``
    for a new one); with ``cache`` (a ``cache.ResultCache``) a file already validated under the
    same dependencies is not read again, and new results are stored (encoded by the workers)."""
    if jobs < 1:
        raise ValueError(f"jobs 应为正整数：{jobs}")
    entries = _entries(paths)
    own = pool is None
    if own:
        pool = ValidationPool(form, jobs=jobs, limits=limits)
    ctx = {"year": year, "roster": roster, "previous": previous}
    known: set[int] = set()  # ids of results that did not come from a worker
    store = None if cache is None else (lambda r, blob: cache.put(r, form, blob=blob, **ctx))
    lookups = cache if cache is not None and cache.has_entries(form) else None
    try:
        yield from pool.run(_lookups(entries, form, lookups, ctx, known), packed=store, **ctx)
    finally:
        if own:
            pool.close()
        if cache is not None:
            cache.flush()


def _entries(paths) -> Iterator[InputFile]:
    for p in paths:
        if isinstance(p, InputFile):
            yield p
        else:
            yield from input_files([p])


def _lookups(entries: Iterator[InputFile], form: Form, cache, ctx: dict, known: set[int]) -> Iterator[Path | FileResult]:
    """What the pool gets: a path to read, or a result already known (a link, a cache hit).
    (Hashing in threads ahead of the lookups was tried: the GIL hand-offs cost more than the
    hashing they overlapped.)"""
    for e in entries:
        if e.skip is not None:
            continue
        hit = link_result(e.path) if e.link else None
        if hit is None and cache is not None:
            sha = file_sha256(e.path)
            hit = cache.get(sha, form, path=e.path, **ctx) if sha else None
        if hit is not None:
            known.add(id(hit))
            yield hit
        else:
            yield e.path
