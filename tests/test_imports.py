"""The import graph of xlflow: no circle between modules or between stages, imports at the top.

Read from the source (``ast``), function-local imports included, so a circle hidden inside a
function counts. A stage is a top-level module or package of xlflow (``merge``, ``validate``,
``vocab`` …). A function-local import is allowed only where the list below says why (start-up
time of the command line, measured with ``python -X importtime -m xlflow --help``).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "xlflow"

# module -> what it imports inside a function, and the start-up time that buys. Every
# command starts by importing xlflow.cli, which registers all commands (~0.45 s CPU on the
# 2-core machine, most of it pydantic, typer and xlsxwriter); what a command imports when it
# runs, the others do not pay. Measured by importing each group after xlflow.cli, three runs:
LOCAL_IMPORTS = {
    # the merge stage and the validator: 0.06-0.10 s
    "xlflow.cli.demo": {"xlflow.demo", "xlflow.merge.status", "xlflow.vocab"},
    "xlflow.cli.merge": {"xlflow.merge.export", "xlflow.merge.run", "xlflow.merge.status", "xlflow.vocab"},
    "xlflow.cli.status": {"xlflow.merge.chase", "xlflow.merge.consolidate", "xlflow.merge.run", "xlflow.merge.status", "xlflow.validate"},
    # rich's console, tables and progress (0.05-0.12 s), openpyxl for --annotate (0.06-0.23 s)
    "xlflow.cli.validate": {"xlflow.annotate", "xlflow.export", "xlflow.roster", "xlflow.validate"},
    # xlflow.cli imports this module: the reader and validator would cost every command ~0.05 s
    "xlflow.report.from_file": {"xlflow.summaryfile", "xlflow.validate"},
    # every command imports _common; only validate, merge and status walk the input folders
    "xlflow.cli._common": {"xlflow.validate"},
    # every command imports the template package (xlflow template); the validator package that
    # the value policy lives in would add 0.08 s (0.38-0.42 s -> 0.46-0.52 s for xlflow --help)
    "xlflow.template.live": {"xlflow.validate.policy"},
    # the result cache's sqlite and zlib are for `xlflow cache` only, not every command
    "xlflow.cli.cache": {"xlflow.validate.cache"},
    # the worker pool and the result cache for validate and merge only (with the validator)
    "xlflow.cli._run": {"xlflow.validate.cache", "xlflow.validate.isolation"},
    # one renderer per run: python-docx and its lxml for .docx only (0.05-0.09 s)
    "xlflow.report": {"xlflow.report.docx_render", "xlflow.report.html_render", "xlflow.report.md_render"},
    # the workspace pulls in SQLAlchemy and alembic (0.15-0.25 s): only the workspace commands pay
    "xlflow.cli._workspace": {"xlflow.workspace", "xlflow.workspace.ingest"},
    # the web stack (starlette, jinja2, multipart; ~0.15 s) only for xlflow serve
    "xlflow.cli.serve": {"xlflow.portal"},
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("xlflow")]
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level:
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("xlflow"):
        return []
    # "from . import meta" imports the module meta (its package is imported first anyway, as
    # for every submodule); "from .form import Form" imports the package's face.
    submodules = [f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}")]
    return submodules if len(submodules) == len(node.names) else [target, *submodules]


def _is_module(name: str) -> bool:
    path = PACKAGE.parent / Path(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _graph():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    top: dict[str, set[str]] = {m: set() for m in modules}
    local: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            targets = {t for t in _resolve(name, is_package, node) if t in modules and t != name}
            (top if node.col_offset == 0 else local)[name] |= targets
    return modules, top, local


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "xlflow"


def test_no_circle_between_modules():
    _, top, local = _graph()
    both = {m: top[m] | local[m] for m in top}
    assert _circles(both) == []


def test_no_circle_between_stages():
    _, top, local = _graph()
    stages: dict[str, set[str]] = {}
    for m in top:
        for t in top[m] | local[m]:
            a, b = _stage(m), _stage(t)
            if a != b and a != "xlflow" and b != "xlflow":  # xlflow/__init__ is only the version
                stages.setdefault(a, set()).add(b)
    assert _circles(stages) == []
    # The lower stages never reach up into the later ones.
    for low, high in (("validate", "merge"), ("read", "validate"), ("form", "read"), ("summaryfile", "merge"),
                      ("totals", "merge"), ("vocab", "form"), ("merge", "report"), ("merge", "cli")):
        assert high not in _reach(stages, low), f"{low} imports {high}"


def _reach(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_function_local_imports_are_the_measured_ones():
    _, _, local = _graph()
    found = {m: targets for m, targets in local.items() if targets}
    for m, targets in found.items():
        assert m in LOCAL_IMPORTS, f"{m} imports {sorted(targets)} inside a function: move it to the top or say why here"
        allowed = LOCAL_IMPORTS[m]
        if allowed is not None:
            assert targets <= allowed, f"{m}: {sorted(targets - allowed)}"
