"""The short answer pages every web channel page gives (a title, a lead, paragraphs, links),
and the one answer to a signed link that names nothing.

The subscription and the events pages answer with one notice template (`notice.html`, which
shows mailing lists or the event when given) in their own layout; what they say and how it is
filled is written once here, and each package only names its layout and way back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from hub.web.pages import render_page

INVALID_LINK_TITLE = "Lien invalide"
INVALID_LINK_LEAD = (
    "Ce lien n'est pas valide : il a pu être mal copié ou coupé par votre messagerie."
)


def notice_page(
    request: web.Request,
    layout: str,
    *,
    title: str,
    lead: str,
    status: int = 200,
    paragraphs: Sequence[str] = (),
    links: Sequence[tuple[str, str]] = (),
    view: Any = None,
    lists: Sequence[Any] = (),
) -> web.Response:
    """A notice in `layout` (the events' or the subscription pages'), showing besides the
    event of `view` (an `EventView`) or the mailing lists `lists`, if given."""
    return render_page(
        request,
        "notice.html",
        status=status,
        layout=layout,
        title=title,
        lead=lead,
        paragraphs=paragraphs,
        links=links,
        view=view,
        lists=lists,
    )


def invalid_link_page(
    request: web.Request, layout: str, *, advice: str, way_back: tuple[str, str]
) -> web.Response:
    """The same 404 for a signed link that is forged, altered, of another purpose or for a
    person who no longer exists: which of these it is stays unknown."""
    return notice_page(
        request,
        layout,
        status=404,
        title=INVALID_LINK_TITLE,
        lead=INVALID_LINK_LEAD,
        paragraphs=[advice],
        links=[way_back],
    )
