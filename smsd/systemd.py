"""The sd_notify protocol: tell systemd we are ready, alive, busy, or stopping.

The protocol is one datagram of ``KEY=value`` lines sent to the ``AF_UNIX`` socket named by
``$NOTIFY_SOCKET`` (a path, or an abstract-namespace name when it starts with ``@``). When the
variable is unset the daemon is not run by systemd as ``Type=notify`` and every call is a no-op.
A notification is advisory: a failed send never raises, it returns ``False`` and logs nothing
(the caller decides whether that deserves a log line).
"""

from __future__ import annotations

import os
import re
import socket

NOTIFY_SOCKET = "NOTIFY_SOCKET"
WATCHDOG_USEC = "WATCHDOG_USEC"
WATCHDOG_PID = "WATCHDOG_PID"

SEND_TIMEOUT = 1.0
"""Seconds a send may block when systemd's receive queue is full, before giving up."""

_FIELD_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_DECIMAL = re.compile(r"[0-9]{1,20}")


def _address() -> str | None:
    """The socket address from ``$NOTIFY_SOCKET``, or ``None`` when unset or unsupported."""
    name = os.environ.get(NOTIFY_SOCKET, "")
    if name.startswith("@"):
        return "\0" + name[1:]  # abstract namespace: the leading NUL selects it
    if name.startswith("/"):
        return name
    return None  # unset, empty, or a transport we do not speak (vsock:)


def _message(fields: dict[str, object]) -> bytes:
    """Encode ``fields`` as newline-separated ``KEY=value`` assignments."""
    if not fields:
        raise ValueError("sd_notify needs at least one field")
    lines = []
    for key, value in fields.items():
        if not _FIELD_NAME.fullmatch(key):
            raise ValueError(f"invalid sd_notify field name {key!r}")
        text = str(int(value)) if isinstance(value, bool) else str(value)
        # A newline would start a new assignment: keep each value on its one line.
        lines.append(f"{key}={' '.join(text.splitlines())}")
    return ("\n".join(lines) + "\n").encode()


def under_systemd() -> bool:
    """Whether a service manager listens for notifications (``$NOTIFY_SOCKET`` is usable)."""
    return _address() is not None


def notify(**fields: object) -> bool:
    """Send one notification, e.g. ``notify(READY=1, STATUS="serving")``.

    Returns whether the datagram was sent: ``False`` when ``$NOTIFY_SOCKET`` is unset or the send
    failed. Raises :class:`ValueError` only for a malformed field name (a programming error).
    """
    data = _message(fields)
    address = _address()
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(SEND_TIMEOUT)
            sock.sendto(data, address)
    except (OSError, ValueError):
        return False
    return True


def ready(status: str | None = None) -> bool:
    """Start-up is complete (``READY=1``), optionally with a status line."""
    if status is None:
        return notify(READY=1)
    return notify(READY=1, STATUS=status)


def stopping(status: str | None = None) -> bool:
    """Shutdown has begun (``STOPPING=1``), optionally with a status line."""
    if status is None:
        return notify(STOPPING=1)
    return notify(STOPPING=1, STATUS=status)


def watchdog() -> bool:
    """Keep-alive ping for ``WatchdogSec`` (``WATCHDOG=1``)."""
    return notify(WATCHDOG=1)


def status(text: str) -> bool:
    """A one-line status shown by ``systemctl status`` (``STATUS=...``)."""
    return notify(STATUS=text)


def watchdog_interval() -> float | None:
    """Seconds between keep-alive pings, or ``None`` when systemd expects none from us.

    Follows sd_watchdog_enabled(3): the watchdog applies when ``$WATCHDOG_USEC`` is a positive
    number of microseconds and ``$WATCHDOG_PID`` is unset or names this process; pings are
    recommended every half of that timeout, which is what this returns.
    """
    usec = _decimal(os.environ.get(WATCHDOG_USEC))
    if usec is None or usec <= 0:
        return None
    pid_text = os.environ.get(WATCHDOG_PID)
    if pid_text is not None and _decimal(pid_text) != os.getpid():
        return None
    return usec / 2 / 1_000_000


def _decimal(text: str | None) -> int | None:
    """The value of a plain ASCII decimal number, or ``None`` for anything else."""
    if text is None or not _DECIMAL.fullmatch(text):
        return None
    return int(text)
