"""``xlflow demo``: the whole yearly chain on bundled data, in one call.

Templates for the sample roster (嘉祥县, 16 agencies), returns as agencies send them back (the
seed agency with its real 2023 report; the others with generated, plausible numbers that
satisfy the rules; several with the typical mistakes of official_format.md §8; two missing),
then validation, merge and the 催报 list. Everything is deterministic: the same version gives
the same files. Which agency makes which mistake is declared in samples/demo_agencies.yaml.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

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
COUNTY_CODE, COUNTY_NAME = "370829", "嘉祥县"

# Outcome rows of table 三 with how often a county agency answers that way.
_OUTCOME_WEIGHTS = {
    "granted": 45, "partial": 8, "deny_third_party": 2, "deny_process": 3, "deny_enforcement": 1, "deny_query": 1,
    "unable_no_info": 22, "unable_create": 4, "unable_unclear": 2, "noproc_petition": 6, "noproc_repeat": 2,
    "noproc_publication": 1, "noproc_confirm": 1, "other_no_correction": 2, "other_misc": 3,
}
_APPLICANT_SHARE = {"natural": 1.0, "business": 0.25, "research": 0.02, "nonprofit": 0.03, "legal": 0.08, "other": 0.06}


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


def _seed_values() -> dict:
    return dict(yaml.safe_load(SEED.read_text(encoding="utf-8"))["values"])


def synthetic_values(form: Form, agency: Agency, profile: dict, rng: random.Random, narratives: dict) -> dict:
    """Plausible, rule-satisfying values for one agency (R1–R4 by construction, S4, X1)."""
    v: dict[str, object] = {}
    cols = list(form.spec.sets["t3_applicants"])
    outcomes = list(form.spec.sets["t3_outcomes"])
    busy = float(profile.get("applications", 5))
    for col in cols:
        mean = busy * _APPLICANT_SHARE.get(col, 0.05)
        handled = int(rng.expovariate(1 / mean)) if mean >= 0.5 else (1 if rng.random() < mean else 0)
        counts = dict.fromkeys(outcomes, 0)
        keys = list(_OUTCOME_WEIGHTS)
        for _ in range(handled):
            counts[rng.choices(keys, weights=[_OUTCOME_WEIGHTS[k] for k in keys])[0]] += 1
        nxt = rng.randint(0, 2) if col == "natural" and handled > 3 else 0
        carried = rng.randint(0, min(2, handled)) if col == "natural" else 0
        v[f"t3.new.{col}"] = handled + nxt - carried
        v[f"t3.carried.{col}"] = carried
        v[f"t3.next.{col}"] = nxt
        for o in outcomes:
            v[f"t3.{o}.{col}"] = counts[o]
    for group in form.spec.sets["t4_groups"]:
        for part in form.spec.sets["t4_parts"]:
            v[f"t4.{group}.{part}"] = rng.choice([0, 0, 0, 0, 1]) if busy >= 10 else 0
    issued, repealed = rng.randint(0, 4), rng.randint(0, 2)
    v.update({"t2.rules.issued": 0, "t2.rules.repealed": 0, "t2.rules.in_force": 0})
    v.update({"t2.norms.issued": issued, "t2.norms.repealed": repealed, "t2.norms.in_force": rng.randint(3, 25) + issued})
    for key in ("licensing", "penalty", "coercion"):
        base = int(profile.get(key, 0))
        v[f"t2.{key}"] = max(0, base + rng.randint(-base // 10, base // 10)) if base else 0
    v["t2.fees"] = round(rng.uniform(0.5, 80), 4) if profile.get("fees") else 0
    unpaid = sum(int(v[f"t3.other_fee_unpaid.{c}"]) for c in cols)
    notices = unpaid + (1 if rng.random() < 0.15 else 0)
    v["fee.notices"] = notices
    v["fee.notice_amount"] = float(notices * 100)
    v["fee.collected"] = float(max(0, notices - unpaid) * 100)
    proactive = rng.randint(30, 400)
    split = sorted(rng.sample(range(1, proactive), 3))
    for k, (cat, n) in enumerate(zip(("通知公告", "工作动态", "政策文件", "机构信息"), _parts(split, proactive)), 1):
        v[f"cat.c{k}.name"], v[f"cat.c{k}.count"] = cat, n
    v["s1.proactive_total"] = proactive
    npc, cppcc = rng.randint(0, 8), rng.randint(0, 10)
    v["s6.npc_suggestions"], v["s6.cppcc_proposals"] = npc, cppcc
    new = sum(int(v[f"t3.new.{c}"]) for c in cols)
    carried = sum(int(v[f"t3.carried.{c}"]) for c in cols)
    nxt = sum(int(v[f"t3.next.{c}"]) for c in cols)
    fee_sentence = f"发出收费通知{notices}件，实际收取信息处理费{v['fee.collected']:.0f}元。" if notices else "未收取信息处理费。"
    words = {"name": agency.name, "proactive": proactive, "new": new, "carried": carried, "next": nxt,
             "npc": npc, "cppcc": cppcc, "fee_sentence": fee_sentence}
    for fid, template in narratives.items():
        v[fid] = template.format(**words)
    v.update({"unit.scope": "本级", "unit.contact": "办公室　" + "王李张刘陈杨"[rng.randrange(6)] + "同志",
              "unit.phone": f"0537-68{rng.randint(10000, 99999)}", "unit.date": date(2024, 1, rng.randint(8, 25)),
              "unit.address": f"嘉祥县{agency.name.removeprefix('嘉祥县')}办公楼", "unit.website": "http://www.jiaxiang.gov.cn/"})
    return v


def _parts(cuts: list[int], total: int) -> list[int]:
    edges = [0, *cuts, total]
    return [b - a for a, b in zip(edges, edges[1:])]


# -- mistakes, injected into the workbook the way a clerk would make them ------------------------

def layout_2019_workbook(agency: Agency, year: int) -> bytes:
    """An agency's report in the superseded 2019 试行 layout, with no xlflow metadata."""
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "二、主动公开"
    rows = [
        ["二、主动公开政府信息情况"], [f"填报单位：{agency.name}　　年度：{year}年"], ["第二十条第（一）项"],
        ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"], ["规章", 0, 0, 0], ["规范性文件", 3, 3, 41],
        ["第二十条第（五）项"], ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"], ["行政许可", 12, 0, 1766],
        ["其他对外管理服务事项", 3, 0, 25], ["第二十条第（九）项"], ["信息内容", "采购项目数量", "采购总金额"], ["政府集中采购", 4, 86.5],
    ]
    for r in rows:
        ws.append(r)
    ws2 = wb.create_sheet("三、依申请公开")
    ws2.append(["三、收到和处理政府信息公开申请情况"])
    ws2.append(["一、本年新收政府信息公开申请数量", None, None, 12, 0, 0, 0, 0, 0, 12])
    ws2.append(["（六）其他处理", None, None, 0, 0, 0, 0, 0, 0, 0])
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps the clock into docProps/core.xml and the zip: pin both (same demo, same bytes).
    parts = unzip_parts(buf.getvalue())
    core = parts.get("docProps/core.xml", b"")
    parts["docProps/core.xml"] = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2024-01-10T00:00:00Z", core)
    return ZipPacker().pack(parts)


# -- the whole data set -------------------------------------------------------------------------

def build_demo_data(root: Path, form: Form | None = None) -> DemoData:
    form = form or load_form()
    plan = _plan()
    year = int(plan["year"])
    roster = load_roster(ROSTER)
    data = DemoData(root, root / "模板", root / "回收报表", ROSTER)
    factory = TemplateFactory(form, year)
    for a in roster:
        atomic_write_bytes(data.templates / template_filename(form, year, a.code, a.name), factory.build(a.name, a.code))
    seed = _seed_values()
    profiles = plan["agencies"]
    outsider = plan["outsider"]
    agencies = [*roster, Agency(str(outsider["code"]), outsider["name"], 0)]

    def put(a: Agency, content: bytes, note: str, suffix: str = "") -> None:
        name = template_filename(form, year, a.code, a.name).removesuffix(".xlsx") + suffix + ".xlsx"
        path = data.returns / name
        atomic_write_bytes(path, content)
        data.files.append(DemoReturn(path, a, note))

    for a in agencies:
        profile = profiles.get(a.code, outsider if a.code == str(outsider["code"]) else None)
        if a.code == "370829014" and profile is None:
            values = seed
        elif profile is None:
            continue
        else:
            rng = random.Random(f"{plan['seed']}-{a.code}")
            values = synthetic_values(form, a, profile, rng, plan["narratives"])
        mistake = (profile or {}).get("mistake")
        if mistake == "missing":
            data.missing.append(a)
            continue
        data.values[a.code] = values
        filled = factory.build(a.name, a.code, values)
        if a.code == str(outsider["code"]) or mistake in ("typed_total", "slash_blank"):
            data.values.pop(a.code)  # these returns are not summed
        if a.code == str(outsider["code"]):
            put(a, filled, "名单外单位的报表")
        elif mistake == "typed_total":
            put(a, set_cells(filled, form, {"t3.new.total": int(values["t3.new.natural"]) + 7}), "表三总计被手工改写")
        elif mistake == "slash_blank":
            put(a, set_cells(filled, form, {"t2.rules.issued": "/", "t2.rules.repealed": "/", "t3.new.business": None}), "数字单元格填了“/”或留空")
        elif mistake == "r1_broken":
            bad = {**values, "t3.next.business": int(values.get("t3.next.business", 0)) + 2}
            data.values.pop(a.code)
            put(a, factory.build(a.name, a.code, bad), "表三“商业企业”列勾稽关系不成立")
        elif mistake == "wrong_year":
            data.values.pop(a.code)
            put(a, TemplateFactory(form, year - 1).build(a.name, a.code, values), "用了上一年度的模板")
        elif mistake == "layout_2019":
            data.values.pop(a.code)
            put(a, layout_2019_workbook(a, year), "沿用2019年旧格式")
        elif mistake == "duplicate":
            early = {**values, "unit.date": date(2024, 1, 5), "t2.licensing": int(values["t2.licensing"]) + 100}
            put(a, factory.build(a.name, a.code, early), "重复报送：较早的版本", "_初稿")
            put(a, filled, "重复报送：更正后的版本（填报日期较晚）", "_更正")
        elif mistake == "formula_text":
            values["s6.other"] = "=本单位无其他需要报告的事项"
            put(a, factory.build(a.name, a.code, values), "文字以“=”开头（应保持为文字）")
        else:
            put(a, filled, "正常报表")
    return data


@dataclass
class DemoRun:
    data: DemoData
    summary: Path
    chase_xlsx: Path
    outcome: object  # merge.run.MergeOutcome
    rows: list = field(default_factory=list)  # merge.status.StatusRow
    reports: list[Path] = field(default_factory=list)  # the seed agency's report, the county draft


def run_demo(root: Path, form: Form | None = None, on_step=None) -> DemoRun:
    """Build the data, validate and merge the returns, write the 催报 list."""
    form = form or load_form()
    say = on_step or (lambda text: None)
    data = build_demo_data(root, form)
    say(f"已生成 {len(load_roster(ROSTER))} 份模板：{data.templates}")
    say(f"已模拟回收 {len(data.files)} 个文件（{len(data.missing)} 个单位未报）：{data.returns}")
    year = int(_plan()["year"])
    summary = root / "汇总" / f"{COUNTY_NAME}{year}年政府信息公开工作年度报告汇总表.xlsx"
    outcome = merge_paths([data.returns], form, summary, year=year, roster=load_roster(ROSTER),
                          code=COUNTY_CODE, name=COUNTY_NAME, csv_dir=root / "汇总")
    rows = status_rows(outcome.consolidation)
    chase = root / "汇总" / f"{COUNTY_NAME}{year}年催报名单.xlsx"
    write_status_xlsx(chase, outcome.consolidation, rows)
    return DemoRun(data, summary, chase, outcome, rows, _demo_reports(root / "年报", data, summary, form))


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
