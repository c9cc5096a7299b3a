"""Signed tokens for the links we mail: confirm, manage preferences, unsubscribe.

A token names its purpose, one subscriber and one list (or "*" for all), and optionally an
expiry. A confirmation token names the lists it confirms, comma-separated, so it cannot confirm
a list that someone else asked for after it was mailed. The token is signed with HMAC-SHA256
under a key derived for tokens, and the whole is written in URL-safe base64. Nothing is stored:
the signature alone proves the hub made it, so it can be neither forged nor altered to point
at someone else. A token is about 60 characters (a confirmation for every list, 140), short
enough for any mail client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass

from hub.config import Config
from hub.keys import derived_key

ALL_LISTS = "*"
LIST_SEPARATOR = ","
# Index-encoded in every token: only ever append.
PURPOSES = ("confirm", "preferences", "unsubscribe", "registrations", "offer")
LINK_PATHS = {
    "confirm": "/confirmer/",
    "preferences": "/preferences/",
    "unsubscribe": "/u/",
    "registrations": "/evenements/mes-inscriptions/",  # list "*": see and cancel one's own
    "offer": "/evenements/offre/",  # list: the registration id a seat is held for
}
_SHA256_BLOCK = 64
_SIGNATURE_BYTES = 16  # 128-bit truncated HMAC (RFC 2104 §5 allows truncation to ≥ 80 bits)


class InvalidToken(Exception):
    """A token that is malformed, forged, altered, of another purpose, or expired."""


class TokenExpired(InvalidToken):
    """A genuine token whose time is up (a confirmation link older than its validity)."""


@dataclass(frozen=True)
class Token:
    purpose: str
    subscriber_id: int
    list: str  # a list key, keys joined by LIST_SEPARATOR, or ALL_LISTS
    expires_at: int | None = None  # Unix time

    @property
    def lists(self) -> list[str]:
        """The list keys the token names ([ALL_LISTS] for all)."""
        return self.list.split(LIST_SEPARATOR)


def joined_lists(keys: Sequence[str]) -> str:
    """The list field of a token naming several lists."""
    return LIST_SEPARATOR.join(keys)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = struct.Struct(">BQQ")  # purpose, subscriber id, expiry (0: none)


class TokenSigner:
    def __init__(self, key: bytes) -> None:
        # HMAC (RFC 2104) with its two padded-key states computed once: a send signs two links
        # per recipient, and `hmac.digest` would redo this work each time.
        if len(key) > _SHA256_BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_SHA256_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    @classmethod
    def for_config(cls, config: Config) -> TokenSigner:
        return cls(derived_key(config, "tokens"))

    def _sign(self, payload: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(payload)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()[:_SIGNATURE_BYTES]

    def make(
        self, purpose: str, subscriber_id: int, list_key: str, *, ttl_seconds: int | None = None
    ) -> str:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r}")
        expires = int(time.time()) + ttl_seconds if ttl_seconds is not None else 0
        payload = _HEADER.pack(PURPOSES.index(purpose), subscriber_id, expires) + list_key.encode()
        return _b64(payload + self._sign(payload))

    def path(
        self,
        purpose: str,
        subscriber_id: int,
        list_key: str = ALL_LISTS,
        *,
        ttl_seconds: int | None = None,
    ) -> str:
        """The path of the page the token opens (pages link by path, e-mails prefix base_url)."""
        return LINK_PATHS[purpose] + self.make(
            purpose, subscriber_id, list_key, ttl_seconds=ttl_seconds
        )

    def read(self, token: str, purpose: str, *, now: float | None = None) -> Token:
        """The token's content, after checking its signature, purpose and expiry."""
        try:
            raw = _unb64(token)
        except ValueError:
            raise InvalidToken("malformed") from None
        payload, signature = raw[:-_SIGNATURE_BYTES], raw[-_SIGNATURE_BYTES:]
        if len(payload) < _HEADER.size or not hmac.compare_digest(signature, self._sign(payload)):
            raise InvalidToken("bad signature")
        kind, subscriber_id, expires = _HEADER.unpack(payload[: _HEADER.size])
        if kind >= len(PURPOSES) or PURPOSES[kind] != purpose:
            raise InvalidToken("wrong purpose")
        if expires and (now if now is not None else time.time()) > expires:
            raise TokenExpired("expired")
        try:
            list_key = payload[_HEADER.size :].decode()
        except UnicodeDecodeError:
            raise InvalidToken("malformed") from None
        return Token(purpose, subscriber_id, list_key, expires or None)
