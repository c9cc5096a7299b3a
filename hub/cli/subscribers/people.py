"""`hub subscribers add`, `unsubscribe` and `set`: one person, by hand (a request by phone,
a membership that starts or ends)."""

from __future__ import annotations

import dataclasses

import click

from hub.cli import HubContext, pass_hub, print_json, run_async
from hub.cli.people import person_of_options
from hub.cli.subscribers.shared import list_name, subscribers_group
from hub.errors import UserError
from hub.subscribers.service import staff_consent
from hub.tokens import ALL_LISTS

OUTCOME_LABELS = {
    "pending": "inscrit(e), en attente de confirmation",
    "confirmed": "inscrit(e)",
    "already": "déjà inscrit(e), rien à changer",
    "unsubscribed": "s'était désinscrit(e) : non réinscrit(e) (seule la personne peut se "
    "réinscrire, par le formulaire)",
    "suppressed": "adresse bloquée (rebond, plainte ou effacement) : non inscrit(e)",
    "members_only": "liste réservée aux adhérents : non inscrit(e) (ajoutez --member si la "
    "personne est adhérente)",
}


@subscribers_group.command("unsubscribe")
@click.argument("email")
@click.option("--list", "list_key", help="Liste à quitter (par défaut : toutes).")
@pass_hub
@run_async
async def unsubscribe_command(hub: HubContext, email: str, list_key: str | None) -> None:
    """Désinscrit une personne d'une liste, ou de toutes (demande reçue par téléphone…)."""
    config = hub.config
    if list_key:
        config.mailing_list(list_key)
    async with hub.services() as services:
        service = services.subscribers
        person = await service.find(email)
        if person is None:
            raise UserError(f"aucun abonné avec l'adresse {email.strip()}")
        left = await service.unsubscribe(person.id, list_key or ALL_LISTS, "cli")
    if left:
        click.echo(
            f"{person.email} désinscrit(e) de : {', '.join(list_name(config, k) for k in left)}"
        )
    else:
        click.echo(f"{person.email} n'était inscrit(e) à aucune de ces listes : rien à changer.")


@subscribers_group.command("add")
@click.argument("email")
@click.option(
    "--list", "lists", required=True, multiple=True, help="Liste (répétable : --list a --list b)."
)
@click.option("--first-name", default="", help="Prénom.")
@click.option("--last-name", default="", help="Nom.")
@click.option("--organisation", default="", help="CPTS ou organisation.")
@click.option(
    "--role",
    default="autre",
    help="salarié, élu, coordinateur, partenaire ou autre (par défaut : autre).",
)
@click.option("--member", is_flag=True, help="La personne est adhérente (listes réservées).")
@click.option(
    "--consent",
    help="Comment son accord a été recueilli, gardé comme preuve (version : cli-DATE ; par "
    "défaut : « Inscription saisie par l'équipe de la FCPTS, sans précision sur le recueil "
    "de l'accord »).",
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (toute la fiche).")
@pass_hub
@run_async
async def add_command(
    hub: HubContext,
    email: str,
    lists: tuple[str, ...],
    first_name: str,
    last_name: str,
    organisation: str,
    role: str,
    member: bool,
    consent: str | None,
    as_json: bool,
) -> None:
    """Inscrit à la main une personne (EMAIL) sur une ou plusieurs listes, confirmée.

    La dernière ligne affichée est l'identifiant de la personne.
    """
    config = hub.config
    person = person_of_options(email, first_name, last_name, organisation, role, member)
    proof = staff_consent(
        config,
        "cli",
        consent
        or f"Inscription saisie par l'équipe de la {config.federation.short_name}, sans "
        "précision sur le recueil de l'accord",
    )
    async with hub.services() as services:
        service = services.subscribers
        outcomes = await service.subscribe(person, lists, proof, confirmed=True)
        stored = await service.find(email)
        subscriptions = await service.subscriptions(stored.id) if stored else {}
    if stored is None:
        reasons = "; ".join(f"{o.list} : {OUTCOME_LABELS[o.status]}" for o in outcomes)
        raise UserError(f"{email.strip()} n'a été inscrit(e) nulle part ({reasons})")
    if as_json:
        print_json(
            {
                "subscriber": dataclasses.asdict(stored),
                "outcomes": [dataclasses.asdict(o) for o in outcomes],
                "subscriptions": subscriptions,
            }
        )
        return
    for outcome in outcomes:
        click.echo(f"{list_name(config, outcome.list)} : {OUTCOME_LABELS[outcome.status]}")
    click.echo(str(stored.id))


@subscribers_group.command("set")
@click.argument("email")
@click.option(
    "--member/--not-member",
    "member",
    default=None,
    help="Déclare la personne adhérente, ou retire son adhésion (elle quitte alors les listes "
    "réservées aux adhérents).",
)
@click.option(
    "--note",
    default="",
    help="Pourquoi (gardé avec le changement), ex. « non-renouvellement 2027 ».",
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def set_command(
    hub: HubContext, email: str, member: bool | None, note: str, as_json: bool
) -> None:
    """Change l'adhésion d'une personne (EMAIL) ; le changement est enregistré avec sa note."""
    if member is None:
        raise UserError("indiquez --member (adhérente) ou --not-member (adhésion retirée)")
    config = hub.config
    async with hub.services() as services:
        change = await services.subscribers.set_member(email, member, "cli", note.strip())
        if change is not None and change.cancelled:
            # The cancellations' e-mails leave now, as after any events command (not only
            # when `hub run` next looks).
            from hub.cli.events.shared import deliver

            await deliver(services.events, services.messenger, err=as_json)
    if change is None:
        raise UserError(f"aucun abonné avec l'adresse {email.strip()}")
    if as_json:
        print_json(dataclasses.asdict(change))
        return
    state = "adhérent(e)" if member else "non adhérent(e)"
    if not change.changed:
        click.echo(f"{email.strip()} est déjà {state} : rien à changer.")
        return
    click.echo(f"{email.strip()} est désormais {state}.")
    if change.left:
        names = ", ".join(list_name(config, key) for key in change.left)
        click.echo(f"Désinscrit(e) des listes réservées aux adhérents : {names}")
    if change.cancelled:
        titles = ", ".join(f"« {title} »" for title in change.cancelled)
        click.echo(
            f"Inscription(s) annulée(s), l'événement étant réservé (la personne est prévenue "
            f"par e-mail, les places passent aux listes d'attente) : {titles}"
        )
