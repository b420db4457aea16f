"""Hostile data files: ragged lines, NUL bytes, mixed encodings, BOMs, 10,000 columns, duplicate
headers, a sensitive column with 100,000 distinct values, empty and header-only files, quoted
newlines, a 5 MB line.

Each file goes through ``equityaudit run`` (in-process, :func:`bounds.invoke`) with the decisions
spec of :data:`bounds.SPEC`, and must give exit 0, 1, 2 or 3 with a message naming the problem,
never exit 4, a traceback or a hang.

Bounds: every small case within ``EXAMPLE_SECONDS`` (10 s); the big ones (10,000 columns,
100,000 groups, a 5 MB line, a 5 MB label; each file built once, deterministically, and run
with ``--gate enforce`` and ``--gate warn``) within ``BIG_SECONDS`` (30 s) each run; the property
test runs at most 40 derandomized examples of at most 30 short lines. A watchdog
(:func:`faulthandler.dump_traceback_later`) ends the test process with every thread's stack if
one case runs past three times its bound, so a hang fails CI instead of stalling it. The whole
of tests/hostile (this file and the specs' and results' ones) ran in 35 s on two busy cores, 15 s
of it the memory test's child process. Peak memory of the big cases: docs/reports.md, "Hostile inputs";
``test_memory_stays_bounded`` runs three of them under an address-space limit.
"""

from __future__ import annotations

import faulthandler
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from bounds import BOUNDED, EXAMPLE_SECONDS, SPEC, invoke
from hypothesis import given
from hypothesis import strategies as st

from equityaudit.judging import MAX_GROUPS

BIG_SECONDS = 30.0
"""The hang bound of the big files (10,000 columns, 100,000 groups, a 5 MB line or label)."""


@contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Dump every thread's stack and end the process if the block runs past ``3 * seconds``."""
    faulthandler.dump_traceback_later(3 * seconds, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module", autouse=True)
def _great_expectations_loaded() -> None:
    """Load great-expectations before the bounded cases: its import (seconds on a busy machine)
    is paid once per process, not by whichever input reaches the gate first."""
    from equityaudit.quality.gx_runner import runner

    runner()


def _lines(rows: int = 200) -> list[str]:
    """``bounds.write_data``'s file as lines: a header and ``rows`` rows of F/M, Yes/No."""
    rng = random.Random(16)
    return ["id,sex,selected"] + [f"{i},{rng.choice('FM')},{rng.choice(['Yes', 'No'])}" for i in range(rows)]


def _text(lines: list[str], *, end: str = "\n") -> bytes:
    return (end.join(lines) + end).encode("utf-8")


def _wide(columns: int = 10_000) -> bytes:
    lines = _lines()
    extra = ",".join(f"c{i}" for i in range(columns))
    ones = ",".join("1" for _ in range(columns))
    return _text([lines[0] + "," + extra] + [line + "," + ones for line in lines[1:]])


def _distinct(groups: int = 100_000) -> bytes:
    rng = random.Random(16)
    return _text(["id,sex,selected"] + [f"{i},g{i},{rng.choice(['Yes', 'No'])}" for i in range(groups)])


def _crossed(values: int = 30, rows: int = 3000) -> bytes:
    rng = random.Random(16)
    return _text(
        ["id,sex,race,selected"]
        + [
            f"{i},s{rng.randrange(values)},r{rng.randrange(values)},{rng.choice(['Yes', 'No'])}"
            for i in range(rows)
        ]
    )


L = _lines()


def _with(at: int, *inserted: str) -> bytes:
    """The file of :func:`_lines` with ``inserted`` lines before its line ``at`` (0 is the header)."""
    return _text([*L[:at], *inserted, *L[at:]])


# name → (the file's bytes, spec changes, expected exit codes, words the output must hold)
CASES: dict[str, tuple[Callable[[], bytes], dict[str, object], tuple[int, ...], tuple[str, ...]]] = {
    "ragged-long-line": (
        lambda: _with(50, "1,M,Yes,extra,more"),  # 50 lines before it: the header and 49 rows
        {},
        (2,),
        ("line 51 has 5 fields but the header has 3", "'1,M,Yes,extra,more'"),
    ),
    # a short line is read with its missing fields empty: the gate counts the missing decision
    "ragged-short-line": (
        lambda: _with(50, "1,F"),
        {},
        (3,),
        ("1 of 201 rows (0.5%) have no value in 'selected'",),
    ),
    "nul-in-label": (lambda: _with(20, "5,F\x00,Yes"), {}, (0, 1), ("'F\\x00' (1)",)),
    "nul-line": (lambda: _with(20, "\x00\x00\x00"), {}, (3,), ("no value in 'selected'",)),
    "latin-1-bytes-in-utf-8": (
        lambda: _text(L).replace(b",F,", b",F\xe9,", 1),
        {},
        (2,),
        ("not UTF-8 text: byte", "Latin-1", "Save it as UTF-8"),
    ),
    "utf-16-with-bom": (
        lambda: ("\n".join(L) + "\n").encode("utf-16"),
        {},
        (2,),
        ("UTF-16", "Save it as UTF-8"),
    ),
    "utf-8-bom": (lambda: ("\n".join(L) + "\n").encode("utf-8-sig"), {}, (0, 1), ("200 rows",)),
    "crlf": (lambda: _text(L, end="\r\n"), {}, (0, 1), ("200 rows",)),
    "duplicate-headers": (
        lambda: _text(["id,sex,sex,selected"] + [line.replace(",", ",X,", 1) for line in L[1:]]),
        {},
        (2,),
        ("the header names the same column more than once: 'sex' (2 times)",),
    ),
    "empty": (lambda: b"", {}, (2,), ("the file is empty",)),
    "header-only": (lambda: _text(L[:1]), {}, (2,), ("the data has a header but no rows",)),
    "blank-lines-only": (
        lambda: _text([L[0], ",,", "", ",,"]),
        {},
        (2,),
        ("the data has a header but no rows",),
    ),
    "quoted-newlines": (
        lambda: _with(30, '7,"F\nM",Yes', '8,"F\r\nx",No', '9,F,"Ye\ns"'),
        {},
        (3,),
        ("'Ye\\ns'", "'F\\nM' (1)", "'F\\r\\nx' (1)"),
    ),
    "intersection-of-875-groups": (
        _crossed,
        {"columns": {"sensitive": ["sex", "race"], "decision": "selected", "intersectional": True}},
        (2,),
        (
            "the intersection 'sex*race' (columns.intersectional) has 875 groups",  # 30 × 30 values, 3,000 rows: counted by set()
            f"at most {MAX_GROUPS} groups",
            "intersectional: false",
        ),
    ),
}

BIG: dict[str, tuple[Callable[[], bytes], dict[str, object], tuple[int, ...], tuple[str, ...]]] = {
    "10000-columns": (_wide, {}, (0, 1), ("200 rows",)),
    "100000-groups": (
        _distinct,
        {},
        (2,),
        ("column 'sex' (columns.sensitive) has 100,000 distinct values", "columns.groups"),
    ),
    "5MB-line": (lambda: _with(30, "x" * 5_000_000 + ",F,Yes"), {}, (0, 1), ("201 rows",)),
    "5MB-label": (
        lambda: _with(30, "10,F" + "x" * 5_000_000 + ",Yes"),
        {},
        (2,),
        (
            "column 'sex' (columns.sensitive) holds a value of 5,000,001 characters",
            "at most 1,000 characters",
        ),
    ),
}


def _run(
    folder: Path, data: bytes, changes: dict[str, object], *, seconds: float, extra: list[str]
) -> tuple[int, str]:
    (folder / "data.csv").write_bytes(data)
    spec = {**SPEC, **changes}
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    with watchdog(seconds):
        return invoke(
            ["run", str(folder / "spec.yaml"), "--out", str(folder / "out"), *extra], seconds=seconds
        )


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_data_file(case: str, tmp_path: Path) -> None:
    build, changes, codes, words = CASES[case]
    code, output = _run(tmp_path, build(), changes, seconds=EXAMPLE_SECONDS, extra=[])
    assert code in codes, output
    flat = " ".join(output.split())  # the terminal wraps long messages
    for word in words:
        assert " ".join(word.split()) in flat, f"{word!r} not in:\n{output}"
    assert "\x00" not in output and "\x1b" not in output, output


@pytest.mark.parametrize("case", list(BIG))
def test_big_hostile_data_file(case: str, tmp_path: Path) -> None:
    build, changes, codes, words = BIG[case]
    data = build()
    for gate in ("enforce", "warn"):  # --gate warn cannot make a 100,000-group audit run
        code, output = _run(tmp_path, data, changes, seconds=BIG_SECONDS, extra=["--gate", gate, "--force"])
        assert code in codes, output
        flat = " ".join(output.split())
        for word in words:
            assert " ".join(word.split()) in flat, f"{word!r} not in:\n{output[-3000:]}"


def test_an_error_shows_the_control_characters_of_a_path(tmp_path: Path) -> None:
    """An error quotes the spec's data.path as given: an ESC or a bidi control in it is shown as an escape."""
    spec = {**SPEC, "data": {"path": "da\x1b[2Jta\u202ev.csv", "kind": "historical"}}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    code, output = invoke(["run", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "out")])
    assert code == 2, output
    assert "da\\x1b[2Jta\\u202ev.csv: data file not found" in output, output
    assert "\x1b" not in output and "\u202e" not in output, repr(output)


FIELD = st.one_of(
    st.sampled_from(
        ["F", "M", "Yes", "No", "1", "0", "", '"', '""', '"a,b"', '"x\ny"', "\x00", "\r", "\ufeff"]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"), max_size=8),
)
LINE = st.lists(FIELD, min_size=0, max_size=5).map(",".join)


@BOUNDED
@given(
    lines=st.lists(LINE, min_size=0, max_size=30),
    header=st.sampled_from(["id,sex,selected", "sex,selected", "sex,sex,selected", "selected", ""]),
    tail=st.sampled_from([b"", b"\xff", b"\xe9t\xe9", "\ufeff".encode(), b"\x00"]),
)
def test_random_small_files_run_or_fail_cleanly(
    lines: list[str], header: str, tail: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("data")
    data = _text([header, *lines]) + tail
    code, output = _run(folder, data, {}, seconds=EXAMPLE_SECONDS, extra=["-q"])
    if code == 2:
        assert "data.csv" in output or "spec.yaml" in output, output


ADDRESS_SPACE = 8 * 2**30
"""The address-space limit of the memory test's child processes (``RLIMIT_AS``): generous, since
polars and numpy reserve address space they never touch (a limit of 2 GiB fails to load scipy),
yet far below what a runaway would take (the pairs of 100,000 groups alone are 80 GB)."""

PEAK_RSS_MB = 1500
"""The peak resident memory the memory test allows a child: three times the measured peak
(about 450 MB for 10,000 columns, docs/reports.md "Hostile inputs")."""


CHILD = """
import resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from equityaudit.cli import main
for spec in sys.argv[2:]:
    try:
        main(["run", spec, "--out", spec + ".out", "-q"])
    except SystemExit as exc:
        print("exit", exc.code)
print("peak-rss-kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
"""``equityaudit run`` on each spec in one process under an address-space limit, then its peak resident memory."""


def test_memory_stays_bounded(tmp_path: Path) -> None:
    """The big files run in a child process under an address-space limit (``RLIMIT_AS``), so
    runaway memory ends in a MemoryError (exit 4 with a message) rather than the machine's OOM
    killer, and the child's peak resident memory (``ru_maxrss``) stays under :data:`PEAK_RSS_MB`."""
    pytest.importorskip("resource")
    names = ["10000-columns", "100000-groups", "5MB-line"]
    specs = []
    for name in names:
        folder = tmp_path / name
        folder.mkdir()
        build, changes, _, _ = BIG[name]
        (folder / "data.csv").write_bytes(build())
        specs.append(folder / "spec.yaml")
        specs[-1].write_text(yaml.safe_dump({**SPEC, **changes}), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(ADDRESS_SPACE), *map(str, specs)],
        capture_output=True,
        text=True,
        timeout=4 * BIG_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    codes = [int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("exit ")]
    assert [code in BIG[name][2] for code, name in zip(codes, names, strict=True)] == [True] * 3, done.stdout
    peak_mb = int(done.stdout.rsplit("peak-rss-kib", 1)[1].split()[0]) / 1024
    assert peak_mb < PEAK_RSS_MB, f"peak {peak_mb:.0f} MB"
