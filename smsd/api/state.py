"""What the HTTP handlers share: the application keys and the request's parsed parameters.

Dependencies live in the application under typed :class:`aiohttp.web.AppKey` s, never in module
globals: the store, the callable that wakes the dispatcher after a commit, the ``[api]``
settings, the clock (unix seconds), the default phone region (``None``: international numbers
only, as RaspiSMS) and the daemon's control over modems (:class:`PhoneControl`, absent when the
application runs without modems).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from smsd.config import ApiConfig
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
    "USER",
    "WAKE",
    "Clock",
    "PhoneControl",
    "PhoneSnapshot",
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


@dataclass(frozen=True)
class PhoneSnapshot:
    """One running phone as the daemon sees it now (for ``/metrics`` and ``/health``).

    ``status`` is the RaspiSMS status (``available``, ``unavailable`` …); ``available`` means
    connected, registered and within its limits. ``registration`` is the 3GPP TS 27.007
    ``+CREG`` state in lower case (``registered_home``, ``searching`` …). ``rssi`` is the raw
    ``+CSQ`` <rssi> and ``signal_dbm`` its dBm, both ``None`` when unknown. The counters
    count since the daemon started.
    """

    id_phone: int
    name: str
    status: str
    available: bool
    connected: bool
    registered: bool
    registration: str = "unknown"
    operator: str = ""
    rssi: int | None = None
    signal_dbm: int | None = None
    manufacturer: str = ""
    model: str = ""
    segments_sent: int = 0
    send_failures: int = 0
    received: int = 0
    status_reports: int = 0
    resets: int = 0
    imei: str = ""
    balance: float | None = None
    """The SIM balance the balance watch last read (``None``: not watched or not read yet)."""
    balance_low: bool = False
    """Below the phone's ``balance_min``: parked as ``no_credit``."""
    iccid: str = ""
    number: str = ""
    """The SIM's own number when the SIM knows it (``AT+CNUM``), else ``""``."""
    last_seen: float | None = None
    """Unix seconds the modem last answered a network check (``None``: never)."""


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
