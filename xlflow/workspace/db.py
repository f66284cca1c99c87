"""The database: engine, write transactions, migrations.

SQLite (the default) runs in WAL mode with a busy timeout, so readers never wait for a
writer; a write transaction starts with ``BEGIN IMMEDIATE``, so two writers queue instead of
failing half way. On PostgreSQL a write transaction takes one transaction-scoped advisory
lock: writes to one workspace are serialized the same way (they are short: validation, the
slow part, happens before the transaction). Migrations are alembic's, in ``migrations/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .config import WorkspaceError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_WRITE_LOCK = 727_100_010  # pg_advisory_xact_lock key: "xlflow workspace writes"
BUSY_TIMEOUT_S = 120


def make_engine(url: str) -> sa.Engine:
    try:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
            _sqlite_hooks(engine)
        else:
            engine = sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ImportError, sa.exc.NoSuchModuleError) as exc:
        raise WorkspaceError(f"数据库地址无法使用：{_safe(url)}（{exc}）") from None
    return engine


def _safe(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown without its middle
        return url.split("@")[-1]


def _sqlite_hooks(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # transactions are begun below, not by the driver
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")  # WAL: consistent after any crash; a power cut may lose the last commits, never half of one
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("xlflow_write") else "BEGIN")


@contextmanager
def writing(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One write transaction, serialized with every other writer of the workspace."""
    with engine.connect() as conn:
        conn.info["xlflow_write"] = True
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _WRITE_LOCK})
                yield conn
        finally:
            conn.info.pop("xlflow_write", None)


@contextmanager
def reading(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.connect() as conn:
        with conn.begin():
            yield conn


def _alembic_config(conn: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the newest by default)."""
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), revision)
        if conn.in_transaction():
            conn.commit()


def ensure_schema(engine: sa.Engine) -> None:
    """Migrate an older workspace forward on open; refuse one newer than this xlflow."""
    try:
        cur = current_revision(engine)
    except sa.exc.OperationalError as exc:
        raise WorkspaceError(f"无法连接工作区数据库：{exc.orig}") from None
    head = head_revision()
    if cur == head:
        return
    known = {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
    if cur is not None and cur not in known:
        raise WorkspaceError(f"工作区数据库的版本（{cur}）比这个 xlflow 新，请升级 xlflow 后再打开。")
    upgrade(engine)
