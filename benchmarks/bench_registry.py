"""Benchmark the consortium registry on PostgreSQL: concurrent signed submissions, then the views.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, database ``test``)::

    .venv/bin/python benchmarks/bench_registry.py [--submissions 1000] [--clients 20]

It creates a schema of its own in the database ``test`` (dropped at the end), starts
``equityaudit registry serve`` on it on a free loopback port, publishes the example consortium
standard, registers one member (key and token) per submission, and prepares the envelopes: 20
real audits of synthetic member data under the standard, each signed under 50 audit names, so
every envelope is distinct. Then ``--clients`` threads, each with its own HTTP connection, submit
them all; every request's latency is recorded.

It reports throughput and latency percentiles, and checks that none was lost or duplicated: the
log holds exactly as many entries as envelopes, each envelope's payload digest once, and the
chain verifies; resubmitting a sample changes nothing. Then it times the pooled view (the
members' counts summed and audited) and the benchmark view over all submissions, best and median
of ``--repeat`` requests. Target: the pooled view under 1 s. Results go to
``benchmarks/results/registry.json``. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import datetime as dt
import hashlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from provenance import machine_state, provenance
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "registry.json"
STANDARD = "retail-screening@2026.1"
TARGET_POOLED_S = 1.0


def member_frame(seed: int) -> pd.DataFrame:
    """A member's applicants in its own labels, 200-400 of them, selection rates varying by seed."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = int(rng.integers(200, 400))
    sex = rng.choice(["W", "m"], size=n)
    age = rng.choice(["<40", "40+"], size=n, p=[0.6, 0.4])
    rate = 0.5 - 0.15 * (sex == "W") * (age == "40+")
    return pd.DataFrame({"gender": sex, "age_group": age, "hired": (rng.random(n) < rate).astype(int)})


def prepare(count: int) -> list[tuple[Ed25519PrivateKey, dict[str, Any]]]:
    """``count`` (key, envelope) pairs: 20 real audits, each signed under several names by its own member."""
    os.environ["EQUITYAUDIT_NO_ENTRYPOINTS"] = "1"
    from equityaudit.engine import run_spec
    from equityaudit.errors import UndefinedMetricWarning
    from equityaudit.signing import sign_result
    from equityaudit.spec_loading import spec_from_mapping

    spec = spec_from_mapping(
        {
            "equityaudit": 1,
            "name": "member",
            "auditor": "decisions",
            "standard": STANDARD,
            "data": {},
            "columns": {"sensitive": ["gender", "age_group"], "decision": "hired"},
        }
    )
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for seed in range(20):
            results.append(run_spec(spec, frame=member_frame(seed)).to_dict())
    pairs = []
    for i in range(count):
        base = results[i % len(results)]
        result = {**base, "audit": {**base["audit"], "name": f"member-{i:05d}-screening"}}
        key = Ed25519PrivateKey.generate()
        digest = "sha256:" + hashlib.sha256(f"data of member {i}".encode()).hexdigest()
        pairs.append(
            (
                key,
                sign_result(
                    result, key, data_digest=digest, metadata={"tool": "ScreenPro", "vendor": "Acme"}
                ),
            )
        )
    return pairs


def pg_url() -> str:
    import psycopg

    for user in ("postgres", "root"):
        try:
            psycopg.connect(f"host=127.0.0.1 port=5432 dbname=test user={user}", connect_timeout=3).close()
        except psycopg.OperationalError:
            continue
        return f"postgresql+psycopg://{user}@127.0.0.1:5432/test"
    raise SystemExit("PostgreSQL is not reachable at 127.0.0.1:5432 (database test)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(db_url: str, port: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "equityaudit", "registry", "serve", "--db", db_url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "EQUITYAUDIT_NO_ENTRYPOINTS": "1"},
    )
    assert process.stdout is not None
    token = ""
    for _ in range(5):
        line = process.stdout.readline()
        if line.startswith("admin token"):
            token = line.split(": ", 1)[1].strip()
        if line.startswith("listening on"):
            break
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return process, token
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the registry did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_verify_log(entries: int, output: Path) -> int:
    """Time ``GET /v1/log/verify``'s work (:meth:`Registry.verify_log`) on an SQLite log of ``entries``.

    The log is filled in-process (one member, ``entries`` distinct envelopes, every one checked as
    a submission is). Timed: the first verification (every entry checked in full: chain, payload
    digest, signature, the stored columns re-derived), the next one (entries verified before and
    unchanged since are checked by their chain hash and a fingerprint of their stored columns), and
    one after 10 more entries. Each figure is also given per 1,000 entries.
    """
    import tempfile

    from equityaudit.registry.semantics import refuse_contradictions
    from equityaudit.registry.storage import Registry
    from equityaudit.signing import public_key_pem
    from equityaudit.standards import find_standard

    pairs = prepare(entries + 10)
    key = pairs[0][0]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/registry.sqlite3"
        registry = Registry.open(url)
        admin = registry.authenticate(registry.bootstrap())
        registry.publish_standard(find_standard(STANDARD).document, admin)
        registry.add_member("member", "member", public_key=public_key_pem(key.public_key()).decode())
        member = registry.authenticate(registry.issue_token("member")["token"])
        from equityaudit.signing import sign_result

        envelopes = []
        for _, envelope in pairs:  # re-sign every statement with the one member's key
            statement = json.loads(base64.b64decode(envelope["payload"]))
            envelopes.append(
                sign_result(
                    statement["predicate"]["result"],
                    key,
                    data_digest="sha256:" + statement["subject"][0]["digest"]["sha256"],
                    metadata=statement["predicate"]["metadata"],
                )
            )
        fill = time.perf_counter()
        for envelope in envelopes[:entries]:
            registry.submit(member, envelope, recheck=refuse_contradictions)
        fill_s = time.perf_counter() - fill
        registry.engine.dispose()

        fresh = Registry.open(url)  # a server process that has verified nothing yet
        timings: dict[str, float] = {}
        answers = {}
        for label in ("first", "again"):
            t0 = time.perf_counter()
            answers[label] = fresh.verify_log()
            timings[label] = time.perf_counter() - t0
        for envelope in envelopes[entries:]:
            fresh.submit(member, envelope, recheck=refuse_contradictions)
        t0 = time.perf_counter()
        answers["after_10_more"] = fresh.verify_log()
        timings["after_10_more"] = time.perf_counter() - t0
        fresh.engine.dispose()
    report = {
        "benchmark": "registry verify_log",
        "date": dt.date.today().isoformat(),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), **provenance()},
        "database": "SQLite file (WAL), in-process",
        "entries": entries,
        "fill_s": round(fill_s, 2),
        "submit_ms_each": round(1000 * fill_s / entries, 1),
        "verify_s": {label: round(t, 4) for label, t in timings.items()},
        "verify_s_per_1000_entries": {label: round(1000 * t / entries, 3) for label, t in timings.items()},
        "checks": {
            "valid": all(a["valid"] for a in answers.values()),
            "entries": [a["entries"] for a in answers.values()] == [entries, entries, entries + 10],
        },
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0 if all(report["checks"].values()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--verify-log",
        type=int,
        default=None,
        metavar="ENTRIES",
        help="Only time the log verification on an SQLite log of ENTRIES entries "
        "(results: benchmarks/results/registry_verify_log.json).",
    )
    parser.add_argument(
        "--sqlite-servers",
        type=int,
        default=0,
        metavar="N",
        help="Run N server processes on one SQLite file instead of one on PostgreSQL "
        "(results: benchmarks/results/registry_sqlite.json unless --output).",
    )
    args = parser.parse_args(argv)
    if args.sqlite_servers and args.output == DEFAULT_OUTPUT:
        args.output = DEFAULT_OUTPUT.with_name("registry_sqlite.json")
    if args.verify_log is not None:
        return bench_verify_log(args.verify_log, DEFAULT_OUTPUT.with_name("registry_verify_log.json"))
    state = machine_state()  # before the benchmark loads the machine

    from equityaudit.signing import public_key_pem
    from equityaudit.standards import find_standard

    started = time.perf_counter()
    pairs = prepare(args.submissions)
    prepare_s = time.perf_counter() - started
    engine = None
    folder = None
    if args.sqlite_servers:
        import tempfile

        folder = tempfile.mkdtemp(prefix="ea_bench_")
        db_url = f"sqlite:///{folder}/registry.sqlite3"
        database = f"one SQLite file (WAL) shared by {args.sqlite_servers} server processes"
        servers = [start_server(db_url, free_port()) for _ in range(args.sqlite_servers)]
    else:
        admin_url = pg_url()
        schema = "ea_bench_" + uuid.uuid4().hex[:10]
        engine = create_engine(admin_url)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        database = "PostgreSQL at 127.0.0.1:5432 (a schema of its own, dropped after)"
        servers = [start_server(f"{admin_url}?options=-csearch_path%3D{schema}", free_port())]
    admin = servers[0][1]
    bases = [f"http://127.0.0.1:{process.args[-1]}" for process, _ in servers]
    base = bases[0]
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin}"}, timeout=60) as http:
            http.post("/v1/standards", json={"document": find_standard(STANDARD).document}).raise_for_status()
            tokens = []
            setup_started = time.perf_counter()
            for i, (key, _) in enumerate(pairs):
                name = f"member-{i:05d}"
                http.post(
                    "/v1/members",
                    json={"name": name, "public_key": public_key_pem(key.public_key()).decode()},
                ).raise_for_status()
                tokens.append(http.post(f"/v1/members/{name}/tokens").json()["token"])
            setup_s = time.perf_counter() - setup_started

        jobs = [(token, envelope) for token, (_, envelope) in zip(tokens, pairs, strict=True)]
        chunks = [jobs[i :: args.clients] for i in range(args.clients)]

        def client(chunk: list[tuple[str, dict[str, Any]]], index: int) -> list[tuple[float, int, int]]:
            timings = []
            with httpx.Client(base_url=bases[index % len(bases)], timeout=120) as http:
                for token, envelope in chunk:
                    t0 = time.perf_counter()
                    answer = http.post(
                        "/v1/submissions",
                        json={"envelope": envelope},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    timings.append(
                        (time.perf_counter() - t0, answer.status_code, answer.json().get("seq", -1))
                    )
            return timings

        wall = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
            timings = [t for chunk in pool.map(client, chunks, range(len(chunks))) for t in chunk]
        wall = time.perf_counter() - wall
        latencies = [t for t, _, _ in timings]
        statuses = [s for _, s, _ in timings]
        seqs = [q for _, _, q in timings]

        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin}"}, timeout=120) as http:
            log = http.get("/v1/log/verify").json()
            listed = http.get("/v1/submissions").json()["submissions"]
            digests = [s["payload_sha256"] for s in listed]
            expected = {hashlib.sha256(base64.b64decode(e["payload"])).hexdigest() for _, e in pairs}
            again = [
                httpx.post(
                    f"{base}/v1/submissions",
                    json={"envelope": pairs[i][1]},
                    headers={"Authorization": f"Bearer {tokens[i]}"},
                ).json()
                for i in range(0, len(pairs), max(1, len(pairs) // 20))
            ]
            after = http.get("/v1/log/verify").json()["entries"]

            def timed(path: str) -> tuple[list[float], dict[str, Any]]:
                runs, body = [], {}
                for _ in range(args.repeat + 1):
                    t0 = time.perf_counter()
                    answer = http.get(path)
                    runs.append(time.perf_counter() - t0)
                    body = answer.json()
                return runs[1:], body  # the first request warms up

            pooled_runs, pooled = timed(f"/v1/standards/{STANDARD}/pooled")
            bench_runs, _ = timed(f"/v1/standards/{STANDARD}/benchmark")
            filtered_runs, _ = timed(f"/v1/standards/{STANDARD}/pooled?tool=ScreenPro")
        checks = {
            "all_accepted_201": statuses.count(201) == len(pairs),
            "log_entries_equal_submissions": log["entries"] == len(pairs) and len(listed) == len(pairs),
            "seqs_unique_and_contiguous": sorted(seqs) == list(range(1, len(pairs) + 1)),
            "each_envelope_once": len(set(digests)) == len(digests) and set(digests) == expected,
            "chain_valid": log["valid"],
            "resubmission_idempotent": all(a.get("duplicate") for a in again) and after == len(pairs),
            "pooled_rows_equal_sum": pooled["result"]["data"]["rows"]
            == sum(
                json.loads(base64.b64decode(e["payload"]))["predicate"]["result"]["data"]["rows"]
                for _, e in pairs
            ),
            "pooled_under_target": statistics.median(pooled_runs) < TARGET_POOLED_S,
        }
        report = {
            "benchmark": "registry",
            "date": dt.date.today().isoformat(),
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                **state,
                **provenance(),
            },
            "database": database,
            "server": f"equityaudit registry serve ({len(servers)} uvicorn process(es), FastAPI sync routes in "
            "their thread pools; clients spread over them)",
            "submissions": len(pairs),
            "clients": args.clients,
            "prepare_s": round(prepare_s, 2),
            "member_setup_s": round(setup_s, 2),
            "submit_wall_s": round(wall, 3),
            "throughput_per_s": round(len(pairs) / wall, 1),
            "latency_ms": {
                "p50": round(1000 * percentile(latencies, 0.50), 1),
                "p95": round(1000 * percentile(latencies, 0.95), 1),
                "p99": round(1000 * percentile(latencies, 0.99), 1),
                "max": round(1000 * max(latencies), 1),
            },
            "pooled_view_s": {
                "best": round(min(pooled_runs), 3),
                "median": round(statistics.median(pooled_runs), 3),
            },
            "pooled_view_filtered_s": {
                "best": round(min(filtered_runs), 3),
                "median": round(statistics.median(filtered_runs), 3),
            },
            "benchmark_view_s": {
                "best": round(min(bench_runs), 3),
                "median": round(statistics.median(bench_runs), 3),
            },
            "target_pooled_s": TARGET_POOLED_S,
            "checks": checks,
        }
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()
        if engine is not None:
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()
        if folder is not None:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
