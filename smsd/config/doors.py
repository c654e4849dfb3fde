"""Settings of the front doors: which dialects the API speaks, and each door's own section.

``[api] dialects`` lists the doors served (all by default); ``[api.smspartner]`` holds the
SMSPartner door's settings. :mod:`smsd.config.doors_reading` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DIALECTS", "SmsPartnerConfig"]

DIALECTS: tuple[str, ...] = ("raspisms", "smspartner")
"""Every front door the HTTP API can serve, by name."""


@dataclass(frozen=True)
class SmsPartnerConfig:
    """``[api.smspartner]``: the SMSPartner-compatible door (``/v1/...``)."""

    default_region: str = "FR"
    """Region whose national numbers ``phoneNumbers`` accepts (``0612345678``), as SMSPartner."""
    commercial: bool = True
    """Messages sent through this door are commercial (held during quiet hours) unless the
    user's ``commercial`` setting says otherwise, as SMSPartner's platform holds them."""
