"""`hub subscribers show` and `forget`: the GDPR rights of access and erasure, through the
hub's `Privacy` service (the same as any other channel's)."""

from __future__ import annotations

from typing import Any

import click

from hub.cli import HubContext, pass_hub, print_json, run_async
from hub.cli.subscribers.shared import list_name, subscribers_group, when
from hub.config import Config
from hub.events.labels import REGISTRATION_LABELS
from hub.subscribers.labels import (
    ACTION_LABELS,
    EVENT_LABELS,
    ROLE_LABELS,
    SEND_STATUS_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    SUPPRESSION_LABELS,
    event_detail,
    label,
)


def _print_person(config: Config, data: dict[str, Any]) -> None:
    person = data["person"]
    name = " ".join(p for p in (person["first_name"], person["last_name"]) if p) or "(sans nom)"
    details = [
        person["organisation"] or "organisation inconnue",
        label(ROLE_LABELS, person["role"]),
        "adhérent(e)" if person["member"] else "non adhérent(e)",
    ]
    click.echo(f"{name} <{person['email']}> — {', '.join(details)}")
    click.echo(
        f"Identifiant {person['id']}, enregistré(e) le {when(config, person['created_at'])}, "
        f"modifié(e) le {when(config, person['updated_at'])}"
    )
    click.echo(f"Listes ({len(data['subscriptions'])}) :")
    for sub in data["subscriptions"]:
        confirmed = (
            f", confirmée le {when(config, sub['confirmed_at'])}" if sub["confirmed_at"] else ""
        )
        click.echo(
            f"  {list_name(config, sub['list'])} : {label(STATUS_LABELS, sub['status'])}"
            f" (depuis le {when(config, sub['created_at'])}{confirmed})"
        )
    click.echo(f"Consentements ({len(data['consents'])}) :")
    for consent in data["consents"]:
        ip = f", IP {consent['ip']}" if consent["ip"] else ""
        version = f", version {consent['consent_version']}" if consent["consent_version"] else ""
        click.echo(
            f"  {when(config, consent['recorded_at'])} — {list_name(config, consent['list'])} — "
            f"{label(ACTION_LABELS, consent['action'])} par "
            f"{label(SOURCE_LABELS, consent['source'])}{version}{ip}"
        )
        if consent["consent_text"]:
            click.echo(f"      « {consent['consent_text']} »")
    click.echo(f"Changements d'adhésion ({len(data['membership_changes'])}) :")
    for change in data["membership_changes"]:
        what = "adhésion accordée" if change["member"] else "adhésion retirée"
        note = f" : « {change['note']} »" if change["note"] else ""
        click.echo(
            f"  {when(config, change['recorded_at'])} — {what} par "
            f"{label(SOURCE_LABELS, change['source'])}{note}"
        )
    click.echo(f"Envois de lettres ({len(data['sends'])}) :")
    for send in data["sends"]:
        click.echo(
            f"  « {send['subject'] or '?'} » (campagne {send['campaign_id']}) : "
            f"{label(SEND_STATUS_LABELS, send['status'])}, le {when(config, send['updated_at'])}"
        )
    click.echo(f"Événements de distribution ({len(data['delivery_events'])}) :")
    for event in data["delivery_events"]:
        detail = event_detail(event["event"], event["detail"])
        detail = f" — {detail}" if detail else ""
        click.echo(
            f"  {when(config, event['occurred_at'])} : {label(EVENT_LABELS, event['event'])} "
            f"(campagne {event['campaign_id'] or '?'}){detail}"
        )
    click.echo(f"Inscriptions aux événements ({len(data['registrations'])}) :")
    for registration in data["registrations"]:
        answers = "; ".join(f"{k} : {v}" for k, v in registration["answers"].items())
        click.echo(
            f"  « {registration['event']} » ({when(config, registration['starts_at'])}) : "
            f"{label(REGISTRATION_LABELS, registration['status'])}, par "
            f"{label(SOURCE_LABELS, registration['source'])}, le "
            f"{when(config, registration['created_at'])}"
            + (f" — réponses : {answers}" if answers else "")
        )
    links = data.get("discord_links", [])
    click.echo(f"Comptes Discord reliés ({len(links)}) :")
    for link in links:
        roles = ", ".join(link["roles"]) or "aucun rôle donné"
        click.echo(
            f"  {link['server']} : compte {link['discord_user_id']} depuis le "
            f"{when(config, link['linked_at'])} — rôles : {roles}"
        )
    questions = data.get("discord_questions", [])
    click.echo(f"Questions posées à l'équipe sur Discord ({len(questions)}) :")
    for question in questions:
        click.echo(
            f"  {when(config, question['created_at'])} — {question['category']} — "
            f"{question['status']} ({question['server']} ; le texte reste dans Discord)"
        )
    suppression = data["suppression"]
    if suppression:
        click.echo(
            f"Adresse bloquée depuis le {when(config, suppression['created_at'])} "
            f"(motif : {label(SUPPRESSION_LABELS, suppression['reason'])}) : aucun envoi ne lui "
            "parvient."
        )
    else:
        click.echo("Adresse non bloquée.")


@subscribers_group.command("show")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (toutes les données).")
@pass_hub
@run_async
async def show_command(hub: HubContext, email: str, as_json: bool) -> None:
    """Montre tout ce que le hub garde sur une personne (droit d'accès RGPD)."""
    config = hub.config
    async with hub.services() as services:
        shown = await services.privacy.show(email)
    data = shown.as_json()
    suppressed = data is None and shown.suppression is not None
    if as_json:
        print_json(data)
    elif data is None:
        click.echo(f"Aucune donnée sur {email.strip()} : cette adresse n'est pas enregistrée.")
        if suppressed:
            click.echo("Elle est sur la liste de blocage (empreinte seule) : aucun envoi possible.")
    else:
        _print_person(config, data)


@subscribers_group.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Effacer sans demander de confirmation.")
@click.option(
    "--block",
    is_flag=True,
    help="Bloquer l'adresse même si rien n'est enregistré sous elle (demande d'une personne "
    "qui ne veut jamais rien recevoir).",
)
@pass_hub
@run_async
async def forget_command(hub: HubContext, email: str, yes: bool, block: bool) -> None:
    """Efface une personne et ses données (droit à l'effacement RGPD).

    L'adresse reste bloquée (seule une empreinte chiffrée est gardée) : aucun import ni envoi
    ne pourra plus l'atteindre. Une adresse inconnue n'est bloquée qu'avec --block (une faute
    de frappe ne doit pas bloquer un inconnu).
    """
    async with hub.services() as services:
        known = await services.subscribers.find(email)
    if not yes and (known is not None or block):
        try:
            answer = click.prompt(
                f"Effacer définitivement toutes les données de {email.strip()} ? "
                "Tapez « oui » pour confirmer",
                default="",
                show_default=False,
                err=True,
            )
        except click.Abort:
            answer = ""
        if answer.strip().lower() not in ("oui", "o"):
            click.echo("Effacement annulé : rien n'a été modifié.", err=True)
            raise click.exceptions.Exit(1)
    async with hub.services() as services:
        erasure = await services.privacy.forget(email, block=block)
    withdrawn = erasure.registrations_withdrawn
    if erasure.known:
        click.echo(
            f"Données de {email.strip()} effacées (personne, inscriptions, consentements ; "
            "l'adresse est retirée du journal d'envoi et des motifs d'erreur). L'adresse reste "
            "bloquée par son empreinte : aucun envoi ne lui parviendra plus."
        )
    elif block:
        click.echo(
            f"Rien n'est enregistré sous {email.strip()}. L'adresse est ajoutée à la liste de "
            "blocage (empreinte seule) : aucun import ni envoi futur ne l'atteindra."
        )
    else:
        click.echo(f"Rien n'est enregistré sous {email.strip()} : rien à effacer.")
        if erasure.blocked:
            click.echo("L'adresse est déjà sur la liste de blocage : aucun envoi ne l'atteint.")
        else:
            click.echo(
                "L'adresse n'est pas bloquée ; pour qu'aucun envoi ne l'atteigne jamais : "
                f"« hub subscribers forget {email.strip()} --block »."
            )
    if withdrawn:
        click.echo(
            f"{withdrawn} inscription(s) à des événements annulée(s) : les places libérées sont "
            "passées aux listes d'attente."
        )
    if erasure.outbox_messages:
        click.echo(
            f"{erasure.outbox_messages} e-mail(s) de la boîte d'envoi adressé(s) à cette "
            "personne supprimé(s)."
        )
