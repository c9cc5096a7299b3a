"""The French every domain and channel share, below the wording of each domain
(`hub.events.wording`, `hub.subscribers.labels`…): how a number is written.

Light on purpose (no import): the command line's start-up and its usage errors use it too.
"""

from __future__ import annotations


def french_number(n: int) -> str:
    """2100 -> "2 100": thousands apart by a narrow no-break space, as French writes them."""
    return f"{n:,}".replace(",", "\u202f")
