"""What every web page of the hub shares: templates, French error pages and security headers.

The archive and the draft preview are two small aiohttp applications; both render their own
pages from `templates/web/` and serve complete e-mail documents as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from hub.busy import DatabaseBusy
from hub.config import TEMPLATES_DIR, Config
from hub.timeutil import french_date

log = logging.getLogger("hub.web")

PAGES_KEY = web.AppKey("pages", Environment)

# The hub's own pages: inline CSS, no scripts, nothing loaded from elsewhere.
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# An e-mail document shows the feed's pictures (which the renderer allows over http too) and may
# load style sheets and fonts over HTTPS; still no scripts.
DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline' https:; img-src 'self' https: http: data:; "
    "font-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_ERRORS = {
    403: (
        "Numéro réservé aux adhérents",
        "Ce numéro est réservé aux adhérents de la fédération : ouvrez-le depuis le lien "
        "« Voir dans le navigateur » de l'e-mail qui vous l'a apporté.",
    ),
    404: ("Page introuvable", "La page demandée n'existe pas ou n'existe plus."),
    405: ("Action impossible", "Cette adresse ne permet pas cette action."),
    500: (
        "Erreur du serveur",
        "Une erreur inattendue nous empêche d'afficher cette page. Réessayez dans un instant.",
    ),
    503: (
        "Service momentanément surchargé",
        "Trop de demandes arrivent en même temps : la vôtre n'a pas pu être traitée, et rien "
        "n'a été enregistré. Réessayez dans quelques instants.",
    ),
}
# A busy database (`DatabaseBusy`) is a crowd, not a bug: the client may come back after this.
RETRY_AFTER_SECONDS = 30


def setup_pages(app: web.Application, config: Config, nav: Sequence[tuple[str, str]]) -> None:
    """Give `app` its templates and security headers; `nav` is (href, label) for the header."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "web"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the code: no disk check per page
    )
    env.globals.update(federation=config.federation, nav=list(nav))
    env.filters["date_fr"] = french_date
    app[PAGES_KEY] = env
    app.on_response_prepare.append(_security_headers)


def render_page(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    html = request.app[PAGES_KEY].get_template(template).render(path=request.path, **context)
    return web.Response(text=html, status=status, content_type="text/html")


def for_web(content: str, config: Config) -> str:
    """An issue's HTML or text as anyone may read it: the per-recipient placeholders filled."""
    # Imported on use: hub.web loads, and lists the archive, without the MJML renderer.
    from newsletters.render import fill_for_web

    return fill_for_web(content, config)


def document_response(html: str) -> web.Response:
    """A complete e-mail HTML document, served untouched under the e-mail content policy."""
    response = web.Response(text=html, content_type="text/html")
    response.headers["Content-Security-Policy"] = DOCUMENT_CSP
    return response


def error_page(request: web.Request, status: int) -> web.Response:
    title, message = _ERRORS.get(status, ("Erreur", "Cette page ne peut pas être affichée."))
    return render_page(request, "error.html", status=status, title=title, message=message)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors become French pages in the site's layout; unexpected ones are logged, not shown."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_page(request, exc.status)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except DatabaseBusy:
        # Other processes held the database past our patience: nothing was written, so the
        # request may simply be made again (503, not a 500 that would say the site is broken).
        log.warning("request refused: database busy", extra={"path": request.path})
        response = error_page(request, 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    except Exception:
        log.exception("request failed", extra={"method": request.method, "path": request.path})
        return error_page(request, 500)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
