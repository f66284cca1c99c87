"""Cell formats of the template: one place, so every sheet looks the same to the clerk.

Input cells are the only unlocked cells and the only light-yellow ones: colour and protection
come from the same format objects, so a cell cannot look editable without being editable.
"""

from __future__ import annotations

from xlsxwriter.workbook import Workbook

INPUT_FILL = "#FFF2CC"  # light yellow: "type here"
DERIVED_FILL = "#E7E6E6"  # grey: computed, locked
HEADER_FILL = "#DDEBF7"
FONT = "宋体"

_BASE = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
_BOX = {"border": 1, "text_wrap": True}


class Styles:
    """Lazily created xlsxwriter formats, keyed by role (and number format for inputs)."""

    def __init__(self, wb: Workbook):
        self.wb = wb
        self._cache: dict[tuple, object] = {}

    def _fmt(self, key: tuple, props: dict):
        if key not in self._cache:
            self._cache[key] = self.wb.add_format({**_BASE, **props})
        return self._cache[key]

    def label(self, style: str):
        props = {
            "title": {"bold": True, "font_size": 14, "align": "center"},
            "subtitle": {"align": "left", "font_size": 10, "italic": True},
            "hint": {"align": "left", "font_color": "#7F7F7F", "text_wrap": True},
            "section": {**_BOX, "bold": True, "align": "left", "bg_color": HEADER_FILL},
            "header": {**_BOX, "bold": True, "align": "center", "bg_color": HEADER_FILL},
            "note": {**_BOX, "align": "center", "font_size": 9},
            "label": {**_BOX, "align": "left"},
        }[style]
        return self._fmt(("label", style), props)

    def input(self, kind: str, num_format: str | None, multiline: bool):
        props = {**_BOX, "locked": False, "bg_color": INPUT_FILL}
        if kind in ("integer", "decimal"):
            props.update(align="right", num_format=num_format or "General")
        elif kind == "date":
            props.update(align="left", num_format="yyyy-mm-dd")
        else:
            # Narratives are centred vertically like every other cell: LibreOffice's autofitted
            # height is a little short on paper, and a top-aligned last line runs into the border.
            props.update(align="left", num_format="@")
        return self._fmt(("input", kind, num_format, multiline), props)

    def stamp(self):
        return self._fmt(("stamp",), {**_BOX, "bold": True, "align": "left"})

    def derived(self, num_format: str | None):
        props = {**_BOX, "bold": True, "align": "right", "bg_color": DERIVED_FILL, "num_format": num_format or "General"}
        return self._fmt(("derived", num_format), props)

    def signoff(self, kind: str):
        props = {**_BOX, "align": "left"}
        if kind == "date":
            props["num_format"] = "yyyy-mm-dd"
        return self._fmt(("signoff", kind), props)

    def check(self):
        return self._fmt(("check",), {**_BOX, "align": "center", "bold": True})

    def check_label(self):
        return self._fmt(("check_label",), {**_BOX, "align": "left", "font_color": "#595959"})

    def status(self):
        return self._fmt(("status",), {**_BOX, "bold": True, "font_size": 12, "align": "left"})

    def text(self):
        return self._fmt(("text",), {"align": "left", "text_wrap": True, "valign": "top"})

    def bad(self):
        return self._fmt(("bad",), {"bg_color": "#FFC7CE", "font_color": "#9C0006"})

    def good(self):
        return self._fmt(("good",), {"font_color": "#006100"})
