"""What a modem is configured with, and what it counted since the daemon started."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from smsd.config import PhoneConfig
from smsd.modem.events import Received, ReceivedReport, ReceivedSms

if TYPE_CHECKING:
    import structlog

    from smsd import pdu


_PHONE = PhoneConfig(name="", device="")
"""The ``[[phones]]`` defaults: a modem's settings default to what the configuration defaults to."""


@dataclass(frozen=True)
class ModemConfig:
    """How to reach and treat one modem: the modem's share of a ``[[phones]]`` entry.

    Build it with :meth:`of` from a :class:`~smsd.config.PhoneConfig`; the fields named like
    the phone's take the phone's values, the others (probing, reconnection backoff) are the
    modem's own.
    """

    name: str
    device: str
    baudrate: int = _PHONE.baudrate
    pin: str | None = None
    poll_interval: float = _PHONE.poll_interval
    """Seconds between full sweeps of the modem's storage."""
    health_interval: float = _PHONE.health_interval
    """Seconds between health checks (``AT``, registration, signal)."""
    command_timeout: float = _PHONE.command_timeout
    submit_timeout: float = _PHONE.submit_timeout
    probe_attempts: int = 5
    backoff_initial: float = 1.0
    backoff_cap: float = 300.0
    hangup_calls: bool = _PHONE.hangup_calls
    """Reject incoming calls (``ATH``) once the caller is known; they are recorded either way."""

    @classmethod
    def of(cls, phone: PhoneConfig, **modem_only: Any) -> ModemConfig:  # noqa: ANN401 - forwarded to the dataclass
        """The modem settings of ``phone`` (``modem_only``: probing and backoff overrides)."""
        shared = {f.name: getattr(phone, f.name) for f in fields(cls) if hasattr(phone, f.name)}
        return cls(**shared, **modem_only)


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
