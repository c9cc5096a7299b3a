"""Configuration: the shipped defaults load, and every user mistake is one clear message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hub.config import DEFAULT_CONFIG, PROJECT_ROOT, ConfigError, load_config


def test_shipped_defaults_work_without_any_account() -> None:
    config = load_config(DEFAULT_CONFIG, env={})
    assert config.data_dir == PROJECT_ROOT / "var"
    assert config.mail.backend == "outbox"
    assert set(config.editions) == {"bimestrielle", "flash", "condense", "essentiel"}
    (source,) = config.feeds.sources
    assert Path(source.url).is_file(), "the sample feed ships with the project"
    assert config.tz.key == "Europe/Paris"


def test_environment_overrides(tmp_path: Path) -> None:
    env = {
        "HUB_CONFIG": str(DEFAULT_CONFIG),
        "HUB_DATA_DIR": str(tmp_path / "data"),
        "HUB_MAIL_BACKEND": "smtp",
    }
    config = load_config(env=env)
    assert config.data_dir == tmp_path / "data"
    assert config.database_path == tmp_path / "data" / "hub.sqlite3"
    assert config.mail.backend == "smtp"


def test_a_relative_data_dir_in_the_environment_is_taken_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(DEFAULT_CONFIG, env={"HUB_DATA_DIR": "var/demo"})
    assert config.data_dir == tmp_path / "var" / "demo"


def _write(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "hub.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("port = 8080", "prot = 8080", "[web] : clé inconnue 'prot'"),
        ("port = 8080", 'port = "huit"', "[web].port : attendu un nombre entier, trouvé 'huit'"),
        ('url = "../newsletters/sample/actualites-fcpts.xml"', 'url = ""', "URL du flux manquante"),
        ('name = "fcpts"\n', "", "[feeds].sources[0] : clé 'name' manquante"),
        ('timezone = "Europe/Paris"', 'timezone = "Europe/Pariss"', "fuseau horaire inconnu"),
        ('backend = "outbox"', 'backend = "pigeon"', "mode d'envoi inconnu 'pigeon'"),
        ('colour = "#1d4f91"', 'colour = "bleu"', "[editions.bimestrielle].colour"),
        ('sections = ["une",', 'sections = ["unee",', "rubrique inconnue 'unee'"),
        ("[web]", "[webb]", "table [webb] inconnue"),
        ("max_items = 4", "max_items = true", "attendu un nombre entier, trouvé True"),
        ("[hub]", "[hub", "TOML invalide"),
        ('colour = "#1d4f91"', 'colour = "#zzzzzz"', "attendu une couleur"),
        ("max_items = 4", "max_items = 0", "[sections.une].max_items : attendu au moins 1"),
        ("first_number = 1", "first_number = 0", "first_number : attendu au moins 1"),
        ("timeout_seconds = 20", "timeout_seconds = 0", "timeout_seconds : attendu au moins 1"),
        ("period_months = 2", "period_months = -2", "period_months : attendu au moins 1"),
        ("header_timeout_seconds = 15", "header_timeout_seconds = 0.5", "[web].header_timeout"),
        ("body_timeout_seconds = 30", "body_timeout_seconds = 0", "[web].body_timeout_seconds"),
        (
            "max_connections_per_address = 64",
            "max_connections_per_address = -1",
            "[web].max_connections_per_address : attendu au moins 0, trouvé -1",
        ),
    ],
)
def test_mistakes_are_named(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = _write(tmp_path, old, new)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="introuvable"):
        load_config(tmp_path / "absent.toml", env={})


def test_cli_reports_a_bad_file_without_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, 'timezone = "Europe/Paris"', 'timezone = "Mars/Olympus"')
    result = subprocess.run(
        [sys.executable, "-m", "hub", "--config", str(path), "feed", "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Erreur : {path} : [hub].timezone : fuseau horaire inconnu 'Mars/Olympus' "
        "(attendu un nom IANA comme 'Europe/Paris')"
    ]
