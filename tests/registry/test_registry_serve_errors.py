"""``registry serve`` failures a user can fix: each one a message naming the URL or port, exit 2."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from registry_kit import pg_admin_url

from equityaudit.cli import main
from equityaudit.errors import ExitCode


def _serve(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["registry", "serve", *args])
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert "listening on" not in result.output and "admin token" not in result.output
    return result.exit_code, result.output


def _closed_port() -> int:
    with socket.socket() as sock:  # bound and released: nothing listens there afterwards
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another socket is bound to and listens on for the whole test."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_sqlite_file_in_a_missing_folder_names_the_folder() -> None:
    code, output = _serve("--db", "sqlite:////nonexistent/dir/x.db")
    assert code == ExitCode.USAGE_ERROR == 2
    assert output.strip() == (
        "error: cannot open the SQLite database sqlite:////nonexistent/dir/x.db: unable to open database "
        "file. Check that the folder '/nonexistent/dir' exists and is writable, or pass another --db "
        "sqlite:///PATH/registry.sqlite3"
    )


def test_an_unreachable_postgresql_server_names_the_host_and_port() -> None:
    port = _closed_port()
    code, output = _serve("--db", f"postgresql://registry:s3cret@127.0.0.1:{port}/registry")
    assert code == 2
    assert output.startswith(
        f"error: cannot open the PostgreSQL database postgresql+psycopg://registry:***@127.0.0.1:{port}/registry: "
    )
    assert "Connection refused" in output and "s3cret" not in output
    assert output.rstrip().endswith(
        f"Check that the server is running and reachable at 127.0.0.1:{port}, that the user and database "
        "exist and the user may create tables there, or pass another --db"
    )


def test_an_unknown_postgresql_user_is_a_clear_error_too() -> None:
    url = pg_admin_url().replace("://postgres@", "://").replace("://root@", "://")
    code, output = _serve("--db", url.replace("://", "://no_such_user_ea@"))
    assert code == 2
    assert 'role "no_such_user_ea" does not exist' in output


def test_a_port_in_use_is_refused_before_anything_is_printed(busy_port: int, tmp_path: Path) -> None:
    database = tmp_path / "registry.sqlite3"
    code, output = _serve("--db", f"sqlite:///{database}", "--port", str(busy_port))
    assert code == 2
    assert output.strip() == (
        f"error: cannot listen on 127.0.0.1:{busy_port}: port {busy_port} is already in use (another "
        "program, perhaps a registry already running, listens there); stop it, or choose another --port"
    )


def test_a_host_that_is_not_this_machine_is_refused(tmp_path: Path) -> None:
    code, output = _serve(
        "--db", f"sqlite:///{tmp_path / 'r.sqlite3'}", "--host", "192.0.2.1", "--port", "8765"
    )
    assert code == 2
    assert output.startswith("error: cannot listen on 192.0.2.1:8765: ")
    assert "pass --host with an address of this machine" in output


def test_a_port_out_of_range_is_a_usage_error_before_anything_starts() -> None:
    from click.testing import CliRunner

    from equityaudit.cli import main

    out = CliRunner().invoke(main, ["registry", "serve", "--port", "99999"])
    assert out.exit_code == 2
    assert "Invalid value for '--port': 99999 is not in the range 1<=x<=65535." in out.output
    assert "admin token" not in out.output
