"""The checks of rendered e-mails: what would break in a mailbox is named, in French."""

from __future__ import annotations

from newsletters.checks import check_html, contrast_ratio


def test_check_html_reports_what_breaks_in_a_mailbox() -> None:
    html = (
        '<img src="https://a.fr/i.png"><img src="https://a.fr/j.png" alt=" ">'
        '<a href="#top">x</a><a href="[[unsubscribe_url]]">y</a><a href="mailto:a@b.fr">z</a>'
        '<a href=\'relative\'>w</a><link rel="stylesheet" href="https://a.fr/s.css">'
    )
    assert check_html(html) == [
        "image sans texte alternatif (alt) : « https://a.fr/i.png »",
        "image sans texte alternatif (alt) : « https://a.fr/j.png »",
        "lien non absolu « #top » : dans un e-mail, un lien doit commencer par https://, "
        "http:// ou mailto:",
        "lien non absolu « relative » : dans un e-mail, un lien doit commencer par https://, "
        "http:// ou mailto:",
        "feuille de style externe « https://a.fr/s.css » : les messageries l'ignorent, "
        "tout style doit être dans le message",
    ]


def test_contrast_ratio_goes_from_1_to_21() -> None:
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert contrast_ratio("#1f2937", "#1f2937") == 1.0
    assert contrast_ratio("#ffffff", "#000000") == contrast_ratio("#000000", "#ffffff")
