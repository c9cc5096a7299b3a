"""Whether a bot's post could ping anyone it did not name: checked on every message request.

Issue 12 §3: no post of the bots ever pings anyone unless staff chose it. Discord pings what a
message's `allowed_mentions` lets it parse, and *everything* a message mentions when the field
is absent; so every request that writes a message (a channel post or edit, an interaction's
answer, a follow-up, an edit of either) must carry `allowed_mentions` with `parse` empty. Named
users or roles (`users`, `roles`) are the bot's choice and allowed here: the tests that need
them assert them exactly.
"""

from __future__ import annotations

from typing import Any

from loopback.discord.state import Request

MESSAGE_ROUTES = {
    ("POST", "/channels/{channel_id}/messages"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
}
CALLBACK = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
MESSAGE_CALLBACKS = {4, 7}  # CHANNEL_MESSAGE_WITH_SOURCE, UPDATE_MESSAGE
MESSAGE_FIELDS = ("content", "embeds")  # what can carry a mention


def _message(request: Request) -> dict[str, Any] | None:
    route = (request.method, request.template)
    body = request.body if isinstance(request.body, dict) else None
    if body is None:
        return None
    if route in MESSAGE_ROUTES:
        return body
    if route == CALLBACK and body.get("type") in MESSAGE_CALLBACKS:
        data = body.get("data")
        return data if isinstance(data, dict) else None
    return None


def mention_problems(requests: list[Request]) -> list[str]:
    """The message requests that would let Discord ping someone the bot did not name."""
    problems = []
    for request in requests:
        message = _message(request)
        if message is None or not any(message.get(key) for key in MESSAGE_FIELDS):
            continue
        allowed = message.get("allowed_mentions")
        if not isinstance(allowed, dict) or allowed.get("parse") != []:
            problems.append(
                f"{request.method} {request.path}: allowed_mentions {allowed!r} lets Discord "
                "ping what the message mentions"
            )
    return problems
