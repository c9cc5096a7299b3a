"""The draft format: a round trip, and every mistake reported with its line."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hub.config import Config
from newsletters.draft import DraftError, read_draft, write_draft
from newsletters.model import Article, Issue, IssueSection

PARIS = ZoneInfo("Europe/Paris")


def sample_issue() -> Issue:
    return Issue(
        edition="bimestrielle",
        number=7,
        subject='La lettre n°7 : "France Santé" et l\'ACI',
        preheader="Sénat · MECSS",
        issue_date=date(2026, 11, 23),
        period_start=datetime(2026, 9, 23, tzinfo=PARIS),
        period_end=datetime(2026, 11, 23, 10, 30, tzinfo=PARIS),
        editorial="Chères adhérentes, chers adhérents,\n\nBonne **lecture**.",
        sections=[
            IssueSection(
                key="une",
                title="À la une",
                articles=[
                    Article(
                        title="France Santé : ce qui change pour les CPTS",
                        link="https://www.fcpts.org/actualites/france-sante/",
                        summary="Premier paragraphe.\n\nSecond paragraphe avec [un lien](https://www.fcpts.org/).",
                        image_url="https://www.fcpts.org/img/fs.jpg",
                        image_alt="Logo France Santé",
                        published=date(2026, 11, 2),
                    ),
                    Article(title="Sans image", link="https://www.fcpts.org/a/", summary=""),
                ],
            ),
            IssueSection(
                key="agenda",
                title="Agenda",
                agenda=True,
                articles=[
                    Article(
                        title="Réunion flash : les médiateurs en santé",
                        link="https://www.fcpts.org/agenda/flash/",
                        summary="En visioconférence.",
                        event_start=datetime(2027, 1, 14, 12, 30, tzinfo=PARIS),
                        event_end=datetime(2027, 1, 14, 13, 30, tzinfo=PARIS),
                        location="En ligne",
                    )
                ],
            ),
        ],
    )


def test_round_trip_gives_the_same_issue(config: Config) -> None:
    issue = sample_issue()
    assert read_draft(write_draft(issue), config) == issue


def test_staff_edits_are_read(config: Config) -> None:
    text = write_draft(sample_issue())
    # Staff cut the second article, reorder sections and rewrite a summary.
    text = text.replace("## Sans image\nlien: https://www.fcpts.org/a/\n", "")
    text = text.replace("Premier paragraphe.", "Résumé réécrit à la main.")
    issue = read_draft(text, config)
    assert [a.title for a in issue.articles] == [
        "France Santé : ce qui change pour les CPTS",
        "Réunion flash : les médiateurs en santé",
    ]
    assert issue.articles[0].summary.startswith("Résumé réécrit à la main.")
    assert issue.sections[1].agenda


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.mark.parametrize(
    ("edit", "fragment", "message"),
    [
        (
            ("lien: https://www.fcpts.org/a/", "lein: https://www.fcpts.org/a/"),
            "lein:",
            "champ inconnu",
        ),
        (("lien: https://www.fcpts.org/a/", "lien: /a/"), "lien: /a/", "adresse complète"),
        (("date: 2026-11-02", "date: 2026-13-02"), "date: 2026-13", "AAAA-MM-JJ"),
        (("début: 2027-01-14 12:30", "début: 14/01/2027"), "début:", "AAAA-MM-JJ HH:MM"),
        (("fin: 2027-01-14 13:30", "fin: 2027-01-13 13:30"), "fin: 2027-01-13", "avant"),
        (("number = 7", 'number = "sept"'), 'number = "sept"', "nombre entier"),
        (('edition = "bimestrielle"', 'edition = "mensuelle"'), "mensuelle", "édition inconnue"),
        (("subject = ", "sujet = "), "sujet = ", "champ d'en-tête inconnu"),
        (("date = 2026-11-23", "date = 2026-11-23 oops"), "oops", "TOML invalide"),
    ],
)
def test_mistakes_name_their_line(
    config: Config, edit: tuple[str, str], fragment: str, message: str
) -> None:
    text = write_draft(sample_issue()).replace(*edit)
    with pytest.raises(DraftError) as caught:
        read_draft(text, config, "numero.md")
    assert message in str(caught.value)
    assert caught.value.line == _line_of(text, fragment)
    assert str(caught.value).startswith(f"numero.md, ligne {caught.value.line} :")


def test_article_outside_any_section_is_refused(config: Config) -> None:
    text = write_draft(sample_issue()).replace(
        "Bonne **lecture**.", "Bonne lecture.\n\n## Perdu\nlien: https://x.org/"
    )
    with pytest.raises(DraftError, match="hors rubrique"):
        read_draft(text, config)


def test_agenda_entry_needs_a_start(config: Config) -> None:
    text = write_draft(sample_issue()).replace("début: 2027-01-14 12:30\n", "")
    with pytest.raises(DraftError, match="pas de « début: »"):
        read_draft(text, config)


def test_missing_link_and_empty_draft(config: Config) -> None:
    text = write_draft(sample_issue()).replace("lien: https://www.fcpts.org/a/\n", "")
    with pytest.raises(DraftError, match="n'a pas de « lien: »"):
        read_draft(text, config)
    head = write_draft(sample_issue()).split("\n# Éditorial\n")[0]
    with pytest.raises(DraftError, match="aucun article"):
        read_draft(head, config)


def test_unclosed_front_matter(config: Config) -> None:
    with pytest.raises(DraftError, match="pas fermé"):
        read_draft("+++\nedition = 'flash'\n", config)
    with pytest.raises(DraftError, match="commencer par"):
        read_draft("# Titre\n", config)


def test_html_comments_are_ignored(config: Config) -> None:
    text = write_draft(sample_issue()).replace(
        "Premier paragraphe.", "Premier paragraphe.\n<!-- note interne :\nà relire -->"
    )
    issue = read_draft(text, config)
    assert "note interne" not in issue.articles[0].summary


CONTROLS = "\x00\x1b[31m\x7f\u0085\u2028\r\n\x0b"


def test_control_characters_from_a_feed_never_reach_the_draft(config: Config) -> None:
    issue = sample_issue()
    issue.subject = f"Alerte{CONTROLS}rouge"
    issue.preheader = f"Pré{CONTROLS}en-tête"
    article = issue.sections[0].articles[0]
    article.title = f"Titre{CONTROLS}piégé"
    article.summary = f"Ligne 1{CONTROLS}ligne 2"
    text = write_draft(issue)
    head = text.split("+++")[1]
    assert tomllib.loads(head)["subject"] == "Alerte[31m rouge"
    raw = text.encode()
    for forbidden in ("\x00", "\x1b", "\x7f", "\u0085", "\u2028", "\r", "\x0b"):
        assert forbidden.encode() not in raw, repr(forbidden)
    read = read_draft(text, config)
    assert read.subject == "Alerte[31m rouge"
    assert read.articles[0].title == "Titre[31m piégé"
    summary = read.articles[0].summary
    assert summary.startswith("Ligne 1[31m\n") and summary.endswith("\nligne 2")
    assert "\x1b" not in summary and "\x00" not in summary
    assert write_draft(read) == text  # the cleaned draft round-trips


def test_a_number_beyond_sqlite_is_refused_with_its_line(config: Config) -> None:
    text = write_draft(sample_issue()).replace("number = 7", "number = 9223372036854775808")
    with pytest.raises(DraftError, match="« number » est trop grand") as caught:
        read_draft(text, config, "numero.md")
    assert caught.value.line == _line_of(text, "number = ")
