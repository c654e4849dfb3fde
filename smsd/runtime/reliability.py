"""The reliability watch: runs the phone reliability check every ``interval`` seconds.

RaspiSMS runs its check from cron; here it is a task of the daemon. Each run commits its alerts
(:mod:`smsd.store.reliability`: alert time, ``phone_reliability`` webhook events, auto-disable)
and then hands every phone it disabled to ``on_disable``, which stops that phone's modem (the
daemon passes the hook that makes a phone follow its stored row). A failed run (a store fault,
or a bug) is logged and the next run tries again; a failing hook is logged and does not keep the
other phones' hooks from running.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import TYPE_CHECKING

import structlog

from smsd.errors import StoreError
from smsd.store import reliability

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from smsd.store.db import Database

__all__ = ["INTERVAL", "Alert", "ReliabilityWatch"]

INTERVAL = 60.0
"""Seconds between two runs (RaspiSMS leaves the schedule to the administrator's cron)."""

Alert = reliability.Alert


class ReliabilityWatch:
    """Periodic phone reliability check; ``run`` loops until cancelled."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], float] = time.time,
        interval: float = INTERVAL,
        on_disable: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        if not math.isfinite(interval) or interval <= 0:
            raise ValueError(f"the reliability check interval must be > 0 seconds, not {interval}")
        self._db = db
        self._clock = clock
        self._interval = interval
        self._on_disable = on_disable
        self._log = structlog.get_logger("smsd.reliability")
        self.runs = 0
        """Runs completed (a figure for tests and metrics)."""

    async def run(self) -> None:
        """Check now, then every ``interval`` seconds, until cancelled."""
        while True:
            try:
                await self.check_once()
            except StoreError as exc:
                self._log.warning("reliability_check_failed", error=str(exc))
            except Exception:  # noqa: BLE001 - a bug in one run must not stop the next ones
                self._log.exception("reliability_check_crashed")
            await asyncio.sleep(self._interval)

    async def check_once(self) -> list[Alert]:
        """One run: commit the alerts due now, then call ``on_disable`` for each phone disabled.

        A :class:`~smsd.errors.StoreError` of the check itself is raised to the caller.
        """
        alerts = await reliability.check_reliability(self._db, now=self._clock())
        self.runs += 1
        for alert in alerts:
            self._log.warning(
                "phone_unreliable",
                id_user=alert.id_user,
                id_phone=alert.id_phone,
                reliability_type=alert.type.value,
                period=alert.period,
                total=alert.total,
                unreliable=alert.unreliable,
                rate=alert.rate,
                webhook_events=alert.events,
                disabled=alert.disabled,
            )
        for alert in alerts:
            if alert.disabled and self._on_disable is not None:
                await self._disable(self._on_disable, alert.id_phone)
        return alerts

    async def _disable(self, hook: Callable[[int], Awaitable[None]], id_phone: int) -> None:
        try:
            await hook(id_phone)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one phone's hook must not stop the watch
            self._log.exception("phone_disable_failed", id_phone=id_phone)
