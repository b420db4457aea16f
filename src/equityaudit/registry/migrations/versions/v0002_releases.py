"""Releases: which submissions each pooled view shown to a member or observer was made of.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the releases table."""
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("standard_ref", sa.String(200), sa.ForeignKey("standards.ref"), nullable=False, index=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("seqs", sa.JSON(), nullable=False),
        sa.Column("released_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    """Drop the releases table."""
    op.drop_table("releases")
