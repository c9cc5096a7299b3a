"""HTTP as bytes: the hub served by its own runner on loopback, and requests written by hand.

No client library sits in between, so what a test sends is exactly what an attacker could send
(raw non-ASCII bytes in a URL, a multipart type without boundary, a body that never ends), and
what it reads is the server's answer as it went on the wire.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from hub.config import WebConfig
from hub.web.connections import HubRunner


@asynccontextmanager
async def hub_server(app: web.Application, limits: WebConfig) -> AsyncIterator[int]:
    """Serve `app` on 127.0.0.1 with the hub's runner (as `hub run` does); yield the port."""
    runner = HubRunner(app, limits)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@dataclass
class RawResponse:
    raw: bytes

    @property
    def head(self) -> bytes:
        return self.raw.partition(b"\r\n\r\n")[0]

    @property
    def body(self) -> bytes:
        return self.raw.partition(b"\r\n\r\n")[2]

    @property
    def status(self) -> int:
        """The status of the status line; 0 when nothing (or no HTTP) came back."""
        parts = self.raw.split(b"\r\n", 1)[0].split(b" ")
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0

    def header(self, name: str) -> str:
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == name.lower().encode():
                return value.strip().decode("latin-1")
        return ""


async def exchange(
    port: int, data: bytes, *, timeout: float = 10.0, host: str = "127.0.0.1"
) -> RawResponse:
    """Send `data` on a new connection and read until the server closes it."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        return RawResponse(await asyncio.wait_for(reader.read(), timeout))
    finally:
        writer.close()


def request(
    method: str,
    target: bytes | str,
    *,
    headers: dict[str, bytes | str] | None = None,
    body: bytes | None = None,
) -> bytes:
    """A raw HTTP/1.1 request closing its connection; Content-Length is added for a body,
    unless the headers give Content-Length or Transfer-Encoding themselves."""
    lines = [
        method.encode()
        + b" "
        + (target.encode() if isinstance(target, str) else target)
        + b" HTTP/1.1",
        b"Host: 127.0.0.1",
        b"Connection: close",
    ]
    given = {name.lower() for name in (headers or {})}
    for name, value in (headers or {}).items():
        lines.append(name.encode() + b": " + (value.encode() if isinstance(value, str) else value))
    if body is not None and not given & {"content-length", "transfer-encoding"}:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")
