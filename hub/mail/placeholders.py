"""The per-recipient placeholders: the contract between whoever renders a mail and the sender.

Content is rendered once, never per recipient (the newsletters' renderer, the events' notices);
what differs per recipient stays in both the HTML and the text as these placeholders, and every
delivery backend fills them for each recipient (`hub.mail.message.substitutions`). They live
here, with the sender, so that mail depends on no renderer: renderers import them from mail.

- ``[[first_name]]``: the recipient's first name *with a leading space* (" Marie"), or "" when
  unknown, so that "Bonjour[[first_name]]," reads "Bonjour Marie," or "Bonjour,". In the HTML
  part the sender HTML-escapes the name it substitutes (the text part takes it as is).
- ``[[unsubscribe_url]]`` and ``[[preferences_url]]``: that recipient's own absolute links.
"""

from __future__ import annotations

from typing import Final, Literal

PlaceholderName = Literal["first_name", "unsubscribe_url", "preferences_url"]

PLACEHOLDERS: Final[dict[PlaceholderName, str]] = {
    "first_name": "[[first_name]]",
    "unsubscribe_url": "[[unsubscribe_url]]",
    "preferences_url": "[[preferences_url]]",
}
