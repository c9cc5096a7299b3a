"""A sign-up asked for by someone who has not proved the address is theirs (the web form
today, a Discord command tomorrow): the rules every channel must apply the same way.

- The requester's rate: so many requests per hour and requester (an IP, a Discord user id),
  counted before anything else (`allow`).
- The identity rule: whoever types an address cannot rewrite the details stored with it
  (nobody has proved it is theirs yet): for a known address only the address is used.
- The answer is the same whatever the address (new, pending, confirmed, suppressed), so a
  channel cannot be used to learn who is subscribed; what differs goes to the mailbox, in one
  e-mail, chosen here: confirm the lists waiting, say those already confirmed and those
  refused, or nothing at all to a suppressed address.
- The cooldown: one such e-mail per address per `NOTICE_COOLDOWN`, whoever asks, so no one
  can flood a mailbox; given back when the e-mail could not leave (sending again is a new try).

The channel sends the e-mail after its answer (`Signup.deliver`, e.g. in the web's background
tasks), so that a relay's time does not tell whether an e-mail left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from hub.config import Config
from hub.db import Database
from hub.ratelimit import RateLimiter
from hub.subscribers.addresses import normalise_email
from hub.subscribers.model import (
    Consent,
    ListOutcome,
    ListStatus,
    Person,
    SignupAnswer,
    Subscriber,
    SubscriptionStatus,
)
from hub.subscribers.service import Subscribers
from hub.timeutil import to_utc_text

if TYPE_CHECKING:
    from hub.mail import Messenger

log = logging.getLogger("hub.subscribers.signup")

NOTICE_COOLDOWN = timedelta(minutes=10)  # between two sign-up e-mails to one address
PENDING, CONFIRMED = SubscriptionStatus.PENDING, SubscriptionStatus.CONFIRMED


class SignupResult(StrEnum):
    """What became of a sign-up; every channel answers the requester the same for all three."""

    MAIL = "mail"  # an e-mail is to be sent (`Signed.mail`)
    COOLDOWN = "cooldown"  # an e-mail went there less than NOTICE_COOLDOWN ago: none now
    NOTHING = "nothing"  # nothing to say: a suppressed address, or every list refused it


@dataclass(frozen=True)
class SignupMail:
    """The e-mail a sign-up calls for, to send after the answer (`Signup.deliver`). It greets
    without a name: the one typed is unverified, and goes neither in the text nor in To:."""

    email: str
    answer: SignupAnswer
    person: Subscriber | None  # as stored (its signed links); None when nothing was stored
    email_hash: str  # the cooldown's key
    claim: str  # the cooldown's claim, given back if the e-mail cannot leave


@dataclass(frozen=True)
class Signed:
    """What `Signup.request` did."""

    result: SignupResult
    outcomes: tuple[ListOutcome, ...]
    mail: SignupMail | None = None


class Signup:
    """The sign-up rules (see the module's docstring); built once per process."""

    def __init__(
        self,
        db: Database,
        config: Config,
        subscribers: Subscribers,
        rate_limiter: RateLimiter,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.config = config
        self.subscribers = subscribers
        self.rate_limiter = rate_limiter
        self._clock = clock

    async def allow(self, requester: str) -> bool:
        """Count a sign-up request of `requester` (an IP address, "discord <user id>"…);
        False past `signups_per_ip_per_hour` this hour. Called before anything is read."""
        limit = self.config.subscriptions.signups_per_ip_per_hour
        return await self.rate_limiter.allow(requester, limit)

    async def request(self, given: Person, lists: Sequence[str], consent: Consent) -> Signed:
        """Put the person on `lists`, pending their confirmation (someone who left a list
        before may come back: this is a fresh consent), and decide the e-mail. `given.email`
        is normalised here (`InvalidEmail`); the lists must exist."""
        subscribers = self.subscribers
        email = normalise_email(given.email)
        known = await subscribers.find(email) is not None
        person = Person(email=email) if known else replace(given, email=email)
        outcomes = tuple(
            await subscribers.subscribe(
                person, lists, consent, confirmed=False, allow_resubscribe=True
            )
        )
        stored, answer = await self._answer(email, outcomes)
        if answer.empty:
            return Signed(SignupResult.NOTHING, outcomes)
        digest = subscribers.hash(email)
        claim = await self._claim(digest)
        if claim is None:
            return Signed(SignupResult.COOLDOWN, outcomes)
        return Signed(SignupResult.MAIL, outcomes, SignupMail(email, answer, stored, digest, claim))

    async def _answer(
        self, email: str, outcomes: Sequence[ListOutcome]
    ) -> tuple[Subscriber | None, SignupAnswer]:
        """The person as stored (None when nothing was) and what to tell them by e-mail:
        nothing (an empty answer) to a suppressed address, or when every list chosen ended in
        a bounce or a complaint."""
        subscribers = self.subscribers
        if await subscribers.is_suppressed(email):
            return None, SignupAnswer()
        stored = await subscribers.find(email)
        statuses = await subscribers.subscriptions(stored.id) if stored else {}
        return stored, SignupAnswer(
            to_confirm=[o.list for o in outcomes if statuses.get(o.list) == PENDING],
            already=[o.list for o in outcomes if statuses.get(o.list) == CONFIRMED],
            refused=[o.list for o in outcomes if o.status == ListStatus.MEMBERS_ONLY],
        )

    async def _claim(self, digest: str) -> str | None:
        """The right to send a sign-up e-mail to an address (by its hash) now, or None when
        one went there less than NOTICE_COOLDOWN ago; what to give back to `_release`."""
        now = self._clock()
        cutoff = to_utc_text(now - NOTICE_COOLDOWN)
        async with self.db.transaction():
            await self.db.execute("signup_notices_prune", {"cutoff": cutoff})
            row = await self.db.fetch_one(
                "signup_notice_claim",
                {"email_hash": digest, "now": to_utc_text(now), "cutoff": cutoff},
            )
        return row["sent_at"] if row else None

    async def _release(self, mail: SignupMail) -> None:
        async with self.db.transaction():
            await self.db.execute(
                "signup_notice_release", {"email_hash": mail.email_hash, "sent_at": mail.claim}
            )

    async def deliver(
        self,
        mail: SignupMail,
        messenger: Callable[[], AbstractAsyncContextManager[Messenger]],
    ) -> bool:
        """Send the e-mail `request` decided, through a messenger opened for it; whether it
        left. When it cannot leave (the backend refused it, or failed), the failure is logged
        and the cooldown given back: sending the request again is a new try."""
        from hub import notices  # the e-mail templates: loaded when an e-mail goes

        try:
            async with messenger() as opened:
                await notices.send_signup(
                    self.config,
                    opened,
                    email=mail.email,
                    answer=mail.answer,
                    person=mail.person,
                )
        except Exception as exc:
            if isinstance(exc, notices.NoticeNotSent):
                log.error("sign-up e-mail not sent", extra={"problem": str(exc)})
            else:
                log.exception("sign-up e-mail failed")
            await self._release(mail)
            return False
        return True


async def purge_stale_signups(subscribers: Subscribers) -> None:
    """A daily job for `hub run` (`hub.scheduler.PeriodicJob`): sign-ups never confirmed are
    deleted twice their link's validity after they were made (`purge_stale_pending`)."""
    purged = await subscribers.purge_stale_pending()
    log.info(
        "stale sign-ups purged",
        extra={"subscriptions": purged.subscriptions, "people": purged.people},
    )
