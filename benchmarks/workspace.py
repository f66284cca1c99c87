"""The workspace (issue 10): ingest of N returns, then merge from the workspace, against the
bare calamine loop over the same files; status of N agencies; peak memory.

    python benchmarks/workspace.py                    # N = 1,000, one run
    python benchmarks/workspace.py --n 10000          # peak memory at 10,000 returns

Targets (issue 10): ingest (``xlflow add``, whole process) <= 1.3x the loop; merge from the
workspace (``xlflow merge DIR``, whole process) <= 0.3x the loop; ``Workspace.status_rows`` of
N agencies < 0.2 s (in process, the workspace already open, after a change; the first call,
which parses every stored result once, is printed beside it). Peak RSS of each child is reported.
Files go to benchmarks/_work/workspace (gitignored), removed unless --keep.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness import run_child  # type: ignore[no-redef]
    from make_returns import ReturnFactory, write_returns, write_roster  # type: ignore[no-redef]
    from readers import calamine_read, init_reader, timed_loop  # type: ignore[no-redef]
else:
    from .harness import run_child
    from .make_returns import ReturnFactory, write_returns, write_roster
    from .readers import calamine_read, init_reader, timed_loop

from xlflow.form import DEFAULT_FORM, load_form
from xlflow.workspace import Workspace

YEAR = 2024
INGEST_TARGET, MERGE_TARGET, STATUS_TARGET = 1.3, 0.3, 0.2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="工作区基准：导入 N 份报表、从工作区汇总，与 calamine 裸读循环对比。")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--work", type=Path, default=Path(__file__).resolve().parent / "_work" / "workspace")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    n, work = args.n, args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    form = load_form()
    paths = [str(p) for p in write_returns(work / "returns", n, factory=ReturnFactory(form, YEAR))]
    roster = write_roster(work / "roster.csv", n)
    init_reader(DEFAULT_FORM)
    loop = timed_loop(calamine_read, paths)
    ws_dir = work / "ws"
    init = run_child(["init", str(ws_dir), "--year", str(YEAR), "--agencies", str(roster)], work / "init.log")
    add = run_child(["add", str(ws_dir), str(work / "returns")], work / "add.log")
    merge = run_child(["merge", str(ws_dir), "--out", str(work / "汇总.xlsx")], work / "merge.log")
    with Workspace.open(ws_dir) as ws:
        started = time.perf_counter()
        ws.status_rows()  # cold: every stored result parsed once (what one CLI run pays)
        cold = time.perf_counter() - started
        ws.add_bytes(Path(paths[0]).read_bytes(), "again.xlsx", actor="benchmark")  # a duplicate: the log grows
        started = time.perf_counter()
        rows = ws.status_rows()  # warm, after a change: the portal's case
        status = time.perf_counter() - started
        stored = len(ws.submissions())
    ok = add.rc == 0 and merge.rc == 0 and stored == n and len(rows) == n
    print(f"N = {n}（{'全部导入' if ok else '导入不完整！'}，{stored} 条记录）")
    print(f"{'step':<44}{'s':>9}{'× loop':>9}{'RSS MB':>9}")
    print(f"{'calamine loop (bare read, reference)':<44}{loop:>9.2f}{1:>9.2f}{'':>9}")
    print(f"{'xlflow init (templates for N agencies)':<44}{init.seconds:>9.2f}{init.seconds / loop:>9.2f}{init.rss_mb:>9.0f}")
    print(f"{'xlflow add (ingest, whole process)':<44}{add.seconds:>9.2f}{add.seconds / loop:>9.2f}{add.rss_mb:>9.0f}")
    print(f"{'xlflow merge DIR (from the workspace)':<44}{merge.seconds:>9.2f}{merge.seconds / loop:>9.2f}{merge.rss_mb:>9.0f}")
    print(f"{'Workspace.status_rows, first call (cold)':<44}{cold:>9.3f}")
    print(f"{'Workspace.status_rows, open workspace':<44}{status:>9.3f}")
    checks = [
        (f"ingest <= {INGEST_TARGET}x loop", add.seconds / loop <= INGEST_TARGET),
        (f"merge from workspace <= {MERGE_TARGET}x loop", merge.seconds / loop <= MERGE_TARGET),
        (f"status of {n} agencies < {STATUS_TARGET} s", status < STATUS_TARGET),
    ]
    for what, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {what}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
