"""A local SendGrid (Mail Send v3) for the tests and the benchmark: real HTTP on 127.0.0.1.

Every request is checked against SendGrid's own OpenAPI contract (tests/contracts/sendgrid, a
copy so the suite runs on any clone) and against the documented limits the schema cannot
express; a request that breaks them gets SendGrid's 400 and is kept in `violations`, which a
test asserts is empty. Accepted messages are kept in `accepted` (and, with `record`, appended to
a file, one line per recipient, flushed per request, so another process can count them even
after a crash). Faults are injected on demand: 429 with rate-limit headers, 5xx, slow answers,
dropped connections, 400 with SendGrid's error body. It also reports back as SendGrid does:
`events()` builds Event Webhook events for accepted recipients and `post_events()` posts them to
the hub, signed with the test's ECDSA key.

In-process::

    async with SendgridServer() as server:
        ... server.url ...

As its own process (benchmark, crash tests); the URL is the first line on stdout::

    python -m loopback.sendgrid --port 0 --record FILE [--latency-ms N]
        [--validate full|sample] [--api-key KEY]

The process takes faults as JSON posted to /__fake__/faults, e.g. {"kind": "rate_limit",
"count": 2, "reset_after": 1}; `kind` is one of rate_limit, error, slow, drop, reject.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import sys
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Self

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec

from loopback.sendgrid.contract import (
    MAX_BODY_BYTES,
    MAX_PERSONALIZATIONS,
    Contract,
    Problem,
    limit_problems,
)
from loopback.webhook_signing import signed_headers

CONTROL_PREFIX = "/__fake__/"


@dataclass(frozen=True)
class Violation:
    """A request the real SendGrid would refuse: the code under test is wrong."""

    method: str
    path: str
    problems: list[Problem]


@dataclass(frozen=True)
class Accepted:
    body: dict[str, Any]
    message_id: str


@dataclass
class Fault:
    """What the next mail send answers instead of 202 (see the module docstring)."""

    kind: str
    status: int = 500
    delay: float = 0.0  # slow: seconds before answering (then accepted as usual)
    reset_after: float = 1.0  # rate_limit: seconds until X-RateLimit-Reset
    retry_after: bool = False  # rate_limit: Retry-After instead of X-RateLimit-Reset
    problems: list[Problem] = field(default_factory=list)  # reject: the 400's errors

    KINDS = ("rate_limit", "error", "slow", "drop", "reject")


def _errors(*problems: Problem) -> dict[str, Any]:
    return {"errors": [p.as_json() for p in problems]}


class SendgridServer:
    """The fake SendGrid; `api_key=None` accepts any bearer token."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        validate: str = "full",
        sample_every: int = 50,
        latency: float = 0.0,
        record: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        keep_bodies: bool = True,
    ) -> None:
        """`keep_bodies=False` (the process) keeps counts only: a benchmark's bodies would
        take gigabytes."""
        if validate not in ("full", "sample"):
            raise ValueError(f"validate: 'full' or 'sample', not {validate!r}")
        self.api_key = api_key
        self.validate = validate
        self.sample_every = sample_every
        self.latency = latency
        self.host, self.port = host, port
        self.record_path = record
        self.contract = Contract()
        self.keep_bodies = keep_bodies
        self.accepted: list[Accepted] = []
        self.accepted_requests = 0
        self.accepted_recipients = 0
        self.violations: list[Violation] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every API request
        self.batch_ids: set[str] = set()
        self._faults: deque[Fault] = deque()
        self._mail_sends = 0
        self._record: IO[str] | None = None
        self._runner: web.AppRunner | None = None

    # -- fault injection -------------------------------------------------------------------

    def inject(self, fault: Fault, count: int = 1) -> None:
        """The next `count` valid mail sends get `fault`, after earlier injected faults."""
        if fault.kind not in Fault.KINDS:
            raise ValueError(f"fault kind: one of {Fault.KINDS}, not {fault.kind!r}")
        self._faults.extend([fault] * count)

    def rate_limit(
        self, count: int = 1, *, reset_after: float = 1.0, retry_after: bool = False
    ) -> None:
        fault = Fault("rate_limit", 429, reset_after=reset_after, retry_after=retry_after)
        self.inject(fault, count)

    def fail(self, count: int = 1, *, status: int = 500) -> None:
        self.inject(Fault("error", status), count)

    def slow(self, count: int = 1, *, delay: float) -> None:
        self.inject(Fault("slow", delay=delay), count)

    def drop(self, count: int = 1) -> None:
        self.inject(Fault("drop"), count)

    def reject(self, message: str, field: str | None = None, count: int = 1) -> None:
        self.inject(Fault("reject", 400, problems=[Problem(message, field)]), count)

    # -- what was accepted -----------------------------------------------------------------

    def recipients(self) -> list[str]:
        """Every accepted `to` address, in order: a duplicate here is a person mailed twice."""
        return [
            to["email"]
            for accepted in self.accepted
            for p in accepted.body["personalizations"]
            for to in p["to"]
        ]

    # -- event webhooks ----------------------------------------------------------------------

    def events(self, event: str, emails: Iterable[str], **extra: Any) -> list[dict[str, Any]]:
        """Events as SendGrid's Event Webhook reports them for these accepted recipients: their
        custom_args at the top level, a unique sg_event_id, the request's message id."""
        wanted = set(emails)
        found = []
        for accepted in self.accepted:
            for p in accepted.body["personalizations"]:
                email = p["to"][0]["email"]
                if email in wanted:
                    found.append(
                        {
                            "email": email,
                            "event": event,
                            "timestamp": int(time.time()),
                            "sg_event_id": secrets.token_urlsafe(16),
                            "sg_message_id": f"{accepted.message_id}.filter0001.{len(found)}",
                            "category": accepted.body.get("categories", []),
                            **p.get("custom_args", {}),
                            **extra,
                        }
                    )
        return found

    async def post_events(
        self, hub_url: str, events: list[dict[str, Any]], key: ec.EllipticCurvePrivateKey
    ) -> int:
        """Post events to the hub's webhook, signed as SendGrid signs them; the answer's status."""
        body = json.dumps(events).encode()
        headers = {
            "Content-Type": "application/json",
            **signed_headers(key, body, int(time.time())),
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{hub_url}/webhooks/sendgrid", data=body, headers=headers) as r,
        ):
            return r.status

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=MAX_BODY_BYTES + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        if self.record_path is not None:
            self._record = self.record_path.open("a", encoding="utf-8")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._record is not None:
            self._record.close()

    # -- requests ----------------------------------------------------------------------------

    def _refuse(self, request: web.Request, status: int, *problems: Problem) -> web.Response:
        self.violations.append(Violation(request.method, request.path, list(problems)))
        print(f"violation: {request.method} {request.path} {problems}", file=sys.stderr)
        return web.json_response(_errors(*problems), status=status)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await self._control(request)
        raw = await request.read()
        self.requests.append((request.method, request.path))
        if self.latency:
            await asyncio.sleep(self.latency)
        operation, status = self.contract.operation(request.method, request.path)
        if operation is None:
            message = "not found" if status == 404 else "method not allowed"
            return self._refuse(request, status, Problem(message))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not request.headers.get("Authorization", "").startswith("Bearer ") or not token:
            return self._refuse(request, 401, Problem("authorization required"))
        if self.api_key is not None and not secrets.compare_digest(token, self.api_key):
            problem = Problem("The provided authorization grant is invalid, expired, or revoked")
            return web.json_response(_errors(problem), status=401)
        if operation == "CreateMailBatch":
            batch_id = secrets.token_urlsafe(24)
            self.batch_ids.add(batch_id)
            return web.json_response({"batch_id": batch_id}, status=201)
        if operation == "GetMailBatch":
            batch_id = request.path.rsplit("/", 1)[1]
            if batch_id not in self.batch_ids:
                return web.json_response(_errors(Problem("invalid batch id")), status=400)
            return web.json_response({"batch_id": batch_id})
        return await self._mail_send(request, raw)

    async def _mail_send(self, request: web.Request, raw: bytes) -> web.StreamResponse:
        if request.content_type != "application/json":
            return self._refuse(
                request, 400, Problem("Content-Type should be application/json.", "content-type")
            )
        if len(raw) > MAX_BODY_BYTES:
            return self._refuse(request, 413, Problem("content too large"))
        try:
            body = json.loads(raw)
        except ValueError:
            return self._refuse(request, 400, Problem("Bad Request: invalid JSON", None))
        self._mail_sends += 1
        full = self.validate == "full" or (self._mail_sends - 1) % self.sample_every == 0
        checked, problems = body, []
        if not full and isinstance(body, dict) and isinstance(body.get("personalizations"), list):
            checked = body | {"personalizations": body["personalizations"][:1]}
            if len(body["personalizations"]) > MAX_PERSONALIZATIONS:
                problems.append(Problem("Too many personalizations", "personalizations"))
        problems += self.contract.schema_problems(checked)
        if isinstance(body, dict):
            problems += limit_problems(body, every_personalization=full)
            batch_id = body.get("batch_id")
            if isinstance(batch_id, str) and batch_id not in self.batch_ids:
                problems.append(Problem("invalid batch id", "batch_id"))
        if problems:
            return self._refuse(request, 400, *problems)
        fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault.kind != "slow":
            return self._answer_fault(request, fault)
        if fault is not None:
            await asyncio.sleep(fault.delay)
        return self._accept(body)

    def _answer_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind == "drop":
            assert request.transport is not None
            request.transport.abort()  # the body was read; no answer ever comes
            raise asyncio.CancelledError
        if fault.kind == "rate_limit":
            reset = time.time() + fault.reset_after
            headers = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0"}
            if fault.retry_after:
                headers["Retry-After"] = str(math.ceil(fault.reset_after))
            else:
                headers["X-RateLimit-Reset"] = str(math.ceil(reset))
            problem = Problem("too many requests")
            return web.json_response(_errors(problem), status=429, headers=headers)
        if fault.kind == "reject":
            return web.json_response(_errors(*fault.problems), status=400)
        return web.json_response(_errors(Problem("internal server error")), status=fault.status)

    def _accept(self, body: dict[str, Any]) -> web.Response:
        message_id = secrets.token_urlsafe(16)[:22]
        self.accepted_requests += 1
        self.accepted_recipients += sum(len(p["to"]) for p in body["personalizations"])
        if self.keep_bodies:
            self.accepted.append(Accepted(body, message_id))
        if self._record is not None:
            self._record.write(
                "".join(
                    f"{to['email']}\t{p.get('custom_args', {}).get('send_log_id', '')}"
                    f"\t{message_id}\n"
                    for p in body["personalizations"]
                    for to in p["to"]
                )
            )
            self._record.flush()
        return web.Response(status=202, headers={"X-Message-Id": message_id})

    async def _control(self, request: web.Request) -> web.Response:
        """Fault injection and counters for a server running as its own process."""
        if request.path == CONTROL_PREFIX + "faults" and request.method == "POST":
            spec = await request.json()
            count = int(spec.pop("count", 1))
            problems = [Problem(**p) for p in spec.pop("problems", [])]
            self.inject(Fault(problems=problems, **spec), count)
            return web.json_response({"pending": len(self._faults)})
        if request.path == CONTROL_PREFIX + "stats":
            return web.json_response(
                {
                    "requests": len(self.requests),
                    "accepted": self.accepted_requests,
                    "recipients": self.accepted_recipients,
                    "violations": len(self.violations),
                }
            )
        raise web.HTTPNotFound()
