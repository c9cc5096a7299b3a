"""The `[discord.<key>]` tables: typed, validated with French errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import ConfigError, load_config


def test_the_shipped_servers_are_configured_and_off(config_path: Path) -> None:
    config = load_config(config_path, env={})
    assert sorted(config.discord) == ["elus", "salaries"]
    salaries = config.discord["salaries"]
    assert (salaries.key, salaries.token_env, salaries.enabled) == (
        "salaries",
        "DISCORD_TOKEN_SALARIES",
        False,
    )
    assert salaries.channel("accueil") == "accueil"
    assert salaries.role("adherent") == "adhérent"
    assert config.discord["elus"].audiences == ["public", "members", "elus", "salaries+elus"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'accueil = "accueil"\nagenda',
            'acceuil = "accueil"\nagenda',
            "[discord.salaries].channels : clé inconnue 'acceuil'",
        ),
        (
            'staff = "staff"                    # private',
            "# staff removed",
            "[discord.salaries].channels.staff : salon manquant",
        ),
        ('"salaries+elus", "coordinateurs"]', '"tous"]', "public inconnu 'tous'"),
        ('token_env = "DISCORD_TOKEN_SALARIES"', 'token_env = "abc.def"', ".token_env : attendu"),
        ("guild_id = 0                       #", "guild_id = -3 #", ".guild_id : attendu"),
        ("guild_id = 0                       #", 'guild_id = "12" #', "guild_id : attendu un"),
    ],
)
def test_a_mistake_in_a_server_is_refused_naming_its_key(
    config_path: Path, old: str, new: str, message: str
) -> None:
    text = config_path.read_text(encoding="utf-8")
    assert old in text
    config_path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(config_path, env={})
    assert message in str(refused.value)
