"""What can go wrong with a campaign, in domain terms.

Each error keeps its data (the campaign, its status, the campaign that already sent the
issue…) as attributes, and its French message says what happened and what to do in words any
channel can show: it names no command, no option and no page. Each channel adds its own hint
from the attributes (`hub campaign resume 12` on the command line, a button elsewhere).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from hub.campaigns.model import STATUS_LABELS, CampaignStatus
from hub.errors import UserError
from hub.timeutil import french_date, french_time

Action = Literal["start", "schedule", "pause", "cancel", "resume", "retry"]


class CampaignError(UserError):
    """A campaign action that cannot be done now; the message says why and what to do."""


class CampaignNotFound(CampaignError):
    def __init__(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id
        super().__init__(f"aucune campagne n°{campaign_id}")


class CampaignWrongStatus(CampaignError):
    """The campaign's status does not allow `action` (only the `allowed` ones do)."""

    def __init__(
        self,
        campaign_id: int,
        status: CampaignStatus,
        allowed: tuple[CampaignStatus, ...],
        action: Action,
    ) -> None:
        self.campaign_id = campaign_id
        self.status = status
        self.allowed = allowed
        self.action = action
        label = STATUS_LABELS[status]
        if action == "start":
            message = (
                f"la campagne {campaign_id} est {label} : seule une campagne en brouillon ou "
                "programmée peut partir"
            )
        elif action == "schedule":
            message = (
                f"la campagne {campaign_id} est {label} : seule une campagne en brouillon ou "
                "déjà programmée peut être (re)programmée"
            )
        elif action in ("pause", "cancel"):
            what = "de mettre en pause" if action == "pause" else "d'annuler"
            message = f"impossible {what} la campagne {campaign_id} : elle est {label}"
        else:
            message = (
                f"la campagne {campaign_id} est {label} : action possible seulement si elle est "
                f"{' ou '.join(STATUS_LABELS[s] for s in allowed)}"
            )
        super().__init__(message)


class CampaignStartedElsewhere(CampaignError):
    """Another process started the campaign between our check and our start."""

    def __init__(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id
        super().__init__(f"la campagne {campaign_id} vient d'être lancée ailleurs")


class CampaignBusy(CampaignError):
    """Another live process sends the campaign now (`owner`)."""

    def __init__(self, campaign_id: int, owner: str) -> None:
        self.campaign_id = campaign_id
        self.owner = owner
        super().__init__(
            f"la campagne {campaign_id} est déjà en cours d'envoi par un autre processus "
            f"({owner}) : attendez la fin"
        )


class CampaignAlreadySent(CampaignError):
    """The issue went (or is going) out with campaign `sent_by`: no campaign sends it again,
    so nobody receives it twice. `campaign_id` is the campaign refused (None at creation)."""

    def __init__(
        self,
        *,
        edition_name: str,
        issue_number: int,
        sent_by: int,
        sent_by_status: CampaignStatus,
        campaign_id: int | None = None,
    ) -> None:
        self.edition_name = edition_name
        self.issue_number = issue_number
        self.sent_by = sent_by
        self.sent_by_status = sent_by_status
        self.campaign_id = campaign_id
        label = STATUS_LABELS[sent_by_status]
        if campaign_id is None:
            message = (
                f"le n°{issue_number} de « {edition_name} » a déjà été envoyé par la campagne "
                f"{sent_by} ({label}) : créez un nouveau numéro"
            )
        else:
            message = (
                f"le n°{issue_number} de « {edition_name} » est déjà parti avec la campagne "
                f"{sent_by} ({label}) : la campagne {campaign_id} ne part pas, pour que "
                "personne ne le reçoive deux fois"
            )
        super().__init__(message)


class ScheduledInThePast(CampaignError):
    """A send time already passed (`local`: as the person typed it, in the hub's time zone).
    How to type a date is each channel's own (the CLI adds an example of its format)."""

    def __init__(self, local: datetime) -> None:
        self.local = local
        super().__init__(
            f"{french_date(local.date())} à {french_time(local)} est déjà passé ; indiquez une "
            "date à venir"
        )


class EmptyAudienceError(CampaignError):
    """The campaign's list has no confirmed subscriber. Started, the campaign would reach
    nobody yet end `sent`, and its issue number with it: no other campaign could send it."""

    def __init__(self, campaign_id: int, list_key: str, list_name: str, issue_number: int) -> None:
        self.campaign_id = campaign_id
        self.list_key = list_key
        super().__init__(
            f"la campagne {campaign_id} ne part pas : sa liste « {list_key} »"
            f"{f' ({list_name})' if list_name else ''} n'a aucun abonné confirmé, elle ne "
            f"toucherait personne. Rien n'est envoyé et le n°{issue_number} n'est pas "
            "consommé : elle pourra partir quand la liste aura des abonnés confirmés"
        )


class ProviderRefused(CampaignError):
    """The mail provider refused the send before anything left (`reason` is its answer)."""

    def __init__(self, campaign_id: int, reason: str) -> None:
        self.campaign_id = campaign_id
        self.reason = reason
        super().__init__(
            f"la campagne {campaign_id} n'est pas partie (personne ne l'a reçue) : {reason}"
        )


class TrialSendFailed(CampaignError):
    """A test send was refused (nothing left) or its answer was lost (`in_doubt`)."""

    def __init__(self, reason: str, *, in_doubt: bool) -> None:
        self.reason = reason
        self.in_doubt = in_doubt
        super().__init__(
            f"envoi de test incertain : {reason} ; regardez la boîte de réception avant de "
            "refaire le test"
            if in_doubt
            else f"envoi de test refusé, rien n'est parti : {reason}"
        )
