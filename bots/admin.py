"""What staff do about a bot from the command line, over Discord's REST API only (no gateway:
the running hub's bot keeps its session): the invitation link, the setup check, and roles given
or taken back when staff link or unlink someone by hand.

The check says, in French, everything Discord would later refuse: a server the bot is not in,
a missing channel or role, a role above the bot's own (Discord refuses to give it), a channel
where the bot cannot read or post.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import discord

from bots.endpoints import apply_endpoints
from hub.community.servers import CHANNEL_KEYS, GIVEN_ROLES, ServerConfig

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
SCOPES = "bot applications.commands"
# In the whole server: give and take back roles, keep the agenda's scheduled events.
GUILD_PERMISSIONS = discord.Permissions(manage_roles=True, manage_events=True, create_events=True)
# In each configured channel: see it, post (with embeds and buttons), find its own posts.
CHANNEL_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, read_message_history=True
)
# In #questions: open a question's private thread, post in it and add the member and the
# staff to it (sending in threads), lock it once resolved (only Manage Threads may lock).
CHANNEL_EXTRA_PERMISSIONS = {
    "questions": discord.Permissions(
        create_private_threads=True, send_messages_in_threads=True, manage_threads=True
    )
}
PERMISSION_LABELS = {
    "create_private_threads": "créer des fils privés",
    "send_messages_in_threads": "envoyer des messages dans les fils",
    "manage_threads": "gérer les fils",
    "view_channel": "voir le salon",
    "send_messages": "envoyer des messages",
    "embed_links": "intégrer des liens",
    "read_message_history": "voir les anciens messages",
    "manage_roles": "gérer les rôles",
    "manage_events": "gérer les événements",
    "create_events": "créer des événements",
}


def channel_permissions(key: str) -> discord.Permissions:
    """What the bot needs in the channel configured as `key`."""
    extra = CHANNEL_EXTRA_PERMISSIONS.get(key)
    return CHANNEL_PERMISSIONS | extra if extra is not None else CHANNEL_PERMISSIONS


def needed_permissions() -> discord.Permissions:
    value = GUILD_PERMISSIONS.value | CHANNEL_PERMISSIONS.value
    for extra in CHANNEL_EXTRA_PERMISSIONS.values():
        value |= extra.value
    return discord.Permissions(value)


def invite_url(application_id: int, server: ServerConfig) -> str:
    """The OAuth2 link that adds the bot with exactly the scopes and permissions it needs."""
    query = {
        "client_id": str(application_id),
        "scope": SCOPES,
        "permissions": str(needed_permissions().value),
    }
    if server.guild_id:
        query |= {"guild_id": str(server.guild_id), "disable_guild_select": "true"}
    return f"{AUTHORIZE_URL}?{urlencode(query)}"


class AdminError(Exception):
    """Discord refused the token or the request (the message is French)."""


@contextlib.asynccontextmanager
async def rest_client(token: str, env: Mapping[str, str]) -> AsyncIterator[discord.Client]:
    """A client logged in over REST only (`login`, never `connect`)."""
    apply_endpoints(env)
    client = discord.Client(intents=discord.Intents.none())
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            raise AdminError("Discord refuse ce jeton") from None
        yield client
    finally:
        await client.close()


async def application_id(client: discord.Client) -> int:
    info = await client.application_info()
    return info.id


@dataclass(frozen=True)
class Finding:
    ok: bool
    text: str


def _missing(have: discord.Permissions, wanted: discord.Permissions) -> list[str]:
    return [
        PERMISSION_LABELS.get(name, name)
        for name, value in wanted
        if value and not getattr(have, name)
    ]


def _find(items: Sequence[discord.abc.Snowflake], names: dict[int, str], wanted: str) -> int | None:
    wanted = wanted.strip()
    if wanted.isdigit() and int(wanted) in names:
        return int(wanted)
    return next((item.id for item in items if names[item.id] == wanted), None)


async def check_server(client: discord.Client, server: ServerConfig) -> list[Finding]:
    """Everything the bot needs in its server, each a finding (ok or what to fix)."""
    assert client.user is not None
    try:
        guild = await client.fetch_guild(server.guild_id)
        me = await guild.fetch_member(client.user.id)
    except (discord.NotFound, discord.Forbidden):
        return [
            Finding(
                False,
                f"le bot n'est pas membre du serveur {server.guild_id} : invitez-le avec le "
                "lien d'invitation",
            )
        ]
    findings = [Finding(True, f"serveur « {guild.name} »")]
    top = me.top_role
    missing = _missing(me.guild_permissions, GUILD_PERMISSIONS)
    findings.append(Finding(not missing, "permissions du bot dans le serveur" + _listed(missing)))
    role_names = {role.id: role.name for role in guild.roles}
    for key in (*GIVEN_ROLES, "staff"):
        wanted = server.role(key)
        found = _find(guild.roles, role_names, wanted)
        if found is None:
            findings.append(Finding(False, f"rôle introuvable : roles.{key} = « {wanted} »"))
            continue
        role = guild.get_role(found)
        assert role is not None
        if key != "staff" and role >= top:
            findings.append(
                Finding(
                    False,
                    f"le rôle « {role.name} » est au-dessus du rôle du bot « {top.name} » : "
                    "Discord refusera de le donner ; remontez le rôle du bot",
                )
            )
        else:
            findings.append(Finding(True, f"rôle « {role.name} » ({key})"))
    channels = [c for c in await guild.fetch_channels() if isinstance(c, discord.TextChannel)]
    channel_names = {channel.id: channel.name for channel in channels}
    for key in CHANNEL_KEYS:
        wanted = server.channel(key)
        found = _find(channels, channel_names, wanted)
        channel = next((c for c in channels if c.id == found), None)
        if channel is None:
            findings.append(Finding(False, f"salon introuvable : channels.{key} = « {wanted} »"))
            continue
        missing = _missing(channel.permissions_for(me), channel_permissions(key))
        findings.append(Finding(not missing, f"salon #{channel.name} ({key})" + _listed(missing)))
    return findings


def _listed(missing: list[str]) -> str:
    return f" : il manque {', '.join(missing)}" if missing else ""


async def set_roles(
    client: discord.Client,
    server: ServerConfig,
    user_id: int,
    roles: Sequence[str],
    *,
    give: bool,
    reason: str,
) -> tuple[str, ...]:
    """Give (or take back) role keys to a member over REST; the keys that were found."""
    guild_roles = await client.http.get_roles(server.guild_id)
    names = {int(role["id"]): role["name"] for role in guild_roles}
    objects = [discord.Object(role_id) for role_id in names]
    done = []
    for key in roles:
        found = _find(objects, names, server.role(key))
        if found is None:
            continue
        if give:
            await client.http.add_role(server.guild_id, user_id, found, reason=reason)
        else:
            await client.http.remove_role(server.guild_id, user_id, found, reason=reason)
        done.append(key)
    return tuple(done)
