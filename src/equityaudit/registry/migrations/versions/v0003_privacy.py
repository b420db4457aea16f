"""Private releases: each differentially private pooled view, its noisy counts and the ε it spent.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the private_releases table."""
    op.create_table(
        "private_releases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("standard_ref", sa.String(200), sa.ForeignKey("standards.ref"), nullable=False, index=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("seqs", sa.JSON(), nullable=False),
        sa.Column("mechanism", sa.String(16), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("delta", sa.Float(), nullable=True),
        sa.Column("scale", sa.Float(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("released_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    """Drop the private_releases table."""
    op.drop_table("private_releases")
