"""The bridge's topic names, all under ``[mqtt] base_topic`` (``smsd`` below).

=============================  ==========================================================
``smsd/status``                ``online`` (retained, after every connection) / ``offline``
                               (clean stop, and the broker's last will)
``smsd/send``                  command in: JSON ``{"to", "text", "phone"?, "priority"?}``
``smsd/send/<digits>``         command in: the text, to ``+<digits>``
``smsd/send/result``           the outcome of each command (scheduled id, or an error)
``smsd/received``              each received SMS (also ``smsd/phone/<name>/received``)
``smsd/sent/<id>``             each change of an outgoing message's state
``smsd/call``                  each inbound call
``smsd/phone/<name>/state``    a phone's state (JSON), on change and at a bounded rate
``smsd/state``                 daemon-wide figures (queue depth, messages sent today)
=============================  ==========================================================

MQTT forbids ``+`` and ``#`` in topic names, hence numbers without their ``+``; a phone name
(letters, digits, ``.``, ``_``, ``-``) is used as is, its ``.`` written ``_``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Topics", "slug"]

_NOT_WORD = re.compile(r"[^A-Za-z0-9_-]")


def slug(name: str) -> str:
    """A phone name as one topic level and Home Assistant object id (``[A-Za-z0-9_-]``)."""
    return _NOT_WORD.sub("_", name) or "_"


@dataclass(frozen=True)
class Topics:
    """Every topic the bridge uses, from the base topic."""

    base: str

    @property
    def status(self) -> str:
        """Availability."""
        return f"{self.base}/status"

    @property
    def send(self) -> str:
        """JSON send commands."""
        return f"{self.base}/send"

    @property
    def send_to(self) -> str:
        """Plain-text send commands (subscription filter)."""
        return f"{self.base}/send/+"

    @property
    def result(self) -> str:
        """Outcomes of send commands."""
        return f"{self.base}/send/result"

    @property
    def received(self) -> str:
        """Received messages."""
        return f"{self.base}/received"

    @property
    def call(self) -> str:
        """Inbound calls."""
        return f"{self.base}/call"

    @property
    def daemon_state(self) -> str:
        """Daemon-wide figures."""
        return f"{self.base}/state"

    def sent(self, id_sended: int) -> str:
        """State changes of one outgoing message."""
        return f"{self.base}/sent/{id_sended}"

    def phone(self, name: str) -> str:
        """The root of one phone's topics."""
        return f"{self.base}/phone/{slug(name)}"

    def phone_state(self, name: str) -> str:
        """One phone's state."""
        return f"{self.phone(name)}/state"

    def phone_received(self, name: str) -> str:
        """Messages one phone received (the Home Assistant event entity's topic)."""
        return f"{self.phone(name)}/received"

    def number_of(self, topic: str) -> str | None:
        """The ``+<digits>`` of a plain-text command topic, or ``None`` if it is not one."""
        prefix = f"{self.base}/send/"
        if not topic.startswith(prefix):
            return None
        digits = topic.removeprefix(prefix)
        return f"+{digits}" if digits.isascii() and digits.isdigit() else None
