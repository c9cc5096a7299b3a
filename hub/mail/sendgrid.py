"""The SendGrid backend: Mail Send v3 over aiohttp, one request per batch of up to 1,000.

The content travels once per request, as rendered (placeholders left in); each recipient is a
personalization with its own substitutions, List-Unsubscribe headers and our ids as custom_args
(which come back in SendGrid's event webhook). SendGrid applies one substitution table to both
parts, so the text part's placeholders are renamed (`[[text:first_name]]`…) and get the raw
values while the HTML's get the escaped ones: "Anne & Marc" reads right in both.

Retries only what SendGrid certainly did not take: a connection that could not be made, 429
(waiting as its rate-limit headers say) and 5xx (backing off exponentially with jitter). Other
4xx are refusals, not retried. SendGrid has no idempotency key: a request whose answer was lost
(no answer in time, connection dropped once the request was written) may have been accepted, so
it is not resent but reported in doubt (`BatchInDoubt`), for staff to decide.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import logging
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import orjson

from hub.config import Config, ConfigError
from hub.mail import (
    BatchInDoubt,
    BatchRejected,
    CalendarPart,
    CancelledBeforeSending,
    Content,
    Outcome,
    Recipient,
)
from hub.mail.message import (
    CALENDAR_ATTACHMENT_TYPE,
    CALENDAR_FILE,
    address_problem,
    display_name,
    html_safe,
    list_unsubscribe_headers,
    substitutions,
)
from hub.mail.placeholders import PLACEHOLDERS
from hub.secrets import SENDGRID_API_KEY_ENV, Secrets, current

log = logging.getLogger(__name__)

API_KEY_ENV = SENDGRID_API_KEY_ENV
MAX_PERSONALIZATIONS = 1000  # SendGrid's limit per request
MAIL_SEND = "/v3/mail/send"
MAIL_BATCH = "/v3/mail/batch"
CONNECT_TIMEOUT_SECONDS = 10.0  # a connection not made in time: nothing was sent, retry
_COMPACT = (",", ":")  # JSON without spaces: about 3% less to send
TEXT_PLACEHOLDERS = {p: f"[[text:{key}]]" for key, p in PLACEHOLDERS.items()}


def required_api_key(secrets: Secrets) -> str:
    """The SendGrid API key from the hub's secrets; its absence is a configuration error."""
    key = secrets.sendgrid_api_key
    if not key:
        raise ConfigError(
            f"{API_KEY_ENV} n'est pas définie : elle est obligatoire avec le mode d'envoi "
            "« sendgrid ». Créez une clé API avec la permission « Mail Send » dans SendGrid "
            "(Settings > API Keys) et placez-la dans l'environnement, jamais dans hub.toml"
        )
    return key


def api_key_from_env(env: Mapping[str, str] | None = None) -> str:
    """`required_api_key` over the environment (read by `hub.secrets`)."""
    return required_api_key(current(env))


class _Retry(Exception):
    """One failed attempt that may succeed later: why, and how long SendGrid asks us to wait
    (None: our own backoff)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class SendgridMessenger:
    name = "sendgrid"

    def __init__(
        self,
        config: Config,
        api_key: str,
        *,
        session: aiohttp.ClientSession | None = None,
        backoff_seconds: float = 1.0,
        max_wait_seconds: float = 300.0,
    ) -> None:
        """`backoff_seconds` is the first retry's delay (doubled each time, tests make it
        tiny); a rate limit asking to wait longer than `max_wait_seconds` fails the batch."""
        self.config = config
        self.max_batch = min(config.mail.batch_size, MAX_PERSONALIZATIONS)
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self._session = session
        self._own_session = session is None
        self._backoff = backoff_seconds
        self._max_wait = max_wait_seconds
        self._shared: tuple[Content, bytes] | None = None

    # -- the request body --------------------------------------------------------------------

    def _shared_part(self, content: Content) -> bytes:
        """Everything but the personalizations, serialised once per content (a campaign sends
        the same content in every batch), as the opening of the JSON object."""
        if self._shared is not None and self._shared[0] == content:
            return self._shared[1]
        mail = self.config.mail
        text = content.text
        for placeholder, renamed in TEXT_PLACEHOLDERS.items():
            text = text.replace(placeholder, renamed)
        sender = {"email": mail.from_address} | ({"name": mail.from_name} if mail.from_name else {})
        shared: dict[str, Any] = {"from": sender}
        if mail.reply_to:
            shared["reply_to"] = {"email": mail.reply_to}
        shared["subject"] = content.subject
        shared["content"] = [
            {"type": kind, "value": value}
            for kind, value in (("text/plain", text), ("text/html", content.html))
            if value
        ]
        if content.calendar is not None:
            _add_calendar(shared, content.calendar)
        shared["categories"] = [content.category]
        if content.provider_batch_id:
            shared["batch_id"] = content.provider_batch_id
        opening = json.dumps(shared, separators=_COMPACT)[:-1].encode() + b',"personalizations":'
        self._shared = (content, opening)
        return opening

    def _personalization(self, content: Content, recipient: Recipient) -> dict[str, Any]:
        to = {"email": recipient.email}
        name = display_name(recipient)
        if name:
            to["name"] = name
        raw = substitutions(recipient, html=False)
        values = {placeholder: html_safe(value) for placeholder, value in raw.items()}
        for placeholder, renamed in TEXT_PLACEHOLDERS.items():
            values[renamed] = raw[placeholder]
        personalization: dict[str, Any] = {"to": [to], "substitutions": values}
        headers = list_unsubscribe_headers(content, recipient, self.config)
        if headers:
            personalization["headers"] = headers
        ids = {"campaign_id": content.campaign_id, "send_log_id": recipient.send_log_id}
        custom_args = {k: str(v) for k, v in ids.items() if v is not None}
        if custom_args:
            personalization["custom_args"] = custom_args
        return personalization

    def request_body(self, content: Content, recipients: Sequence[Recipient]) -> bytes:
        """The Mail Send JSON for one batch, byte for byte."""
        personalizations = [self._personalization(content, r) for r in recipients]
        batch_part = orjson.dumps(personalizations)  # compact UTF-8, ~8x json's speed here
        return self._shared_part(content) + batch_part + b"}"

    # -- HTTP --------------------------------------------------------------------------------

    async def send(self, content: Content, recipients: Sequence[Recipient]) -> list[Outcome]:
        if len(recipients) > self.max_batch:
            raise ValueError(f"{len(recipients)} recipients, at most {self.max_batch} per batch")
        problems = {r.email: address_problem(r.email) for r in recipients}
        sendable = [r for r in recipients if not problems[r.email]]
        message_id = None
        if sendable:  # one bad address would make SendGrid refuse the whole request
            body = self.request_body(content, sendable)
            headers, _ = await self._call(MAIL_SEND, body, what="l'envoi")
            message_id = headers.get("X-Message-Id")
        return [
            Outcome(r, error=problems[r.email])
            if problems[r.email]
            else Outcome(r, message_id=message_id)
            for r in recipients
        ]

    async def create_batch_id(self) -> str:
        """A SendGrid batch id, which groups a campaign's requests (and would let it be paused
        or cancelled from SendGrid's side)."""
        _, answer = await self._call(MAIL_BATCH, None, what="la création du lot", idempotent=True)
        try:
            return str(json.loads(answer)["batch_id"])
        except (ValueError, KeyError, TypeError):
            raise BatchRejected(
                f"réponse inattendue de SendGrid à la création du lot : {answer[:200]!r}"
            ) from None

    async def _call(
        self, path: str, body: bytes | None, *, what: str, idempotent: bool = False
    ) -> tuple[Mapping[str, str], bytes]:
        """POST with the bounded retries; the answer of the first 2xx, or `BatchRejected`, or
        `BatchInDoubt` unless doing it twice is harmless (`idempotent`: a spare batch id)."""
        retries = self.config.sendgrid.max_retries
        attempt = 0
        while True:
            try:
                try:
                    return await self._post(path, body, what)
                except BatchInDoubt as doubt:
                    if not idempotent:
                        raise
                    raise _Retry(str(doubt)) from None
            except _Retry as retry:
                if attempt == retries:
                    raise BatchRejected(
                        f"SendGrid n'a pas accepté {what} après {attempt + 1} tentative(s) ; "
                        f"dernière erreur : {retry}"
                    ) from None
                wait = self._backoff * 2**attempt * random.uniform(0.5, 1.0)  # jitter
                if retry.wait is not None:
                    wait = retry.wait
                log.warning(
                    "sendgrid retry",
                    extra={
                        "path": path,
                        "attempt": attempt + 1,
                        "reason": str(retry),
                        "wait_s": round(wait, 2),
                    },
                )
                try:
                    await asyncio.sleep(wait)
                except asyncio.CancelledError:  # every attempt so far was refused: none taken
                    raise CancelledBeforeSending from None
                attempt += 1

    async def _post(
        self, path: str, body: bytes | None, what: str
    ) -> tuple[Mapping[str, str], bytes]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        limit = self.config.sendgrid.timeout_seconds
        timeout = aiohttp.ClientTimeout(total=limit, connect=min(limit, CONNECT_TIMEOUT_SECONDS))
        where = self.config.sendgrid.api_url
        try:
            async with self._session.post(
                where + path, data=body, headers=self._headers, timeout=timeout
            ) as response:
                answer = await response.read()
                status, headers = response.status, response.headers
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise _Retry(f"connexion à {where} impossible : {exc}") from None
        except TimeoutError:
            raise BatchInDoubt(
                f"SendGrid n'a pas répondu en {limit:g} s à {what} : la requête est partie et "
                "a peut-être été acceptée"
            ) from None
        except aiohttp.ClientError as exc:
            raise BatchInDoubt(
                f"connexion à {where} coupée pendant {what}, avant la réponse : la requête est "
                f"partie et a peut-être été acceptée ({type(exc).__name__})"
            ) from None
        if 200 <= status < 300:
            return headers, answer
        if status == 429:
            wait = _rate_limit_wait(headers)
            if wait is not None and wait > self._max_wait:
                raise BatchRejected(
                    f"SendGrid limite le débit (HTTP 429) et demande d'attendre {wait:.0f} s, "
                    f"plus que les {self._max_wait:.0f} s acceptées : réessayez plus tard"
                )
            raise _Retry("limite de débit de SendGrid atteinte (HTTP 429)", wait)
        if status >= 500:
            raise _Retry(f"erreur de SendGrid (HTTP {status}) : {_error_messages(answer)}")
        hint = ""
        if status in (401, 403):
            hint = f" ; vérifiez {API_KEY_ENV} (clé valide, avec la permission « Mail Send »)"
        raise BatchRejected(
            f"SendGrid a refusé {what} (HTTP {status}) : {_error_messages(answer)}{hint}"
        )

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None


def _add_calendar(shared: dict[str, Any], calendar: CalendarPart) -> None:
    """The invitation as the other backends build it: a `text/calendar; method=…` entry of
    `content` (SendGrid puts it in the multipart/alternative, after text and HTML, which is
    what gives the accept/decline buttons) and the same file attached as `invitation.ics`.

    Both are what SendGrid's contract allows (`content` takes any MIME type once text/plain and
    text/html come first) and what SendGrid's staff give as the working shape; an attachment
    alone shows as a file, not as an invitation, in Outlook and Gmail."""
    shared["content"].append(
        {"type": f"text/calendar; method={calendar.method}", "value": calendar.ics}
    )
    shared["attachments"] = [
        {
            "content": base64.b64encode(calendar.ics.encode()).decode("ascii"),
            "type": CALENDAR_ATTACHMENT_TYPE,
            "filename": CALENDAR_FILE,
            "disposition": "attachment",
        }
    ]


def _rate_limit_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until SendGrid takes requests again: X-RateLimit-Reset (epoch seconds), else
    Retry-After (seconds or an HTTP date); None if it did not say."""
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            pass
    retry_after = headers.get("Retry-After", "")
    try:
        return max(0.0, float(retry_after))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_messages(answer: bytes) -> str:
    """SendGrid's own words, from its `errors` list, with the field each one concerns."""
    try:
        errors = json.loads(answer)["errors"]
        parts = []
        for error in errors:
            field = error.get("field")
            where = f" (champ {field})" if field and field != "null" else ""
            parts.append(f"{error.get('message', '?')}{where}")
        return " ; ".join(parts) or "aucun détail"
    except (ValueError, KeyError, TypeError, AttributeError):
        return answer[:300].decode("utf-8", "replace") or "aucun détail"
