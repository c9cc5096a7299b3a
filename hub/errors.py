"""The one base of every mistake a person can fix: commands show its message, not a traceback."""


class UserError(Exception):
    """A mistake the person at the keyboard (or editing a file) can fix; the message says how."""
