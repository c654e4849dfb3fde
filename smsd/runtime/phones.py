"""What the runtime knows about each phone: its settings, its modem, and its pacing state."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsd.model import PhoneStatus
from smsd.scheduling import Candidate, Limit

if TYPE_CHECKING:
    from smsd.modem.driver import Modem


@dataclass(frozen=True)
class PhoneSettings:
    """A phone as configured: how to reach its modem and how to use it."""

    name: str
    device: str
    baudrate: int = 115200
    pin: str | None = None
    priority: int = 0
    delivery_reports: bool = True
    min_interval: float = 0.0
    """Seconds between two messages leaving this phone (operators block SIMs that send too fast)."""
    retries: int = 3
    """Temporary failures tolerated per message before it fails."""
    limits: tuple[Limit, ...] = ()
    poll_interval: float = 60.0
    health_interval: float = 30.0
    command_timeout: float = 5.0
    submit_timeout: float = 60.0


@dataclass
class PhoneRuntime:
    """One phone while the daemon runs."""

    id_phone: int
    id_user: int
    settings: PhoneSettings
    modem: Modem
    work: asyncio.Event = field(default_factory=asyncio.Event)
    busy: bool = False
    last_send: float | None = None
    limit_reached: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def available(self) -> bool:
        """Connected, registered, and within its limits."""
        return (
            self.modem.ready.is_set()
            and self.modem.status is PhoneStatus.AVAILABLE
            and not self.limit_reached
        )

    @property
    def status(self) -> PhoneStatus:
        """The RaspiSMS status to show for this phone."""
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
