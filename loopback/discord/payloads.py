"""Discord objects as the gateway and the REST API send them (API v10), complete enough for
discord.py's parsers: users, members, roles, channels, messages, and the interactions a member
causes (slash command, autocomplete, button click, modal submit).

Ids are snowflakes as decimal strings, as Discord sends them; `snowflake()` makes them unique
and time-ordered like Discord's.
"""

from __future__ import annotations

import itertools
import secrets
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count()
ALL_PERMISSIONS = str((1 << 50) - 1)

# Interaction and option types (https://discord.com/developers/docs/interactions/receiving-and-responding)
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
OPTION_TYPES = {str: 3, int: 4, bool: 5, float: 10}


def snowflake() -> str:
    milliseconds = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return str((milliseconds << 22) | (next(_counter) % 4096))


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def user(name: str, *, user_id: str | None = None, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id or snowflake(),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def member(the_user: dict[str, Any], roles: list[str] | None = None) -> dict[str, Any]:
    return {
        "user": the_user,
        "nick": None,
        "roles": list(roles or []),
        "joined_at": iso_now(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
    }


def role(guild_id: str, name: str, *, role_id: str | None = None, position: int = 1) -> dict:
    return {
        "id": role_id or snowflake(),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "position": position,
        "permissions": ALL_PERMISSIONS if role_id == guild_id else "0",
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def channel(guild_id: str | None, name: str, *, kind: int = 0, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": snowflake(), "type": kind, "name": name, "flags": 0}
    if guild_id is not None:
        data |= {"guild_id": guild_id, "position": 0, "permission_overwrites": [], "nsfw": False}
        data |= {"parent_id": None, "topic": None, "last_message_id": None}
    return data | extra


def message(channel_id: str, author: dict[str, Any], body: dict[str, Any], **extra: Any) -> dict:
    """A message as Discord returns it after a create, from the request's JSON body."""
    return {
        "id": snowflake(),
        "channel_id": channel_id,
        "author": author,
        "content": body.get("content") or "",
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts")),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "pinned": False,
        "type": 0,
        "flags": body.get("flags") or 0,
    } | extra


def _interaction(
    kind: int,
    data: dict[str, Any],
    *,
    application_id: str,
    guild_id: str,
    channel: dict[str, Any],
    member: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": snowflake(),
        "application_id": application_id,
        "type": kind,
        "data": data,
        "guild_id": guild_id,
        "guild": {"id": guild_id, "locale": "fr", "features": []},
        "channel_id": channel["id"],
        "channel": channel,
        "member": member | {"permissions": ALL_PERMISSIONS},
        "token": "itok-" + secrets.token_urlsafe(24),
        "version": 1,
        "app_permissions": ALL_PERMISSIONS,
        "locale": "fr",
        "guild_locale": "fr",
        "entitlements": [],
        "authorizing_integration_owners": {"0": guild_id},
        "context": 0,
        "attachment_size_limit": 10_485_760,
    } | extra


def _options(values: dict[str, Any], focused: str | None = None) -> list[dict[str, Any]]:
    options = []
    for name, value in values.items():
        option = {"name": name, "type": OPTION_TYPES[type(value)], "value": value}
        if name == focused:
            option["focused"] = True
        options.append(option)
    return options


def slash_command(
    command: dict[str, Any], options: dict[str, Any] | None = None, **context: Any
) -> dict[str, Any]:
    """`/name option:value…` typed by `member`; `command` is the registered command (its id)."""
    data = {
        "id": command["id"],
        "name": command["name"],
        "type": 1,
        "guild_id": context["guild_id"],
    }
    if options:
        data["options"] = _options(options)
    return _interaction(APPLICATION_COMMAND, data, **context)


def autocomplete(
    command: dict[str, Any], options: dict[str, Any], focused: str, **context: Any
) -> dict[str, Any]:
    """The member is typing option `focused` of `command` (its partial value in `options`)."""
    data = {
        "id": command["id"],
        "name": command["name"],
        "type": 1,
        "guild_id": context["guild_id"],
    }
    data["options"] = _options(options, focused)
    return _interaction(AUTOCOMPLETE, data, **context)


def button_click(message: dict[str, Any], custom_id: str, **context: Any) -> dict[str, Any]:
    """A click on the button `custom_id` of `message` (a message the bot posted)."""
    data = {"custom_id": custom_id, "component_type": 2}
    return _interaction(MESSAGE_COMPONENT, data, message=message, **context)


def modal_submit(
    custom_id: str,
    values: dict[str, str],
    *,
    message: dict[str, Any] | None = None,
    **context: Any,
) -> dict[str, Any]:
    """The member submits the modal `custom_id`, text inputs' custom_id → typed value, in
    action rows; a modal opened by a message's button comes with that `message`, as Discord
    sends it. For a modal the bot showed (labels, selects), `modal_answer` mirrors it."""
    rows = [
        {"type": 1, "components": [{"type": 4, "custom_id": input_id, "value": value}]}
        for input_id, value in values.items()
    ]
    extra = {"message": message} if message is not None else {}
    data = {"custom_id": custom_id, "components": rows}
    return _interaction(MODAL_SUBMIT, data, **extra, **context)


# Components a member fills in inside a modal: a text input (its `value`), the selects (their
# `values`: option values, or ids for the user, role, mentionable and channel selects).
TEXT_INPUT, SELECTS, ACTION_ROW, LABEL = 4, (3, 5, 6, 7, 8), 1, 18


def modal_answer(
    modal: dict[str, Any],
    values: dict[str, str | list[str]],
    *,
    message: dict[str, Any] | None = None,
    **context: Any,
) -> dict[str, Any]:
    """The member fills in the modal the bot showed (`modal`, the callback's data) and submits
    it, as Discord sends it: the modal's layout (action rows, labels holding one component),
    each component with its numeric `id` (Discord numbers those the bot left out), a text
    input with its `value`, a select with the list of its chosen `values`. A key the modal does
    not have, or an option a string select does not offer, is a mistake of the test."""
    ids = itertools.count(1)
    left = dict(values)

    def answered(component: dict[str, Any]) -> dict[str, Any]:
        kind, key = component["type"], component.get("custom_id")
        done: dict[str, Any] = {"type": kind, "id": component.get("id") or next(ids)}
        if kind == ACTION_ROW:
            return done | {"components": [answered(c) for c in component["components"]]}
        if kind == LABEL:
            return done | {"component": answered(component["component"])}
        if kind == TEXT_INPUT:
            value = left.pop(key, "")
            if not isinstance(value, str):
                raise ValueError(f"{key}: a text input takes a string")
            return done | {"custom_id": key, "value": value}
        if kind in SELECTS:
            chosen = left.pop(key, [])
            offered = [o["value"] for o in component.get("options", [])]
            if not isinstance(chosen, list) or (kind == 3 and not set(chosen) <= set(offered)):
                raise ValueError(f"{key}: {chosen!r} is not a list of {offered}")
            return done | {"custom_id": key, "values": chosen}
        return done  # a text display: nothing to fill in

    rows = [answered(component) for component in modal["components"]]
    if left:
        raise ValueError(f"the modal has no input {sorted(left)}")
    extra = {"message": message} if message is not None else {}
    data = {"custom_id": modal["custom_id"], "components": rows}
    return _interaction(MODAL_SUBMIT, data, **extra, **context)
