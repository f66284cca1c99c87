"""The rule expression language: one text, two targets.

A form definition writes totals and cross-checks as small expressions over field ids, e.g.

    t3.new.{col} + t3.carried.{col} == t3.total.{col} + t3.next.{col}
    sum(t3.<t3_outcomes>.{col})
    t3.other_overdue_fee.total == 0 or fee.notices >= t3.other_overdue_fee.total

The same parsed expression compiles to a Python function (the ingest check) and to an Excel
formula (the live check in the template), so the two can never disagree about what a rule means.

Syntax, in order of expansion:
- ``{var}``: replaced by the current ``foreach`` value;
- ``<set>`` inside a dotted id: expands to every member of a named set, comma-separated
  (only meaningful inside ``sum(...)``);
- ``*`` as one id segment: expands to every field id that matches;
- then Python expression syntax restricted to: dotted ids, numbers, strings, ``+ - * /``,
  unary ``-``, one comparison (``== != < <= > >=``), ``and`` / ``or`` / ``not``, and the
  functions ``sum``, ``abs`` and ``nonblank`` (text present and not a placeholder like "无").
- ``prev.<id>`` refers to last year's value of a field (rules that need ``--previous``).
"""

from __future__ import annotations

import ast
import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .vocab import EMPTY_TEXTS

PREV = "prev."

_TOKEN = re.compile(r"(?:[A-Za-z_]\w*|<\w+>|\*)(?:\.(?:\w+|<\w+>|\*))+")
_VAR = re.compile(r"\{(\w+)\}")


class ExprError(ValueError):
    """A malformed expression in a form definition."""


def substitute(text: str, variables: Mapping[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in variables:
            raise ExprError(f"表达式中的变量 {{{name}}} 没有定义：{text}")
        return variables[name]

    return _VAR.sub(repl, text)


def expand_ids(text: str, sets: Mapping[str, list[str]], field_ids: Iterable[str]) -> str:
    """Expand ``<set>`` and ``*`` segments of dotted ids into comma-separated id lists."""
    known = list(field_ids)

    def repl(m: re.Match[str]) -> str:
        token = m.group(0)
        if "<" not in token and "*" not in token:
            return token
        segments = token.split(".")
        choices: list[list[str]] = []
        for seg in segments:
            if seg.startswith("<"):
                name = seg[1:-1]
                if name not in sets:
                    raise ExprError(f"表达式引用了未定义的集合 <{name}>：{text}")
                choices.append(list(sets[name]))
            else:
                choices.append([seg])
        out: list[str] = []
        for combo in itertools.product(*choices):
            pattern = ".".join(combo)
            if "*" in pattern:
                rx = re.compile("^" + re.escape(pattern).replace(r"\*", r"[^.]+") + "$")
                out.extend(fid for fid in known if rx.match(fid))
            else:
                out.append(pattern)
        if not out:
            raise ExprError(f"“{token}” 没有匹配任何字段：{text}")
        return ", ".join(out)

    return _TOKEN.sub(repl, text)


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


_FUNCS = {"sum", "abs", "nonblank"}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMPOPS = {
    ast.Eq: ("==", "="),
    ast.NotEq: ("!=", "<>"),
    ast.Lt: ("<", "<"),
    ast.LtE: ("<=", "<="),
    ast.Gt: (">", ">"),
    ast.GtE: (">=", ">="),
}


@dataclass(frozen=True)
class Expr:
    """A parsed, validated expression. ``refs`` lists every field id it reads."""

    text: str
    tree: ast.expr = field(repr=False, compare=False)
    refs: tuple[str, ...]

    # -- structure -------------------------------------------------------------------------
    def comparison(self) -> tuple[Expr, str, Expr] | None:
        """(lhs, op, rhs) when the expression is a single comparison, for finding messages."""
        node = self.tree
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            op = _CMPOPS[type(node.ops[0])][0]
            return _from_tree(node.left), op, _from_tree(node.comparators[0])
        return None

    # -- Python target ---------------------------------------------------------------------
    def compile(self) -> Callable[[Mapping[str, object], Mapping[str, object]], object]:
        """A fast callable ``f(values, previous)``; built once, called per returned file."""
        source = _to_python(self.tree)
        code = compile(f"lambda v, p: {source}", "<xlflow-expr>", "eval")
        return eval(code, dict(_RUNTIME))  # noqa: S307 - source is generated from a checked AST

    def evaluate(self, values: Mapping[str, object], previous: Mapping[str, object] | None = None):
        return self.compile()(values, previous or {})

    # -- Excel target ----------------------------------------------------------------------
    def to_excel(self, ref: Callable[[str], str], sum_ref: Callable[[list[str]], str] | None = None) -> str:
        """Excel formula text (without "="). ``ref`` maps a field id to a cell reference;
        ``sum_ref`` may compress a list of ids into ranges for SUM()."""
        return _to_excel(self.tree, ref, sum_ref)


def parse(text: str) -> Expr:
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"表达式语法错误：{text}（{exc.msg}）") from None
    refs: list[str] = []
    _check(tree, text, refs)
    return Expr(text=text, tree=tree, refs=tuple(dict.fromkeys(refs)))


def _from_tree(tree: ast.expr) -> Expr:
    refs: list[str] = []
    _check(tree, ast.unparse(tree), refs)
    return Expr(text=ast.unparse(tree), tree=tree, refs=tuple(dict.fromkeys(refs)))


def _check(node: ast.AST, text: str, refs: list[str]) -> None:
    dotted = _dotted(node)
    if dotted is not None:
        if "." not in dotted and dotted not in ("True", "False"):
            raise ExprError(f"“{dotted}” 不是字段编号（字段编号形如 t3.new.natural）：{text}")
        refs.append(dotted)
        return
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float, str)):
            raise ExprError(f"不支持的常量 {node.value!r}：{text}")
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        _check(node.left, text, refs)
        _check(node.right, text, refs)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        _check(node.operand, text, refs)
        return
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, text, refs)
        return
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or type(node.ops[0]) not in _CMPOPS:
            raise ExprError(f"一个表达式只能有一个比较：{text}")
        _check(node.left, text, refs)
        _check(node.comparators[0], text, refs)
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
        if node.keywords or not node.args:
            raise ExprError(f"{node.func.id}() 的参数不正确：{text}")
        if node.func.id in ("abs", "nonblank") and len(node.args) != 1:
            raise ExprError(f"{node.func.id}() 只接受一个参数：{text}")
        for a in node.args:
            _check(a, text, refs)
        return
    raise ExprError(f"表达式中有不支持的写法 “{ast.unparse(node)}”：{text}")


# -- Python code generation ----------------------------------------------------------------

def _eq(a, b) -> bool:
    # Amounts in 万元 carry decimals: compare to 1e-9 so 0.1 + 0.2 == 0.3 holds as in Excel.
    return math.isclose(a, b, rel_tol=0.0, abs_tol=1e-9)


def _nonblank(x) -> bool:
    if x is None:
        return False
    text = str(x).replace("\u3000", " ").strip()
    return bool(text) and text not in EMPTY_TEXTS


_RUNTIME = {"__builtins__": {}, "_eq": _eq, "_nonblank": _nonblank, "abs": abs}


def _to_python(node: ast.AST) -> str:
    dotted = _dotted(node)
    if dotted is not None:
        if dotted.startswith(PREV):
            return f"p[{dotted[len(PREV):]!r}]"
        return f"v[{dotted!r}]"
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if isinstance(node, ast.BinOp):
        return f"({_to_python(node.left)} {_BINOPS[type(node.op)]} {_to_python(node.right)})"
    if isinstance(node, ast.UnaryOp):
        op = "-" if isinstance(node.op, ast.USub) else "not "
        return f"({op}{_to_python(node.operand)})"
    if isinstance(node, ast.BoolOp):
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        return "(" + joiner.join(_to_python(v) for v in node.values) + ")"
    if isinstance(node, ast.Compare):
        left, right = _to_python(node.left), _to_python(node.comparators[0])
        op = _CMPOPS[type(node.ops[0])][0]
        if op == "==":
            return f"_eq({left}, {right})"
        if op == "!=":
            return f"(not _eq({left}, {right}))"
        return f"({left} {op} {right})"
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    args = [_to_python(a) for a in node.args]
    if node.func.id == "sum":
        return "(" + " + ".join(args) + ")"
    if node.func.id == "nonblank":
        return f"_nonblank({args[0]})"
    return f"abs({args[0]})"


# -- Excel formula generation --------------------------------------------------------------

def _xl_text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _to_excel(node: ast.AST, ref, sum_ref) -> str:
    dotted = _dotted(node)
    if dotted is not None:
        if dotted.startswith(PREV):
            raise ExprError("引用上年数据的规则不能生成表内公式")
        return ref(dotted)
    if isinstance(node, ast.Constant):
        return _xl_text(node.value) if isinstance(node.value, str) else repr(node.value)
    if isinstance(node, ast.BinOp):
        return f"({_to_excel(node.left, ref, sum_ref)}{_BINOPS[type(node.op)]}{_to_excel(node.right, ref, sum_ref)})"
    if isinstance(node, ast.UnaryOp):
        inner = _to_excel(node.operand, ref, sum_ref)
        return f"(-{inner})" if isinstance(node.op, ast.USub) else f"NOT({inner})"
    if isinstance(node, ast.BoolOp):
        fn = "AND" if isinstance(node.op, ast.And) else "OR"
        return f"{fn}(" + ",".join(_to_excel(v, ref, sum_ref) for v in node.values) + ")"
    if isinstance(node, ast.Compare):
        op = _CMPOPS[type(node.ops[0])][1]
        return f"{_to_excel(node.left, ref, sum_ref)}{op}{_to_excel(node.comparators[0], ref, sum_ref)}"
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    name = node.func.id
    if name == "sum":
        plain = [_dotted(a) for a in node.args]
        if sum_ref is not None and all(d is not None and not d.startswith(PREV) for d in plain):
            return f"SUM({sum_ref(plain)})"
        return "SUM(" + ",".join(_to_excel(a, ref, sum_ref) for a in node.args) + ")"
    if name == "abs":
        return f"ABS({_to_excel(node.args[0], ref, sum_ref)})"
    # nonblank: trimmed text (full-width spaces removed too) present and not a placeholder.
    inner = f'TRIM(SUBSTITUTE({_to_excel(node.args[0], ref, sum_ref)},"\u3000"," "))'
    parts = [f"LEN({inner})>0"] + [f"{inner}<>{_xl_text(t)}" for t in EMPTY_TEXTS]
    return "AND(" + ",".join(parts) + ")"
