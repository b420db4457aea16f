"""The registry's smaller defects of issue 18, each reproduced and now refused or fixed: an envelope of
10,000 bogus signatures, submission and token numbers past a database integer, two server processes
on one SQLite file, a client whose request got no answer, and a log verification that redid every
entry on every call. On SQLite and PostgreSQL where a registry fixture is used."""

from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from registry_kit import BIG, RETAIL, Setup, audit, member_frame
from sqlalchemy import text

from equityaudit.registry.app import DEFAULT_MAX_BODY, create_app
from equityaudit.registry.client import RegistryClient
from equityaudit.registry.storage import MAX_SIGNATURES
from equityaudit.signing import public_key_pem, sign_result
from equityaudit.standards import find_standard

BOGUS_SIG = base64.b64encode(bytes(64)).decode()


def _bogus(count: int) -> list[dict[str, str]]:
    return [{"keyid": f"{i:064x}", "sig": BOGUS_SIG} for i in range(count)]


def test_ten_thousand_bogus_signatures_are_refused_before_any_is_checked(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    envelope = alice.sign(audit(member_frame(BIG)))
    envelope["signatures"] = _bogus(10_000) + envelope["signatures"]
    with TestClient(create_app(setup.registry, max_body=DEFAULT_MAX_BODY)) as http:
        answer = http.post("/v1/submissions", json={"envelope": envelope}, headers=alice.headers())
    assert answer.status_code == 422
    assert answer.json()["error"] == (
        f"the envelope carries 10,001 signatures (at most {MAX_SIGNATURES}); a member signs a result with "
        "one of its keys: submit the envelope 'equityaudit sign' wrote"
    )


def test_the_signature_naming_the_members_key_is_found_among_bogus_ones(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    envelope = alice.sign(audit(member_frame(BIG)))
    envelope["signatures"] = _bogus(MAX_SIGNATURES - 1) + envelope["signatures"]
    assert alice.submit(envelope).status_code == 201


def test_an_envelope_of_bogus_signatures_gets_a_short_error(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    envelope = alice.sign(audit(member_frame(BIG)))
    envelope["signatures"] = [{**s, "keyid": s["keyid"] * 100} for s in _bogus(MAX_SIGNATURES)]
    answer = alice.submit(envelope)
    error = answer.json()["error"]
    assert answer.status_code == 400
    assert error.startswith("signature check failed: no signature verifies with the given key(s) ")
    assert f"and {MAX_SIGNATURES - 5} more) or altered after signing" in error
    assert len(error) < 800  # 5 key ids of 64 characters and the sentence around them


@pytest.mark.parametrize("number", ["99999999999999999999", str(2**63), "0", "-1"])
def test_a_submission_or_token_number_past_a_database_integer_is_not_found(setup: Setup, number: str) -> None:
    alice = setup.add_member("alice")
    answer = setup.http.get(f"/v1/submissions/{number}", headers=alice.headers())
    assert (answer.status_code, answer.json()["error"]) == (404, f"no submission {number} of yours")
    answer = setup.http.delete(f"/v1/tokens/{number}", headers=setup.admin())
    assert (answer.status_code, answer.json()["error"]) == (404, f"no token {number}")


def test_a_client_resends_a_submission_that_got_no_answer_and_it_is_stored_once(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    envelope = alice.sign(audit(member_frame(BIG)))
    attempts: list[str] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        """The first request is stored by the registry but its answer is lost on the way back."""
        answer = setup.http.request(
            request.method, request.url.raw_path.decode(), headers=request.headers, content=request.content
        )
        attempts.append(str(answer.status_code))
        if len(attempts) == 1:
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    client = RegistryClient(
        "http://registry.test", token=alice.token, transport=httpx.MockTransport(flaky), backoff=0
    )
    entry = client.submit(envelope)
    assert attempts == ["201", "200"]
    assert entry["duplicate"] is True and entry["seq"] == 1
    listed = setup.http.get("/v1/submissions", headers=alice.headers()).json()["submissions"]
    assert [s["seq"] for s in listed] == [1]


def test_a_client_does_not_resend_a_refusal(setup: Setup) -> None:
    alice = setup.add_member("alice")
    calls: list[int] = []

    def refusing(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(422, json={"ok": False, "error": "no", "status": 422})

    client = RegistryClient(
        "http://registry.test", token=alice.token, transport=httpx.MockTransport(refusing), backoff=0
    )
    with pytest.raises(Exception, match=r"registry refused \(422\): no"):
        client.submit({"payload": "", "payloadType": "x", "signatures": []})
    assert calls == [1]


def test_a_verified_entry_changed_afterwards_is_caught_by_the_next_verification(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    for name in ("first", "second"):
        assert alice.submit(alice.sign(audit(member_frame(BIG), name=name))).status_code == 201
    first = setup.http.get("/v1/log/verify", headers=alice.headers()).json()
    assert (first["valid"], first["entries"]) == (True, 2)
    # the second call answers from the remembered fingerprints, the same
    assert setup.http.get("/v1/log/verify", headers=alice.headers()).json() == first
    with setup.registry.engine.begin() as connection:
        stored = json.loads(
            connection.execute(text("SELECT summary FROM submissions WHERE seq = 1")).scalar_one()
            if setup.registry.engine.url.get_backend_name() == "sqlite"
            else json.dumps(
                connection.execute(text("SELECT summary FROM submissions WHERE seq = 1")).scalar_one()
            )
        )
        stored["verdict"] = "pass"
        connection.execute(
            text("UPDATE submissions SET summary = :summary WHERE seq = 1"), {"summary": json.dumps(stored)}
        )
    again = setup.http.get("/v1/log/verify", headers=alice.headers()).json()
    assert again["valid"] is False
    assert again["problems"] == [
        {"seq": 1, "problem": "the stored summary (verdict, findings) differs from the signed result's"}
    ]


# --------------------------------------------------------------------------- two processes, one file


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PER_SERVER = 30
"""Distinct envelopes sent to each server (before the fix, two processes lost about one in four of 300)."""


def _start(db_url: str, folder: Path) -> tuple[subprocess.Popen[str], str]:
    """``equityaudit registry serve`` in a subprocess: (process, url)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "equityaudit", "registry", "serve", "--db", db_url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=folder,
        env={**os.environ, "EQUITYAUDIT_NO_ENTRYPOINTS": "1"},
    )
    return process, f"http://127.0.0.1:{port}"


def _ready(process: subprocess.Popen[str], url: str) -> str | None:
    """Wait for a started server to answer; return the admin token if it made one."""
    assert process.stdout is not None
    token = None
    for _ in range(5):
        line = process.stdout.readline()
        if line.startswith("admin token (shown once; store it now): "):
            token = line.split(": ", 1)[1].strip()
        if line.startswith("listening on") or not line:
            break
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return token
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the registry did not start")


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """Two server processes started at once on one new SQLite file: (first url, second url, admin token).

    Both migrate and bootstrap the same file at the same time; exactly one makes the admin.
    """
    db_url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    servers = [_start(db_url, tmp_path) for _ in range(2)]
    try:
        tokens = [_ready(process, url) for process, url in servers]
        assert len([t for t in tokens if t is not None]) == 1, tokens
        yield servers[0][1], servers[1][1], next(t for t in tokens if t is not None)
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)
            assert process.stdout is not None
            process.stdout.close()


def test_two_server_processes_on_one_sqlite_file_lose_no_submission(
    two_servers: tuple[str, str, str],
) -> None:
    first_url, second_url, admin = two_servers
    key_pairs = []
    with httpx.Client(base_url=first_url, headers={"Authorization": f"Bearer {admin}"}, timeout=60) as http:
        http.post("/v1/standards", json={"document": find_standard(RETAIL).document}).raise_for_status()
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        for name in ("alice", "bob"):
            key = Ed25519PrivateKey.generate()
            pem = public_key_pem(key.public_key()).decode()
            http.post("/v1/members", json={"name": name, "public_key": pem}).raise_for_status()
            key_pairs.append((key, http.post(f"/v1/members/{name}/tokens").json()["token"]))
    base = audit(member_frame(BIG)).to_dict()
    jobs: list[tuple[str, str, dict[str, Any]]] = []
    for i in range(2 * PER_SERVER):  # alternating servers and members; every envelope distinct
        key, token = key_pairs[i % 2]
        result = {**base, "audit": {**base["audit"], "name": f"audit-{i:03d}"}}
        envelope = sign_result(result, key, data_digest="sha256:" + f"{i:064x}")
        jobs.append((first_url if i % 2 == 0 else second_url, token, envelope))
    # the first ten envelopes are sent to both servers at once too: stored once each
    jobs += [(second_url if url == first_url else first_url, token, e) for url, token, e in jobs[:10]]

    def send(job: tuple[str, str, dict[str, Any]]) -> tuple[int, int]:
        url, token, envelope = job
        answer = httpx.post(
            f"{url}/v1/submissions",
            json={"envelope": envelope},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        return answer.status_code, answer.json().get("seq", -1)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, jobs))
    statuses = [status for status, _ in answers]
    assert statuses.count(201) == 2 * PER_SERVER and statuses.count(200) == 10, statuses
    assert sorted({seq for _, seq in answers}) == list(range(1, 2 * PER_SERVER + 1))
    with httpx.Client(base_url=second_url, headers={"Authorization": f"Bearer {admin}"}, timeout=60) as http:
        log = http.get("/v1/log/verify").json()
        listed = http.get("/v1/submissions").json()["submissions"]
    assert (log["valid"], log["entries"], len(listed)) == (True, 2 * PER_SERVER, 2 * PER_SERVER)
    assert len({s["payload_sha256"] for s in listed}) == 2 * PER_SERVER
