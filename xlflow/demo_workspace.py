"""The demo's workspace: the same county over two years, 2022 and the demo's 2023.

The 2022 returns are derived from each summed 2023 return so that the years join up (2022's
结转下年度 = 2023's 上年结转, column by column; 2022's 现行有效件数 = 2023's minus this year's
制发 plus 废止), except for one agency whose 2022 return carried one application more: the
cross-year check (S1) flags it in 2023 by itself, because 2022 is in the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .form import Form
from .fsutil import atomic_write_bytes
from .roster import Agency, load_roster
from .template import TemplateFactory, template_filename
from .workspace import Workspace


@dataclass
class DemoWorkspace:
    root: Path
    years: list[int]
    flagged: list[str]  # agencies with a cross-year warning in the later year
    summary: Path


def last_year_values(form: Form, values: dict) -> dict | None:
    """Inputs of a previous-year return that joins up with ``values``; None when it cannot
    (a count would go negative)."""
    inputs = {f.id for f in form.input_fields}
    v = {k: x for k, x in values.items() if k in inputs}
    for fid in list(inputs):
        if fid.startswith("t3.carried."):
            col = fid.removeprefix("t3.carried.")
            new, nxt, carried = (int(values.get(f"t3.{r}.{col}") or 0) for r in ("new", "next", "carried"))
            if new + carried - nxt < 0:
                return None
            v[f"t3.new.{col}"], v[f"t3.next.{col}"] = new + carried - nxt, carried
        elif fid.endswith(".in_force") and fid.startswith("t2."):
            doc = fid.removeprefix("t2.").removesuffix(".in_force")
            before = int(values.get(fid) or 0) - int(values.get(f"t2.{doc}.issued") or 0) + int(values.get(f"t2.{doc}.repealed") or 0)
            if before < 0:
                return None
            v[fid] = before
    return v


def build_demo_workspace(root: Path, form: Form, roster_csv: Path, returns: Path, values: dict[str, dict], year: int,
                         code: str, name: str) -> DemoWorkspace:
    roster = {a.code: a for a in load_roster(roster_csv)}
    last = year - 1
    folder = root / f"{last}年回收报表"
    factory = TemplateFactory(form, last)
    flag = None
    for agency_code, v in values.items():
        a: Agency | None = roster.get(agency_code)
        prev = last_year_values(form, v) if a is not None else None
        if prev is None:
            continue
        if flag is None and prev.get("t3.next.natural") is not None:
            flag = agency_code  # one more application carried in 2022 than 2023 says it received
            prev["t3.new.natural"] = int(prev.get("t3.new.natural") or 0) + 1
            prev["t3.next.natural"] = int(prev.get("t3.next.natural") or 0) + 1
        atomic_write_bytes(folder / template_filename(form, last, a.code, a.name), factory.build(a.name, a.code, prev))
    ws_dir = root / "工作区"
    with Workspace.init(ws_dir, year=last, roster=roster_csv, code=code, name=name, actor="demo") as ws:
        ws.add([folder], actor="demo")
    with Workspace.init(ws_dir, year=year, actor="demo") as ws:
        ws.add([returns], year=year, actor="demo")
        flagged = sorted({s.agency_code for s in ws.submissions(year) if s.current and s.agency_code
                          and any(f.rule in ("S1", "S2") for f in ws.result(s.id).findings)})
        summary = ws.merge(ws_dir / "汇总" / ws.summary_name(year), year, actor="demo")
        return DemoWorkspace(ws_dir, ws.years(), flagged, summary)
