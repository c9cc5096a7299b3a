"""The local SendGrid itself: it must refuse what the real one refuses, or the SendGrid tests
prove nothing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from loopback.sendgrid import CONTRACT_PATH, Contract, SendgridServer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": "Bearer SG.test"}


def valid_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "personalizations": [
            {
                "to": [{"email": "marie@exemple.fr", "name": "Marie"}],
                "substitutions": {"[[first_name]]": " Marie"},
                "custom_args": {"send_log_id": "12"},
                "headers": {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            }
        ],
        "from": {"email": "lettre@fcpts.org", "name": "FCPTS"},
        "subject": "La lettre",
        "content": [
            {"type": "text/plain", "value": "Bonjour[[first_name]]"},
            {"type": "text/html", "value": "<p>Bonjour[[first_name]]</p>"},
        ],
    }
    return body | changes


def personalization(**changes: Any) -> dict[str, Any]:
    return valid_body()["personalizations"][0] | changes


@pytest.fixture
async def server() -> AsyncIterator[SendgridServer]:
    async with SendgridServer() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    http: aiohttp.ClientSession,
    server: SendgridServer,
    body: object,
    *,
    path: str = "/v3/mail/send",
    headers: dict[str, str] = AUTH,
) -> tuple[int, dict[str, Any]]:
    async with http.post(server.url + path, json=body, headers=headers) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else {}


async def test_a_valid_request_is_accepted(
    server: SendgridServer, http: aiohttp.ClientSession
) -> None:
    async with http.post(server.url + "/v3/mail/send", json=valid_body(), headers=AUTH) as answer:
        assert answer.status == 202
        message_id = answer.headers["X-Message-Id"]
    assert server.violations == []
    assert server.accepted[0].message_id == message_id
    assert server.recipients() == ["marie@exemple.fr"]


def test_the_contract_own_examples_pass_and_references_resolve() -> None:
    contract = Contract()
    document = json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))
    examples = document["components"]["requestBodies"]["PostMailSend"]["content"][
        "application/json"
    ]["examples"]
    assert examples and all(contract.schema_problems(e["value"]) == [] for e in examples.values())
    # MailFrom is a $ref into #/components/schemas: its own `required` must be enforced.
    problems = contract.schema_problems(valid_body(**{"from": {"name": "FCPTS"}}))
    assert [(p.field, p.message) for p in problems] == [
        ("from.email", "'email' is a required property")
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in valid_body().items() if k != "from"}, "from"),
        (valid_body(personalizations=[personalization()] * 1001), "personalizations"),
        (valid_body(personalizations=[{"substitutions": {}}]), "personalizations.0.to"),
        (valid_body(personalizations=[personalization(to=[])]), "personalizations.0.to"),
        (valid_body(subject=""), "subject"),
        (valid_body(categories=["a"] * 11), "categories"),
        (valid_body(content=list(reversed(valid_body()["content"]))), "content"),
        (valid_body(personalizations=[personalization(custom_args={"id": 12})]), None),
        (valid_body(personalizations=[personalization(headers={"To": "x@exemple.fr"})]), None),
        (valid_body(personalizations=[personalization(substitutions={"x": "y" * 10_001})]), None),
        (valid_body(batch_id="inconnu"), "batch_id"),
    ],
    ids=[
        "no-from",
        "1001-personalizations",
        "no-to",
        "empty-to",
        "empty-subject",
        "11-categories",
        "html-before-text",
        "custom-arg-not-text",
        "reserved-header",
        "substitutions-too-big",
        "unknown-batch",
    ],
)
async def test_contract_violations_are_refused_and_recorded(
    server: SendgridServer, http: aiohttp.ClientSession, body: dict, field: str | None
) -> None:
    status, answer = await post(http, server, body)

    assert status == 400
    assert answer["errors"] and all(isinstance(e["message"], str) for e in answer["errors"])
    assert len(server.violations) == 1 and server.accepted == []
    if field is not None:
        assert field in [p.field for p in server.violations[0].problems]


async def test_too_many_recipients_over_all_personalizations(
    server: SendgridServer, http: aiohttp.ClientSession
) -> None:
    crowd = [{"email": f"p{i}@exemple.fr"} for i in range(501)]
    body = valid_body(personalizations=[personalization(to=crowd), personalization(cc=crowd)])
    status, answer = await post(http, server, body)
    assert status == 400
    assert "no more than 1000" in answer["errors"][-1]["message"]


async def test_routes_auth_and_content_type(
    server: SendgridServer, http: aiohttp.ClientSession
) -> None:
    assert (await post(http, server, valid_body(), path="/v3/mail/envoyer"))[0] == 404
    assert (await post(http, server, valid_body(), headers={}))[0] == 401
    async with http.get(server.url + "/v3/mail/send", headers=AUTH) as answer:
        assert answer.status == 405
    async with http.post(server.url + "/v3/mail/send", data={"a": "b"}, headers=AUTH) as answer:
        assert answer.status == 400
    assert len(server.violations) == 4 and server.accepted == []


async def test_a_wrong_key_is_refused_without_being_a_violation(
    http: aiohttp.ClientSession,
) -> None:
    async with SendgridServer(api_key="SG.la-bonne") as server:
        status, answer = await post(http, server, valid_body())
        assert status == 401 and "authorization grant" in answer["errors"][0]["message"]
        assert server.violations == []


async def test_batch_ids(server: SendgridServer, http: aiohttp.ClientSession) -> None:
    status, created = await post(http, server, None, path="/v3/mail/batch")
    assert status == 201
    async with http.get(f"{server.url}/v3/mail/batch/{created['batch_id']}", headers=AUTH) as got:
        assert got.status == 200 and (await got.json()) == created
    status, _ = await post(http, server, valid_body(batch_id=created["batch_id"]))
    assert status == 202


async def test_sample_mode_still_checks_the_first_personalization_and_limits(
    http: aiohttp.ClientSession,
) -> None:
    async with SendgridServer(validate="sample", sample_every=100) as server:
        assert (await post(http, server, valid_body()))[0] == 202  # 1st: full validation
        tail = personalization(to=[{"email": "pas-une-adresse"}])
        lax = valid_body(personalizations=[personalization(), tail])
        assert (await post(http, server, lax))[0] == 202  # the tail is not sampled
        bad_head = valid_body(personalizations=[personalization(to=[{"name": "x"}])])
        assert (await post(http, server, bad_head))[0] == 400
        too_many = valid_body(personalizations=[personalization()] * 1001)
        assert (await post(http, server, too_many))[0] == 400


async def test_as_a_process_it_records_to_a_file(tmp_path: Path) -> None:
    record = tmp_path / "recus.tsv"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "loopback.sendgrid",
        "--port",
        "0",
        "--record",
        str(record),
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as http:
            async with http.post(url + "/__fake__/faults", json={"kind": "error"}) as answer:
                assert answer.status == 200
            async with http.post(url + "/v3/mail/send", json=valid_body(), headers=AUTH) as a:
                assert a.status == 500
            async with http.post(url + "/v3/mail/send", json=valid_body(), headers=AUTH) as a:
                assert a.status == 202
                message_id = a.headers["X-Message-Id"]
            async with http.get(url + "/__fake__/stats") as answer:
                stats = await answer.json()
        assert stats == {"requests": 2, "accepted": 1, "recipients": 1, "violations": 0}
        assert record.read_text(encoding="utf-8") == f"marie@exemple.fr\t12\t{message_id}\n"
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 20) == 0
