"""Signed links: what the hub signs reads back; nothing altered, forged, misused or misspelt
does."""

from __future__ import annotations

import base64
import hmac
import struct

import pytest

from hub.tokens import (
    FORMAT_TAG,
    InvalidToken,
    Token,
    TokenExpired,
    TokenSigner,
    joined_lists,
)

KEY = b"k" * 32
NONCE = 3_141_592_653


def make(purpose: str, subscriber_id: int, list_key: str, **kwargs: int) -> str:
    return TokenSigner(KEY).make(purpose, subscriber_id, list_key, nonce=NONCE, **kwargs)


def test_a_token_reads_back_what_was_signed() -> None:
    signer = TokenSigner(KEY)
    token = make("unsubscribe", 4_321, "adherents-flash")
    assert signer.read(token, "unsubscribe") == Token(
        "unsubscribe", 4_321, "adherents-flash", None, NONCE
    )
    path = signer.path("preferences", 7, nonce=NONCE)
    assert path.startswith("/preferences/")
    assert signer.read(path.rsplit("/", 1)[1], "preferences").list == "*"


def test_a_token_carries_the_persons_nonce_so_a_link_belongs_to_one_record() -> None:
    signer = TokenSigner(KEY)
    for nonce in (0, 1, 2**32 - 1):
        token = signer.make("preferences", 7, "*", nonce=nonce)
        assert signer.read(token, "preferences").nonce == nonce
    assert signer.make("preferences", 7, "*", nonce=1) != signer.make(
        "preferences", 7, "*", nonce=2
    )


def test_a_token_stays_short() -> None:
    assert len(make("preferences", 123_456, "*")) == 46
    assert len(make("unsubscribe", 123_456, "bimestrielle")) <= 62


def test_a_token_may_name_several_lists() -> None:
    signer = TokenSigner(KEY)
    token = make("confirm", 8, joined_lists(["bimestrielle", "adherents-flash"]))
    assert signer.read(token, "confirm").lists == ["bimestrielle", "adherents-flash"]
    assert signer.read(make("confirm", 8, "*"), "confirm").lists == ["*"]


@pytest.mark.parametrize("key", [b"k" * 32, b"a longer key " * 10, b""])
def test_the_signature_is_standard_hmac_sha256_of_the_tagged_payload(key: bytes) -> None:
    token = TokenSigner(key).make("preferences", 99, "*", nonce=NONCE)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert raw[-16:] == hmac.digest(key, FORMAT_TAG + raw[:-16], "sha256")[:16]


def test_a_token_of_the_first_format_opens_nothing() -> None:
    """Before the nonce, tokens were signed without the format tag, purpose, id and an 8-byte
    expiry: the same length as now, and a nonce of 0 once read with today's layout."""
    payload = struct.pack(">BQQ", 1, 99, 0) + b"*"
    old = base64.urlsafe_b64encode(payload + hmac.digest(KEY, payload, "sha256")[:16])
    with pytest.raises(InvalidToken, match="bad signature"):
        TokenSigner(KEY).read(old.rstrip(b"=").decode(), "preferences")


def test_changing_any_byte_is_refused() -> None:
    signer = TokenSigner(KEY)
    token = make("unsubscribe", 12, "bimestrielle")
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


GOOD = make("unsubscribe", 12, "bimestrielle")


@pytest.mark.parametrize(
    "spelling",
    [
        GOOD + "!!!",
        "!!!" + GOOD,
        GOOD[:20] + "!" + GOOD[20:],
        GOOD + "=" * (-len(GOOD) % 4 or 4),  # padded
        GOOD + "==",
        GOOD.replace("-", "+").replace("_", "/") if ("-" in GOOD or "_" in GOOD) else GOOD + "+",
        GOOD + " ",
        " " + GOOD,
        GOOD[:20] + " " + GOOD[20:],
        GOOD + "\n",
        GOOD[:20] + "\t" + GOOD[20:],
        GOOD + "é",
        GOOD[:-1] + "é",
        GOOD[:20] + "\u0660" + GOOD[20:],  # a digit, but not an ASCII one
        GOOD + "A" * 400,  # too long
        GOOD + "AAAA",  # a longer payload: another list, so another signature
        GOOD[:-1],  # too short by a character
    ],
)
def test_a_token_spelt_any_other_way_is_refused(spelling: str) -> None:
    assert TokenSigner(KEY).read(GOOD, "unsubscribe").subscriber_id == 12
    with pytest.raises(InvalidToken):
        TokenSigner(KEY).read(spelling, "unsubscribe")


def test_only_the_canonical_last_character_is_accepted() -> None:
    """Unpadded base64 leaves unused low bits in the last character: a lenient decoder reads
    several characters as the same bytes, so one token would have several spellings."""
    signer = TokenSigner(KEY)
    token = make("unsubscribe", 12, "*")  # 34 bytes: 46 characters, the last one 4 bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    same_bytes = [
        token[:-1] + c
        for c in alphabet
        if c != token[-1]
        and base64.urlsafe_b64decode(token[:-1] + c + "=" * (-len(token) % 4))
        == base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    ]
    assert same_bytes  # the lenient decoder does read them alike
    for spelling in same_bytes:
        with pytest.raises(InvalidToken, match="malformed"):
            signer.read(spelling, "unsubscribe")


def test_another_key_or_purpose_is_refused_and_expiry_is_told_apart() -> None:
    signer = TokenSigner(KEY)
    token = make("confirm", 5, "*", ttl_seconds=60)
    with pytest.raises(InvalidToken, match="bad signature"):
        TokenSigner(b"x" * 32).read(token, "confirm")
    with pytest.raises(InvalidToken, match="wrong purpose"):
        signer.read(token, "unsubscribe")
    assert signer.read(token, "confirm").subscriber_id == 5
    expiry = signer.read(token, "confirm").expires_at
    assert expiry is not None
    with pytest.raises(TokenExpired):
        signer.read(token, "confirm", now=expiry + 1)
