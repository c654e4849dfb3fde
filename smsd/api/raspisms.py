"""The RaspiSMS routes (contract §4), gathered into one table.

Handlers live in small modules by subject: :mod:`smsd.api.listing` (``/api/list/…``),
:mod:`smsd.api.scheduled` (``/api/scheduled/``, ``/api/send-sms/``) and :mod:`smsd.api.stats`
(``/api/usage/``, ``/api/stats/sms-status/``, ``/api/invalid_number/``). Phone management and the
administration routes add their own tuples of :class:`~smsd.api.routing.Route` to the table
:func:`raspisms_routes` returns (or to the ``extra_routes`` of :func:`smsd.api.app.make_app`).
"""

from __future__ import annotations

from smsd.api import listing, scheduled, stats
from smsd.api.routing import Route, RouteTable

__all__ = ["ROUTES", "raspisms_routes"]

ROUTES: tuple[Route, ...] = (*listing.ROUTES, *scheduled.ROUTES, *stats.ROUTES)


def raspisms_routes() -> RouteTable:
    """A fresh table holding the RaspiSMS routes."""
    return RouteTable(ROUTES)
