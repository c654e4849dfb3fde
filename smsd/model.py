"""Domain values shared by the layers.

A phone's status and its RaspiSMS names, a phone's live state, and an outgoing message's states
and the transitions allowed between them (the store's transitions keep to them; a test checks).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class PhoneStatus(enum.Enum):
    """A phone's (modem's) status, with the names RaspiSMS uses in its API."""

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    NO_CREDIT = "no_credit"
    LIMIT_REACHED = "limit_reached"


@dataclass(frozen=True)
class PhoneSnapshot:
    """One running phone as the daemon sees it now (for ``/metrics`` and ``/health``).

    ``status`` is the RaspiSMS status (``available``, ``unavailable`` …); ``available`` means
    connected, registered and within its limits. ``registration`` is the 3GPP TS 27.007
    ``+CREG`` state in lower case (``registered_home``, ``searching`` …). ``rssi`` is the raw
    ``+CSQ`` <rssi> and ``signal_dbm`` its dBm, both ``None`` when unknown. The counters
    count since the daemon started.
    """

    id_phone: int
    name: str
    status: str
    available: bool
    connected: bool
    registered: bool
    registration: str = "unknown"
    operator: str = ""
    rssi: int | None = None
    signal_dbm: int | None = None
    manufacturer: str = ""
    model: str = ""
    segments_sent: int = 0
    send_failures: int = 0
    received: int = 0
    status_reports: int = 0
    resets: int = 0
    imei: str = ""
    balance: float | None = None
    """The SIM balance the balance watch last read (``None``: not watched or not read yet)."""
    balance_low: bool = False
    """Below the phone's ``balance_min``: parked as ``no_credit``."""
    iccid: str = ""
    number: str = ""
    """The SIM's own number when the SIM knows it (``AT+CNUM``), else ``""``."""
    last_seen: float | None = None
    """Unix seconds the modem last answered a network check (``None``: never)."""


class MessageState(enum.StrEnum):
    """An outgoing message's state (``sended.state``); see :data:`MESSAGE_TRANSITIONS`."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNKNOWN = "unknown"


class SegmentState(enum.StrEnum):
    """One segment's state (``sended_segment.state``): a message's states but ``delivered``."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Transition:
    """Which states a message may leave through a transition, and where it may arrive."""

    sources: frozenset[MessageState]
    targets: frozenset[MessageState]


def _transition(sources: set[MessageState], targets: set[MessageState]) -> Transition:
    return Transition(frozenset(sources), frozenset(targets))


_Q, _SG, _ST = MessageState.QUEUED, MessageState.SENDING, MessageState.SENT
_D, _F, _U = MessageState.DELIVERED, MessageState.FAILED, MessageState.UNKNOWN

MESSAGE_TRANSITIONS: dict[str, Transition] = {
    "claim": _transition({_Q}, {_SG, _F}),  # failed: the user's quota cannot pay for it
    "mark_sent": _transition({_SG}, {_ST, _D, _F}),  # delivered/failed: reports came first
    "requeue": _transition({_SG}, {_Q}),
    "mark_failed": _transition({_Q, _SG}, {_F}),
    "mark_unknown": _transition({_SG}, {_U}),
    "record_report": _transition({_ST}, {_D, _F}),
    "recover_interrupted": _transition({_SG}, {_U, _Q}),  # queued only with at_least_once
    "simulate_sandbox": _transition({_Q}, {_D}),  # sandbox messages only, never on a modem
    "cancel_campaign": _transition({_Q}, {_F}),  # the queued messages of a cancelled campaign
}
"""Every transition of an outgoing message, named as the store's transactions are
(:mod:`smsd.store.outbox`; ``simulate_sandbox`` in :mod:`smsd.store.sandbox`,
``cancel_campaign`` in :mod:`smsd.store.campaign_edits`); a transition asked from another state
changes nothing. Nothing leaves ``failed``, ``delivered`` or ``unknown``."""
