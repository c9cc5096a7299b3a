"""The bases of the bots' persistent buttons: a class says its custom_id prefix, label and
style, and writes its callback; the base builds the button and rebuilds it from a click.

discord.py routes a click on a `DynamicItem` by its custom_id alone (its template must match
the whole id), so a button posted before a restart still works. Our buttons differ only by
those three attributes and whether the custom_id carries an integer (`hub:accepter:<id>`) or
nothing (`hub:code`): changing a prefix breaks every button already posted with it.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Self

import discord

NEVER = r"(?!)"
"""The bases' own template: matches no custom_id (discord.py wants one per class, and only
the concrete buttons are registered)."""


class HubButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=NEVER):
    """What every persistent button of the hub declares."""

    prefix: ClassVar[str]
    label: ClassVar[str]
    style: ClassVar[discord.ButtonStyle]

    def __init__(self, custom_id: str, *, label: str | None = None, disabled: bool = False) -> None:
        # Discord refuses a label over 80 characters; a longer one names an event's title.
        super().__init__(
            discord.ui.Button(
                label=(self.label if label is None else label)[:80],
                style=self.style,
                custom_id=custom_id,
                disabled=disabled,
            )
        )


class FixedButton(HubButton, template=NEVER):
    """A button whose custom_id is its prefix alone: it acts on whoever clicks it."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(template=re.escape(cls.prefix), **kwargs)

    def __init__(self) -> None:
        super().__init__(self.prefix)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls()


class IdButton(HubButton, template=NEVER):
    """A button whose custom_id is `<prefix>:<id>`: `target_id` is the event, registration,
    question or member it acts on. The label may be made longer (cut at Discord's limit)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        template = rf"{re.escape(cls.prefix)}:(?P<id>[0-9]+)"
        super().__init_subclass__(template=template, **kwargs)

    def __init__(self, target_id: int, *, label: str | None = None, disabled: bool = False) -> None:
        self.target_id = target_id
        super().__init__(f"{self.prefix}:{target_id}", label=label, disabled=disabled)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(int(match["id"]))
