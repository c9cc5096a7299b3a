"""The handlers of the REST routes the stand-in serves (see rest.py for what runs before).

Each answers as Discord does, from and into the in-memory state; the errors are Discord's own
JSON errors (code 10003 unknown channel, 10007 unknown member, 10062 unknown interaction, 40060
already acknowledged, 50007 cannot send messages to this user).
"""

from __future__ import annotations

from typing import Any

from loopback.discord import payloads
from loopback.discord.rest import SEND_FORBIDDEN, Answer, Rest, not_found, route
from loopback.discord.state import Guild, Request

P = dict[str, str]


def _guild(rest: Rest, p: P) -> Guild | None:
    return rest.state.guilds.get(p["guild_id"])


# --- login and gateway ------------------------------------------------------------------------


def _bot(rest: Rest, r: Request) -> dict[str, Any]:
    """The bot user of the application whose token made the request."""
    return r.app.bot if r.app is not None else rest.state.bot


@route("GET", "/users/@me")
async def get_me(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    return 200, _bot(rest, r) | {"verified": True, "mfa_enabled": False, "flags": 0}


@route("GET", "/oauth2/applications/@me")
async def get_application(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    state, bot = rest.state, _bot(rest, r)
    return 200, {
        "id": bot["id"],
        "name": bot["username"],
        "icon": None,
        "description": "",
        "bot_public": False,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 1 << 15,  # GATEWAY_GUILD_MEMBERS_LIMITED: the members intent is allowed
        "owner": state.owner,
        "team": None,
        "bot": bot,
        "summary": "",
    }


@route("GET", "/gateway/bot")
async def get_bot_gateway(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
    return 200, {"url": rest.gateway_url(), "shards": 1, "session_start_limit": limit}


@route("GET", "/gateway")
async def get_gateway(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    return 200, {"url": rest.gateway_url()}


# --- application commands ---------------------------------------------------------------------


@route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
async def get_guild_commands(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    guild = _guild(rest, p)
    return (200, guild.commands) if guild else not_found("Guild", 10004)


@route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
async def overwrite_guild_commands(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    guild = _guild(rest, p)
    if guild is None:
        return not_found("Guild", 10004)
    rest.state.command_writes += 1
    known = {c["name"]: c["id"] for c in guild.commands}
    guild.commands = [
        command
        | {
            "id": known.get(command["name"]) or payloads.snowflake(),
            "application_id": p["application_id"],
            "guild_id": guild.id,
            "version": payloads.snowflake(),
            "type": command.get("type", 1),
            "default_member_permissions": command.get("default_member_permissions"),
            "nsfw": command.get("nsfw", False),
        }
        for command in body
    ]
    return 200, guild.commands


# --- channels and messages --------------------------------------------------------------------


@route("GET", "/channels/{channel_id}")
async def get_channel(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    channel = rest.state.channels.get(p["channel_id"])
    return (200, channel) if channel else not_found("Channel", 10003)


@route("POST", "/channels/{channel_id}/messages")
async def create_message(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    state = rest.state
    channel = state.channels.get(p["channel_id"])
    if channel is None:
        return not_found("Channel", 10003)
    if channel["type"] == 1 and channel["recipients"][0]["id"] in state.dms_closed:
        return 403, SEND_FORBIDDEN
    return 200, state.post_message(channel["id"], _bot(rest, r), body)


@route("GET", "/channels/{channel_id}/messages")
async def list_messages(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    return 200, list(reversed(rest.state.channel_messages(p["channel_id"])))[:50]


@route("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    message = rest.state.messages.get(p["message_id"])
    return (200, message) if message else not_found("Message", 10008)


@route("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def edit_message(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    message = rest.state.messages.get(p["message_id"])
    if message is None:
        return not_found("Message", 10008)
    message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
    message["edited_timestamp"] = payloads.iso_now()
    return 200, message


@route("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_message(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    found = rest.state.messages.pop(p["message_id"], None)
    return (204, None) if found else not_found("Message", 10008)


@route("POST", "/users/@me/channels")
async def create_dm(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    state = rest.state
    user_id = str(body["recipient_id"])
    users = {m["user"]["id"]: m["user"] for g in state.guilds.values() for m in g.members.values()}
    if user_id not in users:
        return not_found("User", 10013)
    key = f"{_bot(rest, r)['id']}:{user_id}"  # each bot has its own DM channel with a user
    if key not in state.dm_channels:
        dm = payloads.channel(None, "", kind=1, recipients=[users[user_id]])
        dm.pop("name")
        state.dm_channels[key] = state.channels[dm["id"]] = dm
    return 200, state.dm_channels[key]


# --- threads ----------------------------------------------------------------------------------


async def _thread(
    rest: Rest, r: Request, parent_id: str, body: Any, message_id: str | None
) -> Answer:
    parent = rest.state.channels.get(parent_id)
    if parent is None or "guild_id" not in parent:
        return not_found("Channel", 10003)
    guild = rest.state.guilds[parent["guild_id"]]
    kind = 11 if message_id else body.get("type", 12)
    metadata = {
        "archived": False,
        "auto_archive_duration": body.get("auto_archive_duration", 1440),
        "archive_timestamp": payloads.iso_now(),
        "locked": False,
    }
    thread = rest.state.add_channel(
        guild,
        body["name"],
        kind,
        parent_id=parent_id,
        owner_id=_bot(rest, r)["id"],
        thread_metadata=metadata,
        message_count=0,
        member_count=1,
    )
    if message_id:
        thread["id"] = message_id  # a thread started from a message takes the message's id
        rest.state.channels[message_id] = guild.channels[message_id] = thread
    return 201, thread


@route("POST", "/channels/{channel_id}/threads")
async def create_thread(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    return await _thread(rest, r, p["channel_id"], body, None)


@route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
async def create_thread_from_message(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    return await _thread(rest, r, p["channel_id"], body, p["message_id"])


@route("PUT", "/channels/{channel_id}/thread-members/{user_id}")
async def add_thread_member(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    if p["channel_id"] not in rest.state.channels:
        return not_found("Channel", 10003)
    rest.state.thread_members.setdefault(p["channel_id"], []).append(p["user_id"])
    return 204, None


@route("PATCH", "/channels/{channel_id}")
async def modify_channel(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    """A thread archived or locked (the fields of a thread's `thread_metadata`), or renamed."""
    channel = rest.state.channels.get(p["channel_id"])
    if channel is None:
        return not_found("Channel", 10003)
    metadata = channel.get("thread_metadata")
    for key in ("archived", "locked", "auto_archive_duration", "invitable"):
        if key in body and metadata is not None:
            metadata[key] = body[key]
    if "name" in body:
        channel["name"] = body["name"]
    return 200, channel


# --- guilds, members, roles -------------------------------------------------------------------


@route("GET", "/guilds/{guild_id}")
async def get_guild(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    """The guild as REST gives it: no channels, members or presences (those are the gateway's)."""
    guild = _guild(rest, p)
    if guild is None:
        return not_found("Guild", 10004)
    data = guild.gateway_payload(guild.bot_id)
    for key in ("channels", "threads", "members", "presences", "voice_states", "joined_at"):
        data.pop(key)
    for key in ("large", "member_count", "unavailable", "guild_scheduled_event_id"):
        data.pop(key, None)
    data.pop("stage_instances")
    data.pop("guild_scheduled_events")
    data |= {"approximate_member_count": len(guild.members), "approximate_presence_count": 0}
    return 200, data


@route("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    guild = _guild(rest, p)
    member = guild.members.get(p["user_id"]) if guild else None
    return (200, member) if member else not_found("Member", 10007)


@route("GET", "/guilds/{guild_id}/members")
async def list_members(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    guild = _guild(rest, p)
    if guild is None:
        return not_found("Guild", 10004)
    after, limit = int(r.query.get("after", 0)), int(r.query.get("limit", 1))
    members = sorted(guild.members.values(), key=lambda m: int(m["user"]["id"]))
    return 200, [m for m in members if int(m["user"]["id"]) > after][:limit]


async def _member_role(rest: Rest, p: P, add: bool) -> Answer:
    guild = _guild(rest, p)
    member = guild.members.get(p["user_id"]) if guild else None
    if member is None:
        return not_found("Member", 10007)
    if p["role_id"] not in guild.roles:
        return not_found("Role", 10011)
    bot_member = guild.members[guild.bot_id]
    highest = max((guild.roles[role]["position"] for role in bot_member["roles"]), default=0)
    if guild.roles[p["role_id"]]["position"] >= highest:
        return 403, {"message": "Missing Permissions", "code": 50013}
    roles = [role for role in member["roles"] if role != p["role_id"]]
    member["roles"] = [*roles, p["role_id"]] if add else roles
    return 204, None


@route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def add_member_role(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    return await _member_role(rest, p, add=True)


@route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def remove_member_role(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    return await _member_role(rest, p, add=False)


@route("GET", "/guilds/{guild_id}/roles")
async def list_roles(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    guild = _guild(rest, p)
    return (200, list(guild.roles.values())) if guild else not_found("Guild", 10004)


@route("GET", "/guilds/{guild_id}/channels")
async def list_channels(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    guild = _guild(rest, p)
    if guild is None:
        return not_found("Guild", 10004)
    return 200, [c for c in guild.channels.values() if c["type"] not in (11, 12)]


# --- scheduled events -------------------------------------------------------------------------

EVENTS = "/guilds/{guild_id}/scheduled-events"
EVENT = EVENTS + "/{guild_scheduled_event_id}"


@route("GET", EVENTS)
async def list_events(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    guild = _guild(rest, p)
    return (200, list(guild.scheduled_events.values())) if guild else not_found("Guild", 10004)


@route("POST", EVENTS)
async def create_event(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    guild = _guild(rest, p)
    if guild is None:
        return not_found("Guild", 10004)
    event = {
        "id": payloads.snowflake(),
        "guild_id": guild.id,
        "channel_id": body.get("channel_id"),
        "creator_id": _bot(rest, r)["id"],
        "creator": _bot(rest, r),
        "description": None,
        "scheduled_end_time": None,
        "entity_metadata": None,
        "status": 1,
        "entity_id": None,
        "user_count": 0,
        "image": None,
        "recurrence_rule": None,
    } | body
    guild.scheduled_events[event["id"]] = event
    return 200, event


@route("GET", EVENT)
async def get_event(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    guild = _guild(rest, p)
    event = guild.scheduled_events.get(p["guild_scheduled_event_id"]) if guild else None
    return (200, event) if event else not_found("Guild Scheduled Event", 10070)


@route("PATCH", EVENT)
async def modify_event(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    guild = _guild(rest, p)
    event = guild.scheduled_events.get(p["guild_scheduled_event_id"]) if guild else None
    if event is None:
        return not_found("Guild Scheduled Event", 10070)
    event.update(body)
    return 200, event


@route("DELETE", EVENT)
async def delete_event(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    guild = _guild(rest, p)
    event = guild.scheduled_events.pop(p["guild_scheduled_event_id"], None) if guild else None
    return (204, None) if event else not_found("Guild Scheduled Event", 10070)
