"""`hub subscribers`: import, export, add and unsubscribe people, set membership; GDPR access and
erasure."""

from __future__ import annotations

import csv
import dataclasses
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from hub.cli import HubContext, HubGroup, pass_hub, print_json, run_async
from hub.config import Config
from hub.errors import UserError
from hub.events.labels import REGISTRATION_LABELS
from hub.events.service import Events
from hub.exports import safe_cell
from hub.subscribers.importer import ImportReport, import_csv, parse_role
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
from hub.subscribers.service import STATUSES, Person, Subscribers, staff_consent
from hub.timeutil import french_datetime, from_utc_text
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
EXPORT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "organisation",
    "role",
    "member",
    "status",
    "subscribed_at",
    "confirmed_at",
)
PROGRESS_MIN_LINES = 5000


def when(config: Config, text: str | None) -> str:
    """A stored UTC time as staff read it: « 1er décembre 2026 à 9h30 » (Paris time)."""
    value = from_utc_text(text)
    return french_datetime(value, config.tz) if value else "—"


def local_time(config: Config, text: str | None) -> str:
    """A stored UTC time for a spreadsheet: « 2026-12-01 09:30 » (Paris time)."""
    value = from_utc_text(text)
    return value.astimezone(config.tz).strftime("%Y-%m-%d %H:%M") if value else ""


def list_name(config: Config, key: str) -> str:
    mailing_list = config.lists.get(key)
    return f"{mailing_list.name} ({key})" if mailing_list else key


@click.group("subscribers", cls=HubGroup)
def subscribers_group() -> None:
    """Abonnés : import, export, ajout, adhésion, désinscription, accès et effacement RGPD."""


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as file:
            return sum(block.count(b"\n") for block in iter(lambda: file.read(1 << 20), b""))
    except OSError:
        return 0  # the importer says what is wrong with the file


@contextmanager
def _progress(path: Path) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for long files read at a terminal; nothing otherwise."""
    lines = _count_lines(path) if sys.stderr.isatty() else 0
    if lines < PROGRESS_MIN_LINES:
        yield None
        return
    with click.progressbar(length=lines, label="Import", file=sys.stderr) as bar:
        yield bar.update


def _print_import(config: Config, report: ImportReport) -> None:
    click.echo(
        f"Import de « {report.file.name} » dans {list_name(config, report.list)} : "
        f"{report.total} ligne(s) lue(s)"
    )
    click.echo(f"  {report.imported} nouvelle(s) inscription(s)")
    if report.confirmed:
        click.echo(f"  {report.confirmed} inscription(s) en attente désormais confirmée(s)")
    click.echo(f"  {report.already} déjà inscrite(s) : rien de changé")
    click.echo(f"  {report.created} personne(s) créée(s), {report.updated} mise(s) à jour")
    if report.skipped:
        click.echo(
            f"  {report.skipped} ignorée(s) : personnes désinscrites de cette liste ou adresses "
            "bloquées, jamais réinscrites par un import"
        )
    if report.rejected:
        click.echo(f"  {report.rejected} ligne(s) refusée(s) : données incorrectes")
    if report.report_path:
        click.echo(
            "Les lignes refusées ou ignorées, avec leur numéro et le motif, sont dans le rapport "
            "(corrigez-les et importez ce rapport ou le fichier d'origine : rien ne sera "
            "importé deux fois) :"
        )
        click.echo(str(report.report_path))
    else:
        click.echo("Aucune ligne refusée.")


@subscribers_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--list", "list_key", required=True, help="Liste où inscrire ces personnes.")
@click.option(
    "--consent",
    help="Comment leur accord a été recueilli (texte gardé comme preuve, version "
    "import-DATE ; par défaut : « Inscription par l'équipe de la FCPTS (import du fichier …, "
    "sans précision sur le recueil de l'accord) »).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Rapport des lignes refusées (par défaut FICHIER.rejets.csv à côté du fichier).",
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@pass_hub
@run_async
async def import_command(
    hub: HubContext,
    file: Path,
    list_key: str,
    consent: str | None,
    report_path: Path | None,
    as_json: bool,
) -> None:
    """Inscrit (confirmées) les personnes d'un fichier CSV (FILE) sur une liste.

    En-tête : email,first_name,last_name,organisation,role,member (seule email est
    obligatoire ; séparateur virgule ou point-virgule, UTF-8). Les personnes désinscrites ou
    bloquées ne sont jamais réinscrites ; réimporter le même fichier ne change rien.
    """
    config = hub.config
    config.mailing_list(list_key)
    async with hub.database() as db:
        with _progress(file) as progress:
            report = await import_csv(
                Subscribers(db, config),
                file,
                list_key,
                consent,
                report_path=report_path,
                progress=progress,
            )
    if as_json:
        print_json(report.to_json())
    else:
        _print_import(config, report)


@subscribers_group.command("export")
@click.option("--list", "list_key", required=True, help="Liste à exporter.")
@click.option(
    "--status",
    type=click.Choice(STATUSES),
    help="Seulement les inscriptions dans cet état (confirmed : celles qui reçoivent les envois).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier CSV à écrire (par défaut : la sortie standard).",
)
@pass_hub
@run_async
async def export_command(
    hub: HubContext, list_key: str, status: str | None, output: Path | None
) -> None:
    """Exporte les inscrits d'une liste en CSV (heures de Paris), réimportable tel quel."""
    config = hub.config
    async with hub.database() as db:
        rows = await Subscribers(db, config).export(list_key, status)
    records = [
        {
            key: safe_cell(value)
            for key, value in {
                **row,
                "member": "oui" if row["member"] else "non",
                "subscribed_at": local_time(config, row["subscribed_at"]),
                "confirmed_at": local_time(config, row["confirmed_at"]),
            }.items()
        }
        for row in rows
    ]
    if output is None:
        writer = csv.DictWriter(sys.stdout, EXPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        return
    try:
        with output.open("w", encoding="utf-8-sig", newline="") as file:  # BOM: Excel
            writer = csv.DictWriter(file, EXPORT_FIELDS)
            writer.writeheader()
            writer.writerows(records)
    except OSError as exc:
        raise UserError(f"{output} : écriture impossible ({exc.strerror})") from None
    click.echo(f"{len(records)} inscription(s) de {list_name(config, list_key)} exportée(s) :")
    click.echo(str(output))


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
    async with hub.database() as db:
        service = Subscribers(db, config)
        data = await service.show(email)
        suppressed = data is None and await service.is_suppressed(email)
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
    config = hub.config
    async with hub.database() as db:
        known = await Subscribers(db, config).find(email)
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
    async with hub.database() as db:
        people = Subscribers(db, config)
        known = await people.find(email)
        withdrawn = await Events(db, config).withdraw_person(known.id) if known else 0
        erasure = await people.forget(email, block_unknown=block)
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
    async with hub.database() as db:
        service = Subscribers(db, config)
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
    role_key = parse_role(role)
    if role_key is None:
        raise UserError(
            f"--role : rôle inconnu « {role} » ; rôles possibles : salarié, élu, coordinateur, "
            "partenaire, autre"
        )
    person = Person(email, first_name, last_name, organisation, role_key, member)
    proof = staff_consent(
        config,
        "cli",
        consent
        or f"Inscription saisie par l'équipe de la {config.federation.short_name}, sans "
        "précision sur le recueil de l'accord",
    )
    async with hub.database() as db:
        service = Subscribers(db, config)
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
    async with hub.database() as db:
        change = await Subscribers(db, config).set_member(email, member, "cli", note.strip())
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


def setup(cli: click.Group) -> None:
    cli.add_command(subscribers_group)
