"""Domain values shared by the layers: phone status and its RaspiSMS names, a phone's live state."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class PhoneStatus(enum.Enum):
    """A phone's (modem's) status, with the names RaspiSMS uses in its API."""

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    NO_CREDIT = "no_credit"
    LIMIT_REACHED = "limit_reached"


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
