"""Structured logging with structlog, made for journald.

On a terminal the console renderer is used; otherwise (under systemd) each event is one
``key=value`` line prefixed with ``<N>``, the syslog priority, so ``journalctl -p warning`` filters.
Modem and message ids are bound with contextvars by the code that owns them.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Literal

import structlog

if TYPE_CHECKING:
    from collections.abc import MutableMapping

LogFormat = Literal["auto", "console", "journal", "json"]

# RFC 5424 severities, as sd-daemon(3) reads them from a "<N>" line prefix.
_SYSLOG_PRIORITY = {
    "critical": 2,
    "exception": 3,
    "error": 3,
    "warning": 4,
    "info": 6,
    "debug": 7,
}


def _syslog_prefix(
    _logger: object, method_name: str, event_dict: MutableMapping[str, object]
) -> MutableMapping[str, object]:
    """Put the ``<N>`` priority prefix in front of the rendered line."""
    event_dict["_priority"] = _SYSLOG_PRIORITY.get(method_name, 6)
    return event_dict


_KEY_VALUES = structlog.processors.KeyValueRenderer(
    key_order=["event", "modem"], drop_missing=True, sort_keys=False
)


def _render_journal(_logger: object, _name: str, event_dict: MutableMapping[str, object]) -> str:
    priority = event_dict.pop("_priority", 6)
    return f"<{priority}>{_KEY_VALUES(_logger, _name, event_dict)}"


def configure(fmt: LogFormat = "auto", *, level: int | str = logging.INFO) -> None:
    """Configure structlog once for the whole process (``level`` as a number or a name)."""
    if isinstance(level, str):
        level = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    if fmt == "auto":
        fmt = "console" if sys.stdout.isatty() else "journal"
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.format_exc_info,
    ]
    renderer: structlog.typing.Processor
    if fmt == "console":
        shared.insert(1, structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=False))
        renderer = structlog.dev.ConsoleRenderer()
    elif fmt == "json":
        shared.insert(1, structlog.processors.TimeStamper(fmt="iso", utc=True))
        renderer = structlog.processors.JSONRenderer()
    else:
        shared.append(_syslog_prefix)
        renderer = _render_journal
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )


class LogOnce:
    """Log a repeated condition at WARNING the first time, then at DEBUG until it clears."""

    def __init__(self) -> None:
        self._active: set[str] = set()

    def warn(
        self, log: structlog.typing.FilteringBoundLogger, key: str, event: str, **kw: object
    ) -> None:
        """Log ``event`` at WARNING unless ``key`` is already active, then at DEBUG."""
        if key in self._active:
            log.debug(event, **kw)
        else:
            self._active.add(key)
            log.warning(event, **kw)

    def clear(self, key: str) -> bool:
        """Forget ``key``; return whether it was active (so the caller can log "back")."""
        if key in self._active:
            self._active.discard(key)
            return True
        return False
