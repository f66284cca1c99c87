"""Reference pages generated from a form definition, so the docs cannot drift from the form.

``python -m xlflow.docgen`` rewrites ``docs/forms/<form_id>.md`` for every built-in form and
``docs/form-schema.json`` (the JSON Schema of a definition file, for editors); a test fails
when a committed page differs from what this module generates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .form import Form, FormSpec, available_forms, load_form
from .vocab import SEVERITY_ZH

KIND_ZH = {"integer": "整数", "decimal": "小数", "text": "文字", "choice": "选项", "date": "日期"}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def form_reference(form: Form) -> str:
    spec = form.spec
    out = [
        f"# {spec.title}（{spec.form_id}，版本 {spec.version}）",
        "",
        "<!-- 本页由 `python -m xlflow.docgen` 根据报表定义自动生成，请勿手工修改。 -->",
        "",
        f"依据：{spec.basis}。{spec.description.strip()}",
        "",
        f"版式指纹：`{form.fingerprint}`（回收的报表必须与之一致）。",
        "",
        "## 工作表",
        "",
        "| 工作表 | 填报字段 | 公式字段 | 预填字段 |",
        "|---|---|---|---|",
    ]
    for s in form.sheets:
        n_in = sum(f.is_input for f in s.fields)
        n_der = sum(f.derived is not None for f in s.fields)
        n_st = sum(f.stamp is not None for f in s.fields)
        out.append(f"| {s.name} | {n_in} | {n_der} | {n_st} |")
    out += ["", "## 值类型", "", "| 类型 | 说明 | 种类 | 单位 | 最小值 | 小数位 | 默认值 |", "|---|---|---|---|---|---|---|"]
    for name, t in spec.types.items():
        out.append(
            f"| `{name}` | {_cell(t.title)} | {KIND_ZH[t.kind]} | {t.unit} | "
            f"{'' if t.min is None else f'{t.min:g}'} | {'' if t.decimals is None else t.decimals} | "
            f"{'' if t.default is None else _cell(t.default)} |"
        )
    for s in form.sheets:
        if not s.fields:
            continue
        out += ["", f"## 字段：{s.name}", "", "| 字段编号 | 单元格 | 标签 | 类型 | 取值 |", "|---|---|---|---|---|"]
        for f in sorted(s.fields, key=lambda f: (f.row, f.col)):
            how = "预填" if f.stamp else (f"公式（{f.derived.rule}）：`{f.derived.expr.text}`" if f.derived else "填报")
            out.append(f"| `{f.id}` | {f.cell} | {_cell(' / '.join(f.label_path))} | `{f.type.name}` | {_cell(how)} |")
    out += ["", "## 规则", "", "| 规则 | 级别 | 名称 | 检查 | 需要上年数据 |", "|---|---|---|---|---|"]
    for r in spec.rules:
        each = f"（逐项：{', '.join(f'{k}∈{v}' for k, v in r.foreach.items())}）" if r.foreach else ""
        out.append(
            f"| {r.id} | {SEVERITY_ZH[r.severity]} | {_cell(r.title)} | `{_cell(r.check)}`{each} | {'是' if r.needs_previous else '否'} |"
        )
    if form.measures:
        out += ["", "## 与上年对比（compare）", "", "| 编号 | 测算项 | 计算 | 单位 | 提示阈值 |", "|---|---|---|---|---|"]
        for m in form.measures:
            calc = f"`{_cell(m.expr.text)}`" + (f" ÷ `{_cell(m.of.text)}`" if m.of is not None else "")
            o = m.spec.outlier
            limit = "" if o is None else (f"{o.points:g} 个百分点" if m.share else f"{o.ratio:g} 倍") + (f"（不小于 {o.min:g}）" if o and o.min else "")
            out.append(f"| `{m.id}` | {_cell(m.label)} | {calc} | {'%' if m.share else m.spec.unit} | {limit} |")
    derived_rules = sorted({d.rule for d in spec.derived})
    if derived_rules:
        out += ["", f"公式字段的规则编号（{'、'.join(derived_rules)}）用于回收校验：报表中缓存的合计与按填报数重新计算的结果不一致时报告。"]
    out.append("")
    return "\n".join(out)


def form_schema() -> str:
    return json.dumps(FormSpec.model_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def expected_pages(docs: Path) -> dict[Path, str]:
    pages = {docs / "form-schema.json": form_schema()}
    for form_id, path in available_forms().items():
        pages[docs / "forms" / f"{form_id}.md"] = form_reference(load_form(path))
    return pages


def main(argv: list[str] | None = None) -> int:
    docs = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "docs"
    for path, text in expected_pages(docs).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
