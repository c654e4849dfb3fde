"""The balance watch of one phone: ask the SIM's balance by USSD, park the phone when it is low.

Runs as a runtime task of the phone (started with it, cancelled with it) when ``balance_ussd``
is set. It checks when the modem is first ready, then every ``balance_interval`` seconds, after
every ``balance_check_every`` segments sent, and at once when ``PhoneRuntime.balance.due`` is set
(the sender sets it on a SIM-class submit error); a failed check is tried again within a minute.
The amount is the one group of
``balance_pattern`` (a decimal comma read as a point, blanks and thousands separators dropped).

Below ``balance_min`` the phone is parked: ``PhoneRuntime.balance.low`` makes it unavailable with
the status ``no_credit``, so the dispatcher hands its work to the other phones, and the store
writes one ``phone_balance_low`` webhook event for the fall. At or above the minimum it is
``available`` again (a ``no_credit`` set by a SIM-class submit error is cleared too). A failed
check (no answer, no amount in it) changes nothing and is logged once until a check works.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import TYPE_CHECKING

import structlog

from smsd.errors import UssdRequestError
from smsd.log import LogOnce
from smsd.model import PhoneStatus
from smsd.store import ussd as store
from smsd.store.walltime import parse_wall

if TYPE_CHECKING:
    from collections.abc import Callable

    from smsd.runtime.phones import PhoneRuntime
    from smsd.runtime.ussd import UssdService
    from smsd.store.db import Database

__all__ = ["BalanceWatch", "parse_amount"]

TICK = 1.0
"""Seconds between two looks at the send counter and the ``due`` flag."""
RETRY = 60.0
"""Seconds before the next try after a failed check (sooner than ``balance_interval``)."""
_SLACK = 10.0
"""Seconds a check waits beyond the phone's ``ussd_timeout`` (the modem's own bound)."""


def parse_amount(answer: str, pattern: str) -> float | None:
    """The amount in ``answer`` (the pattern's group), or ``None`` when there is none.

    ``12,50`` and ``12.50`` read 12.5; ``1 234,50`` and ``1.234,50`` read 1234.5.
    """
    found = re.search(pattern, answer)
    if found is None or found.group(1) is None:
        return None
    text = re.sub(r"[\s\u00a0']", "", found.group(1)).replace(",", ".")
    if text.count(".") > 1:
        whole, _, fraction = text.rpartition(".")
        text = whole.replace(".", "") + "." + fraction
    try:
        return float(text)
    except ValueError:
        return None


class BalanceWatch:
    """Checks one phone's balance on schedule and on demand; ``run`` loops until cancelled."""

    def __init__(
        self,
        db: Database,
        phone: PhoneRuntime,
        service: UssdService,
        *,
        wake: Callable[[], None],
        clock: Callable[[], float] = time.time,
        tick: float = TICK,
    ) -> None:
        self._db = db
        self._phone = phone
        self._service = service
        self._wake = wake
        self._clock = clock
        self._tick = tick
        self._log = structlog.get_logger("smsd.balance").bind(modem=phone.settings.name)
        self._once = LogOnce()

    async def run(self) -> None:
        """Restore the last reading, then check as scheduled until cancelled."""
        await self._restore()
        phone = self._phone
        settings = phone.settings
        next_check = self._clock()
        sent_mark = phone.modem.counters.segments_sent
        while True:
            await phone.modem.ready.wait()
            wait = min(self._tick, max(0.0, next_check - self._clock()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await phone.balance.due.wait()
            sent = phone.modem.counters.segments_sent
            every = settings.balance_check_every
            if not (
                phone.balance.due.is_set()
                or self._clock() >= next_check
                or (every and sent - sent_mark >= every)
            ):
                continue
            phone.balance.due.clear()
            sent_mark = sent
            await self.check_once()
            interval = settings.balance_interval
            if phone.balance.error:
                interval = min(interval, RETRY)
            next_check = self._clock() + interval

    async def check_once(self) -> float | None:
        """Ask the balance now and apply it; return the amount (``None`` when none was read)."""
        phone = self._phone
        settings = phone.settings
        code = settings.balance_ussd
        if code is None:
            return None
        try:
            row = await self._service.start(
                id_user=phone.id_user,
                id_phone=phone.id_phone,
                code=code,
                wait=settings.ussd_timeout + _SLACK,
                origin="balance",
            )
        except UssdRequestError as exc:
            self._failed(str(exc))
            return None
        if row.open:  # a menu where a balance was expected: end it
            with contextlib.suppress(UssdRequestError):
                row = await self._service.cancel(id_user=phone.id_user, id_ussd=row.id)
            self._failed(f"{code} answered with a menu: {row.answer!r}")
            return None
        if row.status != "done" or row.answer is None:
            self._failed(f"{code}: {row.status} ({row.error or 'no answer'})")
            return None
        amount = parse_amount(row.answer, settings.balance_pattern)
        await store.record_balance(
            self._db,
            id_phone=phone.id_phone,
            id_user=phone.id_user,
            phone=settings.name,
            amount=amount,
            answer=row.answer,
            minimum=settings.balance_min,
            now=self._clock(),
        )
        state = phone.balance
        state.answer, state.checked_at = row.answer, self._clock()
        if amount is None:
            self._failed(f"no amount in the answer {row.answer!r}")
            return None
        state.amount, state.error = amount, ""
        if self._once.clear("check_failed"):
            self._log.info("balance_check_recovered")
        self._apply(amount)
        return amount

    def _apply(self, amount: float) -> None:
        phone = self._phone
        minimum = phone.settings.balance_min
        low = minimum is not None and amount < minimum
        state = phone.balance
        if low and not state.low:
            self._log.warning("phone_balance_low", balance=amount, balance_min=minimum)
        elif not low and state.low:
            self._log.info("phone_balance_restored", balance=amount, balance_min=minimum)
        else:
            self._log.info("phone_balance", balance=amount)
        state.low = low
        if not low and phone.modem.status is PhoneStatus.NO_CREDIT:
            phone.modem.set_status(PhoneStatus.AVAILABLE)
        self._wake()

    def _failed(self, reason: str) -> None:
        self._phone.balance.error = reason
        self._once.warn(self._log, "check_failed", "balance_check_failed", error=reason)

    async def _restore(self) -> None:
        """The last stored reading, so the state (and a parked phone) survive a restart."""
        found = (await store.balances(self._db)).get(self._phone.id_phone)
        if found is None:
            return
        state = self._phone.balance
        state.amount, state.answer = found.amount, found.answer
        state.low = found.low and self._phone.settings.balance_min is not None
        with contextlib.suppress(ValueError):
            state.checked_at = parse_wall(found.checked_at)
