"""The registry's HTTP client (httpx), as the CLI and members' scripts use it.

The URL and token come from the arguments or from ``EQUITYAUDIT_REGISTRY_URL`` and
``EQUITYAUDIT_REGISTRY_TOKEN``. Every refusal is raised as a
:class:`~equityaudit.registry.storage.RegistryError`-like :class:`RegistryClientError` carrying
the server's message and status.
"""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

from equityaudit.errors import EquityAuditError, ExitCode

__all__ = ["DEFAULT_URL", "TOKEN_ENV", "URL_ENV", "RegistryClient", "RegistryClientError", "order_groups"]

DEFAULT_URL = "http://127.0.0.1:8765"
URL_ENV = "EQUITYAUDIT_REGISTRY_URL"
TOKEN_ENV = "EQUITYAUDIT_REGISTRY_TOKEN"


class RegistryClientError(EquityAuditError):
    """The registry refused a request, or could not be reached.

    Exit code 2 (the message says what to change: the URL, the token, the key, the request), or 4
    when the registry itself failed (a 5xx answer: a bug in the server to report).
    """

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.exit_code = ExitCode.INTERNAL_ERROR if status >= 500 else ExitCode.USAGE_ERROR


class RegistryClient:
    """A client of one registry.

    Parameters
    ----------
    url
        The registry's base URL (default: ``$EQUITYAUDIT_REGISTRY_URL`` or ``http://127.0.0.1:8765``).
    token
        A bearer token (default: ``$EQUITYAUDIT_REGISTRY_TOKEN``).
    transport
        An httpx transport (tests pass the app's ASGI transport).
    retries, backoff
        How many more times :meth:`submit` sends an envelope that got no answer or a 5xx, and the
        first pause in seconds (doubled each time).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.retries, self.backoff = retries, backoff
        self.url = (url or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get(TOKEN_ENV)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Send a request; return the JSON answer or raise :class:`RegistryClientError`."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RegistryClientError(
                f"cannot reach the registry at {self.url}: {exc}. Is 'equityaudit registry serve' running, "
                f"and is --url (or {URL_ENV}) right?"
            ) from None
        try:
            payload = response.json()
        except ValueError:
            raise RegistryClientError(
                f"{self.url}{path}: answered {response.status_code} without JSON", response.status_code
            ) from None
        if response.status_code >= 400 or not payload.get("ok", False):
            message = payload.get("error", response.text) if isinstance(payload, dict) else response.text
            hint = f" (set --token or {TOKEN_ENV})" if response.status_code == 401 else ""
            raise RegistryClientError(
                f"registry refused ({response.status_code}): {message}{hint}", response.status_code
            )
        return payload  # type: ignore[no-any-return]

    # members, keys, tokens (admin)
    def add_member(self, name: str, *, role: str = "member", public_key: str | None = None) -> dict[str, Any]:
        """Register a member (admin)."""
        return self.request(
            "POST", "/v1/members", json={"name": name, "role": role, "public_key": public_key}
        )

    def members(self) -> dict[str, Any]:
        """Every member (admin)."""
        return self.request("GET", "/v1/members")

    def add_key(self, name: str, public_key: str) -> dict[str, Any]:
        """Register another public key of a member (admin)."""
        return self.request("POST", f"/v1/members/{name}/keys", json={"public_key": public_key})

    def revoke_key(self, keyid: str) -> dict[str, Any]:
        """Revoke a key (admin)."""
        return self.request("DELETE", f"/v1/keys/{keyid}")

    def issue_token(self, name: str) -> dict[str, Any]:
        """A new token for a member (admin); shown once."""
        return self.request("POST", f"/v1/members/{name}/tokens")

    def revoke_token(self, token_id: int) -> dict[str, Any]:
        """Revoke a token (admin)."""
        return self.request("DELETE", f"/v1/tokens/{token_id}")

    def me(self) -> dict[str, Any]:
        """Who this token belongs to."""
        return self.request("GET", "/v1/me")

    def disclose(self, public: bool) -> dict[str, Any]:
        """Opt in to being named in views (or back out)."""
        return self.request("PATCH", "/v1/me", json={"public": public})

    # standards
    def publish_standard(self, document: dict[str, Any]) -> dict[str, Any]:
        """Publish a standard (admin)."""
        return self.request("POST", "/v1/standards", json={"document": document})

    def standards(self) -> dict[str, Any]:
        """The published standards."""
        return self.request("GET", "/v1/standards")

    def standard(self, ref: str) -> dict[str, Any]:
        """One published standard's document."""
        return self.request("GET", f"/v1/standards/{ref}")

    # submissions and views
    def submit(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Submit a signed envelope (member), retrying when the registry could not answer.

        A submission is identified by its payload's SHA-256: the registry stores an envelope once
        and answers the same envelope again with the stored entry (``duplicate: true``). So a
        request that failed on the way (no answer, a timeout, a 502/503/504 from a proxy, a 500
        from a server under load) is sent again, up to ``retries`` more times with a growing pause
        (0.5 s, 1 s, 2 s, …); whichever attempt was stored, the answer names the one entry.
        Refusals (4xx) are not retried.
        """
        for attempt in range(self.retries + 1):
            try:
                return self.request("POST", "/v1/submissions", json={"envelope": envelope})
            except RegistryClientError as exc:
                if attempt == self.retries or not (exc.status == 0 or exc.status >= 500):
                    raise
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def submissions(self) -> dict[str, Any]:
        """The caller's submissions."""
        return self.request("GET", "/v1/submissions")

    def submission(self, seq: int) -> dict[str, Any]:
        """One of the caller's raw submissions."""
        return self.request("GET", f"/v1/submissions/{seq}")

    def verify_log(self) -> dict[str, Any]:
        """Have the registry re-check its hash chain."""
        return self.request("GET", "/v1/log/verify")

    def _view(self, ref: str, view: str, tool: str | None, vendor: str | None) -> dict[str, Any]:
        params = {k: v for k, v in (("tool", tool), ("vendor", vendor)) if v is not None}
        return self.request("GET", f"/v1/standards/{ref}/{view}", params=params)

    def results(self, ref: str, *, tool: str | None = None, vendor: str | None = None) -> dict[str, Any]:
        """Members' latest results under a standard."""
        return self._view(ref, "results", tool, vendor)

    def benchmark(self, ref: str, *, tool: str | None = None, vendor: str | None = None) -> dict[str, Any]:
        """The benchmark view."""
        return self._view(ref, "benchmark", tool, vendor)

    def pooled(self, ref: str, *, tool: str | None = None, vendor: str | None = None) -> dict[str, Any]:
        """The pooled collective audit (its result under ``result``, groups in their tables' order)."""
        answer = self._view(ref, "pooled", tool, vendor)
        answer["result"] = order_groups(answer["result"])
        return answer


def order_groups(result: dict[str, Any]) -> dict[str, Any]:
    """Put every group's attributes back in its table's order (canonical JSON sorts keys).

    Examples
    --------
    >>> order_groups({"tables": [{"by": ["sex", "age"], "reference": {"age": "a", "sex": "F"}, "rows": []}]})
    {'tables': [{'by': ['sex', 'age'], 'reference': {'sex': 'F', 'age': 'a'}, 'rows': []}]}
    """

    def ordered(group: Any, by: list[str]) -> Any:
        if not isinstance(group, dict) or set(group) != set(by):
            return group
        return {a: group[a] for a in by}

    by_table = {}
    for table in result.get("tables") or []:
        by = table.get("by") or []
        by_table[table.get("name")] = by
        table["reference"] = ordered(table.get("reference"), by)
        for row in table.get("rows") or []:
            row["group"] = ordered(row.get("group"), by)
    for finding in result.get("findings") or []:
        by = by_table.get(finding.get("table"), [])
        finding["group"] = ordered(finding.get("group"), by)
        finding["reference"] = ordered(finding.get("reference"), by)
    for counts in result.get("counts") or []:
        for row in counts.get("rows") or []:
            row["group"] = ordered(row.get("group"), counts.get("by") or [])
    return result
