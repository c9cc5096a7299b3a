"""What the commands that take a person on the command line share (`hub subscribers add`,
`hub events register`): the person of the identity options, with `--role` read as staff type
it and refused in one same line when unknown."""

from __future__ import annotations

from hub.errors import UserError
from hub.subscribers.importer import parse_role
from hub.subscribers.service import Person


def person_of_options(
    email: str, first_name: str, last_name: str, organisation: str, role: str, member: bool
) -> Person:
    """The person the options describe (`role`: « Élue », « coordinatrice »… as typed)."""
    role_key = parse_role(role)
    if role_key is None:
        raise UserError(
            f"--role : rôle inconnu « {role} » ; rôles possibles : salarié, élu, coordinateur, "
            "partenaire, autre"
        )
    return Person(email, first_name, last_name, organisation, role_key, member)
