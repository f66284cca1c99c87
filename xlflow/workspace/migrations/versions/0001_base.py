"""Base schema of the workspace: meta, years, agencies, submissions, imported, audit.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_NO_CHANGE = "审计日志只能追加，不能修改或删除"


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "years",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("form_ref", sa.Text, nullable=False),
        sa.Column("form_digest", sa.Text, nullable=False),
        sa.Column("code_version", sa.Text, nullable=False),
        sa.Column("roster_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("previous_year", sa.Integer, nullable=True),
        sa.Column("deadline", sa.String(10), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, sa.ForeignKey("years.year"), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("grp", sa.Text, nullable=False, server_default=""),
        sa.Column("contacts", sa.Text, nullable=False, server_default="[]"),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="active"),
        sa.Column("merged_into", sa.String(64), nullable=True),
        sa.UniqueConstraint("year", "code", name="uq_agencies_year_code"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, sa.ForeignKey("years.year"), nullable=False),
        sa.Column("agency_code", sa.String(64), nullable=True),
        sa.Column("declared_code", sa.String(64), nullable=True),
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
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("deps", sa.String(64), nullable=False),
        sa.Column("current", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("year", "sha256", name="uq_submissions_year_sha256"),
    )
    op.create_index("ix_submissions_year_agency", "submissions", ["year", "agency_code"])
    op.create_table(
        "imported",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("agency_code", sa.String(64), nullable=False),
        sa.Column("agency_name", sa.Text, nullable=False),
        sa.Column("values", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.UniqueConstraint("year", "agency_code", name="uq_imported_year_code"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("agency_code", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    # The audit log is append-only in the database itself, not only by convention.
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
                f"BEGIN SELECT RAISE(ABORT, '{_NO_CHANGE}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_NO_CHANGE}'; END $$"
        )
        op.execute("CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
                   "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_no_change ON audit")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    for name in ("audit", "imported", "submissions", "agencies", "years", "meta"):
        op.drop_table(name)
