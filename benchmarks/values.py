"""Plausible filled-in values for any form: random numbers repaired until every rule holds.

Nothing here knows the 2021 form. Numbers are drawn per field type, then each failing rule
instance is repaired by solving one of its comparisons for one input field it depends on
(the rule's anchor first), accepting a change only when it does not break more rules than it
fixes. Texts come from the bundled seed agency where it has the field, otherwise required
texts get a short synthetic sentence.

``ValuePool`` turns a few such vectors into any number of distinct ones: the rules of a form
are homogeneous (sums, equalities, ``x == 0 or ...``, ``a <= b``), so a valid vector scaled by
a positive integer stays valid; every scaled vector is checked again anyway.
"""

from __future__ import annotations

import ast
import math
import random
from datetime import date
from pathlib import Path

import yaml

from xlflow import expr as ex
from xlflow.form import FieldDef, Form, RuleInstance

SEED_FILE = Path(__file__).resolve().parent.parent / "xlflow" / "samples" / "seed_jiaxiang_finance_2023.yaml"


class UnsatisfiableForm(RuntimeError):
    """The generator could not make every rule of the form hold."""


def seed_texts() -> dict[str, object]:
    try:
        data = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    except OSError:
        return {}
    return {k: v for k, v in (data.get("values") or {}).items() if isinstance(v, str)}


def live_rules(form: Form) -> list[RuleInstance]:
    """Rules that can be checked on one file (no previous year)."""
    return [r for r in form.rules if not r.rule.needs_previous]


def failing(form: Form, values: dict[str, object]) -> list[RuleInstance]:
    out = []
    for inst in live_rules(form):
        try:
            ok = inst.func(values, {})
        except (TypeError, ValueError, ZeroDivisionError):
            ok = False
        if not ok:
            out.append(inst)
    return out


def _valid_number(f: FieldDef, x: float) -> float | int | None:
    """``x`` as a legal value of numeric field ``f`` (right type, within bounds), else None."""
    t = f.type.spec
    if not math.isfinite(x):
        return None
    if t.kind == "integer":
        if abs(x - round(x)) > 1e-9:
            return None
        x = int(round(x))
    else:
        x = round(x, t.decimals if t.decimals is not None else 2) + 0.0  # no "-0"
    if t.min is not None and x < t.min:
        return None
    if t.max is not None and x > t.max:
        return None
    return x


class ValueMaker:
    """Draws valid value vectors for ``form`` (inputs and derived cells, by field id)."""

    def __init__(self, form: Form, year: int):
        self.form, self.year = form, year
        self.numeric_inputs = [f for f in form.input_fields if f.type.numeric]
        self._texts = seed_texts()
        self._inputs_memo: dict[str, list[str]] = {}
        self._comparisons: dict[str, list[ex.Expr]] = {
            r.key: [ex.parse(ast.unparse(node)) for node in ast.walk(r.expr.tree) if isinstance(node, ast.Compare)]
            for r in live_rules(form)
        }

    # -- drawing -----------------------------------------------------------------------------
    def _draw(self, f: FieldDef, rng: random.Random):
        t = f.type.spec
        if t.kind == "integer":
            lo = int(t.min or 0)
            return lo if rng.random() < 0.45 else lo + rng.randint(1, 40)
        if t.kind == "decimal":
            lo = t.min or 0
            return lo if rng.random() < 0.45 else round(lo + rng.uniform(0.01, 500), t.decimals or 2)
        if t.kind == "choice":
            return t.default if t.default in t.choices else t.choices[0]
        if t.kind == "date":
            return date(self.year + 1, 1, 20)
        text = self._texts.get(f.id)
        if text is None and f.required:
            text = f"{f.label}：基准测试数据。"
        if text is not None and t.max_length:
            text = text[: t.max_length]
        return text

    def draw(self, rng: random.Random) -> dict[str, object]:
        """One valid vector: every input drawn, then repaired until all live rules hold."""
        values: dict[str, object] = {f.id: f.default for f in self.form.fields.values()}
        for f in self.form.input_fields:
            values[f.id] = self._draw(f, rng)
        self.form.compute_derived(values)
        for _ in range(8):
            broken = failing(self.form, values)
            if not broken:
                return values
            for inst in broken:
                self._repair(inst, values)
        broken = failing(self.form, values)
        if broken:
            raise UnsatisfiableForm("无法生成满足全部规则的数据：" + "、".join(r.key for r in broken))
        return values

    # -- repairing ---------------------------------------------------------------------------
    def _inputs_of(self, fid: str) -> list[str]:
        """Numeric input fields a field's value depends on (itself, if it is one)."""
        if fid not in self._inputs_memo:
            f = self.form.fields.get(fid)
            if f is None or f.stamp:
                out = []
            elif f.derived is None:
                out = [fid] if f.type.numeric else []
            else:
                out = list(dict.fromkeys(i for ref in f.derived.expr.refs for i in self._inputs_of(ref)))
            self._inputs_memo[fid] = out
        return self._inputs_memo[fid]

    def _repair(self, inst: RuleInstance, values: dict[str, object]) -> None:
        if inst.func(values, {}):
            return
        before = len(failing(self.form, values))
        candidates = list(dict.fromkeys(self._inputs_of(inst.anchor) + [i for r in inst.expr.refs for i in self._inputs_of(r)]))
        for cmp in self._comparisons[inst.key]:
            lhs, _, rhs = cmp.comparison()
            fl, fr = lhs.compile(), rhs.compile()
            for fid in candidates:
                if fid not in cmp.refs and not any(fid in self._inputs_of(r) for r in cmp.refs):
                    continue
                old = values[fid]
                for x in self._solutions(fid, fl, fr, values):
                    values[fid] = x
                    self.form.compute_derived(values)
                    if inst.func(values, {}) and len(failing(self.form, values)) < before:
                        return
                values[fid] = old
                self.form.compute_derived(values)

    def _solutions(self, fid: str, fl, fr, values: dict[str, object]) -> list:
        """Values of ``fid`` near where lhs - rhs crosses zero (the rules are linear)."""

        def gap(t: float) -> float:
            values[fid] = t
            self.form.compute_derived(values)
            return float(fl(values, {})) - float(fr(values, {}))

        old = values[fid]
        try:
            g0, g1 = gap(0), gap(1)
        except (TypeError, ValueError):
            return []
        finally:
            values[fid] = old
            self.form.compute_derived(values)
        slope = g1 - g0
        raw = [0.0] if slope == 0 else [-g0 / slope]
        t = raw[0]
        raw += [math.ceil(t), math.floor(t), math.ceil(t) + 1, math.floor(t) - 1, 0]
        f = self.form.fields[fid]
        out = []
        for x in raw:
            v = _valid_number(f, x)
            if v is not None and v not in out:
                out.append(v)
        return out


class ValuePool:
    """Distinct valid vectors by index: ``pool[i % size]`` scaled by ``1 + i // size``."""

    def __init__(self, form: Form, year: int, size: int = 64, seed: int = 2024):
        self.form = form
        self.maker = ValueMaker(form, year)
        rng = random.Random(seed)
        self.bases = [self.maker.draw(rng) for _ in range(size)]
        self.seed = seed
        self._numeric = [(f.id, f.type.spec) for f in self.maker.numeric_inputs]

    def values(self, i: int) -> dict[str, object]:
        base = self.bases[i % len(self.bases)]
        k = 1 + i // len(self.bases)
        values = dict(base)
        for fid, t in self._numeric:
            v = base[fid]
            values[fid] = v * k if t.kind == "integer" else round(v * k, t.decimals if t.decimals is not None else 2)
        self.form.compute_derived(values)
        if failing(self.form, values):
            # A form whose rules are not homogeneous: draw this one afresh.
            values = self.maker.draw(random.Random(f"{self.seed}-{i}"))
        return values
