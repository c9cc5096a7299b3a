"""The connections the hub accepts: slow clients cannot hold it, broken requests get French.

aiohttp reads requests in its own protocol (`RequestHandler`), before any middleware. Three
things are decided there, so `HubRunner` gives the server a protocol of our own:

- **A request head has `[web].header_timeout_seconds`** from the connection's opening (or from
  the previous answer on a kept-alive connection): aiohttp's keep-alive timer is armed at both
  moments and is not pushed back by the bytes that trickle in, so a client that sends half a
  head and waits, or one byte now and then, is disconnected when it expires. (The body has its
  own deadline: `hub.web.errors`.)
- **One address holds at most `[web].max_connections_per_address` connections** (an IPv6
  address counts with its /64, which one machine usually has whole). One more is answered at
  once with a French 429 page and closed, without reading anything.
- **A request aiohttp cannot even parse** (bytes that are not a request line, a raw non-ASCII
  URL, a line over 8 KiB, a bad chunk size) gets the French 400 page, and one log line instead
  of aiohttp's English text and traceback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections import Counter
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, HttpProcessingError
from aiohttp.web_protocol import RequestHandler, RequestPayloadError
from aiohttp.web_request import BaseRequest

from hub.config import WebConfig
from hub.web.errors import CLIENT_ERRORS, BodyTimeout
from hub.web.pages import PAGE_CSP, PAGES_KEY

log = logging.getLogger("hub.web.connections")

REFUSED_LINGER_SECONDS = 1.0  # a refused connection is read (and ignored) this long, then closed
# Broken requests, or a client gone: the client's doing, logged as one line.
_CLIENT_FAULTS = (HttpProcessingError, RequestPayloadError, ConnectionError, BodyTimeout)
_SERVER_ERROR = (
    "Erreur du serveur",
    "Une erreur inattendue nous empêche d'afficher cette page. Réessayez dans un instant.",
)
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": PAGE_CSP,
}


def address_key(peername: Any) -> str | None:
    """What the connection cap counts by: the IPv4 address, or the IPv6 address's /64; None
    for what has no IP address (a Unix socket)."""
    if not isinstance(peername, tuple) or not peername:
        return None
    try:
        ip = ipaddress.ip_address(str(peername[0]).split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class ConnectionGuard:
    """The open connections by address, and the pages answered at the protocol level."""

    def __init__(self, limit: int, pages: dict[int, str]) -> None:
        self.limit = limit  # 0: no cap
        self.open: Counter[str] = Counter()
        self._warned: set[str] = set()
        self.pages = {status: html.encode() for status, html in pages.items()}

    def admit(self, key: str) -> bool:
        if self.limit and self.open[key] >= self.limit:
            if key not in self._warned:  # one line per address reaching the cap, not per try
                self._warned.add(key)
                log.warning(
                    "connections refused: too many from one address",
                    extra={"remote": key, "limit": self.limit},
                )
            return False
        self.open[key] += 1
        return True

    def release(self, key: str) -> None:
        self.open[key] -= 1
        if self.open[key] <= 0:
            del self.open[key]
        if self.open[key] < self.limit:
            self._warned.discard(key)

    def too_many(self) -> bytes:
        """The raw 429 answer, sent before any request is read."""
        body = self.pages[429]
        head = (
            "HTTP/1.1 429 Too Many Requests\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Retry-After: 5\r\n"
            "Connection: close\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in _SECURITY_HEADERS.items())
            + "\r\n"
        )
        return head.encode("ascii") + body


class GuardedRequestHandler(RequestHandler):
    """aiohttp's protocol, with the connection cap and French, quiet answers to broken
    requests (see the module)."""

    def __init__(self, manager: web.Server, *, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self.guard = guard
        self.address: str | None = None
        self.refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        key = address_key(transport.get_extra_info("peername"))
        if key is not None and not self.guard.admit(key):
            self.refused = True
            assert isinstance(transport, asyncio.WriteTransport)
            transport.write(self.guard.too_many())
            if transport.can_write_eof():
                transport.write_eof()
            # Closed a little later: what the client sent meanwhile is read and dropped, so the
            # close is not a reset that could destroy the answer before the client reads it.
            asyncio.get_running_loop().call_later(REFUSED_LINGER_SECONDS, transport.close)
            return
        self.address = key
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self.refused:
            super().data_received(data)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.refused:
            return
        if self.address is not None:
            self.guard.release(self.address)
            self.address = None
        super().connection_lost(exc)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A request aiohttp could not parse (status 400), or an error that escaped the
        application (never expected: its middleware answers everything)."""
        if status >= 500:
            log.error("request failed outside the application", exc_info=exc)
            html = self.guard.pages[500]
        else:
            first_garbage = self._request_count == 1 and isinstance(exc, BadHttpMethod)
            (log.debug if first_garbage else log.warning)(
                "request refused",
                extra={
                    "status": status,
                    "problem": f"unparsable request: {type(exc).__name__ if exc else status}",
                    "remote": request.remote,
                },
            )
            html = self.guard.pages[400]
        if request.writer.output_size > 0:  # an answer was started: the connection is lost
            raise ConnectionError("the answer had already begun")
        response = web.Response(status=status, body=html, content_type="text/html", charset="utf-8")
        response.headers.update(_SECURITY_HEADERS)
        response.force_close()
        return response

    def log_exception(self, *args: Any, **kw: Any) -> None:
        """aiohttp logs with a traceback what fails while it drains an unread body: a broken
        or abandoned body is the client's doing, one line is enough."""
        exc = kw.get("exc_info")
        if isinstance(exc, _CLIENT_FAULTS):
            log.info("connection closed", extra={"problem": type(exc).__name__})
            return
        super().log_exception(*args, **kw)


class GuardedServer(web.Server):
    """aiohttp's server, whose connections are `GuardedRequestHandler`s."""

    def __init__(self, *args: Any, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard

    def __call__(self) -> RequestHandler:
        return GuardedRequestHandler(self, guard=self.guard, loop=self._loop, **self._kwargs)


class HubRunner(web.AppRunner):
    """`web.AppRunner` with the hub's limits (`[web]`): header timeout, connection cap, French
    answers at the protocol level. The application must have its pages (`setup_pages`)."""

    def __init__(self, app: web.Application, limits: WebConfig, **kwargs: Any) -> None:
        # aiohttp's keep-alive timer is the head's deadline (see the module).
        super().__init__(app, keepalive_timeout=limits.header_timeout_seconds, **kwargs)
        self.limits = limits

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()  # starts the application up
        template = self.app[PAGES_KEY].get_template("error.html")
        pages = {
            status: template.render(path="/", title=title, message=message)
            for status, (title, message, _) in CLIENT_ERRORS.items()
        }
        pages[500] = template.render(path="/", title=_SERVER_ERROR[0], message=_SERVER_ERROR[1])
        # The same server aiohttp built, with our protocol: its handler arguments as they are.
        return GuardedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=asyncio.get_running_loop(),
            guard=ConnectionGuard(self.limits.max_connections_per_address, pages),
            **plain._kwargs,
        )
