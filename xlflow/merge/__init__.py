"""Merge validated returns into the county summary workbook, and say who has reported.

``consolidate(results, form, ...)`` decides which returns count and adds them up
(``xlflow.totals``); ``status_rows(consolidation)`` gives each roster agency's state;
``build_summary(consolidation)`` lays out the workbook; ``merge_paths`` does all of it for the
CLI; ``compare.for_consolidation(c, previous)`` and ``compare.attach(c, comparison)`` add
last year beside this year (上年对比). A summary file itself (its identity, its ``_xlflow`` table, reading it back) is
``xlflow.summaryfile``. ``docs/merge.md`` explains the rules to the clerk.
"""

from __future__ import annotations

from ..vocab import CONTAINED, INCLUDED, OUTSIDE, OVERLAP, OWN_SUMMARY, REJECTED, SUPERSEDED
from .consolidate import Consolidation, Entry, TotalCheck, Unit, consolidate, decide_year
from .export import write_long_csv
from .status import StatusRow, status_rows
from .workbook import build_summary

__all__ = [
    "CONTAINED", "INCLUDED", "OUTSIDE", "OVERLAP", "OWN_SUMMARY", "REJECTED", "SUPERSEDED",
    "Consolidation", "Entry", "StatusRow", "TotalCheck", "Unit",
    "build_summary", "consolidate", "decide_year", "status_rows", "write_long_csv",
]
