"""Signed results: Ed25519 keys, DSSE envelopes and in-toto Statements (v1).

A member signs an audit result before it leaves for a registry; anyone holding the member's
public key can verify it offline. The signed bytes are a DSSE envelope's pre-authentication
encoding (PAE) of an in-toto Statement v1:

* ``_type`` ``https://in-toto.io/Statement/v1``;
* ``subject``: the audited data (its SHA-256, from the result or given) and, when given, the
  model or tool audited;
* ``predicateType`` :data:`PREDICATE_TYPE`; ``predicate``: ``{"result": <aggregate result>,
  "metadata": {...}}`` — the result as JSON with nothing copied from data rows (the quality
  gate's example values are dropped), and signed free-form metadata such as the vendor and tool.

The Statement is serialised as canonical JSON (RFC 8785) and carried base64-encoded in the
envelope, whose ``payloadType`` is ``application/vnd.in-toto+json``. Key ids are the hex SHA-256
of the raw 32-byte public key.

Errors::

    EquityAuditError
     ├── EnvelopeError(ValueError)    a key or envelope file cannot be read (exit 2)
     └── SignatureError(ValueError)   an envelope does not verify (exit 1)
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from equityaudit.errors import EquityAuditError, ExitCode
from equityaudit.results import canonical_json

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "EnvelopeError",
    "SignatureError",
    "Verified",
    "aggregate_result",
    "check_envelope_shape",
    "generate_keys",
    "key_id",
    "load_private_key",
    "load_public_key",
    "make_statement",
    "pae",
    "parse_digest",
    "public_key_pem",
    "read_envelope",
    "sign_result",
    "sign_statement",
    "verify_envelope",
    "write_keys",
]

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://equityaudit.dev/result/v1"


class EnvelopeError(EquityAuditError, ValueError):
    """A key file or an envelope is missing, garbled or of the wrong kind."""


class SignatureError(EquityAuditError, ValueError):
    """An envelope does not verify: wrong key, altered payload or signature, wrong type."""

    exit_code = ExitCode.FAILED


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding: ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``.

    ``LEN`` is the ASCII decimal byte length, without leading zeros.

    Examples
    --------
    >>> pae("http://example.com/HelloWorld", b"hello world")
    b'DSSEv1 29 http://example.com/HelloWorld 11 hello world'
    """
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


# --------------------------------------------------------------------------- keys


PASSPHRASE_ENV = "EQUITYAUDIT_KEY_PASSPHRASE"
"""Environment variable holding the passphrase of an encrypted private key (for scripts and CI)."""


def generate_keys(passphrase: bytes | None = None) -> tuple[bytes, bytes]:
    """A new Ed25519 key pair as (private PEM in PKCS#8, public PEM in SubjectPublicKeyInfo).

    With a ``passphrase`` the private key is encrypted (PKCS#8 with the best encryption the
    cryptography package offers: scrypt and AES-256-CBC).
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    return private_pem, public_key_pem(private.public_key())


def is_encrypted(path: Path) -> bool:
    """Whether the PEM private key in ``path`` is encrypted (needs a passphrase)."""
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in _read(path, "private key")


def public_key_pem(public: Ed25519PublicKey) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo)."""
    from cryptography.hazmat.primitives import serialization

    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def write_keys(
    out: Path, *, name: str = "equityaudit", force: bool = False, passphrase: bytes | None = None
) -> tuple[Path, Path]:
    """Write ``NAME.key`` (private, mode 0600; encrypted when a passphrase is given) and ``NAME.pub``.

    Raises
    ------
    EnvelopeError
        A key file exists already and ``force`` is not set.
    """
    out.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out / f"{name}.key", out / f"{name}.pub"
    if not force:
        for path in (private_path, public_path):
            if path.exists():
                raise EnvelopeError(
                    f"{path} exists; refusing to overwrite a key (a lost private key cannot sign again, "
                    "and a registry knows only the old public key). Pass --force to replace it."
                )
    private_pem, public_pem = generate_keys(passphrase)
    if force and private_path.exists():
        private_path.unlink()
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_pem)
    os.chmod(private_path, 0o600)  # whatever the umask
    public_path.write_bytes(public_pem)
    return private_path, public_path


def load_private_key(path: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Read an Ed25519 private key (PEM, PKCS#8; encrypted ones need ``passphrase``)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read(path, "private key")
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data
    if encrypted and not passphrase:
        raise EnvelopeError(
            f"{path}: the private key is encrypted; give its passphrase (set {PASSPHRASE_ENV}, or run "
            "the command in a terminal to be asked)."
        )
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if encrypted else None)
    except (ValueError, TypeError) as exc:
        if encrypted:
            raise EnvelopeError(
                f"{path}: cannot decrypt the private key: wrong passphrase (check {PASSPHRASE_ENV})."
            ) from None
        raise EnvelopeError(f"{path}: not a PEM private key ({exc}).") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise EnvelopeError(f"{path}: a {type(key).__name__}, expected an Ed25519 private key.")
    return key


def load_public_key(source: Path | bytes | str) -> Ed25519PublicKey:
    """Read an Ed25519 public key from a PEM file, or from PEM text."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if isinstance(source, Path):
        data, where = _read(source, "public key"), str(source)
    else:
        data, where = (source.encode() if isinstance(source, str) else source), "public key"
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise EnvelopeError(f"{where}: not a PEM public key ({exc}).") from None
    if not isinstance(key, Ed25519PublicKey):
        raise EnvelopeError(f"{where}: a {type(key).__name__}, expected an Ed25519 public key.")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    """Hex SHA-256 of the raw 32-byte public key."""
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise EnvelopeError(f"{path}: {what} file not found.") from None
    except IsADirectoryError:
        raise EnvelopeError(f"{path}: is a folder, expected a {what} file.") from None


# --------------------------------------------------------------------------- statements

_DIGEST = re.compile(r"^(sha256|sha384|sha512):([0-9a-f]+)$")
_DIGEST_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}


def parse_digest(text: str) -> dict[str, str]:
    """``sha256:HEX`` as an in-toto digest set ``{"sha256": HEX}``.

    Examples
    --------
    >>> parse_digest("sha256:" + "ab" * 32) == {"sha256": "ab" * 32}
    True
    """
    match = _DIGEST.match(text.strip().lower())
    if not match or len(match.group(2)) != _DIGEST_LENGTH[match.group(1)]:
        raise EnvelopeError(
            f"digest {text!r}: expected ALGORITHM:HEX with sha256, sha384 or sha512, e.g. sha256:"
            "followed by 64 hex digits (sha256sum FILE prints them)."
        )
    return {match.group(1): match.group(2)}


def aggregate_result(result: dict[str, Any]) -> dict[str, Any]:
    """The result with nothing copied from data rows: the gate's example offending values are dropped,
    and so are the raw labels named groups mapped (their groups, the spec's or the standard's, stay).

    Everything else in a result is an aggregate (counts, rates, tests) or describes the audit.
    """
    aggregate = copy.deepcopy(result)
    for check in aggregate.get("gate", {}).get("checks", []):
        if isinstance(check, dict) and check.get("unexpected_values"):
            check["unexpected_values"] = []
    for named in aggregate.get("data", {}).get("groups", []):
        if isinstance(named, dict) and named.get("labels"):
            groups = ", ".join(dict.fromkeys(str(g) for g in named["labels"].values()))
            named["labels"] = {}
            named["description"] = f"{named.get('column')}: the data's labels named as groups {groups}."
    return aggregate


def make_statement(
    result: dict[str, Any],
    *,
    data_digest: str | None = None,
    model_digest: str | None = None,
    model_name: str = "model",
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An in-toto Statement v1 about the audited data (and model) with the aggregate result.

    Raises
    ------
    EnvelopeError
        The result has no data digest (it audited an in-memory frame) and none is given, or the
        given one contradicts the result's.
    """
    data = result.get("data", {})
    recorded = data.get("sha256")
    subject_digest = parse_digest(data_digest) if data_digest else None
    if subject_digest is None:
        if not recorded:
            raise EnvelopeError(
                "the result has no data digest (it audited an in-memory frame): pass the SHA-256 of the "
                "data, e.g. --data-digest sha256:HEX."
            )
        subject_digest = {"sha256": recorded}
    elif recorded and subject_digest.get("sha256", recorded) != recorded:
        raise EnvelopeError(
            f"--data-digest {data_digest} contradicts the result's data.sha256 {recorded}; sign the result "
            "of the data you mean."
        )
    source = str(data.get("source") or "data")
    subjects = [{"name": "data:" + Path(source).name, "digest": subject_digest}]
    if model_digest:
        subjects.append({"name": "model:" + model_name, "digest": parse_digest(model_digest)})
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": {"result": aggregate_result(result), "metadata": dict(sorted((metadata or {}).items()))},
    }


def sign_statement(statement: dict[str, Any], private: Ed25519PrivateKey) -> dict[str, Any]:
    """A DSSE envelope of the statement (canonical JSON), signed with ``private``."""
    payload = canonical_json(statement)
    signature = private.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payload": base64.b64encode(payload).decode("ascii"),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [
            {"keyid": key_id(private.public_key()), "sig": base64.b64encode(signature).decode("ascii")}
        ],
    }


def sign_result(
    result: dict[str, Any],
    private: Ed25519PrivateKey,
    *,
    data_digest: str | None = None,
    model_digest: str | None = None,
    model_name: str = "model",
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Make the statement of a result and sign it (see :func:`make_statement`).

    Examples
    --------
    >>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    >>> key = Ed25519PrivateKey.generate()
    >>> result = {"schema": "equityaudit.result/1", "data": {"sha256": "0" * 64, "source": "a.csv"}}
    >>> envelope = sign_result(result, key, metadata={"tool": "ScreenPro"})
    >>> verified = verify_envelope(envelope, [key.public_key()])
    >>> verified.statement["subject"][0]["name"], verified.metadata
    ('data:a.csv', {'tool': 'ScreenPro'})
    """
    statement = make_statement(
        result, data_digest=data_digest, model_digest=model_digest, model_name=model_name, metadata=metadata
    )
    return sign_statement(statement, private)


# --------------------------------------------------------------------------- verification


def read_envelope(path: Path) -> dict[str, Any]:
    """Read an envelope file (JSON), checking its shape."""
    try:
        envelope = json.loads(_read(path, "envelope"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeError(f"{path}: not a JSON DSSE envelope ({exc}).") from None
    check_envelope_shape(envelope, origin=str(path))
    return envelope  # type: ignore[no-any-return]


def check_envelope_shape(envelope: Any, *, origin: str = "envelope") -> None:
    """Raise :class:`EnvelopeError` unless ``envelope`` has DSSE's JSON shape."""
    if not isinstance(envelope, dict):
        raise EnvelopeError(
            f"{origin}: expected a DSSE envelope (a JSON object), found {type(envelope).__name__}."
        )
    missing = [k for k in ("payload", "payloadType", "signatures") if k not in envelope]
    if missing:
        raise EnvelopeError(f"{origin}: not a DSSE envelope: missing {', '.join(missing)}.")
    signatures = envelope["signatures"]
    if not isinstance(signatures, list) or not signatures:
        raise EnvelopeError(f"{origin}: 'signatures' must be a non-empty list.")
    for signature in signatures:
        if not isinstance(signature, dict) or not isinstance(signature.get("sig"), str):
            raise EnvelopeError(f"{origin}: every signature needs a base64 'sig'.")
    if not isinstance(envelope["payload"], str) or not isinstance(envelope["payloadType"], str):
        raise EnvelopeError(f"{origin}: 'payload' and 'payloadType' must be strings.")


def _b64(text: str, what: str) -> bytes:
    for altchars in (None, b"-_"):  # DSSE accepts the standard or the URL-safe alphabet
        try:
            return base64.b64decode(text, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
    raise SignatureError(f"the envelope's {what} is not valid base64.")


@dataclass(frozen=True)
class Verified:
    """A verified envelope's in-toto Statement, the key that signed it, and the payload's SHA-256."""

    statement: dict[str, Any]
    keyid: str
    payload_sha256: str

    @property
    def result(self) -> dict[str, Any]:
        """The aggregate result the statement carries."""
        return self.statement["predicate"]["result"]  # type: ignore[no-any-return]

    @property
    def metadata(self) -> dict[str, Any]:
        """The signed metadata (vendor, tool, ...)."""
        return self.statement["predicate"].get("metadata") or {}


def verify_envelope(envelope: dict[str, Any], keys: list[Ed25519PublicKey]) -> Verified:
    """Verify a DSSE envelope against trusted keys and return its in-toto Statement.

    The signature is checked over the PAE of the payload type and the payload, as DSSE says
    (never over the payload alone); then the payload must be an in-toto Statement v1 with
    equityaudit's predicate type, and the data subject must match the result's data digest.

    Raises
    ------
    SignatureError
        No signature verifies with any of ``keys``, or the payload is not what it claims.
    """
    from cryptography.exceptions import InvalidSignature

    check_envelope_shape(envelope)
    payload = _b64(envelope["payload"], "payload")
    message = pae(envelope["payloadType"], payload)
    trusted = {key_id(k): k for k in keys}
    verified_by = None
    # signatures naming a trusted key are checked with that key alone, first; the others (no key id,
    # or one computed another way) against every trusted key after them
    named = [s for s in envelope["signatures"] if s.get("keyid") in trusted]
    unnamed = [s for s in envelope["signatures"] if s.get("keyid") not in trusted]
    attempts = [(s, [trusted[s["keyid"]]]) for s in named] + [(s, list(trusted.values())) for s in unnamed]
    for signature, candidates in attempts:
        sig = _b64(signature["sig"], "signature")
        for key in candidates:
            try:
                key.verify(sig, message)
            except InvalidSignature:
                continue
            verified_by = key_id(key)
            break
        if verified_by:
            break
    if verified_by is None:
        raise SignatureError(_why_unverified(envelope["signatures"], sorted(trusted)))
    if envelope["payloadType"] != PAYLOAD_TYPE:
        raise SignatureError(f"payloadType is {envelope['payloadType']!r}; expected {PAYLOAD_TYPE!r}.")
    try:
        statement = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SignatureError("the signed payload is not JSON.") from None
    _check_statement(statement)
    return Verified(
        statement=statement, keyid=verified_by, payload_sha256=hashlib.sha256(payload).hexdigest()
    )


_SHOWN_KEYIDS = 5
"""Most unknown key ids an error names (an envelope may carry thousands)."""
_SHOWN_KEYID = 64
"""Characters of a key id an error shows (a key id is 64 hex digits; a forged one may be longer)."""


def _why_unverified(signatures: list[dict[str, Any]], trusted: list[str]) -> str:
    """Say why no signature verified, telling an altered envelope from one signed by another key.

    A signature whose key id is one of the trusted keys was checked against that key: it fails only
    if the payload, the payload type or the signature changed after signing.
    """
    head = f"no signature verifies with the given key(s) {', '.join(trusted)}: "
    named = [s.get("keyid") for s in signatures]
    ours = sorted({k for k in named if k in trusted})
    if ours:
        return head + (
            f"the envelope names the given key {', '.join(ours)}, but its signature does not match "
            "its payload: the payload, its type or the signature was altered after signing."
        )
    others = sorted({k[:_SHOWN_KEYID] for k in named if isinstance(k, str) and k})
    if others:
        listed = ", ".join(others[:_SHOWN_KEYIDS])
        if len(others) > _SHOWN_KEYIDS:
            listed += f" and {len(others) - _SHOWN_KEYIDS:,} more"
        return head + (
            f"the envelope was signed by another key (key id(s) {listed}) or altered "
            "after signing; verify it with the signer's public key."
        )
    return head + (
        "the envelope's signatures name no key id; it was signed by another key or its payload "
        "or signature was altered after signing."
    )


def _check_statement(statement: Any) -> None:
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise SignatureError(f"the signed payload is not an in-toto Statement ({STATEMENT_TYPE}).")
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise SignatureError(
            f"predicateType is {statement.get('predicateType')!r}; expected {PREDICATE_TYPE!r} (an equityaudit result)."
        )
    subjects = statement.get("subject")
    if (
        not isinstance(subjects, list)
        or not subjects
        or not all(
            isinstance(s, dict) and isinstance(s.get("digest"), dict) and s["digest"] for s in subjects
        )
    ):
        raise SignatureError("the statement needs at least one subject, each with a digest.")
    predicate = statement.get("predicate")
    if not isinstance(predicate, dict) or not isinstance(predicate.get("result"), dict):
        raise SignatureError("the statement's predicate carries no result.")
    recorded = predicate["result"].get("data", {}).get("sha256")
    data_subject = next((s for s in subjects if str(s.get("name", "")).startswith("data:")), None)
    if data_subject is None:
        raise SignatureError("the statement has no data subject.")
    if recorded and data_subject["digest"].get("sha256") != recorded:
        raise SignatureError("the data subject's digest differs from the result's data.sha256.")
