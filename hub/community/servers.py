"""The `[discord.<key>]` tables of the configuration: one Discord server (and its bot) each.

Validated at load time like the rest of `config/hub.toml`, so a typo in a channel or role key
stops the hub with a French message naming the key, instead of a bot that silently never posts.
Channels and roles are given by name or by id: staff know the names, ids survive a rename.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from hub.config import AUDIENCES, ConfigError, _build

# What each bot needs to find in its server: the features of part 1 and 2 post or answer there.
CHANNEL_KEYS = ("accueil", "agenda", "annonces", "actualites", "questions", "staff")
# The roles the bot gives (all but staff) and the one whose holders may validate members.
ROLE_KEYS = ("adherent", "salarie", "coordinateur", "elu", "staff")
GIVEN_ROLES = ("adherent", "salarie", "coordinateur", "elu")
ALL_EDITIONS = "*"
DEFAULT_FEED_CATEGORIES = ("Actualités", "Juridique", "Politique de santé")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


@dataclass(frozen=True)
class ServerConfig:
    """One configured server. `guild_id = 0` keeps its bot off (the shipped default)."""

    name: str
    guild_id: int
    token_env: str
    audiences: list[str] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    key: str = ""  # the table's key ("salaries"), filled in by the loader
    # The newsletter editions announced in #annonces (« * »: every edition, the default).
    editions: list[str] = field(default_factory=lambda: [ALL_EDITIONS])
    # The feed categories whose new items go to #actualites (matched case-insensitively).
    feed_categories: list[str] = field(default_factory=lambda: list(DEFAULT_FEED_CATEGORIES))

    @property
    def enabled(self) -> bool:
        return self.guild_id != 0

    def channel(self, key: str) -> str:
        return self.channels[key]

    def role(self, key: str) -> str:
        return self.roles[key]

    def receives(self, edition: str) -> bool:
        """Whether this server's #annonces gets the issues of `edition`."""
        return ALL_EDITIONS in self.editions or edition in self.editions


def load_servers(
    raw: object, path: Path, editions: Collection[str] | None = None
) -> dict[str, ServerConfig]:
    """The `[discord]` table as typed servers; `ConfigError` naming the key on any mistake."""
    servers = typing.cast(
        dict[str, ServerConfig], _build(dict[str, ServerConfig], raw, "[discord]", path)
    )
    checked: dict[str, ServerConfig] = {}
    seen_guilds: dict[int, str] = {}
    for key, server in servers.items():
        where = f"[discord.{key}]"
        if server.guild_id < 0:
            raise ConfigError(
                f"{path} : {where}.guild_id : attendu l'identifiant du serveur (0 : bot "
                f"désactivé), trouvé {server.guild_id}"
            )
        if server.guild_id and server.guild_id in seen_guilds:
            raise ConfigError(
                f"{path} : {where}.guild_id : serveur déjà configuré dans "
                f"[discord.{seen_guilds[server.guild_id]}]"
            )
        if server.guild_id:
            seen_guilds[server.guild_id] = key
        if not _ENV_NAME.fullmatch(server.token_env):
            raise ConfigError(
                f"{path} : {where}.token_env : attendu le nom d'une variable d'environnement "
                f"comme 'DISCORD_TOKEN_SALARIES' (jamais le jeton lui-même), trouvé "
                f"{server.token_env!r}"
            )
        for audience in server.audiences:
            if audience not in AUDIENCES:
                raise ConfigError(
                    f"{path} : {where}.audiences : public inconnu {audience!r} ; publics "
                    f"possibles : {', '.join(AUDIENCES)}"
                )
        if editions is not None:
            _check_editions(server.editions, editions, f"{where}.editions", path)
        _check_keys(server.channels, CHANNEL_KEYS, f"{where}.channels", "salon", path)
        _check_keys(server.roles, ROLE_KEYS, f"{where}.roles", "rôle", path)
        checked[key] = ServerConfig(
            name=server.name,
            guild_id=server.guild_id,
            token_env=server.token_env,
            audiences=list(server.audiences),
            channels=dict(server.channels),
            roles=dict(server.roles),
            key=key,
            editions=list(server.editions),
            feed_categories=_feed_categories(server.feed_categories, where, path),
        )
    return checked


def _check_keys(
    given: dict[str, str], wanted: tuple[str, ...], where: str, what: str, path: Path
) -> None:
    unknown = sorted(set(given) - set(wanted))
    if unknown:
        raise ConfigError(
            f"{path} : {where} : clé inconnue {unknown[0]!r} ; clés possibles ici : "
            f"{', '.join(wanted)}"
        )
    missing = [key for key in wanted if key not in given]
    if missing:
        raise ConfigError(
            f"{path} : {where}.{missing[0]} : {what} manquant (son nom ou son identifiant)"
        )
    for key in wanted:
        if not given[key].strip():
            raise ConfigError(
                f"{path} : {where}.{key} : {what} vide (attendu son nom ou son identifiant)"
            )


def _check_editions(given: list[str], known: Collection[str], where: str, path: Path) -> None:
    for edition in given:
        if edition != ALL_EDITIONS and edition not in known:
            raise ConfigError(
                f"{path} : {where} : édition inconnue {edition!r} ; éditions possibles : "
                f"{', '.join(sorted(known))} (ou « * » : toutes)"
            )


def _feed_categories(given: list[str], where: str, path: Path) -> list[str]:
    for category in given:
        if not category.strip():
            raise ConfigError(
                f"{path} : {where}.feed_categories : catégorie vide (attendu une catégorie du "
                "flux, par exemple « Actualités »)"
            )
    return list(given)
