"""The questions' rules without Discord: categories, the hourly limit, the 48-hour recall once,
counts per category, and the person's access and erasure (through `Privacy`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from hub.community.questions import TooManyQuestions, UnknownCategory
from hub.config import Config
from hub.db import Database
from hub.services import HubServices, Secrets
from hub.subscribers.service import Person


@pytest.fixture
def services(config: Config, db: Database) -> HubServices:
    return HubServices.build(config, db, Secrets())


async def test_an_unknown_category_and_a_fourth_question_in_the_hour_are_refused(
    services: HubServices, time_machine: time_machine.TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2026, 12, 1, 9, 10, tzinfo=UTC), tick=False)  # mid-hour
    questions = services.questions
    with pytest.raises(UnknownCategory, match="catégorie inconnue « politique »"):
        await questions.ask("salaries", 7, "politique", None)
    for _ in range(3):
        await questions.ask("salaries", 7, "autre", None)
    with pytest.raises(TooManyQuestions):
        await questions.ask("salaries", 7, "autre", None)
    await questions.ask("salaries", 8, "autre", None)  # another member is not held back
    assert (await questions.counts())["autre"] == 4


async def test_three_questions_an_hour_means_any_sixty_minutes_not_a_clock_hour(
    services: HubServices, time_machine: time_machine.TimeMachineFixture
) -> None:
    start = datetime(2026, 12, 1, 9, 59, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    questions = services.questions
    for _ in range(3):
        await questions.ask("salaries", 7, "autre", None)
    time_machine.move_to(start + timedelta(minutes=2), tick=False)  # 10:01, a new clock hour
    with pytest.raises(TooManyQuestions):
        await questions.ask("elus", 7, "autre", None)  # the same person in the other server
    time_machine.move_to(start + timedelta(minutes=60, seconds=1), tick=False)
    await questions.ask("salaries", 7, "autre", None)
    assert (await questions.counts())["autre"] == 4


async def test_a_question_nobody_took_is_due_once_after_48_hours(
    services: HubServices, time_machine: time_machine.TimeMachineFixture
) -> None:
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    questions = services.questions
    waiting = await questions.ask("salaries", 7, "juridique", None)
    taken = await questions.ask("salaries", 7, "adhesion", None)
    for question in (waiting, taken):
        await questions.thread_opened(question.id, 100 + question.id, None)
    await questions.take(taken.id, 99)
    time_machine.move_to(start + timedelta(hours=47, minutes=59), tick=False)
    assert await questions.due_recalls("salaries") == []
    time_machine.move_to(start + timedelta(hours=48), tick=False)
    assert [q.id for q in await questions.due_recalls("salaries")] == [waiting.id]
    assert await questions.recalled(waiting.id) is True
    assert await questions.recalled(waiting.id) is False
    assert await questions.due_recalls("salaries") == []


async def test_the_persons_questions_are_shown_and_erased_with_them(
    services: HubServices,
) -> None:
    person = await services.subscribers.save_person(Person("dominique@cpts-exemple.fr"))
    questions = services.questions
    before = await questions.ask("salaries", 7, "juridique", None)  # not identified yet
    await services.identification.link_by_hand(
        7, "dominique@cpts-exemple.fr", server="salaries", staff="test"
    )
    assert (await questions.get(before.id)).subscriber_id == person.id
    await questions.ask("salaries", 7, "outils", person.id)
    await questions.ask("salaries", 8, "autre", None)  # someone else's
    shown = await services.privacy.show("dominique@cpts-exemple.fr")
    assert [(q.category, q.status) for q in shown.discord_questions] == [
        ("juridique", "open"),
        ("outils", "open"),
    ]
    assert shown.as_json() is not None
    await services.privacy.forget("dominique@cpts-exemple.fr", block=False)
    assert [q.discord_user_id for q in await questions.listed()] == [8]
