"""Reference readers for the benchmark, and the timing loops around them.

Module-level functions with module-level state, so a process pool can pickle them and each
worker initialises once (``init_reader``/``init_validate``) instead of once per file.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from pathlib import Path

from xlflow.form import load_form
from xlflow.template import META_SHEET

_SHEETS: list[str] = []
_FIELDS: list[tuple[str, str, int, int]] = []


def init_reader(form_ref: str) -> None:
    form = load_form(form_ref)
    _SHEETS[:] = [s.name for s in form.sheets] + [META_SHEET]
    _FIELDS[:] = [(f.id, f.sheet, f.row, f.col) for f in form.fields.values()]


def calamine_read(path: str) -> dict[str, object]:
    """Every sheet of the file into Python values, then the form's cells picked into a dict."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    grids = {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in _SHEETS}
    out = {}
    for fid, sheet, row, col in _FIELDS:
        rows = grids[sheet]
        out[fid] = rows[row][col] if row < len(rows) and col < len(rows[row]) else None
    return out


def openpyxl_read(path: str) -> dict[str, object]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    out = {fid: wb[sheet].cell(row + 1, col + 1).value for fid, sheet, row, col in _FIELDS}
    wb.close()
    return out


def openpyxl_read_only(path: str) -> dict[str, object]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    grids = {name: list(wb[name].iter_rows(values_only=True)) for name in _SHEETS}
    out = {}
    for fid, sheet, row, col in _FIELDS:
        rows = grids[sheet]
        out[fid] = rows[row][col] if row < len(rows) and col < len(rows[row]) else None
    wb.close()
    return out


_VALIDATE: dict[str, object] = {}


def init_validate(form_ref: str, roster_csv: str, year: int) -> None:
    from xlflow.roster import load_roster

    _VALIDATE.update(form=load_form(form_ref), roster=load_roster(Path(roster_csv)), year=year)


def validate_one(path: str):
    """One file through the real validation engine; the FileResult (with values) comes back,
    as a parallel ``validate``/``merge`` would need it."""
    from xlflow.validate import validate_file

    return validate_file(path, _VALIDATE["form"], year=_VALIDATE["year"], roster=_VALIDATE["roster"])


def isolated_loop(paths: list[str]) -> float:
    """The same files through the isolation the CLI uses: one worker process, started here."""
    from xlflow.validate.isolation import ValidationPool

    started = time.perf_counter()
    with ValidationPool(_VALIDATE["form"], jobs=1) as pool:
        for _ in pool.map(paths, year=_VALIDATE["year"], roster=_VALIDATE["roster"]):
            pass
    return time.perf_counter() - started


def timed_loop(func, paths: list[str]) -> float:
    started = time.perf_counter()
    for p in paths:
        func(p)
    return time.perf_counter() - started


def timed_pool(paths: list[str], jobs: int, func=calamine_read, init=init_reader, initargs=()) -> float:
    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    started = time.perf_counter()
    with ctx.Pool(jobs, initializer=init, initargs=initargs) as pool:
        for _ in pool.imap_unordered(func, paths, chunksize=max(1, len(paths) // (jobs * 16))):
            pass
    return time.perf_counter() - started
