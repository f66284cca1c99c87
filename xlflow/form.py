"""The form definition: declared once as data, compiled once, used by every stage.

A ``workbook_templates/<form_id>.yaml`` file is parsed into the pydantic ``FormSpec`` (what a
county may write) and compiled into a ``Form`` (what the engine uses): every field with its
sheet, cell, type and label path; every derived cell with its expression; every rule instance
with its compiled check. The template writer, the reader, the validator, the merger and the
docs all read the same ``Form``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import expr as ex
from .cells import a1, parse_a1, parse_range, quote_sheet, range_a1
from .errors import FormDefinitionError

_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_STAMP_VARS = ("agency_name", "agency_code", "year")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TypeSpec(_Spec):
    """A value type: what may be typed into a cell, and how Excel should police it."""

    kind: Literal["integer", "decimal", "text", "choice", "date"]
    title: str
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    unit: str = ""
    default: int | float | str | None = None
    choices: list[str] = []
    max_length: int | None = None
    multiline: bool = False
    num_format: str | None = None
    prompt: str = ""
    rule: str = "R5"


class LabelSpec(_Spec):
    at: str
    text: str
    style: Literal["title", "subtitle", "header", "label", "note", "section", "hint"] = "label"


class FieldSpec(_Spec):
    id: str
    at: str
    type: str
    label: str | None = None
    stamp: Literal["agency_name", "agency_code", "year"] | None = None
    required: bool = False


class GridSpec(_Spec):
    """A rectangle of fields: ``id`` contains ``{row}`` and/or ``{col}``; ``rows``/``cols`` name sets."""

    id: str
    origin: str
    type: str
    rows: str | None = None
    cols: str | None = None
    label: str | None = None  # e.g. "主动公开分类{row_label}"; default: from the table's labels


class DerivedSpec(_Spec):
    id: str
    expr: str
    rule: str
    foreach: dict[str, str] = {}


class ShowSpec(_Spec):
    """Where a per-column rule shows its live check rows under a table."""

    sheet: str
    first_row: int
    lhs_label: str
    rhs_label: str


class RuleSpec(_Spec):
    id: str
    severity: Literal["error", "warning", "info"]
    title: str
    description: str = ""
    check: str
    message: str
    anchor: str
    foreach: dict[str, str] = {}
    needs_previous: bool = False
    show: ShowSpec | None = None


class ChecksPanelSpec(_Spec):
    """Where a sheet lists every live rule with its count of broken instances, and where the
    overall status ("校验通过" / "有 N 处问题") and the warning count are shown."""

    at: str
    status: str
    hint: str


class SheetSpec(_Spec):
    key: str
    name: str = Field(max_length=31)
    kind: Literal["guide", "form"] = "form"
    columns: dict[str, float] = {}
    landscape: bool = False
    repeat_rows: str | None = None
    freeze: str | None = None
    checks_panel: ChecksPanelSpec | None = None
    labels: list[LabelSpec] = []
    fields: list[FieldSpec] = []
    grids: list[GridSpec] = []
    tables: list[str] = []


class ReportTextSpec(_Spec):
    """One sentence template of the published report. ``{agency_name}``, ``{year}``,
    ``{scope_name}`` and ``{<field id>}`` are filled in; ``[...]`` is dropped when a value inside
    it is empty; ``{units:<field id>}`` lists the member units of a summary (``item`` each)."""

    text: str
    when: str | None = None  # expression over field ids; the sentence is used only when true
    item: str = "{name}{value}"


class ReportBlockSpec(_Spec):
    """A piece of a report section: a narrative field, a sheet's tables, or a chart."""

    kind: Literal["text", "table", "chart"] = "text"
    field: str | None = None
    heading: str | None = None  # default: the field's label; "" for none
    run_in: str | None = None  # heading starts the paragraph, joined by this separator
    optional: bool = False  # left out when empty instead of marked as missing
    fallback: list[ReportTextSpec] = []  # when the field is empty: first sentence whose `when` holds
    summary: list[ReportTextSpec] = []  # county summary: data sentences shown under the heading
    sheet: str | None = None  # table: default the section's sheet
    title: str = ""  # chart
    rows: str | None = None  # chart: set iterated as {row}
    label: str | None = None  # chart: id pattern of the category names, e.g. "cat.{row}.name"
    value: str | None = None  # chart: id pattern of the counts


class ReportSectionSpec(_Spec):
    sheet: str | None = None
    heading: str | None = None  # default: the sheet's title label
    blocks: list[ReportBlockSpec] = []  # default: the sheet's tables


class ReportSpec(_Spec):
    """How the publishable report is laid out; optional (a plain layout is derived otherwise)."""

    title: str = "{agency_name}{year}年{form_title}"
    preamble: list[str] = []
    summary_preamble: list[str] = []
    scope_name: str = "全县"
    sections: list[ReportSectionSpec] = []


class FormSpec(_Spec):
    form_id: str
    version: str
    title: str
    basis: str = ""
    description: str = ""
    supersedes_markers: list[str] = []
    identity: dict[Literal["agency_name", "agency_code", "year", "scope"], str]
    instructions: list[str] = []
    types: dict[str, TypeSpec]
    sets: dict[str, dict[str, str]]
    sheets: list[SheetSpec]
    derived: list[DerivedSpec] = []
    rules: list[RuleSpec] = []
    report: ReportSpec | None = None

    @field_validator("sets", mode="before")
    @classmethod
    def _sets_as_mappings(cls, value: Any) -> Any:
        # A set may be written as a plain list of keys; its labels are then the keys.
        if isinstance(value, dict):
            return {k: ({m: m for m in v} if isinstance(v, list) else v) for k, v in value.items()}
        return value


# ------------------------------------------------------------------------------------------
# Compiled form
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TypeDef:
    name: str
    spec: TypeSpec

    @property
    def numeric(self) -> bool:
        return self.spec.kind in ("integer", "decimal")


@dataclass
class FieldDef:
    id: str
    sheet: str  # sheet name as in the workbook
    sheet_key: str
    row: int
    col: int
    merge: tuple[int, int, int, int] | None
    type: TypeDef
    label_path: tuple[str, ...]
    stamp: str | None = None
    derived: DerivedInstance | None = None
    required: bool = False

    @property
    def cell(self) -> str:
        return a1(self.row, self.col)

    @property
    def defined_name(self) -> str:
        return "xlf_" + self.id.replace(".", "_")

    @property
    def is_input(self) -> bool:
        return self.derived is None and self.stamp is None

    @property
    def label(self) -> str:
        return " / ".join(self.label_path)

    @property
    def default(self):
        return self.type.spec.default


@dataclass
class LabelDef:
    sheet: str
    sheet_key: str
    row: int
    col: int
    merge: tuple[int, int, int, int] | None
    text: str
    style: str

    @property
    def cell(self) -> str:
        return a1(self.row, self.col)

    @property
    def stamped(self) -> bool:
        """Labels carrying the agency name or year differ per copy; not part of the layout."""
        return any("{" + v + "}" in self.text for v in _STAMP_VARS)


@dataclass
class DerivedInstance:
    field_id: str
    expr: ex.Expr
    rule: str
    func: Any = field(repr=False, default=None)


@dataclass
class RuleInstance:
    """One rule applied to one foreach binding, e.g. R1 for column 自然人."""

    rule: RuleSpec
    key: str  # e.g. "R1[natural]"
    variables: dict[str, str]
    expr: ex.Expr
    anchor: str  # field id where findings point
    labels: dict[str, str]  # {"col_label": "自然人"} for messages
    func: Any = field(repr=False, default=None)

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def live(self) -> bool:
        return not self.rule.needs_previous


@dataclass
class SheetDef:
    spec: SheetSpec
    labels: list[LabelDef]
    fields: list[FieldDef]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def key(self) -> str:
        return self.spec.key


@dataclass
class Form:
    spec: FormSpec
    source: Path | None
    sheets: list[SheetDef]
    fields: dict[str, FieldDef]
    derived: list[DerivedInstance]  # in evaluation order
    rules: list[RuleInstance]

    @property
    def form_id(self) -> str:
        return self.spec.form_id

    @property
    def version(self) -> str:
        return self.spec.version

    def sheet(self, key: str) -> SheetDef:
        for s in self.sheets:
            if s.key == key or s.name == key:
                return s
        raise KeyError(key)

    def field_for_identity(self, what: str) -> FieldDef:
        return self.fields[self.spec.identity[what]]

    @cached_property
    def input_fields(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if f.is_input]

    @cached_property
    def numeric_fields(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if f.type.numeric and f.stamp is None]

    @cached_property
    def fingerprint(self) -> str:
        """Hash of everything a returned workbook's layout must match: sheets, labels, cells."""
        canon = {
            "form": self.form_id,
            "version": self.version,
            "sheets": [
                {
                    "name": s.name,
                    "labels": [[lb.cell, lb.text] for lb in s.labels if not lb.stamped],
                    "fields": [[f.id, f.cell, f.type.name] for f in s.fields],
                }
                for s in self.sheets
            ],
        }
        blob = json.dumps(canon, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]

    def defaults(self) -> dict[str, object]:
        """Every field at its blank-template value, derived cells computed."""
        values: dict[str, object] = {f.id: f.default for f in self.fields.values()}
        return self.compute_derived(values)

    def compute_derived(self, values: dict[str, object]) -> dict[str, object]:
        """Fill in derived cells from inputs (in dependency order). Mutates and returns values.
        A derived cell whose inputs are not all numbers becomes None (cannot be computed)."""
        for d in self.derived:
            try:
                values[d.field_id] = d.func(values, {})
            except TypeError:
                values[d.field_id] = None
        return values


# ------------------------------------------------------------------------------------------
# Loading and compiling
# ------------------------------------------------------------------------------------------

def builtin_form_dirs() -> list[Path]:
    here = Path(__file__).resolve().parent
    dirs = [here / "_forms", here.parent / "workbook_templates"]
    extra = os.environ.get("XLFLOW_FORMS_PATH", "")
    dirs = [Path(p) for p in extra.split(os.pathsep) if p] + dirs
    return [d for d in dirs if d.is_dir()]


def available_forms() -> dict[str, Path]:
    """form_id -> definition file, first found wins (XLFLOW_FORMS_PATH before built-ins)."""
    found: dict[str, Path] = {}
    for d in builtin_form_dirs():
        for path in sorted(d.glob("*.yaml")):
            try:
                form_id = yaml.safe_load(path.read_text(encoding="utf-8")).get("form_id")
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
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
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
        dn = [f.defined_name for f in self.fields.values()]
        if len(set(dn)) != len(dn):
            raise ValueError("字段编号把 . 换成 _ 后重名，无法生成定义名称")
        return Form(self.spec, self.path, sheets, self.fields, derived, rules)

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


def excel_range_list(form: Form, ids: list[str], sheet: str) -> str:
    """Compress a list of field ids into Excel ranges (same sheet: D8:D28 rather than 21 cells)."""
    cells = [form.fields[i] for i in ids]
    parts: list[str] = []
    run: list[FieldDef] = []

    def flush() -> None:
        if not run:
            return
        first, last = run[0], run[-1]
        ref = range_a1(first.row, first.col, last.row, last.col)
        parts.append(ref if first.sheet == sheet else f"{quote_sheet(first.sheet)}!{ref}")
        run.clear()

    for f in cells:
        if run:
            prev = run[-1]
            same_sheet = prev.sheet == f.sheet
            vertical = f.col == prev.col == run[0].col and f.row == prev.row + 1 and (len(run) == 1 or run[1].row == run[0].row + 1)
            horizontal = f.row == prev.row == run[0].row and f.col == prev.col + 1 and (len(run) == 1 or run[1].col == run[0].col + 1)
            if same_sheet and (vertical or horizontal):
                run.append(f)
                continue
            flush()
        run.append(f)
    flush()
    return ",".join(parts)

