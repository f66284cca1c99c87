"""What keeps the portal safe on an intranet: security headers on every response, the upload
size limit enforced while the body streams in, rate limits, CSRF tokens, safe file names and
the one 404 answer given to every bad link.

Every form carries the session's CSRF token (``csrf_token``); a POST without it is refused.
The agency's link is the agency's only credential (no cookie authorises an agency), so an
upload by another system with ``Accept: application/json`` needs no form token.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
import unicodedata
from collections import OrderedDict, deque
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .words import too_large

# No inline script or style anywhere: every asset comes from /static of this server.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # The link token is in the URL: never send it on to another site.
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every HTTP response; pages and files (not /static) are
    never cached (they carry a link token or one agency's data)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
                headers += SECURITY_HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_OURS = {k for k, _ in SECURITY_HEADERS} | {b"cache-control"}


class BodyLimit:
    """Refuses a request body larger than ``limit`` bytes: at once when Content-Length says so,
    otherwise as soon as the bytes received pass the limit (HTTP 413), so an oversized upload
    is never read whole, nor spooled to disk."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.limit:
                    await _refuse(scope, send, self.limit)
                    return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413)
            return message

        await self.app(scope, counting_receive, send)


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    body = too_large(limit).encode("utf-8")
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """At most ``limit`` hits per ``window`` seconds per key (sliding window, in memory, safe
    across threads). ``hit`` answers None, or the seconds to wait before the next hit is allowed."""

    def __init__(self, limit: int, window: float, max_keys: int = 10_000):
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None, peek: bool = False) -> float | None:
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._hits.get(key)
            if q is None:
                q = self._hits[key] = deque()
                while len(self._hits) > self.max_keys:
                    self._hits.popitem(last=False)
            else:
                self._hits.move_to_end(key)
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= self.limit:
                return max(0.0, q[0] + self.window - now)
            if not peek:
                q.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


# -- CSRF ------------------------------------------------------------------------------------

def csrf_token(session: dict) -> str:
    """The session's form token (created on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session: dict, submitted: object) -> bool:
    expected = session.get("csrf")
    return isinstance(expected, str) and isinstance(submitted, str) and hmac.compare_digest(expected, submitted)


# -- links and file names --------------------------------------------------------------------

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,128}$")


def plausible_token(token: str) -> bool:
    """Cheap shape check before the database is asked (the answer to a bad link is the same 404 anyway)."""
    return bool(_TOKEN.match(token))


SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def safe_filename(name: str | None, default: str = "上传文件.xlsx") -> str:
    """A received file's name for display and storage records only, never a path: the last
    component (a browser may send C:\\fakepath\\x.xlsx), no control characters, no leading dots,
    at most 120 characters with its suffix kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".").strip()
    if not name:
        return default
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: 110] + dot + suffix[:9]) if dot and len(suffix) < 10 else name[:120]
    return name


def suffix_of(name: str) -> str:
    return ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""


def content_disposition(filename: str) -> str:
    """attachment with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
