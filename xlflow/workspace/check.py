"""``check``: every stored file against its hash, every row against its file.

Problems (exit 1 of ``xlflow check``): a row whose file is missing or whose bytes no longer
hash to its name; a row whose size differs; a stored result naming other bytes; an agency with
more than one current return. Notes (harmless, left by an ingest that was killed before its
transaction committed): temporary files and files no row points to; ``prune=True`` removes them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from . import schema as t
from .db import reading


@dataclass
class CheckReport:
    files: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class CheckMixin:
    def check(self, *, prune: bool = False) -> CheckReport:
        rep = CheckReport()
        s = t.submissions
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(s.c.id, s.c.year, s.c.agency_code, s.c.filename, s.c.sha256, s.c.size, s.c.current, s.c.result)).all()
        rep.rows = len(rows)
        checked: dict[str, str | None] = {}
        for r in rows:
            if r.sha256 not in checked:
                checked[r.sha256] = self.blobs.verify(r.sha256)
            why = checked[r.sha256]
            if why is not None:
                rep.problems.append(f"第 {r.id} 号（{r.filename}）：{why}：{self.blobs.path(r.sha256)}")
                continue
            if self.blobs.path(r.sha256).stat().st_size != r.size:
                rep.problems.append(f"第 {r.id} 号（{r.filename}）：记录的大小 {r.size} 与文件不符")
            try:
                stored = json.loads(r.result).get("sha256")
            except ValueError:
                rep.problems.append(f"第 {r.id} 号（{r.filename}）：校验结果无法读取")
                continue
            if stored and stored != r.sha256:
                rep.problems.append(f"第 {r.id} 号（{r.filename}）：校验结果属于另一个文件（{stored[:12]}…）")
        rep.files = len(checked)
        current = Counter((r.year, r.agency_code) for r in rows if r.current and r.agency_code)
        for (year, code), n in sorted(current.items()):
            if n > 1:
                rep.problems.append(f"{year} 年度 {code} 有 {n} 份现用报表（应只有一份）")
        for digest, path in self.blobs.walk():
            if digest and digest in checked:
                continue
            what = "中断的导入留下的临时文件" if not digest else "没有记录指向的文件（导入在登记前中断）"
            if prune:
                path.unlink(missing_ok=True)
                rep.notes.append(f"已清理{what}：{path.name}")
            else:
                rep.notes.append(f"{what}：{path}")
        return rep
