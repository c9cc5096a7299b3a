"""The draft file: an issue as Markdown with TOML front matter, for staff to edit by hand.

Markdown because summaries and the editorial are prose that staff rewrite; a strict, small
grammar around it so that every mistake is reported with its line and field:

    +++                         front matter (TOML): edition, number, subject, preheader…
    +++
    # Éditorial                 optional, free Markdown
    # À la une {#une}           a section; {#key} names its entry in the configuration
    ## Article title            an article of that section
    lien: https://…             its fields, one per line, right under the title
    image: https://…
    (blank line)
    Summary, in Markdown.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from hub.config import Config
from hub.db import SQLITE_MAX_INT
from hub.errors import UserError
from hub.timeutil import DateInputError, parse_local_datetime
from newsletters.model import Article, Issue, IssueSection

FRONT_MATTER = "+++"
EDITORIAL_KEY = "editorial"
_SECTION = re.compile(r"^#\s+(?P<title>.+?)(?:\s+\{#(?P<key>[a-z0-9_-]+)\})?\s*$")
_ARTICLE = re.compile(r"^##\s+(?P<title>.+?)\s*$")
_FIELD = re.compile(r"^(?P<name>[^\s:]+)\s*:\s*(?P<value>.*)$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
FIELDS = ("lien", "image", "alt", "date", "début", "fin", "lieu", "type")
_LOCAL_FORMAT = "%Y-%m-%d %H:%M"

HELP = """\
# Brouillon modifiable à la main, puis : hub newsletter render CE_FICHIER
# - Réordonnez, supprimez ou ajoutez des articles (« ## Titre »)
#   et des rubriques (« # Titre {#clé} »).
# - Sous chaque titre d'article, un champ par ligne : lien (obligatoire), image, alt, date
#   (AAAA-MM-JJ) ; pour l'agenda : début et fin (AAAA-MM-JJ HH:MM, heure de Paris), lieu,
#   type (d'événement).
# - Laissez une ligne vide entre les champs et le résumé (Markdown : **gras**, [lien](https://…)).
# - L'éditorial (facultatif) s'écrit sous « # Éditorial », avant la première rubrique.
"""


class DraftError(UserError):
    """A draft that cannot be used: the message names the file, the line and the field."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        where = f"{source}, ligne {line}" if line else source
        super().__init__(f"{where} : {message}")
        self.line = line


# What a feed may carry that has no place in a draft: line breaks of every kind (TOML forbids
# them in a one-line string, and str.splitlines() would cut a draft line at any of them) and
# the other control characters (C0 but tab, DEL, C1), which TOML forbids raw.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x9f]")


def _one_line(value: str) -> str:
    """Feed text for a single draft line: breaks become spaces, other controls go."""
    return _CONTROLS.sub("", re.sub(f"(?:{_LINE_BREAKS.pattern})+", " ", value))


def _lines(value: str) -> str:
    """Feed text for a Markdown block: every line break is a newline, other controls go."""
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", value.replace("\r\n", "\n")))


def _toml_string(value: str) -> str:
    escaped = _one_line(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def write_draft(issue: Issue) -> str:
    """The draft text of `issue`; `read_draft` gives the same issue back."""
    lines = [
        FRONT_MATTER,
        HELP.rstrip("\n"),
        f"edition = {_toml_string(issue.edition)}",
        f"number = {issue.number}",
        f"subject = {_toml_string(issue.subject)}",
        f"preheader = {_toml_string(issue.preheader)}",
        f"date = {issue.issue_date.isoformat()}",
    ]
    if issue.period_start:
        lines.append(f"period_start = {issue.period_start.isoformat()}")
    lines += [f"period_end = {issue.period_end.isoformat()}", FRONT_MATTER, ""]
    lines += ["# Éditorial", ""]
    if issue.editorial:
        lines += [_lines(issue.editorial).strip(), ""]
    for section in issue.sections:
        lines += [f"# {_one_line(section.title)} {{#{section.key}}}", ""]
        for article in section.articles:
            lines.append(f"## {_one_line(article.title)}")
            lines.append(f"lien: {_one_line(article.link)}")
            if article.image_url:
                lines.append(f"image: {_one_line(article.image_url)}")
                lines.append(f"alt: {_one_line(article.image_alt)}")
            if article.published:
                lines.append(f"date: {article.published.isoformat()}")
            if article.event_start:
                lines.append(f"début: {article.event_start.strftime(_LOCAL_FORMAT)}")
            if article.event_end:
                lines.append(f"fin: {article.event_end.strftime(_LOCAL_FORMAT)}")
            if article.location:
                lines.append(f"lieu: {_one_line(article.location)}")
            if article.kind:
                lines.append(f"type: {_one_line(article.kind)}")
            lines.append("")
            if article.summary:
                lines += [_lines(article.summary).strip(), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


@dataclass
class _Block:
    """An article being read: its heading line, fields and summary lines."""

    line: int
    title: str
    fields: dict[str, tuple[int, str]]
    summary: list[str]


def _absolute_url(value: str, source: str, line: int, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DraftError(
            source, line, f"« {name} » doit être une adresse complète (https://…), trouvé {value!r}"
        )
    return value


@dataclass(frozen=True)
class _Header:
    """The front matter once checked: every field present (but the optional ones) and typed."""

    edition: str
    number: int
    subject: str
    preheader: str
    issue_date: date
    period_start: datetime | None
    period_end: datetime


def _front_matter(lines: list[str], source: str, config: Config) -> tuple[_Header, int]:
    if not lines or lines[0].strip() != FRONT_MATTER:
        raise DraftError(source, 1, f"le brouillon doit commencer par une ligne « {FRONT_MATTER} »")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER)
    except StopIteration:
        raise DraftError(
            source, 1, f"l'en-tête n'est pas fermé : ajoutez une ligne « {FRONT_MATTER} » après lui"
        ) from None
    text = "\n".join(lines[1:end])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match[1]) + 1 if match else 1
        raise DraftError(source, line, f"en-tête TOML invalide ({exc})") from None

    def line_of(key: str) -> int:
        for i in range(1, end):
            if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]):
                return i + 1
        return 1

    expected: dict[str, tuple[type, str]] = {
        "edition": (str, "un texte"),
        "number": (int, "un nombre entier"),
        "subject": (str, "un texte"),
        "preheader": (str, "un texte"),
        "date": (date, "une date AAAA-MM-JJ"),
        "period_start": (datetime, "une date et heure avec fuseau"),
        "period_end": (datetime, "une date et heure avec fuseau"),
    }
    for key, value in data.items():
        if key not in expected:
            raise DraftError(
                source,
                line_of(key),
                f"champ d'en-tête inconnu « {key} » (champs : {', '.join(expected)})",
            )
        tp, description = expected[key]
        bad_type = not isinstance(value, tp) or (tp is int and isinstance(value, bool))
        if bad_type or (tp is date and isinstance(value, datetime)):
            raise DraftError(
                source, line_of(key), f"« {key} » doit être {description}, trouvé {value!r}"
            )
        if isinstance(value, datetime) and value.tzinfo is None:
            raise DraftError(
                source,
                line_of(key),
                f"« {key} » doit préciser son fuseau (ex. 2026-11-23T09:00:00+01:00)",
            )
    for key in ("edition", "number", "subject", "date", "period_end"):
        if key not in data:
            raise DraftError(source, 1, f"champ d'en-tête « {key} » manquant ({expected[key][1]})")
    if data["edition"] not in config.editions:
        raise DraftError(
            source,
            line_of("edition"),
            f"édition inconnue {data['edition']!r} (éditions : {', '.join(config.editions)})",
        )
    # Each value has been checked to be of its expected type above.
    header = _Header(
        edition=data["edition"],
        number=data["number"],
        subject=data["subject"],
        preheader=data.get("preheader", ""),
        issue_date=data["date"],
        period_start=data.get("period_start"),
        period_end=data["period_end"],
    )
    if header.number < 1:
        raise DraftError(source, line_of("number"), "« number » doit être au moins 1")
    if header.number > SQLITE_MAX_INT:
        raise DraftError(
            source, line_of("number"), f"« number » est trop grand (au plus {SQLITE_MAX_INT})"
        )
    if not header.subject.strip():
        raise DraftError(source, line_of("subject"), "l'objet (« subject ») est vide")
    return header, end + 1


def _article_from(block: _Block, agenda: bool, source: str, config: Config) -> Article:
    fields = block.fields

    def get(name: str) -> tuple[int, str] | None:
        return fields.get(name)

    link = get("lien")
    if link is None:
        raise DraftError(source, block.line, f"l'article « {block.title} » n'a pas de « lien: »")
    article = Article(
        title=block.title,
        link=_absolute_url(link[1], source, link[0], "lien"),
        summary="\n".join(block.summary).strip(),
    )
    if image := get("image"):
        article.image_url = _absolute_url(image[1], source, image[0], "image")
        article.image_alt = alt[1] if (alt := get("alt")) else block.title
    if published := get("date"):
        try:
            article.published = date.fromisoformat(published[1])
        except ValueError:
            raise DraftError(
                source, published[0], f"« date » : {published[1]!r} n'est pas une date AAAA-MM-JJ"
            ) from None
    for name, attribute in (("début", "event_start"), ("fin", "event_end")):
        if value := get(name):
            try:
                moment = parse_local_datetime(value[1], config.tz, name)
            except DateInputError as exc:
                raise DraftError(source, value[0], str(exc)) from None
            setattr(article, attribute, moment)
    if lieu := get("lieu"):
        article.location = lieu[1]
    if kind := get("type"):
        article.kind = kind[1]
    if agenda and article.event_start is None:
        raise DraftError(
            source, block.line, f"l'événement « {block.title} » de l'agenda n'a pas de « début: »"
        )
    if article.event_start and article.event_end and article.event_end < article.event_start:
        raise DraftError(source, fields["fin"][0], "« fin » est avant « début »")
    return article


def read_draft(text: str, config: Config, source: str = "brouillon") -> Issue:
    """Parse and validate a draft; any mistake is a `DraftError` naming line and field."""
    lines = text.splitlines()
    header, body_start = _front_matter(lines, source, config)
    body = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), "\n".join(lines[body_start:]))

    editorial: list[str] = []
    sections: list[IssueSection] = []
    section_line: dict[str, int] = {}
    block: _Block | None = None
    in_fields = False

    def close_block() -> None:
        if block is not None:
            sections[-1].articles.append(_article_from(block, sections[-1].agenda, source, config))

    for offset, raw in enumerate(body.split("\n")):
        number = body_start + offset + 1
        line = raw.rstrip()
        if match := _ARTICLE.match(line):
            close_block()
            if not sections:
                raise DraftError(
                    source,
                    number,
                    f"l'article « {match['title']} » est hors rubrique : ajoutez au-dessus une "
                    "ligne « # Titre de la rubrique {#clé} »",
                )
            block, in_fields = _Block(number, match["title"], {}, []), True
        elif match := _SECTION.match(line):
            close_block()
            block, in_fields = None, False
            title, key = match["title"].strip(), match["key"]
            if key == EDITORIAL_KEY or (key is None and title.casefold() == "éditorial"):
                key = EDITORIAL_KEY
            elif key is None:
                key = re.sub(r"[^a-z0-9]+", "_", title.casefold()).strip("_") or "rubrique"
            if key in section_line:
                raise DraftError(
                    source,
                    number,
                    f"la rubrique {{#{key}}} apparaît deux fois (déjà ligne {section_line[key]})",
                )
            section_line[key] = number
            if key != EDITORIAL_KEY:
                configured = config.sections.get(key)
                sections.append(
                    IssueSection(
                        key=key, title=title, agenda=bool(configured and configured.agenda)
                    )
                )
        elif block is not None and in_fields and line.strip():
            field = _FIELD.match(line.strip())
            name = field["name"].casefold() if field else ""
            if not field or name not in FIELDS:
                raise DraftError(
                    source,
                    number,
                    f"champ inconnu « {line.strip()[:40]} » sous l'article « {block.title} » "
                    f"(champs : {', '.join(FIELDS)}) ; laissez une ligne vide avant le résumé",
                )
            if name in block.fields:
                raise DraftError(source, number, f"le champ « {name} » est répété")
            block.fields[name] = (number, field["value"].strip())
        elif block is not None:
            in_fields = False
            block.summary.append(line)
        elif sections:
            if line.strip():
                raise DraftError(
                    source,
                    number,
                    "texte hors article : placez-le sous un titre « ## Article », ou dans "
                    "l'éditorial (avant la première rubrique)",
                )
        else:
            editorial.append(line)
    close_block()

    sections = [s for s in sections if s.articles]
    if not any(s.articles for s in sections):
        raise DraftError(source, None, "le brouillon ne contient aucun article")
    return Issue(
        edition=header.edition,
        number=header.number,
        subject=header.subject.strip(),
        preheader=header.preheader.strip(),
        issue_date=header.issue_date,
        period_start=header.period_start,
        period_end=header.period_end,
        editorial="\n".join(editorial).strip(),
        sections=sections,
    )


def load_draft(path: Path, config: Config) -> Issue:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DraftError(str(path), None, "fichier introuvable") from None
    except UnicodeDecodeError:
        raise DraftError(str(path), None, "le fichier n'est pas en UTF-8") from None
    return read_draft(text, config, str(path))
