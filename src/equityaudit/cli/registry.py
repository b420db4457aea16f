"""``equityaudit registry …``: run a consortium registry, administer it, submit and read views.

Heavy imports (FastAPI, SQLAlchemy, httpx) happen inside the commands, so ``equityaudit --help``
stays fast. Client commands take ``--url`` and ``--token`` or read ``EQUITYAUDIT_REGISTRY_URL``
and ``EQUITYAUDIT_REGISTRY_TOKEN``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from equityaudit.cli.formats import FormatOption

if TYPE_CHECKING:
    from equityaudit.registry.client import RegistryClient

__all__ = ["registry_group"]

F = TypeVar("F", bound=Callable[..., Any])


def _missing_extra(exc: ImportError) -> click.ClickException:
    return click.ClickException(
        f"the registry needs the 'registry' extra ({exc.name} is not installed): pip install 'equityaudit[registry]'"
    )


def _client(url: str | None, token: str | None) -> RegistryClient:
    try:
        from equityaudit.registry.client import RegistryClient
    except ImportError as exc:
        raise _missing_extra(exc) from None
    return RegistryClient(url, token=token)


def client_options(command: F) -> F:
    """Add --url and --token and pass a ready client as ``client``."""

    @click.option(
        "--url",
        default=None,
        help="Registry URL [env EQUITYAUDIT_REGISTRY_URL; default http://127.0.0.1:8765].",
    )
    @click.option("--token", default=None, help="Bearer token [env EQUITYAUDIT_REGISTRY_TOKEN].")
    @functools.wraps(command)
    def wrapper(url: str | None, token: str | None, **kwargs: Any) -> Any:
        with _client(url, token) as client:
            return command(client=client, **kwargs)

    return wrapper  # type: ignore[return-value]


@click.group("registry")
def registry_group() -> None:
    """Run a consortium registry, or talk to one: members, standards, submissions, views."""


@registry_group.command("serve")
@click.option(
    "--db",
    default=None,
    help="Database URL: sqlite:///FILE (default sqlite:///equityaudit-registry.sqlite3) or "
    "postgresql+psycopg://USER@HOST:PORT/DB.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on (1-65535).",
)
@click.option(
    "--max-body", default=2 * 1024 * 1024, show_default=True, type=int, help="Largest request body (bytes)."
)
def serve_command(db: str | None, host: str, port: int, max_body: int) -> None:
    """Serve the registry; migrate the database first. The first start prints a one-time admin token."""
    try:
        import uvicorn

        from equityaudit.registry.app import bind_socket, create_app
        from equityaudit.registry.storage import DEFAULT_DB_URL, Registry
    except ImportError as exc:
        raise _missing_extra(exc) from None
    registry = Registry.open(db or DEFAULT_DB_URL)  # a database that cannot be opened: exit 2
    sock = bind_socket(host, port)  # a port in use: exit 2, before any token is shown
    token = registry.bootstrap()
    shown = registry.engine.url.render_as_string(hide_password=True)
    _echo(f"equityaudit registry: database {shown}")
    if token:
        _echo(f"admin token (shown once; store it now): {token}")
    _echo(f"listening on http://{host}:{port}")
    config = uvicorn.Config(
        create_app(registry, max_body=max_body), host=host, port=port, log_level="warning"
    )
    uvicorn.Server(config).run(sockets=[sock])


def _echo(text: str) -> None:
    """Print a line that holds the registry's text (member names, titles, labels, tool names sent
    by other members): printed as text, with control and bidirectional characters shown as
    escapes (:func:`~equityaudit.report.escaping.terminal_plain`)."""
    from equityaudit.report.escaping import terminal_plain

    click.echo(terminal_plain(text))


def _echo_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False))


@registry_group.group("member")
def member_group() -> None:
    """Register members and list them (admin)."""


@member_group.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(["member", "observer", "admin"]), default="member", show_default=True
)
@click.option(
    "--key", "key_file", type=click.Path(path_type=Path, dir_okay=False), help="The member's public key."
)
@click.option("--no-token", is_flag=True, help="Do not issue a token now.")
@client_options
def member_add(client: RegistryClient, name: str, role: str, key_file: Path | None, no_token: bool) -> None:
    """Register member NAME (with its public key) and print a token for it, shown once."""
    public_key = key_file.read_text(encoding="utf-8") if key_file else None
    member = client.add_member(name, role=role, public_key=public_key)
    _echo(f"added {role} {name}" + (f" with key {member['keyid']}" if member.get("keyid") else ""))
    if not no_token:
        issued = client.issue_token(name)
        _echo(f"token {issued['token_id']} for {name} (shown once): {issued['token']}")


@member_group.command("list")
@client_options
def member_list(client: RegistryClient) -> None:
    """List members, their key ids and token ids (admin); revoke with 'key revoke' / 'token revoke'."""
    for member in client.members()["members"]:
        keys = ", ".join(k["keyid"] + (" (revoked)" if k["revoked"] else "") for k in member["keys"]) or "-"
        tokens = (
            ", ".join(str(t["token_id"]) + (" (revoked)" if t["revoked"] else "") for t in member["tokens"])
            or "-"
        )
        _echo(f"{member['name']}  {member['role']}  {member['pseudonym']}  keys: {keys}  tokens: {tokens}")


@registry_group.group("key")
def key_group() -> None:
    """Add or revoke members' public keys (admin)."""


@key_group.command("add")
@click.argument("name")
@click.argument("key_file", metavar="PUBLIC_KEY", type=click.Path(path_type=Path, dir_okay=False))
@client_options
def key_add(client: RegistryClient, name: str, key_file: Path) -> None:
    """Register another public key for member NAME."""
    _echo(f"added key {client.add_key(name, key_file.read_text(encoding='utf-8'))['keyid']} for {name}")


@key_group.command("revoke")
@click.argument("keyid")
@client_options
def key_revoke(client: RegistryClient, keyid: str) -> None:
    """Revoke key KEYID: envelopes it signs are refused from now on."""
    client.revoke_key(keyid)
    _echo(f"revoked key {keyid}")


@registry_group.group("token")
def token_group() -> None:
    """Issue or revoke tokens (admin)."""


@token_group.command("issue")
@click.argument("name")
@client_options
def token_issue(client: RegistryClient, name: str) -> None:
    """Issue a new token for member NAME (shown once)."""
    issued = client.issue_token(name)
    _echo(f"token {issued['token_id']} for {name} (shown once): {issued['token']}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@client_options
def token_revoke(client: RegistryClient, token_id: int) -> None:
    """Revoke token TOKEN_ID."""
    client.revoke_token(token_id)
    _echo(f"revoked token {token_id}")


@registry_group.group("standard")
def standard_group() -> None:
    """Publish, list and fetch standards."""


@standard_group.command("publish")
@click.argument("name")
@client_options
def standard_publish(client: RegistryClient, name: str) -> None:
    """Publish standard NAME (a file, or a bundled id@version) to the registry (admin)."""
    from equityaudit.standards import find_standard

    standard = find_standard(name, base=Path.cwd(), origin="registry standard publish")
    answer = client.publish_standard(standard.document)
    state = "published" if answer["created"] else "already published (unchanged)"
    _echo(f"{answer['ref']} {state}, sha256 {answer['sha256']}")


@standard_group.command("list")
@client_options
def standard_list(client: RegistryClient) -> None:
    """List the standards published on the registry."""
    for item in client.standards()["standards"]:
        _echo(f"{item['ref']}  {item['sha256'][:12]}  {item['title']}")


@standard_group.command("get")
@click.argument("ref")
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=Path("standards"), show_default=True
)
@client_options
def standard_get(client: RegistryClient, ref: str, out: Path) -> None:
    """Fetch standard REF into folder OUT (add OUT to EQUITYAUDIT_STANDARDS_PATH to audit with it)."""
    import yaml

    from equityaudit.standards import parse_standard

    answer = client.standard(ref)
    standard = parse_standard(answer["document"], origin=f"{client.url} {ref}")
    if standard.sha256 != answer["sha256"]:
        raise click.ClickException(
            f"{ref}: the document's sha256 {standard.sha256} is not the registry's {answer['sha256']}"
        )
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{standard.ref}.yaml"
    path.write_text(yaml.safe_dump(standard.document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    _echo(f"Wrote {path} (sha256 {standard.sha256})")


@registry_group.command("submit")
@click.argument("envelope_file", metavar="ENVELOPE", type=click.Path(path_type=Path, dir_okay=False))
@client_options
def submit_command(client: RegistryClient, envelope_file: Path) -> None:
    """Submit a signed result (from 'equityaudit sign') to the registry."""
    from equityaudit.signing import read_envelope

    answer = client.submit(read_envelope(envelope_file))
    state = "already in the log, unchanged" if answer["duplicate"] else "accepted"
    _echo(
        f"{envelope_file}: {state}: entry {answer['seq']} of the log, {answer['standard']}, hash {answer['entry_hash']}"
    )


@registry_group.command("submissions")
@client_options
def submissions_command(client: RegistryClient) -> None:
    """List your submissions."""
    for item in client.submissions()["submissions"]:
        _echo(f"{item['seq']}  {item['standard']}  {item['received_at']}  tool={item['tool'] or '-'}")


@registry_group.command("disclose")
@click.option(
    "--public/--pseudonymous", required=True, help="Be named in views, or appear under a pseudonym."
)
@client_options
def disclose_command(client: RegistryClient, public: bool) -> None:
    """Choose whether other members see your name or a pseudonym."""
    client.disclose(public)
    _echo("you are now named in views" if public else f"you now appear as {client.me()['pseudonym']}")


@registry_group.command("verify-log")
@client_options
def verify_log_command(client: RegistryClient) -> None:
    """Have the registry re-check its hash-chained log (exit 1 when broken)."""
    answer = client.verify_log()
    if answer["valid"]:
        _echo(f"log valid: {answer['entries']} entries, head {answer['head']}")
        return
    for problem in answer["problems"]:
        _echo(f"entry {problem['seq']}: {problem['problem']}")
    raise SystemExit(1)


def _filters(function: F) -> F:
    function = click.option(
        "--vendor", default=None, help="Only submissions whose signed metadata names this vendor."
    )(function)
    return click.option(
        "--tool", default=None, help="Only submissions whose signed metadata names this tool."
    )(function)


@registry_group.command("benchmark")
@click.argument("standard")
@_filters
@click.option("--json", "as_json", is_flag=True, help="Print the view as JSON.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also write the view as JSON to OUT/benchmark-STANDARD.json (JSON only: the benchmark has no "
    "Markdown or HTML report).",
)
@client_options
def benchmark_command(
    client: RegistryClient,
    standard: str,
    tool: str | None,
    vendor: str | None,
    as_json: bool,
    out: Path | None,
) -> None:
    """Each metric's distribution across members under STANDARD, and your percentile."""
    view = client.benchmark(standard, tool=tool, vendor=vendor)
    view.pop("ok", None)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"benchmark-{standard}.json"
        path.write_text(json.dumps(view, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if as_json:
        _echo_json(view)
        return
    _echo(
        f"benchmark of {standard}: {view['members']} member(s); distributions shown from {view['min_members']}"
    )
    _echo(
        "rate: each group's rate from each member's counts; impact ratio: to each member's own reference group"
    )
    _echo(
        f"{'statistic':<12} {'table / metric / group':<56} {'members':>7} {'p25':>6} {'median':>6} {'p75':>6} "
        f"{'yours':>6} {'pctile':>6}"
    )

    def cell(value: Any) -> str:
        return "-" if value is None else f"{value:.3f}"

    for metric in view["metrics"]:
        dist = metric["distribution"] or {}
        where = f"{metric['table']} / {metric['metric']} / {', '.join(metric['group'].values())}"
        _echo(
            f"{metric['statistic'].replace('_', ' '):<12} {where[:56]:<56} {metric['members']:>7} "
            f"{cell(dist.get('p25')):>6} {cell(dist.get('median')):>6} {cell(dist.get('p75')):>6} "
            f"{cell(metric['yours']):>6} "
            f"{'-' if metric['percentile'] is None else format(metric['percentile'], 'g'):>6}"
        )
    if out is not None:
        _echo(f"Wrote {out / f'benchmark-{standard}.json'}")


@registry_group.command("pooled")
@click.argument("standard")
@_filters
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=None, help="Write reports here."
)
@click.option(
    "--format",
    "formats",
    cls=FormatOption,
    default="json,md",
    show_default=True,
    help="Report formats ({formats}).",
)
@click.option("--force", is_flag=True, help="Replace output files that equityaudit did not write.")
@client_options
def pooled_command(
    client: RegistryClient,
    standard: str,
    tool: str | None,
    vendor: str | None,
    out: Path | None,
    formats: str,
    force: bool,
) -> None:
    """The pooled collective audit of STANDARD (members' counts summed), printed and written as reports."""
    from equityaudit.cli.formats import parse_formats
    from equityaudit.cli.summary import print_summary
    from equityaudit.report import write_reports
    from equityaudit.results import AuditResult

    result = AuditResult.model_validate(client.pooled(standard, tool=tool, vendor=vendor)["result"])
    written = write_reports(result, out, parse_formats(formats), force=force).written if out else []
    print_summary(result, written)
