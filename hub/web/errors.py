"""Hostile or broken requests get a 4xx, never a 500: one middleware for every route.

A request can be malformed in ways no handler should have to think about: a multipart body
without boundary, a charset nobody knows, bytes that are not UTF-8, a gzip body that is not
gzip, a body that stops arriving. `client_errors` reads a form body itself, before the handler,
so that every such failure is caught where it is certainly the client's doing (a `ValueError`
raised later, in a service, stays a bug and a 500). The handler then finds the parsed form in
`request.post()`'s cache.

A body has `[web].body_timeout_seconds` to arrive once its head has: past that, the read fails
with `BodyTimeout`, the client gets a 408 and the connection is closed. The same deadline holds
for the handlers that read a body themselves (the SendGrid webhook).

People get the site's French page; the JSON routes (webhooks, health check) short JSON. Each
refusal is one log line, without traceback: it is the client's fault, not ours.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler
from aiohttp.web_protocol import RequestPayloadError

from hub.web import SERVICES_KEY
from hub.web.pages import render_page

log = logging.getLogger("hub.web.errors")

JSON_PREFIXES = ("/webhooks/", "/healthz")
FORM_TYPES = ("", "application/x-www-form-urlencoded", "multipart/form-data")

# Status: (title, message) of the French page, and the short reason the JSON routes answer.
CLIENT_ERRORS = {
    400: (
        "Requête invalide",
        "Votre navigateur a envoyé une demande que nous ne savons pas lire. Revenez à la page "
        "précédente et réessayez ; rien n'a été enregistré.",
        "malformed request",
    ),
    408: (
        "Délai dépassé",
        "Votre demande est arrivée trop lentement et a été interrompue ; rien n'a été "
        "enregistré. Vérifiez votre connexion et réessayez.",
        "request too slow",
    ),
    413: (
        "Demande trop volumineuse",
        "Votre demande dépasse la taille que nous acceptons ; rien n'a été enregistré.",
        "request too large",
    ),
    429: (
        "Trop de connexions",
        "Trop de connexions sont ouvertes depuis votre adresse. Réessayez dans un instant.",
        "too many connections",
    ),
}


class BodyTimeout(asyncio.TimeoutError):
    """The request's body did not arrive within `[web].body_timeout_seconds`.

    A `TimeoutError`, so that aiohttp, which drains what is left of an unread body after the
    answer, stops quietly on it."""


# What reading and parsing a body raises when the client sent something broken: bad framing
# or compression (RequestPayloadError, HttpProcessingError), no or bad multipart boundary
# (ValueError), bytes that are not in the declared charset (UnicodeDecodeError, a ValueError),
# a charset Python does not know (LookupError).
_BROKEN_BODY = (RequestPayloadError, HttpProcessingError, ValueError, LookupError)


def is_json_route(request: web.BaseRequest) -> bool:
    return request.path.startswith(JSON_PREFIXES)


def client_error(request: web.Request, status: int) -> web.Response:
    """The French page (or JSON) of a refused request; the connection is closed after it, as
    what is left of the request cannot be trusted."""
    title, message, reason = CLIENT_ERRORS[status]
    if is_json_route(request):
        response: web.Response = web.json_response({"error": reason}, status=status)
    else:
        response = render_page(request, "error.html", status=status, title=title, message=message)
    response.force_close()
    return response


def _refused(request: web.Request, status: int, problem: str) -> web.Response:
    log.warning(
        "request refused",
        extra={
            "status": status,
            "problem": problem,
            "method": request.method,
            "remote": request.remote,
        },
    )
    return client_error(request, status)


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _body_deadline(request: web.Request) -> asyncio.TimerHandle | None:
    """Make reading the body fail with `BodyTimeout` if it has not all arrived in time."""
    content = request.content
    if not request.body_exists or content.is_eof():
        return None
    seconds = request.app[SERVICES_KEY].config.web.body_timeout_seconds

    def expire() -> None:
        if not content.is_eof():
            content.set_exception(BodyTimeout())

    handle = asyncio.get_running_loop().call_later(seconds, expire)
    content.on_eof(handle.cancel)
    return handle


@web.middleware
async def client_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse, with a 4xx and one log line, what the client sent broken (see the module)."""
    deadline = _body_deadline(request)
    try:
        if (
            request.method in request.POST_METHODS
            and request.body_exists
            and request.content_type in FORM_TYPES
            and not is_json_route(request)
        ):
            try:
                await request.post()
            except BodyTimeout:
                return _refused(request, 408, "body too slow")
            except web.HTTPRequestEntityTooLarge:
                return _refused(request, 413, "body too large")
            except _BROKEN_BODY as exc:
                if _client_gone(request):
                    return _refused(request, 400, "client went away")
                return _refused(request, 400, f"unreadable form: {type(exc).__name__}")
        try:
            return await handler(request)
        except BodyTimeout:
            return _refused(request, 408, "body too slow")
        except OverflowError:
            # An integer from the request too large for SQLite, that no parser stopped.
            return _refused(request, 400, "number out of range")
        except (ConnectionError, RequestPayloadError) as exc:
            if isinstance(exc, RequestPayloadError) or _client_gone(request):
                return _refused(request, 400, f"client went away: {type(exc).__name__}")
            raise
    finally:
        if deadline is not None:
            deadline.cancel()
