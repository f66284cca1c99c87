"""Finding, loading and compiling form definitions (YAML -> ``Form``)."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from .. import expr as ex
from ..cells import a1, parse_a1, parse_range
from ..errors import FormDefinitionError
from .model import DerivedInstance, FieldDef, Form, LabelDef, MeasureDef, RuleInstance, SheetDef, TypeDef
from .spec import FormSpec, GridSpec, SheetSpec

_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def builtin_form_dirs() -> list[Path]:
    package = Path(__file__).resolve().parents[1]
    # installed wheels carry the definitions inside the package; a checkout has them beside it
    dirs = [package / "_forms", package.parent / "workbook_templates"]
    extra = os.environ.get("XLFLOW_FORMS_PATH", "")
    dirs = [Path(p) for p in extra.split(os.pathsep) if p] + dirs
    return [d for d in dirs if d.is_dir()]


# libyaml's parser when PyYAML was built with it: the same documents, several times faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_parsed: dict[tuple[str, int, int], object] = {}


def _read_yaml(path: Path) -> object:
    """The parsed definition file, parsed once per process: finding a form by id reads every
    file's form_id, and compiling the one found reads it again."""
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _parsed:
        _parsed[key] = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    return copy.deepcopy(_parsed[key])


def available_forms() -> dict[str, Path]:
    """form_id -> definition file, first found wins (XLFLOW_FORMS_PATH before built-ins)."""
    found: dict[str, Path] = {}
    for d in builtin_form_dirs():
        for path in sorted(d.glob("*.yaml")):
            try:
                form_id = _read_yaml(path).get("form_id")
            except (yaml.YAMLError, AttributeError, OSError):
                continue
            if form_id and form_id not in found:
                found[form_id] = path
    return found


DEFAULT_FORM = "gov-info-annual-2021"
_cache: dict[tuple[str, float], Form] = {}


def load_form(ref: str | Path = DEFAULT_FORM) -> Form:
    """Load a form by id (built-in or on XLFLOW_FORMS_PATH) or by path to a YAML file."""
    path = Path(ref)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        forms = available_forms()
        if str(ref) not in forms:
            known = "、".join(forms) or "（无）"
            raise FormDefinitionError(f"找不到报表定义“{ref}”。已知的报表：{known}")
        path = forms[str(ref)]
    key = (str(path.resolve()), path.stat().st_mtime)
    if key not in _cache:
        _cache[key] = compile_form(path)
    return _cache[key]


def compile_form(path: Path) -> Form:
    try:
        raw = _read_yaml(path)
        spec = FormSpec.model_validate(raw)
    except (yaml.YAMLError, OSError) as exc:
        raise FormDefinitionError(f"报表定义文件 {path} 无法读取：{exc}") from None
    except ValidationError as exc:
        raise FormDefinitionError(f"报表定义文件 {path} 不符合规范：\n{exc}") from None
    try:
        return _Compiler(spec, path).compile()
    except (ex.ExprError, ValueError, KeyError) as exc:
        raise FormDefinitionError(f"报表定义文件 {path} 有错误：{exc}") from None


class _Compiler:
    def __init__(self, spec: FormSpec, path: Path | None):
        self.spec = spec
        self.path = path
        self.types = {name: TypeDef(name, t) for name, t in spec.types.items()}
        self.fields: dict[str, FieldDef] = {}

    def compile(self) -> Form:
        sheets = [self._sheet(s) for s in self.spec.sheets]
        names = [s.name for s in sheets]
        if len(set(names)) != len(names):
            raise ValueError("工作表名称重复")
        derived = self._derived()
        rules = self._rules()
        for what, fid in self.spec.identity.items():
            if fid not in self.fields:
                raise ValueError(f"identity.{what} 引用了不存在的字段 {fid}")
        scopes = self.spec.scopes
        if scopes.own == scopes.summary:
            raise ValueError("scopes.own 与 scopes.summary 不能相同")
        if "scope" in self.spec.identity:
            choices = self.fields[self.spec.identity["scope"]].type.spec.choices
            missing = [v for v in (scopes.own, scopes.summary) if choices and v not in choices]
            if missing:
                raise ValueError(f"scopes 中的“{'、'.join(missing)}”不是统计范围字段的可选项（{'、'.join(choices)}）")
        for s in self.spec.sheets:
            for item in s.signoff.items if s.signoff else ():
                if item.field is not None and item.field not in self.fields:
                    raise ValueError(f"工作表“{s.name}”的签字栏“{item.label}”引用了不存在的字段 {item.field}")
        dn = [f.defined_name for f in self.fields.values()]
        if len(set(dn)) != len(dn):
            raise ValueError("字段编号把 . 换成 _ 后重名，无法生成定义名称")
        return Form(self.spec, self.path, sheets, self.fields, derived, rules, self._measures())

    # -- sheets, labels, fields ------------------------------------------------------------
    def _type(self, name: str) -> TypeDef:
        if name not in self.types:
            raise ValueError(f"未定义的类型 {name}")
        return self.types[name]

    def _sheet(self, s: SheetSpec) -> SheetDef:
        labels = []
        for lb in s.labels:
            r1, c1, r2, c2 = parse_range(lb.at)
            merge = (r1, c1, r2, c2) if (r1, c1) != (r2, c2) else None
            labels.append(LabelDef(s.name, s.key, r1, c1, merge, lb.text, lb.style))
        fields: list[FieldDef] = []
        for fs in s.fields:
            fields.append(self._add_field(s, fs.id, fs.at, fs.type, fs.label, fs.stamp, fs.required, labels))
        for g in s.grids:
            fields.extend(self._grid(s, g, labels))
        occupied: dict[tuple[int, int], str] = {}
        for item in [*labels, *fields]:
            r1, c1, r2, c2 = item.merge or (item.row, item.col, item.row, item.col)
            what = getattr(item, "id", None) or getattr(item, "text", "")
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) in occupied:
                        raise ValueError(f"工作表“{s.name}”的 {a1(r, c)} 被重复占用：{occupied[(r, c)]} 与 {what}")
                    occupied[(r, c)] = str(what)
        for f in fields:
            f.row_label, f.col_label = _row_col_labels(s, f, labels)
        return SheetDef(s, labels, fields)

    def _add_field(self, s, fid, at, type_name, label, stamp, required, labels) -> FieldDef:
        if not _ID.match(fid):
            raise ValueError(f"字段编号“{fid}”不合规范（小写字母、数字、下划线，用 . 分段）")
        if fid in self.fields:
            raise ValueError(f"字段编号重复：{fid}")
        r1, c1, r2, c2 = parse_range(at)
        merge = (r1, c1, r2, c2) if (r1, c1) != (r2, c2) else None
        path = (label,) if label else _label_path(s, r1, c1, labels)
        if not path:
            raise ValueError(f"字段 {fid} 没有标签：请在定义中写 label，或放在表格区域内")
        f = FieldDef(fid, s.name, s.key, r1, c1, merge, self._type(type_name), path, stamp, None, required)
        self.fields[fid] = f
        return f

    def _grid(self, s: SheetSpec, g: GridSpec, labels) -> list[FieldDef]:
        row0, col0 = parse_a1(g.origin)
        rows = self.spec.sets[g.rows] if g.rows else {None: ""}
        cols = self.spec.sets[g.cols] if g.cols else {None: ""}
        out = []
        for i, (rk, rl) in enumerate(rows.items()):
            for j, (ck, cl) in enumerate(cols.items()):
                keys = {k: v for k, v in (("row", rk), ("col", ck)) if v is not None}
                fid = ex.substitute(g.id, keys)
                label = ex.substitute(g.label, {**keys, "row_label": rl, "col_label": cl}) if g.label else None
                out.append(self._add_field(s, fid, a1(row0 + i, col0 + j), g.type, label, None, False, labels))
        return out

    # -- foreach bindings --------------------------------------------------------------------
    def _bindings(self, foreach: Mapping[str, str]) -> list[tuple[dict[str, str], dict[str, str]]]:
        """[(variables, labels)] for every combination of the foreach sets."""
        combos: list[tuple[dict[str, str], dict[str, str]]] = [({}, {})]
        for var, set_name in foreach.items():
            if set_name not in self.spec.sets:
                raise ValueError(f"foreach 引用了未定义的集合 {set_name}")
            members = self.spec.sets[set_name]
            combos = [
                ({**v, var: key}, {**lb, f"{var}_label": label})
                for v, lb in combos
                for key, label in members.items()
            ]
        return combos

    def _expr(self, text: str, variables: Mapping[str, str]) -> ex.Expr:
        expanded = ex.expand_ids(ex.substitute(text, variables), self.spec.sets, self.fields)
        e = ex.parse(expanded)
        for ref in e.refs:
            base = ref[len(ex.PREV):] if ref.startswith(ex.PREV) else ref
            if base not in self.fields:
                raise ValueError(f"表达式引用了不存在的字段 {ref}：{text}")
        return e

    def _derived(self) -> list[DerivedInstance]:
        instances: dict[str, DerivedInstance] = {}
        for d in self.spec.derived:
            for variables, _ in self._bindings(d.foreach):
                fid = ex.substitute(d.id, variables)
                if fid not in self.fields:
                    raise ValueError(f"派生字段 {fid} 不在任何工作表上")
                if fid in instances:
                    raise ValueError(f"派生字段 {fid} 被定义了两次")
                e = self._expr(d.expr, variables)
                inst = DerivedInstance(fid, e, d.rule, e.compile())
                instances[fid] = inst
                self.fields[fid].derived = inst
        return _topological(instances)

    def _rules(self) -> list[RuleInstance]:
        out = []
        ids = [r.id for r in self.spec.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("规则编号重复")
        for r in self.spec.rules:
            for variables, labels in self._bindings(r.foreach):
                e = self._expr(r.check, variables)
                anchor = ex.substitute(r.anchor, variables)
                if anchor not in self.fields:
                    raise ValueError(f"规则 {r.id} 的定位字段 {anchor} 不存在")
                key = r.id + ("[" + ",".join(variables.values()) + "]" if variables else "")
                out.append(RuleInstance(r, key, variables, e, anchor, labels, e.compile()))
        return out


    def _measures(self) -> list[MeasureDef]:
        """``compare.measures``: numbers over this year's fields only (last year's are the
        same expression on last year's values), each with what its warning needs."""
        if self.spec.compare is None:
            return []
        out: list[MeasureDef] = []
        seen: set[str] = set()
        for m in self.spec.compare.measures:
            if m.id in seen:
                raise ValueError(f"compare 中测算项编号重复：{m.id}")
            seen.add(m.id)
            exprs = [self._expr(m.expr, {})] + ([self._expr(m.of, {})] if m.of is not None else [])
            for e in exprs:
                for ref in e.refs:
                    if ref.startswith(ex.PREV):
                        raise ValueError(f"compare 测算项 {m.id} 不能引用 prev.（上年的值由同一表达式在上年数据上计算）：{e.text}")
                    if not self.fields[ref].type.numeric:
                        raise ValueError(f"compare 测算项 {m.id} 引用的字段 {ref} 不是数字")
            anchor = m.anchor or (exprs[0].refs[0] if exprs[0].refs else "")
            if anchor not in self.fields:
                raise ValueError(f"compare 测算项 {m.id} 的定位字段 {anchor} 不存在")
            if m.outlier is not None:
                if m.of is not None and m.outlier.points is None:
                    raise ValueError(f"compare 测算项 {m.id} 是比例，outlier 须写 points（百分点）")
                if m.of is None and m.outlier.ratio is None:
                    raise ValueError(f"compare 测算项 {m.id} 的 outlier 须写 ratio（倍数）")
            of = exprs[1] if len(exprs) > 1 else None
            out.append(MeasureDef(m, exprs[0], of, anchor, exprs[0].compile(), of.compile() if of is not None else None))
        return out


def _label_path(s: SheetSpec, row: int, col: int, labels: list[LabelDef]) -> tuple[str, ...]:
    """Label path of a cell inside a declared table region: the table's title (a label spanning
    the region's full width), then the labels to its left, then the column headers above."""
    for region in s.tables:
        r1, c1, r2, c2 = parse_range(region)
        if not (r1 <= row <= r2 and c1 <= col <= c2):
            continue
        title, left, above = [], [], []
        for lb in labels:
            lr1, lc1, lr2, lc2 = lb.merge or (lb.row, lb.col, lb.row, lb.col)
            if not (r1 <= lr1 and lr2 <= r2 and c1 <= lc1 and lc2 <= c2):
                continue
            if lr1 <= row <= lr2 and lc2 < col:
                left.append((lc1, lb.text))
            elif lc1 <= col <= lc2 and lr2 < row:
                if (lc1, lc2) == (c1, c2):
                    title.append((lr1, lb.text))
                else:
                    above.append((lr1, lb.text))
        # Only the nearest block title counts (table 二 stacks several blocks in one region).
        head = [max(title)[1]] if title else []
        return tuple(head + [t for _, t in sorted(left)] + [t for _, t in sorted(above)])
    return ()


def _row_col_labels(s: SheetSpec, f: FieldDef, labels: list[LabelDef]) -> tuple[str | None, str | None]:
    """Row label (labels left of the cell) and column label (headers above it) inside the
    field's table; a field outside any table is labelled by its own label only."""
    region = None
    for t in s.tables:
        r1, c1, r2, c2 = parse_range(t)
        if r1 <= f.row <= r2 and c1 <= f.col <= c2:
            region = (r1, c1, r2, c2)
    if region is None or len(f.label_path) == 1:
        return " / ".join(f.label_path), None
    r1, c1, r2, c2 = region
    left, above = [], []
    for lb in labels:
        lr1, lc1, lr2, lc2 = lb.merge or (lb.row, lb.col, lb.row, lb.col)
        if not (r1 <= lr1 and lr2 <= r2 and c1 <= lc1 and lc2 <= c2):
            continue
        if lr1 <= f.row <= lr2 and lc2 < f.col:
            left.append((lc1, lb.text))
        elif lc1 <= f.col <= lc2 and lr2 < f.row and (lc1, lc2) != (c1, c2):
            above.append((lr1, lb.text))
    row = " / ".join(t for _, t in sorted(left)) or None
    col = " / ".join(t for _, t in sorted(above)) or None
    return row, col


def _topological(instances: dict[str, DerivedInstance]) -> list[DerivedInstance]:
    order: list[DerivedInstance] = []
    state: dict[str, int] = {}

    def visit(fid: str) -> None:
        if state.get(fid) == 2:
            return
        if state.get(fid) == 1:
            raise ValueError(f"派生字段循环引用：{fid}")
        state[fid] = 1
        for ref in instances[fid].expr.refs:
            if ref in instances:
                visit(ref)
        state[fid] = 2
        order.append(instances[fid])

    for fid in instances:
        visit(fid)
    return order
