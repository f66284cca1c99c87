"""What every benchmark row is made of: rows with min and median, the CLI as a child process.

A child's ``ru_maxrss`` starts at its parent's high-water mark when it is spawned (vfork + exec
carries the parent's peak over), so measuring from the big benchmark process would report our
own memory: a small launcher process starts the command and reports the command's rusage.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass
class Row:
    """One measurement; with several runs, ``seconds`` is their median and ``fastest`` the minimum."""

    what: str
    n: int
    seconds: float | None
    rss_mb: float | None = None
    note: str = ""
    fastest: float | None = None
    runs: int = 1
    cpu: float | None = None  # median CPU seconds (user + system, worker processes included)

    @classmethod
    def of(cls, what: str, n: int, runs: list[float], rss_mb: float | None = None, note: str = "",
           cpu: list[float] | None = None) -> "Row":
        return cls(what, n, statistics.median(runs), rss_mb, note, min(runs), len(runs), statistics.median(cpu) if cpu else None)

    @property
    def ms_per_file(self) -> float | None:
        return None if self.seconds is None else self.seconds * 1000 / self.n


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    checks: list[tuple[str, str, str]] = field(default_factory=list)  # (target, value, PASS/FAIL/n/a)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def get(self, what: str, n: int) -> Row | None:
        return next((r for r in self.rows if r.what == what and r.n == n), None)


# ------------------------------------------------------------------------------------------
# The CLI as a child process
# ------------------------------------------------------------------------------------------

@dataclass
class Child:
    rc: int
    seconds: float
    rss_mb: float
    log: Path
    cpu: float = 0.0  # user + system seconds, its worker processes included


_LAUNCHER = (
    "import json, os, subprocess, sys, time\n"
    "out = open(sys.argv[1], 'wb')\n"
    "t = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[3:], stdout=out, stderr=subprocess.STDOUT)\n"
    "_, st, ru = os.wait4(p.pid, 0)\n"
    "t = time.perf_counter() - t\n"
    "open(sys.argv[2], 'w').write(json.dumps([os.waitstatus_to_exitcode(st), t, ru.ru_maxrss, ru.ru_utime + ru.ru_stime]))\n"
)


def run_child(args: list[str], log: Path, env: dict[str, str] | None = None) -> Child:
    """Run ``python -m xlflow ARGS``: wall time and the child's own peak RSS (os.wait4)."""
    env = {**os.environ, **(env or {}),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    stats = log.with_suffix(".rusage.json")
    cmd = [sys.executable, "-c", _LAUNCHER, str(log), str(stats), sys.executable, "-m", "xlflow", *args]
    subprocess.run(cmd, env=env, cwd=ROOT, check=True)
    rc, seconds, maxrss_kb, cpu = json.loads(stats.read_text())
    return Child(rc, seconds, maxrss_kb / 1024, log, cpu)


def command_available(name: str) -> bool:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    probe = subprocess.run([sys.executable, "-m", "xlflow", name, "--help"], capture_output=True, env=env, cwd=ROOT)
    return probe.returncode == 0


def tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def json_statuses(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    counts: dict[str, int] = {}
    for f in data.get("files", []):
        counts[f.get("status", "?")] = counts.get(f.get("status", "?"), 0) + 1
        counts["findings"] = counts.get("findings", 0) + len(f.get("findings", []))
    return counts


