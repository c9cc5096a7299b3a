"""The events' e-mails, delivered through real backends (the outbox, an aiosmtpd relay) and read
back with the `email` package: what each says, the links it carries, its invitation, and what
happens to the messages that fail, are in doubt, or no longer apply."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.config import Config
from hub.db import Database
from hub.events.mailer import (
    SUBJECTS,
    TEMPLATES,
    DeliveryReport,
    deliver_pending,
    messages_in_doubt,
)
from hub.events.model import MESSAGE_KINDS, EventChanges
from hub.events.reminders import queue_reminder_now
from hub.events.service import Events
from hub.mail.smtp import SmtpMessenger
from hub.subscribers.service import Subscribers
from hub.timeutil import french_date, french_time
from newsletters.checks import check_html
from tests.events.conftest import MakeEvent
from tests.events.support_mail import (
    body,
    calendar_of,
    deliver,
    link,
    mails_to,
    messages,
    outbox,
    person,
    rows,
    smtp_relay,
    to,
    token,
)
from tests.mail.test_smtp import smtp_config

VIDEO = "https://visio.fcpts.org/reunion-flash-segur"
PARIS = ZoneInfo("Europe/Paris")
# Wednesday 10 March 2027, 14h-16h in Paris (UTC+1 then).
START = datetime(2027, 3, 10, 13, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
TOUR = {
    "kind": "tour-de-france",
    "venue": "Maison des associations",
    "address": "12 rue de la République, 69002 Lyon",
    "starts_at": START,
    "ends_at": END,
}
ANSWERS = {"cpts": "CPTS du Rhône"}


def email(n: int) -> str:
    return person(n).email


async def test_the_confirmation_carries_the_invitation_the_video_link_and_my_registrations(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(starts_at=START, ends_at=END, video_url=VIDEO)
    registered = await events.register(event.id, person(1, "Marie"), source="web")

    assert await deliver(db, config) == DeliveryReport(sent=1)

    (mail,) = outbox(config)
    assert mail["Subject"] == f"Inscription confirmée : {event.title}"
    assert str(mail["To"]) == "Marie <personne1@cpts-exemple.fr>"
    assert "List-Unsubscribe" not in mail
    text, html = body(mail, "plain"), body(mail, "html")
    assert "Bonjour Marie," in text and "Bonjour Marie," in html
    assert f"Votre inscription à « {event.title} » est confirmée" in text
    assert "mercredi 10 mars 2027, de 14h à 16h (heure de Paris)" in text
    assert f"Lien de connexion : {VIDEO}" in text and f'href="{VIDEO}"' in html
    assert "L'invitation jointe place l'événement dans votre agenda" in text
    assert '<html lang="fr"' in html and check_html(html) == []
    mine = link(text, "/evenements/mes-inscriptions/")
    assert f'href="{mine}"' in html
    assert token(config, mine, "registrations").subscriber_id == (
        registered.registration.subscriber_id
    )

    invitation = calendar_of(mail)
    assert invitation is not None
    method, calendar = invitation
    assert method == "REQUEST"
    (entry,) = calendar.events
    assert entry["UID"] == event.ics_uid and entry["SEQUENCE"] == 0
    assert str(entry["ATTENDEE"]) == "mailto:personne1@cpts-exemple.fr"
    assert entry["ATTENDEE"].params["CN"] == "Marie Nom1"
    assert entry["LOCATION"] == VIDEO
    assert entry.decoded("DTSTART") == START
    (row,) = await rows(db, "SELECT status, error, sent_at FROM event_messages")
    assert row["status"] == "sent" and row["error"] is None and row["sent_at"]


async def test_the_waiting_list_says_each_persons_place_in_line(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1, video_url=VIDEO)
    for n in (1, 2, 3):
        await events.register(event.id, person(n), source="web")

    assert await deliver(db, config) == DeliveryReport(sent=3)

    for n, position in ((2, 1), (3, 2)):
        (mail,) = mails_to(config, email(n)).values()
        assert mail["Subject"] == f"Liste d'attente : {event.title}"
        text, html = body(mail, "plain"), body(mail, "html")
        assert f"vous êtes sur la liste d'attente, en position {position}." in text
        assert f"en position {position}." in html
        assert "vous serez alors inscrit(e) automatiquement" in text
        assert VIDEO not in text and VIDEO not in html  # for confirmed registrants only
        assert calendar_of(mail) is None
        # Each person's own link, in the HTML made once for both.
        mine = link(text, "/evenements/mes-inscriptions/")
        assert f'href="{mine}"' in html and check_html(html) == []
        assert token(config, mine, "registrations").subscriber_id == (
            (await events.people.find(email(n))).id  # type: ignore[union-attr]
        )


async def test_a_freed_seat_is_offered_until_a_deadline_with_the_link_to_accept_it(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1, **TOUR)
    first = await events.register(event.id, person(1), source="web", answers=ANSWERS)
    second = await events.register(event.id, person(2, "Paul"), source="web", answers=ANSWERS)
    await deliver(db, config)

    await events.cancel_registration(first.registration.id)
    assert await deliver(db, config) == DeliveryReport(sent=2)

    # The first had the invitation: their cancellation withdraws it from their calendar.
    cancelled = mails_to(config, email(1))[f"Inscription annulée : {event.title}"]
    withdrawal = calendar_of(cancelled)
    assert withdrawal is not None and withdrawal[0] == "CANCEL"
    (entry,) = withdrawal[1].events
    assert entry["UID"] == event.ics_uid and "STATUS" not in entry  # uninvited, not cancelled
    assert "L'annulation jointe retire l'événement de votre agenda." in body(cancelled, "plain")

    offered = mails_to(config, email(2))[f"Une place vous est réservée : {event.title}"]
    assert calendar_of(offered) is None
    text, html = body(offered, "plain"), body(offered, "html")
    expiry = (await events.registration(second.registration.id)).offer_expires_at
    assert expiry is not None
    local = expiry.astimezone(PARIS)
    deadline = f"{french_date(local.date(), weekday=True)} à {french_time(local)}"
    assert f"elle vous est réservée jusqu'au {deadline} (heure de Paris)" in text
    assert f"<strong>{deadline}</strong>" in html
    accept = link(text, "/evenements/offre/")
    assert f'href="{accept}"' in html and "Accepter la place" in html
    offer = token(config, accept, "offer")
    assert offer.subscriber_id == (await events.people.find(email(2))).id  # type: ignore[union-attr]
    assert offer.list == str(second.registration.id)
    assert "Maison des associations" in text and "69002 Lyon" in text
    assert check_html(html) == []

    # Accepted: the confirmation and its invitation, with the place.
    await events.accept_offer(second.registration.id)
    await deliver(db, config)
    confirmed = mails_to(config, email(2))[f"Inscription confirmée : {event.title}"]
    invitation = calendar_of(confirmed)
    assert invitation is not None and invitation[0] == "REQUEST"
    (entry,) = invitation[1].events
    assert entry["LOCATION"] == "Maison des associations, 12 rue de la République, 69002 Lyon"


async def test_a_seat_given_automatically_comes_with_the_invitation_and_the_video_link(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1, video_url=VIDEO)
    first = await events.register(event.id, person(1), source="web")
    await events.register(event.id, person(2), source="web")
    await deliver(db, config)
    await events.cancel_registration(first.registration.id)

    assert await deliver(db, config) == DeliveryReport(sent=2)

    promoted = mails_to(config, email(2))[
        f"Une place s'est libérée, vous êtes inscrit(e) : {event.title}"
    ]
    assert VIDEO in body(promoted, "plain")
    invitation = calendar_of(promoted)
    assert invitation is not None and invitation[0] == "REQUEST"
    assert invitation[1].events[0]["UID"] == event.ics_uid


async def test_leaving_the_waiting_list_withdraws_no_invitation(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1)
    await events.register(event.id, person(1), source="web")
    waiting = await events.register(event.id, person(2), source="web")
    await deliver(db, config)
    await events.cancel_registration(waiting.registration.id)

    assert await deliver(db, config) == DeliveryReport(sent=1)

    mail = mails_to(config, email(2))[f"Inscription annulée : {event.title}"]
    assert calendar_of(mail) is None
    assert "L'annulation jointe" not in body(mail, "plain")


async def test_a_change_of_time_updates_the_invitation_once_with_the_latest_state(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(starts_at=START, ends_at=END, capacity=1, video_url=VIDEO)
    await events.register(event.id, person(1), source="web")
    await events.register(event.id, person(2), source="web")  # waiting: not told
    await deliver(db, config)

    await events.edit(event.id, EventChanges(starts_at=START + timedelta(hours=1)))
    await events.edit(event.id, EventChanges(ends_at=END + timedelta(hours=2)))

    # Two changes before the mailer's turn: one e-mail, with both.
    assert await deliver(db, config) == DeliveryReport(sent=1, skipped=1)
    mail = mails_to(config, email(1))[f"Changement d'horaire ou de lieu : {event.title}"]
    assert "mercredi 10 mars 2027, de 15h à 18h (heure de Paris)" in body(mail, "plain")
    assert VIDEO in body(mail, "plain")
    invitation = calendar_of(mail)
    assert invitation is not None and invitation[0] == "REQUEST"
    (entry,) = invitation[1].events
    assert (entry["UID"], entry["SEQUENCE"]) == (event.ics_uid, 2)
    assert entry.decoded("DTSTART") == START + timedelta(hours=1)
    assert len(mails_to(config, email(2))) == 1  # the waiting list e-mail only
    skipped = await rows(db, "SELECT error FROM event_messages WHERE status = 'skipped'")
    assert skipped == [{"error": "un changement plus récent sera annoncé à la place"}]


async def test_a_person_offered_a_seat_hears_of_a_change_without_an_invitation(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1, **TOUR)
    first = await events.register(event.id, person(1), source="web", answers=ANSWERS)
    await events.register(event.id, person(2), source="web", answers=ANSWERS)
    await events.cancel_registration(first.registration.id)
    await deliver(db, config)

    await events.edit(event.id, EventChanges(venue="Hôtel de Région"))
    assert await deliver(db, config) == DeliveryReport(sent=1)

    mail = mails_to(config, email(2))[f"Changement d'horaire ou de lieu : {event.title}"]
    assert calendar_of(mail) is None  # no seat taken yet: nothing to put in a calendar
    text = body(mail, "plain")
    assert "Hôtel de Région" in text
    assert "La place qui vous est réservée vous attend toujours" in text


async def test_the_cancelled_event_is_withdrawn_from_the_calendars_that_hold_it(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(capacity=1, video_url=VIDEO)
    await events.register(event.id, person(1), source="web")
    await events.register(event.id, person(2), source="web")
    await deliver(db, config)

    await events.cancel(event.id)
    assert await deliver(db, config) == DeliveryReport(sent=2)

    subject = f"Événement annulé : {event.title}"
    seated, waiting = mails_to(config, email(1))[subject], mails_to(config, email(2))[subject]
    withdrawal = calendar_of(seated)
    assert withdrawal is not None and withdrawal[0] == "CANCEL"
    (entry,) = withdrawal[1].events
    assert entry["STATUS"] == "CANCELLED" and entry["UID"] == event.ics_uid
    assert VIDEO not in body(seated, "plain")
    assert "est annulé" in body(waiting, "plain") and calendar_of(waiting) is None


async def test_what_no_longer_applies_is_skipped_with_why(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(video_url=VIDEO)
    registered = await events.register(event.id, person(1), source="web")
    await events.cancel_registration(registered.registration.id)  # before the mailer's turn

    assert await deliver(db, config) == DeliveryReport(sent=1, skipped=1)

    found = await rows(db, "SELECT kind, status, error FROM event_messages ORDER BY id")
    assert found == [
        {
            "kind": "confirmed",
            "status": "skipped",
            "error": "l'inscription n'est plus dans cet état (maintenant : cancelled)",
        },
        {"kind": "cancelled", "status": "sent", "error": None},
    ]
    (mail,) = outbox(config)
    assert calendar_of(mail) is None  # the invitation never left: nothing to withdraw
    assert VIDEO not in body(mail, "plain")


async def test_a_blocked_address_gets_nothing(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event()
    await events.register(event.id, person(1), source="web")
    await Subscribers(db, config).suppress(email(1), "bounce")

    assert await deliver(db, config) == DeliveryReport(skipped=1)
    assert outbox(config) == []
    (row,) = await rows(db, "SELECT status, error FROM event_messages")
    assert row["status"] == "skipped" and "adresse bloquée" in row["error"]


async def test_a_refused_or_doubtful_message_stops_no_other_and_is_never_resent(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event()
    addresses = [
        "une@cpts-exemple.fr",
        "refuse@cpts-exemple.fr",  # the relay refuses it: failed
        "perdu@cpts-exemple.fr",  # the relay takes it and hangs up before saying so: in doubt
        "deux@cpts-exemple.fr",
    ]
    for address in addresses:
        await events.register(event.id, dataclasses.replace(person(0), email=address), source="web")

    async with smtp_relay() as (relay, port):
        messenger = SmtpMessenger(smtp_config(config, port))
        report = await deliver_pending(db, config, messenger)
        assert report == DeliveryReport(sent=2, failed=1, in_doubt=1)
        # Again: nothing is sent twice, not even what the relay may have taken.
        assert await deliver_pending(db, config, messenger) == DeliveryReport()
        await messenger.close()

    assert [r.rcpt_tos for r in relay.received] == [
        ["une@cpts-exemple.fr"],
        ["perdu@cpts-exemple.fr"],
        ["deux@cpts-exemple.fr"],
    ]
    invitation = calendar_of(relay.received[0].message)
    assert invitation is not None and invitation[0] == "REQUEST"
    statuses = {row[0]: row[2] for row in await messages(db)}
    assert statuses == {
        "une@cpts-exemple.fr": "sent",
        "refuse@cpts-exemple.fr": "failed",
        "perdu@cpts-exemple.fr": "sending",
        "deux@cpts-exemple.fr": "sent",
    }
    (failed,) = await rows(db, "SELECT error FROM event_messages WHERE status = 'failed'")
    assert "550" in failed["error"]
    (doubtful,) = await messages_in_doubt(db)
    assert doubtful["event_id"] == event.id and doubtful["kind"] == "confirmed"
    assert "peut-être" in doubtful["error"]


async def test_a_message_a_crashed_process_was_sending_is_not_sent_again(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event()
    await events.register(event.id, person(1), source="web")
    await events.register(event.id, person(2), source="web")
    # A process took the first message, then died before recording what became of it.
    async with db.transaction():
        taken = await db.fetch_one("event_message_claim")
    assert taken is not None

    assert await deliver(db, config) == DeliveryReport(sent=1)

    assert [to(m) for m in outbox(config)] == [email(2)]
    (doubtful,) = await messages_in_doubt(db)
    assert doubtful["id"] == taken["id"] and doubtful["error"] is None


async def test_a_message_that_cannot_be_read_fails_alone(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event()
    registered = await events.register(event.id, person(1), source="web")
    async with db.transaction():  # a kind this hub does not know (written by a newer one?)
        await db.conn.execute(
            "UPDATE event_messages SET kind = 'bogus' WHERE registration_id = ?",
            (registered.registration.id,),
        )
    await events.register(event.id, person(2), source="web")

    assert await deliver(db, config) == DeliveryReport(sent=1, failed=1)
    assert await deliver(db, config) == DeliveryReport()  # not tried again and again
    assert [to(m) for m in outbox(config)] == [email(2)]
    (failed,) = await rows(db, "SELECT error FROM event_messages WHERE status = 'failed'")
    assert failed["error"] == "message illisible : type de message inconnu « bogus »"


async def test_a_limit_leaves_the_rest_for_later(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event()
    for n in (1, 2, 3):
        await events.register(event.id, person(n), source="web")

    assert await deliver(db, config, limit=2) == DeliveryReport(sent=2)
    assert [status for _, _, status in await messages(db)] == ["sent", "sent", "pending"]
    assert await deliver(db, config) == DeliveryReport(sent=1)


def test_every_kind_of_message_has_its_template_and_subject() -> None:
    assert set(TEMPLATES) == set(SUBJECTS) == set(MESSAGE_KINDS)


async def test_someone_no_longer_eligible_gets_no_reminder_and_never_the_video_link(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(video_url=VIDEO)  # salariés + élus
    await events.register(event.id, person(1), source="web")
    await events.register(event.id, person(2), source="web")
    assert await deliver(db, config) == DeliveryReport(sent=2)
    # Person 2's record changes (an import gives a new role): the event is no longer for them.
    await Subscribers(db, config).save_person(dataclasses.replace(person(2), role="partenaire"))

    await queue_reminder_now(db, event.id)
    assert await deliver(db, config) == DeliveryReport(sent=1, skipped=1)

    assert len(mails_to(config, email(2))) == 1  # the confirmation only, before the change
    (row,) = await rows(db, "SELECT error FROM event_messages WHERE status = 'skipped'")
    assert row["error"] == "la fiche de la personne ne permet plus cet événement (public réservé)"
    (reminder,) = [m for m in outbox(config) if str(m["Subject"]).startswith("Rappel")]
    assert to(reminder) == email(1) and VIDEO in body(reminder, "plain")


async def test_a_withdrawn_membership_withdraws_the_invitation(
    config: Config, db: Database, events: Events, make_event: MakeEvent
) -> None:
    event = await make_event(video_url=VIDEO)
    await events.register(event.id, person(1), source="web")
    assert await deliver(db, config) == DeliveryReport(sent=1)

    await Subscribers(db, config).set_member(email(1), False, "cli")
    assert await deliver(db, config) == DeliveryReport(sent=1)

    mail = mails_to(config, email(1))[f"Inscription annulée : {event.title}"]
    text = body(mail, "plain")
    assert "votre fiche à la fédération ne vous y donne plus accès" in text
    assert config.federation.contact_email in text
    assert VIDEO.encode() not in mail.as_bytes()  # nor in the HTML, nor in the withdrawal
    invitation = calendar_of(mail)
    assert invitation is not None and invitation[0] == "CANCEL"
