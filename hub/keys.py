"""The hub's secret key, from `HUB_SECRET_KEY`, and the keys derived from it.

Signed links and the suppression list's hashes depend on it: it must not change once links have
been mailed. The suppression key's fingerprint is recorded in the database at first use, and a
different key is refused (`checked_key`): under it, no blocked address would be recognised.

Production (smtp or sendgrid backend) requires the key in the environment. The embedded
defaults (outbox backend) work without it: a random key is then made once and kept in the data
folder, outside the repository, so a fresh clone runs with no secret to set.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import logging
import os
import secrets
from pathlib import Path

from hub.config import Config, ConfigError
from hub.db import Database
from hub.files import private_dir
from hub.secrets import SECRET_KEY_ENV
from hub.secrets import current as current_secrets
from hub.timeutil import french_datetime, from_utc_text, utcnow

log = logging.getLogger(__name__)

ENV_VAR = SECRET_KEY_ENV
MIN_LENGTH = 32
MIN_DISTINCT = 8  # 32 random hex digits use fewer than 8 of the 16 with odds of 1 in 10^7
MAX_RUN = 8  # abcdefgh, 01234567: 64 random hex digits hold one with odds of 1 in 10^6
# Looked for anywhere in the key, case aside; none shorter than 6, so chance does not put one
# in a random key (odds below 1 in 10^7 each).
OBVIOUS_WORDS = (
    "password",
    "passwd",
    "motdepasse",
    "mot-de-passe",
    "secret",
    "changeme",
    "change-me",
    "azerty",
    "qwerty",
    "letmein",
    "example",
    "exemple",
)
GENERATE = '« python -c "import secrets; print(secrets.token_urlsafe(32))" »'
LOCAL_KEY_FILE = "secret.key"


def secret_key(config: Config) -> bytes:
    """The master key; derive a key per purpose with `derived_key`, never use it directly."""
    value = current_secrets().secret_key
    if value:
        problem = weakness(value)
        if problem:
            raise ConfigError(
                f"{ENV_VAR} est refusée : {problem}. Il faut une valeur aléatoire d'au moins "
                f"{MIN_LENGTH} caractères, par exemple la sortie de {GENERATE}"
            )
        return value.encode()
    if config.mail.backend != "outbox":
        raise ConfigError(
            f"{ENV_VAR} n'est pas définie : elle est obligatoire avec le mode d'envoi "
            f"« {config.mail.backend} » (liens de désinscription signés). Générez-la avec "
            f"{GENERATE}"
        )
    return _local_key(config.data_dir / LOCAL_KEY_FILE)


@functools.cache
def weakness(value: str) -> str | None:
    """Why `value` is too easy to guess to sign links and key the suppression list, or None.

    Whoever guesses the key can forge any person's unsubscribe or registration link. A random
    key (`secrets.token_urlsafe`, `token_hex`, a password manager) passes every rule: each one
    catches a way people type a "key" by hand, and none would refuse a random value of 32
    characters or more but with negligible odds.
    """
    if not value.strip():
        return "elle n'est faite que d'espaces"
    if value != value.strip():
        return "elle commence ou finit par un espace (copier-coller incomplet ?)"
    if len(value) < MIN_LENGTH:
        return f"elle est trop courte ({len(value)} caractères)"
    if len(set(value)) < MIN_DISTINCT:
        return f"elle n'utilise que {len(set(value))} caractère(s) différent(s)"
    if max(map(value.count, set(value))) * 2 > len(value):
        return "un même caractère en fait plus de la moitié"
    period = _period(value)
    if period <= len(value) // 2:
        return (
            f"elle répète le motif « {value[:period]} »"
            if period <= 4
            else ("elle répète un même motif")
        )
    if _longest_run(value) >= MAX_RUN:
        return "elle contient une suite évidente (0123…, abcd…)"
    lowered = value.lower()
    for word in OBVIOUS_WORDS:
        if word in lowered:
            return f"elle contient le mot « {word} »"
    return None


def _period(text: str) -> int:
    """The shortest p such that `text` is a prefix of its first p characters repeated."""
    border = [0] * len(text)  # Knuth–Morris–Pratt failure function
    k = 0
    for i in range(1, len(text)):
        while k and text[i] != text[k]:
            k = border[k - 1]
        if text[i] == text[k]:
            k += 1
        border[i] = k
    return len(text) - border[-1]


def _longest_run(text: str) -> int:
    """The longest run of characters that follow each other up or down (abcd, 9876)."""
    longest = run = 1
    step = 0
    for previous, current in itertools.pairwise(text):
        gap = ord(current) - ord(previous)
        if gap in (1, -1) and gap == step:
            run += 1
        elif gap in (1, -1):
            run, step = 2, gap
        else:
            run, step = 1, 0
        longest = max(longest, run)
    return longest


def _local_key(path: Path) -> bytes:
    """A key made once per data folder for the outbox backend (demo, development)."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    private_dir(path.parent)
    key = secrets.token_urlsafe(48).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as file:
        file.write(key)
    log.warning("secret key created", extra={"path": str(path), "hint": "set HUB_SECRET_KEY"})
    return key


def derived_key(config: Config, purpose: str) -> bytes:
    """A key for one purpose, so a signature made for one use is worthless for another."""
    return hmac.new(secret_key(config), f"fcpts-hub:{purpose}".encode(), hashlib.sha256).digest()


class KeyChanged(ConfigError):
    """The secret key is not the one the database's keyed hashes were made with."""


def fingerprint(key: bytes) -> str:
    """What the database keeps of a key: enough to tell it changed, nothing to recover it."""
    return hmac.new(key, b"fcpts-hub:fingerprint", hashlib.sha256).hexdigest()


async def checked_key(db: Database, config: Config, purpose: str) -> bytes:
    """The derived key for `purpose`, after checking it is the one this database was first
    used with (its fingerprint is recorded then); `KeyChanged` otherwise."""
    key = derived_key(config, purpose)
    async with db.transaction():
        row = await db.fetch_one(
            "key_fingerprint_record",
            {"purpose": purpose, "fingerprint": fingerprint(key), "now": utcnow()},
        )
    assert row is not None
    if not hmac.compare_digest(row["fingerprint"], fingerprint(key)):
        since = from_utc_text(row["recorded_at"])
        local_file = config.data_dir / LOCAL_KEY_FILE
        if current_secrets().secret_key:
            where, restore = ENV_VAR, f"Remettez la valeur d'origine de {ENV_VAR}"
        else:
            where, restore = str(local_file), f"Remettez le fichier d'origine {local_file}"
        raise KeyChanged(
            f"la clé secrète ({where}) n'est plus celle avec laquelle la base {db.path} est "
            f"utilisée depuis le {french_datetime(since, config.tz) if since else '?'} : les "
            "adresses bloquées (rebonds, plaintes, effacements RGPD) n'y seraient plus "
            f"reconnues et recevraient de nouveau nos e-mails. {restore} (sauvegarde, "
            "gestionnaire de secrets) et relancez. Si elle est perdue pour de bon, n'envoyez "
            "rien et contactez la personne responsable technique du hub : la liste de blocage "
            "doit être reconstituée avant tout envoi."
        )
    return key
