"""The workspace's tables (SQLAlchemy Core), as of the newest migration.

The migrations in ``migrations/versions`` create them; this module only describes them for
the queries. Times are ISO 8601 text in UTC (``records.now_text``): the same on SQLite and
PostgreSQL, sortable, and never converted by a driver. JSON documents are text.

* ``meta``: key/value facts about the workspace (unit name and code, the session secret).
* ``years``: one row per collection year: the form in force (reference and digest), the
  xlflow version that last validated it, the deadline, the year it follows.
* ``agencies``: the roster of each year with its state (active / removed / merged).
* ``submissions``: every file ever received, one row per (year, bytes); its stored result.
* ``imported``: per-agency values of a year collected without a workspace (import-year).
* ``audit``: the append-only log (triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

meta = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

years = sa.Table(
    "years", metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("form_ref", sa.Text, nullable=False),
    sa.Column("form_digest", sa.Text, nullable=False),
    sa.Column("code_version", sa.Text, nullable=False),
    sa.Column("roster_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("previous_year", sa.Integer, nullable=True),
    sa.Column("deadline", sa.String(10), nullable=True),
    sa.Column("created_at", sa.String(40), nullable=False),
)

agencies = sa.Table(
    "agencies", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("year", sa.Integer, sa.ForeignKey("years.year"), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("grp", sa.Text, nullable=False, server_default=""),
    sa.Column("contacts", sa.Text, nullable=False, server_default="[]"),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, server_default="active"),  # active|removed|merged
    sa.Column("merged_into", sa.String(64), nullable=True),
    sa.UniqueConstraint("year", "code", name="uq_agencies_year_code"),
)

submissions = sa.Table(
    "submissions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("year", sa.Integer, sa.ForeignKey("years.year"), nullable=False),
    sa.Column("agency_code", sa.String(64), nullable=True),  # attributed
    sa.Column("declared_code", sa.String(64), nullable=True),  # what the file says
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("received_at", sa.String(40), nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Integer, nullable=False),
    sa.Column("filled_date", sa.String(10), nullable=False, server_default=""),
    sa.Column("result", sa.Text, nullable=False),  # FileResult.to_record() as JSON
    sa.Column("deps", sa.String(64), nullable=False),  # validate.dependencies digest
    sa.Column("current", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("year", "sha256", name="uq_submissions_year_sha256"),
)
sa.Index("ix_submissions_year_agency", submissions.c.year, submissions.c.agency_code)

imported = sa.Table(
    "imported", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("agency_code", sa.String(64), nullable=False),
    sa.Column("agency_name", sa.Text, nullable=False),
    sa.Column("values", sa.Text, nullable=False),  # encoded field values (JSON)
    sa.Column("source", sa.Text, nullable=False),
    sa.UniqueConstraint("year", "agency_code", name="uq_imported_year_code"),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("year", sa.Integer, nullable=True),
    sa.Column("agency_code", sa.String(64), nullable=True),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
)
