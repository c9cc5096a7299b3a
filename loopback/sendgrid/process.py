"""The local SendGrid as its own process (`python -m loopback.sendgrid`), for a benchmark or a
`hub` run as its own process: its URL is the first line on its stdout."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from loopback.sendgrid.server import SendgridServer


@contextlib.contextmanager
def server_process(*options: str) -> Iterator[str]:
    """The local SendGrid in its own process (for a `hub` run as its own process too), with the
    command-line `options`; yields its URL, stops it on exit."""
    server = subprocess.Popen(
        [sys.executable, "-m", "loopback.sendgrid", "--port", "0", *options],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


async def _serve(args: argparse.Namespace) -> None:
    server = SendgridServer(
        api_key=args.api_key,
        validate=args.validate,
        sample_every=args.sample_every,
        latency=args.latency_ms / 1000,
        record=args.record,
        host=args.host,
        port=args.port,
        keep_bodies=False,
    )
    async with server:
        print(server.url, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", type=Path, help="append accepted recipients to this file")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--validate", choices=("full", "sample"), default="full")
    parser.add_argument("--sample-every", type=int, default=50)
    parser.add_argument("--api-key", default=None, help="the only key accepted (default: any)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
