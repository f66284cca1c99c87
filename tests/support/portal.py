"""The portal under test: a workspace of three agencies with links and an admin password,
the app over it (TestClient) or a real uvicorn server in a thread on a free port, and the
returns the agencies upload (built from their own stamped templates)."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.returned import build, clean_values
from xlflow.workspace import Workspace

YEAR = 2024
PASSWORD = "县里的管理密码2024"
AGENCIES = [("370829001", "嘉祥县人民政府办公室"), ("370829002", "嘉祥县发展和改革局"), ("370829003", "嘉祥县教育和体育局")]
A, B, C = (code for code, _ in AGENCIES)
NAMES = dict(AGENCIES)


def roster_csv(tmp_path: Path) -> Path:
    path = tmp_path / "名单.csv"
    path.write_text("单位代码,单位名称,分组\n" + "".join(f"{c},{n},县直部门\n" for c, n in AGENCIES), encoding="utf-8")
    return path


def make_workspace(tmp_path: Path):
    return Workspace.init(tmp_path / "嘉祥县", year=YEAR, roster=roster_csv(tmp_path), name="嘉祥县", code="370829")


@dataclass
class Portal:
    ws: object
    tokens: dict[str, str]


def portal_workspace(tmp_path: Path) -> Portal:
    ws = make_workspace(tmp_path)
    ws.set_admin_password(PASSWORD, actor="test")
    tokens = ws.issue_links(YEAR, actor="test")
    return Portal(ws, tokens)


def good_return(code: str, **overrides) -> bytes:
    return build(clean_values(**overrides), code=code, name=NAMES[code], year=YEAR)


def bad_return(code: str) -> bytes:
    """One mistake: 本年新收 of natural persons one too many (table 三 no longer balances)."""
    return good_return(code, **{"t3.new.natural": 6})


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn serving ``app`` in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
