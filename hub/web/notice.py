"""The short answer pages every web channel page gives (a title, a lead, paragraphs, links),
and the one answer to a signed link that names nothing.

The subscription and the events pages each have their notice template (one shows mailing
lists, the other the event); what they say and how they are filled is the same, so it is
written once here and each package only names its template and way back.
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
    template: str,
    *,
    title: str,
    lead: str,
    status: int = 200,
    paragraphs: Sequence[str] = (),
    links: Sequence[tuple[str, str]] = (),
    **context: Any,
) -> web.Response:
    """A notice rendered with `template`; `context` is what that template shows besides
    (the lists of a subscription notice, the event of an event notice)."""
    return render_page(
        request,
        template,
        status=status,
        title=title,
        lead=lead,
        paragraphs=paragraphs,
        links=links,
        **context,
    )


def invalid_link_page(
    request: web.Request,
    template: str,
    *,
    advice: str,
    way_back: tuple[str, str],
    **context: Any,
) -> web.Response:
    """The same 404 for a signed link that is forged, altered, of another purpose or for a
    person who no longer exists: which of these it is stays unknown."""
    return notice_page(
        request,
        template,
        status=404,
        title=INVALID_LINK_TITLE,
        lead=INVALID_LINK_LEAD,
        paragraphs=[advice],
        links=[way_back],
        **context,
    )
