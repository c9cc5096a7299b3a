"""`hub newsletter preview`: a draft's web and text versions served locally before sending."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

from hub.config import Config
from hub.web.pages import document_response, error_pages, for_web, render_page, setup_pages
from hub.web.serve import serve_until

NAV = (("/", "Version web"), ("/texte", "Version texte"))


def create_preview_app(
    config: Config, rendered_html: str, rendered_text: str, title: str
) -> web.Application:
    """The draft as readers of the archive will see it (`/`) and its text version (`/texte`)."""
    web_version = for_web(rendered_html, config)
    text_version = for_web(rendered_text, config)

    async def show_web_version(request: web.Request) -> web.Response:
        return document_response(web_version)

    async def show_text_version(request: web.Request) -> web.Response:
        return render_page(request, "text_version.html", title=title, text=text_version)

    app = web.Application(middlewares=[error_pages])
    setup_pages(app, config, NAV)
    app.router.add_get("/", show_web_version)
    app.router.add_get("/texte", show_text_version)
    return app


async def serve_preview(
    config: Config,
    rendered_html: str,
    rendered_text: str,
    title: str,
    host: str,
    port: int,
    *,
    on_ready: Callable[[str], None],
    stop: asyncio.Event | None = None,
) -> None:
    """Serve the preview until `stop` is set or the task is cancelled (Ctrl-C in asyncio.run);
    `on_ready` receives its URL."""
    await serve_until(
        create_preview_app(config, rendered_html, rendered_text, title),
        host,
        port,
        on_ready=lambda url: on_ready(f"{url}/"),
        stop=stop or asyncio.Event(),
        limits=config.web,
    )
