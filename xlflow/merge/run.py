"""The merge as one call: validate every input (the same engine as ``xlflow validate``),
consolidate, write the summary atomically, optionally the long CSV.

Inputs are never written: an ``--out`` that is one of the inputs is refused, except a file
that is itself an earlier summary by this same consolidating unit found inside an input
folder (re-running the merge in the folder it writes to), which is skipped as an input.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..form import Form
from ..fsutil import atomic_write_bytes
from ..results import FileResult
from ..roster import Agency
from ..summaryfile import SummaryError, read_summary
from ..validate import input_files as listed
from ..validate import load_previous, validate_paths
from ..vocab import DEFAULT_UNIT_CODE, DEFAULT_UNIT_NAME, LEVEL_SUFFIXES
from .compare import attach, for_consolidation
from .consolidate import Consolidation, consolidate
from .export import write_long_csv
from .packed import ValueLayout
from .workbook import build_summary


def default_identity(roster: Sequence[Agency] | None) -> tuple[str, str]:
    """The consolidating unit when --code/--name are not given: the roster codes' common
    prefix (370829001…370829016 -> 370829, the county's division code) and the names'
    common prefix up to the level word (嘉祥县…局 -> 嘉祥县)."""
    if not roster:
        return DEFAULT_UNIT_CODE, DEFAULT_UNIT_NAME
    code = os.path.commonprefix([a.code for a in roster]) if len(roster) > 1 else roster[0].code
    prefix = os.path.commonprefix([a.name for a in roster]) if len(roster) > 1 else roster[0].name
    cut = max((prefix.rfind(s) for s in LEVEL_SUFFIXES), default=-1)
    name = prefix[: cut + 1] if cut >= 1 else ""
    return (code if len(code) >= 2 else DEFAULT_UNIT_CODE), (name or DEFAULT_UNIT_NAME)


def _same_file(a: Path, b_stat: os.stat_result) -> bool:
    try:
        return os.path.samestat(os.stat(a), b_stat)  # also through links and other spellings
    except OSError:
        return False


def input_files(paths: Sequence[Path], out: Path | None, form: Form, code: str, exclude: Sequence[Path] = ()) -> tuple[list[Path], list[str]]:
    """Files under ``paths`` (as validation finds them), minus our own output and ``exclude``
    (the roster and other inputs that are not returns)."""
    entries, notes = input_entries(paths, out, form, code, exclude)
    return [e.path for e in entries], notes


def input_entries(paths: Sequence[Path], out: Path | None, form: Form, code: str, exclude: Sequence[Path] = ()) -> tuple[list, list[str]]:
    """The files under ``paths`` as validation lists them (``validate.InputFile``: links found
    inside folders are marked, to be reported rather than read), minus our own output and
    ``exclude``."""
    files: list = []
    notes: list[str] = []
    explicit = {Path(p).resolve() for p in paths if Path(p).is_file()}
    try:  # an --out that does not exist yet is none of the inputs
        out_stat = os.stat(out) if out is not None else None
    except OSError:
        out_stat = None
    for entry in listed(list(paths), exclude):
        path = entry.path
        if entry.skip is not None:
            notes.append(f"{path.name}：{entry.skip}")
            continue
        if out_stat is not None and not entry.link and _same_file(path, out_stat):
            if path.resolve() in explicit:
                raise UsageError(f"输出文件 {out} 也是输入文件之一；为保护原始报表，请换一个 --out 路径。")
            try:
                ours = read_summary(path, form).identity.get("xlflow_agency_code") == code
            except SummaryError:
                ours = False
            if not ours:
                raise UsageError(f"输出文件 {out} 位于输入文件夹中且是一份报表；为保护原始报表，请换一个 --out 路径。")
            notes.append(f"跳过 {path.name}：这是上次汇总的输出文件，本次将覆盖它。")
            continue
        files.append(entry)
    return files, notes


@dataclass
class MergeOutcome:
    consolidation: Consolidation
    out: Path
    csv: Path | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    comparison: Any = None  # compare.Comparison when merged with --previous


def merge_paths(
    paths: Sequence[Path],
    form: Form,
    out: Path,
    *,
    year: int | None = None,
    roster: Sequence[Agency] | None = None,
    previous: Sequence[Path] = (),
    code: str | None = None,
    name: str | None = None,
    csv_dir: Path | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    jobs: int = 1,
    cache: Any = None,
    limits: Any = None,
    exclude: Sequence[Path] = (),
) -> MergeOutcome:
    """Validate, consolidate, write. Without ``year`` the files must all be of one year
    (``consolidate.decide_year``): a file of another year is never summed.

    ``cache`` (a ``validate.cache.ResultCache``): files validated before under the same
    dependencies are not read again, so merging a folder just validated reads nothing;
    ``limits``: the worker limits (``validate.isolation.Limits``); ``exclude``: files that are
    not returns even if they sit in a returns folder (the roster).
    """
    started = time.perf_counter()
    d_code, d_name = default_identity(roster)
    code, name = (code or d_code).strip(), (name or d_name).strip()
    files, notes = input_entries(paths, out, form, code, exclude)
    if not files:
        raise UsageError("没有找到可汇总的报表文件（.xlsx/.xlsm/.xls/.ods）。")
    prev = load_previous(list(previous), form) if previous else None
    results = []
    slim = Slimmer(form)
    roster_list = list(roster) if roster is not None else None
    for r in validate_paths(files, form, year=year, roster=roster_list, previous=prev, jobs=jobs, cache=cache, limits=limits):
        if on_result is not None:
            on_result(r)
        results.append(slim(r))
    c = consolidate(results, form, year=year, roster=roster, code=code, name=name)
    comparison = None
    if prev is not None and form.measures:
        comparison = for_consolidation(c, prev)
        attach(c, comparison)
    atomic_write_bytes(out, build_summary(c))
    csv_path = write_long_csv(c, csv_dir) if csv_dir is not None else None
    return MergeOutcome(c, out, csv_path, notes, time.perf_counter() - started, comparison)


class Slimmer:
    """What a result keeps while the rest of the files are validated: a valid return's
    values packed (``PackedValues``); of any other file only the fields the summary still
    reads (its date, to pick between two returns; who to call, for the 催报 list)."""

    def __init__(self, form: Form):
        self.layout = ValueLayout(form)
        df = form.date_field
        self.keep = [f.id for f in form.contact_fields] + ([df.id] if df else [])

    def __call__(self, r: FileResult) -> FileResult:
        if r.values is not None:
            if r.status == "valid":
                r.values = self.layout.pack(r.values)
            else:
                r.values = {k: r.values[k] for k in self.keep if k in r.values}
        return r
