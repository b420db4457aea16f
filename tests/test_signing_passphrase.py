"""Encrypted private keys: generated with a passphrase, signing needs it, a wrong one is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import equityaudit.engine
from equityaudit.cli import main
from equityaudit.signing import PASSPHRASE_ENV, EnvelopeError, is_encrypted, load_private_key, write_keys
from equityaudit.spec_loading import load_spec


@pytest.fixture
def result_file(tmp_path: Path) -> Path:
    rows = ["sex,hired"] + ["F,1"] * 12 + ["F,0"] * 28 + ["M,1"] * 20 + ["M,0"] * 20
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "audit.yaml").write_text(
        "equityaudit: 1\nname: small\nauditor: decisions\ndata: {path: data.csv}\n"
        "columns: {sensitive: [sex], decision: hired}\nthresholds: {min_group_size: 10}\n"
    )
    return equityaudit.engine.run_spec(load_spec(tmp_path / "audit.yaml")).write(tmp_path / "small.json")


def test_an_encrypted_key_is_encrypted_on_disk_and_opens_only_with_its_passphrase(tmp_path: Path) -> None:
    private, _ = write_keys(tmp_path, passphrase=b"correct horse")
    assert is_encrypted(private)
    assert b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in private.read_bytes()
    assert load_private_key(private, b"correct horse") is not None
    with pytest.raises(EnvelopeError, match="cannot decrypt the private key: wrong passphrase"):
        load_private_key(private, b"wrong")
    with pytest.raises(EnvelopeError, match="the private key is encrypted; give its passphrase"):
        load_private_key(private)
    plain, _ = write_keys(tmp_path / "plain")
    assert not is_encrypted(plain)


def test_cli_encrypts_and_signs_with_the_passphrase_from_the_environment(
    tmp_path: Path, result_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setenv(PASSPHRASE_ENV, "s3cret phrase")
    made = runner.invoke(main, ["keys", "generate", "--out", str(tmp_path / "k"), "--encrypt"])
    assert made.exit_code == 0, made.output
    assert "(private: encrypted with your passphrase, mode 0600)" in made.output
    key = tmp_path / "k" / "equityaudit.key"
    signed = runner.invoke(main, ["sign", str(result_file), "--key", str(key)])
    assert signed.exit_code == 0, signed.output
    verified = runner.invoke(
        main, ["verify", str(tmp_path / "small.dsse.json"), "--key", str(tmp_path / "k" / "equityaudit.pub")]
    )
    assert verified.exit_code == 0, verified.output
    monkeypatch.setenv(PASSPHRASE_ENV, "not it")
    wrong = runner.invoke(main, ["sign", str(result_file), "--key", str(key)])
    assert wrong.exit_code == 2
    assert (
        f"{key}: cannot decrypt the private key: wrong passphrase (check {PASSPHRASE_ENV})." in wrong.output
    )
    monkeypatch.delenv(PASSPHRASE_ENV)
    missing = runner.invoke(main, ["sign", str(result_file), "--key", str(key)])  # no terminal to ask in
    assert missing.exit_code == 2
    assert f"there is no terminal to ask it in: set {PASSPHRASE_ENV}" in missing.output
