"""Signing: DSSE envelopes carrying in-toto Statements, keys, and offline verification."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import equityaudit.engine
from equityaudit.cli import main
from equityaudit.results import canonical_json
from equityaudit.signing import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    EnvelopeError,
    SignatureError,
    key_id,
    load_private_key,
    load_public_key,
    pae,
    sign_result,
    verify_envelope,
    write_keys,
)
from equityaudit.spec_loading import load_spec


def test_pae_matches_the_dsse_specification_vector() -> None:
    """DSSE protocol.md, "Test Vectors": PAYLOAD_TYPE http://example.com/HelloWorld, body 'hello world'."""
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    # the envelope printed beside it carries the body as standard base64
    assert base64.b64decode("aGVsbG8gd29ybGQ=") == b"hello world"


def test_pae_lengths_count_bytes_not_characters() -> None:
    assert pae("tybé", b"x") == b"DSSEv1 5 tyb\xc3\xa9 1 x"
    assert pae("", b"") == b"DSSEv1 0  0 "


@pytest.fixture
def result(tmp_path: Path) -> dict[str, Any]:
    """A real result of a spec file on a small CSV (so it carries the data's SHA-256)."""
    rows = ["sex,hired"] + ["F,1"] * 12 + ["F,0"] * 28 + ["M,1"] * 20 + ["M,0"] * 20
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "audit.yaml").write_text(
        "equityaudit: 1\nname: small\nauditor: decisions\ndata: {path: data.csv}\n"
        "columns: {sensitive: [sex], decision: hired}\nthresholds: {min_group_size: 10}\n"
    )
    audited = equityaudit.engine.run_spec(load_spec(tmp_path / "audit.yaml"))
    audited.write(tmp_path / "small.json")
    return audited.to_dict()


def test_round_trip_statement_shape(result: dict[str, Any], tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    model = "sha256:" + "ab" * 32
    envelope = sign_result(
        result, key, model_digest=model, model_name="screenpro-4", metadata={"vendor": "Acme"}
    )
    assert envelope["payloadType"] == PAYLOAD_TYPE == "application/vnd.in-toto+json"
    assert envelope["signatures"][0]["keyid"] == key_id(key.public_key())
    payload = base64.b64decode(envelope["payload"])
    statement = json.loads(payload)
    assert payload == canonical_json(statement)  # the signed bytes are canonical JSON
    assert statement["_type"] == STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == PREDICATE_TYPE
    data_sha = hashlib.sha256((tmp_path / "data.csv").read_bytes()).hexdigest()
    assert statement["subject"] == [
        {"name": "data:data.csv", "digest": {"sha256": data_sha}},
        {"name": "model:screenpro-4", "digest": {"sha256": "ab" * 32}},
    ]
    assert statement["predicate"] == {"result": result, "metadata": {"vendor": "Acme"}}
    verified = verify_envelope(envelope, [key.public_key()])
    assert verified.statement == statement
    assert verified.keyid == key_id(key.public_key())
    assert verified.payload_sha256 == hashlib.sha256(payload).hexdigest()
    # the signature is Ed25519 over the PAE, not over the payload alone
    key.public_key().verify(base64.b64decode(envelope["signatures"][0]["sig"]), pae(PAYLOAD_TYPE, payload))


def test_row_level_example_values_are_not_signed(result: dict[str, Any]) -> None:
    result["gate"]["checks"] = [
        {
            "name": "in_set",
            "column": "sex",
            "passed": False,
            "message": "x",
            "unexpected_values": ["jane@x.org"],
        }
    ]
    envelope = sign_result(result, Ed25519PrivateKey.generate())
    assert b"jane@x.org" not in base64.b64decode(envelope["payload"])


def _tamper(envelope: dict[str, Any], change: Any) -> dict[str, Any]:
    statement = json.loads(base64.b64decode(envelope["payload"]))
    change(statement)
    return {**envelope, "payload": base64.b64encode(canonical_json(statement)).decode()}


def test_tampered_payload_signature_type_and_wrong_key_are_refused(result: dict[str, Any]) -> None:
    key = Ed25519PrivateKey.generate()
    envelope = sign_result(result, key)
    good = [key.public_key()]

    def fail_more(statement: dict[str, Any]) -> None:
        statement["predicate"]["result"]["verdict"] = "pass"

    with pytest.raises(SignatureError, match="no signature verifies"):
        verify_envelope(_tamper(envelope, fail_more), good)
    sig = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
    sig[0] ^= 1
    flipped = {
        **envelope,
        "signatures": [{**envelope["signatures"][0], "sig": base64.b64encode(bytes(sig)).decode()}],
    }
    with pytest.raises(SignatureError, match="no signature verifies"):
        verify_envelope(flipped, good)
    with pytest.raises(SignatureError, match="no signature verifies"):  # the type is inside the signed PAE
        verify_envelope({**envelope, "payloadType": "application/json"}, good)
    with pytest.raises(SignatureError, match="signed by another key"):
        verify_envelope(envelope, [Ed25519PrivateKey.generate().public_key()])
    keyless = {**envelope, "signatures": [{"sig": envelope["signatures"][0]["sig"]}]}
    with pytest.raises(SignatureError, match="name no key id"):
        verify_envelope(keyless, [Ed25519PrivateKey.generate().public_key()])
    with pytest.raises(SignatureError, match="not valid base64"):
        verify_envelope({**envelope, "payload": "%%%"}, good)


def test_an_altered_envelope_under_the_trusted_key_says_altered_not_another_key(
    result: dict[str, Any],
) -> None:
    """The envelope names the given key, so the failure is the contents, never "another key"."""
    key = Ed25519PrivateKey.generate()
    envelope = sign_result(result, key)
    ours = key_id(key.public_key())
    assert envelope["signatures"][0]["keyid"] == ours

    def pass_it(statement: dict[str, Any]) -> None:
        statement["predicate"]["result"]["verdict"] = "pass"

    for altered in (_tamper(envelope, pass_it), {**envelope, "payloadType": "application/json"}):
        with pytest.raises(SignatureError) as raised:
            verify_envelope(altered, [key.public_key()])
        message = str(raised.value)
        assert message == (
            f"no signature verifies with the given key(s) {ours}: the envelope names the given key "
            f"{ours}, but its signature does not match its payload: the payload, its type or the "
            "signature was altered after signing."
        )
        assert "another key" not in message


def test_verify_cli_reports_an_altered_envelope_with_exit_1(tmp_path: Path, result: dict[str, Any]) -> None:
    private, public = write_keys(tmp_path, name="alice")
    envelope = sign_result(result, load_private_key(private))
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["result"]["verdict"] = "pass"
    tampered = {**envelope, "payload": base64.b64encode(canonical_json(statement)).decode()}
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    ran = CliRunner().invoke(main, ["verify", str(tmp_path / "tampered.json"), "--key", str(public)])
    assert ran.exit_code == 1
    ours = key_id(load_public_key(public))
    assert ran.output.startswith(f"error: no signature verifies with the given key(s) {ours}: ")
    assert "was altered after signing" in ran.output
    assert "another key" not in ran.output


def test_a_validly_signed_statement_must_still_be_an_equityaudit_statement() -> None:
    key = Ed25519PrivateKey.generate()
    payload = canonical_json(
        {"_type": STATEMENT_TYPE, "subject": [], "predicateType": "https://slsa.dev/provenance/v1"}
    )
    envelope = {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{"keyid": "", "sig": base64.b64encode(key.sign(pae(PAYLOAD_TYPE, payload))).decode()}],
    }
    with pytest.raises(SignatureError, match=re.escape("predicateType is 'https://slsa.dev/provenance/v1'")):
        verify_envelope(envelope, [key.public_key()])


def test_data_digest_rules(result: dict[str, Any]) -> None:
    key = Ed25519PrivateKey.generate()
    in_memory = {**result, "data": {**result["data"], "sha256": None}}
    with pytest.raises(EnvelopeError, match="the result has no data digest"):
        sign_result(in_memory, key)
    given = "sha256:" + "cd" * 32
    statement = verify_envelope(sign_result(in_memory, key, data_digest=given), [key.public_key()]).statement
    assert statement["subject"][0]["digest"] == {"sha256": "cd" * 32}
    with pytest.raises(EnvelopeError, match=r"contradicts the result's data\.sha256"):
        sign_result(result, key, data_digest=given)
    with pytest.raises(EnvelopeError, match="expected ALGORITHM:HEX"):
        sign_result(result, key, model_digest="md5:abc")


def test_keys_generate_writes_a_private_key_only_its_owner_reads(tmp_path: Path) -> None:
    private, public = write_keys(tmp_path / "keys")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert key_id(load_private_key(private).public_key()) == key_id(load_public_key(public))
    with pytest.raises(EnvelopeError, match="exists; refusing to overwrite a key"):
        write_keys(tmp_path / "keys")
    old = public.read_bytes()
    write_keys(tmp_path / "keys", force=True)
    assert public.read_bytes() != old
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    with pytest.raises(EnvelopeError, match=r"expected an Ed25519 public key|not a PEM public key"):
        load_public_key(private)


def test_cli_generate_sign_verify(result: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["keys", "generate", "--out", str(tmp_path / "a")])
    assert made.exit_code == 0, made.output
    again = runner.invoke(main, ["keys", "generate", "--out", str(tmp_path / "a")])
    assert again.exit_code == 2 and "refusing to overwrite a key" in again.output
    runner.invoke(main, ["keys", "generate", "--out", str(tmp_path / "b")])
    signed = runner.invoke(
        main,
        [
            "sign",
            str(tmp_path / "small.json"),
            "--key",
            str(tmp_path / "a" / "equityaudit.key"),
            "--meta",
            "tool=ScreenPro",
        ],
    )
    assert signed.exit_code == 0, signed.output
    envelope = tmp_path / "small.dsse.json"
    assert signed.output.startswith(f"Wrote {envelope} (signed by key ")
    # signing again replaces the envelope it wrote, however long the result (payloadType comes after
    # the base64 payload, far beyond the first kilobytes)
    assert len(envelope.read_text()) > 4096
    resigned = runner.invoke(
        main,
        [
            "sign",
            str(tmp_path / "small.json"),
            "--key",
            str(tmp_path / "a" / "equityaudit.key"),
            "--meta",
            "tool=ScreenPro",
        ],
    )
    assert resigned.exit_code == 0, resigned.output
    ok = runner.invoke(main, ["verify", str(envelope), "--key", str(tmp_path / "a" / "equityaudit.pub")])
    assert ok.exit_code == 0, ok.output
    lines = ok.output.splitlines()
    assert lines[0].startswith(f"verified: {envelope} signed by key ")
    assert lines[2] == "result: small (decisions auditor), verdict warn"
    assert lines[3] == "metadata: tool=ScreenPro"
    wrong = runner.invoke(main, ["verify", str(envelope), "--key", str(tmp_path / "b" / "equityaudit.pub")])
    assert wrong.exit_code == 1
    assert wrong.output.startswith("error: no signature verifies with the given key(s)")
    (tmp_path / "junk.json").write_text("{not json")
    garbled = runner.invoke(
        main, ["verify", str(tmp_path / "junk.json"), "--key", str(tmp_path / "b" / "equityaudit.pub")]
    )
    assert garbled.exit_code == 2
    assert garbled.output.startswith(f"error: {tmp_path / 'junk.json'}: not a JSON DSSE envelope")
