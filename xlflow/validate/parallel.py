"""Validating many files in a pool of processes (``jobs``): the same results, in input order.

Reading a workbook is CPU work in calamine and Python, so threads do not help; processes do,
once there are enough files to pay for starting them. Measured on 2 cores (validate_file, a
2-process pool against a serial loop): 0.39x at 20 files, 1.28x at 200, 1.65x at 1,000, 2.0x at
10,000. Below ``MIN_FILES`` files the pool is not started.

On Linux the workers are forked: they inherit the compiled form, roster and last year's values
without pickling them. Elsewhere (spawn) each worker compiles the form from its definition file.
Files go to the workers in chunks, and only a few chunks are in flight at a time, so results do
not pile up when the consumer (printing, annotating, summing) is slower than the workers.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..form import Form, load_form
from ..results import FileResult
from ..roster import Agency
from .engine import validate_file

MIN_FILES = 100
MAX_CHUNK = 32
CHUNKS_IN_FLIGHT_PER_JOB = 3

_worker: dict[str, Any] = {}


def use_pool(count: int, jobs: int) -> bool:
    return jobs > 1 and count >= MIN_FILES


def chunk_size(count: int, jobs: int) -> int:
    """Big enough that sending work costs little, small enough that every worker gets several
    chunks (an unlucky slow chunk then delays little)."""
    return max(1, min(MAX_CHUNK, count // (jobs * 4)))


def validate_parallel(
    paths: Sequence[Path],
    form: Form,
    jobs: int,
    *,
    year: int | None,
    roster: Sequence[Agency] | None,
    previous: Any,
) -> Iterator[FileResult]:
    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods
    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    form_ref: Form | Path = form if fork else _definition_path(form)
    size = chunk_size(len(paths), jobs)
    chunks = iter([list(paths[i : i + size]) for i in range(0, len(paths), size)])
    with ctx.Pool(jobs, initializer=_init, initargs=(form_ref, year, roster, previous)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_validate_chunk, (chunk,)))
            if len(pending) >= jobs * CHUNKS_IN_FLIGHT_PER_JOB:
                break
        while pending:
            done = pending.popleft().get()
            nxt = next(chunks, None)
            if nxt is not None:
                pending.append(pool.apply_async(_validate_chunk, (nxt,)))
            yield from done


def _definition_path(form: Form) -> Path:
    if form.source is None:
        raise ValueError("报表定义没有对应的文件，无法在多进程中使用")
    return Path(form.source)


def _init(form_ref: Form | Path, year, roster, previous) -> None:
    if not isinstance(form_ref, Form):
        form_ref = load_form(form_ref)
    _worker.update(form=form_ref, year=year, roster=roster, previous=previous)


def _validate_chunk(paths: list[Path]) -> list[FileResult]:
    w = _worker
    return [validate_file(p, w["form"], year=w["year"], roster=w["roster"], previous=w["previous"]) for p in paths]
