"""Who is who on Discord: a Discord account proves an address with a 6-digit code sent to it,
and is then linked to the person stored under that address (one record per address, the same
as subscribers and registrants), with the roles that person's record carries.

The rules live here once; the bots only translate clicks and modals into these calls:
- asking for a code always ends the same, whatever the address (known, unknown, blocked): the
  answer must not tell a stranger who is in our files. Blocked addresses get no mail, silently;
- codes are rate-limited per Discord account and per address, stored as keyed hashes, live
  15 minutes and allow 5 tries;
- the roles a record carries: a member contact is `adherent`, and also `salarie`,
  `coordinateur` or `elu` when that is their role. Others are identified with no role, until
  staff validate them (`validate_member`, recorded as the command line's `--member` is).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import aiosqlite

from hub.community.code_mail import CodeNotSent, send_code
from hub.community.limits import HourlyCounter, RateLimiter
from hub.community.servers import GIVEN_ROLES
from hub.config import Config
from hub.db import Database
from hub.errors import UserError
from hub.keys import derived_key
from hub.subscribers.service import Person, Subscriber, Subscribers, normalise_email
from hub.timeutil import from_utc_text, to_utc_text

if TYPE_CHECKING:
    from hub.mail import Messenger

log = logging.getLogger(__name__)

CODE_MINUTES = 15
CODE_TRIES = 5
CODES_PER_ACCOUNT_PER_HOUR = 5
CODES_PER_ADDRESS_PER_HOUR = 3
KEY_PURPOSE = "discord-code"
STAFF_ROLES = ("salarie", "coordinateur", "elu")  # what staff may record when validating
SOURCE = "discord"


# --- outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeSent:
    """A code left for the address (or, for a blocked one, silently did not): same answer."""

    expires_at: datetime


@dataclass(frozen=True)
class TooManyCodes:
    """This account or this address asked for too many codes this hour."""


@dataclass(frozen=True)
class Linked:
    """The account is now linked to `person`; `roles` are the role keys to give (empty: not a
    member contact, staff are asked to validate)."""

    person: Subscriber
    roles: tuple[str, ...]


@dataclass(frozen=True)
class WrongCode:
    tries_left: int  # 0: the code is spent, a new one must be asked for


@dataclass(frozen=True)
class CodeExpired:
    """No live code for this account (expired, spent, or never asked for)."""


@dataclass(frozen=True)
class DiscordLink:
    server: str
    discord_user_id: int
    subscriber_id: int
    roles: tuple[str, ...]  # the role keys the bot gave
    linked_at: datetime
    linked_by: str


@dataclass(frozen=True)
class RolesToRemove:
    server: str
    discord_user_id: int
    roles: tuple[str, ...]


# --- errors ------------------------------------------------------------------------------------


class NotIdentified(UserError):
    """The Discord account is linked to nobody on this server."""

    def __init__(self, discord_user_id: int) -> None:
        super().__init__("ce compte Discord n'est pas encore identifié")
        self.discord_user_id = discord_user_id


class UnknownStaffRole(UserError):
    def __init__(self, role: str) -> None:
        super().__init__(f"rôle inconnu « {role} » ; rôles possibles : {', '.join(STAFF_ROLES)}")
        self.role = role


class UnknownPerson(UserError):
    def __init__(self, email: str) -> None:
        super().__init__(f"aucune personne enregistrée sous l'adresse {email}")
        self.email = email


class CodeNotDelivered(UserError):
    """The mail backend refused the code's message; asking again later may work."""

    def __init__(self) -> None:
        super().__init__("l'e-mail du code n'a pas pu partir ; réessayez dans quelques minutes")


def roles_for(person: Subscriber) -> tuple[str, ...]:
    """The roles a record carries: none for a non-member, `adherent` (and their role) for one."""
    if not person.member:
        return ()
    return ("adherent", person.role) if person.role in GIVEN_ROLES else ("adherent",)


def _link(row: aiosqlite.Row) -> DiscordLink:
    linked_at = from_utc_text(row["linked_at"])
    assert linked_at is not None
    return DiscordLink(
        server=row["server"],
        discord_user_id=int(row["discord_user_id"]),
        subscriber_id=int(row["subscriber_id"]),
        roles=tuple(json.loads(row["roles"])),
        linked_at=linked_at,
        linked_by=row["linked_by"],
    )


class Identification:
    """Codes, links and the roles they give (see the module docstring for the rules)."""

    def __init__(
        self,
        db: Database,
        config: Config,
        *,
        people: Subscribers,
        messenger: Callable[[], Messenger],
        limiter: RateLimiter | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.config = config
        self.people = people
        self.messenger = messenger  # called at first send: the backend is made on first use
        self.limiter: RateLimiter = limiter or HourlyCounter(db)
        self.clock = clock
        self._key: bytes | None = None

    def _keyed(self, text: str) -> str:
        if self._key is None:
            self._key = derived_key(self.config, KEY_PURPOSE)
        return hmac.new(self._key, text.encode(), "sha256").hexdigest()

    # --- codes ---------------------------------------------------------------------------------

    async def request_code(
        self, discord_user_id: int, email: str, *, server: str
    ) -> CodeSent | TooManyCodes:
        """Send a code to `email` for this account; the same answer for every address.
        `InvalidEmail` for text that is no address; `CodeNotDelivered` if the backend refused."""
        email = normalise_email(email)
        now = self.clock()
        if not await self.limiter.hit(
            f"user:{discord_user_id}", CODES_PER_ACCOUNT_PER_HOUR, now
        ) or not await self.limiter.hit(
            f"email:{self._keyed(email)}", CODES_PER_ADDRESS_PER_HOUR, now
        ):
            return TooManyCodes()
        code = f"{secrets.randbelow(10**6):06d}"
        expires_at = now + timedelta(minutes=CODE_MINUTES)
        person = await self.people.find(email)
        async with self.db.transaction():
            await self.db.execute("discord_codes_prune", {"now": to_utc_text(now)})
            await self.db.execute(
                "discord_code_put",
                {
                    "discord_user_id": discord_user_id,
                    "server": server,
                    "email": email,
                    "subscriber_id": person.id if person else None,
                    "code_hash": self._keyed(f"{discord_user_id}:{code}"),
                    "expires_at": to_utc_text(expires_at),
                    "tries": CODE_TRIES,
                },
            )
        if await self.people.is_suppressed(email):
            log.info("discord code not mailed: blocked address", extra={"server": server})
            return CodeSent(expires_at)
        name = self.config.discord[server].name if server in self.config.discord else server
        try:
            await send_code(self.config, self.messenger(), email, code, name, CODE_MINUTES)
        except CodeNotSent as exc:
            log.warning("discord code not sent", extra={"server": server, "error": str(exc)})
            async with self.db.transaction():
                await self.db.execute("discord_code_delete", {"discord_user_id": discord_user_id})
            raise CodeNotDelivered() from exc
        return CodeSent(expires_at)

    async def confirm_code(
        self, discord_user_id: int, code: str, *, server: str
    ) -> Linked | WrongCode | CodeExpired:
        """Check a code typed by the account; a right one links it to the address's person
        (made if the address was unknown) on `server`."""
        now = self.clock()
        typed = "".join(code.split())
        async with self.db.transaction():
            row = await self.db.fetch_one("discord_code_get", {"discord_user_id": discord_user_id})
            expires_at = from_utc_text(row["expires_at"]) if row else None
            if row is None or expires_at is None or expires_at <= now or row["tries_left"] < 1:
                if row is not None:
                    await self.db.execute(
                        "discord_code_delete", {"discord_user_id": discord_user_id}
                    )
                return CodeExpired()
            right = hmac.compare_digest(row["code_hash"], self._keyed(f"{discord_user_id}:{typed}"))
            if not right:
                spent = await self.db.fetch_one(
                    "discord_code_spend_try", {"discord_user_id": discord_user_id}
                )
                left = int(spent["tries_left"]) if spent else 0
                if left == 0:
                    await self.db.execute(
                        "discord_code_delete", {"discord_user_id": discord_user_id}
                    )
                return WrongCode(left)
            await self.db.execute("discord_code_delete", {"discord_user_id": discord_user_id})
            email = row["email"]
        person = await self.people.save_person(Person(email=email))
        roles = roles_for(person)
        await self._store_link(server, discord_user_id, person, roles, "code")
        return Linked(person, roles)

    # --- links ---------------------------------------------------------------------------------

    async def _store_link(
        self,
        server: str,
        discord_user_id: int,
        person: Subscriber,
        roles: tuple[str, ...],
        linked_by: str,
    ) -> None:
        async with self.db.transaction():
            await self.db.execute(
                "discord_link_upsert",
                {
                    "server": server,
                    "discord_user_id": discord_user_id,
                    "subscriber_id": person.id,
                    "roles": json.dumps(list(roles)),
                    "now": to_utc_text(self.clock()),
                    "linked_by": linked_by,
                },
            )

    async def link_by_hand(
        self, discord_user_id: int, email: str, *, server: str, staff: str
    ) -> Linked:
        """Staff identify someone themselves (they checked who it is); the address must be
        known: staff link people, they do not create them here."""
        person = await self.people.find(email)
        if person is None:
            raise UnknownPerson(normalise_email(email))
        roles = roles_for(person)
        await self._store_link(server, discord_user_id, person, roles, staff)
        return Linked(person, roles)

    async def link_of(self, discord_user_id: int, *, server: str) -> DiscordLink | None:
        row = await self.db.fetch_one(
            "discord_link_get", {"server": server, "discord_user_id": discord_user_id}
        )
        return _link(row) if row else None

    async def person_of(self, discord_user_id: int, *, server: str) -> Subscriber | None:
        link = await self.link_of(discord_user_id, server=server)
        return await self.people.get(link.subscriber_id) if link else None

    async def links_of(self, subscriber_id: int) -> list[DiscordLink]:
        rows = await self.db.fetch_all("discord_links_of", {"subscriber_id": subscriber_id})
        return [_link(row) for row in rows]

    async def unlink(self, discord_user_id: int, *, server: str) -> tuple[str, ...] | None:
        """Forget the link; the roles the bot gave (to take back), None if there was none."""
        async with self.db.transaction():
            row = await self.db.fetch_one(
                "discord_link_delete", {"server": server, "discord_user_id": discord_user_id}
            )
        return tuple(json.loads(row["roles"])) if row else None

    async def record_roles(
        self, discord_user_id: int, roles: tuple[str, ...], *, server: str
    ) -> None:
        """What the bot now holds as given (after it gave or took back roles)."""
        async with self.db.transaction():
            await self.db.execute(
                "discord_link_set_roles",
                {"server": server, "discord_user_id": discord_user_id, "roles": json.dumps(roles)},
            )

    async def validate_member(
        self, discord_user_id: int, role: str, cpts: str, staff: str, *, server: str
    ) -> tuple[str, ...]:
        """Staff's decision that an identified person is a member contact (their role, their
        CPTS), recorded on the person's record as the command line's `--member` is; returns
        the roles to give."""
        if role not in STAFF_ROLES:
            raise UnknownStaffRole(role)
        link = await self.link_of(discord_user_id, server=server)
        if link is None:
            raise NotIdentified(discord_user_id)
        person = await self.people.get(link.subscriber_id)
        assert person is not None  # the link goes with the person (ON DELETE CASCADE)
        await self.people.save_person(
            Person(email=person.email, role=role, organisation=cpts.strip())
        )
        await self.people.set_member(
            person.email, True, SOURCE, f"Validé sur Discord ({server}) par {staff}"
        )
        updated = await self.people.get(person.id)
        assert updated is not None
        roles = roles_for(updated)
        given = tuple(dict.fromkeys(link.roles + roles))
        await self.record_roles(discord_user_id, given, server=server)
        return roles

    async def roles_to_remove(self, subscriber_id: int) -> list[RolesToRemove]:
        """The roles the bot gave this person that their record no longer carries (membership
        withdrawn, role changed), account by account."""
        person = await self.people.get(subscriber_id)
        due = set(roles_for(person)) if person else set()
        removals = []
        for link in await self.links_of(subscriber_id):
            extra = tuple(role for role in link.roles if role not in due)
            if extra:
                removals.append(RolesToRemove(link.server, link.discord_user_id, extra))
        return removals

    async def pending_codes(self) -> dict[str, int]:
        """Live codes per server, for the status command."""
        rows = await self.db.fetch_all("discord_codes_pending", {"now": to_utc_text(self.clock())})
        return {row["server"]: int(row["pending"]) for row in rows}

    async def link_counts(self) -> dict[str, int]:
        rows = await self.db.fetch_all("discord_links_count")
        return {row["server"]: int(row["links"]) for row in rows}
