"""Questions to the staff: `/question` → a private thread in #questions with the member and
the staff role, a notice in #staff, the staff's buttons, and the one recall in #staff of a
question nobody took within 48 hours (issue 12 §4).

Discord adds nobody to a private thread for a role a *bot* mentions (a person's client does
that, a bot's message does not), so the bot adds the member and each member of the staff role
itself (`PUT /channels/{thread}/thread-members/{user}`, the staff listed through REST: the
members are not cached). The first message still mentions the staff role and the member: those
are the only pings (`allowed_mentions` names them): an `@everyone` typed in a question pings
nobody.
The text stays in Discord: the hub keeps ids, category, status and dates (`hub.community.
questions`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bots.cogs.news import EDITION_COLOUR, NO_MENTIONS, channel_of, cut
from bots.modals import open_modal
from bots.questions_ui import (
    THREAD_NAME_MAX,
    QuestionModal,
    ResolveButton,
    TakeButton,
    category_label,
    question_view,
    questions_of,
    staff_role,
)
from bots.services import BotServices
from hub.errors import UserError

if TYPE_CHECKING:
    from bots.runtime import HubBot

log = logging.getLogger("bots.questions")

RECALL_POLL_SECONDS = 300.0
MAX_STAFF_ADDED = 25  # the federation's staff is six people: a role given to many is a mistake


class ChannelMissing(UserError):
    def __init__(self) -> None:
        super().__init__("le salon des questions est introuvable ; prévenez l'équipe")


async def setup(bot: HubBot, services: BotServices) -> None:
    bot.add_dynamic_items(TakeButton, ResolveButton)
    bot.modal_routes.append(QuestionModal)

    @app_commands.command(name="question", description="Poser une question à l'équipe")
    @app_commands.guild_only()
    async def question(interaction: discord.Interaction[Any]) -> None:
        await open_modal(interaction, QuestionModal())

    bot.tree.add_command(question, guild=bot.guild_ref)
    bot.on_ready_hooks.append(functools.partial(_start_recalls, bot))


async def open_thread(
    bot: HubBot,
    user: discord.User | discord.Member,
    category: str,
    subject: str,
    text: str,
) -> discord.Thread:
    """Record the question, open its private thread, post it there and notify #staff."""
    service = questions_of(bot)
    channel = channel_of(bot, "questions")
    if channel is None:  # before recording: no question left open without its thread
        raise ChannelMissing()
    person = await bot.services.identification.person_of(user.id, server=bot.server.key)
    asked = await service.ask(bot.server.key, user.id, category, person.id if person else None)
    label = category_label(category)
    try:
        thread = await channel.create_thread(
            name=cut(f"{label} · {subject.strip()}", THREAD_NAME_MAX),
            type=discord.ChannelType.private_thread,
            invitable=False,
            auto_archive_duration=10080,
            reason=f"question {asked.id}",
        )
    except discord.HTTPException:
        await service.withdraw(asked.id)
        raise
    await service.thread_opened(asked.id, thread.id, None)  # from now on, it can be recalled
    await thread.add_user(discord.Object(user.id))
    role = staff_role(bot)
    for staff_id in await staff_ids(bot, role, asker=user.id):
        await thread.add_user(discord.Object(staff_id))
    mentions = f"{role.mention} · " if role is not None else ""
    await thread.send(
        f"{mentions}question de {user.mention} ({label})",
        embed=discord.Embed(title=cut(subject, 256), description=text, colour=EDITION_COLOUR),
        view=question_view(asked.id),
        allowed_mentions=discord.AllowedMentions(
            everyone=False, users=[user], roles=[role] if role is not None else False
        ),
    )
    notice = None
    staff = channel_of(bot, "staff")
    if staff is not None:
        notice = await staff.send(
            f"Nouvelle question ({label}) de {user.mention} : {thread.jump_url}",
            allowed_mentions=NO_MENTIONS,
        )
    await service.thread_opened(asked.id, thread.id, notice.id if notice else None)
    log.info("discord question opened", extra={"server": bot.server.key, "question": asked.id})
    return thread


async def staff_ids(bot: HubBot, role: discord.Role | None, *, asker: int) -> list[int]:
    """The ids of the staff role's members (not the bot, not the asker), from Discord."""
    guild, me = bot.guild, bot.user.id if bot.user else None
    if guild is None or role is None:
        return []
    found = [
        member.id
        async for member in guild.fetch_members(limit=None)
        if member.get_role(role.id) is not None and member.id not in (me, asker)
    ]
    if len(found) > MAX_STAFF_ADDED:
        log.warning(
            "discord staff role too large: only the first members added to the thread",
            extra={"server": bot.server.key, "staff": len(found)},
        )
    return found[:MAX_STAFF_ADDED]


async def _start_recalls(bot: HubBot) -> None:
    async def loop() -> None:
        while True:
            try:
                await recall_unanswered(bot)
            except Exception:  # logged; the next turn tries again
                log.exception("discord question recall failed", extra={"server": bot.server.key})
            await asyncio.sleep(RECALL_POLL_SECONDS)

    bot.start_background("questions-recall", loop)


async def recall_unanswered(bot: HubBot) -> int:
    """Recall once in #staff each question nobody took within 48 hours; how many."""
    service = questions_of(bot)
    due = await service.due_recalls(bot.server.key)
    staff = channel_of(bot, "staff") if due else None
    if staff is None or bot.guild is None:
        return 0
    count = 0
    for question in due:
        if not await service.recalled(question.id):
            continue
        link = f"https://discord.com/channels/{bot.guild.id}/{question.thread_id}"
        await staff.send(
            f"Rappel : une question ({category_label(question.category)}) attend une réponse "
            f"depuis plus de 48 heures : {link}",
            allowed_mentions=NO_MENTIONS,
        )
        count += 1
    return count
