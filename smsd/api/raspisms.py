"""The RaspiSMS routes (contract §4), gathered into one table.

Handlers live in small modules by subject: :mod:`smsd.api.listing` (``/api/list/…``),
:mod:`smsd.api.scheduled` (``/api/scheduled/``, ``/api/send-sms/``) and :mod:`smsd.api.stats`
(``/api/usage/``, ``/api/stats/sms-status/``, ``/api/invalid_number/``), :mod:`smsd.api.phones`
(``/api/phone/…``) and, beyond RaspiSMS, :mod:`smsd.api.admin` (contacts, groups, conditional
groups, phone groups, received status). The tables of the last three are in :mod:`smsd.api.manage`,
which imports their handlers on first use.
"""

from __future__ import annotations

from smsd.api import listing, scheduled
from smsd.api.manage import ADMIN_ROUTES, PHONE_ROUTES, STATS_ROUTES
from smsd.api.routing import Route, RouteTable

__all__ = ["ROUTES", "raspisms_routes"]

ROUTES: tuple[Route, ...] = (
    *listing.ROUTES,
    *scheduled.ROUTES,
    *STATS_ROUTES,
    *PHONE_ROUTES,
    *ADMIN_ROUTES,
)


def raspisms_routes() -> RouteTable:
    """A fresh table holding the RaspiSMS routes."""
    return RouteTable(ROUTES)
