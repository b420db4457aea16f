"""The registry's storage and rules: members, keys, tokens, standards, the hash-chained log.

It stays one module of some 650 lines: its job is one class, :class:`Registry`, and the two
functions that open its database. The class's methods are the registry's operations; they share its
sessions, the lock that serialises appends and the log's hashing, which a split by topic (members,
standards, submissions) would have to pass between modules.

:class:`Registry` is what the HTTP app calls; every method is one transaction. The database is
SQLite (a file, the default) or PostgreSQL (``postgresql+psycopg://…``); its schema is made and
upgraded by the Alembic migrations shipped in ``equityaudit/registry/migrations`` (see
:func:`upgrade`), run on every start.

The log: every accepted submission is an entry ``{seq, prev, member, standard, standard_sha256,
keyid, payload_sha256, tool, vendor, received_at}`` whose ``entry_hash`` is the SHA-256 of its
canonical JSON; ``prev`` is the previous entry's hash (64 zeros for the first). Appends are
serialised (a lock in the process and, across processes, a row lock on ``chain_head`` in
PostgreSQL and ``BEGIN IMMEDIATE`` — the file's write lock from a transaction's start — in SQLite,
which has no row locks), so the chain never forks and no append is lost. :meth:`Registry.verify_log` recomputes every hash, including each envelope's
payload digest, and reports the first broken entries.

Beside each entry the views read columns of their own — ``counts`` (the pooled audit),
``summary`` (results and benchmark), ``meta``, ``tool`` and ``vendor`` (filters). They are not in
the entry's hash; they are derived from the signed envelope, which is (by its payload digest), and
:meth:`Registry.verify_log` derives them again from the stored envelope and names every entry
whose columns differ (:func:`~equityaudit.registry.integrity.check_derived`), as well as one
whose envelope no longer verifies with the key the entry names.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import math
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from equityaudit.errors import EquityAuditError, SpecError
from equityaudit.registry.integrity import check_derived, stored_text, summarise
from equityaudit.registry.models import (
    ChainHead,
    Key,
    Member,
    PrivateRelease,
    Release,
    Setting,
    StandardRow,
    Submission,
    Token,
)
from equityaudit.registry.validation import (
    RejectedPayloadError,
    check_aggregate_only,
    check_free_form,
    validate_result,
)
from equityaudit.registry.wording import possessive
from equityaudit.results import AuditResult, canonical_json
from equityaudit.signing import (
    EnvelopeError,
    SignatureError,
    check_envelope_shape,
    key_id,
    load_public_key,
    verify_envelope,
)
from equityaudit.standards import Standard, parse_standard

__all__ = [
    "DEFAULT_DB_URL",
    "GENESIS",
    "MAX_ID",
    "MAX_MEMBER_NAME",
    "MAX_SIGNATURES",
    "ROLES",
    "Caller",
    "PrivateView",
    "Registry",
    "RegistryError",
    "entry_hash",
    "make_engine",
    "upgrade",
]

DEFAULT_DB_URL = "sqlite:///equityaudit-registry.sqlite3"
GENESIS = "0" * 64
MAX_ID = 2**63 - 1
"""Largest submission number or token id (a 64-bit database integer); larger ones are not found (404)."""
MAX_SIGNATURES = 8
"""Most signatures an envelope may carry (a member signs with one key; a few allow a key rotation)."""
MAX_MEMBER_NAME = 100
"""Longest member name, in characters (names are screened for personal data like any free text)."""
ROLES = ("admin", "member", "observer")


class RegistryError(EquityAuditError):
    """A request the registry refuses; ``status`` is its HTTP status code."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Caller:
    """The member a request's token belongs to."""

    id: int
    name: str
    role: str
    public: bool


@dataclass(frozen=True)
class PrivateView:
    """A differentially private pooled view as the registry released it (see :meth:`Registry.private_release`)."""

    counts: list[Any]
    """The noisy counts, as drawn (before any post-processing)."""
    epsilon: float
    delta: float | None
    scale: float
    spent: float
    """ε the standard's budget has spent, this view included."""
    spent_delta: float
    """δ spent (the sum of the views' δ), this view included."""
    fresh: bool
    """True when drawn for this request (and ε spent); False when an earlier release is served again."""
    released_at: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL (``postgresql://`` is read as ``postgresql+psycopg://``)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, record: Any) -> None:
            connection.isolation_level = None  # the driver opens no transaction: _begin does
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url != "sqlite://":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            # SQLite has no row locks: a transaction that may write takes the database's write lock
            # when it begins (waiting up to the 30 s timeout for another process's to end), so two
            # processes never read the same chain head and append after it
            mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            connection.exec_driver_sql(f"BEGIN {mode}")

        return engine
    if url.startswith("postgresql+psycopg://"):
        return create_engine(
            url,
            pool_size=10,
            max_overflow=20,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 10},  # an unreachable server fails in 10 s, not never
        )
    raise SpecError(
        f"--db {url!r}: expected a SQLite URL (sqlite:///path/to/registry.sqlite3) or a PostgreSQL URL "
        "(postgresql+psycopg://user@host:5432/database)."
    )


def upgrade(engine: Engine) -> None:
    """Bring the database schema up to date with the migrations shipped in the package."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("equityaudit.registry") / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _cannot_open(engine: Engine, exc: DBAPIError) -> str:
    shown = engine.url.render_as_string(hide_password=True)
    reason = " ".join(str(exc.orig).split()) or type(exc.orig).__name__
    reason += "" if reason.endswith((".", "?", "!")) else "."
    if engine.url.get_backend_name() == "sqlite":
        folder = Path(engine.url.database or ".").parent
        return (
            f"cannot open the SQLite database {shown}: {reason} Check that the folder {str(folder)!r} exists "
            "and is writable, or pass another --db sqlite:///PATH/registry.sqlite3"
        )
    return (
        f"cannot open the PostgreSQL database {shown}: {reason} Check that the server is running and "
        f"reachable at {engine.url.host}:{engine.url.port or 5432}, that the user and database exist and "
        "the user may create tables there, or pass another --db"
    )


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a log entry."""
    return hashlib.sha256(canonical_json(entry)).hexdigest()


def _entry(row: Submission) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "prev": row.prev_hash,
        "member": row.member_id,
        "standard": row.standard_ref,
        "standard_sha256": row.standard_sha256,
        "keyid": row.keyid,
        "payload_sha256": row.payload_sha256,
        "tool": row.tool,
        "vendor": row.vendor,
        "received_at": row.received_at,
    }


class Registry:
    """The registry's operations over one database (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self._append_lock = threading.Lock()
        self._verified: dict[int, str] = {}
        """Entry number → fingerprint of the entry when it last passed :meth:`verify_log` in full."""
        self._salt: bytes | None = None

    @classmethod
    def open(cls, url: str) -> Registry:
        """Connect, run the migrations, return the registry.

        Raises
        ------
        RegistryError
            The database cannot be opened or reached; the message names the URL (without its
            password) and what to check.
        """
        try:
            engine = make_engine(url)
        except ArgumentError as exc:
            raise RegistryError(
                f"--db {url!r} is not a database URL ({exc}); expected sqlite:///path/to/registry.sqlite3 "
                "or postgresql+psycopg://user@host:5432/database",
                503,
            ) from None
        try:
            upgrade(engine)
        except DBAPIError as exc:
            engine.dispose()
            raise RegistryError(_cannot_open(engine, exc), 503) from None
        return cls(engine)

    @contextmanager
    def _session(self, *, read_only: bool = False) -> Iterator[Session]:
        """One transaction. On SQLite it holds the write lock from its start (``BEGIN IMMEDIATE``,
        which serialises writers across processes) unless ``read_only``, which reads a snapshot."""
        with self.sessions.begin() as session:
            if read_only:
                session.connection(execution_options={"sqlite_begin": "DEFERRED"})
            yield session

    # ------------------------------------------------------------------ set-up and auth

    def bootstrap(self) -> str | None:
        """Create the server secrets, the log head and the first admin; return the admin's token once.

        Returns None when the registry was set up before (the token is never shown again).
        """
        with self._session() as session:
            if session.get(Setting, "pseudonym_salt") is None:
                session.add(Setting(key="pseudonym_salt", value=secrets.token_hex(32)))
            if session.get(ChainHead, 1) is None:
                session.add(ChainHead(id=1, seq=0, entry_hash=GENESIS))
            if session.scalar(select(Member).where(Member.role == "admin")) is not None:
                return None
            admin = Member(name="admin", role="admin", public=False, created_at=_now())
            session.add(admin)
            session.flush()
            token = "eat_" + secrets.token_urlsafe(32)
            session.add(Token(member_id=admin.id, token_hash=_token_hash(token), created_at=_now()))
            return token

    def authenticate(self, token: str | None) -> Caller:
        """The member a bearer token belongs to; 401 when missing, unknown or revoked."""
        if not token:
            raise RegistryError("missing token: send 'Authorization: Bearer TOKEN'", 401)
        with self._session(read_only=True) as session:
            row = session.scalar(select(Token).where(Token.token_hash == _token_hash(token)))
            if row is None or row.revoked_at is not None:
                raise RegistryError("invalid or revoked token", 401)
            member = session.get(Member, row.member_id)
            assert member is not None
            return Caller(member.id, member.name, member.role, member.public)

    def pseudonym(self, member_id: int) -> str:
        """A stable pseudonym: ``member-`` and 8 hex digits of an HMAC keyed by the server's salt."""
        if self._salt is None:
            with self._session(read_only=True) as session:
                setting = session.get(Setting, "pseudonym_salt")
                assert setting is not None, "bootstrap() first"
                self._salt = bytes.fromhex(setting.value)
        return "member-" + hmac.new(self._salt, str(member_id).encode(), hashlib.sha256).hexdigest()[:8]

    # ------------------------------------------------------------------ members, keys, tokens

    def add_member(
        self, name: str, role: str, *, public_key: str | None = None, public: bool = False
    ) -> dict[str, Any]:
        """Register a member (admin only); optionally with its first public key."""
        if role not in ROLES:
            raise RegistryError(f"role {role!r}: expected one of {', '.join(ROLES)}", 422)
        if not name.strip() or len(name) > MAX_MEMBER_NAME:
            raise RegistryError(f"name: expected 1 to {MAX_MEMBER_NAME} characters", 422)
        try:
            check_free_form(name, "name")
        except RejectedPayloadError as exc:
            raise RegistryError(
                f"{exc}; a member's name is its organisation's, shown in views", 422
            ) from None
        with self._session() as session:
            if session.scalar(select(Member).where(Member.name == name)) is not None:
                raise RegistryError(f"a member named {name!r} exists already", 409)
            member = Member(name=name, role=role, public=public, created_at=_now())
            session.add(member)
            session.flush()
            keyid = self._add_key(session, member, public_key) if public_key else None
            return {"name": name, "role": role, "public": public, "keyid": keyid}

    def _add_key(self, session: Session, member: Member, pem: str) -> str:
        try:
            key = load_public_key(pem)
        except EnvelopeError as exc:
            raise RegistryError(f"public_key: {exc}", 422) from None
        keyid = key_id(key)
        existing = session.get(Key, keyid)
        if existing is not None:
            if existing.member_id != member.id:
                raise RegistryError("this public key is registered to another member", 409)
            return keyid
        session.add(Key(keyid=keyid, member_id=member.id, public_key_pem=pem, created_at=_now()))
        return keyid

    def _member(self, session: Session, name: str) -> Member:
        member = session.scalar(select(Member).where(Member.name == name))
        if member is None:
            raise RegistryError(f"no member named {name!r}", 404)
        return member

    def add_key(self, name: str, pem: str) -> str:
        """Register another public key of a member; return its key id."""
        with self._session() as session:
            return self._add_key(session, self._member(session, name), pem)

    def revoke_key(self, keyid: str) -> None:
        """Revoke a key: envelopes it signs are refused from now on."""
        with self._session() as session:
            key = session.get(Key, keyid)
            if key is None:
                raise RegistryError(f"no key {keyid!r}", 404)
            key.revoked_at = key.revoked_at or _now()

    def issue_token(self, name: str) -> dict[str, Any]:
        """A new bearer token for a member, shown once (only its hash is stored)."""
        token = "eat_" + secrets.token_urlsafe(32)
        with self._session() as session:
            member = self._member(session, name)
            row = Token(member_id=member.id, token_hash=_token_hash(token), created_at=_now())
            session.add(row)
            session.flush()
            return {"token": token, "token_id": row.id, "member": name, "role": member.role}

    def revoke_token(self, token_id: int) -> None:
        """Revoke a token: requests with it get 401."""
        if not 1 <= token_id <= MAX_ID:
            raise RegistryError(f"no token {token_id}", 404)
        with self._session() as session:
            row = session.get(Token, token_id)
            if row is None:
                raise RegistryError(f"no token {token_id}", 404)
            row.revoked_at = row.revoked_at or _now()

    def list_members(self) -> list[dict[str, Any]]:
        """Every member with its keys and token ids (admin only)."""
        with self._session(read_only=True) as session:
            members = session.scalars(select(Member).order_by(Member.id)).all()
            out = []
            for m in members:
                keys = session.scalars(select(Key).where(Key.member_id == m.id)).all()
                tokens = session.scalars(select(Token).where(Token.member_id == m.id)).all()
                out.append(
                    {
                        "name": m.name,
                        "role": m.role,
                        "public": m.public,
                        "pseudonym": self.pseudonym(m.id),
                        "keys": [{"keyid": k.keyid, "revoked": k.revoked_at is not None} for k in keys],
                        "tokens": [{"token_id": t.id, "revoked": t.revoked_at is not None} for t in tokens],
                    }
                )
            return out

    def set_public(self, caller: Caller, public: bool) -> None:
        """A member opts in to (or out of) being named in views; only members appear in views."""
        if caller.role != "member":
            raise RegistryError(
                f"only members choose whether views name them; this token is {possessive(caller.role)}", 403
            )
        with self._session() as session:
            member = session.get(Member, caller.id)
            assert member is not None
            member.public = public

    # ------------------------------------------------------------------ standards

    def publish_standard(self, document: dict[str, Any], caller: Caller) -> tuple[bool, Standard]:
        """Publish a standard once; the same document again is a no-op, a different one under the
        same id@version is refused (409)."""
        try:
            standard = parse_standard(document, origin="standard")
        except SpecError as exc:
            raise RegistryError(str(exc), 422) from None
        with self._session() as session:
            existing = session.get(StandardRow, standard.ref)
            if existing is not None:
                if existing.sha256 == standard.sha256:
                    return False, standard
                raise RegistryError(
                    f"{standard.ref} is published already with sha256 {existing.sha256}; a published standard "
                    "never changes: publish the change as a new version",
                    409,
                )
            session.add(
                StandardRow(
                    ref=standard.ref,
                    sha256=standard.sha256,
                    document=standard.document,
                    published_at=_now(),
                    published_by=caller.id,
                )
            )
        return True, standard

    def standard(self, ref: str) -> Standard:
        """A published standard by id@version (404 when unknown)."""
        with self._session(read_only=True) as session:
            row = session.get(StandardRow, ref)
            if row is None:
                raise RegistryError(f"standard {ref!r} is not published on this registry", 404)
            standard = parse_standard(row.document, origin=ref)
        if standard.sha256 != row.sha256:
            raise RegistryError(f"stored standard {ref} no longer matches its sha256", 500)
        return standard

    def list_standards(self) -> list[dict[str, Any]]:
        """The published standards."""
        with self._session(read_only=True) as session:
            rows = session.scalars(select(StandardRow).order_by(StandardRow.ref)).all()
            return [
                {
                    "ref": r.ref,
                    "sha256": r.sha256,
                    "title": r.document.get("title"),
                    "published_at": r.published_at,
                }
                for r in rows
            ]

    # ------------------------------------------------------------------ submissions

    def submit(
        self, caller: Caller, envelope: Any, *, recheck: Callable[[AuditResult, Standard], None]
    ) -> tuple[bool, dict[str, Any]]:
        """Verify an envelope and append it to the log; return (created, entry).

        Refused: a signature by a key that is not the caller's (403), one that does not verify
        (400), a result of an unpublished standard or with another hash (422), a result that
        breaks the schema or the aggregate-only rule (422), one whose findings or verdict its own
        numbers contradict (``recheck`` raises :class:`RejectedPayloadError`, 422: the HTTP app
        passes :func:`equityaudit.registry.semantics.refuse_contradictions`, kept out of this
        module because it audits the counts as :mod:`~equityaudit.registry.pooling` does, and
        pooling reads this module). The same envelope again returns the existing entry (idempotent).
        """
        if caller.role != "member":
            raise RegistryError(f"only members submit results; this token is {possessive(caller.role)}", 403)
        try:
            check_envelope_shape(envelope)
        except EnvelopeError as exc:
            raise RegistryError(str(exc), 400) from None
        if len(envelope["signatures"]) > MAX_SIGNATURES:
            raise RegistryError(
                f"the envelope carries {len(envelope['signatures']):,} signatures (at most {MAX_SIGNATURES}); "
                "a member signs a result with one of its keys: submit the envelope 'equityaudit sign' wrote",
                422,
            )
        with self._session(read_only=True) as session:
            keys = session.scalars(
                select(Key).where(Key.member_id == caller.id, Key.revoked_at.is_(None))
            ).all()
            claimed = {str(s.get("keyid"))[:100] for s in envelope["signatures"]}
            others = session.scalars(
                select(Key).where(Key.keyid.in_(claimed), Key.member_id != caller.id)
            ).all()
            revoked = session.scalars(
                select(Key).where(
                    Key.keyid.in_(claimed), Key.member_id == caller.id, Key.revoked_at.is_not(None)
                )
            ).all()
            pems = [k.public_key_pem for k in keys]
        if others and not claimed & {k.keyid for k in keys}:
            raise RegistryError("the envelope is signed with a key registered to another member", 403)
        if revoked and not claimed & {k.keyid for k in keys}:
            raise RegistryError("the envelope is signed with a revoked key", 403)
        if not pems:
            raise RegistryError(
                "no active public key is registered for this member; ask the admin to add one", 403
            )
        try:
            verified = verify_envelope(envelope, [load_public_key(p) for p in pems])
        except SignatureError as exc:
            raise RegistryError(f"signature check failed: {exc}", 400) from None
        result = verified.result
        try:
            model = validate_result(result)
            check_free_form(verified.metadata, "metadata")
        except RejectedPayloadError as exc:
            raise RegistryError(str(exc), 422) from None
        ref_info = (result.get("audit") or {}).get("standard")
        if not ref_info:
            raise RegistryError(
                "the result names no standard; run the audit with 'standard: id@version'", 422
            )
        ref = f"{ref_info['id']}@{ref_info['version']}"
        try:
            standard = self.standard(ref)
        except RegistryError as exc:
            raise RegistryError(str(exc), 422) from None
        if ref_info["sha256"] != standard.sha256:
            raise RegistryError(
                f"the result was computed under {ref} with sha256 {ref_info['sha256']}, but the registry's {ref} "
                f"has sha256 {standard.sha256}; re-run the audit with the registry's standard",
                422,
            )
        if result["audit"]["auditor"] != standard.auditor:
            raise RegistryError(f"{ref} is audited with the {standard.auditor} auditor", 422)
        try:
            check_aggregate_only(result, standard)
        except RejectedPayloadError as exc:
            raise RegistryError(f"not aggregate-only: {exc}", 422) from None
        try:
            recheck(model, standard)
        except RejectedPayloadError as exc:
            raise RegistryError(str(exc), 422) from None
        return self._append(
            caller,
            envelope=json.dumps(envelope, sort_keys=True),
            standard=standard,
            keyid=verified.keyid,
            payload_sha256=verified.payload_sha256,
            metadata=verified.metadata,
            counts=result["counts"][0],
            summary=summarise(result),
        )

    def _append(
        self,
        caller: Caller,
        *,
        envelope: str,
        standard: Standard,
        keyid: str,
        payload_sha256: str,
        metadata: dict[str, Any],
        counts: dict[str, Any],
        summary: dict[str, Any],
    ) -> tuple[bool, dict[str, Any]]:
        with self._append_lock:
            try:
                with self._session() as session:
                    existing = session.scalar(
                        select(Submission).where(Submission.payload_sha256 == payload_sha256)
                    )
                    if existing is not None:
                        return False, self._duplicate(existing, caller)
                    head = session.scalars(select(ChainHead).where(ChainHead.id == 1).with_for_update()).one()
                    row = Submission(
                        seq=head.seq + 1,
                        member_id=caller.id,
                        standard_ref=standard.ref,
                        standard_sha256=standard.sha256,
                        keyid=keyid,
                        payload_sha256=payload_sha256,
                        envelope=envelope,
                        tool=stored_text(metadata.get("tool")),
                        vendor=stored_text(metadata.get("vendor")),
                        meta=metadata,
                        counts=counts,
                        summary=summary,
                        received_at=_now(),
                        prev_hash=head.entry_hash,
                        entry_hash="",
                    )
                    row.entry_hash = entry_hash(_entry(row))
                    session.add(row)
                    head.seq, head.entry_hash = row.seq, row.entry_hash
                    return True, self._entry_out(row)
            except IntegrityError:  # another process appended the same envelope first
                with self._session() as session:
                    existing = session.scalar(
                        select(Submission).where(Submission.payload_sha256 == payload_sha256)
                    )
                    if existing is None:
                        raise
                    return False, self._duplicate(existing, caller)

    def _duplicate(self, existing: Submission, caller: Caller) -> dict[str, Any]:
        if existing.member_id != caller.id:
            raise RegistryError("this envelope was submitted by another member", 409)
        return self._entry_out(existing)

    def _entry_out(self, row: Submission) -> dict[str, Any]:
        return {
            "seq": row.seq,
            "standard": row.standard_ref,
            "payload_sha256": row.payload_sha256,
            "entry_hash": row.entry_hash,
            "prev_hash": row.prev_hash,
            "received_at": row.received_at,
            "tool": row.tool,
            "vendor": row.vendor,
        }

    def list_submissions(self, caller: Caller) -> list[dict[str, Any]]:
        """The caller's own submissions (an admin: everyone's); observers see none."""
        if caller.role == "observer":
            raise RegistryError("observers see aggregate views only, not submissions", 403)
        with self._session(read_only=True) as session:
            query = select(Submission).order_by(Submission.seq)
            if caller.role != "admin":
                query = query.where(Submission.member_id == caller.id)
            return [self._entry_out(r) for r in session.scalars(query).all()]

    def get_submission(self, caller: Caller, seq: int) -> dict[str, Any]:
        """A raw submission (its envelope): its own member's or an admin's to read; 404 for others."""
        if caller.role == "observer":
            raise RegistryError("observers see aggregate views only, not submissions", 403)
        if not 1 <= seq <= MAX_ID:  # a database integer holds no more; SQLite's driver overflows past it
            raise RegistryError(f"no submission {seq} of yours", 404)
        with self._session(read_only=True) as session:
            row = session.get(Submission, seq)
            if row is None or (caller.role != "admin" and row.member_id != caller.id):
                raise RegistryError(f"no submission {seq} of yours", 404)
            return {**self._entry_out(row), "envelope": json.loads(row.envelope), "metadata": row.meta}

    def latest(self, ref: str, *, tool: str | None = None, vendor: str | None = None) -> list[Submission]:
        """Each member's latest submission for a standard (per tool), after the filters."""
        with self._session(read_only=True) as session:
            query = select(Submission).where(Submission.standard_ref == ref).order_by(Submission.seq)
            if tool is not None:
                query = query.where(Submission.tool == tool)
            if vendor is not None:
                query = query.where(Submission.vendor == vendor)
            latest: dict[tuple[int, str | None], Submission] = {}
            for row in session.scalars(query).all():
                latest[(row.member_id, row.tool)] = row
            return sorted(latest.values(), key=lambda r: r.seq)

    def submissions_by_seq(self, seqs: Iterable[int]) -> list[Submission]:
        """The log's entries with these sequence numbers, in log order."""
        wanted = sorted(set(seqs))
        if not wanted:
            return []
        with self._session(read_only=True) as session:
            return list(
                session.scalars(select(Submission).where(Submission.seq.in_(wanted)).order_by(Submission.seq))
            )

    def releases(self, ref: str) -> list[Release]:
        """Every pooled view of a standard shown to a member or an observer, oldest first."""
        with self._session(read_only=True) as session:
            return list(
                session.scalars(select(Release).where(Release.standard_ref == ref).order_by(Release.id))
            )

    def record_release(self, ref: str, filters: Mapping[str, str], seqs: Iterable[int]) -> None:
        """Remember a pooled view shown to a member or an observer (unless the same one is remembered)."""
        ordered = sorted(set(seqs))
        with self._session() as session:
            known = session.scalars(select(Release).where(Release.standard_ref == ref)).all()
            if any(r.seqs == ordered and r.filters == dict(filters) for r in known):
                return
            session.add(Release(standard_ref=ref, filters=dict(filters), seqs=ordered, released_at=_now()))

    def privacy_spent(self, ref: str) -> dict[str, Any]:
        """How much of a standard's privacy budget its differentially private views have spent."""
        with self._session(read_only=True) as session:
            rows = session.scalars(select(PrivateRelease).where(PrivateRelease.standard_ref == ref)).all()
            return {
                "views": len(rows),
                "epsilon_spent": math.fsum(r.epsilon for r in rows),
                "delta_spent": math.fsum(r.delta or 0.0 for r in rows),
            }

    def private_release(
        self,
        ref: str,
        filters: Mapping[str, str],
        seqs: Iterable[int],
        *,
        mechanism: str,
        epsilon: float,
        delta: float | None,
        scale: float,
        budget: float,
        draw: Callable[[], list[Any]],
    ) -> PrivateView:
        """The differentially private release of a pooled view: an earlier one of the same filters and
        submissions again (nothing spent), else a fresh draw that spends ``epsilon`` of the budget.

        One transaction that holds the standard's row (``SELECT … FOR UPDATE`` in PostgreSQL; the
        database's write lock from ``BEGIN IMMEDIATE`` in SQLite), so two concurrent requests neither
        overspend the budget nor draw the same view twice.

        Raises
        ------
        RegistryError
            403 when a fresh view would spend past the budget.
        """
        ordered = sorted(set(seqs))
        wanted = dict(filters)
        with self._session() as session:
            session.scalars(select(StandardRow).where(StandardRow.ref == ref).with_for_update()).one()
            earlier = session.scalars(
                select(PrivateRelease).where(PrivateRelease.standard_ref == ref).order_by(PrivateRelease.id)
            ).all()
            spent = math.fsum(r.epsilon for r in earlier)
            spent_delta = math.fsum(r.delta or 0.0 for r in earlier)
            for row in earlier:
                if row.seqs == ordered and row.filters == wanted:
                    return PrivateView(
                        row.counts,
                        row.epsilon,
                        row.delta,
                        row.scale,
                        spent,
                        spent_delta,
                        False,
                        row.released_at,
                    )
            if spent + epsilon > budget * (1 + 1e-9):
                raise RegistryError(
                    f"the privacy budget of {ref} is exhausted: {len(earlier)} differentially private view(s) "
                    f"spent ε = {spent:g} of the budget {budget:g}, and a new view spends {epsilon:g} more. "
                    "Views released before are still shown (ask for the same filters); a new one needs a new "
                    "version of the standard with a new budget, or the admin.",
                    403,
                )
            row = PrivateRelease(
                standard_ref=ref,
                filters=wanted,
                seqs=ordered,
                mechanism=mechanism,
                epsilon=epsilon,
                delta=delta,
                scale=scale,
                counts=draw(),
                released_at=_now(),
            )
            session.add(row)
            return PrivateView(
                row.counts,
                epsilon,
                delta,
                scale,
                spent + epsilon,
                spent_delta + (delta or 0.0),
                True,
                row.released_at,
            )

    def member_names(self) -> dict[int, tuple[str, bool]]:
        """Member id → (name, public)."""
        with self._session(read_only=True) as session:
            return {m.id: (m.name, m.public) for m in session.scalars(select(Member)).all()}

    # ------------------------------------------------------------------ the log

    def verify_log(self) -> dict[str, Any]:
        """Recompute the chain: every entry's hash, its link to the previous one, its payload digest;
        and re-derive from each stored envelope what the views read (see :func:`~equityaudit.registry.integrity.check_derived`).

        The chain (each entry's hash and link) is recomputed every time. The costly part — the
        payload digest, the signature, the re-derived columns — is done once per entry and
        process: an entry that passed is remembered by a fingerprint of everything it read (the
        stored envelope, counts, summary, metadata, filter columns, the key it names), and skipped
        while its fingerprint is unchanged; any change to a stored column changes the fingerprint
        and the entry is checked in full again. ``benchmarks/bench_registry.py --verify-log``
        measures both (docs/consortium.md).
        """
        problems: list[dict[str, Any]] = []
        previous = GENESIS
        count = 0
        with self._session(read_only=True) as session:
            head = session.get(ChainHead, 1)
            keys = {k.keyid: (k.member_id, k.public_key_pem) for k in session.scalars(select(Key)).all()}
            for row in session.scalars(select(Submission).order_by(Submission.seq)).yield_per(500):
                count += 1
                if row.seq != count:
                    problems.append(
                        {"seq": row.seq, "problem": f"expected entry {count}: an entry is missing"}
                    )
                    count = row.seq
                if row.prev_hash != previous:
                    problems.append(
                        {"seq": row.seq, "problem": "prev does not match the previous entry's hash"}
                    )
                if entry_hash(_entry(row)) != row.entry_hash:
                    problems.append({"seq": row.seq, "problem": "the entry's fields do not match its hash"})
                fingerprint = _fingerprint(row, keys.get(row.keyid))
                if self._verified.get(row.seq) != fingerprint:
                    found = len(problems)
                    if _payload_digest(row.envelope) != row.payload_sha256:
                        problems.append(
                            {"seq": row.seq, "problem": "the stored envelope does not match its digest"}
                        )
                    else:
                        problems += [{"seq": row.seq, "problem": p} for p in check_derived(row, keys)]
                    if len(problems) == found:
                        self._verified[row.seq] = fingerprint
                    else:
                        self._verified.pop(row.seq, None)
                previous = row.entry_hash
            if head is not None and (head.seq != count or head.entry_hash != previous):
                problems.append({"seq": head.seq, "problem": "the chain head does not match the last entry"})
        return {"valid": not problems, "entries": count, "head": previous, "problems": problems[:100]}


def _fingerprint(row: Submission, key: tuple[int, str] | None) -> str:
    """SHA-256 of everything :meth:`Registry.verify_log`'s full check of an entry reads."""
    material = json.dumps(
        [
            row.seq,
            row.member_id,
            row.standard_ref,
            row.standard_sha256,
            row.keyid,
            row.payload_sha256,
            row.tool,
            row.vendor,
            row.meta,
            row.counts,
            row.summary,
            key,
        ],
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(material.encode("utf-8"))
    digest.update(row.envelope.encode("utf-8"))
    return digest.hexdigest()


def _payload_digest(envelope: str) -> str | None:
    try:
        payload = base64.b64decode(json.loads(envelope)["payload"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    return hashlib.sha256(payload).hexdigest()
