"""Discord's OpenAPI v10 contract (tests/contracts/discord, a copy so the suite runs on any
clone): which routes exist, and whether a request body is one Discord would accept.

The 1.2 MB document is parsed once per test session (`discord_contract()`), and a body
validator is compiled the first time its operation is used, so a stand-in answering hundreds
of clicks a second pays a dictionary lookup and one validation per request.

One deliberate loosening: the contract types snowflakes as decimal strings, but Discord accepts
integers (and discord.py sends some, e.g. `recipient_id`), so `SnowflakeType` also admits a
non-negative integer.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "tests/contracts/discord/openapi.json"
_URI = "urn:fcpts-tests:discord-v10"
VERDICTS_KEPT = 4096


@dataclass(frozen=True)
class Operation:
    """One route of the contract matched by a request."""

    method: str  # upper case
    template: str  # e.g. /channels/{channel_id}/messages
    operation_id: str
    params: dict[str, str]
    body_media: tuple[str, ...]  # media types the request body may use, () for none
    body_required: bool


def _pointer(*parts: str) -> str:
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return "#/" + "/".join(quote(part, safe="~@$") for part in escaped)


class Contract:
    def __init__(self, path: Path = CONTRACT_PATH) -> None:
        document = json.loads(path.read_text(encoding="utf-8"))
        schemas = document["components"]["schemas"]
        schemas["SnowflakeType"] = {
            "anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]
        }
        self.paths: dict[str, dict[str, Any]] = document["paths"]
        self._registry = Registry().with_resource(
            _URI, Resource(contents=document, specification=DRAFT202012)
        )
        # Indexed by segment count; within it, fewer parameters first so that a literal
        # segment (/users/@me) wins over a parameter (/users/{user_id}).
        self._routes: dict[int, list[tuple[re.Pattern[str], str]]] = {}
        for template in sorted(self.paths, key=lambda t: t.count("{")):
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            segments = template.count("/")
            self._routes.setdefault(segments, []).append((re.compile(regex + "$"), template))
        self._validators: dict[tuple[str, str, str], jsonschema.Draft202012Validator] = {}
        self._verdicts: dict[tuple[str, str, bytes], list[str]] = {}

    def match(self, method: str, path: str) -> Operation | None:
        """The operation for this request, or None when Discord has no such route and method."""
        for pattern, template in self._routes.get(path.count("/"), ()):
            found = pattern.match(path)
            if found is None:
                continue
            operation = self.paths[template].get(method.lower())
            if operation is None:
                continue
            body = operation.get("requestBody", {})
            return Operation(
                method=method.upper(),
                template=template,
                operation_id=operation["operationId"],
                params=found.groupdict(),
                body_media=tuple(body.get("content", {})),
                body_required=bool(body.get("required")),
            )
        return None

    def validator(self, operation: Operation, media: str) -> jsonschema.Draft202012Validator:
        key = (operation.template, operation.method, media)
        validator = self._validators.get(key)
        if validator is None:
            ref = _pointer(
                "paths", operation.template, operation.method.lower(), "requestBody", "content"
            )
            ref += "/" + quote(media.replace("/", "~1"), safe="~")
            validator = jsonschema.Draft202012Validator(
                {"$ref": _URI + ref + "/schema"},
                registry=self._registry,
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
            )
            self._validators[key] = validator
        return validator

    def raw_body_problems(self, operation: Operation, raw: bytes, body: Any) -> list[str]:
        """`body_problems` of a JSON body, remembered by its bytes: a bot answering hundreds of
        clicks sends the same few bodies, and the verdict on the same bytes cannot change."""
        key = (operation.method, operation.template, raw)
        problems = self._verdicts.get(key)
        if problems is None:
            if len(self._verdicts) >= VERDICTS_KEPT:
                self._verdicts.clear()
            problems = self._verdicts[key] = self.body_problems(operation, body, "application/json")
        return list(problems)

    def body_problems(self, operation: Operation, body: Any, media: str) -> list[str]:
        """What makes `body` unacceptable to Discord for this operation ([] when it is fine)."""
        if media not in operation.body_media:
            return [f"{operation.operation_id}: the contract has no {media} body"]
        problems = []
        for error in self.validator(operation, media).iter_errors(body):
            for cause in _causes(error):
                where = "/".join(map(str, cause.absolute_path)) or "(body)"
                problems.append(f"{operation.operation_id}: {where}: {cause.message[:300]}")
        return problems


def _mismatched_kind(error: ValidationError, depth: int) -> bool:
    """The branch is for another kind of value: another JSON type, or another `type` field."""
    relative = list(error.absolute_path)[depth:]
    return relative == ["type"] or (relative == [] and error.validator == "type")


def _causes(error: ValidationError) -> list[ValidationError]:
    """A union (anyOf) fails as a whole; the branches whose `type` discriminator matched say
    what is actually wrong (Discord's unions are told apart by `type`, or are `X | null`)."""
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    depth = len(error.absolute_path)
    typed = [
        subs for subs in branches.values() if not any(_mismatched_kind(sub, depth) for sub in subs)
    ]
    if len(typed) == 1:
        return [cause for sub in typed[0] for cause in _causes(sub)]
    return [best_match(error.context)]


@functools.cache
def discord_contract() -> Contract:
    """The contract, parsed once per process."""
    return Contract()
