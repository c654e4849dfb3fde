r"""Credits a message costs against a quota, counted as RaspiSMS counts them.

RaspiSMS charges ``ceil(len / 160)`` credits when every character is in the GSM 03.38 default
alphabet, ``ceil(len / 70)`` otherwise. It does not use the 153 / 67 characters of a part of a
concatenated message, and counts the extension table's characters (``€ [ ] { } ~ ^ \ |``) as
Unicode. An empty text costs one credit (a message still goes out).
"""

from __future__ import annotations

import math

from smsd.pdu.gsm7 import DEFAULT_ALPHABET

__all__ = ["GSM_CREDIT", "UNICODE_CREDIT", "credits_for"]

GSM_CREDIT = 160
UNICODE_CREDIT = 70
_GSM = frozenset(DEFAULT_ALPHABET)


def credits_for(text: str) -> int:
    """Credits ``text`` costs, at least one."""
    size = GSM_CREDIT if all(c in _GSM for c in text) else UNICODE_CREDIT
    return max(1, math.ceil(len(text) / size))
