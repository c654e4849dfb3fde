"""What the HTTP handlers share: the application keys and the request's parsed parameters.

Dependencies live in the application under typed :class:`aiohttp.web.AppKey` s, never in module
globals: the store, the callable that wakes the dispatcher after a commit, the ``[api]``
settings, the clock (unix seconds) and the default phone region (``None``: international numbers
only, as RaspiSMS).
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from smsd.config import ApiConfig
from smsd.store.db import Database
from smsd.store.rows import UserRow

__all__ = [
    "CLOCK",
    "CONFIG",
    "DB",
    "REGION",
    "USER",
    "WAKE",
    "Clock",
    "Wake",
    "user_of",
]

Wake = Callable[[], None]
Clock = Callable[[], float]

DB = web.AppKey("db", Database)
WAKE = web.AppKey[Wake]("wake")
CONFIG = web.AppKey("config", ApiConfig)
CLOCK = web.AppKey[Clock]("clock")
REGION = web.AppKey("default_region", str)
"""Present only when national numbers of that region are accepted (our extension)."""

USER = web.RequestKey("user", UserRow)
"""Request key of the authenticated :class:`~smsd.store.rows.UserRow`."""


def user_of(request: web.Request) -> UserRow:
    """The user the request authenticated as (set by :mod:`smsd.api.auth`)."""
    return request[USER]
