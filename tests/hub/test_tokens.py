"""Signed links: what the hub signs reads back; nothing altered, forged or misused does."""

from __future__ import annotations

import base64
import hmac

import pytest

from hub.tokens import InvalidToken, Token, TokenExpired, TokenSigner, joined_lists

KEY = b"k" * 32


def test_a_token_reads_back_what_was_signed() -> None:
    signer = TokenSigner(KEY)
    token = signer.make("unsubscribe", 4_321, "adherents-flash")
    assert signer.read(token, "unsubscribe") == Token("unsubscribe", 4_321, "adherents-flash")
    assert signer.path("preferences", 7).startswith("/preferences/")
    assert signer.read(signer.path("preferences", 7).rsplit("/", 1)[1], "preferences").list == "*"


def test_a_token_may_name_several_lists() -> None:
    signer = TokenSigner(KEY)
    token = signer.make("confirm", 8, joined_lists(["bimestrielle", "adherents-flash"]))
    assert signer.read(token, "confirm").lists == ["bimestrielle", "adherents-flash"]
    assert signer.read(signer.make("confirm", 8, "*"), "confirm").lists == ["*"]


@pytest.mark.parametrize("key", [b"k" * 32, b"a longer key " * 10, b""])
def test_the_signature_is_standard_hmac_sha256(key: bytes) -> None:
    token = TokenSigner(key).make("preferences", 99, "*")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert raw[-16:] == hmac.digest(key, raw[:-16], "sha256")[:16]


def test_changing_any_byte_is_refused() -> None:
    signer = TokenSigner(KEY)
    token = signer.make("unsubscribe", 12, "bimestrielle")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for i in range(len(raw)):
        altered = bytearray(raw)
        altered[i] ^= 0x01
        forged = base64.urlsafe_b64encode(bytes(altered)).rstrip(b"=").decode()
        with pytest.raises(InvalidToken):
            signer.read(forged, "unsubscribe")


@pytest.mark.parametrize("junk", ["", "x", "a.b", "////", "AAAA" * 20, "é" * 10])
def test_junk_is_refused(junk: str) -> None:
    with pytest.raises(InvalidToken):
        TokenSigner(KEY).read(junk, "unsubscribe")


def test_another_key_or_purpose_is_refused_and_expiry_is_told_apart() -> None:
    signer = TokenSigner(KEY)
    token = signer.make("confirm", 5, "*", ttl_seconds=60)
    with pytest.raises(InvalidToken, match="bad signature"):
        TokenSigner(b"x" * 32).read(token, "confirm")
    with pytest.raises(InvalidToken, match="wrong purpose"):
        signer.read(token, "unsubscribe")
    assert signer.read(token, "confirm").subscriber_id == 5
    expiry = signer.read(token, "confirm").expires_at
    assert expiry is not None
    with pytest.raises(TokenExpired):
        signer.read(token, "confirm", now=expiry + 1)
