"""Validation of returned workbooks: findings a clerk can act on, cell by cell.

Public API (the merge, report and CLI stages code against these names):

* ``validate_file(path, form, *, year=None, roster=None, previous=None) -> FileResult``
* ``validate_paths(paths, form, ...) -> Iterator[FileResult]`` (streaming)
* ``iter_input_files(paths) -> Iterator[(Path, skip reason | None)]``
* ``load_previous(paths, form) -> Previous`` and ``Previous.for_agency(code)``
"""

from .engine import validate_file
from .inputs import SPREADSHEET_SUFFIXES, iter_input_files, validate_paths
from .previous import Previous, load_previous

__all__ = ["SPREADSHEET_SUFFIXES", "Previous", "iter_input_files", "load_previous", "validate_file", "validate_paths"]
