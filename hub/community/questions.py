"""Questions to the staff (issue 12 §4): the rules, without Discord.

A member asks in Discord; the text stays there (a private thread with the member and the
staff). The hub keeps what the staff need to follow up and what the federation learns from:
the ids, the category, the status (open → taken → resolved), who took it and the dates. A member
opens at most `PER_HOUR` questions in any sixty minutes (counted on the questions themselves, in
the transaction that records one: a clock-hour counter would let six through around hh:00); a
question nobody took within `RECALL_AFTER` is
recalled once in #staff. The statistics count questions per category over a period: what
members ask about is what the staff should write about.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from aiosqlite import Row

from hub.db import Database
from hub.errors import UserError
from hub.timeutil import from_utc_text, to_utc_text

PER_HOUR = 3
PERIOD = timedelta(hours=1)
RECALL_AFTER = timedelta(hours=48)
CATEGORIES: dict[str, str] = {
    "juridique": "Juridique",
    "evenements": "Événements",
    "adhesion": "Adhésion",
    "outils": "Outils et numérique",
    "autre": "Autre",
}
Status = Literal["open", "taken", "resolved"]
STATUS_LABELS: dict[str, str] = {
    "open": "ouverte",
    "taken": "prise en charge",
    "resolved": "résolue",
}


class TooManyQuestions(UserError):
    def __init__(self) -> None:
        super().__init__(
            f"vous avez déjà posé {PER_HOUR} questions cette heure-ci : réessayez dans une "
            "heure (l'équipe traite les précédentes)"
        )


class UnknownCategory(UserError):
    def __init__(self, category: str) -> None:
        self.category = category
        super().__init__(f"catégorie inconnue « {category} » ; possibles : {', '.join(CATEGORIES)}")


class QuestionNotFound(UserError):
    def __init__(self, question_id: int) -> None:
        self.question_id = question_id
        super().__init__(f"question {question_id} introuvable")


@dataclass(frozen=True)
class Question:
    id: int
    server: str
    discord_user_id: int
    subscriber_id: int | None
    category: str
    status: Status
    thread_id: int | None
    taken_by: int | None
    created_at: datetime
    taken_at: datetime | None
    resolved_at: datetime | None
    recalled_at: datetime | None

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)


def _question(row: Row) -> Question:
    created = from_utc_text(row["created_at"])
    assert created is not None  # NOT NULL
    return Question(
        id=row["id"],
        server=row["server"],
        discord_user_id=row["discord_user_id"],
        subscriber_id=row["subscriber_id"],
        category=row["category"],
        status=row["status"],
        thread_id=row["thread_id"],
        taken_by=row["taken_by"],
        created_at=created,
        taken_at=from_utc_text(row["taken_at"]),
        resolved_at=from_utc_text(row["resolved_at"]),
        recalled_at=from_utc_text(row["recalled_at"]),
    )


def _now() -> datetime:
    return datetime.now(UTC)


class Questions:
    """The questions of every server; built once per process (`HubServices`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def ask(
        self, server: str, discord_user_id: int, category: str, subscriber_id: int | None
    ) -> Question:
        """Record a new question (before its thread exists); refused past the hourly limit."""
        if category not in CATEGORIES:
            raise UnknownCategory(category)
        now = _now()
        async with self.db.transaction():
            recent = await self.db.fetch_one(
                "discord_question_recent",
                {"discord_user_id": discord_user_id, "since": to_utc_text(now - PERIOD)},
            )
            if recent is not None and recent["opened"] >= PER_HOUR:
                raise TooManyQuestions()
            question_id = await self.db.execute(
                "discord_question_insert",
                {
                    "server": server,
                    "discord_user_id": discord_user_id,
                    "subscriber_id": subscriber_id,
                    "category": category,
                    "now": to_utc_text(now),
                },
            )
        return await self.get(question_id)

    async def get(self, question_id: int) -> Question:
        row = await self.db.fetch_one("discord_question_get", {"id": question_id})
        if row is None:
            raise QuestionNotFound(question_id)
        return _question(row)

    async def withdraw(self, question_id: int) -> None:
        """Forget a question whose thread could not be opened (it would stay open forever and
        count in the member's limit)."""
        await self.db.execute("discord_question_withdraw", {"id": question_id})

    async def thread_opened(self, question_id: int, thread_id: int, notice_id: int | None) -> None:
        await self.db.execute(
            "discord_question_thread",
            {"id": question_id, "thread_id": thread_id, "notice_message_id": notice_id},
        )

    async def take(self, question_id: int, staff_id: int) -> Question:
        await self.db.execute(
            "discord_question_take",
            {"id": question_id, "staff": staff_id, "now": to_utc_text(_now())},
        )
        return await self.get(question_id)

    async def resolve(self, question_id: int, staff_id: int) -> Question:
        await self.db.execute(
            "discord_question_resolve",
            {"id": question_id, "staff": staff_id, "now": to_utc_text(_now())},
        )
        return await self.get(question_id)

    async def due_recalls(self, server: str) -> list[Question]:
        """Questions nobody took for `RECALL_AFTER`, not yet recalled."""
        rows = await self.db.fetch_all(
            "discord_question_due_recalls",
            {"server": server, "before": to_utc_text(_now() - RECALL_AFTER)},
        )
        return [_question(row) for row in rows]

    async def recalled(self, question_id: int) -> bool:
        """Mark the one recall (before it is posted: recalled once, at worst not at all)."""
        async with self.db.transaction():
            before = await self.get(question_id)
            if before.recalled_at is not None:
                return False
            await self.db.execute(
                "discord_question_recalled", {"id": question_id, "now": to_utc_text(_now())}
            )
        return True

    async def listed(
        self, *, open_only: bool = False, since: datetime | None = None
    ) -> list[Question]:
        rows = await self.db.fetch_all(
            "discord_questions_list",
            {
                "open_only": int(open_only),
                "since": to_utc_text(since) if since else "",
            },
        )
        return [_question(row) for row in rows]

    async def counts(self, since: datetime | None = None) -> dict[str, int]:
        """Questions per category since `since` (every category, zeros included)."""
        counted = Counter(q.category for q in await self.listed(since=since))
        return {key: counted.get(key, 0) for key in CATEGORIES}

    async def of_person(self, subscriber_id: int) -> list[Question]:
        rows = await self.db.fetch_all("discord_questions_of_person", {"id": subscriber_id})
        return [_question(row) for row in rows]


def age(question: Question, now: datetime | None = None) -> timedelta:
    return (now or _now()) - question.created_at
