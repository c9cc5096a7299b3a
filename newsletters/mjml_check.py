"""Our own MJML validator, run on what Jinja produced before mjml-python sees it.

mjml-python 0.12 does no validation at all: a typo such as <mj-buton> or a misplaced
<mj-column> silently yields broken or missing content. This check applies the rules of the
official MJML 4 validator (tags, attributes per component, allowed parents), taken from the
component definitions of MJML 4.15.3 (`allowedAttributes` and mjml-preset-core's
dependencies), and adds the few mjml-python limitations we measured. Contents of "ending tags"
(mj-text, mj-button, mj-raw, mj-table…) are HTML: they are not validated, only required to be
balanced, because an unclosed <div> there swallows the rest of the layout.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from html.parser import HTMLParser

_PADDING = frozenset({"padding", "padding-top", "padding-bottom", "padding-left", "padding-right"})
_BORDER = frozenset({"border", "border-top", "border-bottom", "border-left", "border-right"})
_FONT = frozenset({"font-family", "font-size", "font-style", "font-weight", "line-height"})
_LINK = frozenset({"href", "rel", "target", "title", "name"})
_BACKGROUND = frozenset(
    {
        "background-color",
        "background-url",
        "background-repeat",
        "background-size",
        "background-position",
        "background-position-x",
        "background-position-y",
    }
)
_SECTION = (
    _PADDING
    | _BORDER
    | _BACKGROUND
    | {
        "border-radius",
        "direction",
        "full-width",
        "text-align",
        "text-padding",
    }
)
_ICONS = frozenset(
    {
        "icon-align",
        "icon-width",
        "icon-height",
        "icon-position",
        "icon-wrapped-url",
        "icon-wrapped-alt",
        "icon-unwrapped-url",
        "icon-unwrapped-alt",
    }
)
_SOCIAL = (
    _PADDING
    | _FONT
    | {
        "align",
        "border-radius",
        "color",
        "icon-size",
        "icon-height",
        "icon-padding",
        "text-padding",
        "text-decoration",
        "vertical-align",
    }
)

# Allowed attributes per component (MJML 4.15.3); mj-class and css-class are allowed everywhere.
ATTRIBUTES: dict[str, frozenset[str]] = {
    "mjml": frozenset({"lang", "dir", "owa"}),
    "mj-head": frozenset(),
    "mj-attributes": frozenset(),
    "mj-breakpoint": frozenset({"width"}),
    "mj-font": frozenset({"name", "href"}),
    "mj-html-attributes": frozenset(),
    "mj-selector": frozenset({"path"}),
    "mj-html-attribute": frozenset({"name"}),
    "mj-preview": frozenset(),
    "mj-style": frozenset({"inline"}),
    "mj-title": frozenset(),
    "mj-body": frozenset({"width", "background-color"}),
    "mj-wrapper": _SECTION,
    "mj-section": _SECTION,
    "mj-group": frozenset({"background-color", "direction", "vertical-align", "width"}),
    "mj-column": _PADDING
    | _BORDER
    | {
        "background-color",
        "border-radius",
        "direction",
        "inner-background-color",
        "inner-border",
        "inner-border-top",
        "inner-border-bottom",
        "inner-border-left",
        "inner-border-right",
        "inner-border-radius",
        "vertical-align",
        "width",
    },
    "mj-hero": _PADDING
    | {
        "mode",
        "height",
        "background-url",
        "background-width",
        "background-height",
        "background-position",
        "border-radius",
        "container-background-color",
        "inner-background-color",
        "inner-padding",
        "inner-padding-top",
        "inner-padding-left",
        "inner-padding-right",
        "inner-padding-bottom",
        "background-color",
        "vertical-align",
    },
    "mj-text": _PADDING
    | _FONT
    | {
        "align",
        "background-color",
        "color",
        "container-background-color",
        "height",
        "letter-spacing",
        "text-decoration",
        "text-transform",
        "vertical-align",
    },
    "mj-button": _PADDING
    | _BORDER
    | _FONT
    | _LINK
    | {
        "align",
        "background-color",
        "border-radius",
        "color",
        "container-background-color",
        "height",
        "inner-padding",
        "letter-spacing",
        "text-align",
        "text-decoration",
        "text-transform",
        "vertical-align",
        "width",
    },
    "mj-image": _PADDING
    | _BORDER
    | _LINK
    | {
        "alt",
        "src",
        "srcset",
        "sizes",
        "align",
        "border-radius",
        "container-background-color",
        "fluid-on-mobile",
        "width",
        "height",
        "max-height",
        "font-size",
        "usemap",
    },
    "mj-divider": _PADDING
    | {
        "border-color",
        "border-style",
        "border-width",
        "container-background-color",
        "width",
        "align",
    },
    "mj-spacer": _PADDING | _BORDER | {"container-background-color", "height"},
    "mj-table": _PADDING
    | _FONT - {"font-style"}
    | {
        "align",
        "border",
        "cellpadding",
        "cellspacing",
        "container-background-color",
        "color",
        "role",
        "table-layout",
        "vertical-align",
        "width",
    },
    "mj-raw": frozenset({"position"}),
    "mj-social": _SOCIAL | {"container-background-color", "inner-padding", "mode", "table-layout"},
    "mj-social-element": _SOCIAL | _LINK | {"background-color", "src", "srcset", "sizes", "alt"},
    "mj-navbar": _PADDING
    | {
        "align",
        "base-url",
        "hamburger",
        "ico-align",
        "ico-open",
        "ico-close",
        "ico-color",
        "ico-font-size",
        "ico-font-family",
        "ico-text-transform",
        "ico-padding",
        "ico-padding-left",
        "ico-padding-top",
        "ico-padding-right",
        "ico-padding-bottom",
        "ico-text-decoration",
        "ico-line-height",
    },
    "mj-navbar-link": _PADDING
    | _FONT
    | _LINK - {"title"}
    | {
        "color",
        "letter-spacing",
        "text-decoration",
        "text-transform",
    },
    "mj-accordion": _PADDING | _ICONS | {"container-background-color", "border", "font-family"},
    "mj-accordion-element": _ICONS | {"background-color", "border", "font-family"},
    "mj-accordion-title": _PADDING | {"background-color", "color", "font-size", "font-family"},
    "mj-accordion-text": _PADDING
    | _FONT - {"font-style"}
    | {
        "background-color",
        "letter-spacing",
        "color",
    },
    "mj-carousel": _PADDING
    | {
        "align",
        "border-radius",
        "container-background-color",
        "icon-width",
        "left-icon",
        "right-icon",
        "thumbnails",
        "tb-border",
        "tb-border-radius",
        "tb-hover-border-color",
        "tb-selected-border-color",
        "tb-width",
    },
    "mj-carousel-image": _LINK - {"name"}
    | {
        "alt",
        "src",
        "thumbnails-src",
        "border-radius",
        "tb-border",
        "tb-border-radius",
    },
}
_EVERYWHERE = frozenset({"mj-class", "css-class"})

_COLUMN_CONTENT = frozenset(
    {
        "mj-accordion",
        "mj-button",
        "mj-carousel",
        "mj-divider",
        "mj-image",
        "mj-raw",
        "mj-social",
        "mj-spacer",
        "mj-table",
        "mj-text",
        "mj-navbar",
    }
)
# Which MJML children each component accepts (mjml-preset-core's dependencies).
CHILDREN: dict[str, frozenset[str]] = {
    "mjml": frozenset({"mj-head", "mj-body", "mj-raw"}),
    "mj-head": frozenset(
        {
            "mj-attributes",
            "mj-breakpoint",
            "mj-html-attributes",
            "mj-font",
            "mj-preview",
            "mj-style",
            "mj-title",
            "mj-raw",
        }
    ),
    "mj-html-attributes": frozenset({"mj-selector"}),
    "mj-selector": frozenset({"mj-html-attribute"}),
    "mj-body": frozenset({"mj-raw", "mj-section", "mj-wrapper", "mj-hero"}),
    "mj-wrapper": frozenset({"mj-hero", "mj-raw", "mj-section"}),
    "mj-section": frozenset({"mj-column", "mj-group", "mj-raw"}),
    "mj-group": frozenset({"mj-column", "mj-raw"}),
    "mj-column": _COLUMN_CONTENT,
    "mj-hero": _COLUMN_CONTENT,
    "mj-social": frozenset({"mj-social-element", "mj-raw"}),
    "mj-navbar": frozenset({"mj-navbar-link", "mj-raw"}),
    "mj-accordion": frozenset({"mj-accordion-element", "mj-raw"}),
    "mj-accordion-element": frozenset({"mj-accordion-title", "mj-accordion-text", "mj-raw"}),
    "mj-carousel": frozenset({"mj-carousel-image"}),
}

# Components whose content is HTML or text rather than MJML ("endingTag" upstream).
ENDING_TAGS = frozenset(
    {
        "mj-text",
        "mj-button",
        "mj-raw",
        "mj-table",
        "mj-title",
        "mj-preview",
        "mj-style",
        "mj-breakpoint",
        "mj-html-attribute",
        "mj-social-element",
        "mj-navbar-link",
        "mj-accordion-title",
        "mj-accordion-text",
        "mj-carousel-image",
    }
)

# What mjml-python 0.12 gets wrong, measured, or our renderer cannot honour: valid MJML that we
# must not write.
_UNSUPPORTED_TAGS = {
    "mj-navbar": "mjml-python écrit un commentaire conditionnel malformé avant le menu ; "
    "mettez les liens dans une <mj-text>",
    # newsletters.render puts <mj-text> contents back after mjml-python: selectors miss them.
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
