"""Signing SendGrid Event Webhook requests as SendGrid does, for tests and the local SendGrid.

SendGrid signs `timestamp + raw body` with ECDSA P-256 / SHA-256 and sends the DER signature in
base64; the public key it shows is a base64 DER SubjectPublicKeyInfo.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The public key as SendGrid shows it (and as HUB_SENDGRID_WEBHOOK_PUBLIC_KEY takes it)."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def public_key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sign(key: ec.EllipticCurvePrivateKey, body: bytes, timestamp: int | str) -> str:
    signature = key.sign(str(timestamp).encode() + body, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


def signed_headers(key: ec.EllipticCurvePrivateKey, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers SendGrid would send with `body` at `timestamp` (Unix seconds)."""
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(key, body, timestamp),
        TIMESTAMP_HEADER: str(timestamp),
    }
