"""Click speaks French: every usage mistake is one `Erreur : …` line with the fix and the
`--help` to read, exit code 2; the help's headings are French."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from hub.cli import cli
from tests.cli.conftest import HubRunner


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="hub")


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Erreur : ")
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("events", "create", "--titl", "x"),
            "Erreur : option inconnue « --titl » ; vouliez-vous dire « --title »",
        ),
        (
            ("evnts", "list"),
            "Erreur : commande inconnue « evnts » ; vouliez-vous dire « events » ? "
            "Voir « hub --help ».",
        ),
        (
            ("events", "registrations", "x", "--format", "pdf"),
            "Erreur : --format : « pdf » n'est pas un choix possible ; choix : csv, xlsx. "
            "Voir « hub events registrations --help ».",
        ),
        (
            ("campaign", "status", "abc"),
            "Erreur : CAMPAIGN_ID : « abc » n'est pas un nombre",
        ),
        (
            ("events", "create", "--title", "x"),
            "Erreur : il manque l'option obligatoire « --kind TEXTE ». "
            "Voir « hub events create --help ».",
        ),
        (
            ("subscribers", "forget"),
            "Erreur : il manque l'argument EMAIL",
        ),
        (
            ("--log-level",),
            "Erreur : l'option --log-level demande une valeur. Voir « hub --help ».",
        ),
        (("events", "show", "a", "b"), "Erreur : argument(s) en trop : b."),
        (
            ("newsletter", "preview", "x", "--port", "70000"),
            "Erreur : --port : 70000 est hors limites ; "
            "attendu : un nombre entier de 0 à 65\u202f535",
        ),
    ],
)
def test_a_usage_mistake_is_one_french_line(args: tuple[str, ...], expected: str) -> None:
    line = one_error_line(invoke(*args))
    assert line.startswith(expected), line
    assert line.endswith("--help ».")


@pytest.mark.parametrize("digits", ["\u0663", "\uff15", "1_000", "12a"])
def test_an_integer_takes_ascii_digits_only(digits: str) -> None:
    line = one_error_line(invoke("events", "edit", "x", "--capacity", digits))
    assert f"--capacity : « {digits} » n'est pas un nombre" in line
    assert "chiffres 0 à 9" in line


@pytest.mark.parametrize("number", ["9223372036854775808", "9" * 5000])
def test_an_integer_beyond_sqlite_is_refused_in_french(number: str) -> None:
    line = one_error_line(invoke("campaign", "status", number))
    assert (
        "est trop grand ; au plus 9\u202f223\u202f372\u202f036\u202f854\u202f775\u202f807" in line
    )


def test_the_help_is_french_down_to_its_headings() -> None:
    result = invoke("events", "create", "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Utilisation : hub events create [OPTIONS]")
    assert "\nOptions :\n" in result.stdout and "[obligatoire]" in result.stdout
    assert "--title TEXTE" in result.stdout
    root = invoke("--help").stdout
    assert "\nCommandes :\n" in root and "COMMANDE [ARGUMENTS]..." in root
    assert not {"Usage:", "Options:", "Commands:", "[required]"} & set(root.split())


def test_the_real_process_says_one_line_and_exits_2(hub_process: HubRunner) -> None:
    for args in (("campaign", "status", "99999999999999999999999"), ("evnts",)):
        result = hub_process(*args)
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Erreur : ")
        assert "Traceback" not in result.stderr and "Usage" not in result.stderr
