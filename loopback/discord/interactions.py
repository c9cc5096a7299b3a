"""Interaction callbacks and their webhook (follow-ups, the original response), as Discord
keeps them: one callback per interaction (a second is 40060 "already acknowledged"), an
unknown or foreign token is 10062, and the callback's time is kept so a benchmark can measure
how fast the bot acknowledges (`Interaction.ack_seconds`)."""

from __future__ import annotations

import time
from typing import Any

from loopback.discord import payloads
from loopback.discord.rest import Answer, Rest, route
from loopback.discord.state import Interaction, Request

P = dict[str, str]
EPHEMERAL, LOADING = 64, 128
MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE = 4, 5, 6, 7
UNKNOWN = 404, {"message": "Unknown interaction", "code": 10062}
UNKNOWN_WEBHOOK = 404, {"message": "Unknown Webhook", "code": 10015}
ALREADY = 400, {"message": "Interaction has already been acknowledged.", "code": 40060}


def _response_message(rest: Rest, interaction: Interaction, data: dict, flags: int) -> dict:
    payload = interaction.payload
    metadata = {
        "id": payload["id"],
        "type": payload["type"],
        "user": payload["member"]["user"] if "member" in payload else payload["user"],
        "authorizing_integration_owners": payload["authorizing_integration_owners"],
    }
    app = rest.state.app_by_id(payload["application_id"])
    return rest.state.post_message(
        payload["channel_id"],
        app.bot if app is not None else rest.state.bot,
        data | {"flags": flags},
        type=20 if payload["type"] == 2 else 19,
        webhook_id=payload["application_id"],
        application_id=payload["application_id"],
        interaction_metadata=metadata,
    )


@route("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
async def callback(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    interaction = rest.state.interactions.get(p["interaction_token"])
    if interaction is None or interaction.payload["id"] != p["interaction_id"]:
        return UNKNOWN
    if interaction.callback is not None:
        return ALREADY
    interaction.callback, interaction.acked_at = body, time.monotonic()
    kind, data = body["type"], body.get("data") or {}
    flags = (data.get("flags") or 0) & EPHEMERAL
    message = None
    if kind == MESSAGE:
        message = _response_message(rest, interaction, data, flags)
    elif kind == DEFERRED_MESSAGE:
        message = _response_message(rest, interaction, {}, flags | LOADING)
    elif kind in (DEFERRED_UPDATE, UPDATE) and "message" in interaction.payload:
        message = rest.state.messages.get(interaction.payload["message"]["id"])
        if message is not None and kind == UPDATE:
            message.update({k: v for k, v in data.items() if k in ("content", "components")})
    interaction.original = message
    if r.query.get("with_response") not in ("1", "true", "True"):
        return 204, None
    answer: dict[str, Any] = {
        "interaction": {
            "id": p["interaction_id"],
            "type": interaction.payload["type"],
            "response_message_loading": kind == DEFERRED_MESSAGE,
            "response_message_ephemeral": bool(flags),
        }
    }
    if message is not None:
        answer["interaction"]["response_message_id"] = message["id"]
        answer["resource"] = {"type": kind, "message": message}
    else:
        answer["resource"] = {"type": kind}
    return 200, answer


def _by_webhook(rest: Rest, p: P) -> Interaction | None:
    interaction = rest.state.interactions.get(p["webhook_token"])
    if interaction is None or interaction.payload["application_id"] != p["webhook_id"]:
        return None
    return interaction


@route("POST", "/webhooks/{webhook_id}/{webhook_token}")
async def followup(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    interaction = _by_webhook(rest, p)
    if interaction is None:
        return UNKNOWN_WEBHOOK
    if interaction.callback is None:
        return UNKNOWN  # a follow-up needs the interaction acknowledged first
    flags = (body.get("flags") or 0) & EPHEMERAL
    message = _response_message(rest, interaction, body, flags)
    interaction.followups.append(message)
    return (200, message) if r.query.get("wait") in ("1", "true", "True") else (204, None)


def _original(rest: Rest, p: P) -> tuple[Interaction | None, dict | None]:
    interaction = _by_webhook(rest, p)
    return interaction, (interaction.original if interaction else None)


@route("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
async def get_original(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    _, message = _original(rest, p)
    return (200, message) if message else (404, {"message": "Unknown Message", "code": 10008})


@route("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
async def edit_original(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    _, message = _original(rest, p)
    if message is None:
        return 404, {"message": "Unknown Message", "code": 10008}
    message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
    message["flags"] &= ~LOADING
    message["edited_timestamp"] = payloads.iso_now()
    return 200, message


@route("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
async def delete_original(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    interaction, message = _original(rest, p)
    if interaction is None or message is None:
        return 404, {"message": "Unknown Message", "code": 10008}
    rest.state.messages.pop(message["id"], None)
    interaction.original = None
    return 204, None


@route("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}")
async def edit_followup(rest: Rest, p: P, body: Any, r: Request) -> Answer:
    interaction = _by_webhook(rest, p)
    message = rest.state.messages.get(p["message_id"]) if interaction else None
    if message is None:
        return 404, {"message": "Unknown Message", "code": 10008}
    message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
    return 200, message
