"""The archive pages: the federation's newsletters, their issues, and each issue as published.

Handlers stay thin: they read through `newsletters.archive` and hand the result to a template.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from hub.config import Config
from hub.ids import parse_id
from hub.web import SERVICES_KEY
from hub.web.pages import document_response, for_web, render_page
from newsletters import archive
from newsletters.archive import ArchivedIssue
from newsletters.render import ACCESS_KEY_PARAM

routes = web.RouteTableDef()

_ISSUE = r"/archives/{edition}/{number:[0-9]+}"  # ASCII digits; read by `parse_id`


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    config, db = services.config, services.db
    editions = [
        (key, edition, await archive.last_issue(db, key))
        for key, edition in config.editions.items()
    ]
    return render_page(request, "index.html", editions=editions)


@routes.get("/archives/")
async def archives(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    config, db = services.config, services.db
    editions = [
        (key, edition, await archive.list_issues(db, key))
        for key, edition in config.editions.items()
    ]
    return render_page(request, "archives.html", editions=editions)


@routes.get(_ISSUE)
async def issue_page(request: web.Request) -> web.Response:
    config, issue = await _find_issue(request)
    return document_response(for_web(issue.html, config))


@routes.get(_ISSUE + ".txt")
async def issue_text(request: web.Request) -> web.Response:
    config, issue = await _find_issue(request)
    return web.Response(text=for_web(issue.text, config), content_type="text/plain")


async def _find_issue(request: web.Request) -> tuple[Config, ArchivedIssue]:
    """The issue the URL names, or a 404 for an edition or number the archive does not know.

    A members-only issue needs the access key of its e-mail link: 403 without it.
    """
    services = request.app[SERVICES_KEY]
    config = services.config
    edition = request.match_info["edition"]
    number = parse_id(request.match_info["number"])
    found = None
    if edition in config.editions and number is not None:
        found = await archive.get_issue(services.db, edition, number)
    if found is None:
        raise web.HTTPNotFound()
    if config.editions[edition].members_only:
        given = request.query.get(ACCESS_KEY_PARAM, "")
        expected = (found.access_key or "").encode()
        if not (expected and hmac.compare_digest(given.encode(), expected)):
            raise web.HTTPForbidden()
    return config, found
