"""Modals that survive a restart and any number of members typing at once.

discord.py keeps one modal instance per custom_id, in memory: after a restart a modal opened
before it is submitted to nobody (the member waits, then Discord says it failed), and two
members with the same modal open (« Identification », an event's questions, /question,
/annonce) share one instance — the second submission finds it gone, or reads the first one's
values. So the hub's modals are routed like `DynamicItem` buttons: each class has a
`template` for its custom_id, `open_modal` sends it without leaving an instance in
discord.py's store, and `route_modal` builds a fresh instance from the custom_id at each
submission, with the values typed.

And every interaction gets an answer: one that nothing acknowledged within `WATCH_SECONDS`
(a modal or a button of a former version, a handler that failed before answering) is told, in
French, to start again, before Discord's 3 seconds are up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import discord

log = logging.getLogger("bots")

WATCH_SECONDS = 2.5  # Discord waits 3 s for an acknowledgement
EXPIRED = "Cette fenêtre a expiré : recommencez, s'il vous plaît."
SORRY = "Désolé, une erreur est survenue de notre côté. Réessayez dans un instant."


async def apologise(interaction: discord.Interaction[Any]) -> None:
    """Tell the member something went wrong on our side, whether or not we acknowledged."""
    with contextlib.suppress(discord.HTTPException):
        if interaction.response.is_done():
            await interaction.followup.send(SORRY, ephemeral=True)
        else:
            await interaction.response.send_message(SORRY, ephemeral=True)


class RoutedModal(discord.ui.Modal):
    """A modal rebuilt from its custom_id (`template`) at each submission."""

    failure: ClassVar[str] = "discord form failed"  # the log event when `on_submit` raises

    async def on_error(  # type: ignore[override]  # discord.py: Modal narrows BaseView
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        """The details to the log, an apology to the member (never silence)."""
        log.error(self.failure, exc_info=error)
        await apologise(interaction)

    template: ClassVar[re.Pattern[str]]
    # Set by the router from the submission, by input custom_id: the text typed (or a select's
    # first value), and each select's chosen values.
    typed: Mapping[str, str] = {}
    chosen: Mapping[str, list[str]] = {}

    @classmethod
    def rebuild(cls, match: re.Match[str]) -> Self:
        """The instance that answers a submission whose custom_id matched `template`."""
        raise NotImplementedError

    def value(self, key: str) -> str:
        """The text typed in input `key`, or the first value chosen in select `key`."""
        return self.typed.get(key, "")

    def choices(self, key: str) -> list[str]:
        """The values chosen in select `key` (none if it is not a select)."""
        return list(self.chosen.get(key, []))


def _inputs(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The inputs of a MODAL_SUBMIT: in action rows (`components`) or labels (one
    `component`); a text display holds none."""
    found: list[Mapping[str, Any]] = []
    for top in data.get("components", []):
        inner = top.get("components") or [top.get("component") or {}]
        found.extend(component for component in inner if "custom_id" in component)
    return found


def submitted_values(data: Mapping[str, Any]) -> dict[str, str]:
    """The text typed in each text input of a MODAL_SUBMIT (`value`), and the first value chosen
    in each select (`values`, "" when none was chosen)."""
    values: dict[str, str] = {}
    for component in _inputs(data):
        if isinstance(component.get("value"), str):
            values[component["custom_id"]] = component["value"]
        elif isinstance(component.get("values"), list):
            chosen = component["values"]
            values[component["custom_id"]] = str(chosen[0]) if chosen else ""
    return values


def submitted_choices(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """The values chosen in each select of a MODAL_SUBMIT (a select inside a label sends
    `{"type": 3, "custom_id": …, "values": [...]}`)."""
    return {
        component["custom_id"]: [str(value) for value in component["values"]]
        for component in _inputs(data)
        if isinstance(component.get("values"), list)
    }


async def open_modal(interaction: discord.Interaction[Any], modal: RoutedModal) -> None:
    """Show `modal`; its submission comes back through `route_modal`, never discord.py's store."""
    await interaction.response.send_modal(modal)
    modal.stop()


async def route_modal(
    interaction: discord.Interaction[Any], routes: list[type[RoutedModal]]
) -> bool:
    """Answer a modal submission with a fresh instance of the class whose template matches its
    custom_id; False if none does (another part of the bot, or nobody, answers it)."""
    data: Mapping[str, Any] = interaction.data or {}
    custom_id = _custom_id(interaction)
    for cls in routes:
        match = cls.template.fullmatch(custom_id)
        if match is None:
            continue
        modal = cls.rebuild(match)
        modal.typed, modal.chosen = submitted_values(data), submitted_choices(data)
        try:
            await modal.on_submit(interaction)
        except Exception as error:  # the member gets an apology, the log the details
            await modal.on_error(interaction, error)
        return True
    return False


def _custom_id(interaction: discord.Interaction[Any]) -> str:
    data: Mapping[str, Any] = interaction.data or {}
    return str(data.get("custom_id", ""))


async def answer_if_forgotten(interaction: discord.Interaction[Any]) -> None:
    """After `WATCH_SECONDS`, an interaction nobody acknowledged is answered (see above)."""
    if interaction.type is discord.InteractionType.autocomplete:
        return  # no message can answer autocomplete; Discord shows no choices
    await asyncio.sleep(WATCH_SECONDS)
    if interaction.response.is_done():
        return
    expired = interaction.type in (
        discord.InteractionType.modal_submit,
        discord.InteractionType.component,
    )
    log.info(
        "discord interaction nobody answered: told to start again",
        extra={"custom_id": _custom_id(interaction)},
    )
    with contextlib.suppress(discord.HTTPException):
        await interaction.response.send_message(EXPIRED if expired else SORRY, ephemeral=True)
