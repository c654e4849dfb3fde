"""What the runtime knows of a phone's SIM balance (read by /metrics, /health and other doors)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

__all__ = ["BalanceState"]


@dataclass
class BalanceState:
    """A phone's last balance reading; ``PhoneRuntime.balance``.

    ``amount`` is ``None`` until a check found one; ``checked_at`` is unix seconds of the last
    reading; ``low`` means below ``balance_min`` (the phone is parked as ``no_credit``);
    ``error`` says why the last check failed (empty when it worked). Setting ``due`` asks the
    watch to check now (a SIM-class submit error does).
    """

    amount: float | None = None
    answer: str = ""
    checked_at: float | None = None
    low: bool = False
    error: str = ""
    due: asyncio.Event = field(default_factory=asyncio.Event)
