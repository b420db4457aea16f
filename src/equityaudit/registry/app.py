"""The registry's HTTP API (FastAPI): every route under ``/v1``, JSON in and out.

Every request but ``GET /v1/health`` carries ``Authorization: Bearer TOKEN``; a missing, unknown
or revoked token gets 401, a token of the wrong role 403. Errors are always
``{"ok": false, "error": MESSAGE, "status": CODE}``; request bodies over ``max_body`` bytes get
413 before they are read in full.
"""

from __future__ import annotations

import errno
import json
import socket
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from equityaudit.registry.semantics import refuse_contradictions
from equityaudit.registry.storage import Caller, Registry, RegistryError
from equityaudit.registry.wording import possessive
from equityaudit.version import __version__

__all__ = ["DEFAULT_MAX_BODY", "MAX_ERROR", "bind_socket", "create_app"]

DEFAULT_MAX_BODY = 2 * 1024 * 1024
"""Largest request body accepted, in bytes (a signed result is typically 20-200 kB)."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` for the server to listen on.

    Raises
    ------
    RegistryError
        The address cannot be used (a port in use, a host that is not this machine's, a port that
        needs privileges); the message names the address and what to change.
    """
    where = f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, OverflowError) as exc:
        raise RegistryError(
            f"cannot listen on {where}: {exc}; pass --host with an address or name of this machine "
            "(127.0.0.1, or 0.0.0.0 for every interface) and --port from 1 to 65535"
        ) from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            problem = (
                f"port {port} is already in use (another program, perhaps a registry already running, "
                "listens there); stop it, or choose another --port"
            )
        elif exc.errno == errno.EACCES:
            problem = (
                f"permission denied; port {port} needs administrator rights: choose --port 1024 or above"
            )
        else:
            problem = (
                f"{exc.strerror or exc}; pass --host with an address of this machine (127.0.0.1, or 0.0.0.0 "
                "for every interface)"
            )
        raise RegistryError(f"cannot listen on {where}: {problem}") from None
    sock.set_inheritable(True)
    return sock


MAX_ERROR = 2000
"""Longest error message the registry answers with, in characters (longer ones are cut, with "…")."""


def _error(message: str, status: int) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if len(message) > MAX_ERROR:
        message = message[: MAX_ERROR - 1] + "…"
    return JSONResponse(
        {"ok": False, "error": message, "status": status}, status_code=status, headers=headers
    )


class BodyLimit:
    """Refuse request bodies over ``max_body`` bytes with 413, by header or while streaming.

    A body without a ``Content-Length`` (``Transfer-Encoding: chunked``) is read here, up to
    ``max_body`` bytes, before the app sees it, and handed on in one piece: refusing it from inside
    the app would not work, as FastAPI turns any error raised while it reads a body into 400.
    """

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _error(f"request body too large: at most {self.max_body} bytes", 413)
        await response(scope, receive, send)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberIn(_In):
    name: str = Field(min_length=1, max_length=100)
    role: str = "member"
    public_key: str | None = None
    public: bool = False


class KeyIn(_In):
    public_key: str


class DisclosureIn(_In):
    public: bool


class StandardIn(_In):
    document: dict[str, Any]


class SubmissionIn(_In):
    envelope: dict[str, Any]


def create_app(registry: Registry, *, max_body: int = DEFAULT_MAX_BODY) -> FastAPI:
    """The FastAPI application over a registry (already migrated and bootstrapped)."""
    app = FastAPI(
        title="equityaudit registry",
        version=__version__,
        openapi_url="/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(BodyLimit, max_body=max_body)

    @app.exception_handler(RegistryError)
    async def _registry_error(request: Request, exc: RegistryError) -> JSONResponse:
        return _error(str(exc), exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(str(exc.detail), exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()[:5]
        )
        return _error(f"invalid request: {problems}", 422)

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
        return _error(f"internal error: {type(exc).__name__}", 500)

    def caller(request: Request) -> Caller:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return registry.authenticate(token.strip() if scheme.lower() == "bearer" else None)

    def admin(who: Caller = Depends(caller)) -> Caller:  # noqa: B008 - FastAPI's dependency idiom
        if who.role != "admin":
            raise RegistryError(f"this needs an admin token; yours is {possessive(who.role)}", 403)
        return who

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "service": "equityaudit registry", "version": __version__}

    @app.get("/v1/me")
    def me(who: Caller = Depends(caller)) -> dict[str, Any]:  # noqa: B008
        return {
            "ok": True,
            "name": who.name,
            "role": who.role,
            "public": who.public,
            "pseudonym": registry.pseudonym(who.id),
        }

    @app.patch("/v1/me")
    def disclose(body: DisclosureIn, who: Caller = Depends(caller)) -> dict[str, Any]:  # noqa: B008
        registry.set_public(who, body.public)
        return {"ok": True, "public": body.public}

    @app.get("/v1/members")
    def members(who: Caller = Depends(admin)) -> dict[str, Any]:  # noqa: B008
        return {"ok": True, "members": registry.list_members()}

    @app.post("/v1/members", status_code=201)
    def add_member(body: MemberIn, who: Caller = Depends(admin)) -> dict[str, Any]:  # noqa: B008
        member = registry.add_member(body.name, body.role, public_key=body.public_key, public=body.public)
        return {"ok": True, **member}

    @app.post("/v1/members/{name}/keys", status_code=201)
    def add_key(name: str, body: KeyIn, who: Caller = Depends(admin)) -> dict[str, Any]:  # noqa: B008
        return {"ok": True, "keyid": registry.add_key(name, body.public_key)}

    @app.delete("/v1/keys/{keyid}")
    def revoke_key(keyid: str, who: Caller = Depends(admin)) -> dict[str, Any]:  # noqa: B008
        registry.revoke_key(keyid)
        return {"ok": True, "revoked": keyid}

    @app.post("/v1/members/{name}/tokens", status_code=201)
    def issue_token(name: str, who: Caller = Depends(admin)) -> dict[str, Any]:  # noqa: B008
        return {"ok": True, **registry.issue_token(name)}

    @app.delete("/v1/tokens/{token_id}")
    def revoke_token(token_id: int, who: Caller = Depends(admin)) -> dict[str, Any]:  # noqa: B008
        registry.revoke_token(token_id)
        return {"ok": True, "revoked": token_id}

    @app.get("/v1/standards")
    def standards(who: Caller = Depends(caller)) -> dict[str, Any]:  # noqa: B008
        return {"ok": True, "standards": registry.list_standards()}

    @app.post("/v1/standards")
    def publish(body: StandardIn, who: Caller = Depends(admin)) -> JSONResponse:  # noqa: B008
        created, standard = registry.publish_standard(body.document, who)
        payload = {"ok": True, "ref": standard.ref, "sha256": standard.sha256, "created": created}
        return JSONResponse(payload, status_code=201 if created else 200)

    @app.get("/v1/standards/{ref}")
    def standard(ref: str, who: Caller = Depends(caller)) -> dict[str, Any]:  # noqa: B008
        found = registry.standard(ref)
        out = {"ok": True, "ref": found.ref, "sha256": found.sha256, "document": found.document}
        if found.privacy is not None:  # the budget of observers' differentially private pooled views
            spent = registry.privacy_spent(ref)
            left = max(0.0, found.privacy.budget - spent["epsilon_spent"])
            out["privacy"] = {**spent, "budget": found.privacy.budget, "budget_left": left}
        return out

    @app.post("/v1/submissions")
    def submit(body: SubmissionIn, who: Caller = Depends(caller)) -> JSONResponse:  # noqa: B008
        created, entry = registry.submit(who, body.envelope, recheck=refuse_contradictions)
        return JSONResponse(
            {"ok": True, "duplicate": not created, **entry}, status_code=201 if created else 200
        )

    @app.get("/v1/submissions")
    def submissions(who: Caller = Depends(caller)) -> dict[str, Any]:  # noqa: B008
        return {"ok": True, "submissions": registry.list_submissions(who)}

    @app.get("/v1/submissions/{seq}")
    def submission(seq: int, who: Caller = Depends(caller)) -> dict[str, Any]:  # noqa: B008
        return {"ok": True, **registry.get_submission(who, seq)}

    @app.get("/v1/log/verify")
    def verify_log(who: Caller = Depends(caller)) -> dict[str, Any]:  # noqa: B008
        return {"ok": True, **registry.verify_log()}

    _views(app, registry, caller)
    return app


def _views(app: FastAPI, registry: Registry, caller: Any) -> None:
    """The read-only views over a standard's submissions (results, benchmark, pooled audit)."""
    from equityaudit.registry import pooling

    @app.get("/v1/standards/{ref}/results")
    def results(
        ref: str,
        tool: str | None = None,
        vendor: str | None = None,
        who: Caller = Depends(caller),  # noqa: B008
    ) -> dict[str, Any]:
        return {"ok": True, **pooling.results_view(registry, ref, who, tool=tool, vendor=vendor)}

    @app.get("/v1/standards/{ref}/benchmark")
    def benchmark(
        ref: str,
        tool: str | None = None,
        vendor: str | None = None,
        who: Caller = Depends(caller),  # noqa: B008
    ) -> dict[str, Any]:
        return {"ok": True, **pooling.benchmark_view(registry, ref, who, tool=tool, vendor=vendor)}

    @app.get("/v1/standards/{ref}/pooled")
    def pooled(
        ref: str,
        tool: str | None = None,
        vendor: str | None = None,
        who: Caller = Depends(caller),  # noqa: B008
    ) -> dict[str, Any]:
        result = pooling.pooled_view(registry, ref, tool=tool, vendor=vendor, caller=who)
        return {"ok": True, "result": json.loads(result.to_json())}
