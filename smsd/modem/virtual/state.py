"""Everything the virtual modem remembers between two commands.

Split in two: :class:`Settings` (what ``ATZ``/``AT&F`` and a reset restore) and
:class:`ModemState` (SIM, storage, counters, queues), shared by the command handlers and the
responder. Plain mutable data; the rules live in the modules that change it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from smsd.modem.virtual.ussd import UssdOperator

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from smsd.modem.virtual.faults import Faults
    from smsd.modem.virtual.identity import Identity
    from smsd.modem.virtual.storage import Memory
    from smsd.pdu import Submit

REFERENCE_MODULUS = 256  # TP-MR is one octet (23.040 §9.2.3.6)
URC_BUFFER_LIMIT = 64  # URCs held while CNMI mode 0 buffers them; the oldest are dropped
NETWORK_QUEUE_LIMIT = 1000  # messages the SMSC keeps for a full ME; the oldest expire


class SimState(enum.Enum):
    """What ``AT+CPIN?`` reports."""

    READY = "READY"
    SIM_PIN = "SIM PIN"
    SIM_PUK = "SIM PUK"


@dataclass(frozen=True)
class Cnmi:
    """27.005 ``AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>``."""

    mode: int = 0
    mt: int = 0
    bm: int = 0
    ds: int = 0
    bfr: int = 0

    def __str__(self) -> str:
        return f"{self.mode},{self.mt},{self.bm},{self.ds},{self.bfr}"


@dataclass
class Settings:
    """Settings a reset (``ATZ``, ``AT&F``, ``AT+CFUN=1,1``) puts back to their power-on values."""

    cmee: int = 1
    cnmi: Cnmi = field(default_factory=Cnmi)
    creg: int = 0
    cgreg: int = 0
    cops_format: int = 0
    csms: int = 0
    cscs: str = "IRA"
    cmms: int = 0
    curc: int = 1
    portsel: int = 0
    clip: int = 0
    crc: int = 0
    s_registers: dict[int, int] = field(default_factory=lambda: {0: 0, 3: 13, 4: 10, 5: 8})

    def copy(self) -> Settings:
        """An independent copy (the S-register table is not shared)."""
        return replace(self, s_registers=dict(self.s_registers))


@dataclass(frozen=True)
class SubmittedPdu:
    """A PDU the host submitted with ``AT+CMGS`` (or ``AT+CMSS``) and the network accepted."""

    pdu_hex: str
    decoded: Submit
    reference: int
    at: float

    @property
    def submit(self) -> Submit:
        """The decoded SMS-SUBMIT (same as :attr:`decoded`)."""
        return self.decoded


@dataclass(frozen=True)
class PendingReport:
    """A status report the network owes for a submit that asked for one."""

    reference: int
    recipient: str


@dataclass
class RingingCall:
    """A voice call ringing at the modem (the network side of :meth:`VirtualModem.ring`)."""

    number: str | None
    end_urc: str | None = None


@dataclass
class ModemState:
    """Mutable state of one virtual modem."""

    faults: Faults
    identity: Identity
    number: str | None
    smsc: str | None
    memories: dict[str, Memory]
    clock: Callable[[], datetime]
    power_on: Settings
    puk: str = "12345678"
    unsupported_reply: str = "ERROR"
    settings: Settings = field(default_factory=Settings)
    cpms: list[str] = field(default_factory=lambda: ["SM", "SM", "SM"])
    sim_unlocked: bool = False
    pin_tries: int = 3
    puk_tries: int = 10
    cfun: int = 1
    next_reference: int = 0
    next_concat_reference: int = 0
    cnma_expected: int = 0
    submitted: list[SubmittedPdu] = field(default_factory=list)
    pending_reports: list[PendingReport] = field(default_factory=list)
    held_urcs: list[tuple[str, ...]] = field(default_factory=list)
    network_queue: list[tuple[bytes, int, int | None]] = field(default_factory=list)
    call: RingingCall | None = None
    hangups: list[str] = field(default_factory=list)
    ussd: UssdOperator = field(default_factory=UssdOperator)

    def sim_state(self) -> SimState:
        """``READY`` unless the SIM wants its PIN (or its PUK after three wrong PINs)."""
        if self.faults.pin is None or self.sim_unlocked:
            return SimState.READY
        return SimState.SIM_PUK if self.pin_tries <= 0 else SimState.SIM_PIN

    def is_registered(self) -> bool:
        """Registered: the fault switch allows it, the SIM is usable and the radio is on."""
        return (
            self.faults.registered
            and self.faults.sim_present
            and self.sim_state() is SimState.READY
            and self.cfun == 1
        )

    def take_reference(self) -> int:
        """The next TP-MR, 0..255 then wrapping."""
        reference = self.next_reference
        self.next_reference = (reference + 1) % REFERENCE_MODULUS
        return reference

    def hold_urc(self, lines: tuple[str, ...]) -> None:
        """Buffer an SMS URC (CNMI mode 0); the oldest go when the buffer is full."""
        self.held_urcs.append(lines)
        del self.held_urcs[:-URC_BUFFER_LIMIT]

    def reset(self) -> None:
        """Restore the power-on settings (``ATZ``); the SIM and its storage are untouched."""
        self.settings = self.power_on.copy()
        self.faults.echo = True

    def restart(self) -> None:
        """A power cycle or ``AT+CFUN=1,1``: reset, radio on, SIM locked again if it has a PIN."""
        self.reset()
        self.cfun = 1
        self.sim_unlocked = False
        self.held_urcs.clear()
        self.cnma_expected = 0
        self.call = None
        self.ussd.node = None  # the network forgets a menu the modem no longer holds


__all__ = [
    "NETWORK_QUEUE_LIMIT",
    "Cnmi",
    "ModemState",
    "PendingReport",
    "RingingCall",
    "Settings",
    "SimState",
    "SubmittedPdu",
]
