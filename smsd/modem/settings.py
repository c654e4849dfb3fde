"""What a modem is configured with, and what it counted since the daemon started."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.modem.events import Received, ReceivedReport, ReceivedSms

if TYPE_CHECKING:
    import structlog

    from smsd import pdu


@dataclass(frozen=True)
class ModemConfig:
    """How to reach and treat one modem."""

    name: str
    device: str
    baudrate: int = 115200
    pin: str | None = None
    poll_interval: float = 60.0
    """Seconds between full sweeps of the modem's storage."""
    health_interval: float = 30.0
    """Seconds between health checks (``AT``, registration, signal)."""
    command_timeout: float = 5.0
    submit_timeout: float = 60.0
    probe_attempts: int = 5
    backoff_initial: float = 1.0
    backoff_cap: float = 300.0
    hangup_calls: bool = True
    """Reject incoming calls (``ATH``) once the caller is known; they are recorded either way."""


@dataclass
class Counters:
    """What the modem did since the daemon started."""

    segments_sent: int = 0
    send_failures: int = 0
    received: int = 0
    status_reports: int = 0
    undecodable: int = 0
    resets: int = 0


def count_incoming(
    incoming: Received, counters: Counters, log: structlog.typing.FilteringBoundLogger
) -> None:
    """Count and log one message, report or undecodable PDU the modem hands up."""
    if isinstance(incoming, ReceivedSms):
        counters.received += 1
        log.info(
            "sms_received",
            sender=incoming.message.sender,
            concat=_concat_label(incoming.message.concat),
        )
    elif isinstance(incoming, ReceivedReport):
        counters.status_reports += 1
        log.info(
            "status_report_received",
            reference=incoming.report.reference,
            status=incoming.report.status,
            delivered=incoming.report.delivered,
        )
    else:
        counters.undecodable += 1
        log.warning("pdu_undecodable", pdu=incoming.pdu_hex, error=incoming.error)


def _concat_label(concat: pdu.Concat | None) -> str | None:
    if concat is None:
        return None
    return f"{concat.reference}:{concat.sequence}/{concat.total}"


__all__ = ["Counters", "ModemConfig", "count_incoming"]
