"""Plausible numbers for the 2021 form's agencies, and the demo's sample returns made from them.

``synthetic_values`` draws one agency's return the way county agencies answer (most
applications granted or 本机关不掌握, table 三 balanced by construction, fees consistent,
categories adding up): tests use it for realistic returns. The demo does not run it: its
returns are data, ``xlflow/samples/demo_values.yaml``, written by this module from the
profiles in ``demo_agencies.yaml`` and checked by a test to be what it writes:

    python -m tests.support.demo_values      # rewrite xlflow/samples/demo_values.yaml
"""

from __future__ import annotations

import random
import sys
from datetime import date
from pathlib import Path

import yaml

from xlflow.form import Form, load_form
from xlflow.roster import Agency, load_roster

SAMPLES = Path(__file__).resolve().parents[2] / "xlflow" / "samples"
PLAN = SAMPLES / "demo_agencies.yaml"
VALUES = SAMPLES / "demo_values.yaml"
ROSTER = SAMPLES / "jiaxiang_roster.csv"
SEED_CODE = "370829014"  # its return is its real published report (seed_jiaxiang_finance_2023.yaml)

# Outcome rows of table 三 with how often a county agency answers that way.
_OUTCOME_WEIGHTS = {
    "granted": 45, "partial": 8, "deny_third_party": 2, "deny_process": 3, "deny_enforcement": 1, "deny_query": 1,
    "unable_no_info": 22, "unable_create": 4, "unable_unclear": 2, "noproc_petition": 6, "noproc_repeat": 2,
    "noproc_publication": 1, "noproc_confirm": 1, "other_no_correction": 2, "other_misc": 3,
}
_APPLICANT_SHARE = {"natural": 1.0, "business": 0.25, "research": 0.02, "nonprofit": 0.03, "legal": 0.08, "other": 0.06}


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


def demo_values(form: Form | None = None) -> dict[str, dict]:
    """Every generated agency's values (the roster's and the outsider's), by code."""
    form = form or load_form()
    plan = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    outsider = plan["outsider"]
    out: dict[str, dict] = {}
    for a in [*load_roster(ROSTER), Agency(str(outsider["code"]), outsider["name"], 0)]:
        profile = plan["agencies"].get(a.code, outsider if a.code == str(outsider["code"]) else None)
        if profile is None or a.code == SEED_CODE:
            continue
        rng = random.Random(f"{plan['seed']}-{a.code}")
        out[a.code] = synthetic_values(form, a, profile, rng, plan["narratives"])
    return out


def values_yaml(form: Form | None = None) -> str:
    """demo_values.yaml: zeros and blanks left out (a return's cells start at the form's defaults)."""
    data = {code: {k: v for k, v in values.items() if v not in (0, None)} for code, values in demo_values(form).items()}
    head = ("# The demo's synthetic returns, by agency code and field id: written by\n"
            "# `python -m tests.support.demo_values` from the profiles in demo_agencies.yaml. Do not edit.\n")
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


if __name__ == "__main__":
    VALUES.write_text(values_yaml(), encoding="utf-8")
    sys.stdout.write(f"{VALUES}\n")
