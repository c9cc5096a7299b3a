"""The hub's web side: the public newsletter archive (`hub.web.app`) and the draft preview
(`hub.web.preview`).

The typed application keys live here so the factory and the handlers share them without
importing each other.
"""

from __future__ import annotations

from aiohttp import web

from hub.config import Config
from hub.db import Database

CONFIG_KEY = web.AppKey("config", Config)
DB_KEY = web.AppKey("database", Database)
