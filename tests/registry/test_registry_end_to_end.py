"""End to end: a real registry server on a loopback port, driven by the CLI (admin, two members, views)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from registry_kit import BIG, RETAIL, member_frame

from equityaudit.cli import main


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    """``equityaudit registry serve`` in a subprocess; yields (url, admin token, process)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "equityaudit", "registry", "serve", "--db", db_url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "EQUITYAUDIT_NO_ENTRYPOINTS": "1"},
    )
    assert process.stdout is not None
    lines = []
    token = None
    for _ in range(5):
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith("admin token (shown once; store it now): "):
            token = line.split(": ", 1)[1].strip()
        if line.startswith("listening on"):
            break
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        pytest.fail(f"the registry did not start: {''.join(lines)}")
    assert token is not None, lines
    try:
        yield url, token, process
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def _cli(*args: str, ok: tuple[int, ...] = (0,)) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code in ok, f"{args}: exit {result.exit_code}\n{result.output}"
    return result.output


def test_admin_two_members_submit_then_benchmark_and_pooled_views(
    server: tuple[str, str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    url, admin, _ = server
    as_admin = ("--url", url, "--token", admin)
    published = _cli("registry", "standard", "publish", RETAIL, *as_admin)
    assert published.startswith(f"{RETAIL} published, sha256 ")
    tokens = {}
    for name in ("alice", "bob"):
        _cli("keys", "generate", "--out", str(tmp_path / name))
        added = _cli(
            "registry", "member", "add", name, "--key", str(tmp_path / name / "equityaudit.pub"), *as_admin
        )
        assert added.splitlines()[0].startswith(f"added member {name} with key ")
        tokens[name] = re.search(r"token \d+ for \w+ \(shown once\): (\S+)", added).group(1)  # type: ignore[union-attr]
    olga = _cli("registry", "member", "add", "olga", "--role", "observer", *as_admin)
    tokens["olga"] = re.search(r"token \d+ for \w+ \(shown once\): (\S+)", olga).group(1)  # type: ignore[union-attr]
    for name, cells in (("alice", BIG), ("bob", {**BIG, ("F", "40+"): (80, 16)})):
        folder = tmp_path / name
        member_frame(cells).to_csv(folder / "applicants.csv", index=False)
        (folder / "audit.yaml").write_text(
            f"equityaudit: 1\nname: {name}-screening\nauditor: decisions\nstandard: {RETAIL}\n"
            "data: {path: applicants.csv}\ncolumns: {sensitive: [gender, age_group], decision: hired}\n"
        )
        _cli("run", str(folder / "audit.yaml"), "--out", str(folder), "-q", ok=(0, 1))
        result = folder / f"{name}-screening.json"
        _cli(
            "sign",
            str(result),
            "--key",
            str(folder / "equityaudit.key"),
            "--meta",
            "tool=ScreenPro",
            "--meta",
            "vendor=Acme",
        )
        envelope = folder / f"{name}-screening.dsse.json"
        submitted = _cli("registry", "submit", str(envelope), "--url", url, "--token", tokens[name])
        assert re.match(
            rf"{re.escape(str(envelope))}: accepted: entry \d of the log, {re.escape(RETAIL)}", submitted
        )
        again = _cli("registry", "submit", str(envelope), "--url", url, "--token", tokens[name])
        assert "already in the log, unchanged: entry" in again
    # Bob cannot submit Alice's envelope
    refused = CliRunner().invoke(
        main,
        [
            "registry",
            "submit",
            str(tmp_path / "alice" / "alice-screening.dsse.json"),
            "--url",
            url,
            "--token",
            tokens["bob"],
        ],
    )
    assert refused.exit_code == 2  # a usage error: sign with your own key
    assert (
        "registry refused (403): the envelope is signed with a key registered to another member"
        in refused.output
    )
    assert _cli("registry", "verify-log", "--url", url, "--token", tokens["bob"]).startswith(
        "log valid: 2 entries, head "
    )

    bench = json.loads(
        _cli("registry", "benchmark", RETAIL, "--json", "--url", url, "--token", tokens["alice"])
    )
    assert bench["members"] == 2 and bench["min_members"] == 3
    by_id = {m["id"]: m for m in bench["metrics"]}
    ratio = by_id["impact_ratio:sex*age_band/selection_rate/Female/40 and over"]
    assert ratio["members"] == 2 and ratio["yours"] == pytest.approx(0.6)  # 24/80 over 65/130
    assert ratio["distribution"] is None  # two members: no distribution is shown
    rate = by_id["rate:sex*age_band/selection_rate/Female/40 and over"]
    assert rate["yours"] == pytest.approx(24 / 80) and rate["statistic"] == "rate"
    printed = _cli(
        "registry", "benchmark", RETAIL, "--tool", "ScreenPro", "--url", url, "--token", tokens["alice"]
    )
    assert printed.startswith(f"benchmark of {RETAIL}: 2 member(s); distributions shown from 3")

    out = tmp_path / "pooled"
    pooled = _cli(
        "registry", "pooled", RETAIL, "--tool", "ScreenPro", "--out", str(out), "--format", "json,md,html",
        *as_admin,
    )  # fmt: skip
    # a member of a two-member pool would learn the other's counts by subtracting its own, and
    # anyone else would see two members' counts: only the admin sees a pool of fewer than three
    for who in ("alice", "olga"):
        refused = CliRunner().invoke(
            main, ["registry", "pooled", RETAIL, "--url", url, "--token", tokens[who]]
        )
        assert refused.exit_code == 2
        assert "a pool of fewer than 3 members is shown only to the admin" in refused.output
    assert "840 rows" in pooled and "Verdict:" in pooled
    # groups in their table's order, not JSON's sorted keys (the terminal may wrap the cell)
    assert "Female, 40" in pooled
    assert "40 and over, Female" not in pooled
    name = "pooled-retail-screening-2026.1-ScreenPro"
    written = json.loads((out / f"{name}.json").read_text())
    women_old = next(
        r for r in written["counts"][0]["rows"] if r["group"] == {"sex": "Female", "age_band": "40 and over"}
    )
    assert (women_old["n"], women_old["selected"]) == (160, 24 + 16)
    assert (out / f"{name}.md").is_file() and (out / f"{name}.html").is_file()
    assert _cli("registry", "pooled", RETAIL, *as_admin, ok=(0,))
    observer = _cli("registry", "member", "list", *as_admin)
    assert "olga  observer" in observer
    fetched = _cli(
        "registry",
        "standard",
        "get",
        RETAIL,
        "--out",
        str(tmp_path / "std"),
        "--url",
        url,
        "--token",
        tokens["bob"],
    )
    assert fetched.startswith(f"Wrote {tmp_path / 'std' / (RETAIL + '.yaml')} (sha256 ")
    from equityaudit.standards import find_standard, load_standard_file

    assert load_standard_file(tmp_path / "std" / f"{RETAIL}.yaml").sha256 == find_standard(RETAIL).sha256
