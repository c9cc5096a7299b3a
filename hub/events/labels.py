"""The French words for the codes stored about events: now in `hub.events.wording`, kept
importable from here."""

from __future__ import annotations

from hub.events.wording import EVENT_STATUS_LABELS, MODE_LABELS, REGISTRATION_LABELS

__all__ = ["EVENT_STATUS_LABELS", "MODE_LABELS", "REGISTRATION_LABELS"]
