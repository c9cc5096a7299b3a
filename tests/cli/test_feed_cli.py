"""`hub feed pull` and `hub feed list`, run as staff run them: the real command, in process."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.cli.conftest import HubRunner, invoke_hub

DATA = Path(__file__).resolve().parent.parent / "newsletters" / "data"


def refused_url() -> str:
    """An http URL on 127.0.0.1 where nobody listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/rss.xml"


def write_config(tmp_path: Path, *feeds: tuple[str, str]) -> Path:
    sources = "".join(f'\n[[feeds.sources]]\nname = "{n}"\nurl = "{u}"\n' for n, u in feeds)
    path = tmp_path / "flux.toml"
    path.write_text(
        f'[hub]\ndata_dir = "{tmp_path / "var"}"\n\n[feeds]\ntimeout_seconds = 3\n{sources}',
        encoding="utf-8",
    )
    return path


async def run_hub(config: Path, *args: str) -> tuple[int, str, str]:
    """The `hub` command, in this process but in a thread, without blocking this test's event
    loop (and server)."""
    result = await asyncio.wait_for(asyncio.to_thread(invoke_hub, config, *args), timeout=60)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    """Serves tests/newsletters/data/rss2.xml at /rss2.xml, with an ETag."""
    body = (DATA / "rss2.xml").read_bytes()

    async def rss2(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"rss2"':
            return web.Response(status=304, headers={"ETag": '"rss2"'})
        return web.Response(
            body=body, headers={"Content-Type": "application/rss+xml", "ETag": '"rss2"'}
        )

    app = web.Application()
    app.router.add_get("/rss2.xml", rss2)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    yield test_server
    await test_server.close()


def test_pull_of_the_shipped_configuration(hub: HubRunner) -> None:
    pulled = hub("feed", "pull")
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.startswith("fcpts : ")
    assert "nouveau(x)" in pulled.stdout and "Bilan : 1 flux lu(s) sur 1" in pulled.stdout
    listed = hub("feed", "list", "--category", "AGENDA", "--json")
    items = json.loads(listed.stdout)
    assert items and all("agenda" in [c.casefold() for c in i["categories"]] for i in items)
    assert all(i["event_start"] for i in items)


async def test_one_bad_feed_and_one_good_exit_0_with_a_french_summary(tmp_path: Path) -> None:
    config = write_config(tmp_path, ("bon", str(DATA / "rss2.xml")), ("ferme", refused_url()))
    code, out, err = await run_hub(config, "feed", "pull")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "bon : 6 nouveau(x), 0 mis à jour, 0 inchangé(s), 4 problème(s)"
    assert "  ⚠ élément n° 6 : ni titre ni lien : ignoré" in lines
    assert any(
        line.startswith("ferme : erreur — connexion impossible à 127.0.0.1:") for line in lines
    )
    assert lines[-1] == "Bilan : 1 flux lu(s) sur 2 ; 6 nouveau(x), 0 mis à jour."
    assert "Traceback" not in err

    code, out, _ = await run_hub(config, "feed", "pull")
    assert out.splitlines()[0] == "bon : 0 nouveau(x), 0 mis à jour, 6 inchangé(s), 4 problème(s)"


async def test_invalid_urls_beside_a_good_feed_exit_0(tmp_path: Path, server: TestServer) -> None:
    config = write_config(
        tmp_path,
        ("points", "http://a..b/rss"),
        ("crochet", "http://[flux/rss"),
        ("dossier", str(tmp_path)),
        ("bon", str(server.make_url("/rss2.xml"))),
    )
    code, out, err = await run_hub(config, "feed", "pull")
    assert code == 0, err
    assert "Traceback" not in err
    lines = out.splitlines()
    assert lines[:3] == [
        "points : erreur — URL invalide : nom d'hôte incorrect « a..b » (http://a..b/rss)",
        "crochet : erreur — URL invalide : http://[flux/rss (http://[flux/rss)",
        f"dossier : erreur — c'est un dossier, pas un fichier : {tmp_path} ({tmp_path})",
    ]
    assert lines[3].startswith("bon : 6 nouveau(x)")
    assert lines[-1] == "Bilan : 1 flux lu(s) sur 4 ; 6 nouveau(x), 0 mis à jour."


async def test_all_feeds_bad_exit_1(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, ("ferme", refused_url()), ("absent", str(tmp_path / "absent.xml"))
    )
    code, out, err = await run_hub(config, "feed", "pull")
    assert code == 1
    assert f"absent : erreur — fichier introuvable : {tmp_path / 'absent.xml'}" in out
    assert out.splitlines()[-1] == "Bilan : 0 flux lu(s) sur 2 ; 0 nouveau(x), 0 mis à jour."
    assert "Traceback" not in err
    code, out, _ = await run_hub(config, "feed", "pull", "--json")
    report = json.loads(out)
    assert code == 1 and report["any_read"] is False
    assert [f["status"] for f in report["feeds"]] == ["error", "error"]


async def test_pull_one_url_then_not_modified(tmp_path: Path, server: TestServer) -> None:
    config = write_config(tmp_path)  # no feed configured: --url needs none
    url = str(server.make_url("/rss2.xml"))
    code, out, err = await run_hub(config, "feed", "pull", "--url", url, "--json")
    assert code == 0, err
    (feed,) = json.loads(out)["feeds"]
    assert (feed["name"], feed["url"], feed["status"], feed["new"]) == (
        "127-0-0-1-rss2-xml",
        url,
        "ok",
        6,
    )
    assert {"item": "élément n° 6", "reason": "ni titre ni lien : ignoré"} in feed["problems"]

    code, out, _ = await run_hub(config, "feed", "pull", "--url", url)
    assert (code, out.splitlines()[0]) == (0, "127-0-0-1-rss2-xml : non modifié (304)")


async def test_pull_a_file_under_a_name_then_list(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    code, out, err = await run_hub(
        config, "feed", "pull", "--url", str(DATA / "atom.xml"), "--name", "blog"
    )
    assert code == 0, err
    assert out.startswith("blog : 2 nouveau(x)")
    code, out, _ = await run_hub(config, "feed", "list")
    assert code == 0
    assert out.splitlines() == [
        "2026-11-05 08:00  Santé & territoires : le bilan  [Plaidoyer, Politique de santé]",
        "                  https://www.fcpts.org/blog/2026/11/bilan",
        "2026-10-20 12:00  Mise à jour des statuts  [Gouvernance]",
        "                  https://www.fcpts.org/blog/2026/10/statuts",
    ]
    code, out, _ = await run_hub(config, "feed", "list", "--json", "--category", "gouvernance")
    (item,) = json.loads(out)
    assert (item["feed"], item["title"], item["date"]) == (
        "blog",
        "Mise à jour des statuts",
        "2026-10-20T12:00:00+02:00",
    )
    code, out, _ = await run_hub(config, "feed", "list", "--since", "2026-10-21", "--json")
    assert [i["title"] for i in json.loads(out)] == ["Santé & territoires : le bilan"]
    code, out, _ = await run_hub(config, "feed", "list", "--limit", "1")
    assert len(out.splitlines()) == 2
    code, out, _ = await run_hub(config, "feed", "list", "--limit", "9" * 30)
    assert (code, len(out.splitlines())) == (0, 4)
    code, out, _ = await run_hub(config, "feed", "list", "--category", "Inconnue")
    assert (code, out) == (
        0,
        "Aucun élément enregistré pour ces critères (lancez « hub feed pull »).\n",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("list", "--since", "01/11/2026"),
            "Erreur : --since : '01/11/2026' n'est pas une date ; format attendu AAAA-MM-JJ, "
            "par exemple 2026-12-01",
        ),
        (
            ("pull", "--name", "x"),
            "Erreur : --name s'utilise avec --url (nom du flux à enregistrer)",
        ),
        (
            ("pull", "--url", "ftp://www.fcpts.org/rss"),
            "Erreur : --url : 'ftp://www.fcpts.org/rss' : "
            "attendu une URL http(s) ou un chemin de fichier",
        ),
        (
            ("pull", "--url", "nulle-part.xml"),
            "Erreur : --url : fichier introuvable : nulle-part.xml",
        ),
        (("pull", "--url", "/"), "Erreur : --url : c'est un dossier, pas un fichier : /"),
        (
            ("pull", "--url", "~utilisateur-inconnu-du-hub/flux.xml"),
            "Erreur : --url : '~utilisateur-inconnu-du-hub/flux.xml' : utilisateur inconnu",
        ),
        (
            ("pull", "--url", "http://[flux/rss"),
            "Erreur : --url : 'http://[flux/rss' : URL invalide",
        ),
        (
            ("list", "--since", "0001-01-01"),
            "Erreur : --since : l'année 1 est hors limites ; une date entre 2000 et 2100",
        ),
        (
            ("list", "--limit", "0"),
            "Erreur : --limit : '0' : attendu un nombre entier, 1 ou plus",
        ),
        (
            ("list", "--limit", "dix"),
            "Erreur : --limit : 'dix' : attendu un nombre entier, 1 ou plus",
        ),
        (("list", "--category", " "), "Erreur : --category : la catégorie ne peut pas être vide"),
        (
            ("pull", "--url", "https://autre.example/rss", "--name", "fcpts"),
            "Erreur : --name : 'fcpts' est déjà le nom d'un flux de la configuration",
        ),
    ],
)
def test_user_mistakes_exit_2_with_a_french_message(
    hub: HubRunner, args: tuple[str, ...], message: str
) -> None:
    result = hub("feed", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert "Traceback" not in result.stderr


async def test_no_feed_configured(tmp_path: Path) -> None:
    code, _, err = await run_hub(write_config(tmp_path), "feed", "pull")
    assert code == 2
    assert err.startswith("Erreur : aucun flux dans ")


def test_help_is_in_french(hub: HubRunner) -> None:
    result = hub("feed", "pull", "--help")
    assert result.returncode == 0
    assert "Récupère les flux" in result.stdout and "--url" in result.stdout
