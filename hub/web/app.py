"""The hub's web application: the public archive, a health check, and the process's lifecycle.

One process owns everything long-running: the database is opened by the app's first cleanup
context, and background services (scheduler, Discord bots) are started and stopped by the
contexts passed as `background`, after the database opens and before it closes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial

from aiohttp import web

from hub.config import Config
from hub.services import HubServices
from hub.web import SERVICES_KEY
from hub.web.archive import routes as archive_routes
from hub.web.errors import client_errors
from hub.web.events import routes as event_routes
from hub.web.pages import error_pages, setup_pages
from hub.web.subscriptions import routes as subscription_routes
from hub.web.tasks import background_tasks
from hub.web.webhooks import routes as webhook_routes

log = logging.getLogger("hub.web")

BackgroundContext = Callable[[web.Application], AsyncIterator[None]]

NAV = (
    ("/", "Les newsletters"),
    ("/archives/", "Archives"),
    ("/evenements/", "Événements"),
    ("/abonnement", "S'abonner"),
)


def create_app(config: Config, *, background: Sequence[BackgroundContext] = ()) -> web.Application:
    # error_pages turns what escapes into French pages (a 500 for a bug); client_errors, inside
    # it, answers broken requests with a 4xx before they can become one.
    app = web.Application(middlewares=[error_pages, client_errors, web.normalize_path_middleware()])
    setup_pages(app, config, NAV)
    app.cleanup_ctx.append(partial(_services, config))
    app.cleanup_ctx.append(background_tasks)
    app.cleanup_ctx.extend(background)
    app.router.add_get("/healthz", healthz)
    app.add_routes(archive_routes)
    app.add_routes(subscription_routes)
    app.add_routes(event_routes)
    app.add_routes(webhook_routes)
    return app


async def _services(config: Config, app: web.Application) -> AsyncIterator[None]:
    """The process's `HubServices`, open for as long as the app runs: every handler and every
    background context after this one gets its services from `app[SERVICES_KEY]`."""
    async with HubServices.open(config) as services:
        app[SERVICES_KEY] = services
        # A changed secret key would silently unblock every suppressed address: refuse to start.
        await services.subscribers.verify_key()
        yield


async def healthz(request: web.Request) -> web.Response:
    """For a supervisor or load balancer: 200 when a query goes through, 503 otherwise."""
    try:
        async with request.app[SERVICES_KEY].db.conn.execute("SELECT 1") as cursor:
            await cursor.fetchone()
    except Exception:
        log.exception("health check failed: the database does not answer")
        return web.json_response({"status": "error", "database": "error"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})
