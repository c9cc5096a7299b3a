"""The agenda: the events a visitor may see, and the public events as a calendar feed."""

from __future__ import annotations

from aiohttp import web

from hub.events.audience import Viewer
from hub.events.ics import calendar_feed
from hub.web.events.shared import event_view, events_service, invalid_link, visitor_of
from hub.web.pages import render_page

routes = web.RouteTableDef()


@routes.get("/evenements/")
async def agenda(request: web.Request) -> web.Response:
    visitor = await visitor_of(request)
    if visitor is None:
        return invalid_link(request)
    events = events_service(request)
    shown = [
        await event_view(events, event, visitor)
        for event in await events.visible_to(Viewer(visitor.person))
    ]
    return render_page(request, "events.html", views=shown, visitor=visitor)


@routes.get("/evenements.ics")
async def calendar(request: web.Request) -> web.Response:
    """The public events as a calendar to subscribe to (past ones stay, so that subscribed
    calendars keep them)."""
    events = events_service(request)
    feed = calendar_feed(events.config, await events.list_events(status="published"))
    return web.Response(
        body=feed,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'inline; filename="evenements.ics"'},
    )
