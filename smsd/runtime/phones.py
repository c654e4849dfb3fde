"""What the runtime knows about each phone: its settings, its modem, and its pacing state."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsd.model import PhoneStatus
from smsd.runtime.balancestate import BalanceState
from smsd.scheduling import Candidate

if TYPE_CHECKING:
    from smsd.config import PhoneConfig
    from smsd.modem.driver import Modem


@dataclass
class PhoneRuntime:
    """One phone while the daemon runs."""

    id_phone: int
    id_user: int
    settings: PhoneConfig
    modem: Modem
    work: asyncio.Event = field(default_factory=asyncio.Event)
    busy: bool = False
    last_send: float | None = None
    limit_reached: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    balance: BalanceState = field(default_factory=BalanceState)
    """The SIM balance as the balance watch last read it (``balance.amount``, ``balance.low``)."""

    @property
    def available(self) -> bool:
        """Connected, registered, within its limits, and not below its minimum balance."""
        return (
            self.modem.ready.is_set()
            and self.modem.status is PhoneStatus.AVAILABLE
            and not self.limit_reached
            and not self.balance.low
        )

    @property
    def status(self) -> PhoneStatus:
        """The RaspiSMS status to show for this phone."""
        if self.balance.low and self.modem.status is PhoneStatus.AVAILABLE:
            return PhoneStatus.NO_CREDIT
        if self.limit_reached and self.modem.status is PhoneStatus.AVAILABLE:
            return PhoneStatus.LIMIT_REACHED
        return self.modem.status

    def candidate(self) -> Candidate:
        """This phone as the sending policy sees it."""
        return Candidate(
            id_phone=self.id_phone,
            priority=self.settings.priority,
            available=self.available,
            idle=not self.busy,
        )
