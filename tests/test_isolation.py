"""Worker isolation: a file that aborts, crashes, hangs or eats memory costs only itself.

Most tests make a worker misbehave on purpose: workers are forked, so a function patched here
before the pool starts is what the worker runs. One test uses a real file that makes the real
reader (calamine) abort under a memory limit, through the real CLI.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from tests.returned import FORM, YEAR, build, write
from xlflow.validate import engine, validate_paths, worker
from xlflow.validate.isolation import Limits, ValidationPool

real_validate = engine.validate_file


@pytest.fixture
def box(tmp_path):
    for name in ("a.xlsx", "boom.xlsx", "c.xlsx", "d.xlsx"):
        write(tmp_path, build(), name)
    return tmp_path


def misbehave(monkeypatch, action):
    def validate_file(path, form, **kw):
        if Path(path).name == "boom.xlsx":
            action()
        return real_validate(path, form, **kw)

    monkeypatch.setattr(engine, "validate_file", validate_file)


def run(box, **kw):
    return [(r.path.name, r.status, [f.rule for f in r.findings]) for r in validate_paths([box], FORM, year=YEAR, **kw)]


def _abort():
    os.abort()


def _segfault():
    ctypes.string_at(0)


@pytest.mark.parametrize("action, words", [(_abort, "SIGABRT"), (_segfault, "SIGSEGV"), (lambda: os._exit(7), "退出码 7")])
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_crash_costs_only_that_file(monkeypatch, box, action, words, jobs):
    misbehave(monkeypatch, action)
    got = run(box, jobs=jobs)
    assert got == [("a.xlsx", "valid", []), ("boom.xlsx", "unreadable", ["file-reader-crashed"]),
                   ("c.xlsx", "valid", []), ("d.xlsx", "valid", [])]
    (r,) = [r for r in validate_paths([box / "boom.xlsx"], FORM)]
    assert words in r.findings[0].message and "请在 Excel 或 WPS 中打开后重新保存再报送" in r.findings[0].message
    assert r.sha256  # the file could be hashed, so the JSON still says which bytes it was


def test_a_hang_is_cut_at_the_time_limit(monkeypatch, box):
    misbehave(monkeypatch, lambda: time.sleep(60))
    started = time.monotonic()
    got = run(box, limits=Limits(timeout=1))
    assert time.monotonic() - started < 20
    assert [s for _, s, _ in got] == ["valid", "unreadable", "valid", "valid"]
    assert got[1][2] == ["file-reader-timeout"]


def test_a_cpu_hog_is_stopped_by_the_cpu_limit(monkeypatch, box):
    """The kernel's CPU limit (RLIMIT_CPU, set per file) ends a busy worker even when the wall
    clock is generous."""
    def spin():
        worker.cpu_budget(1)
        while True:
            pass

    misbehave(monkeypatch, spin)
    got = run(box, limits=Limits(timeout=120))
    assert got[1][1:] == ("unreadable", ["file-reader-timeout"]) and got[2][1] == "valid"


def test_running_out_of_memory_is_a_finding(monkeypatch, box):
    misbehave(monkeypatch, lambda: bytearray(600 * 1024 * 1024))
    got = run(box, limits=Limits(memory_mb=200))
    assert got[1][1:] == ("unreadable", ["file-reader-crashed"]) and [s for _, s, _ in got].count("valid") == 3
    (r,) = validate_paths([box / "boom.xlsx"], FORM, limits=Limits(memory_mb=200))
    assert "内存超过上限 200 MB" in r.findings[0].message


def _ods_with_a_far_cell(rows: int, cols: int) -> bytes:
    """A real ODS with a value far down and right: calamine builds the whole grid when it opens it."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'office:version="1.2"><office:body><office:spreadsheet><table:table table:name="S"><table:table-row><table:table-cell '
        'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
        f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell/></table:table-row><table:table-row>'
        f'<table:table-cell table:number-columns-repeated="{cols}"/><table:table-cell office:value-type="string"><text:p>x</text:p>'
        "</table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"
    )
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return out.getvalue()


def test_a_native_reader_abort_through_the_cli(tmp_path):
    """The real reader aborting on a real file (an allocation past the worker's memory limit):
    that file is unreadable with the reader's own words, the others are validated."""
    box = tmp_path / "回收"
    box.mkdir()
    write(box, _ods_with_a_far_cell(60000, 250), "far.ods")
    write(box, build(), "good.xlsx")
    j = tmp_path / "r.json"
    res = subprocess.run([sys.executable, "-m", "xlflow", "validate", box, "--json", j, "--max-memory", "256"],
                         capture_output=True, text=True)
    assert res.returncode == 1 and "stack backtrace" not in res.stderr, res.stderr[-500:]
    files = {Path(f["path"]).name: f for f in json.loads(j.read_text(encoding="utf-8"))["files"]}
    assert files["good.xlsx"]["status"] == "valid"
    (crash,) = files["far.ods"]["findings"]
    assert crash["rule"] == "file-reader-crashed" and "memory allocation" in crash["message"]


def test_workers_are_reused_and_replaced(monkeypatch, box):
    starts = []
    real_start = ValidationPool._start
    monkeypatch.setattr(ValidationPool, "_start", lambda self: starts.append(1) or real_start(self))
    assert [s for _, s, _ in run(box, jobs=2)] == ["valid"] * 4
    assert len(starts) <= 2  # not one process per file
    misbehave(monkeypatch, _abort)
    starts.clear()
    with ValidationPool(FORM) as pool:
        assert pool.validate(box / "boom.xlsx").status == "unreadable"
        assert pool.validate(box / "a.xlsx").status == "valid"  # a new worker took over
        assert pool.validate(box / "c.xlsx").status == "valid"
    assert len(starts) == 2


def test_validate_is_thread_safe_with_different_contexts(box, tmp_path):
    """A server's threads share one pool; each call has its own year and display path."""
    results: dict[tuple[int, int], object] = {}
    with ValidationPool(FORM, jobs=2) as pool:
        def worker(t: int) -> None:
            for k in range(4):
                year = 2024 if (t + k) % 2 else 2023
                results[(t, k)] = pool.validate(box / "a.xlsx", year=year, display_path=f"store/{t}-{k}")

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert len(results) == 16
    for (t, k), r in results.items():
        wrong_year = (t + k) % 2 == 0
        assert (r.status == "invalid") == wrong_year and str(r.path) == f"store/{t}-{k}"
        assert [f.rule for f in r.findings] == (["wrong-year"] if wrong_year else [])


def test_stopping_early_leaves_no_worker_behind(box):
    before = {p.pid for p in multiprocessing.active_children()}
    results = validate_paths([box], FORM, jobs=2)
    next(results)
    results.close()
    time.sleep(0.2)
    assert {p.pid for p in multiprocessing.active_children()} - before == set()


def test_worker_stderr_does_not_reach_the_terminal(monkeypatch, box, capfd):
    def noisy():
        os.write(2, b"memory allocation of 123 bytes failed\n")
        os.abort()

    misbehave(monkeypatch, noisy)
    (r,) = validate_paths([box / "boom.xlsx"], FORM)
    assert "memory allocation of 123 bytes failed" in r.findings[0].message
    assert "memory allocation" not in capfd.readouterr().err


def _hang(seconds):
    import time as _time

    _time.sleep(seconds)


def _abort():
    os.abort()


def _answer(x, *, plus):
    return x + plus


def test_run_isolated_returns_and_survives_crash_and_hang():
    from xlflow.validate.isolation import IsolatedFailure, Limits, run_isolated

    assert run_isolated(_answer, 40, plus=2) == 42
    with pytest.raises(IsolatedFailure, match="异常退出"):
        run_isolated(_abort)
    started = time.monotonic()
    with pytest.raises(IsolatedFailure, match="秒仍未完成"):
        run_isolated(_hang, 30, limits=Limits(timeout=1.0))
    assert time.monotonic() - started < 10
