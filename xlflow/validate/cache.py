"""Validate once: each file's result kept by its content and by everything the result depends on.

A clerk validates, asks agencies to fix, validates again, then merges. A file that did not
change is never read twice: its result is stored under the file's SHA-256 together with the
digest of what the result depends on (``dependencies.dependencies``: form, xlflow, year, the
roster entry and previous-year values of the agency the file declares). Because the agency is only
known once the file was read, the store keeps it beside each entry, and a lookup recomputes the
digest for that agency under the current run; an entry from another version or context never
matches (and entries of other versions are pruned after ``PRUNE_AFTER_DAYS``).

The store is one SQLite database in WAL mode (stdlib; concurrent runs each commit whole
batches, readers never block writers). Records are ``FileResult.to_record()`` as JSON,
zlib-compressed: zlib's checksum makes a damaged record fail to decode, and such an entry is
dropped and read afresh, never trusted. A damaged database is removed (it holds nothing that
cannot be recomputed) and rebuilt; if that fails too the run goes on without a cache, with a note.

Results that depend on the machine rather than the file (a worker crash or timeout, a file
that could not be read) are not stored. The folder comes from ``XLFLOW_CACHE_DIR``, else the
user's cache directory (platformdirs: ~/.cache/xlflow, %LOCALAPPDATA%\\xlflow\\Cache, ...); it
is never used inside a returns folder. ``xlflow cache clear`` empties it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..form import Form
from ..results import FileResult
from .dependencies import (
    code_version,
    dependencies,
    digest_for,
    is_current,
    reusable,
    static_key,
)
from .engine import read_input

__all__ = ["ResultCache", "default_dir", "dependencies", "for_inputs", "is_current", "pack", "reusable"]

DB_NAME = "results.sqlite3"
BATCH = 64
PRUNE_AFTER_DAYS = 30


def default_dir() -> Path:
    env = os.environ.get("XLFLOW_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("xlflow", appauthor=False))


def file_sha256(path: Path) -> str | None:
    """The hash a lookup needs: a regular file's bytes (within the reader's size limit)."""
    try:
        return hashlib.sha256(read_input(path)).hexdigest()
    except Exception:  # noqa: BLE001 - unreadable here means: not in the cache; the worker says why
        return None


# -- the store ---------------------------------------------------------------------------------

class ResultCache:
    """The result store (see the module docstring). Thread-safe; writes are batched, so call
    ``close()`` (or use it as a context manager) to keep the last ones."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else default_dir()
        self.path = self.folder / DB_NAME
        self.note: str | None = None  # why the cache is off, for the clerk
        self.hits = self.misses = 0
        self._db: sqlite3.Connection | None = None
        self._pending: list[tuple] = []
        self._lock = threading.Lock()
        self._off = False
        self._wrote = False

    # -- lookups -----------------------------------------------------------------------------
    def get(self, sha256: str, form: Form, *, year=None, roster=None, previous=None, path: Path | None = None) -> FileResult | None:
        static = static_key(form)
        rows = self._query("SELECT agency, deps, record FROM results_v1 WHERE sha256 = ? AND static = ?", (sha256, static))
        for agency, deps, record in rows:
            if digest_for(static, agency, year, roster, previous) != deps:
                continue
            result = self._decode(record, sha256, static, deps, form)
            if result is None:
                continue
            if path is not None:
                result.path = Path(path)
            self.hits += 1
            return result
        self.misses += 1
        return None

    def has_entries(self, form: Form) -> bool:
        """Whether anything is stored for this form and xlflow: when not, a run need not hash
        its files to look them up (they are hashed where they are read)."""
        return bool(self._query("SELECT 1 FROM results_v1 WHERE static = ? LIMIT 1", (static_key(form),)))

    def put(self, result: FileResult, form: Form, *, year=None, roster=None, previous=None, blob: bytes | None = None) -> bool:
        """Store a result (``blob``: ``pack(result, form)`` when a worker already made it)."""
        if self._off or not reusable(result):
            return False
        static = static_key(form)
        deps = digest_for(static, result.agency_code, year, roster, previous)
        blob = blob if blob is not None else pack(result, form)
        with self._lock:
            self._pending.append((result.sha256, static, deps, result.agency_code, blob, time.time(), code_version()))
            full = len(self._pending) >= BATCH
        if full:
            self.flush()
        return True

    def flush(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
            if not rows or self._off:
                return
            self._write(rows)

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._db is not None:
                if self._wrote:
                    self._prune()
                self._db.close()
                self._db = None

    def __enter__(self) -> ResultCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- maintenance -------------------------------------------------------------------------
    def clear(self) -> int:
        """Remove every entry (the database files go); returns how many there were."""
        count = self.info()["entries"]
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.unlink(f"{self.path}{suffix}")
                except FileNotFoundError:
                    pass
        return count

    def info(self) -> dict[str, Any]:
        rows = self._query("SELECT COUNT(*), COALESCE(SUM(LENGTH(record)), 0) FROM results_v1", ()) if self.path.exists() else []
        entries, size = rows[0] if rows else (0, 0)
        on_disk = sum(os.path.getsize(f"{self.path}{s}") for s in ("", "-wal", "-shm") if os.path.exists(f"{self.path}{s}"))
        return {"path": self.path, "entries": entries, "record_bytes": size, "bytes": on_disk}

    # -- internals ---------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._off:
            return self._db
        for attempt in (1, 2):
            try:
                # Private: results hold every agency's numbers and contact details.
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS results_v1 (sha256 TEXT NOT NULL, static TEXT NOT NULL, deps TEXT NOT NULL, "
                    "agency TEXT, record BLOB NOT NULL, created REAL NOT NULL, version TEXT NOT NULL, "
                    "PRIMARY KEY (sha256, static, deps))"
                )
                self._db = db
                return db
            except sqlite3.DatabaseError as exc:
                if attempt == 1 and _damaged(exc):
                    self._set_aside()
                    continue
                self._disable(f"缓存无法使用（{exc}），本次不使用缓存")
            except OSError as exc:
                self._disable(f"缓存目录无法写入（{exc.strerror or exc}），本次不使用缓存")
            return None
        return None

    def _query(self, sql: str, args: tuple) -> list[tuple]:
        with self._lock:
            db = self._connect()
            if db is None:
                return []
            try:
                return db.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                self._broken(exc)
                return []

    def _write(self, rows: list[tuple]) -> None:
        db = self._connect()
        if db is None:
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR REPLACE INTO results_v1 VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            db.execute("COMMIT")
            self._wrote = True
        except sqlite3.DatabaseError as exc:
            try:
                db.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                pass
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                return  # another run held the database too long: these results are simply not kept
            self._broken(exc)

    def _decode(self, record: bytes, sha256: str, static: str, deps: str, form: Form) -> FileResult | None:
        try:
            result = _unpack(record, form)
            if result.sha256 != sha256:
                raise ValueError("sha256")
            return result
        except Exception:  # noqa: BLE001 - a damaged entry is read afresh, never trusted
            with self._lock:
                try:
                    if self._db is not None:
                        self._db.execute("DELETE FROM results_v1 WHERE sha256 = ? AND static = ? AND deps = ?", (sha256, static, deps))
                except sqlite3.DatabaseError:
                    pass
            return None

    def _prune(self) -> None:
        """Entries of other xlflow versions can never match again; they go after a while (not at
        once: another installed version may share the folder)."""
        try:
            cutoff = time.time() - PRUNE_AFTER_DAYS * 86400
            self._db.execute("DELETE FROM results_v1 WHERE version != ? AND created < ?", (code_version(), cutoff))
        except sqlite3.DatabaseError:
            pass

    def _broken(self, exc: sqlite3.DatabaseError) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if _damaged(exc):
            self._set_aside()
        else:
            self._disable(f"缓存无法使用（{exc}），本次不使用缓存")

    def _set_aside(self) -> None:
        """A damaged database is removed (it holds nothing that cannot be recomputed)."""
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except OSError:
                pass

    def _disable(self, why: str) -> None:
        self._off = True
        self.note = why


_orders: dict[int, tuple[Form, tuple[str, ...], frozenset[str]]] = {}


def _order(form: Form) -> tuple[tuple[str, ...], frozenset[str]]:
    hit = _orders.get(id(form))
    if hit is None or hit[0] is not form:
        hit = _orders[id(form)] = (form, tuple(form.fields), frozenset(form.fields))
    return hit[1], hit[2]


def pack(result: FileResult, form: Form) -> bytes:
    """The record as compressed JSON. Values of every field of the form (the usual case) are
    stored as a list in the form's field order: the names are most of a record's bytes, and
    the form's digest in the key guarantees the same order when it is read."""
    record = result.to_record()
    values = record.get("values")
    order, names = _order(form)
    if values is not None and values.keys() == names:
        record["values"] = [values[k] for k in order]
    return zlib.compress(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 1)


def _unpack(blob: bytes, form: Form) -> FileResult:
    record = json.loads(zlib.decompress(blob))
    values = record.get("values")
    if isinstance(values, list):
        order, _ = _order(form)
        if len(values) != len(order):
            raise ValueError("values")
        record["values"] = dict(zip(order, values, strict=True))
    return FileResult.from_record(record)


def _damaged(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(w in text for w in ("malformed", "not a database", "file is encrypted", "disk image", "corrupt"))


def for_inputs(paths: Iterable[str | os.PathLike], folder: Path | None = None) -> ResultCache:
    """The cache for a run over ``paths``; off (with a note) when its folder is inside one of them."""
    cache = ResultCache(folder)
    where = cache.folder.expanduser().resolve()
    for p in paths:
        p = Path(p)
        if p.is_dir() and (where == p.resolve() or p.resolve() in where.parents):
            cache._disable(f"缓存目录 {cache.folder} 位于回收文件夹 {p} 内，本次不使用缓存（请把 XLFLOW_CACHE_DIR 设到别处）")
            break
    return cache
