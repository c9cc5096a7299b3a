"""What `hub campaign` adds to the campaigns' errors: the command that helps. The domain's
messages name none; on the command line each reads exactly as it did before they moved."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hub.campaigns.errors import (
    CampaignAlreadySent,
    CampaignBusy,
    CampaignError,
    CampaignNotFound,
    CampaignWrongStatus,
    ProviderRefused,
    ScheduledInThePast,
)
from hub.cli.campaign_display import cli_message
from hub.timeutil import example_datetime

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (CampaignNotFound(42), "aucune campagne n°42 (« hub campaign list » les montre toutes)"),
        (
            CampaignWrongStatus(3, "sent", ("draft", "scheduled"), "start"),
            "la campagne 3 est envoyée : seule une campagne en brouillon ou programmée peut "
            "partir (voir « hub campaign resume » ou « hub campaign retry »)",
        ),
        (
            CampaignBusy(3, "autre:123:ab"),
            "la campagne 3 est déjà en cours d'envoi par un autre processus (autre:123:ab) : "
            "attendez la fin, ou « hub campaign pause 3 »",
        ),
        (
            CampaignAlreadySent(
                edition_name="La Bimestrielle",
                issue_number=7,
                sent_by=1,
                sent_by_status="paused",
                campaign_id=2,
            ),
            "le n°7 de « La Bimestrielle » est déjà parti avec la campagne 1 (en pause) : la "
            "campagne 2 ne part pas, pour que personne ne le reçoive deux fois. Pour continuer "
            "celle qui l'envoie : « hub campaign resume 1 » (en pause ou interrompue) ou « hub "
            "campaign retry 1 » (échecs) ; « hub campaign cancel 2 » retire celle-ci",
        ),
        (
            ScheduledInThePast(datetime(2020, 1, 1, 9, 30, tzinfo=PARIS)),
            "--at : 1er janvier 2020 à 9h30 est déjà passé ; indiquez une date à venir, heure "
            f'de Paris, par exemple "{example_datetime(PARIS)}"',
        ),
        (  # nothing to type would help: the message alone
            CampaignWrongStatus(3, "draft", ("sending",), "pause"),
            "impossible de mettre en pause la campagne 3 : elle est brouillon",
        ),
        (  # "annuler" takes the elision: « d'annuler », never « de annuler »
            CampaignWrongStatus(3, "sent", ("draft", "scheduled", "paused"), "cancel"),
            "impossible d'annuler la campagne 3 : elle est envoyée",
        ),
        (
            ProviderRefused(3, "401 Unauthorized"),
            "la campagne 3 n'est pas partie (personne ne l'a reçue) : 401 Unauthorized",
        ),
    ],
)
def test_each_campaign_error_gets_the_command_that_helps(error: CampaignError, line: str) -> None:
    assert cli_message(error) == line
    assert "hub " not in str(error) and "--at" not in str(error)


def test_an_issue_already_sent_at_creation_needs_no_command() -> None:
    error = CampaignAlreadySent(
        edition_name="La Bimestrielle", issue_number=7, sent_by=1, sent_by_status="sent"
    )
    assert cli_message(error) == (
        "le n°7 de « La Bimestrielle » a déjà été envoyé par la campagne 1 (envoyée) : créez "
        "un nouveau numéro"
    )
