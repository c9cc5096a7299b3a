"""The French words for the codes stored about subscribers: one table per code, shared by the
command line and the web pages, so a status reads the same wherever staff or people see it."""

from __future__ import annotations

ROLE_LABELS = {
    "salarie": "salarié(e)",
    "elu": "élu(e)",
    "coordinateur": "coordinateur / coordinatrice",
    "partenaire": "partenaire",
    "autre": "autre",
}
# A person's status on one list.
STATUS_LABELS = {
    "pending": "en attente de confirmation",
    "confirmed": "inscrit(e)",
    "unsubscribed": "désinscrit(e)",
    "bounced": "adresse en erreur (rebond), plus aucun envoi",
    "complained": "signalée comme indésirable, plus aucun envoi",
}
NOT_SUBSCRIBED = "non inscrit(e)"
# Who or what made a change (consents, membership).
SOURCE_LABELS = {
    "web": "site web",
    "import": "import",
    "cli": "équipe (ligne de commande)",
    "discord": "Discord",
    "email": "e-mail",
}
# What a consent record proves.
ACTION_LABELS = {
    "subscribe": "inscription",
    "confirm": "confirmation",
    "unsubscribe": "désinscription",
}
# What became of one campaign e-mail to the person (the send log).
SEND_STATUS_LABELS = {
    "pending": "pas encore parti",
    "submitted": "transmis, réponse du fournisseur en attente",
    "accepted": "accepté par le fournisseur",
    "failed": "échec",
    "skipped": "non envoyé (désinscrit(e) ou adresse bloquée entre-temps)",
}
# What the provider told us (SendGrid Event Webhook).
EVENT_LABELS = {
    "delivered": "remis",
    "open": "ouvert",
    "click": "lien cliqué",
    "bounce": "rebond",
    "dropped": "écarté par SendGrid",
    "spamreport": "signalé comme indésirable",
    "unsubscribe": "désinscription par le lien de SendGrid",
    "group_unsubscribe": "désinscription d'un groupe SendGrid",
}
# A bounce's type, the start of its stored detail ("bounce: 550 …").
BOUNCE_TYPE_LABELS = {"bounce": "définitif", "blocked": "temporaire"}
# Why an address is blocked.
SUPPRESSION_LABELS = {
    "bounce": "rebond (adresse inexistante ou refusée)",
    "complaint": "signalement comme indésirable",
    "erased": "effacement RGPD",
    "manual": "blocage par l'équipe, ou désinscription de tous les envois chez SendGrid",
}


def label(table: dict[str, str], code: str | None) -> str:
    """The French label of a code; the code itself when the table does not know it (a value
    written by a newer hub), so nothing is hidden."""
    return table.get(code or "", code or "—")


def event_detail(event: str, detail: str) -> str:
    """An event's stored detail as staff read it: a bounce's type in French, then the
    provider's own words (a mail server's answer, left as it was)."""
    kind, colon, rest = detail.partition(":")
    if event == "bounce" and colon and kind in BOUNCE_TYPE_LABELS:
        words = rest.strip()
        return f"{BOUNCE_TYPE_LABELS[kind]} : {words}" if words else BOUNCE_TYPE_LABELS[kind]
    return detail
