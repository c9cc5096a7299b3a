"""`POST /webhooks/sendgrid`: SendGrid's signed Event Webhook.

Nothing is read from a request before its signature is checked: SendGrid signs
`timestamp + raw body` with ECDSA P-256 / SHA-256, and the public key it shows (base64 DER, or
PEM) is given in `HUB_SENDGRID_WEBHOOK_PUBLIC_KEY`. Without the key every request is refused,
so an unconfigured hub never takes unsigned events for real ones. A stale or future timestamp
is refused too, so a captured request cannot be replayed later; a timestamp that is not a short
number is refused before anything else. The answers are for SendGrid, not people: short JSON,
never the French error pages.

A signed body is still checked before it is parsed: JSON nested deeper than `MAX_JSON_DEPTH` is
refused (SendGrid's events are two levels deep), so no parser or walker recurses far. A
malformed item of a batch is SendGrid's concern, not the batch's: `record_events` skips it and
applies the others.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import re
import time

from aiohttp import web
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hub.config import Config
from hub.delivery import record_events
from hub.secrets import WEBHOOK_PUBLIC_KEY_ENV
from hub.web import SERVICES_KEY

log = logging.getLogger("hub.web.webhooks")

PUBLIC_KEY_ENV = WEBHOOK_PUBLIC_KEY_ENV  # read by `Secrets.from_env`, at start-up
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
_CHUNK = 64 * 1024
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds, ASCII digits only
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")

routes = web.RouteTableDef()


@functools.lru_cache(maxsize=4)
def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """The P-256 key of `text`, base64 DER as SendGrid shows it or PEM; ValueError otherwise."""
    text = text.strip()
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise ValueError(f"not a public key: {type(exc).__name__}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not an ECDSA P-256 public key")
    return key


def verify_signature(
    key: ec.EllipticCurvePublicKey, body: bytes, timestamp: str, signature: str
) -> bool:
    """Whether `signature` (base64 DER) signs `timestamp + body` under `key`."""
    try:
        key.verify(
            base64.b64decode(signature, validate=True),
            timestamp.encode() + body,
            ec.ECDSA(hashes.SHA256()),
        )
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


async def _read_capped(request: web.Request, limit: int) -> bytes | None:
    """The raw body, or None when it is longer than `limit` (declared or actually sent)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    while chunk := await request.content.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _configured_key(configured: str) -> ec.EllipticCurvePublicKey | None:
    """The key SendGrid signs with (`Secrets.webhook_public_key`, read from the environment
    when the hub starts), or None (logged: every request is then refused)."""
    if not configured.strip():
        log.error(
            "sendgrid webhook refused: no public key",
            extra={"hint": f"set {PUBLIC_KEY_ENV} to the key shown by SendGrid"},
        )
        return None
    try:
        return load_public_key(configured)
    except ValueError as exc:
        log.error(
            "sendgrid webhook refused: unusable public key",
            extra={"problem": str(exc), "hint": f"check {PUBLIC_KEY_ENV}"},
        )
        return None


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text `body` nests arrays and objects deeper than `limit`, found by
    counting brackets outside strings (no parsing, no recursion)."""
    depth = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub(b"", body)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _unsigned(request: web.Request) -> str | None:
    """Why the request is not even signed, from its headers alone; None if it looks signed."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    if not signature or not timestamp:
        return "unsigned request"
    if not _TIMESTAMP.fullmatch(timestamp):
        return "malformed timestamp"
    return None


def _signature_problem(
    config: Config, key: ec.EllipticCurvePublicKey, request: web.Request, body: bytes
) -> str | None:
    """Why the request cannot be trusted, or None when SendGrid signed it just now (its
    headers passed `_unsigned`)."""
    signature = request.headers[SIGNATURE_HEADER]
    timestamp = request.headers[TIMESTAMP_HEADER]
    if abs(time.time() - int(timestamp)) > config.sendgrid.webhook_max_age_seconds:
        return "timestamp out of range"
    if not verify_signature(key, body, timestamp, signature):
        return "bad signature"
    return None


@routes.post("/webhooks/sendgrid")
async def sendgrid_events(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    config = services.config
    key = _configured_key(services.secrets.webhook_public_key)
    if key is None:
        return _refuse(403, "webhook not configured")
    unsigned = _unsigned(request)
    if unsigned is not None:
        log.warning(
            "sendgrid webhook refused", extra={"problem": unsigned, "remote": request.remote}
        )
        return _refuse(403, unsigned)
    body = await _read_capped(request, config.sendgrid.webhook_max_bytes)
    if body is None:
        log.warning("sendgrid webhook refused: body too large", extra={"remote": request.remote})
        return _refuse(413, "body too large")
    problem = _signature_problem(config, key, request, body)
    if problem is not None:
        log.warning(
            "sendgrid webhook refused", extra={"problem": problem, "remote": request.remote}
        )
        return _refuse(403, problem)
    if too_deep(body):
        log.warning("sendgrid webhook refused: JSON nested too deep", extra={"bytes": len(body)})
        return _refuse(400, "JSON nested too deep")
    try:
        events = json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, a number of 5,000 digits…
        return _refuse(400, "body is not JSON")
    if not isinstance(events, list):
        return _refuse(400, "body is not a JSON array of events")
    result = await record_events(services.db, config, events, subscribers=services.subscribers)
    log.info("sendgrid events", extra=result.as_dict())
    return web.json_response(result.as_dict())
