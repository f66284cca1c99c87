"""The collection portal (``xlflow serve``): each agency uploads through its own private link
and sees its findings at once; the county clerk watches the collection, reviews returns and
downloads the summary. A Starlette app over one ``xlflow.workspace.Workspace``; files are
validated only by the workspace's isolated worker pool, never in the server process.
"""

from __future__ import annotations

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
