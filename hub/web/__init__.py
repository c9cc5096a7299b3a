"""The hub's web side: the public newsletter archive (`hub.web.app`) and the draft preview
(`hub.web.preview`).

The typed application key lives here so the factory and the handlers share it without
importing each other.
"""

from __future__ import annotations

from aiohttp import web

from hub.services import HubServices

# Every service the handlers call: the process's one `HubServices`, opened with the app. The
# configuration and the database are its own (`.config`, `.db`): no other key repeats them.
SERVICES_KEY = web.AppKey("services", HubServices)
