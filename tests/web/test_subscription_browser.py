"""A person subscribing in headless Chromium: the form, the link of the e-mail the outbox
wrote, the confirmation, the preferences page, the unsubscription button. Screenshots go to
tests/artifacts/ (abonnement-375.png, preferences-375.png…)."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from hub.config import Config
from hub.tokens import TokenSigner
from tests.web.test_pages_browser import (
    CONTROLS_WITHOUT_LABEL_JS,
    LINKS_WITHOUT_NAME_JS,
    LOW_CONTRAST_JS,
)

EMAIL = "camille.martin@cpts-exemple.fr"


@pytest.fixture
def config_path(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return config_path


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR")
    yield context.new_page()
    context.close()


def check_page(page: Any, artifacts: Path, name: str) -> None:
    """Screenshot, then what every page of ours must hold at this width."""
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    assert page.locator("h1").count() == 1
    assert page.evaluate(LINKS_WITHOUT_NAME_JS) == []
    assert page.evaluate(CONTROLS_WITHOUT_LABEL_JS) == []
    assert page.evaluate(LOW_CONTRAST_JS) == []


def statuses(config: Config) -> dict[str, str]:
    with sqlite3.connect(config.database_path) as conn:
        rows = conn.execute(
            "SELECT list, status FROM subscriptions JOIN subscribers ON id = subscriber_id "
            "WHERE email = ?",
            (EMAIL,),
        ).fetchall()
    return dict(rows)


def mailed_link(config: Config, live_server: str, path: str) -> str:
    """The link to `path` in the one e-mail of the outbox; it leaves after the page answered,
    so it is waited for (a few seconds at most)."""
    folder = config.data_dir / "outbox" / "transactionnel"
    for _ in range(100):
        if list(folder.glob("*.eml")):
            break
        time.sleep(0.05)
    (eml,) = folder.glob("*.eml")
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(rf"{re.escape(config.web.base_url)}({path}\S+)", text)
    assert found, text
    return live_server + found[1]


def test_sign_up_confirm_choose_and_leave(
    page: Any, live_server: str, config: Config, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server}/abonnement")
    check_page(page, artifacts, "abonnement-375")
    trap = page.locator("#site_web")
    assert trap.get_attribute("tabindex") == "-1"
    box = trap.bounding_box()
    assert box is not None and box["x"] + box["width"] < 0  # out of sight

    page.get_by_role("button", name="M'abonner").click()  # nothing filled in
    assert page.locator(".error-summary").is_visible()
    assert page.locator(".field-error").count() == 4  # e-mail, first name, lists, consent
    check_page(page, artifacts, "abonnement-erreurs-375")
    page.locator(".error-summary a", has_text="cochez au moins une lettre").click()
    assert page.evaluate("document.activeElement.id") == "liste-bimestrielle"

    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Prénom").fill("Camille")
    page.get_by_label("Votre fonction").select_option("salarie")
    page.get_by_label("La lettre bimestrielle").check()
    page.get_by_label("J'accepte de recevoir").check()
    page.get_by_role("button", name="M'abonner").click()
    assert page.locator("h1").inner_text() == "Vérifiez votre boîte de réception"
    check_page(page, artifacts, "abonnement-envoye-375")
    assert statuses(config) == {"bimestrielle": "pending"}

    page.goto(mailed_link(config, live_server, "/confirmer/"))
    assert page.locator("h1").inner_text() == "Inscription confirmée"
    assert "La lettre bimestrielle" in page.locator("main").inner_text()
    check_page(page, artifacts, "confirmation-375")
    assert statuses(config) == {"bimestrielle": "confirmed"}

    page.get_by_role("link", name="Choisir les lettres que je reçois").click()
    assert page.locator("h1").inner_text() == "Mes préférences"
    check_page(page, artifacts, "preferences-375")
    assert page.get_by_label("La lettre bimestrielle").is_checked()
    assert page.get_by_label("Flash FCPTS").is_disabled()  # reserved, and not a member
    page.get_by_label("La lettre bimestrielle").uncheck()
    page.get_by_role("button", name="Enregistrer mes choix").click()
    assert page.get_by_role("status").inner_text() == "Vos choix sont enregistrés."
    assert "Actuellement : désinscrit(e)" in page.locator("main").inner_text()
    assert statuses(config) == {"bimestrielle": "unsubscribed"}
    page.get_by_label("La lettre bimestrielle").check()
    page.get_by_role("button", name="Enregistrer mes choix").click()
    assert statuses(config) == {"bimestrielle": "confirmed"}
    check_page(page, artifacts, "preferences-enregistrees-375")

    # The "Se désinscrire" link of a newsletter: opening it changes nothing, the button does.
    with sqlite3.connect(config.database_path) as conn:
        subscriber, nonce = conn.execute(
            "SELECT id, token_nonce FROM subscribers WHERE email = ?", (EMAIL,)
        ).fetchone()
    token = TokenSigner.for_config(config).make(
        "unsubscribe", subscriber, "bimestrielle", nonce=nonce
    )
    page.goto(f"{live_server}/u/{token}")
    check_page(page, artifacts, "desinscription-375")
    assert statuses(config) == {"bimestrielle": "confirmed"}
    page.get_by_role("button", name="Confirmer ma désinscription").click()
    assert page.locator("h1").inner_text() == "Vous êtes désinscrit(e)"
    check_page(page, artifacts, "desinscrit-375")
    assert statuses(config) == {"bimestrielle": "unsubscribed"}


@pytest.mark.parametrize("width", [600, 1280])
def test_the_form_at_wider_widths(page: Any, live_server: str, artifacts: Path, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server}/abonnement")
    check_page(page, artifacts, f"abonnement-{width}")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    # Tabbing goes through the visible fields only, never into the trap.
    for _ in range(20):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") != "site_web"
