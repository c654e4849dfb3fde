"""Domain values shared by the layers: phone status and its RaspiSMS names."""

from __future__ import annotations

import enum


class PhoneStatus(enum.Enum):
    """A phone's (modem's) status, with the names RaspiSMS uses in its API."""

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    NO_CREDIT = "no_credit"
    LIMIT_REACHED = "limit_reached"
