"""The admin's CLI commands against an in-process registry: token and key ids an admin can revoke by."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from registry_kit import RETAIL, Setup

from equityaudit.cli import main
from equityaudit.signing import key_id, public_key_pem


def test_member_add_and_list_show_the_ids_to_revoke_by_never_the_secrets(
    setup: Setup, cli: CliRunner, tmp_path: Path
) -> None:
    key = Ed25519PrivateKey.generate()
    (tmp_path / "alice.pub").write_bytes(public_key_pem(key.public_key()))
    keyid = key_id(key.public_key())
    added = cli.invoke(main, ["registry", "member", "add", "alice", "--key", str(tmp_path / "alice.pub")])
    assert added.exit_code == 0, added.output
    first, second = added.output.splitlines()
    assert first == f"added member alice with key {keyid}"
    # the admin's own token is 1 (bootstrap); alice's first token is 2
    match = re.fullmatch(r"token 2 for alice \(shown once\): (eat_\S+)", second)
    assert match is not None
    token = match.group(1)
    assert setup.http.get("/v1/me", headers=setup.as_(token)).json()["name"] == "alice"
    assert cli.invoke(main, ["registry", "token", "issue", "alice"]).output.startswith("token 3 for alice")
    assert cli.invoke(main, ["registry", "token", "revoke", "2"]).output == "revoked token 2\n"
    listed = cli.invoke(main, ["registry", "member", "list"])
    assert listed.exit_code == 0, listed.output
    pseudonym = setup.registry.pseudonym(2)  # alice is the second member
    assert listed.output.splitlines() == [
        f"admin  admin  {setup.registry.pseudonym(1)}  keys: -  tokens: 1",
        f"alice  member  {pseudonym}  keys: {keyid}  tokens: 2 (revoked), 3",
    ]
    assert token not in listed.output and setup.admin_token not in listed.output
    # the full key id listed is the one 'key revoke' takes
    assert cli.invoke(main, ["registry", "key", "revoke", keyid]).exit_code == 0
    assert f"keys: {keyid} (revoked)" in cli.invoke(main, ["registry", "member", "list"]).output


def test_benchmark_out_writes_json_and_its_help_says_so(setup: Setup, cli: CliRunner, tmp_path: Path) -> None:
    help_text = " ".join(cli.invoke(main, ["registry", "benchmark", "--help"]).output.split())
    assert "Also write the view as JSON to OUT/benchmark-STANDARD.json (JSON only" in help_text
    setup.publish()
    out = tmp_path / "bench"
    answer = cli.invoke(main, ["registry", "benchmark", RETAIL, "--out", str(out)])
    assert answer.exit_code == 0, answer.output
    assert [p.name for p in out.iterdir()] == [f"benchmark-{RETAIL}.json"]
    assert json.loads((out / f"benchmark-{RETAIL}.json").read_text())["standard"] == RETAIL
