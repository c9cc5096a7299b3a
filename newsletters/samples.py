"""Hand-built issues with realistic French content, for the tests and the benchmarks.

It lives in the package (not under tests/) so that bench/ runs without importing the tests.

`full_issue(config, edition)` fills every section of an edition (the bimonthly one gets 12
articles over five sections, agenda included); `small_issue` is one article, for focused tests.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.config import Config
from newsletters.model import Article, Issue, IssueSection

PARIS = ZoneInfo("Europe/Paris")
SITE = "https://www.fcpts.org"
ISSUE_DATE = date(2026, 11, 4)

_SUMMARIES = (
    "La fédération a présenté ses propositions aux parlementaires et au ministère. "
    "Les **CPTS** y rappellent leur rôle dans l'accès aux soins et la coordination des "
    "parcours, et demandent des moyens pérennes.\n\n"
    "Consultez la [note de synthèse]({link}) et dites-nous ce qu'il en est sur votre "
    "territoire.",
    "Ce qu'il faut retenir :\n\n"
    "- un calendrier resserré, avec une première échéance au *31 janvier* ;\n"
    "- un accompagnement de la fédération pour chaque CPTS qui le demande ;\n"
    "- une foire aux questions mise à jour chaque semaine.\n\n"
    "Le détail est sur [notre site]({link}).",
    "Coordinateurs, présidents, professionnels de terrain : vous avez été nombreux à "
    "répondre à notre enquête. Merci ! Les résultats nourrissent nos échanges avec "
    "l'Assurance maladie et les ARS.",
)

# Per section key: the titles of its articles; summaries rotate through _SUMMARIES.
_TITLES: dict[str, list[str]] = {
    "une": [
        "France Santé : ce qui change pour les CPTS au 1er janvier",
        "Avenant conventionnel : les nouvelles missions enfin financées",
        # Quotes, ampersand and "<": escaped in text, and in the image's alt (title stands in).
        'Assemblée générale : la "Fédé" & ses 450 CPTS (<5 % de refus)',
    ],
    "plaidoyer": [
        "Projet de loi de financement : nos amendements retenus au Sénat",
        "Accès aux soins non programmés : notre contribution à la mission flash",
        "Santé mentale : un plaidoyer commun avec les maisons de santé",
    ],
    "vie_des_cpts": [
        "En Bretagne, une CPTS rurale réinvente la permanence des soins",
        "Dans les Hauts-de-France, les pharmaciens au cœur de la prévention",
    ],
    "ressources": [
        "Guide pratique : rédiger le projet de santé de sa CPTS",
        "Webinaire enregistré : piloter ses indicateurs ACI",
    ],
    "alerte": [
        "Cyberattaque : consignes immédiates pour les systèmes d'information",
        "Grève des transports : maintien des réunions de coordination en ligne",
    ],
    "veille_juridique": [
        "Décret du 12 octobre : statut des coordinateurs de CPTS",
        "Arrêté ACI : ce que dit la nouvelle grille d'indicateurs",
        "Jurisprudence : la responsabilité des associations de professionnels",
    ],
    "veille_politique": [
        "Stratégie nationale de santé : la place faite aux territoires",
        "Rapport de la Cour des comptes sur l'exercice coordonné",
        "Loi Valletoux, deux ans après : premier bilan",
    ],
    "donnees": [
        "RGPD : tenir le registre des traitements d'une CPTS",
        "Messagerie sécurisée : les bonnes pratiques d'échange",
    ],
    "gouvernance": [
        "Modèle de statuts mis à jour après l'assemblée générale",
        "Collèges et représentation : questions fréquentes",
    ],
    "transparence": ["Rapport financier 2025 : l'usage des cotisations en détail"],
}
_EVENTS = [
    (
        "Journées nationales des CPTS",
        "Journées Nationales des CPTS",
        datetime(2026, 12, 9, 9, tzinfo=PARIS),
        datetime(2026, 12, 10, 17, tzinfo=PARIS),
        "Cité des congrès, Nantes",
    ),
    (
        "Réunion flash : les médiateurs en santé",
        "Réunion flash",
        datetime(2027, 1, 14, 12, 30, tzinfo=PARIS),
        datetime(2027, 1, 14, 13, 30, tzinfo=PARIS),
        "En ligne",
    ),
]


def _slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = ("".join(c for c in word if c.isalnum()) for word in ascii_title.lower().split())
    return "-".join(w for w in words if w)


def _articles(key: str, count: int) -> list[Article]:
    articles = []
    for i, title in enumerate(_TITLES[key][:count]):
        slug = _slug(title)
        articles.append(
            Article(
                title=title,
                link=f"{SITE}/actualites/{slug}/",
                summary=_SUMMARIES[i % 3].format(link=f"{SITE}/ressources/{slug}/"),
                image_url=f"{SITE}/wp-content/uploads/2026/10/{slug}.jpg" if i % 2 == 0 else None,
                image_alt=f"Illustration : {title.split(' :')[0]}" if i % 3 == 0 else "",
                published=date(2026, 10, 20 + i),
            )
        )
    return articles


def _events(base_url: str, count: int) -> list[Article]:
    """Agenda entries as composed from the events table: each links to its event's page."""
    return [
        Article(
            title=title,
            link=f"{base_url}/evenements/{_slug(title)}-{start:%Y-%m-%d}",
            summary="Inscription gratuite pour les adhérents, dans la limite des places.",
            event_start=start,
            event_end=end,
            location=location,
            kind=kind,
        )
        for title, kind, start, end, location in itertools.islice(_EVENTS, count)
    ]


def full_issue(config: Config, edition: str, number: int = 12) -> Issue:
    """Every section of the edition filled; the bimonthly edition gets 12 articles."""
    counts = {"une": 3, "plaidoyer": 3, "vie_des_cpts": 2, "ressources": 2, "alerte": 2}
    sections = []
    for key in config.edition(edition).sections:
        section = config.sections[key]
        articles = (
            _events(config.web.base_url.rstrip("/"), 2 if edition == "bimestrielle" else 1)
            if section.agenda
            else _articles(key, counts.get(key, 3))
        )
        sections.append(IssueSection(key, section.title, section.agenda, articles))
    name = config.edition(edition).name
    return Issue(
        edition=edition,
        number=number,
        subject=f"{name} n° {number} : France Santé, avenant et agenda de fin d'année",
        preheader="Ce qui change pour les CPTS, nos amendements au Sénat et les rendez-vous.",
        issue_date=ISSUE_DATE,
        period_start=datetime(2026, 9, 4, tzinfo=PARIS),
        period_end=datetime(2026, 11, 4, 8, tzinfo=PARIS),
        editorial=(
            "Chères adhérentes, chers adhérents,\n\n"
            "Cette fin d'année est **dense** pour les CPTS : France Santé, nouvel avenant, "
            "préparation des [Journées nationales](https://www.fcpts.org/agenda/). "
            "Merci de votre engagement.\n\n"
            "*Le bureau de la fédération*"
        ),
        sections=sections,
    )


def small_issue(edition: str = "bimestrielle", **article: Any) -> Issue:
    """One section, one article; keyword arguments override the article's fields."""
    base = Article(
        title="Un article",
        link=f"{SITE}/actualites/un-article/",
        summary="Un résumé **court**.",
        published=date(2026, 10, 30),
    )
    return Issue(
        edition=edition,
        number=3,
        subject="Le sujet du numéro",
        preheader="Le préheader du numéro",
        issue_date=ISSUE_DATE,
        period_end=datetime(2026, 11, 4, 8, tzinfo=PARIS),
        sections=[IssueSection("une", "À la une", articles=[replace(base, **article)])],
    )
