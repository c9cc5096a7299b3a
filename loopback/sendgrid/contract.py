"""SendGrid's Mail Send v3 contract, as the local SendGrid checks a request against it: the
OpenAPI document's routes and body schema (tests/contracts/sendgrid, a copy so the suite runs
on any clone), and the documented limits that the schema cannot express."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

CONTRACT_PATH = (
    Path(__file__).resolve().parents[2] / "tests/contracts/sendgrid/mail-send-v3.openapi.json"
)
_CONTRACT_URI = "urn:fcpts-tests:sendgrid-mail-send-v3"
_MAIL_SEND_SCHEMA = "#/components/requestBodies/PostMailSend/content/application~1json/schema"
_REQUIRED = re.compile(r"'(.+)' is a required property$")

# Documented at https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send (limits
# section), not expressible in the schema.
MAX_BODY_BYTES = 30 * 1024 * 1024
MAX_PERSONALIZATIONS = 1000  # also in the schema, which sample mode checks on a slice
MAX_RECIPIENTS = 1000  # to + cc + bcc, over all personalizations of one request
MAX_SUBSTITUTIONS_BYTES = 10_000  # per personalization
MAX_CUSTOM_ARGS_BYTES = 10_000  # per personalization
RESERVED_HEADERS = frozenset(
    {
        "x-sg-id",
        "x-sg-eid",
        "received",
        "dkim-signature",
        "content-type",
        "content-transfer-encoding",
        "to",
        "from",
        "subject",
        "reply-to",
        "cc",
        "bcc",
    }
)


@dataclass(frozen=True)
class Problem:
    message: str
    field: str | None = None

    def as_json(self) -> dict[str, str]:
        return {"message": self.message} | ({"field": self.field} if self.field else {})


def _field(path: Iterable[Any]) -> str | None:
    return ".".join(str(p) for p in path) or None


class Contract:
    """The routes and the Mail Send body schema of SendGrid's OpenAPI 3.1 document (its
    schemas are JSON Schema 2020-12; `#/components/…` references resolve in the document)."""

    def __init__(self, path: Path = CONTRACT_PATH) -> None:
        document = json.loads(path.read_text(encoding="utf-8"))
        registry = Registry().with_resource(
            _CONTRACT_URI, Resource(contents=document, specification=DRAFT202012)
        )
        self.mail_send = jsonschema.Draft202012Validator(
            {"$ref": _CONTRACT_URI + _MAIL_SEND_SCHEMA},
            registry=registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        self.routes = [
            (re.compile(re.sub(r"\{[^/}]+\}", "[^/]+", route) + "$"), operations)
            for route, operations in document["paths"].items()
        ]

    def operation(self, method: str, path: str) -> tuple[str | None, int]:
        """The contract's operationId for this request, or (None, 404/405)."""
        for pattern, operations in self.routes:
            if pattern.match(path):
                operation = operations.get(method.lower())
                return (operation["operationId"], 0) if operation else (None, 405)
        return None, 404

    def schema_problems(self, body: Any) -> list[Problem]:
        problems = []
        for error in self.mail_send.iter_errors(body):
            path = list(error.absolute_path)
            missing = _REQUIRED.match(error.message)
            if error.validator == "required" and missing:  # name the missing field itself
                path.append(missing[1])
            problems.append(Problem(error.message, _field(path)))
        return problems


_NEED_TO = (
    "The to array is required for all personalization objects, and must have at least one "
    "email object with a valid email address."
)
_UNIQUE = (
    "Each email address in the personalization block should be unique between to, cc, and bcc."
)
_NEED_SUBJECT = (
    "The subject is required. You can get around this requirement if you use a template with a "
    "subject defined or if every personalization has a subject defined."
)
_CONTENT_ORDER = (
    "If present, text/plain and text/html may only be provided in the order text/plain then "
    "text/html, and must be the first content types."
)
_NEED_CONTENT = "Unless a valid template_id is provided, the content parameter is required."


def _personalization_problems(body: dict[str, Any], p: dict[str, Any], where: str) -> list[Problem]:
    problems = []
    addresses = [
        a.get("email", "").lower()
        for kind in ("to", "cc", "bcc")
        for a in p.get(kind, [])
        if isinstance(a, dict)
    ]
    if not p.get("to"):
        problems.append(Problem(_NEED_TO, f"{where}.to"))
    if len(set(addresses)) != len(addresses):
        problems.append(Problem(_UNIQUE, where))
    for name, limit in (
        ("substitutions", MAX_SUBSTITUTIONS_BYTES),
        ("custom_args", MAX_CUSTOM_ARGS_BYTES),
    ):
        values = p.get(name, {})
        if not isinstance(values, dict):
            continue
        if any(not isinstance(v, str) for v in values.values()):
            problems.append(Problem(f"{name} values must be strings", f"{where}.{name}"))
        elif sum(len(k.encode()) + len(v.encode()) for k, v in values.items()) > limit:
            problems.append(Problem(f"{name} may not exceed {limit} bytes", f"{where}.{name}"))
    headers = p.get("headers", {})
    if isinstance(headers, dict):
        for key, value in headers.items():
            if key.lower() in RESERVED_HEADERS:
                problems.append(Problem(f"The header {key} is reserved", f"{where}.headers"))
            if not isinstance(value, str):
                problems.append(Problem("Header values must be strings", f"{where}.headers"))
    if "subject" not in body and "subject" not in p and "template_id" not in body:
        problems.append(Problem(_NEED_SUBJECT, "subject"))
    return problems


def limit_problems(body: dict[str, Any], *, every_personalization: bool = True) -> list[Problem]:
    """SendGrid's documented rules that the schema does not say; the per-personalization ones
    for the first personalization only unless `every_personalization`."""
    problems = []
    personalizations = body.get("personalizations")
    if isinstance(personalizations, list):
        recipients = 0
        for i, p in enumerate(personalizations):
            if isinstance(p, dict):
                if every_personalization or i == 0:
                    problems += _personalization_problems(body, p, f"personalizations.{i}")
                recipients += len(p.get("to", ())) + len(p.get("cc", ())) + len(p.get("bcc", ()))
        if recipients > MAX_RECIPIENTS:
            problems.append(
                Problem(f"The total number of recipients must be no more than {MAX_RECIPIENTS}.")
            )
    content = body.get("content")
    if isinstance(content, list):
        types = [c.get("type") for c in content if isinstance(c, dict)]
        expected = [t for t in ("text/plain", "text/html") if t in types]
        if types[: len(expected)] != expected:
            problems.append(Problem(_CONTENT_ORDER, "content"))
    elif "template_id" not in body:
        problems.append(Problem(_NEED_CONTENT, "content"))
    return problems
