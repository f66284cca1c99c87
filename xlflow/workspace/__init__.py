"""The persistent workspace: one county's collections, year after year (issue 10).

``Workspace.init(dir, year=, roster=)`` / ``Workspace.open(dir)``; see docs/workspace-api.md
for the contract the CLI and the portal code against.
"""

from .check import CheckReport
from .config import WorkspaceError, is_workspace
from .core import Workspace
from .records import AuditEntry, Change, IngestOutcome, Submission
from .supersede import RULE_TEXT

__all__ = ["AuditEntry", "Change", "CheckReport", "IngestOutcome", "RULE_TEXT", "Submission", "Workspace", "WorkspaceError", "is_workspace"]
