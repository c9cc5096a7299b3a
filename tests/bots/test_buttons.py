"""The persistent buttons as Discord receives them: label, style and custom_id must not move,
since posts made before a release keep their buttons, and a click on one must still be rebuilt
by the same class from its custom_id alone."""

from __future__ import annotations

import json
from typing import Any, cast

import discord
import pytest

from bots.agenda_ui import (
    AcceptOfferButton,
    RegisterButton,
    StopRemindersButton,
    UnregisterButton,
)
from bots.identity_ui import EnterCodeButton, IdentifyButton, ValidateButton
from bots.questions_ui import ResolveButton, TakeButton

DYNAMIC: list[type[discord.ui.DynamicItem[Any]]] = [
    RegisterButton,
    UnregisterButton,
    AcceptOfferButton,
    StopRemindersButton,
    IdentifyButton,
    EnterCodeButton,
    ValidateButton,
    TakeButton,
    ResolveButton,
]

# What the bots have posted so far, byte for byte (JSON with sorted keys, as sent).
POSTED = {
    "hub:inscrire:7": '{"custom_id": "hub:inscrire:7", "disabled": false, '
    '"label": "S\'inscrire", "style": 3, "type": 2}',
    "hub:inscrire:7:q": '{"custom_id": "hub:inscrire:7:q", "disabled": false, '
    '"label": "S\'inscrire", "style": 3, "type": 2}',
    "hub:desinscrire:7": '{"custom_id": "hub:desinscrire:7", "disabled": false, '
    '"label": "Se désinscrire", "style": 2, "type": 2}',
    "hub:accepter:12": '{"custom_id": "hub:accepter:12", "disabled": false, '
    '"label": "Accepter la place", "style": 3, "type": 2}',
    "hub:rappels-off": '{"custom_id": "hub:rappels-off", "disabled": false, '
    '"label": "Ne plus recevoir les rappels sur Discord", "style": 2, "type": 2}',
    "hub:identifier": '{"custom_id": "hub:identifier", "disabled": false, '
    '"label": "Je m\'identifie", "style": 1, "type": 2}',
    "hub:code": '{"custom_id": "hub:code", "disabled": false, '
    '"label": "Saisir le code", "style": 3, "type": 2}',
    "hub:valider:123456789012345678": '{"custom_id": "hub:valider:123456789012345678", '
    '"disabled": false, "label": "Valider comme adhérent", "style": 3, "type": 2}',
    "hub:question:prise:5": '{"custom_id": "hub:question:prise:5", "disabled": false, '
    '"label": "Pris en charge", "style": 1, "type": 2}',
    "hub:question:resolue:5": '{"custom_id": "hub:question:resolue:5", "disabled": false, '
    '"label": "Résolu", "style": 3, "type": 2}',
}


def wire(item: discord.ui.Item[Any]) -> str:
    return json.dumps(item.to_component_dict(), sort_keys=True, ensure_ascii=False)


def test_each_button_is_posted_as_before() -> None:
    built = [
        RegisterButton(7),
        RegisterButton(7, True),
        UnregisterButton(7),
        AcceptOfferButton(12),
        StopRemindersButton(),
        IdentifyButton(),
        EnterCodeButton(),
        ValidateButton(123456789012345678),
        TakeButton(5),
        ResolveButton(5),
    ]
    assert [wire(button) for button in built] == list(POSTED.values())


def test_the_agenda_buttons_take_a_longer_label_and_can_be_disabled() -> None:
    register = RegisterButton(7, label="S'inscrire : " + "x" * 100, disabled=True)
    unregister = UnregisterButton(7, label="Se désinscrire : Rencontre", disabled=True)
    assert wire(register) == (
        '{"custom_id": "hub:inscrire:7", "disabled": true, '
        f'"label": "S\'inscrire : {"x" * 67}", "style": 3, "type": 2}}'
    )
    assert wire(unregister) == (
        '{"custom_id": "hub:desinscrire:7", "disabled": true, '
        '"label": "Se désinscrire : Rencontre", "style": 2, "type": 2}'
    )


@pytest.mark.parametrize("custom_id", list(POSTED))
async def test_a_button_posted_before_is_rebuilt_from_its_custom_id(custom_id: str) -> None:
    """discord.py routes a click to the one class whose template matches the whole custom_id
    (`fullmatch`), then rebuilds the button from the match."""
    owners = [cls for cls in DYNAMIC if cls.__discord_ui_compiled_template__.fullmatch(custom_id)]
    assert len(owners) == 1, owners
    match = owners[0].__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match is not None
    base = discord.ui.Button[Any](custom_id=custom_id)
    rebuilt = await owners[0].from_custom_id(cast(Any, None), base, match)
    assert wire(rebuilt) == POSTED[custom_id]


@pytest.mark.parametrize(
    "custom_id",
    ["hub:valider:", "hub:valider:12:saisie", "hub:code:saisie", "hub:question:prise:x"],
)
def test_other_custom_ids_are_not_taken_for_a_button(custom_id: str) -> None:
    assert not [cls for cls in DYNAMIC if cls.__discord_ui_compiled_template__.fullmatch(custom_id)]
