"""The subscription pages: the public sign-up form, the double opt-in confirmation, each
subscriber's preferences, and the unsubscription link of every newsletter (RFC 8058).

Handlers stay thin: the `Subscribers` service changes subscriptions and records consents, the
`Signup` service (`hub.subscribers.signup`) holds the sign-up's rules (rate, identity,
cooldown, which e-mail), `hub.notices` writes the e-mails. Every page but the form is reached
through a signed link (`hub.tokens`): a token that is forged, altered, of another purpose or
for a person who no longer exists gets the same French 404 page, and changes nothing.

The form answers the same whatever the address (new, pending, confirmed, suppressed), so it
cannot be used to learn who is subscribed; what differs goes to the mailbox, in the e-mail,
which is sent after the answer (`BackgroundTasks`): a relay's time must not tell whether an
e-mail left. That e-mail greets generically: the name typed in the form is nobody's word yet.
"""

from __future__ import annotations

from aiohttp import web

from hub.subscribers.signup import NOTICE_COOLDOWN
from hub.web.forms import HONEYPOT, MAX_LENGTH
from hub.web.subscriptions import confirm, preferences, signup, unsubscribe
from hub.web.subscriptions.signup import ROLE_CHOICES

__all__ = ["HONEYPOT", "MAX_LENGTH", "NOTICE_COOLDOWN", "ROLE_CHOICES", "routes"]

routes: list[web.AbstractRouteDef] = [
    *signup.routes,
    *confirm.routes,
    *preferences.routes,
    *unsubscribe.routes,
]
