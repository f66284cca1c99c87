"""The finding catalog and the generated docs/rules.md."""

import re
from pathlib import Path

from xlflow.findings import CATALOG, finding, render, rule_docs
from xlflow.form import load_form

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
XLFLOW = Path(__file__).resolve().parents[1] / "xlflow"


def test_docs_rules_md_is_current():
    assert DOCS.read_text(encoding="utf-8") == rule_docs(load_form()), "docs/rules.md is stale: run python -m xlflow.findings > docs/rules.md"


def test_every_code_is_kebab_case_documented_and_chinese():
    for code, kind in CATALOG.items():
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", code), code
        assert kind.title and kind.description and re.search(r"[\u4e00-\u9fff]", kind.template), code
        assert f"`{code}`" in DOCS.read_text(encoding="utf-8")


def test_every_rule_of_the_definition_is_documented():
    form = load_form()
    text = rule_docs(form)
    for spec in form.spec.rules:
        assert f"| {spec.id} |" in text
    for d in form.derived:
        assert f"| {d.rule} |" in text


def test_every_code_used_in_the_engine_is_in_the_catalog():
    used = set()
    for path in list((XLFLOW / "validate").glob("*.py")) + list((XLFLOW / "read").glob("*.py")):
        used |= set(re.findall(r'(?:finding|Problem|ReadProblem)\("([a-z-]+)"', path.read_text(encoding="utf-8")))
    assert used and used <= set(CATALOG), used - set(CATALOG)


def test_finding_renders_message_with_values():
    f = finding("value-placeholder", sheet="表", cell="D6", field="t3.new.natural", actual="/")
    assert (f.rule, f.severity, f.cell) == ("value-placeholder", "error", "D6")
    assert "“/”" in f.message and "{" not in f.message
    assert render("{a}+{fee.collected}={x}", {"a": 1.0, "fee.collected": 0.5}) == "1+0.5={x}"
