"""Validating files in worker processes with limits: one bad file never takes the run down.

A returned workbook can make a native reader abort, crash, allocate without end or hang.
``ValidationPool`` validates each file in a worker process started once and reused across
files; a worker reads one file at a time under limits (address space, CPU time; wall time is
watched from here). When a worker dies or overruns, that file's result is ``unreadable`` with a
finding saying so (``file-reader-crashed``, ``file-reader-timeout``), the worker is replaced and
every other file goes on. Nothing about a crash is cached.

Two ways in, one pool:

* ``map(paths, ...)`` / ``run(items, ...)`` for a batch (the CLI, ``validate_paths``): results
  in input order, a few files in flight per worker so a worker never waits for the caller,
  read-ahead bounded so memory stays flat;
* ``validate(path, ...)`` for a server: thread-safe, blocks until a worker is free, and
  ``year``/``roster``/``previous`` may differ from call to call.

Contexts (year, roster, last year's values) are sent to a worker once, not with every file: a
worker keeps the last ``CONTEXTS_PER_WORKER``, and the pool mirrors which one holds which.
Contexts are told apart by identity: pass a new roster object when the roster changes rather
than changing a list in place.

Workers are forked where that is safe (Linux, no other threads running when the pool is made),
otherwise started through a fork server or spawned, in which case each worker loads the form
from its definition file. Limits are POSIX rlimits; where there are none (Windows) the wall
time limit still holds.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import hashlib
import itertools
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from ..findings import finding
from ..form import Form
from ..results import FileResult
from ..roster import Agency
from . import worker
from .engine import read_input
from .worker import CONTEXTS_PER_WORKER

DEPTH = 2  # files sent ahead to one worker
WINDOW_PER_JOB = 16  # files read ahead of the one the caller is waiting for
_STOP_GRACE = 2.0


@dataclass(frozen=True)
class Limits:
    """Per-file limits of a worker. ``memory_mb``: address space a worker may add to what it
    had when it started (RLIMIT_AS; bounds resident memory too). ``timeout``: seconds of wall
    time per file, and of CPU time (RLIMIT_CPU)."""

    memory_mb: int = 2048
    timeout: float = 60.0


@dataclass
class _Worker:
    proc: Any
    conn: Any
    log: str  # the worker's stderr goes here: a native reader's last words for the finding
    contexts: deque = field(default_factory=deque)  # context seqs this worker holds
    pending: deque = field(default_factory=deque)  # (index, path, display) sent, not answered
    started: float = 0.0  # when its first pending file started


class ValidationPool:
    """Worker processes that validate returned files for one form (see the module docstring).

    ``ValidationPool(form, jobs=2, limits=Limits(memory_mb=1024, timeout=30))``; use it as a
    context manager or call ``close()``. Workers start on first use, at most ``jobs``."""

    def __init__(self, form: Form, *, jobs: int = 1, limits: Limits | None = None, start_method: str | None = None):
        if jobs < 1:
            raise ValueError(f"jobs 应为正整数：{jobs}")
        self.form = form
        self.jobs = jobs
        self.limits = limits or Limits()
        # Chosen now, not when the first worker starts: a caller that creates the pool in a
        # single-threaded program may start threads of its own before the first file.
        self._method = start_method or _start_method()
        self._ctx = None
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._count = 0  # workers alive, idle or checked out
        self._closed = False
        self._seq = itertools.count(1)
        self._contexts: dict[tuple, tuple[int, Any, Any, Any]] = {}

    # -- public --------------------------------------------------------------------------------
    def validate(self, path: str | os.PathLike, *, year: int | None = None, roster: Sequence[Agency] | None = None,
                 previous: Any = None, display_path: str | os.PathLike | None = None) -> FileResult:
        """One file, in a worker; safe to call from several threads at once."""
        results = self.run([(Path(path), display_path)], year=year, roster=roster, previous=previous, jobs=1)
        try:
            return next(results)
        finally:
            results.close()  # gives the worker back

    def map(self, paths: Iterable[str | os.PathLike], *, year: int | None = None, roster: Sequence[Agency] | None = None,
            previous: Any = None) -> Iterator[FileResult]:
        """Every file, results in input order."""
        return self.run((Path(p) for p in paths), year=year, roster=roster, previous=previous)

    def run(self, items: Iterable[Path | tuple[Path, Any] | FileResult], *, year: int | None = None,
            roster: Sequence[Agency] | None = None, previous: Any = None, jobs: int | None = None,
            packed: Callable[[FileResult, bytes], None] | None = None) -> Iterator[FileResult]:
        """Results in input order for ``items``: a path, a (path, display path) pair, or a
        result already known (a cache hit), which passes through in its place. With ``packed``,
        workers also encode each cacheable result for the result cache (``cache.pack``), and
        ``packed(result, blob)`` is called as each arrives: the encoding is done in parallel,
        not by the caller."""
        seq, payload = self._context(year, roster, previous)
        return _Batch(self, seq, payload, iter(items), jobs or self.jobs, packed).results()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._lock.notify_all()
        for w in idle:
            _stop(w)

    def __enter__(self) -> ValidationPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- workers -------------------------------------------------------------------------------
    def _checkout(self, block: bool) -> _Worker | None:
        with self._lock:
            while True:
                if self._closed:
                    raise RuntimeError("校验进程池已关闭")
                if self._idle:
                    return self._idle.pop()
                if self._count < self.jobs:
                    self._count += 1
                    break
                if not block:
                    return None
                self._lock.wait()
        try:
            return self._start()
        except BaseException:
            with self._lock:
                self._count -= 1
                self._lock.notify()
            raise

    def _checkin(self, w: _Worker) -> None:
        with self._lock:
            if self._closed:
                self._count -= 1
            else:
                self._idle.append(w)
                self._lock.notify()
                return
        _stop(w)

    def _discard(self, w: _Worker) -> None:
        _kill(w)
        with self._lock:
            self._count -= 1
            self._lock.notify()

    def _start(self) -> _Worker:
        if self._ctx is None:
            self._ctx = multiprocessing.get_context(self._method)
        method = self._ctx.get_start_method()
        if method == "fork":
            form_ref: Form | Path = self.form
        elif self.form.source is not None:
            form_ref = Path(self.form.source)
        else:
            raise ValueError("报表定义没有对应的文件，无法在子进程中加载")
        parent, child = self._ctx.Pipe()
        fd, log = tempfile.mkstemp(prefix="xlflow-worker-", suffix=".log")
        os.close(fd)
        proc = self._ctx.Process(target=worker.main, args=(child, form_ref, self.limits, log), daemon=True, name="xlflow-validate")
        try:
            proc.start()
        except BaseException:
            os.unlink(log)
            raise
        child.close()
        return _Worker(proc, parent, log)

    def _context(self, year, roster, previous) -> tuple[int, tuple]:
        key = (year, id(roster), -1 if roster is None else len(roster), id(previous), -1 if previous is None else len(previous))
        with self._lock:
            hit = self._contexts.get(key)
            if hit is None or hit[1] is not roster or hit[2] is not previous:
                hit = (next(self._seq), roster, previous, year)
                self._contexts[key] = hit
                while len(self._contexts) > CONTEXTS_PER_WORKER:
                    self._contexts.pop(next(iter(self._contexts)))
            else:  # most recently used last
                self._contexts[key] = self._contexts.pop(key)
        return hit[0], (year, roster, previous)


class _Batch:
    """One ``run``: the workers it holds, what they have been sent, results waiting their turn."""

    def __init__(self, pool: ValidationPool, seq: int, payload: tuple, items: Iterator, jobs: int, packed=None):
        self.pool, self.seq, self.payload, self.items, self.jobs = pool, seq, payload, items, jobs
        self.packed = packed
        self.workers: list[_Worker] = []
        self.queue: deque = deque()  # (index, path, display) not yet sent
        self.ready: dict[int, FileResult] = {}
        self.next_in = self.next_out = 0
        self.exhausted = False

    def results(self) -> Iterator[FileResult]:
        try:
            while True:
                self._intake()
                self._dispatch()
                while self.next_out in self.ready:
                    yield self.ready.pop(self.next_out)
                    self.next_out += 1
                if self.exhausted and self.next_out == self.next_in:
                    return
                if any(w.pending for w in self.workers):
                    self._collect()
        finally:
            for w in self.workers:
                if w.pending:  # the caller stopped early: what it no longer wants is not waited for
                    self.pool._discard(w)
                else:
                    self.pool._checkin(w)
            self.workers = []

    def _intake(self) -> None:
        window = self.jobs * WINDOW_PER_JOB
        while not self.exhausted and self.next_in - self.next_out < window and len(self.queue) < self.jobs * DEPTH:
            item = next(self.items, None)
            if item is None:
                self.exhausted = True
                break
            if isinstance(item, FileResult):
                self.ready[self.next_in] = item
            else:
                path, display = item if isinstance(item, tuple) else (item, None)
                self.queue.append((self.next_in, Path(path), display))
            self.next_in += 1

    def _dispatch(self) -> None:
        while self.queue:
            w = next((w for w in self.workers if len(w.pending) < DEPTH and (not w.pending or self.seq in w.contexts)), None)
            if w is None:
                if len(self.workers) >= self.jobs:
                    return
                w = self.pool._checkout(block=not self.workers)
                if w is None:
                    return
                self.workers.append(w)
            self._send(w, self.queue.popleft())

    def _send(self, w: _Worker, task: tuple) -> None:
        try:
            if self.seq not in w.contexts:
                w.conn.send(("ctx", self.seq, *self.payload))
                w.contexts.append(self.seq)
                if len(w.contexts) > CONTEXTS_PER_WORKER:
                    w.contexts.popleft()
            w.conn.send(("file", task[0], str(task[1]), self.seq, self.packed is not None))
        except (OSError, ValueError):  # the worker died before it could be sent anything
            w.pending.append(task)
            self._fail(w, None)
            return
        if not w.pending:
            w.started = time.monotonic()
        w.pending.append(task)

    def _collect(self) -> None:
        busy = [w for w in self.workers if w.pending]
        timeout = self.pool.limits.timeout
        now = time.monotonic()
        wait_for = max(0.0, min(w.started + timeout for w in busy) - now)
        ready = set(wait([x for w in busy for x in (w.conn, w.proc.sentinel)], wait_for))
        for w in busy:
            if w.conn in ready or w.proc.sentinel in ready:
                self._receive(w)
            elif time.monotonic() - w.started >= timeout:
                self._fail(w, "timeout")

    def _receive(self, w: _Worker) -> None:
        while w.pending and w.conn.poll():
            try:
                index, result, blob = w.conn.recv()
            except (EOFError, OSError):
                self._fail(w, "exit")
                return
            task = w.pending.popleft()
            if result == "memory":
                self._fail(w, "memory", task)
                return
            result = _shown(worker.landed(result, self.pool.form), task)
            if blob is not None and self.packed is not None:
                self.packed(result, blob)
            self.ready[index] = result
            w.started = time.monotonic()
        if not w.proc.is_alive() and w.pending:
            w.proc.join(1)
            self._fail(w, "exit")

    def _fail(self, w: _Worker, why: str | None, task: tuple | None = None) -> None:
        """The worker is gone or overran: its current file gets the finding, the files queued
        behind it go back to the queue, a new worker takes its place when needed."""
        if task is None and w.pending:
            task = w.pending.popleft()
        self.queue.extendleft(reversed(w.pending))
        w.pending.clear()
        exitcode = None
        if why != "timeout":
            w.proc.join(1)
            exitcode = w.proc.exitcode
        self.workers.remove(w)
        last_words = _last_words(w.log) if why != "timeout" else ""
        self.pool._discard(w)
        if task is not None:
            self.ready[task[0]] = _failure(task, why, exitcode, self.pool.limits, last_words)


def _shown(result: FileResult, task: tuple) -> FileResult:
    if task[2] is not None:
        result.path = Path(task[2])
    return result


def _last_words(log: str) -> str:
    """The first line a dying native reader wrote (``memory allocation of … bytes failed``)."""
    try:
        with open(log, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 65536))
            lines = [ln.strip() for ln in fh.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    for line in lines:
        if not line.startswith(("stack backtrace", "note:", "at ")) and not line[:1].isdigit():
            return line[:160]
    return ""


def _failure(task: tuple, why: str | None, exitcode: int | None, limits: Limits, last_words: str = "") -> FileResult:
    path = Path(task[2]) if task[2] is not None else task[1]
    result = FileResult(path=path, status="unreadable")
    try:
        result.sha256 = hashlib.sha256(read_input(task[1])).hexdigest()
    except Exception:  # noqa: BLE001 - the hash is a courtesy; the finding is what matters
        pass
    sig_xcpu = getattr(signal, "SIGXCPU", None)
    if why == "timeout" or (sig_xcpu is not None and exitcode == -sig_xcpu):
        result.findings.append(finding("file-reader-timeout", seconds=f"{limits.timeout:g}"))
    else:
        what = _why(why, exitcode, limits)
        result.findings.append(finding("file-reader-crashed", what=f"{what}：{last_words}" if last_words else what))
    return result


def _why(why: str | None, exitcode: int | None, limits: Limits) -> str:
    if why == "memory":
        return f"所需内存超过上限 {limits.memory_mb} MB"
    if exitcode is None:
        return "工作进程意外结束"
    if exitcode < 0:
        names = {getattr(signal, n): (n, text) for n, text in (
            ("SIGABRT", "读取程序中止，通常是文件要求的内存超过了上限"), ("SIGSEGV", "段错误"), ("SIGBUS", "总线错误"),
            ("SIGKILL", "被系统终止，可能是内存不足"), ("SIGFPE", "算术错误"), ("SIGILL", "非法指令")) if hasattr(signal, n)}
        name, text = names.get(-exitcode, (f"信号 {-exitcode}", "被信号终止"))
        return f"{text}，{name}"
    return f"退出码 {exitcode}"


def _limited(limits: Limits, func: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    worker.apply_limits(limits)
    worker.cpu_budget(limits.timeout)
    return func(*args, **kwargs)


def run_isolated(func: Callable[..., Any], *args: Any, limits: Limits | None = None, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)`` in a child process under the workers' limits (memory, CPU and
    wall time), for the other things that open an untrusted file (the annotated copy a portal
    serves): a crash, a runaway allocation or a hang raises ``IsolatedFailure`` here instead of
    taking the caller (a web server) down. ``func`` and its arguments must pickle."""
    limits = limits or Limits()
    ex = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(_start_method()))
    try:
        future = ex.submit(_limited, limits, func, args, kwargs)
        try:
            return future.result(timeout=limits.timeout if limits.timeout > 0 else None)
        except concurrent.futures.TimeoutError:
            for proc in list((getattr(ex, "_processes", None) or {}).values()):  # a hang: end it
                proc.kill()
            raise IsolatedFailure(f"超过 {limits.timeout:g} 秒仍未完成") from None
        except concurrent.futures.process.BrokenProcessPool:
            raise IsolatedFailure("程序异常退出") from None
        except MemoryError:
            raise IsolatedFailure(f"所需内存超过上限（{limits.memory_mb} MB）") from None
    finally:
        ex.shutdown(wait=False, cancel_futures=True)


class IsolatedFailure(Exception):
    """What ``run_isolated`` raises when the child crashed, hung or ran out of memory (Chinese text)."""


def _start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"  # cheapest: the worker inherits the compiled form and the imports
    if "forkserver" in methods:
        return "forkserver"  # a threaded parent (a web server) must not fork itself
    return "spawn"


def _stop(w: _Worker) -> None:
    try:
        w.conn.send(("stop",))
    except (OSError, ValueError):
        pass
    w.proc.join(_STOP_GRACE)
    _kill(w)


def _kill(w: _Worker) -> None:
    if w.proc.is_alive():
        w.proc.kill()
    w.proc.join(_STOP_GRACE)
    try:
        w.conn.close()
    except OSError:
        pass
    try:
        os.unlink(w.log)
    except OSError:
        pass
