"""A throwaway PostgreSQL server for the workspace tests: ``initdb`` in a temporary folder,
listening on a Unix socket only, stopped and removed afterwards.

The binaries are found in /usr/lib/postgresql/<version>/bin (Debian's ``postgresql``
package, which ``.ci/install-postgresql.sh`` installs), through ``pg_config --bindir``, or on
PATH. PostgreSQL refuses to run as root: as root the server runs as the ``postgres`` user (or
``nobody``) through ``runuser``. Without PostgreSQL a test fails under CI=true and is skipped
otherwise (``missing``).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

USER = "xlflow"


def bindir() -> Path | None:
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0, reverse=True):
        if Path(d, "initdb").is_file():
            return Path(d)
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if Path(out, "initdb").is_file():
            return Path(out)
    except (OSError, subprocess.CalledProcessError):
        pass
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _runas() -> tuple[list[str], str | None]:
    """The command prefix that runs the server as a non-root user, and that user."""
    if os.geteuid() != 0:
        return [], None
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        if shutil.which("runuser"):
            return ["runuser", "-u", user, "--"], user
    raise RuntimeError("以 root 运行，但找不到可用于运行 PostgreSQL 的普通用户（postgres 或 nobody）和 runuser。")


class Cluster:
    def __init__(self):
        b = bindir()
        if b is None:
            raise FileNotFoundError("找不到 PostgreSQL（initdb）。请运行 bash .ci/install-postgresql.sh。")
        self.bin = b
        self.prefix, user = _runas()
        self.root = Path(tempfile.mkdtemp(prefix="xlflow-pg-"))
        self.data = self.root / "data"
        self.data.mkdir()
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chmod(self.root, 0o755)
            for p in (self.root, self.data):
                os.chown(p, entry.pw_uid, entry.pw_gid)
        self._names = itertools.count(1)
        try:
            self._run("initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
            opts = f"-k {self.root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
            self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "server.log"), "-w", "-t", "60", "start")
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _run(self, exe: str, *args: str) -> None:
        proc = subprocess.run([*self.prefix, str(self.bin / exe), *args], capture_output=True, text=True)
        if proc.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace") if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"{exe} 失败：{proc.stdout}{proc.stderr}{log[-2000:]}")

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://{USER}@/{db}?host={self.root}"

    def new_database(self) -> str:
        import psycopg

        name = f"ws{next(self._names)}"
        with psycopg.connect(host=str(self.root), user=USER, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def missing(reason: str) -> None:
    """Fail under CI (PostgreSQL is installed there by .ci/run), skip locally."""
    import pytest

    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL 不可用（CI 必须运行 PostgreSQL 测试）：{reason}")
    pytest.skip(f"PostgreSQL 不可用：{reason}")
