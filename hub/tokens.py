"""Signed tokens for the links we mail: confirm, manage preferences, unsubscribe.

A token names its purpose, one subscriber and one list (or "*" for all), and optionally an
expiry. A confirmation token names the lists it confirms, comma-separated, so it cannot confirm
a list that someone else asked for after it was mailed. The token is signed with HMAC-SHA256
under a key derived for tokens, and the whole is written in URL-safe base64. Nothing is stored:
the signature alone proves the hub made it, so it can be neither forged nor altered to point
at someone else. A token is about 50 characters (a confirmation for every list, 140), short
enough for any mail client.

A token also carries the person's `token_nonce`, random and made with their record: a link
belongs to the record it was made for, not to whoever holds its id later. The signature proves
the hub made the link; only the nonce, checked against the stored record
(`Subscribers.by_token`), proves the record is still the person's. Tokens of the first format
(before the nonce) are signed under another tag, so none of them opens anything any more.

Reading is strict: only the URL-safe base64 alphabet, unpadded, in its one canonical spelling,
of a length a token can have. `token + "!!!"`, padding, spaces or any other character are
refused, not skipped as a lenient decoder would.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import hmac
import re
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

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
# Signed before every payload: the format's version (first format: no tag, no nonce), so a
# token of one format never reads as one of another.
FORMAT_TAG = b"fcpts-hub-token-2\0"
NONCE_MAX = 2**32 - 1  # a nonce is 4 bytes (see the `token_nonce` column)
_MAX_LIST_BYTES = 300  # a confirmation for every list is ~100
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


class InvalidToken(Exception):
    """A token that is malformed, forged, altered, of another purpose, or expired."""


class TokenExpired(InvalidToken):
    """A genuine token whose time is up (a confirmation link older than its validity)."""


class TokenHolder(Protocol):
    """Whom a token is made for: a stored person (`Subscriber`), by id and nonce."""

    @property
    def id(self) -> int: ...

    @property
    def token_nonce(self) -> int: ...


@dataclass(frozen=True)
class Token:
    purpose: str
    subscriber_id: int
    list: str  # a list key, keys joined by LIST_SEPARATOR, or ALL_LISTS
    expires_at: int | None = None  # Unix time
    nonce: int = 0  # the person's token_nonce when the token was made

    @property
    def lists(self) -> builtins.list[str]:  # `list` is a field here
        """The list keys the token names ([ALL_LISTS] for all)."""
        return self.list.split(LIST_SEPARATOR)


def joined_lists(keys: Sequence[str]) -> str:
    """The list field of a token naming several lists."""
    return LIST_SEPARATOR.join(keys)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_HEADER = struct.Struct(">BQII")  # purpose, subscriber id, nonce, expiry (0: none)
_MIN_BYTES = _HEADER.size + 1 + _SIGNATURE_BYTES  # a list field is never empty
_MAX_BYTES = _HEADER.size + _MAX_LIST_BYTES + _SIGNATURE_BYTES


def _encoded_length(size: int) -> int:
    """The length of `size` bytes in unpadded base64."""
    return (size * 4 + 2) // 3


_MIN_LENGTH, _MAX_LENGTH = _encoded_length(_MIN_BYTES), _encoded_length(_MAX_BYTES)


def _unb64(text: str) -> bytes:
    """The bytes of a token's text, or ValueError for anything but the canonical unpadded
    URL-safe base64 of a token-sized payload (the standard decoder skips stray characters and
    accepts several spellings of the last one)."""
    if not _MIN_LENGTH <= len(text) <= _MAX_LENGTH or len(text) % 4 == 1:
        raise ValueError("length")
    if not text.isascii() or not _ALPHABET.fullmatch(text):
        raise ValueError("alphabet")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(raw) != text:  # unused low bits set in the last character
        raise ValueError("not canonical")
    return raw


class TokenSigner:
    def __init__(self, key: bytes) -> None:
        # HMAC (RFC 2104) with its two padded-key states computed once: a send signs two links
        # per recipient, and `hmac.digest` would redo this work each time.
        if len(key) > _SHA256_BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_SHA256_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._inner.update(FORMAT_TAG)
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
        self,
        purpose: str,
        subscriber_id: int,
        list_key: str,
        *,
        nonce: int,
        ttl_seconds: int | None = None,
    ) -> str:
        """A token for the person stored as `subscriber_id` with `nonce` (their token_nonce)."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r}")
        encoded_list = list_key.encode()
        if not 0 < len(encoded_list) <= _MAX_LIST_BYTES:
            raise ValueError(f"a token's list field has 1 to {_MAX_LIST_BYTES} bytes")
        expires = int(time.time()) + ttl_seconds if ttl_seconds is not None else 0
        header = _HEADER.pack(PURPOSES.index(purpose), subscriber_id, nonce, expires)
        payload = header + encoded_list
        return _b64(payload + self._sign(payload))

    def path(
        self,
        purpose: str,
        subscriber_id: int,
        list_key: str = ALL_LISTS,
        *,
        nonce: int,
        ttl_seconds: int | None = None,
    ) -> str:
        """The path of the page the token opens (pages link by path, e-mails prefix base_url)."""
        return LINK_PATHS[purpose] + self.make(
            purpose, subscriber_id, list_key, nonce=nonce, ttl_seconds=ttl_seconds
        )

    def path_for(
        self,
        purpose: str,
        holder: TokenHolder,
        list_key: str = ALL_LISTS,
        *,
        ttl_seconds: int | None = None,
    ) -> str:
        """`path` for a stored person, by their id and nonce."""
        return self.path(
            purpose, holder.id, list_key, nonce=holder.token_nonce, ttl_seconds=ttl_seconds
        )

    def read(self, token: str, purpose: str, *, now: float | None = None) -> Token:
        """The token's content, after checking its encoding, signature, purpose and expiry.

        Whether the person is still the one it was made for is not known here: that takes the
        stored record (`Subscribers.by_token` checks the nonce)."""
        try:
            raw = _unb64(token)
        except ValueError:
            raise InvalidToken("malformed") from None
        payload, signature = raw[:-_SIGNATURE_BYTES], raw[-_SIGNATURE_BYTES:]
        if len(payload) < _HEADER.size or not hmac.compare_digest(signature, self._sign(payload)):
            raise InvalidToken("bad signature")
        kind, subscriber_id, nonce, expires = _HEADER.unpack(payload[: _HEADER.size])
        if kind >= len(PURPOSES) or PURPOSES[kind] != purpose:
            raise InvalidToken("wrong purpose")
        if expires and (now if now is not None else time.time()) > expires:
            raise TokenExpired("expired")
        try:
            list_key = payload[_HEADER.size :].decode()
        except UnicodeDecodeError:
            raise InvalidToken("malformed") from None
        return Token(purpose, subscriber_id, list_key, expires or None, nonce)
