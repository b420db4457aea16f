"""Registry fixtures: every storage test runs on SQLite and on the PostgreSQL server at 127.0.0.1:5432.

PostgreSQL tests use the database ``test`` and a schema made for each test and dropped after it
(``ea_<random>``, selected by the connection's ``search_path``), so parallel runs never collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from registry_kit import Setup, pg_admin_url
from sqlalchemy import create_engine, text

import equityaudit.cli.registry as registry_cli
from equityaudit.registry.app import create_app
from equityaudit.registry.client import RegistryClient
from equityaudit.registry.storage import Registry


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL of a fresh schema in the PostgreSQL database ``test``; dropped afterwards."""
    admin_url = pg_admin_url()
    schema = "ea_" + uuid.uuid4().hex[:12]
    engine = create_engine(admin_url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{admin_url}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs twice: on an SQLite file and on a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def setup(db_url: str) -> Iterator[Setup]:
    """A migrated, bootstrapped registry with its in-process client."""
    registry = Registry.open(db_url)
    token = registry.bootstrap()
    assert token is not None
    with TestClient(create_app(registry, max_body=256 * 1024)) as http:
        yield Setup(registry, http, token)
    registry.engine.dispose()


@pytest.fixture
def cli(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner whose registry commands reach ``setup``'s app (no socket) as the admin."""

    def forward(request: httpx.Request) -> httpx.Response:
        answer = setup.http.request(
            request.method, request.url.raw_path.decode(), headers=request.headers, content=request.content
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def client(url: str | None, token: str | None) -> RegistryClient:
        return RegistryClient("http://registry.test", token=token, transport=httpx.MockTransport(forward))

    monkeypatch.setattr(registry_cli, "_client", client)
    monkeypatch.setenv("EQUITYAUDIT_REGISTRY_TOKEN", setup.admin_token)
    return CliRunner()
