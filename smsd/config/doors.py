"""Settings of a front door of its own: ``[api.smspartner]``, the SMSPartner door's.

:mod:`smsd.config.doors_reading` reads them (``[api] dialects`` is in :mod:`.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SmsPartnerConfig"]


@dataclass(frozen=True)
class SmsPartnerConfig:
    """``[api.smspartner]``: the SMSPartner-compatible door (``/v1/...``)."""

    default_region: str = "FR"
    """Region whose national numbers ``phoneNumbers`` accepts (``0612345678``), as SMSPartner."""
    commercial: bool = True
    """Messages sent through this door are commercial (held during quiet hours) unless the
    user's ``commercial`` setting says otherwise, as SMSPartner's platform holds them."""
