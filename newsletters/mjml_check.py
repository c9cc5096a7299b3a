"""Our own MJML validator, run on what Jinja produced before mjml-python sees it.

mjml-python 0.12 does no validation at all: a typo such as <mj-buton> or a misplaced
<mj-column> silently yields broken or missing content. This check applies the rules of the
official MJML 4 validator (tags, attributes per component, allowed parents), taken from the
component definitions of MJML 4.15.3 (`allowedAttributes` and mjml-preset-core's dependencies,
kept as data in mjml_components.json beside this module), and adds the few mjml-python
limitations we measured. Contents of "ending tags" (mj-text, mj-button, mj-raw, mj-table…) are
HTML: they are not validated, only required to be balanced, because an unclosed <div> there
swallows the rest of the layout.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import resources

COMPONENTS_FILE = "mjml_components.json"
TagTable = dict[str, frozenset[str]]


def _load_components() -> tuple[TagTable, TagTable, frozenset[str]]:
    """MJML's component tables, read once at import from the JSON beside this module."""
    data = json.loads(resources.files("newsletters").joinpath(COMPONENTS_FILE).read_text("utf-8"))
    attributes = {tag: frozenset(names) for tag, names in data["attributes"].items()}
    children = {tag: frozenset(names) for tag, names in data["children"].items()}
    return attributes, children, frozenset(data["ending_tags"])


# Allowed attributes per component, which MJML children each accepts, and the components whose
# content is HTML or text rather than MJML ("endingTag" upstream): see mjml_components.json.
ATTRIBUTES, CHILDREN, ENDING_TAGS = _load_components()
_EVERYWHERE = frozenset({"mj-class", "css-class"})

# What mjml-python 0.12 gets wrong, measured, or our renderer cannot honour: valid MJML that we
# must not write.
_UNSUPPORTED_TAGS = {
    "mj-navbar": "mjml-python écrit un commentaire conditionnel malformé avant le menu ; "
    "mettez les liens dans une <mj-text>",
    # newsletters.templating puts <mj-text> contents back after mjml-python: selectors miss them.
    "mj-html-attributes": "ses sélecteurs ne voient pas le contenu des <mj-text> ; "
    "écrivez les attributs directement dans le HTML",
}
_IGNORED_ATTRIBUTES = {("mj-divider", "align"): "mjml-python ignore cet attribut"}
# mjml-python crashes when <mj-font> redefines one of its built-in fonts.
_BUILTIN_FONTS = frozenset({"Open Sans", "Droid Sans", "Lato", "Roboto", "Ubuntu"})

_VOID_HTML = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)


@dataclass(frozen=True)
class MjmlProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.message}"


def check_mjml(source: str) -> list[MjmlProblem]:
    """Every problem found in an MJML document, in document order (empty: the document is fine)."""
    checker = _Checker()
    checker.feed(source)
    checker.close()
    return checker.finish()


def _suggest(word: str, choices: frozenset[str] | set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.75)
    return close[0] if close else ""


class _Checker(HTMLParser):
    """Walks the document keeping a stack of open MJML tags and, inside ending tags, of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[MjmlProblem] = []
        self._stack: list[tuple[str, int]] = []  # open MJML tags and their line
        self._html: list[tuple[str, int]] = []  # open HTML tags inside the current ending tag
        self._seen_body = False

    def _problem(self, message: str, line: int | None = None) -> None:
        self.problems.append(MjmlProblem(line or self.getpos()[0], message))

    def _in_content(self) -> bool:
        """Inside an ending tag, or an unknown one (already reported: its content is not)."""
        return bool(self._stack) and (
            self._stack[-1][0] in ENDING_TAGS or self._stack[-1][0] not in ATTRIBUTES
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if self._in_content():
            if tag.startswith("mj-") or tag == "mjml":
                self._problem(
                    f"<{tag}> dans le contenu HTML de <{self._stack[-1][0]}> "
                    f"(balise <{self._stack[-1][0]}> non fermée ?)"
                )
            elif tag not in _VOID_HTML:
                self._html.append((tag, line))
            return
        parent = self._stack[-1][0] if self._stack else None
        self._check_tag(tag, parent, attrs)
        if tag == "mj-body":
            self._seen_body = True
        self._stack.append((tag, line))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._in_content():
            if tag.startswith("mj-"):
                self.handle_starttag(tag, attrs)
            return
        self.handle_starttag(tag, attrs)
        self._stack.pop()

    def _check_tag(self, tag: str, parent: str | None, attrs: list[tuple[str, str | None]]) -> None:
        if parent == "mj-attributes":
            self._check_default(tag, attrs)
            return
        if tag not in ATTRIBUTES:
            hint = _suggest(tag, set(ATTRIBUTES))
            if hint:
                self._problem(f"balise inconnue <{tag}> (voulez-vous dire <{hint}> ?)")
            elif tag.startswith("mj-"):
                self._problem(f"balise inconnue <{tag}>")
            else:
                self._problem(f"balise HTML <{tag}> hors d'un contenu : mettez-la dans <mj-text>")
            return
        allowed_here = CHILDREN.get(parent, frozenset()) if parent else frozenset({"mjml"})
        if tag not in allowed_here:
            parents = sorted(p for p, children in CHILDREN.items() if tag in children)
            where = f"dans <{parent}>" if parent else "à la racine du document"
            expected = ", ".join(f"<{p}>" for p in parents) if parents else "aucun (racine)"
            self._problem(
                f"<{tag}> ne peut pas être placée {where} ; parents possibles : {expected}"
            )
        if tag in _UNSUPPORTED_TAGS:
            self._problem(f"<{tag}> à éviter : {_UNSUPPORTED_TAGS[tag]}")
        if tag == "mj-font" and dict(attrs).get("name") in _BUILTIN_FONTS:
            self._problem(
                f'<mj-font name="{dict(attrs)["name"]}"> fait planter mjml-python, qui connaît '
                "déjà cette police ; retirez la balise <mj-font>"
            )
        self._check_attributes(tag, attrs, ATTRIBUTES[tag])

    def _check_default(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """A child of <mj-attributes>: a component's defaults, mj-all, or a named mj-class."""
        if tag == "mj-all":
            return
        if tag == "mj-class":
            if not dict(attrs).get("name"):
                self._problem("<mj-class> sans attribut name")
            return
        if tag not in ATTRIBUTES:
            hint = _suggest(tag, set(ATTRIBUTES) | {"mj-all", "mj-class"})
            suffix = f" (voulez-vous dire <{hint}> ?)" if hint else ""
            self._problem(f"balise inconnue <{tag}> dans <mj-attributes>{suffix}")
            return
        self._check_attributes(tag, attrs, ATTRIBUTES[tag])

    def _check_attributes(
        self, tag: str, attrs: list[tuple[str, str | None]], allowed: frozenset[str]
    ) -> None:
        for name, _value in attrs:
            if name in _EVERYWHERE:
                continue
            if name not in allowed:
                hint = _suggest(name, allowed | _EVERYWHERE)
                suffix = f" (voulez-vous dire « {hint} » ?)" if hint else ""
                self._problem(f"attribut « {name} » non permis sur <{tag}>{suffix}")
            elif (tag, name) in _IGNORED_ATTRIBUTES:
                self._problem(
                    f"attribut « {name} » de <{tag}> à éviter : {_IGNORED_ATTRIBUTES[tag, name]}"
                )

    def handle_endtag(self, tag: str) -> None:
        if self._in_content() and tag != self._stack[-1][0]:
            self._close_html(tag)
            return
        if self._in_content():
            self._report_unclosed_html(tag)
        if not self._stack:
            self._problem(f"</{tag}> sans balise ouvrante")
        elif self._stack[-1][0] == tag:
            self._stack.pop()
        elif any(open_tag == tag for open_tag, _ in self._stack):
            while self._stack[-1][0] != tag:
                open_tag, opened = self._stack.pop()
                self._problem(f"<{open_tag}> ouverte ligne {opened} non fermée avant </{tag}>")
            self._stack.pop()
        else:
            self._problem(
                f"</{tag}> ferme une balise qui n'est pas ouverte "
                f"(<{self._stack[-1][0]}> est la balise en cours)"
            )

    def _close_html(self, tag: str) -> None:
        container = self._stack[-1][0]
        if tag in _VOID_HTML:
            return
        if not any(open_tag == tag for open_tag, _ in self._html):
            self._problem(f"dans <{container}> : </{tag}> sans <{tag}> ouvrante")
            return
        while self._html[-1][0] != tag:
            open_tag, opened = self._html.pop()
            self._problem(
                f"dans <{container}> : <{open_tag}> ouverte ligne {opened} "
                f"non fermée avant </{tag}>"
            )
        self._html.pop()

    def _report_unclosed_html(self, container: str) -> None:
        for open_tag, opened in self._html:
            self._problem(
                f"dans <{container}> : <{open_tag}> ouverte ligne {opened} "
                f"non fermée avant </{container}>"
            )
        self._html = []

    def handle_data(self, data: str) -> None:
        if self._stack and not self._in_content() and data.strip():
            excerpt = " ".join(data.split())[:40]
            self._problem(
                f"texte « {excerpt} » directement dans <{self._stack[-1][0]}> : "
                "mettez-le dans <mj-text>"
            )

    def finish(self) -> list[MjmlProblem]:
        if self._in_content():
            self._report_unclosed_html(self._stack[-1][0])
        for tag, line in reversed(self._stack):
            self._problem(f"<{tag}> jamais fermée", line)
        if not self._seen_body:
            self._problem("document sans <mj-body>", 1)
        return self.problems
