"""What the agenda decides, as every channel reads it: a post's content and bookkeeping, and
the outcomes of a sign-up from Discord (`hub.community.agenda.Agenda`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal, Protocol

from hub.events.model import Event, Registration
from hub.events.outcomes import Cancelled
from hub.subscribers.model import Subscriber

MODAL_FIELDS = 5  # Discord's limit of text fields in one modal


class PersonFinder(Protocol):
    """What the agenda needs of identification (`hub.community.identity.Identification`)."""

    async def person_of(self, discord_user_id: int, *, server: str) -> Subscriber | None: ...


@dataclass(frozen=True)
class Post:
    """What an event's post in #agenda (and its scheduled event) shows."""

    event_id: int
    title: str
    kind: str
    description: str
    starts_at: int  # Unix seconds: shown as <t:…:F> and <t:…:R>, in each member's own clock
    ends_at: int
    online: bool
    place: str  # "En ligne" or the venue and address
    seats: str  # "" when the event has no limit
    audience: str  # who may come, in French
    url: str  # the event's public page
    cancelled: bool
    # « S'inscrire » opens a modal with the event's questions (its custom_id says so, so the
    # click can open it before touching anything slow).
    asks: bool = False

    @property
    def content_hash(self) -> str:
        """A hash of everything but the seats (which are refreshed on their own rhythm)."""
        shown = asdict(self)
        shown.pop("seats")
        text = json.dumps(shown, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class PostRecord:
    server: str
    event_id: int
    channel_id: int
    message_id: int
    scheduled_event_id: int | None
    content_hash: str
    seats_shown: str
    edited_at: datetime


PostAction = Literal["create", "recover", "edit", "seats"]


@dataclass(frozen=True)
class PostDue:
    """A post to write: `create` (never posted here), `recover` (a post was being made when the
    bot stopped: look for it in the channel before posting), `edit` (the event changed or was
    cancelled), `seats` (only the seats changed, and the last write is old enough)."""

    action: PostAction
    post: Post
    record: PostRecord | None


# --- What a sign-up from Discord came to ---------------------------------------------------


@dataclass(frozen=True)
class NotIdentified:
    """The member has not linked their Discord account here: nobody was registered."""


@dataclass(frozen=True)
class NotShown:
    """No such event in this server (unknown, not published, or for another audience)."""


@dataclass(frozen=True)
class AskAnswers:
    """The event has questions a modal can ask: ask them, then sign up again with answers."""

    event: Event


@dataclass(frozen=True)
class AnswerOnWeb:
    """The event's questions do not fit a modal: the person's own signed link to the form."""

    event: Event
    url: str


@dataclass(frozen=True)
class SignedUp:
    event: Event
    registration: Registration  # confirmed, or waitlisted with its position
    created: bool  # False: already registered, nothing changed


@dataclass(frozen=True)
class SignUpRefused:
    event: Event | None
    reason: str  # polite French, for the member


@dataclass(frozen=True)
class SignedOff:
    event: Event
    cancelled: Cancelled


@dataclass(frozen=True)
class NotRegistered:
    event: Event


SignUp = NotIdentified | NotShown | AskAnswers | AnswerOnWeb | SignedUp | SignUpRefused
SignOff = NotIdentified | NotShown | NotRegistered | SignedOff | SignUpRefused


@dataclass(frozen=True)
class DirectMessage:
    """A DM a bot owes: a seat offered (`offered`) or a reminder (`reminder…`)."""

    id: int
    discord_user_id: int
    kind: str
    event: Event
    registration: Registration


def modal_can_ask(event: Event) -> bool:
    return len(event.questions) <= MODAL_FIELDS and all(q.kind == "text" for q in event.questions)
