"""The registry's HTTP API against its own OpenAPI document, driven by schemathesis.

Every operation of ``/v1/openapi.json`` gets requests generated from its schema (valid and
invalid bodies, path and query values), sent as the admin, who may call every route; no answer
may be a server error (5xx). The registry has a published standard and a member, so the routes
that read them have something to find. SQLite only: the storage backends are compared by the
rest of the registry suite. Bounded: 15 examples per operation, derandomized.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from registry_kit import Setup
from starlette.testclient import TestClient

from equityaudit.registry.app import create_app
from equityaudit.registry.storage import Registry


def _registry() -> tuple[Any, str, Registry]:
    """A bootstrapped registry on an SQLite file with one standard and one member, and the admin's token.

    Built when the module is collected: schemathesis reads the OpenAPI document then, to make one
    test per operation.
    """
    path = Path(tempfile.mkdtemp(prefix="registry-openapi-")) / "registry.sqlite3"
    registry = Registry.open(f"sqlite:///{path}")
    token = registry.bootstrap()
    assert token is not None
    app = create_app(registry, max_body=256 * 1024)
    with TestClient(app) as http:
        setup = Setup(registry, http, token)
        setup.publish()
        setup.add_member("alice")
    return app, token, registry


APP, TOKEN, REGISTRY = _registry()
schema = schemathesis.openapi.from_asgi("/v1/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_request_the_schema_allows_gets_a_server_error(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )


def test_the_document_lists_the_registry_routes() -> None:
    """The generated tests cover the routes the docs list (docs/consortium.md, HTTP API)."""
    document = TestClient(APP).get("/v1/openapi.json").json()
    assert {"/v1/standards/{ref}/pooled", "/v1/submissions", "/v1/log/verify"} <= set(document["paths"])
