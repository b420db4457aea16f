"""The registry client's refusals: each one a message that says what to change, and a stable exit code."""

from __future__ import annotations

import socket

import httpx
import pytest
from click.testing import CliRunner

from equityaudit.cli import main
from equityaudit.errors import ExitCode
from equityaudit.registry.client import RegistryClient, RegistryClientError


def _closed_port() -> int:
    with socket.socket() as sock:  # bound and released: nothing listens there afterwards
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_registry_is_a_usage_error_that_names_the_url() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = CliRunner().invoke(main, ["registry", "member", "list", "--url", url, "--token", "eat_x"])
    assert result.exit_code == ExitCode.USAGE_ERROR == 2
    assert f"cannot reach the registry at {url}" in result.output
    assert "Is 'equityaudit registry serve' running, and is --url (or EQUITYAUDIT_REGISTRY_URL) right?" in (
        result.output
    )
    assert "Traceback" not in result.output


def _answering(status: int, body: dict[str, object]) -> RegistryClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    return RegistryClient("http://registry.test", token="eat_x", transport=transport)


@pytest.mark.parametrize(
    ("status", "code"), [(401, 2), (403, 2), (404, 2), (409, 2), (422, 2), (500, 4), (503, 4)]
)
def test_a_refusal_is_exit_2_and_a_server_failure_exit_4(status: int, code: int) -> None:
    with (
        _answering(status, {"ok": False, "error": "nope", "status": status}) as client,
        pytest.raises(RegistryClientError, match=rf"^registry refused \({status}\): nope") as refused,
    ):
        client.me()
    assert (refused.value.status, refused.value.exit_code) == (status, code)


def test_a_401_says_where_the_token_goes() -> None:
    with (
        _answering(401, {"ok": False, "error": "invalid or revoked token", "status": 401}) as client,
        pytest.raises(RegistryClientError) as refused,
    ):
        client.me()
    assert str(refused.value) == (
        "registry refused (401): invalid or revoked token (set --token or EQUITYAUDIT_REGISTRY_TOKEN)"
    )
