"""`hub discord`: the bots seen from the command line — status, invitation links, the setup
check, and identification by hand (staff link or unlink someone they know)."""

from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING

import click
import discord

from bots.admin import AdminError, application_id, check_server, invite_url, rest_client, set_roles
from bots.endpoints import EndpointError
from hub.cli import HubContext, HubGroup, pass_hub, print_json, run_async
from hub.community.one_account import recognise
from hub.community.servers import ServerConfig
from hub.config import Config
from hub.errors import UserError
from hub.secrets import Secrets
from hub.timeutil import french_datetime

if TYPE_CHECKING:
    from hub.services import HubServices


@click.group("discord", cls=HubGroup)
def discord_group() -> None:
    """Les bots Discord : état, lien d'invitation, vérification, identification à la main."""


def _server(config: Config, key: str) -> ServerConfig:
    try:
        return config.discord[key]
    except KeyError:
        known = ", ".join(sorted(config.discord)) or "aucun"
        raise UserError(
            f"serveur Discord inconnu « {key} » ; serveurs configurés : {known}"
        ) from None


def _secrets(config: Config) -> Secrets:
    """The bots' tokens, for the commands that open no services (nor the database): read
    from the environment by the hub's one reader of secrets."""
    token_envs = tuple(server.token_env for server in config.discord.values())
    return Secrets.from_env(discord_token_envs=token_envs)


def _token(secrets: Secrets, server: ServerConfig) -> str:
    token = secrets.discord_tokens.get(server.token_env, "")
    if not token:
        raise UserError(
            f"{server.token_env} n'est pas définie : le jeton du bot « {server.name} » est "
            "nécessaire ici (portail des développeurs Discord, page « Bot »)"
        )
    return token


def _enabled(server: ServerConfig) -> ServerConfig:
    if not server.enabled:
        raise UserError(
            f"le bot « {server.name} » est désactivé : indiquez l'identifiant du serveur dans "
            f"[discord.{server.key}].guild_id"
        )
    return server


@discord_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def status_command(hub: HubContext, as_json: bool) -> None:
    """Chaque bot : configuré, jeton présent, dernière connexion, membres identifiés."""
    config = hub.config
    async with hub.services() as services:
        status, identification = services.bot_status, services.identification
        links = await identification.link_counts()
        pending = await identification.pending_codes()
        rows = []
        for server in config.discord.values():
            record = await status.get(server.key)
            rows.append(
                {
                    "server": server.key,
                    "name": server.name,
                    "configured": server.enabled,
                    "token": bool(services.secrets.discord_tokens.get(server.token_env)),
                    "token_env": server.token_env,
                    "last_connection": record.connected_at.isoformat()
                    if record.connected_at
                    else None,
                    "identified": links.get(server.key, 0),
                    "pending_codes": pending.get(server.key, 0),
                }
            )
            last = record.connected_at
            rows[-1]["_last"] = french_datetime(last, config.tz) if last else "jamais"
    if as_json:
        print_json([{k: v for k, v in row.items() if not k.startswith("_")} for row in rows])
        return
    if not rows:
        click.echo("Aucun bot Discord configuré ([discord.<clé>] dans la configuration).")
    for row in rows:
        click.echo(f"{row['name']} ({row['server']})")
        configured = "oui" if row["configured"] else "non (guild_id = 0 : bot désactivé)"
        click.echo(f"  configuré : {configured}")
        token = "présent" if row["token"] else f"absent ({row['token_env']} n'est pas définie)"
        click.echo(f"  jeton : {token}")
        click.echo(f"  dernière connexion : {row['_last']}")
        click.echo(f"  membres identifiés : {row['identified']}")
        click.echo(f"  codes en attente : {row['pending_codes']}")


@discord_group.command("invite")
@pass_hub
@run_async
async def invite_command(hub: HubContext) -> None:
    """Le lien qui ajoute chaque bot à son serveur, avec les permissions nécessaires."""
    config = hub.config
    if not config.discord:
        raise UserError("aucun bot Discord configuré ([discord.<clé>] dans la configuration)")
    secrets = _secrets(config)
    for server in config.discord.values():
        try:
            async with rest_client(_token(secrets, server), os.environ) as client:
                app_id = await application_id(client)
        except (AdminError, EndpointError) as exc:
            raise UserError(f"bot « {server.name} » : {exc}") from None
        click.echo(f"{server.name} ({server.key}) :\n  {invite_url(app_id, server)}")


@discord_group.command("check")
@click.argument("server_key", metavar="SERVEUR", required=False)
@pass_hub
@run_async
async def check_command(hub: HubContext, server_key: str | None) -> None:
    """Vérifie avec le jeton : serveur, salons, rôles, place du rôle du bot, permissions."""
    config = hub.config
    keys = [server_key] if server_key else [k for k, s in config.discord.items() if s.enabled]
    if not keys:
        raise UserError("aucun bot Discord activé (guild_id = 0 partout)")
    problems = 0
    secrets = _secrets(config)
    for key in keys:
        server = _enabled(_server(config, key))
        try:
            async with rest_client(_token(secrets, server), os.environ) as client:
                findings = await check_server(client, server)
        except (AdminError, EndpointError) as exc:
            raise UserError(f"bot « {server.name} » : {exc}") from None
        click.echo(f"{server.name} ({server.key}) :")
        for finding in findings:
            click.echo(f"  {'ok ' if finding.ok else 'À CORRIGER'} {finding.text}")
        problems += sum(not finding.ok for finding in findings)
    if problems:
        raise UserError(f"{problems} point(s) à corriger avant que les bots puissent servir")
    click.echo("Tout est prêt.")


@discord_group.command("link")
@click.argument("server_key", metavar="SERVEUR")
@click.argument("user_id", metavar="ID_DISCORD", type=click.IntRange(min=1))
@click.argument("email", metavar="ADRESSE")
@pass_hub
@run_async
async def link_command(hub: HubContext, server_key: str, user_id: int, email: str) -> None:
    """Relie un compte Discord à la personne de cette adresse et lui donne ses rôles."""
    config = hub.config
    server = _server(config, server_key)
    staff = getpass.getuser()
    async with hub.services() as services:
        identification = services.identification
        linked = await identification.link_by_hand(user_id, email, server=server.key, staff=staff)
        given: tuple[str, ...] = ()
        secrets = services.secrets
        if linked.roles and server.enabled and secrets.discord_tokens.get(server.token_env):
            try:
                async with rest_client(_token(secrets, server), os.environ) as client:
                    given = await set_roles(
                        client, server, user_id, linked.roles, give=True, reason="hub discord link"
                    )
            except (AdminError, EndpointError) as exc:
                raise UserError(f"lien enregistré, mais rôles non donnés : {exc}") from None
            await identification.record_roles(user_id, given, server=server.key)
        elsewhere = await _spread(services, server, user_id)
    click.echo(f"Compte {user_id} relié à {linked.person.email} sur « {server.name} ».")
    if linked.roles and not given:
        click.echo(f"Rôles à donner (jeton absent) : {', '.join(linked.roles)}")
    elif given:
        click.echo(f"Rôles donnés : {', '.join(given)}")
    else:
        click.echo("Aucun rôle : ce n'est pas un contact d'une CPTS adhérente.")
    for line in elsewhere:
        click.echo(line)


async def _spread(services: HubServices, origin: ServerConfig, user_id: int) -> list[str]:
    """One account is one person in every server (hub/community/one_account.py): the account
    is linked too, with its roles, in the other servers whose bot has a token and where it is
    a member. A server Discord cannot be asked about is said, the link stands."""
    lines = []
    for server in services.config.discord.values():
        token = services.secrets.discord_tokens.get(server.token_env, "")
        if server.key == origin.key or not server.enabled or not token:
            continue
        try:
            async with rest_client(token, os.environ) as client:
                try:
                    await client.http.get_member(server.guild_id, user_id)
                except discord.NotFound:
                    continue  # not a member there
                linked = await recognise(services.identification, user_id, server=server.key)
                if linked is None:
                    continue
                given = await set_roles(
                    client, server, user_id, linked.roles, give=True, reason="hub discord link"
                )
        except (AdminError, EndpointError, discord.HTTPException) as exc:
            lines.append(f"« {server.name} » : rôles non donnés ({exc})")
            continue
        link = await services.identification.link_of(user_id, server=server.key)
        kept = link.roles if link else ()
        await services.identification.record_roles(
            user_id, tuple(dict.fromkeys(kept + given)), server=server.key
        )
        done = f"rôles donnés : {', '.join(given)}" if given else "aucun rôle à donner"
        lines.append(f"Aussi relié sur « {server.name} » (membre de ce serveur) : {done}.")
    return lines


@discord_group.command("unlink")
@click.argument("server_key", metavar="SERVEUR")
@click.argument("user_id", metavar="ID_DISCORD", type=click.IntRange(min=1))
@pass_hub
@run_async
async def unlink_command(hub: HubContext, server_key: str, user_id: int) -> None:
    """Défait le lien d'un compte Discord et reprend les rôles que le bot lui a donnés."""
    config = hub.config
    server = _server(config, server_key)
    async with hub.services() as services:
        roles = await services.identification.unlink(user_id, server=server.key)
        secrets = services.secrets
    if roles is None:
        raise UserError(f"le compte {user_id} n'est relié à personne sur « {server.name} »")
    taken: tuple[str, ...] = ()
    if roles and server.enabled and secrets.discord_tokens.get(server.token_env):
        try:
            async with rest_client(_token(secrets, server), os.environ) as client:
                taken = await set_roles(
                    client, server, user_id, roles, give=False, reason="hub discord unlink"
                )
        except (AdminError, EndpointError) as exc:
            raise UserError(f"lien défait, mais rôles non repris : {exc}") from None
    click.echo(f"Compte {user_id} n'est plus relié sur « {server.name} ».")
    if roles and not taken:
        click.echo(f"Rôles à reprendre à la main (jeton absent) : {', '.join(roles)}")
    elif taken:
        click.echo(f"Rôles repris : {', '.join(taken)}")


def setup(cli: click.Group) -> None:
    from hub.cli import discord_news  # the news commands (issue 12), on the same group

    discord_news.register(discord_group)
    cli.add_command(discord_group)
