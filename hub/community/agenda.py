"""The agenda in Discord, decided once for every bot: which events a server shows, what each post
says, when a post is due (new, changed, cancelled, seats to refresh), and sign-ups from Discord.

A server shows an event only when the event's audience is one of the server's `audiences`:
events of the élus never appear in the salariés' server, in any list, autocomplete or command,
and the reverse, whoever asks. Registrations go through `Events.register`, so the rules, seats
and waiting list are the web's and the CLI's.

The posts are rows (`discord_posts`, one per server and event) written as soon as Discord took
the post: a restart, or another process publishing an event, never posts one twice. Seat counts
change with every click; a post shows new seat counts at most once per `SEATS_REFRESH` whatever
the number of clicks, while a real change of the event (title, time, place, cancellation) is
shown at the next poll.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Literal

from hub.community.agenda_model import (
    AnswerOnWeb,
    AskAnswers,
    DirectMessage,
    NotIdentified,
    NotRegistered,
    NotShown,
    PersonFinder,
    Post,
    PostDue,
    PostRecord,
    SignedOff,
    SignedUp,
    SignOff,
    SignUp,
    SignUpRefused,
    modal_can_ask,
)
from hub.config import Config
from hub.db import Database
from hub.errors import UserError
from hub.events.audience import LABELS as AUDIENCE_LABELS
from hub.events.audience import Viewer
from hub.events.model import (
    Event,
    EventNotFound,
    Refused,
    Registration,
    RegistrationNotFound,
    page_url,
)
from hub.events.rules import utc_now
from hub.events.service import Events
from hub.events.wording import kind_name, seats_left
from hub.notices import signed_path
from hub.subscribers.model import Person, Subscriber
from hub.timeutil import from_utc_text, to_utc_text
from hub.tokens import LINK_PATHS

SEATS_REFRESH = timedelta(seconds=10)

__all__ = [
    "Agenda",
    "AnswerOnWeb",
    "AskAnswers",
    "DirectMessage",
    "NotIdentified",
    "NotRegistered",
    "NotShown",
    "Post",
    "PostDue",
    "PostRecord",
    "SignOff",
    "SignUp",
    "SignUpRefused",
    "SignedOff",
    "SignedUp",
    "modal_can_ask",
]


class Agenda:
    """The agenda of each configured Discord server. Build it once (`HubServices`):
    `Agenda(db, config, events=events, people=identification)`."""

    def __init__(
        self,
        db: Database,
        config: Config,
        *,
        events: Events,
        people: PersonFinder,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.config = config
        self.events = events
        self.people = people
        self.clock = clock

    # --- What a server shows ---------------------------------------------------------------

    def shows(self, server: str, event: Event) -> bool:
        """Whether this server shows this event at all (its audience is one of the server's)."""
        found = self.config.discord.get(server)
        return found is not None and event.audience in found.audiences

    async def upcoming(self, server: str, person: Subscriber | None = None) -> list[Event]:
        """The published events to come this server shows, by date; with a person, only those
        they may join too."""
        found = self.config.discord.get(server)
        if found is None:
            return []
        return await self.events.visible_to(Viewer.in_place(frozenset(found.audiences), person))

    async def find(self, server: str, ref: str | int) -> Event | None:
        """An event this server shows, or None (an event of another server is never named)."""
        try:
            event = await self.events.get(ref)
        except (EventNotFound, UserError):
            return None
        if event.status == "draft" or not self.shows(server, event):
            return None
        return event

    async def search(self, server: str, text: str, limit: int = 25) -> list[Event]:
        """What `/inscription`'s autocomplete offers: this server's upcoming events whose title
        contains `text` (Discord shows 25 choices at most)."""
        needle = text.casefold().strip()
        found = [e for e in await self.upcoming(server) if needle in e.title.casefold()]
        return found[:limit]

    async def post_of(self, event: Event) -> Post:
        counts = await self.events.counts(event)
        place = (
            "En ligne" if event.online else ", ".join(p for p in (event.venue, event.address) if p)
        )
        return Post(
            event_id=event.id,
            title=event.title,
            kind=kind_name(self.config, event.kind) or event.kind,
            description=event.description,
            starts_at=int(event.starts_at.timestamp()),
            ends_at=int(event.ends_at.timestamp()),
            online=event.online,
            place=place or "Lieu à préciser",
            seats=seats_left(event, counts) or "",
            audience=AUDIENCE_LABELS.get(event.audience, event.audience).capitalize(),
            url=page_url(self.config, event),
            cancelled=event.status == "cancelled",
            asks=bool(event.questions) and modal_can_ask(event),
        )

    # --- The posts' bookkeeping --------------------------------------------------------------

    async def records(self, server: str) -> dict[int, PostRecord]:
        rows = await self.db.fetch_all("discord_posts_of_server", {"server": server})
        return {
            row["event_id"]: PostRecord(
                server=row["server"],
                event_id=row["event_id"],
                channel_id=row["channel_id"],
                message_id=row["message_id"],
                scheduled_event_id=row["scheduled_event_id"],
                content_hash=row["content_hash"],
                seats_shown=row["seats_shown"],
                edited_at=from_utc_text(row["edited_at"]) or self.clock(),
            )
            for row in rows
        }

    async def due(self, server: str) -> list[PostDue]:
        """The posts to write now in this server: every upcoming event it shows that has no
        post yet (published before the bot was set up, or by another process), and every post
        whose event changed, was cancelled, or whose seats changed more than 10 s ago."""
        now = self.clock()
        records = await self.records(server)
        wanted = {e.id: e for e in await self.upcoming(server)}
        for row in await self.db.fetch_all("discord_posted_events", {"server": server}):
            event = Event.from_row(row)
            if event.id not in wanted and event.ends_at > now:
                wanted[event.id] = event  # cancelled (or no longer for this server): to mark
        due: list[PostDue] = []
        for event in wanted.values():
            record = records.get(event.id)
            if record is None:
                if event.status == "published" and self.shows(server, event):
                    due.append(PostDue("create", await self.post_of(event), None))
                continue
            post = await self.post_of(event)
            if record.message_id == 0:
                due.append(PostDue("recover", post, record))
            elif post.content_hash != record.content_hash:
                due.append(PostDue("edit", post, record))
            elif post.seats != record.seats_shown and now - record.edited_at >= SEATS_REFRESH:
                due.append(PostDue("seats", post, record))
        return due

    async def posting(self, server: str, post: Post, *, channel_id: int) -> None:
        """About to post: remembered first (message id 0), so a stop in between is recovered
        by looking in the channel, never by posting twice."""
        await self.posted(
            server, post, channel_id=channel_id, message_id=0, scheduled_event_id=None
        )

    async def posted(
        self,
        server: str,
        post: Post,
        *,
        channel_id: int,
        message_id: int,
        scheduled_event_id: int | None,
    ) -> None:
        await self.db.execute(
            "discord_post_insert",
            {
                "server": server,
                "event_id": post.event_id,
                "channel_id": channel_id,
                "message_id": message_id,
                "scheduled_event_id": scheduled_event_id,
                "content_hash": post.content_hash,
                "seats_shown": post.seats,
                "now": to_utc_text(self.clock()),
            },
        )

    async def edited(self, server: str, post: Post, scheduled_event_id: int | None) -> None:
        await self.db.execute(
            "discord_post_edited",
            {
                "server": server,
                "event_id": post.event_id,
                "content_hash": post.content_hash,
                "seats_shown": post.seats,
                "scheduled_event_id": scheduled_event_id,
                "now": to_utc_text(self.clock()),
            },
        )

    async def forget(self, server: str, event_id: int) -> None:
        """The post was deleted in Discord: it is posted again at the next poll."""
        await self.db.execute("discord_post_forget", {"server": server, "event_id": event_id})

    # --- Sign-ups ------------------------------------------------------------------------------

    def web_link(self, event: Event, person: Subscriber) -> str:
        """The event's page signed for this person (their record decides what they see)."""
        path = signed_path(self.config, "registrations", person)
        key = path.removeprefix(LINK_PATHS["registrations"])
        return f"{page_url(self.config, event)}?cle={key}"

    async def sign_up(
        self,
        server: str,
        discord_user_id: int,
        ref: str | int,
        answers: Mapping[str, str] | None = None,
    ) -> SignUp:
        """Register the member for an event this server shows. Without `answers`, an event with
        questions asks them first (a modal, or the person's web link when a modal cannot)."""
        person = await self.people.person_of(discord_user_id, server=server)
        if person is None:
            return NotIdentified()
        event = await self.find(server, ref)
        if event is None:
            return NotShown()
        if answers is None and event.questions:
            existing = await self._registration(event, person)
            if existing is None:
                if modal_can_ask(event):
                    return AskAnswers(event)
                return AnswerOnWeb(event, self.web_link(event, person))
        try:
            registered = await self.events.register(
                event.id, _person(person), source="discord", answers=answers
            )
        except Refused as exc:
            return SignUpRefused(event, str(exc))
        except UserError as exc:  # an answer the rules refuse: said to the member
            return SignUpRefused(event, str(exc))
        registration = await self.events.registration(registered.registration.id)
        return SignedUp(event, registration, registered.created)

    async def sign_off(self, server: str, discord_user_id: int, ref: str | int) -> SignOff:
        person = await self.people.person_of(discord_user_id, server=server)
        if person is None:
            return NotIdentified()
        event = await self.find(server, ref)
        if event is None:
            return NotShown()
        existing = await self._registration(event, person)
        if existing is None or existing.status == "cancelled":
            return NotRegistered(event)
        if not event.can_cancel(self.clock()):
            return SignUpRefused(event, f"« {event.title} » est terminé ou annulé.")
        return SignedOff(event, await self.events.cancel_registration(existing.id))

    async def accept_offer(
        self, server: str, discord_user_id: int, registration_id: int
    ) -> SignedUp | NotIdentified | SignUpRefused:
        """« Accepter la place » from a DM: only the person the seat is held for."""
        person = await self.people.person_of(discord_user_id, server=server)
        if person is None:
            return NotIdentified()
        try:
            registration = await self.events.registration(registration_id)
        except RegistrationNotFound:
            return SignUpRefused(None, "Cette offre de place n'existe plus.")
        if registration.subscriber_id != person.id:
            return SignUpRefused(None, "Cette offre de place ne vous est pas destinée.")
        event = await self.events.get(registration.event_id)
        try:
            accepted = await self.events.accept_offer(registration_id)
        except Refused as exc:
            return SignUpRefused(event, str(exc))
        return SignedUp(event, accepted, True)

    async def mine(
        self, server: str, discord_user_id: int
    ) -> list[tuple[Event, Registration]] | None:
        """The member's live registrations to events this server shows; None if not identified."""
        person = await self.people.person_of(discord_user_id, server=server)
        if person is None:
            return None
        now = self.clock()
        return [
            (event, registration)
            for event, registration in await self.events.registrations_of(person.id)
            if registration.status != "cancelled"
            and self.shows(server, event)
            and event.ends_at > now
        ]

    async def _registration(self, event: Event, person: Subscriber) -> Registration | None:
        row = await self.db.fetch_one(
            "registration_of", {"event_id": event.id, "subscriber_id": person.id}
        )
        return Registration.from_row(row) if row else None

    # --- Direct messages -----------------------------------------------------------------------

    async def pending_dms(self, server: str) -> list[DirectMessage]:
        """The DMs this server's bot owes; those no longer worth sending (a registration
        cancelled since, an event cancelled) are dropped on the way."""
        owed = []
        for row in await self.db.fetch_all("discord_dms_pending", {"server": server}):
            registration = await self.events.registration(row["registration_id"])
            event = await self.events.get(registration.event_id)
            wanted = "offered" if row["kind"] == "offered" else "confirmed"
            if registration.status != wanted or not event.can_cancel(self.clock()):
                await self.dm_done(row["id"], "dropped")
                continue
            owed.append(
                DirectMessage(row["id"], row["discord_user_id"], row["kind"], event, registration)
            )
        return owed

    async def dm_done(self, dm_id: int, status: Literal["pending", "sent", "dropped"]) -> None:
        await self.db.execute("discord_dm_done", {"id": dm_id, "status": status})

    async def dms_closed(self, dm_id: int, discord_user_id: int) -> None:
        """The member's DMs are closed (50007): this DM and every other owed to them are
        marked so, never retried; their e-mails go out as always."""
        async with self.db.transaction():
            await self.db.execute("discord_dm_done", {"id": dm_id, "status": "closed"})
            await self.db.execute("discord_dms_closed_for", {"discord_user_id": discord_user_id})

    async def stop_reminders(self, server: str, discord_user_id: int) -> bool:
        """No more reminders by DM for this member (e-mail reminders go on); False if unknown."""
        person = await self.people.person_of(discord_user_id, server=server)
        if person is None:
            return False
        await self.db.execute("discord_reminders_stop", {"subscriber_id": person.id})
        return True


def _person(found: Subscriber) -> Person:
    return Person(
        email=found.email,
        first_name=found.first_name,
        last_name=found.last_name,
        organisation=found.organisation,
        role=found.role,
        member=found.member,
    )
