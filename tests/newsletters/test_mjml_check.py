"""Our MJML check: every mistake named with its line, valid documents left alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hub.config import TEMPLATES_DIR, Config
from newsletters.mjml_check import check_mjml
from newsletters.render import render_issue
from newsletters.templating import RenderError
from tests.newsletters.factories import full_issue


def doc(body: str, head: str = "") -> str:
    """A document whose `body` starts on line 4 (and `head` on line 2)."""
    return f'<mjml lang="fr">\n<mj-head>{head}</mj-head>\n<mj-body>\n{body}\n</mj-body>\n</mjml>\n'


def messages(source: str) -> list[str]:
    return [str(p) for p in check_mjml(source)]


VALID = """<mj-section mj-class="x" css-class="y">
  <mj-column width="50%">
    <mj-text color="#1f2937">Du <b>HTML</b><br>libre <img src="https://a.fr/i" alt="i"></mj-text>
    <mj-button href="https://a.fr/">Lire</mj-button>
    <mj-image src="https://a.fr/i.png" alt="Image" />
    <mj-raw><!--[if mso]><table><tr><td><![endif]--></mj-raw>
  </mj-column>
</mj-section>"""


def test_valid_document_has_no_problem() -> None:
    head = (
        "<mj-title>T</mj-title><mj-preview>P</mj-preview><mj-attributes>"
        '<mj-all font-family="Arial" /><mj-class name="x" color="red" />'
        '<mj-text padding="0" /></mj-attributes><mj-style>a > b { color: red; }</mj-style>'
    )
    assert messages(doc(VALID, head)) == []


def test_typo_in_tag_is_named_with_its_line() -> None:
    body = '<mj-section>\n<mj-column>\n<mj-buton href="https://a.fr/">Lire</mj-buton>\n'
    body += "</mj-column>\n</mj-section>"
    assert messages(doc(body)) == [
        "ligne 6 : balise inconnue <mj-buton> (voulez-vous dire <mj-button> ?)"
    ]


def test_attribute_not_allowed_on_the_tag() -> None:
    body = '<mj-section>\n<mj-column>\n<mj-text colour="#fff">x</mj-text>\n'
    body += "</mj-column>\n</mj-section>"
    assert messages(doc(body)) == [
        "ligne 6 : attribut « colour » non permis sur <mj-text> (voulez-vous dire « color » ?)"
    ]


def test_attribute_of_another_component() -> None:
    body = '<mj-section>\n<mj-column href="https://a.fr/"></mj-column>\n</mj-section>'
    assert messages(doc(body)) == ["ligne 5 : attribut « href » non permis sur <mj-column>"]


def test_misplaced_tag_names_its_possible_parents() -> None:
    body = "<mj-column>\n<mj-text>x</mj-text>\n</mj-column>"
    assert messages(doc(body)) == [
        "ligne 4 : <mj-column> ne peut pas être placée dans <mj-body> ; "
        "parents possibles : <mj-group>, <mj-section>"
    ]


def test_html_outside_content_tags() -> None:
    body = "<mj-section><mj-column>\n<div>x</div>\n</mj-column></mj-section>"
    assert messages(doc(body)) == [
        "ligne 5 : balise HTML <div> hors d'un contenu : mettez-la dans <mj-text>"
    ]


def test_stray_text_in_a_column() -> None:
    body = "<mj-section><mj-column>\nBonjour\n</mj-column></mj-section>"
    assert messages(doc(body)) == [
        "ligne 4 : texte « Bonjour » directement dans <mj-column> : mettez-le dans <mj-text>"
    ]


def test_unbalanced_html_inside_mj_text() -> None:
    body = "<mj-section><mj-column>\n<mj-text><div>\n<p>x</div>\n</mj-text>\n"
    body += "<mj-text>y</p></mj-text>\n</mj-column></mj-section>"
    assert messages(doc(body)) == [
        "ligne 6 : dans <mj-text> : <p> ouverte ligne 6 non fermée avant </div>",
        "ligne 8 : dans <mj-text> : </p> sans <p> ouvrante",
    ]


def test_unclosed_html_at_end_of_mj_text() -> None:
    body = "<mj-section><mj-column>\n<mj-text><a href='https://a.fr/'>x\n</mj-text>\n"
    body += "</mj-column></mj-section>"
    assert messages(doc(body)) == [
        "ligne 6 : dans <mj-text> : <a> ouverte ligne 5 non fermée avant </mj-text>"
    ]


def test_mjml_tag_inside_html_content() -> None:
    body = "<mj-section><mj-column>\n<mj-text>x\n<mj-button>y</mj-button></mj-text>\n"
    body += "</mj-column></mj-section>"
    assert messages(doc(body))[0] == (
        "ligne 6 : <mj-button> dans le contenu HTML de <mj-text> (balise <mj-text> non fermée ?)"
    )


def test_unclosed_and_mismatched_mjml_tags() -> None:
    assert messages(doc("<mj-section>\n<mj-column>\n</mj-section>")) == [
        "ligne 6 : <mj-column> ouverte ligne 5 non fermée avant </mj-section>"
    ]
    assert messages("<mjml>\n<mj-body>\n<mj-section>\n") == [
        "ligne 3 : <mj-section> jamais fermée",
        "ligne 2 : <mj-body> jamais fermée",
        "ligne 1 : <mjml> jamais fermée",
    ]
    assert messages("<mjml></mjml>") == ["ligne 1 : document sans <mj-body>"]


def test_defaults_in_mj_attributes_are_checked() -> None:
    head = '\n<mj-attributes><mj-txt padding="0" /><mj-image colour="red" /><mj-class />'
    head += "</mj-attributes>"
    assert messages(doc("", head)) == [
        "ligne 3 : balise inconnue <mj-txt> dans <mj-attributes> (voulez-vous dire <mj-text> ?)",
        "ligne 3 : attribut « colour » non permis sur <mj-image>",
        "ligne 3 : <mj-class> sans attribut name",
    ]


@pytest.mark.parametrize(
    ("body", "head", "expected"),
    [
        (
            "<mj-section><mj-column><mj-navbar></mj-navbar></mj-column></mj-section>",
            "",
            "<mj-navbar> à éviter",
        ),
        (
            '<mj-section><mj-column><mj-divider align="left" /></mj-column></mj-section>',
            "",
            "attribut « align » de <mj-divider> à éviter : mjml-python ignore cet attribut",
        ),
        ("", '<mj-font name="Lato" href="https://a.fr/lato.css" />', "fait planter mjml-python"),
    ],
)
def test_what_mjml_python_gets_wrong_is_refused(body: str, head: str, expected: str) -> None:
    (problem,) = messages(doc(body, head))
    assert expected in problem


def test_a_template_typo_stops_the_rendering(config: Config, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, templates)
    article = templates / "mjml" / "_article.mjml.j2"
    article.write_text(
        article.read_text(encoding="utf-8").replace("<mj-text padding-top", "<mj-txt padding-top"),
        encoding="utf-8",
    )
    with pytest.raises(RenderError) as error:
        render_issue(full_issue(config, "flash"), config, templates_dir=templates)
    message = str(error.value)
    assert message.startswith("Le gabarit a produit du MJML invalide :\n- ligne ")
    assert "balise inconnue <mj-txt> (voulez-vous dire <mj-text> ?)" in message
