"""The portal's settings: limits and cookie options, with defaults fit for one county's intranet."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    max_upload_bytes: int = 20 * MB  # an upload larger than this is refused (413) while it streams in
    secure_cookies: bool = False  # True behind HTTPS: the session cookie is sent over HTTPS only
    session_max_age: int = 8 * 3600  # seconds a clerk stays logged in
    # Per link (agency token): at most this many requests, uploads among them, per window.
    link_requests: int = 120
    link_uploads: int = 20
    rate_window: float = 60.0
    # Failed clerk logins per client address per window before 429.
    login_failures: int = 10
    poll_seconds: int = 5  # how often the dashboard refreshes its table
