"""The value policy: what a cell may contain, what is quietly fixed, what is an error.

Documented for clerks in ``docs/validation.md``. In short, for number cells:

* accepted and normalised, with an ``info`` finding: whole numbers stored as text, full-width
  digits (１２), stray spaces, thousands separators ("1,234"), full-width punctuation;
* errors that quote the value and say what to type: blank, "/", "—", "无" and similar
  placeholders, other text, negative numbers, fractions in count cells, more decimals than the
  type allows (万元: 4), dates, formula error values, formulas into other workbooks, a number
  with a unit ("12件"), a logical value (TRUE is not 1).

``check(raw, field)`` returns the normalised value and at most one problem; a problem of
severity error makes the value invalid, so no rule is run on it (one finding per mistake).
"""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ..findings import CATALOG
from ..form import FieldDef
from ..vocab import LEADING_EQUALS, NUMBER_PLACEHOLDERS

FORMULA_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"})
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
# A number followed by a unit or a word: "12件", "3.5 万元", "1,234人次".
_WITH_UNIT = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*([^\d\s.,+\-][^\d]{0,7})$")
_MAGNITUDE = frozenset("十百千万亿")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class Problem:
    code: str
    expected: Any = None
    actual: Any = None
    params: dict | None = None

    @property
    def is_error(self) -> bool:
        return CATALOG[self.code].severity == "error"


def describe(f: FieldDef) -> str:
    """What belongs in the cell, in the words of the messages."""
    t = f.type.spec
    if t.kind == "integer":
        return f"不小于{t.min:g}的整数" if t.min is not None else "整数"
    if t.kind == "decimal":
        unit = f"单位：{t.unit}，" if t.unit else ""
        return f"数字（{unit}至多{t.decimals}位小数）" if t.decimals is not None else f"数字（{unit.rstrip('，')}）"
    return t.title


def _clean_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def parse_number(raw: Any) -> float | None:
    """The number a cell holds, accepting the text forms the policy normalises; None if none."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return float(raw) if math.isfinite(raw) else None
    if isinstance(raw, str):
        text = _clean_text(raw)
        if _GROUPED.match(text):
            text = text.replace(",", "")
        if _NUMBER.match(text):
            return float(text)
    return None


def check(raw: Any, f: FieldDef) -> tuple[Any, Problem | None]:
    kind = f.type.spec.kind
    if kind in ("integer", "decimal"):
        return _number(raw, f)
    if kind == "date":
        return _date(raw, f)
    return _text(raw, f)


Checker = Callable[[Any], "tuple[Any, Problem | None]"]
_FLOAT_MAX = sys.float_info.max


def checker(f: FieldDef) -> Checker:
    """``check`` bound to one field, built once per form. A number cell read as a plain float
    in range (what every reader returns for a typed number) is answered without the text and
    date cases; anything else takes the full path, so the results are those of ``check``."""
    t = f.type.spec
    if t.kind not in ("integer", "decimal"):
        return lambda raw: check(raw, f)
    # Finite bounds: inf and nan fail ``lo <= raw <= hi`` and take the full path.
    lo = -_FLOAT_MAX if t.min is None else max(t.min, -_FLOAT_MAX)
    hi = _FLOAT_MAX if t.max is None else min(t.max, _FLOAT_MAX)
    if t.kind == "integer":

        def check_integer(raw: Any) -> tuple[Any, Problem | None]:
            if type(raw) is float and lo <= raw <= hi and raw.is_integer():
                return int(raw), None
            return _number(raw, f)

        return check_integer
    decimals = t.decimals

    def check_decimal(raw: Any) -> tuple[Any, Problem | None]:
        if type(raw) is float and lo <= raw <= hi and (raw.is_integer() or decimals is None or decimal_places(raw) <= decimals):
            return raw, None
        return _number(raw, f)

    return check_decimal


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not _clean_text(raw))


def _number(raw: Any, f: FieldDef) -> tuple[Any, Problem | None]:
    t = f.type.spec
    note = None
    if isinstance(raw, bool):
        return None, Problem("value-boolean", actual="TRUE" if raw else "FALSE", params={"what": describe(f)})
    if _is_blank(raw):
        return None, Problem("value-blank")
    if isinstance(raw, (datetime, date, time, timedelta)):
        return None, Problem("value-date", actual=str(raw), params={"what": describe(f)})
    if isinstance(raw, str):
        text = _clean_text(raw)
        if text in FORMULA_ERRORS:
            return None, Problem("value-formula-error", actual=text)
        if text in NUMBER_PLACEHOLDERS:
            return None, Problem("value-placeholder", actual=raw.strip())
        x = parse_number(raw)
        if x is None:
            return None, _not_a_number(raw, text, f)
        note = Problem("value-normalised", expected=_as_type(x, kind=t.kind), actual=raw)
    else:
        x = parse_number(raw)
        if x is None:
            return None, Problem("value-not-number", actual=str(raw), params={"what": describe(f)})
    if t.min is not None and x < t.min:
        return None, Problem("value-negative", expected=_as_type(t.min, t.kind), actual=_as_type(x, "decimal"))
    if t.max is not None and x > t.max:
        return None, Problem("value-too-large", expected=_as_type(t.max, t.kind), actual=_as_type(x, "decimal"))
    if t.kind == "integer" and not x.is_integer():
        return None, Problem("value-not-integer", expected=round(x), actual=x)
    if t.kind == "decimal" and t.decimals is not None and decimal_places(x) > t.decimals:
        # Real reports publish 万元 with 6 decimals (平潭 2021: 24252.311082): the number is
        # plausible, only over-precise, so it is kept and summed, with a warning to check the unit.
        return _as_type(x, t.kind), Problem(
            "value-too-many-decimals",
            expected=round(x, t.decimals),
            actual=x,
            params={"unit": t.unit or "—", "decimals": t.decimals},
        )
    return _as_type(x, t.kind), note


def _not_a_number(raw: str, text: str, f: FieldDef) -> Problem:
    m = _WITH_UNIT.match(text)
    if m is None:
        return Problem("value-not-number", actual=raw.strip(), params={"what": describe(f)})
    number, unit = m.group(1), m.group(2).strip()
    x = parse_number(number)
    shown = int(x) if x.is_integer() else x
    # "1.5万" is not 1.5: no number is suggested when the word changes the magnitude.
    if _MAGNITUDE & set(unit):
        hint = "请按表头注明的单位换算后只填写数字（“万”“千”等会改变数值）。"
    else:
        hint = f"请只填写数字{shown}（单位已在表头中注明）。"
    return Problem("value-with-unit", expected=shown, actual=raw.strip(), params={"unit": unit, "hint": hint})


def decimal_places(x: float) -> int:
    """Decimals as typed: 15 significant digits drop binary noise (0.1 + 0.2 has 1 decimal)."""
    text = f"{x:.15g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return max(0, digits - int(exp))
    return len(text.split(".")[1]) if "." in text else 0


def _as_type(x: float, kind: str) -> int | float:
    if kind == "integer" or (isinstance(x, float) and x.is_integer() and kind != "decimal"):
        return int(x)
    return float(x)


def _text(raw: Any, f: FieldDef) -> tuple[Any, Problem | None]:
    t = f.type.spec
    if isinstance(raw, str):
        value = raw.strip().strip("\u3000").strip() or None
    elif raw is None:
        value = None
    elif isinstance(raw, bool):
        value = "TRUE" if raw else "FALSE"  # as the spreadsheet shows it
    elif isinstance(raw, float) and raw.is_integer():
        value = str(int(raw))
    elif isinstance(raw, (datetime, date)):
        value = raw.isoformat()
    else:
        value = str(raw)
    if value is None:
        if f.required:
            return None, Problem("value-required", params={"label": " / ".join(f.label_path)})
        return None, None
    if t.kind == "choice" and t.choices and value not in t.choices:
        normalised = _clean_text(value)
        if normalised in t.choices:
            return normalised, Problem("value-normalised", expected=normalised, actual=raw)
        return None, Problem("value-not-in-choices", expected="、".join(t.choices), actual=value)
    if t.max_length is not None and len(value) > t.max_length:
        return None, Problem("value-too-long", expected=t.max_length, actual=len(value))
    if value.startswith(LEADING_EQUALS):
        # Kept as typed (the workbook shows it as text); the report strips the sign.
        return value, Problem("value-leading-equals", actual=value if len(value) <= 12 else value[:12] + "…")
    return value, None


def _date(raw: Any, f: FieldDef) -> tuple[Any, Problem | None]:
    if _is_blank(raw):
        if f.required:
            return None, Problem("value-required", params={"label": " / ".join(f.label_path)})
        return None, None
    if isinstance(raw, datetime):
        return raw.date(), None
    if isinstance(raw, date):
        return raw, None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 1 <= raw < 2958466:
        d = _EXCEL_EPOCH + timedelta(days=int(raw))
        return d, Problem("value-normalised", expected=d.isoformat(), actual=raw)
    if isinstance(raw, str):
        m = _DATE.match(_clean_text(raw))
        if m:
            try:
                d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                d = None
            if d is not None:
                return d, Problem("value-normalised", expected=d.isoformat(), actual=raw)
    return None, Problem("value-not-date", actual=str(raw))
