"""Registry security and storage, on SQLite and PostgreSQL: tokens, roles, signatures, immutability, the log."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from registry_kit import BIG, RETAIL, Setup, audit, member_frame
from sqlalchemy import text

from equityaudit.registry.storage import GENESIS, entry_hash
from equityaudit.results import canonical_json
from equityaudit.signing import key_id, public_key_pem
from equityaudit.standards import find_standard


def _error(response: Any) -> tuple[int, str]:
    body = response.json()
    assert body["ok"] is False and body["status"] == response.status_code
    assert set(body) == {"ok", "error", "status"}
    return response.status_code, body["error"]


def test_missing_wrong_and_revoked_tokens_get_401(setup: Setup) -> None:
    assert setup.http.get("/v1/health").json()["ok"] is True  # the only open route
    assert _error(setup.http.get("/v1/me")) == (401, "missing token: send 'Authorization: Bearer TOKEN'")
    assert _error(setup.http.get("/v1/me", headers=setup.as_("eat_wrong"))) == (
        401,
        "invalid or revoked token",
    )
    assert setup.http.get("/v1/me", headers=setup.as_("eat_wrong")).headers["www-authenticate"] == "Bearer"
    alice = setup.add_member("alice")
    assert setup.http.get("/v1/me", headers=alice.headers()).json()["name"] == "alice"
    revoked = setup.http.delete(f"/v1/tokens/{alice.token_id}", headers=setup.admin())
    assert revoked.status_code == 200
    assert _error(setup.http.get("/v1/me", headers=alice.headers())) == (401, "invalid or revoked token")
    assert _error(alice.submit({"payload": "", "payloadType": "x", "signatures": [{"sig": ""}]}))[0] == 401


def test_tokens_are_stored_hashed_and_the_admin_token_is_shown_once(setup: Setup) -> None:
    alice = setup.add_member("alice")
    with setup.registry.engine.connect() as connection:
        stored = [row[0] for row in connection.execute(text("SELECT token_hash FROM tokens"))]
    assert alice.token not in stored and setup.admin_token not in stored
    assert len(stored) == 2 and all(len(h) == 64 for h in stored)
    assert setup.registry.bootstrap() is None  # a second start prints no token


def test_only_admins_administer(setup: Setup) -> None:
    alice = setup.add_member("alice")
    observer = setup.add_member("olga", role="observer")
    for who in (alice, observer):
        assert (
            _error(setup.http.post("/v1/members", json={"name": "mallory"}, headers=who.headers()))[0] == 403
        )
        assert _error(setup.http.post("/v1/members/alice/tokens", headers=who.headers()))[0] == 403
        document = find_standard(RETAIL).document
        assert (
            _error(setup.http.post("/v1/standards", json={"document": document}, headers=who.headers()))[0]
            == 403
        )
    status, message = _error(setup.http.get("/v1/members", headers=observer.headers()))
    assert (status, message) == (403, "this needs an admin token; yours is an observer's")
    assert _error(setup.http.get("/v1/members", headers=alice.headers())) == (
        403,
        "this needs an admin token; yours is a member's",
    )


def test_an_observer_cannot_write(setup: Setup) -> None:
    setup.publish()
    observer = setup.add_member("olga", role="observer")
    result = audit(member_frame(BIG))
    envelope = observer.sign(result)
    assert _error(observer.submit(envelope)) == (
        403,
        "only members submit results; this token is an observer's",
    )
    assert _error(setup.http.get("/v1/submissions", headers=observer.headers()))[0] == 403
    assert _error(setup.http.post("/v1/submissions", json={"envelope": envelope}, headers=setup.admin())) == (
        403,
        "only members submit results; this token is an admin's",
    )
    assert setup.http.get(f"/v1/standards/{RETAIL}", headers=observer.headers()).status_code == 200


# Every route that changes the registry, with the roles allowed to call it; the test below fails
# when a write route is added without a line here, so no new route goes unchecked.
WRITE_ROUTES = {
    ("PATCH", "/v1/me"): {"member"},
    ("POST", "/v1/submissions"): {"member"},
    ("POST", "/v1/members"): {"admin"},
    ("POST", "/v1/members/{name}/keys"): {"admin"},
    ("POST", "/v1/members/{name}/tokens"): {"admin"},
    ("DELETE", "/v1/keys/{keyid}"): {"admin"},
    ("DELETE", "/v1/tokens/{token_id}"): {"admin"},
    ("POST", "/v1/standards"): {"admin"},
}


def test_every_write_route_refuses_the_roles_it_is_not_for(setup: Setup) -> None:
    routes = {
        (method, route.path)
        for route in setup.http.app.routes  # type: ignore[attr-defined]
        for method in getattr(route, "methods", ()) or ()
        if method in {"POST", "PUT", "PATCH", "DELETE"}
    }
    assert routes == set(WRITE_ROUTES)
    alice = setup.add_member("alice")
    observer = setup.add_member("olga", role="observer")
    bodies = {
        "/v1/me": {"public": True},
        "/v1/submissions": {"envelope": {"payload": "", "payloadType": "x", "signatures": []}},
        "/v1/members": {"name": "mallory"},
        "/v1/members/{name}/keys": {
            "public_key": public_key_pem(Ed25519PrivateKey.generate().public_key()).decode()
        },
        "/v1/standards": {"document": find_standard(RETAIL).document},
    }
    for (method, path), allowed in WRITE_ROUTES.items():
        url = path.format(name="alice", keyid=key_id(alice.key.public_key()), token_id=alice.token_id)
        for role, who in (("member", alice), ("observer", observer)):
            if role in allowed:
                continue
            answer = setup.http.request(method, url, json=bodies.get(path), headers=who.headers())
            assert _error(answer)[0] == 403, (method, path, role, answer.text)
    # nothing changed: alice's key and token still work, no member was added, nobody went public
    assert setup.http.get("/v1/me", headers=alice.headers()).json()["public"] is False
    assert setup.http.get("/v1/me", headers=observer.headers()).json()["public"] is False
    names = [m["name"] for m in setup.http.get("/v1/members", headers=setup.admin()).json()["members"]]
    assert "mallory" not in names
    assert setup.http.patch("/v1/me", json={"public": True}, headers=alice.headers()).json()["public"] is True


def test_member_a_cannot_submit_as_b_nor_read_bs_submissions(setup: Setup) -> None:
    setup.publish()
    alice, bob = setup.add_member("alice"), setup.add_member("bob")
    result = audit(member_frame(BIG))
    bobs = bob.sign(result)
    accepted = bob.submit(bobs)
    assert accepted.status_code == 201, accepted.text
    # Alice replays Bob's envelope with her own token: Bob's key is not hers
    assert _error(alice.submit(bobs)) == (
        403,
        "the envelope is signed with a key registered to another member",
    )
    # Alice signs with a key she never registered
    stranger = Ed25519PrivateKey.generate()
    forged = {**bobs, "signatures": [{"keyid": "", "sig": base64.b64encode(stranger.sign(b"x")).decode()}]}
    status, message = _error(alice.submit(forged))
    assert status == 400
    assert message.startswith(
        f"signature check failed: no signature verifies with the given key(s) {key_id(alice.key.public_key())}"
    ), message
    seq = accepted.json()["seq"]
    assert setup.http.get(f"/v1/submissions/{seq}", headers=bob.headers()).json()["envelope"] == bobs
    assert _error(setup.http.get(f"/v1/submissions/{seq}", headers=alice.headers())) == (
        404,
        f"no submission {seq} of yours",
    )
    assert setup.http.get("/v1/submissions", headers=alice.headers()).json()["submissions"] == []
    assert setup.http.get(f"/v1/submissions/{seq}", headers=setup.admin()).status_code == 200


def test_a_tampered_envelope_is_refused(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    envelope = alice.sign(audit(member_frame(BIG)))
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["result"]["verdict"] = "pass"
    tampered = {**envelope, "payload": base64.b64encode(canonical_json(statement)).decode()}
    status, message = _error(alice.submit(tampered))
    assert status == 400 and message.startswith("signature check failed: no signature verifies")
    assert _error(alice.submit({"payload": 1}))[0] == 400
    assert setup.http.get("/v1/log/verify", headers=alice.headers()).json()["entries"] == 0


def test_a_revoked_key_no_longer_signs(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    keyid = setup.http.get("/v1/members", headers=setup.admin()).json()["members"][1]["keys"][0]["keyid"]
    assert setup.http.delete(f"/v1/keys/{keyid}", headers=setup.admin()).status_code == 200
    assert _error(alice.submit(alice.sign(audit(member_frame(BIG))))) == (
        403,
        "the envelope is signed with a revoked key",
    )


def test_a_standard_is_published_once_and_never_overwritten(setup: Setup) -> None:
    document = find_standard(RETAIL).document
    first = setup.http.post("/v1/standards", json={"document": document}, headers=setup.admin())
    assert first.status_code == 201 and first.json()["sha256"] == find_standard(RETAIL).sha256
    again = setup.http.post("/v1/standards", json={"document": document}, headers=setup.admin())
    assert again.status_code == 200 and again.json()["created"] is False
    changed = {**document, "min_cell_size": 5}
    status, message = _error(
        setup.http.post("/v1/standards", json={"document": changed}, headers=setup.admin())
    )
    assert status == 409
    assert message.startswith(f"{RETAIL} is published already with sha256 {find_standard(RETAIL).sha256}")
    assert setup.http.get(f"/v1/standards/{RETAIL}", headers=setup.admin()).json()["document"] == document
    status, message = _error(
        setup.http.post("/v1/standards", json={"document": {"standard": 1}}, headers=setup.admin())
    )
    assert status == 422 and "invalid standard" in message


def test_results_of_unpublished_or_different_standards_are_refused(setup: Setup) -> None:
    alice = setup.add_member("alice")
    envelope = alice.sign(audit(member_frame(BIG)))
    status, message = _error(alice.submit(envelope))
    assert (status, message) == (422, f"standard '{RETAIL}' is not published on this registry")
    setup.publish()
    result = audit(member_frame(BIG))
    assert result.audit.standard is not None
    other = result.model_copy(
        update={
            "audit": result.audit.model_copy(
                update={"standard": result.audit.standard.model_copy(update={"sha256": "f" * 64})}
            )
        }
    )
    status, message = _error(alice.submit(alice.sign(other)))
    assert (
        status == 422
        and "has sha256" in message
        and "re-run the audit with the registry's standard" in message
    )


def test_row_level_data_is_refused(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    result = audit(member_frame(BIG)).to_dict()

    def submit(change: Any) -> tuple[int, str]:
        copy = json.loads(json.dumps(result))
        change(copy)
        from equityaudit.signing import sign_result

        return _error(alice.submit(sign_result(copy, alice.key, data_digest="sha256:" + "0" * 64)))

    def rows_as_groups(r: dict[str, Any]) -> None:
        r["counts"][0]["rows"][0]["group"]["sex"] = "jane.doe@example.org"

    status, message = submit(rows_as_groups)
    assert status == 422
    assert (
        "is not a category of retail-screening@2026.1; group values that are not categories look like row-level data"
        in message
    )

    def smuggled(r: dict[str, Any]) -> None:
        r["context"]["applicants"] = [{"id": i, "sex": "F"} for i in range(500)]

    status, message = submit(smuggled)
    assert status == 422 and "context.applicants: a list of 500 items" in message

    def other_attribute(r: dict[str, Any]) -> None:
        r["counts"][0]["by"] = ["applicant_id"]

    assert "counts: by ['applicant_id']" in submit(other_attribute)[1]

    def unexpected_column(r: dict[str, Any]) -> None:
        r["counts"][0]["rows"][0]["zip_code"] = 10001

    assert "'zip_code' is not a count column" in submit(unexpected_column)[1]

    def wrong_total(r: dict[str, Any]) -> None:
        r["data"]["rows"] += 1

    assert "the groups' n add up to 420, but data.rows is 421" in submit(wrong_total)[1]

    def not_a_result(r: dict[str, Any]) -> None:
        del r["verdict"]

    assert "does not match the result schema: verdict: Field required" in submit(not_a_result)[1]


def test_resubmission_is_idempotent(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    envelope = alice.sign(audit(member_frame(BIG)))
    first = alice.submit(envelope)
    again = alice.submit(envelope)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["seq"] == first.json()["seq"] == 1
    assert setup.http.get("/v1/log/verify", headers=alice.headers()).json()["entries"] == 1


def test_the_log_is_a_hash_chain_and_a_break_is_detected(setup: Setup) -> None:
    setup.publish()
    alice, bob = setup.add_member("alice"), setup.add_member("bob")
    for i, member in enumerate((alice, bob, alice)):
        assert member.submit(member.sign(audit(member_frame(BIG), name=f"audit-{i}"))).status_code == 201
    verified = setup.http.get("/v1/log/verify", headers=bob.headers()).json()
    assert verified == {"ok": True, "valid": True, "entries": 3, "head": verified["head"], "problems": []}
    with setup.registry.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT seq, prev_hash, member_id, standard_ref, standard_sha256, keyid, payload_sha256, tool, "
                "vendor, received_at, entry_hash FROM submissions ORDER BY seq"
            )
        ).all()
    previous = GENESIS
    for row in rows:  # recompute the chain by hand
        entry = dict(
            zip(
                [
                    "seq",
                    "prev",
                    "member",
                    "standard",
                    "standard_sha256",
                    "keyid",
                    "payload_sha256",
                    "tool",
                    "vendor",
                    "received_at",
                ],
                row[:10],
                strict=True,
            )
        )
        assert row.prev_hash == previous and entry_hash(entry) == row.entry_hash
        previous = row.entry_hash
    assert verified["head"] == previous
    with setup.registry.engine.begin() as connection:  # someone edits the database behind the server's back
        connection.execute(text("UPDATE submissions SET standard_sha256 = :x WHERE seq = 2"), {"x": "0" * 64})
    broken = setup.http.get("/v1/log/verify", headers=bob.headers()).json()
    assert broken["valid"] is False
    assert broken["problems"] == [
        {"seq": 2, "problem": "the entry's fields do not match its hash"},
        {"seq": 2, "problem": "the entry's standard does not match the signed result's"},
    ]
    with setup.registry.engine.begin() as connection:
        connection.execute(
            text("UPDATE submissions SET standard_sha256 = :x WHERE seq = 2"),
            {"x": find_standard(RETAIL).sha256},
        )
        connection.execute(text("DELETE FROM submissions WHERE seq = 2"))
    gone = setup.http.get("/v1/log/verify", headers=bob.headers()).json()
    assert gone["valid"] is False
    assert {"seq": 3, "problem": "expected entry 2: an entry is missing"} in gone["problems"]
    assert {"seq": 3, "problem": "prev does not match the previous entry's hash"} in gone["problems"]


def test_a_stored_envelope_swapped_is_detected(setup: Setup) -> None:
    setup.publish()
    alice = setup.add_member("alice")
    first = alice.sign(audit(member_frame(BIG), name="one"))
    second = alice.sign(audit(member_frame(BIG), name="two"))
    alice.submit(first)
    with setup.registry.engine.begin() as connection:
        connection.execute(
            text("UPDATE submissions SET envelope = :e WHERE seq = 1"), {"e": json.dumps(second)}
        )
    problems = setup.http.get("/v1/log/verify", headers=alice.headers()).json()["problems"]
    assert problems == [{"seq": 1, "problem": "the stored envelope does not match its digest"}]


def test_errors_are_json_and_bodies_are_limited(setup: Setup) -> None:
    alice = setup.add_member("alice")
    big = {"envelope": {"payload": "A" * (300 * 1024), "payloadType": "x", "signatures": [{"sig": ""}]}}
    status, message = _error(alice.submit(big["envelope"]))
    assert (status, message) == (413, "request body too large: at most 262144 bytes")
    assert _error(setup.http.get("/v1/nowhere", headers=alice.headers()))[0] == 404
    status, message = _error(setup.http.post("/v1/members", json={"nme": "x"}, headers=setup.admin()))
    assert status == 422 and message.startswith("invalid request:")
    assert _error(setup.http.post("/v1/members", json={"name": "alice"}, headers=setup.admin())) == (
        409,
        "a member named 'alice' exists already",
    )
    pem = public_key_pem(alice.key.public_key()).decode()
    assert _error(
        setup.http.post("/v1/members", json={"name": "eve", "public_key": pem}, headers=setup.admin())
    ) == (
        409,
        "this public key is registered to another member",
    )


def test_a_chunked_body_over_the_limit_gets_413_and_one_under_it_is_read(setup: Setup) -> None:
    # a body sent with Transfer-Encoding: chunked has no Content-Length to refuse it by
    def chunks(total: int) -> Iterator[bytes]:
        body = json.dumps({"envelope": {"payload": "A" * total, "payloadType": "x", "signatures": []}})
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024].encode()

    alice = setup.add_member("alice")
    headers = {**alice.headers(), "content-type": "application/json"}
    refused = setup.http.post("/v1/submissions", content=chunks(300 * 1024), headers=headers)
    assert refused.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in refused.request.headers
    assert _error(refused) == (413, "request body too large: at most 262144 bytes")  # the fixture's max_body

    def small() -> Iterator[bytes]:
        yield b'{"name": '
        yield b'"bob"}'

    added = setup.http.post(
        "/v1/members", content=small(), headers={**setup.admin(), "content-type": "application/json"}
    )
    assert added.request.headers["transfer-encoding"] == "chunked"
    assert added.status_code == 201 and added.json()["name"] == "bob"


def test_migrations_run_on_every_start_and_keep_the_data(setup: Setup, db_url: str) -> None:
    from equityaudit.registry.storage import Registry

    setup.publish()
    setup.add_member("alice")
    again = Registry.open(db_url)  # a restart: the migrations find the schema at head
    try:
        assert again.bootstrap() is None
        assert [m["name"] for m in again.list_members()] == ["admin", "alice"]
        assert again.standard(RETAIL).sha256 == find_standard(RETAIL).sha256
        with again.engine.connect() as connection:
            assert (
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0003"
            )  # v0003_privacy, the newest migration
    finally:
        again.engine.dispose()
