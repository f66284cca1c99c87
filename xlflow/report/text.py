"""Sentence templates of the report definition, and how values are printed.

A template is plain text with ``{name}`` placeholders (``agency_name``, ``year``, a field id,
``units:<field id>`` …). A part in ``[...]`` is optional: it is left out when any placeholder
inside it has no value, so "地址：…，" disappears when no address was filled in instead of
printing "地址：，". Groups nest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal

from ..errors import FormDefinitionError
from ..vocab import format_number

_PLACEHOLDER = re.compile(r"\{([^{}\[\]]+)\}")


def fmt_number(value: object) -> str:
    """Numbers as a clerk writes them: 21, 0.35, 1500.5 (no 21.0, no 1e-05): ``vocab.format_number``."""
    if isinstance(value, bool):
        return str(int(value))
    return format_number(value)


def fmt_value(value: object) -> str:
    """A cell or field value as printed; None (not filled in / not computable) prints empty."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)):
        return fmt_number(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value).strip()


def render(template: str, lookup: Callable[[str], str | None]) -> str:
    """Fill ``template``; ``lookup(name)`` returns the text or None/"" when there is none.
    A placeholder without value outside any ``[...]`` prints as empty."""
    out, rest = _render(template, 0, lookup, top=True)
    if rest != len(template):
        raise FormDefinitionError(f"报告模板的方括号不配对：{template}")
    return out


def _render(text: str, pos: int, lookup, top: bool) -> tuple[str, int]:
    parts: list[str] = []
    missing = False
    while pos < len(text):
        ch = text[pos]
        if ch == "[":
            inner, pos = _render(text, pos + 1, lookup, top=False)
            if pos >= len(text) or text[pos] != "]":
                raise FormDefinitionError(f"报告模板的方括号不配对：{text}")
            parts.append(inner)
            pos += 1
        elif ch == "]":
            if top:
                raise FormDefinitionError(f"报告模板的方括号不配对：{text}")
            break
        elif ch == "{":
            m = _PLACEHOLDER.match(text, pos)
            if not m:
                raise FormDefinitionError(f"报告模板的花括号不配对：{text}")
            value = lookup(m.group(1).strip())
            if value is None or value == "":
                missing = True
                value = ""
            parts.append(value)
            pos = m.end()
        else:
            parts.append(ch)
            pos += 1
    if missing and not top:
        return "", pos
    return "".join(parts), pos


def placeholders(template: str) -> list[str]:
    return [m.group(1).strip() for m in _PLACEHOLDER.finditer(template)]


def lookup_in(values: Mapping[str, object], extra: Mapping[str, str]) -> Callable[[str], str | None]:
    """Placeholder lookup: the extra names first (agency_name, year …), then field values."""

    def lookup(name: str) -> str | None:
        if name in extra:
            return extra[name]
        if name in values:
            return fmt_value(values[name]) or None
        return None

    return lookup
