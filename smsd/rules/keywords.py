"""STOP and START keywords of incoming messages.

RaspiSMS adds the sender to the user's STOP list when a message's text, trimmed (PHP ``trim``:
space, tab, CR, LF, NUL, vertical tab) and in any case, is ``stop`` or ``stop sms``. smsd also
takes the French ``ARRET`` / ``ARRÊT`` (alone or followed by ``SMS``) as STOP, and ``START``
(alone or followed by ``SMS``) to leave the list.
"""

from __future__ import annotations

import enum

__all__ = ["Keyword", "keyword_of"]

_TRIM = " \t\n\r\0\x0b"


class Keyword(enum.Enum):
    """What an incoming text asks for."""

    STOP = "stop"
    START = "start"


_WORDS = {
    "stop": Keyword.STOP,
    "stop sms": Keyword.STOP,
    "arret": Keyword.STOP,
    "arrêt": Keyword.STOP,
    "arret sms": Keyword.STOP,
    "arrêt sms": Keyword.STOP,
    "start": Keyword.START,
    "start sms": Keyword.START,
}


def keyword_of(text: str) -> Keyword | None:
    """The keyword ``text`` is, or ``None`` for an ordinary message."""
    return _WORDS.get(text.strip(_TRIM).lower())
