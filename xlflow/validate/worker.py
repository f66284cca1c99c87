"""The worker process of ``isolation.ValidationPool``: limits, the loop, the wire format.

A worker applies its limits once (address space above what it had when it started, no core
file), then per file a CPU budget (the soft RLIMIT_CPU moved to what it used so far plus the
budget: the kernel stops a runaway read even if the parent is busy). It validates what it is
sent and sends the result back; a MemoryError ends it after saying so. Its stderr goes to a log
file the parent reads when it dies (a native reader's last words), not to the clerk's screen.
Values travel as a tuple in the form's field order: the field names would be most of what is
pickled per file.
"""

from __future__ import annotations

import faulthandler
import os
import signal
from pathlib import Path

from ..form import Form, load_form
from ..results import FileResult
from . import cache, engine

try:
    import resource
except ImportError:  # Windows: the parent's wall-time limit still holds
    resource = None  # type: ignore[assignment]

CONTEXTS_PER_WORKER = 8


def field_order(form: Form) -> tuple[str, ...]:
    return tuple(form.fields)


def shipped(result: FileResult, order: tuple[str, ...], names: frozenset[str]) -> FileResult:
    """Values sent as a tuple in the form's field order when the result has every field (the
    usual case): the field names would be most of what is pickled per file."""
    values = result.values
    if values is not None and values.keys() == names:
        result.values = tuple(values[k] for k in order)
    return result


def landed(result: FileResult, form: Form) -> FileResult:
    if isinstance(result.values, tuple):
        result.values = dict(zip(field_order(form), result.values, strict=True))
    return result


def apply_limits(limits) -> None:
    if resource is None:
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an aborting reader must not write a core file
    base = _address_space()
    if base is not None and limits.memory_mb > 0:
        cap = base + limits.memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or cap < hard:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _address_space() -> int | None:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def cpu_budget(seconds: float) -> None:
    """The CPU limit for the next file: what this worker has used so far plus the budget."""
    if resource is None or seconds <= 0:
        return
    ru = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(ru.ru_utime + ru.ru_stime + seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def main(conn, form_ref: Form | Path, limits, log: str) -> None:
    """The worker's loop: messages ("ctx", seq, year, roster, previous), ("file", index, path,
    seq, pack) and ("stop",); answers (index, result, blob or None) or (index, "memory", None)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    os.environ["RUST_BACKTRACE"] = "0"
    with open(log, "ab", buffering=0) as fh:  # a crashing reader writes here, not on the clerk's screen
        os.dup2(fh.fileno(), 2)
    faulthandler.disable()  # (a test runner's) traceback on abort would bury the reader's own message
    form = form_ref if isinstance(form_ref, Form) else load_form(form_ref)
    apply_limits(limits)
    order = field_order(form)
    names = frozenset(order)
    contexts: dict[int, tuple] = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] == "stop":
            return
        if msg[0] == "ctx":
            contexts[msg[1]] = msg[2:]
            while len(contexts) > CONTEXTS_PER_WORKER:
                contexts.pop(next(iter(contexts)))
            continue
        _, index, path, seq, pack = msg
        year, roster, previous = contexts[seq]
        cpu_budget(limits.timeout)
        try:
            result = engine.validate_file(path, form, year=year, roster=roster, previous=previous)
        except MemoryError:
            conn.send((index, "memory", None))
            os._exit(3)  # a worker that ran out of memory is not trusted with another file
        blob = cache.pack(result, form) if pack and cache.reusable(result) else None
        conn.send((index, shipped(result, order, names), blob))
