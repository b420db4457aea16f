"""The columns stored beside each log entry, derived from its signed envelope and checked against it.

The views read ``counts`` (the pooled audit), ``summary`` (results and benchmark), ``meta``,
``tool`` and ``vendor`` (filters) from columns of their own, outside the entry's hash. They are
derived from the signed envelope (:func:`summarise`, :func:`stored_text`) when a result is
accepted, and :func:`check_derived` derives them again from the stored envelope to name every
column that differs.
"""

from __future__ import annotations

import json
from typing import Any

from equityaudit.registry.models import Submission
from equityaudit.results import canonical_json
from equityaudit.signing import EnvelopeError, SignatureError, load_public_key, verify_envelope

__all__ = ["check_derived", "stored_text", "summarise"]


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    """What the results and benchmark views read of a result (kept beside its envelope).

    Derived from the signed result alone, so :meth:`~equityaudit.registry.storage.Registry.verify_log` can derive it again and
    compare it with what is stored.
    """
    return {
        "name": result["audit"]["name"],
        "verdict": result["verdict"],
        "rows": result["data"]["rows"],
        "metrics": sorted({t["metric"] for t in result.get("tables") or []}),
        "findings": [
            {
                "id": f["id"],
                "metric": f["metric"],
                "table": f["table"],
                "group": f["group"],
                "value": f["value"],
                "status": f["status"],
                "n": (f.get("details") or {}).get("n"),
            }
            for f in result.get("findings") or []
        ],
    }


def check_derived(row: Submission, keys: dict[str, tuple[int, str]]) -> list[str]:
    """What is wrong with a log entry's stored columns, judged against its signed envelope.

    The views read ``counts`` (pooled), ``summary`` (results, benchmark), ``meta``, ``tool`` and
    ``vendor`` (filters) from their own columns; each must equal what the envelope — bound into
    the chain by its payload digest — says, and the envelope must verify with the key the entry
    names, registered to the entry's member.
    """
    key = keys.get(row.keyid)
    if key is None or key[0] != row.member_id:
        return [f"the entry's key {row.keyid} is not registered to its member"]
    try:
        verified = verify_envelope(json.loads(row.envelope), [load_public_key(key[1])])
    except (EnvelopeError, SignatureError, ValueError) as exc:
        return [f"the stored envelope does not verify with the entry's key {row.keyid}: {exc}"]
    result, metadata = verified.result, verified.metadata
    problems = []
    standard = (result.get("audit") or {}).get("standard") or {}
    if (
        f"{standard.get('id')}@{standard.get('version')}" != row.standard_ref
        or standard.get("sha256") != row.standard_sha256
    ):
        problems.append("the entry's standard does not match the signed result's")
    compared = (
        (
            row.counts,
            (result.get("counts") or [None])[0],
            "the stored counts differ from the signed result's",
        ),
        (
            row.summary,
            summarise(result),
            "the stored summary (verdict, findings) differs from the signed result's",
        ),
        (row.meta, metadata, "the stored metadata differs from the signed metadata"),
    )
    for stored, derived, problem in compared:
        if canonical_json(stored) != canonical_json(derived):
            problems.append(problem)
    if (row.tool, row.vendor) != (stored_text(metadata.get("tool")), stored_text(metadata.get("vendor"))):
        problems.append("the entry's tool or vendor does not match the signed metadata")
    return problems


def stored_text(value: Any) -> str | None:
    """A metadata value as the ``tool`` and ``vendor`` columns store it: text of at most 200 characters."""
    return None if value is None else str(value)[:200]
