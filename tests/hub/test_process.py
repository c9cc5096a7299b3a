"""`hub run`: one process serving the archive and pulling feeds, stopped cleanly by signals."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from hub.config import Config


def _start(config_path: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config_path), "run", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
    assert match, f"no URL in {line!r}: {process.stderr.read() if process.poll() else ''}"
    return process, match[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serves_pulls_and_stops_within_5_seconds(
    config_path: Path, config: Config, sig: signal.Signals, monkeypatch: pytest.MonkeyPatch
) -> None:
    process, url = _start(config_path)
    try:
        assert _get(f"{url}/healthz") == (200, b'{"status": "ok", "database": "ok"}')
        assert _get(f"{url}/archives/")[0] == 200
        # The scheduler pulls the configured feed as soon as the process starts.
        deadline = time.monotonic() + 30
        count = 0
        while time.monotonic() < deadline and count == 0:
            time.sleep(0.2)
            with sqlite3.connect(config.database_path) as conn:
                count = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        assert count > 25
    finally:
        started = time.monotonic()
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=10)
    assert time.monotonic() - started < 5
    assert process.returncode == 0, stderr
    # The scheduler's first round (feeds pulled, stale sign-ups purged) may come in between.
    first_round = ("feed pulled", "stale sign-ups purged")
    events = [e for e in re.findall(r'event="([^"]+)"', stderr) if e not in first_round]
    # --port 0 is not [web].base_url's port: `hub run` says where the e-mails' links point.
    events = [e for e in events if not e.startswith("les liens des e-mails")]
    # The scheduler starts with the app, before it listens; it stops before the hub ends. The
    # shipped Discord bots are off (guild_id = 0), one line each.
    assert events == [
        "scheduler started",
        "bot Discord « Collectif des salariés » désactivé : [discord.salaries].guild_id = 0",
        "bot Discord « Collectif des élus » désactivé : [discord.elus].guild_id = 0",
        "hub started",
        "scheduler stopped",
        "hub stopped",
    ]
    assert all(line.startswith("ts=") for line in stderr.splitlines()), stderr


async def test_cleanup_ctx_runs_a_background_context_for_the_life_of_the_app() -> None:
    """The one adapter between background loops (plain async context managers) and aiohttp:
    entered with the app as it starts, left at its cleanup, after the requests were served."""
    import asyncio
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from hub.process import cleanup_ctx

    seen: list[str] = []
    NAME = web.AppKey("name", str)

    @asynccontextmanager
    async def loop(app: web.Application) -> AsyncIterator[None]:
        seen.append(f"started for {app[NAME]}")
        try:
            yield
        finally:
            await asyncio.sleep(0)  # stopping may await (batches in flight)
            seen.append("stopped")

    async def hello(request: web.Request) -> web.Response:
        seen.append("request")
        return web.Response(text="ok")

    app = web.Application()
    app[NAME] = "the hub"
    app.router.add_get("/", hello)
    app.cleanup_ctx.append(cleanup_ctx(loop))
    async with TestClient(TestServer(app)) as client:
        assert seen == ["started for the hub"]
        assert (await (await client.get("/")).read()) == b"ok"
    assert seen == ["started for the hub", "request", "stopped"]
