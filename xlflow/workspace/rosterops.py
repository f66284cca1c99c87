"""Roster changes during the year, each a logged command (never a hand-edited file).

* ``roster_add(code, name)``: a new agency is expected; returns it already sent (listed as
  not on the roster until now) are re-validated and may now count.
* ``roster_rename(code, name)``: same code, new name (its returns are re-validated: the
  name check changes).
* ``roster_merge(code, into)``: the agency was merged into another; it is no longer expected
  and its returns become history (the surviving agency reports for both).
* ``roster_remove(code)``: no longer expected; its returns become history.

Every change keeps the agency's row (state active / removed / merged), bumps the year's
roster version, updates the agency's template in DIR/templates/<year>/, and re-validates what it affects; the status
changes are returned for the clerk.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..fsutil import atomic_write_bytes
from ..template import TemplateFactory, template_filename
from . import schema as t
from .config import WorkspaceError
from .db import writing
from .records import Change
from .store import audit


class RosterMixin:
    def _roster_row(self, conn, year: int, code: str):
        return conn.execute(sa.select(t.agencies).where(t.agencies.c.year == year, t.agencies.c.code == code)).first()

    def _bump(self, conn, year: int) -> None:
        conn.execute(t.years.update().where(t.years.c.year == year).values(roster_version=t.years.c.roster_version + 1))

    def _after_roster(self, year: int, actor: str, *, gone: tuple[str, str] | None = None, made: str | None = None) -> list[Change]:
        """Templates follow the roster (the one agency's file removed and/or written), then
        the stored results the change affects are re-validated."""
        f = self.form(year)
        folder = self.paths.templates(year)
        if gone is not None:
            (folder / template_filename(f, year, *gone)).unlink(missing_ok=True)
        if made is not None:
            a = self.agency(made, year)
            if a is not None:
                atomic_write_bytes(folder / template_filename(f, year, a.code, a.name), TemplateFactory(f, year).build(a.name, a.code))
        return self.revalidate(year, actor=actor)

    def roster_add(self, code: str, name: str, *, group: str = "", year: int | None = None, actor: str = "cli") -> list[Change]:
        y = self._year(year)
        code, name = code.strip(), name.strip()
        if not code or not name:
            raise WorkspaceError("新增单位需要单位代码和单位名称。")
        with writing(self.engine) as conn:
            row = self._roster_row(conn, y, code)
            if row is not None and row.state == "active":
                raise WorkspaceError(f"{y} 年度名单中已有单位代码 {code}（{row.name}）。")
            if row is not None:
                conn.execute(t.agencies.update().where(t.agencies.c.id == row.id).values(name=name, grp=group, state="active", merged_into=None))
            else:
                pos = conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.agencies.c.position), -1)).where(t.agencies.c.year == y)).scalar_one() + 1
                conn.execute(t.agencies.insert().values(year=y, code=code, name=name, grp=group, contacts="[]", position=pos, state="active"))
            self._bump(conn, y)
            audit(conn, "roster-add", actor=actor, year=y, agency_code=code, detail=f"名单新增：{code} {name}")
        return self._after_roster(y, actor, made=code)

    def _active(self, conn, y: int, code: str):
        row = self._roster_row(conn, y, code)
        if row is None or row.state != "active":
            raise WorkspaceError(f"{y} 年度名单中没有（或已不在名单中的）单位代码 {code}。")
        return row

    def roster_rename(self, code: str, name: str, *, year: int | None = None, actor: str = "cli") -> list[Change]:
        y = self._year(year)
        name = name.strip()
        if not name:
            raise WorkspaceError("新的单位名称不能为空。")
        with writing(self.engine) as conn:
            row = self._active(conn, y, code)
            conn.execute(t.agencies.update().where(t.agencies.c.id == row.id).values(name=name))
            self._bump(conn, y)
            audit(conn, "roster-rename", actor=actor, year=y, agency_code=code, detail=f"单位更名：{code} {row.name} → {name}")
        return self._after_roster(y, actor, gone=(code, row.name), made=code)

    def roster_merge(self, code: str, into: str, *, year: int | None = None, actor: str = "cli") -> list[Change]:
        y = self._year(year)
        if code == into:
            raise WorkspaceError("不能把单位并入它自己。")
        with writing(self.engine) as conn:
            row = self._active(conn, y, code)
            target = self._active(conn, y, into)
            conn.execute(t.agencies.update().where(t.agencies.c.id == row.id).values(state="merged", merged_into=into))
            self._bump(conn, y)
            audit(conn, "roster-merge", actor=actor, year=y, agency_code=code,
                  detail=f"单位合并：{code} {row.name} 并入 {into} {target.name}（原单位不再单独报送，其报表保留在历史中）")
        return self._after_roster(y, actor, gone=(code, row.name))

    def roster_remove(self, code: str, *, year: int | None = None, actor: str = "cli") -> list[Change]:
        y = self._year(year)
        with writing(self.engine) as conn:
            row = self._active(conn, y, code)
            conn.execute(t.agencies.update().where(t.agencies.c.id == row.id).values(state="removed"))
            self._bump(conn, y)
            audit(conn, "roster-remove", actor=actor, year=y, agency_code=code, detail=f"名单移除：{code} {row.name}（其报表保留在历史中）")
        return self._after_roster(y, actor, gone=(code, row.name))
