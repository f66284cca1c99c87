"""``xlflow demo``: the whole yearly chain on bundled data, in one call.

Templates for the sample roster (嘉祥县, 16 agencies), returns as agencies send them back (the
seed agency with its real 2023 report; the others with generated, plausible numbers that
satisfy the rules; several with the typical mistakes of official_format.md §8; two missing),
then validation, merge and the 催报 list; and the same collection through a workspace that
also holds 2022 (``demo_workspace``), where the cross-year checks run by themselves. Everything is deterministic: the same version gives
the same files.

All of it is data in ``samples/``: the roster, the seed report, the generated returns
(``demo_values.yaml``), which agency makes which mistake and what each mistake does to a
return, and the superseded layout (``demo_agencies.yaml``). Nothing here names a field.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import yaml

from .demo_workspace import build_demo_workspace
from .form import Form, load_form
from .fsutil import atomic_write_bytes
from .merge.chase import write_status_xlsx
from .merge.run import merge_paths
from .merge.status import status_rows
from .report import render
from .report.from_file import report_from_file
from .roster import Agency, load_roster
from .template import TemplateFactory, template_filename
from .template.cells_xml import set_cells
from .template.package import ZipPacker, unzip_parts

SAMPLES = Path(__file__).resolve().parent / "samples"
ROSTER = SAMPLES / "jiaxiang_roster.csv"
SEED = SAMPLES / "seed_jiaxiang_finance_2023.yaml"
PLAN = SAMPLES / "demo_agencies.yaml"
VALUES = SAMPLES / "demo_values.yaml"


@dataclass
class DemoReturn:
    path: Path
    agency: Agency
    note: str  # what this file demonstrates


@dataclass
class DemoData:
    root: Path
    templates: Path
    returns: Path
    roster: Path
    files: list[DemoReturn] = field(default_factory=list)
    missing: list[Agency] = field(default_factory=list)
    values: dict[str, dict] = field(default_factory=dict)  # code -> values, for the returns that should be summed


def _plan() -> dict:
    return yaml.safe_load(PLAN.read_text(encoding="utf-8"))


def _returns() -> dict[str, dict]:
    """Every sample return's values by agency code: the generated ones and the seed's."""
    out = {str(code): dict(v) for code, v in yaml.safe_load(VALUES.read_text(encoding="utf-8")).items()}
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    out[str(seed["agency_code"])] = dict(seed["values"])
    return out


def _computed(form: Form, changes: dict | None, values: dict, where: str) -> dict:
    """A mistake's cell values: literals as written, ``{expr: ...}`` computed from ``values``
    (a field the sample leaves out is at the form's default)."""
    out = {}
    for fid, v in (changes or {}).items():
        if isinstance(v, dict):
            v = form.parse_expr(v["expr"], where).compile()(form.compute_derived({**form.defaults(), **values}), {})
        out[fid] = v
    return out


def old_layout_workbook(sheets: dict, agency: Agency, year: int) -> bytes:
    """An agency's report in the superseded layout the plan describes, with no xlflow metadata."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append([c.format(name=agency.name, year=year) if isinstance(c, str) else c for c in r])
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps the clock into docProps/core.xml and the zip: pin both (same demo, same bytes).
    parts = unzip_parts(buf.getvalue())
    core = parts.get("docProps/core.xml", b"")
    parts["docProps/core.xml"] = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2024-01-10T00:00:00Z", core)
    return ZipPacker().pack(parts)


def build_demo_data(root: Path, form: Form | None = None) -> DemoData:
    form = form or load_form()
    plan = _plan()
    year = int(plan["year"])
    roster = load_roster(ROSTER)
    data = DemoData(root, root / "模板", root / "回收报表", ROSTER)
    factory = TemplateFactory(form, year)
    for a in roster:
        atomic_write_bytes(data.templates / template_filename(form, year, a.code, a.name), factory.build(a.name, a.code))
    returns = _returns()
    outsider = plan["outsider"]
    profiles = {**plan["agencies"], str(outsider["code"]): outsider}

    def put(a: Agency, content: bytes, note: str, suffix: str = "") -> None:
        name = template_filename(form, year, a.code, a.name).removesuffix(".xlsx") + suffix + ".xlsx"
        path = data.returns / name
        atomic_write_bytes(path, content)
        data.files.append(DemoReturn(path, a, note))

    for a in [*roster, Agency(str(outsider["code"]), outsider["name"], 0)]:
        if a.code not in returns:
            continue
        mistake = (profiles.get(a.code) or {}).get("mistake")
        m = plan["mistakes"][mistake] if mistake else {}
        where = f"demo_agencies.yaml 的 mistakes.{mistake}"
        if m.get("missing"):
            data.missing.append(a)
            continue
        values = returns[a.code]
        values.update(_computed(form, m.get("change"), values, where))
        if "before" in m:  # an earlier version, sent first
            early = {**values, **_computed(form, m["before"].get("change"), values, where)}
            put(a, factory.build(a.name, a.code, early), m["before"]["note"], m["before"].get("suffix", ""))
        if m.get("old_layout"):
            content = old_layout_workbook(plan["old_layout"], a, year)
        elif m.get("year_offset"):
            content = TemplateFactory(form, year + m["year_offset"]).build(a.name, a.code, values)
        else:
            content = factory.build(a.name, a.code, values)
        if m.get("edit"):
            content = set_cells(content, form, _computed(form, m["edit"], values, where))
        put(a, content, m.get("note", "正常报表"), m.get("suffix", ""))
        if m.get("summed", True):
            data.values[a.code] = values
    return data


@dataclass
class DemoRun:
    data: DemoData
    summary: Path
    chase_xlsx: Path
    outcome: object  # merge.run.MergeOutcome
    rows: list = field(default_factory=list)  # merge.status.StatusRow
    reports: list[Path] = field(default_factory=list)  # the seed agency's report, the county draft
    workspace: object = None  # demo_workspace.DemoWorkspace: the same county over two years


def run_demo(root: Path, form: Form | None = None, on_step=None) -> DemoRun:
    """Build the data, validate and merge the returns, write the 催报 list."""
    form = form or load_form()
    say = on_step or (lambda text: None)
    data = build_demo_data(root, form)
    say(f"已生成 {len(load_roster(ROSTER))} 份模板：{data.templates}")
    say(f"已模拟回收 {len(data.files)} 个文件（{len(data.missing)} 个单位未报）：{data.returns}")
    plan = _plan()
    year, county = int(plan["year"]), plan["county"]
    summary = root / "汇总" / f"{county['name']}{year}年{form.spec.title}汇总表.xlsx"
    outcome = merge_paths([data.returns], form, summary, year=year, roster=load_roster(ROSTER),
                          code=str(county["code"]), name=county["name"], csv_dir=root / "汇总")
    rows = status_rows(outcome.consolidation)
    chase = root / "汇总" / f"{county['name']}{year}年催报名单.xlsx"
    write_status_xlsx(chase, outcome.consolidation, rows)
    reports = _demo_reports(root / "年报", data, summary, form)
    ws = build_demo_workspace(root, form, ROSTER, data.returns, data.values, year, str(county["code"]), county["name"])
    return DemoRun(data, summary, chase, outcome, rows, reports, ws)


def _demo_reports(folder: Path, data: DemoData, summary: Path, form: Form) -> list[Path]:
    """The last step of the year: the seed agency's publishable report from its return, and the
    county's draft report from the summary."""
    seed_code = str(yaml.safe_load(SEED.read_text(encoding="utf-8"))["agency_code"])
    seed_file = next(d.path for d in data.files if d.agency.code == seed_code)
    written = []
    for source in (seed_file, summary):
        made = report_from_file(source, form)
        path = folder / made.default_path("docx").name
        atomic_write_bytes(path, render(made.model, "docx"))
        written.append(path)
    return written
