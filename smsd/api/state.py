"""What the HTTP handlers share: the application keys and the request's parsed parameters.

Dependencies live in the application under typed :class:`aiohttp.web.AppKey` s, never in module
globals: the store, the callable that wakes the dispatcher after a commit, the ``[api]``
settings, the clock (unix seconds), the default phone region (``None``: international numbers
only, as RaspiSMS) and the daemon's control over modems (:class:`PhoneControl`, absent when the
application runs without modems).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from aiohttp import web

from smsd.config import ApiConfig
from smsd.model import PhoneSnapshot
from smsd.store import accounts
from smsd.store.db import Database
from smsd.store.rows import UserRow
from smsd.webhooks.keys import KeyRing

__all__ = [
    "CLOCK",
    "CONFIG",
    "DB",
    "KEYS",
    "PHONES",
    "REGION",
    "SETTINGS",
    "USER",
    "WAKE",
    "Clock",
    "PhoneControl",
    "PhoneSnapshot",
    "Wake",
    "settings_of",
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


class PhoneControl(Protocol):
    """What the API asks of the daemon when a phone is created, changed or deleted."""

    async def apply(self, id_phone: int) -> None:
        """(Re)start the modem of phone ``id_phone`` as the store now describes it.

        The phone row is read again; a deleted or disabled phone has its modem stopped.
        """

    def status(self, id_phone: int) -> str | None:
        """The phone's live status (``available``, ``unavailable`` …); ``None`` if not running."""

    def snapshot(self) -> Sequence[PhoneSnapshot]:
        """Every running phone's live state, by phone id."""


KEYS = web.AppKey("keys", KeyRing)
"""The daemon's in-memory key ring (:mod:`smsd.webhooks.keys`): authenticated keys are noted."""

PHONES = web.AppKey[PhoneControl]("phones")
"""Present only when a daemon runs the modems."""

USER = web.RequestKey("user", UserRow)
"""Request key of the authenticated :class:`~smsd.store.rows.UserRow`."""


def user_of(request: web.Request) -> UserRow:
    """The user the request authenticated as (set by :mod:`smsd.api.auth`)."""
    return request[USER]


SETTINGS = web.RequestKey[dict[str, str]]("settings")
"""Request key of the authenticated user's settings, read with the key (:mod:`smsd.api.auth`)."""


async def settings_of(request: web.Request) -> dict[str, str]:
    """The authenticated user's settings: those read with the key, else read now."""
    found = request.get(SETTINGS)
    if found is None:
        found = request[SETTINGS] = await accounts.settings(request.app[DB], user_of(request).id)
    return found
