"""Settings of what smsd does with received messages and e-mail: rules, commands, SMTP both ways.

``[[rules]]`` (a user's incoming rules, see :mod:`smsd.matching`), ``[[commands]]`` (RaspiSMS's
SMS commands), ``[smtp]`` (the mail server SMS are forwarded through) and ``[email_in]`` (the
listener turning mail into SMS). Read by :mod:`smsd.config.inbound_reading`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smsd.config.settings import TcpListen

if TYPE_CHECKING:
    from smsd.matching import Rule

__all__ = ["EmailInConfig", "RuleConfig", "SmtpConfig", "TlsMode"]

TlsMode = bool | None


@dataclass(frozen=True)
class RuleConfig:
    """``[[rules]]``: one rule and the e-mail of the user whose received messages it sees."""

    user: str
    rule: Rule


@dataclass(frozen=True)
class SmtpConfig:
    """``[smtp]``: the mail server used to send e-mail (rules' ``email``, ``transfer``)."""

    host: str = "127.0.0.1"
    port: int = 25
    from_address: str = "smsd@localhost"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: TlsMode = None
    """``True``: require STARTTLS; ``False``: never; ``None`` (absent): when offered."""
    tls: bool = False
    """Implicit TLS from the first byte (port 465)."""
    timeout: float = 30.0


@dataclass(frozen=True)
class EmailInConfig:
    """``[email_in]``: the SMTP listener where mail to ``<number>@<domain>`` becomes an SMS."""

    enabled: bool = False
    listen: TcpListen = TcpListen("127.0.0.1", 2525)  # noqa: RUF009 - frozen, shared safely
    domain: str = "sms.local"
    allowed_senders: tuple[str, ...] = ()
    """Envelope senders accepted (empty: any sender that authenticates)."""
    max_size: int = 256 * 1024
    """Largest mail accepted, in bytes."""
    max_length: int = 1600
    """Longest SMS text made of a mail (longer texts are cut)."""
