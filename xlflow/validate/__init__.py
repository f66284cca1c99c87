"""Validation of returned workbooks: findings a clerk can act on, cell by cell.

Public API (the merge, report and CLI stages code against these names):

* ``validate_file(path, form, *, year=None, roster=None, previous=None) -> FileResult``
* ``validate_paths(paths, form, *, year, roster, previous, jobs, cache, pool, limits) -> Iterator[FileResult]``
  (streaming, isolated in worker processes, cached when given a cache)
* ``input_files(paths) -> Iterator[InputFile]`` and ``iter_input_files(paths) -> Iterator[(Path, skip reason | None)]``
* ``isolation.ValidationPool(form, jobs=, limits=)``: ``.validate(path, *, year, roster, previous,
  display_path=None)`` (thread-safe) and ``.map(paths, ...)``; ``isolation.Limits``
* ``cache.ResultCache(folder=None)``: ``.get(sha256, form, ...)``, ``.put(result, form, ...)``
* ``dependencies.dependencies(result, form, year, roster, previous) -> str``,
  ``dependencies.is_current(digest, result, form, year, roster, previous) -> bool`` and
  ``dependencies.reusable(result) -> bool`` (also importable from ``cache``)
* ``load_previous(paths, form) -> Previous`` and ``Previous.for_agency(code)``; ``previous_of(form, units,
  year=, totals=) -> Previous`` from last year's units already at hand (a workspace's stored year)
"""

from .engine import validate_file
from .inputs import (
    SPREADSHEET_SUFFIXES,
    InputFile,
    input_files,
    iter_input_files,
    validate_paths,
)
from .previous import Previous, load_previous, previous_of

__all__ = ["SPREADSHEET_SUFFIXES", "InputFile", "Previous", "input_files", "iter_input_files", "load_previous", "previous_of", "validate_file", "validate_paths"]
