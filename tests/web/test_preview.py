"""The draft preview: its app over loopback HTTP, and `serve_preview` started and stopped."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.config import Config
from hub.web.preview import create_preview_app, serve_preview

Draft = tuple[str, str, str]


async def test_preview_serves_the_web_version_with_placeholders_filled(
    config: Config, draft: Draft
) -> None:
    async with TestClient(TestServer(create_preview_app(config, *draft))) as client:
        response = await client.get("/")
        page = await response.text()
    assert response.status == 200
    assert response.content_type == "text/html"
    assert page.startswith("<!doctype html>")
    assert "<p>Bonjour,</p>" in page
    assert "[[" not in page
    assert "Aller au contenu" not in page  # the e-mail document, nothing added
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


async def test_preview_shows_the_text_version_in_a_french_page(
    config: Config, draft: Draft
) -> None:
    async with TestClient(TestServer(create_preview_app(config, *draft))) as client:
        response = await client.get("/texte")
        page = await response.text()
        missing = await client.get("/nulle-part")
        missing_page = await missing.text()
    assert response.status == 200
    assert '<html lang="fr">' in page
    assert "<h1>Version texte : Flash n° 4 : &lt;urgent&gt; &amp; important</h1>" in page
    assert "Bonjour,\n\nFlash n° 4 : &lt;urgent&gt; &amp; important" in page
    assert "[[" not in page
    assert missing.status == 404
    assert "<h1>Page introuvable</h1>" in missing_page


async def _start(
    config: Config, draft: Draft, stop: asyncio.Event | None
) -> tuple[asyncio.Task, str]:
    """Run `serve_preview` on a free port; return its task and the URL given to `on_ready`."""
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve_preview(config, *draft, "127.0.0.1", 0, on_ready=ready.set_result, stop=stop)
    )
    return task, await asyncio.wait_for(ready, timeout=10)


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_serve_preview_on_port_zero_gives_a_working_url_and_stops(
    config: Config, draft: Draft
) -> None:
    stop = asyncio.Event()
    task, url = await _start(config, draft, stop)
    assert url.startswith("http://127.0.0.1:")
    assert not url.endswith(":0/")
    status, page = await _get(url)
    assert status == 200 and "<p>Bonjour,</p>" in page
    assert (await _get(url + "texte"))[0] == 200
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    with pytest.raises(aiohttp.ClientConnectionError):
        await _get(url)


async def test_serve_preview_stops_when_cancelled(config: Config, draft: Draft) -> None:
    task, url = await _start(config, draft, stop=None)
    assert (await _get(url))[0] == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=10)
    with pytest.raises(aiohttp.ClientConnectionError):
        await _get(url)
