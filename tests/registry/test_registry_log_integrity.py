"""The log vouches for what the views read: counts, summaries and metadata edited in the database are named."""

from __future__ import annotations

import copy
from typing import Any

from click.testing import CliRunner
from registry_kit import BIG, RETAIL, Setup, audit, member_frame

from equityaudit.cli import main
from equityaudit.registry.models import Submission
from equityaudit.signing import key_id


def _edit(setup: Setup, seq: int, column: str, change: Any) -> None:
    """Someone with database access edits a stored column behind the server's back."""
    with setup.registry.sessions.begin() as session:
        row = session.get(Submission, seq)
        assert row is not None
        value = copy.deepcopy(getattr(row, column))
        change(value)
        setattr(row, column, value)


def _verify(setup: Setup) -> dict[str, Any]:
    answer: dict[str, Any] = setup.http.get("/v1/log/verify", headers=setup.admin()).json()
    return answer


def test_edited_counts_summary_and_metadata_are_named_by_verify_log(setup: Setup, cli: CliRunner) -> None:
    setup.publish()
    members = [setup.add_member(name) for name in ("alice", "bob", "carol")]
    results = [audit(member_frame(BIG), name=m.name) for m in members]
    for member, result in zip(members, results, strict=True):
        assert member.submit(member.sign(result, tool="ScreenPro")).status_code == 201
    assert _verify(setup)["valid"] is True

    def pooled_rows() -> int:
        answer = setup.http.get(f"/v1/standards/{RETAIL}/pooled", headers=setup.admin()).json()
        return int(answer["result"]["data"]["rows"])

    assert pooled_rows() == 3 * 420  # BIG has 120 + 80 + 130 + 90 = 420 applicants
    first_n = results[1].counts[0].rows[0]["n"]

    def inflate(counts: dict[str, Any]) -> None:
        counts["rows"][0]["n"] = 9000

    _edit(setup, 2, "counts", inflate)
    assert pooled_rows() == 3 * 420 - first_n + 9000  # the edit reaches the pooled view ...

    verdict = results[2].verdict
    forged = "pass" if verdict != "pass" else "fail"

    def flip(summary: dict[str, Any]) -> None:
        summary["verdict"] = forged

    _edit(setup, 3, "summary", flip)
    shown = setup.http.get(f"/v1/standards/{RETAIL}/results", headers=setup.admin()).json()["results"]
    assert [r["verdict"] for r in shown] == [verdict, verdict, forged]  # ... and this one the results view

    def retool(meta: dict[str, Any]) -> None:
        meta["tool"] = "HireFast"

    _edit(setup, 1, "meta", retool)
    answer = _verify(setup)  # ... but none of them is in the entry's hash: verify-log re-derives them
    assert answer["valid"] is False and answer["entries"] == 3
    assert answer["problems"] == [
        {"seq": 1, "problem": "the stored metadata differs from the signed metadata"},
        {"seq": 2, "problem": "the stored counts differ from the signed result's"},
        {"seq": 3, "problem": "the stored summary (verdict, findings) differs from the signed result's"},
    ]
    printed = cli.invoke(main, ["registry", "verify-log"])
    assert printed.exit_code == 1
    assert printed.output.splitlines() == [
        "entry 1: the stored metadata differs from the signed metadata",
        "entry 2: the stored counts differ from the signed result's",
        "entry 3: the stored summary (verdict, findings) differs from the signed result's",
    ]


def test_a_tool_column_edited_with_its_hash_recomputed_is_still_caught(setup: Setup) -> None:
    # the tool column is in the entry's hash; an editor who also recomputes that hash (and every
    # later link) still leaves the signed metadata saying otherwise
    from equityaudit.registry.models import ChainHead
    from equityaudit.registry.storage import _entry, entry_hash

    setup.publish()
    alice = setup.add_member("alice")
    assert alice.submit(alice.sign(audit(member_frame(BIG)), tool="ScreenPro")).status_code == 201
    with setup.registry.sessions.begin() as session:
        row = session.get(Submission, 1)
        head = session.get(ChainHead, 1)
        assert row is not None and head is not None
        row.tool = "Tiny"
        row.entry_hash = head.entry_hash = entry_hash(_entry(row))
    assert _verify(setup)["problems"] == [
        {"seq": 1, "problem": "the entry's tool or vendor does not match the signed metadata"}
    ]


def test_an_envelope_under_another_members_key_is_caught(setup: Setup) -> None:
    setup.publish()
    alice, bob = setup.add_member("alice"), setup.add_member("bob")
    assert alice.submit(alice.sign(audit(member_frame(BIG)))).status_code == 201
    bobs = key_id(bob.key.public_key())
    with setup.registry.sessions.begin() as session:  # re-attribute the entry to bob's key
        row = session.get(Submission, 1)
        assert row is not None
        row.keyid = bobs
    problems = _verify(setup)["problems"]
    assert {"seq": 1, "problem": f"the entry's key {bobs} is not registered to its member"} in problems
    assert {"seq": 1, "problem": "the entry's fields do not match its hash"} in problems
