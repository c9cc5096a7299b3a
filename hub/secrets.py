"""The hub's secrets, read from the environment here and nowhere else.

The secret key, the SendGrid API key, the SMTP password, SendGrid's webhook public key and the
Discord bots' tokens are never in the configuration file nor in the repository. Reading them in
one module makes that checkable (tests/hub/test_secrets.py fails if another module reads one
from `os.environ`) and lets `HubServices` hand them to the services that need them. A `Secrets`
never shows a value in its `repr`, so a traceback or a debug log cannot leak one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

SECRET_KEY_ENV = "HUB_SECRET_KEY"
SENDGRID_API_KEY_ENV = "SENDGRID_API_KEY"
SMTP_PASSWORD_ENV = "HUB_SMTP_PASSWORD"
WEBHOOK_PUBLIC_KEY_ENV = "HUB_SENDGRID_WEBHOOK_PUBLIC_KEY"
# The fixed names above; a Discord token's variable is named by `token_env` in the config.
SECRET_ENVS = frozenset(
    {SECRET_KEY_ENV, SENDGRID_API_KEY_ENV, SMTP_PASSWORD_ENV, WEBHOOK_PUBLIC_KEY_ENV}
)


@dataclass(frozen=True, repr=False)
class Secrets:
    """Every secret the hub uses, as the environment gave it ("" when unset)."""

    secret_key: str = ""
    sendgrid_api_key: str = ""
    smtp_password: str = ""
    webhook_public_key: str = ""
    # Discord bot tokens by the name of the variable that holds them (`token_env` in the config).
    discord_tokens: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, discord_token_envs: tuple[str, ...] = ()
    ) -> Secrets:
        env = os.environ if env is None else env
        return cls(
            secret_key=env.get(SECRET_KEY_ENV, ""),
            sendgrid_api_key=env.get(SENDGRID_API_KEY_ENV, "").strip(),
            smtp_password=env.get(SMTP_PASSWORD_ENV, ""),
            webhook_public_key=env.get(WEBHOOK_PUBLIC_KEY_ENV, "").strip(),
            discord_tokens={
                name: env[name].strip() for name in discord_token_envs if env.get(name)
            },
        )

    def __repr__(self) -> str:
        shown = []
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Mapping):
                shown.append(f"{item.name}={{{', '.join(f'{k}: <défini>' for k in value)}}}")
            else:
                shown.append(f"{item.name}={'<défini>' if value else '<absent>'}")
        return f"Secrets({', '.join(shown)})"


def current(env: Mapping[str, str] | None = None) -> Secrets:
    """The fixed secrets as the environment holds them now, for code that runs outside a
    `HubServices` (the key functions, a mail backend built on its own); Discord tokens are
    read by name with `discord_token`."""
    return Secrets.from_env(env)


def discord_token(token_env: str, env: Mapping[str, str] | None = None) -> str:
    """A Discord bot's token from the variable its server names (`token_env`), "" if unset."""
    return Secrets.from_env(env, discord_token_envs=(token_env,)).discord_tokens.get(token_env, "")
