"""The provider's SMS ids and status codes, from the core's history entries.

Ids
---
The provider names every SMS, sent or received, by one integer. The core has three kinds of
entry (:mod:`smsd.store.history`), each with its own ids; this door writes ``core id * 10 +
kind digit`` and reads it back:

======  ============================================================  ================
digit   entry                                                         example
======  ============================================================  ================
1       a submission (addsms, smstosend, addalotofsms: one number)    scheduled 42 → 421
2       one recipient of a newsletter (savepaket) or other campaign   sended 42 → 422
5       a received SMS (the provider's status 5, "incoming")          received 42 → 425
======  ============================================================  ================

Statuses
--------
The provider's codes come from its phone application's life of an SMS; the core's states map
to them as follows (the mapping table is :data:`STATUS_TABLE`):

=================================  ====  ==============================================
core state                         code  provider's meaning
=================================  ====  ==============================================
scheduled (waiting for its time)   1     waiting ("En attente de SMS")
queued                             3     queued for sending
sending (given to a modem)         2     taken by the phone
sent (the network took it)         6     sent by the phone
delivered (status report)          7     delivered
failed, the network reported it    8     not delivered
failed, reason "not registered"    10    not sent: no service
failed, reason "insufficient …"    101   not allowed (the user's credit ran out)
failed, any other reason           9     not sent: generic failure
unknown (interrupted by a crash)   9     not sent: generic failure (never sent twice)
dropped (STOP list, empty text)    100   not allowed
received                           5     incoming
=================================  ====  ==============================================

Codes 11 (null PDU) and 12 (radio off) describe an Android radio and have no modem counterpart
here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from smsd.store.history import HistoryEntry, Kind

__all__ = [
    "KIND_DIGITS",
    "STATUS_TABLE",
    "TITLES",
    "door_id",
    "entry_of",
    "status_of",
]

KIND_DIGITS: Final[dict[Kind, int]] = {"submission": 1, "recipient": 2, "received": 5}
_KINDS: Final[dict[int, Kind]] = {digit: kind for kind, digit in KIND_DIGITS.items()}

STATUS_TABLE: Final[dict[str, int]] = {
    "scheduled": 1,
    "queued": 3,
    "sending": 2,
    "sent": 6,
    "delivered": 7,
    "failed": 9,
    "unknown": 9,
    "dropped": 100,
    "received": 5,
}
"""Core state → provider code; ``failed`` is refined by :func:`status_of`."""
NOT_DELIVERED = 8
NO_SERVICE = 10
NOT_ALLOWED_CREDIT = 101

TITLES: Final[dict[int, str]] = {
    1: "waiting",
    2: "sending",
    3: "queued",
    5: "incoming",
    6: "sent",
    7: "delivered",
    8: "not delivered",
    9: "not sent",
    10: "not sent: no service",
    11: "not sent: null pdu",
    12: "not sent: radio off",
    100: "not allowed",
    101: "not allowed",
}
"""Each code's title (``statustitle``, ``status_description``)."""


def status_of(entry: HistoryEntry) -> int:
    """The provider's status code of a history entry."""
    if entry.state == "failed":
        if entry.report_failed:
            return NOT_DELIVERED
        reason = entry.reason or ""
        if "not registered" in reason:
            return NO_SERVICE
        if reason.startswith("insufficient credit"):
            return NOT_ALLOWED_CREDIT
    return STATUS_TABLE.get(entry.state, 9)


def door_id(entry: HistoryEntry) -> int:
    """The provider's id of an entry."""
    return entry.id * 10 + KIND_DIGITS[entry.kind]


def entry_of(sms_id: int) -> tuple[Kind, int] | None:
    """The kind and core id an id of this door names, or ``None``."""
    if sms_id <= 0:
        return None
    kind = _KINDS.get(sms_id % 10)
    return None if kind is None else (kind, sms_id // 10)
