"""A campaign as staff see it, and where its send stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from hub.records import from_row

CampaignStatus = Literal["draft", "scheduled", "sending", "paused", "sent", "cancelled"]

STATUS_LABELS: dict[CampaignStatus, str] = {
    "draft": "brouillon",
    "scheduled": "programmée",
    "sending": "en cours d'envoi",
    "paused": "en pause",
    "sent": "envoyée",
    "cancelled": "annulée",
}


@dataclass(frozen=True)
class Campaign:
    id: int
    edition: str
    issue_number: int
    list: str
    subject: str
    preheader: str
    status: CampaignStatus
    scheduled_at: datetime | None
    provider_batch_id: str | None
    owner: str | None
    lease_until: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Campaign:
        return from_row(cls, row)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def to_json(self) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "edition": self.edition,
            "issue_number": self.issue_number,
            "list": self.list,
            "subject": self.subject,
            "preheader": self.preheader,
            "status": self.status,
            "scheduled_at": when(self.scheduled_at),
            "provider_batch_id": self.provider_batch_id,
            "created_at": when(self.created_at),
            "started_at": when(self.started_at),
            "finished_at": when(self.finished_at),
        }


@dataclass(frozen=True)
class InDoubtBatch:
    seq: int
    recipients: int
    reason: str | None = None  # the lost answer; None: the sending process died during the call


@dataclass(frozen=True)
class Progress:
    """Where a send stands, from the send log."""

    audience: int
    accepted: int
    failed: int
    skipped: int
    pending: int
    submitted: int
    in_doubt: tuple[InDoubtBatch, ...] = ()

    @property
    def done(self) -> int:
        return self.accepted + self.failed + self.skipped

    @property
    def in_doubt_recipients(self) -> int:
        return sum(batch.recipients for batch in self.in_doubt)

    def to_json(self) -> dict[str, Any]:
        return {
            "audience": self.audience,
            "accepted": self.accepted,
            "failed": self.failed,
            "skipped": self.skipped,
            "pending": self.pending,
            "in_doubt": [
                {"batch": batch.seq, "recipients": batch.recipients, "reason": batch.reason}
                for batch in self.in_doubt
            ],
        }
