"""The REST half of the stand-in: Discord's API v10 routes that the bots use.

Every request is first matched to the contract (an unknown route is a 404 *and* a problem the
test fails on), its body checked against the operation's schema (Discord's 400 "Invalid Form
Body", code 50035, and a problem), its token checked (401), then a fault injected by the test is
served if one matches, and only then the route's handler runs. A route Discord has but the
stand-in does not serve is a problem too: the test learns the stand-in needs it, never a fake
success. Answers are JSON with `Content-Type` exactly `application/json` (discord.py compares
the header, parameters and all).
"""

from __future__ import annotations

import email.parser
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from loopback.discord.contract import Contract, Operation
from loopback.discord.state import Fault, Request, State

Answer = tuple[int, Any]
Handler = Callable[["Rest", dict[str, str], Any, Request], Awaitable[Answer]]
HANDLERS: dict[tuple[str, str], Handler] = {}
UNAUTHENTICATED = ("/interactions/", "/webhooks/")  # the interaction token is the credential
SEND_FORBIDDEN = {"message": "Cannot send messages to this user", "code": 50007}


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[(method, template)] = handler
        return handler

    return register


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204:
        return web.Response(status=204, headers=headers)
    return web.Response(
        status=status, body=orjson.dumps(data), content_type="application/json", headers=headers
    )


def not_found(what: str, code: int) -> Answer:
    return 404, {"message": f"Unknown {what}", "code": code}


def fault_response(fault: Fault) -> web.Response:
    if fault.status != 429:
        body = fault.body or {"message": f"{fault.status}: fault injected by the test", "code": 0}
        return json_response(fault.status, body)
    body = fault.body or {
        "message": "You are being rate limited.",
        "retry_after": fault.retry_after,
        "global": False,
    }
    headers = {
        # discord.py treats a 429 without `Via` as a Cloudflare ban and gives up.
        "Via": "1.1 google",
        "Retry-After": str(max(1, round(fault.retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
        "X-RateLimit-Bucket": "stand-in-fault",
        "X-RateLimit-Scope": "user",
    }
    return json_response(429, body, headers)


def _multipart_payload(content_type: str, raw: bytes) -> Any:
    """The `payload_json` part of a multipart body (discord.py's way to attach files)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    parsed = email.parser.BytesParser().parsebytes(head + raw)
    for part in parsed.iter_parts():
        if part.get_param("name", header="content-disposition") == "payload_json":
            return json.loads(part.get_payload(decode=True))
    return None


class Rest:
    def __init__(self, state: State, contract: Contract, gateway_url: Callable[[], str]) -> None:
        self.state = state
        self.contract = contract
        self.gateway_url = gateway_url

    def _decode(self, operation: Operation, request: web.Request, raw: bytes) -> tuple[Any, list]:
        if not raw:
            if operation.body_required and operation.method in ("POST", "PUT", "PATCH"):
                return None, [f"{operation.operation_id}: a body is required"]
            return None, []
        content_type = request.headers.get("Content-Type", "")
        try:
            if content_type == "application/json":
                body = json.loads(raw)
            elif content_type.startswith("multipart/form-data; boundary="):
                body = _multipart_payload(content_type, raw)
            else:
                return None, [f"{operation.operation_id}: Content-Type {content_type!r}"]
        except ValueError as exc:
            return None, [f"{operation.operation_id}: the body is not JSON ({exc})"]
        if content_type == "application/json":
            return body, self.contract.raw_body_problems(operation, raw, body)
        return body, self.contract.body_problems(operation, body, "application/json")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        operation = self.contract.match(request.method, path)
        record = Request(
            method=request.method,
            path=path,
            template=operation.template if operation else None,
            query=dict(request.query),
            headers=dict(request.headers),
            raw=raw,
            body=None,
        )
        state.requests.append(record)
        try:
            response = await self._answer(operation, request, record)
        finally:
            await state.changed()
        record.status = response.status
        return response

    async def _answer(
        self, operation: Operation | None, request: web.Request, record: Request
    ) -> web.Response:
        state = self.state
        if operation is None:
            state.problems.append(f"{record.method} {record.path}: not a route of Discord's API")
            return json_response(404, {"message": "404: Not Found", "code": 0})
        record.body, problems = self._decode(operation, request, record.raw)
        if problems:
            state.problems.extend(f"{record.method} {record.path}: {p}" for p in problems)
            return json_response(400, {"message": "Invalid Form Body", "code": 50035})
        authorization = request.headers.get("Authorization") or ""
        token = authorization.removeprefix("Bot ") if authorization.startswith("Bot ") else None
        record.app = state.apps.get(token) if token is not None else None
        if not operation.template.startswith(UNAUTHENTICATED) and record.app is None:
            return json_response(401, {"message": "401: Unauthorized", "code": 0})
        fault = state.take_fault(operation.method, operation.template)
        if fault is not None:
            return fault_response(fault)
        handler = HANDLERS.get((operation.method, operation.template))
        if handler is None:
            state.problems.append(
                f"{operation.method} {operation.template}: a Discord route the stand-in does not "
                "serve yet (add it to loopback/discord/)"
            )
            return json_response(404, {"message": "404: Not Found", "code": 0})
        status, data = await handler(self, operation.params, record.body, record)
        return json_response(status, data)
