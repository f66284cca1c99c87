"""Content-addressed storage of the files received: DIR/files/ab/cdef… (SHA-256 hex).

A blob is written to a temporary file in the same folder, flushed to disk (fsync), then
renamed into place, and the folder is synced: the row that points to a blob is committed only
after ``put`` returns, so a process killed at any moment leaves either no row or a complete
file. A temporary file or an unreferenced blob left by a killed ingest is harmless
(``check`` lists it; ``prune`` removes it).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

TMP_PREFIX = ".incoming-"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes, digest: str | None = None, *, sync_dir: bool = True) -> tuple[str, Path]:
        """Store ``data``; ``sync_dir=False`` leaves syncing the folder to the caller (``sync``),
        which must happen before a row points to the blob (a batch syncs each folder once)."""
        digest = digest or sha256(data)
        target = self.path(digest)
        if target.is_file() and target.stat().st_size == len(data):
            return digest, target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if sync_dir:
            _sync_dir(target.parent)
        return digest, target

    def sync(self, digests) -> None:
        """Make the renames of these blobs durable: each folder synced once."""
        for folder in sorted({self.path(d).parent for d in digests}):
            _sync_dir(folder)

    def get(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def verify(self, digest: str) -> str | None:
        """None when the blob is there and hashes to its name, else what is wrong (Chinese)."""
        p = self.path(digest)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            return "文件不存在"
        except OSError as exc:
            return f"文件无法读取（{exc.strerror or exc}）"
        if sha256(data) != digest:
            return "文件内容与其 SHA-256 不符（已被改动或损坏）"
        return None

    def walk(self) -> Iterator[tuple[str, Path]]:
        """(digest or "" for a leftover temporary file, path) of every file under the store."""
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if not sub.is_dir():
                continue
            for p in sorted(sub.iterdir()):
                yield ("" if p.name.startswith(TMP_PREFIX) else sub.name + p.name), p


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
