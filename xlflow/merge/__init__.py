"""Merge validated returns into the county summary workbook.

``consolidate(results, form, ...)`` decides which returns count and adds them up;
``build_summary(consolidation)`` lays out the workbook; ``read_summary(path, form)`` reads a
summary back (a summary is itself an input at the next level). ``docs/merge.md`` explains the
rules to the clerk.
"""

from __future__ import annotations

from .consolidate import (
    ACTION_ZH,
    CONTAINED,
    INCLUDED,
    OUTSIDE,
    OVERLAP,
    REJECTED,
    SUPERSEDED,
    Consolidation,
    Entry,
    TotalCheck,
    Unit,
    consolidate,
)
from .export import write_long_csv
from .summary import SUMMARY_KIND, Summary, SummaryError, SummaryRow, read_summary
from .workbook import build_summary

__all__ = [
    "ACTION_ZH", "CONTAINED", "INCLUDED", "OUTSIDE", "OVERLAP", "REJECTED", "SUMMARY_KIND", "SUPERSEDED",
    "Consolidation", "Entry", "Summary", "SummaryError", "SummaryRow", "TotalCheck", "Unit",
    "build_summary", "consolidate", "read_summary", "write_long_csv",
]
