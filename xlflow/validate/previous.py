"""Last year's numbers, for the rules that compare years (``needs_previous``: S1, S2).

``--previous`` is a folder or list of last year's returned files, or last year's summary
workbook (which carries every member's row). Only the fields those rules read are kept, so
10,000 agencies cost little memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..form import Form
from ..read import plan_for
from .summary import SUMMARY_SCOPE


@dataclass
class Previous:
    """Last year's values by agency code (field id -> value, only the fields rules need)."""

    by_agency: dict[str, dict[str, Any]] = field(default_factory=dict)
    year: int | None = None
    sources: list[Path] = field(default_factory=list)

    def for_agency(self, code: str | None) -> dict[str, Any] | None:
        if not code:
            return None
        return self.by_agency.get(code)

    def __len__(self) -> int:
        return len(self.by_agency)


def load_previous(paths: Iterable[str | os.PathLike] | str | os.PathLike, form: Form) -> Previous:
    """Last year's files are read like this year's: in worker processes (``validate_paths``),
    so a hostile file among them costs only itself. A file that turns out to be a summary is
    then read as one (it has just been read safely)."""
    from .inputs import validate_paths

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    keep = plan_for(form).prev_fields
    prev = Previous()
    for res in validate_paths(list(paths), form):
        path = Path(res.path)
        if res.scope == SUMMARY_SCOPE and res.values is not None:
            _load_summary(prev, path, form, keep)
            continue
        if res.values is None or not res.agency_code:
            continue
        prev.by_agency[res.agency_code] = {k: res.values.get(k) for k in keep}
        prev.year = prev.year or res.year
        prev.sources.append(path)
    return prev


def _load_summary(prev: Previous, path: Path, form: Form, keep: set[str]) -> None:
    try:
        from ..merge.summary import read_summary

        summary = read_summary(path, form)
    except Exception:  # noqa: BLE001 - an unusable summary simply gives no previous values
        return
    for row in summary.rows:
        prev.by_agency[row.code] = {k: row.values.get(k) for k in keep}
    ident = summary.identity
    if ident.get("xlflow_agency_code"):
        # The summary's own totals, for a city comparing a county summary year on year.
        totals: dict[str, Any] = {}
        for k in keep:
            nums = [r.values.get(k) for r in summary.rows if isinstance(r.values.get(k), (int, float))]
            totals[k] = sum(nums) if nums else None
        prev.by_agency.setdefault(ident["xlflow_agency_code"], totals)
    try:
        prev.year = prev.year or int(ident.get("xlflow_year", ""))
    except ValueError:
        pass
    prev.sources.append(path)
