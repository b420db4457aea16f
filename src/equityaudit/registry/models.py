"""The registry's tables (SQLAlchemy 2 typed ORM); the schema itself is made by Alembic migrations.

* ``members`` — a consortium member, an observer or an admin (``role``), pseudonymous in views
  unless ``public``;
* ``keys`` — members' Ed25519 public keys (``keyid``: hex SHA-256 of the raw key), revocable;
* ``tokens`` — bearer tokens, stored as SHA-256 hashes only, revocable;
* ``standards`` — published standards, never updated (a change is a new version);
* ``submissions`` — the hash-chained log: each verified envelope with the hash of the entry before
  it; ``chain_head`` holds the last entry, locked while appending;
* ``releases`` — the pooled views shown to members and observers (query-set control);
* ``private_releases`` — each differentially private pooled view: its noisy counts and the ε it
  spent of its standard's budget;
* ``settings`` — server secrets such as the pseudonym salt.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "ChainHead",
    "Key",
    "Member",
    "PrivateRelease",
    "Release",
    "Setting",
    "StandardRow",
    "Submission",
    "Token",
]


class Base(DeclarativeBase):
    """Declarative base of the registry's tables."""


class Setting(Base):
    """A server setting (``pseudonym_salt``)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Member(Base):
    """A member, observer or admin of the consortium."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[str] = mapped_column(String(40))


class Key(Base):
    """A member's Ed25519 public key."""

    __tablename__ = "keys"
    keyid: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))
    revoked_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Token(Base):
    """A bearer token, by its SHA-256 only."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[str] = mapped_column(String(40))
    revoked_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class StandardRow(Base):
    """A published standard (immutable)."""

    __tablename__ = "standards"
    ref: Mapped[str] = mapped_column(String(200), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[str] = mapped_column(String(40))
    published_by: Mapped[int] = mapped_column(ForeignKey("members.id"))


class Submission(Base):
    """One entry of the hash-chained log: a verified envelope and what the views need of it."""

    __tablename__ = "submissions"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    standard_ref: Mapped[str] = mapped_column(ForeignKey("standards.ref"), index=True)
    standard_sha256: Mapped[str] = mapped_column(String(64))
    keyid: Mapped[str] = mapped_column(String(64))
    payload_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    envelope: Mapped[str] = mapped_column(Text)
    tool: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    vendor: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[str] = mapped_column(String(40))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class Release(Base):
    """A pooled view shown to a member or an observer: the submissions it pooled, under which filters.

    The registry compares every new pooled view with these (query-set control across releases):
    two views whose submissions differ by one or two members' would show those members' counts
    by subtraction (see :mod:`equityaudit.registry.pooling`).
    """

    __tablename__ = "releases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    standard_ref: Mapped[str] = mapped_column(ForeignKey("standards.ref"), index=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    seqs: Mapped[list[int]] = mapped_column(JSON)
    released_at: Mapped[str] = mapped_column(String(40))


class PrivateRelease(Base):
    """A differentially private pooled view: its submissions and filters, the noisy counts, the ε spent.

    The same view (same filters, same submissions) is served again from ``counts`` without spending
    more; the sum of ``epsilon`` over a standard's rows is what its budget has spent.
    """

    __tablename__ = "private_releases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    standard_ref: Mapped[str] = mapped_column(ForeignKey("standards.ref"), index=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    seqs: Mapped[list[int]] = mapped_column(JSON)
    mechanism: Mapped[str] = mapped_column(String(16))
    epsilon: Mapped[float] = mapped_column(Float)
    delta: Mapped[float | None] = mapped_column(Float, nullable=True)
    scale: Mapped[float] = mapped_column(Float)
    counts: Mapped[list[Any]] = mapped_column(JSON)
    released_at: Mapped[str] = mapped_column(String(40))


class ChainHead(Base):
    """The last entry of the log (one row, id 1), locked while an entry is appended."""

    __tablename__ = "chain_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))
