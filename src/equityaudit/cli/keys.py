"""``equityaudit keys generate``, ``equityaudit sign`` and ``equityaudit verify``: signed results."""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["keys_group", "sign_command", "verify_command"]


@click.group("keys")
def keys_group() -> None:
    """Manage the Ed25519 keys that sign results."""


@keys_group.command("generate")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Folder for NAME.key (private, mode 0600) and NAME.pub.",
)
@click.option("--name", default="equityaudit", show_default=True, help="File name of the key pair.")
@click.option(
    "--encrypt",
    is_flag=True,
    help="Encrypt the private key with a passphrase (asked twice, or read from EQUITYAUDIT_KEY_PASSPHRASE).",
)
@click.option("--force", is_flag=True, help="Replace an existing key pair.")
def generate_command(out: Path, name: str, encrypt: bool, force: bool) -> None:
    """Generate an Ed25519 key pair; give NAME.pub to your consortium's registry admin."""
    from equityaudit.signing import key_id, load_public_key, write_keys

    passphrase = _passphrase(confirm=True) if encrypt else None
    private, public = write_keys(out, name=name, force=force, passphrase=passphrase)
    how = "encrypted with your passphrase" if passphrase else "keep it secret"
    click.echo(f"Wrote {private} (private: {how}, mode 0600) and {public} (public)")
    click.echo(f"key id: {key_id(load_public_key(public))}")


def _passphrase(*, confirm: bool = False) -> bytes:
    """The key's passphrase: from EQUITYAUDIT_KEY_PASSPHRASE, else asked in the terminal."""
    import os
    import sys

    from equityaudit.errors import SpecError
    from equityaudit.signing import PASSPHRASE_ENV

    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given.encode()
    if not sys.stdin.isatty():
        raise SpecError(
            f"the private key's passphrase is needed and there is no terminal to ask it in: set {PASSPHRASE_ENV}."
        )
    text = click.prompt("Passphrase of the private key", hide_input=True, confirmation_prompt=confirm)
    if not text:
        raise SpecError("an empty passphrase does not encrypt anything; give one, or leave out --encrypt.")
    return str(text).encode()


def _metadata(values: tuple[str, ...]) -> dict[str, str]:
    metadata = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                f"{value!r}: expected KEY=VALUE, e.g. tool=ScreenPro", param_hint="--meta"
            )
        metadata[key.strip()] = text.strip()
    return metadata


@click.command("sign")
@click.argument("result_file", metavar="RESULT.json", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--key", "key_file", required=True, type=click.Path(path_type=Path, dir_okay=False), help="Private key."
)
@click.option("--data-digest", default=None, help="sha256:HEX of the audited data (default: the result's).")
@click.option(
    "--model-digest", default=None, help="sha256:HEX of the model or tool audited (a second subject)."
)
@click.option("--model-name", default="model", show_default=True, help="Name of the model subject.")
@click.option(
    "--meta", multiple=True, metavar="KEY=VALUE", help="Signed metadata, e.g. vendor=Acme tool=ScreenPro."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Envelope file (default: RESULT.dsse.json beside the result).",
)
@click.option("--force", is_flag=True, help="Replace an existing file that is not an envelope.")
def sign_command(
    result_file: Path,
    key_file: Path,
    data_digest: str | None,
    model_digest: str | None,
    model_name: str,
    meta: tuple[str, ...],
    out: Path | None,
    force: bool,
) -> None:
    """Sign RESULT.json: a DSSE envelope carrying an in-toto Statement about the data (and model).

    The statement's predicate is the aggregate result (the quality gate's example values, copied
    from data rows, are dropped) and the signed metadata.
    """
    from equityaudit.errors import SpecError
    from equityaudit.results import read_result
    from equityaudit.signing import is_encrypted, load_private_key, sign_result

    result = read_result(result_file)
    passphrase = _passphrase() if key_file.is_file() and is_encrypted(key_file) else None
    envelope = sign_result(
        result.to_dict(),
        load_private_key(key_file, passphrase),
        data_digest=data_digest,
        model_digest=model_digest,
        model_name=model_name,
        metadata=_metadata(meta),
    )
    target = out or result_file.with_name(result_file.name.removesuffix(".json") + ".dsse.json")
    if target.exists() and not force and not _is_envelope(target):
        raise SpecError(
            f"{target} exists and is not an envelope; refusing to overwrite it. Pass --force or --out."
        )
    target.write_text(json.dumps(envelope, indent=2) + "\n", encoding="utf-8")
    click.echo(f"Wrote {target} (signed by key {envelope['signatures'][0]['keyid']})")


@click.command("verify")
@click.argument("envelope_file", metavar="ENVELOPE", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--key",
    "key_files",
    required=True,
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Trusted public key (repeatable).",
)
@click.option(
    "--result-out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the signed result.",
)
def verify_command(envelope_file: Path, key_files: tuple[Path, ...], result_out: Path | None) -> None:
    """Verify ENVELOPE offline against trusted public keys (exit 0 valid, 1 invalid, 2 unreadable)."""
    from equityaudit.signing import load_public_key, read_envelope, verify_envelope

    verified = verify_envelope(read_envelope(envelope_file), [load_public_key(k) for k in key_files])
    result = verified.result
    audit = result.get("audit", {})
    standard = audit.get("standard")
    # the envelope is someone else's: its names and metadata are printed as text, controls shown
    from equityaudit.report.escaping import terminal_plain

    def echo_text(text: str) -> None:
        click.echo(terminal_plain(text))

    echo_text(f"verified: {envelope_file} signed by key {verified.keyid}")
    for subject in verified.statement["subject"]:
        digest = ", ".join(f"{alg}:{value}" for alg, value in subject["digest"].items())
        echo_text(f"subject: {subject.get('name', '_')} {digest}")
    echo_text(
        f"result: {audit.get('name')} ({audit.get('auditor')} auditor"
        + (f", standard {standard['id']}@{standard['version']}" if standard else "")
        + f"), verdict {result.get('verdict')}"
    )
    if verified.metadata:
        echo_text("metadata: " + ", ".join(f"{k}={v}" for k, v in verified.metadata.items()))
    if result_out is not None:
        result_out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        click.echo(f"Wrote {result_out}")


def _is_envelope(path: Path) -> bool:
    """Whether the file is a DSSE envelope (JSON with payloadType, payload and signatures)."""
    import json

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(document, dict) and {"payloadType", "payload", "signatures"} <= set(document)
