"""Access: the agencies' private links, the admin password, the clerk's reviews (issue 11).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("agency_code", sa.String(64), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("issued_at", sa.String(40), nullable=False),
        sa.Column("issued_by", sa.Text, nullable=False),
        sa.Column("revoked_at", sa.String(40), nullable=True),
        sa.Column("revoked_by", sa.Text, nullable=True),
    )
    op.create_index("ix_links_year_agency", "links", ["year", "agency_code"])
    op.create_table(
        "admin_password",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("set_at", sa.String(40), nullable=False),
        sa.Column("set_by", sa.Text, nullable=False),
    )
    op.create_table(
        "reviews",
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True, autoincrement=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reviews")
    op.drop_table("admin_password")
    op.drop_index("ix_links_year_agency", table_name="links")
    op.drop_table("links")
