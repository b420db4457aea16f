"""Helpers of the registry tests: a registry set-up with members, member data, audits under a standard."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

import equityaudit.engine
from equityaudit.registry.storage import Registry
from equityaudit.results import AuditResult
from equityaudit.signing import public_key_pem, sign_result
from equityaudit.spec_loading import spec_from_mapping

PG_SERVER = "postgresql+psycopg://{user}@127.0.0.1:5432/test"
RETAIL = "retail-screening@2026.1"


def pg_admin_url() -> str:
    import psycopg

    for user in ("postgres", "root"):
        try:
            psycopg.connect(f"host=127.0.0.1 port=5432 dbname=test user={user}", connect_timeout=3).close()
        except psycopg.OperationalError:
            continue
        return PG_SERVER.format(user=user)
    pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432 (database 'test', user postgres or root)")


@dataclass
class Setup:
    """A migrated, bootstrapped registry, its in-process HTTP client and the admin token."""

    registry: Registry
    http: TestClient
    admin_token: str

    def as_(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def admin(self) -> dict[str, str]:
        return self.as_(self.admin_token)

    def add_member(self, name: str, *, role: str = "member") -> Member:
        key = Ed25519PrivateKey.generate()
        answer = self.http.post(
            "/v1/members",
            json={"name": name, "role": role, "public_key": public_key_pem(key.public_key()).decode()},
            headers=self.admin(),
        )
        assert answer.status_code == 201, answer.text
        token = self.http.post(f"/v1/members/{name}/tokens", headers=self.admin()).json()
        return Member(name, key, token["token"], token["token_id"], self)

    def publish(self, ref: str = RETAIL) -> None:
        from equityaudit.standards import find_standard

        answer = self.http.post(
            "/v1/standards", json={"document": find_standard(ref).document}, headers=self.admin()
        )
        assert answer.status_code in (200, 201), answer.text


@dataclass
class Member:
    """A registered member: its signing key and token."""

    name: str
    key: Ed25519PrivateKey
    token: str
    token_id: int
    setup: Setup

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def submit(self, envelope: dict[str, Any]) -> Any:
        return self.setup.http.post("/v1/submissions", json={"envelope": envelope}, headers=self.headers())

    def sign(self, result: AuditResult, **metadata: str) -> dict[str, Any]:
        return sign_result(result.to_dict(), self.key, data_digest=data_digest(result), metadata=metadata)


def member_frame(
    cells: dict[tuple[str, str], tuple[int, int]], *, labels: dict[str, str] | None = None
) -> pd.DataFrame:
    """A member's applicants: (sex, age band) → (applicants, selected), in its own labels."""
    labels = labels or {}
    rows = []
    for (sex, age), (n, selected) in cells.items():
        rows += [
            {"gender": labels.get(sex, sex), "age_group": labels.get(age, age), "hired": int(i < selected)}
            for i in range(n)
        ]
    return pd.DataFrame(rows)


def audit(frame: pd.DataFrame, *, ref: str = RETAIL, name: str = "member-audit") -> AuditResult:
    """Audit a member's frame under the consortium standard."""
    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": name,
            "auditor": "decisions",
            "standard": ref,
            "data": {"kind": "historical"},
            "columns": {"sensitive": ["gender", "age_group"], "decision": "hired"},
        }
    )
    return equityaudit.engine.run_spec(spec, frame=frame)


def data_digest(result: AuditResult) -> str:
    """A stand-in digest of an in-memory frame's data (the result's name and counts)."""
    return "sha256:" + hashlib.sha256(result.audit.name.encode() + str(result.counts).encode()).hexdigest()


BIG = {
    ("F", "<40"): (120, 60),
    ("F", "40+"): (80, 24),
    ("M", "<40"): (130, 65),
    ("M", "40+"): (90, 40),
}
"""A member whose every cell is well above the minimum cell size."""
