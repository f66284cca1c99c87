"""Where a workspace keeps things: DIR/workspace.json names the database; blobs and
templates live beside it.

```
DIR/workspace.json          {"format": 1, "db": "sqlite:///workspace.sqlite3"}
DIR/workspace.sqlite3       the database (SQLite, the default; or any SQLAlchemy URL)
DIR/files/ab/cdef…          every file received, named by its SHA-256, never modified
DIR/templates/<year>/       the stamped templates of each year
```

A relative ``sqlite:///NAME`` URL is relative to DIR, so copying the folder copies the
workspace (the backup the clerk guide describes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import XlflowError
from ..fsutil import atomic_write_bytes

CONFIG_NAME = "workspace.json"
DEFAULT_DB = "sqlite:///workspace.sqlite3"
FORMAT = 1


class WorkspaceError(XlflowError):
    """The workspace cannot be opened or used; the message (Chinese) says why."""


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def files(self) -> Path:
        return self.root / "files"

    def templates(self, year: int) -> Path:
        return self.root / "templates" / str(year)


def resolve_url(root: Path, url: str) -> str:
    """``sqlite:///NAME`` relative to the workspace folder; every other URL as it is."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        return prefix + str((root / url[len(prefix):]).resolve())
    return url


def write_config(paths: Paths, db_url: str) -> None:
    doc = {"format": FORMAT, "db": db_url}
    atomic_write_bytes(paths.config, (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def read_config(root: Path) -> dict:
    paths = Paths(Path(root))
    if not paths.config.is_file():
        raise WorkspaceError(f"{root} 不是工作区（找不到 {CONFIG_NAME}）。请先运行 xlflow init {root} --year 年度 --agencies 单位名单.csv。")
    try:
        doc = json.loads(paths.config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"工作区配置文件 {paths.config} 无法读取：{exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("db"), str):
        raise WorkspaceError(f"工作区配置文件 {paths.config} 格式不对：缺少 db。")
    if doc.get("format", FORMAT) > FORMAT:
        raise WorkspaceError(f"工作区 {root} 由更新版本的 xlflow 创建，请升级 xlflow 后再打开。")
    return doc


def is_workspace(path: Path) -> bool:
    return Path(path).is_dir() and Paths(Path(path)).config.is_file()
