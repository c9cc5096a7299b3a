"""The hub's web side: the public newsletter archive (`hub.web.app`) and the draft preview
(`hub.web.preview`).

The typed application keys live here so the factory and the handlers share them without
importing each other.
"""

from __future__ import annotations

from aiohttp import web

from hub.config import Config
from hub.db import Database
from hub.services import HubServices

CONFIG_KEY = web.AppKey("config", Config)
# Every service the handlers call: the process's one `HubServices`, opened with the app.
SERVICES_KEY = web.AppKey("services", HubServices)
# The services' database (`app[SERVICES_KEY].db`), for the handlers that read it directly.
DB_KEY = web.AppKey("database", Database)
