"""The registry's first schema: members, keys, tokens, standards, the submission log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "keys",
        sa.Column("keyid", sa.String(64), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False, index=True),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("revoked_at", sa.String(40), nullable=True),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("revoked_at", sa.String(40), nullable=True),
    )
    op.create_table(
        "standards",
        sa.Column("ref", sa.String(200), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.String(40), nullable=False),
        sa.Column("published_by", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
    )
    op.create_table(
        "submissions",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False, index=True),
        sa.Column("standard_ref", sa.String(200), sa.ForeignKey("standards.ref"), nullable=False, index=True),
        sa.Column("standard_sha256", sa.String(64), nullable=False),
        sa.Column("keyid", sa.String(64), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("tool", sa.String(200), nullable=True, index=True),
        sa.Column("vendor", sa.String(200), nullable=True, index=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    """Drop every table."""
    for table in ("chain_head", "submissions", "standards", "tokens", "keys", "members", "settings"):
        op.drop_table(table)
