"""Outgoing messages: check the PDU the host typed after ``> `` and hand it to the network.

27.005 §3.5.1: the host sends the SMSC address octets then the TPDU, whose length in octets it
announced in ``AT+CMGS=<length>``; a wrong length or an undecodable PDU is
``+CMS ERROR: 304`` (invalid PDU mode parameter), as real modems answer. The network then
refuses (no service 331, SMSC unknown 330, the queued ``Faults.cms_errors``) or accepts and
the modem answers the TP-MR it assigned.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

from smsd import pdu
from smsd.modem.virtual.results import Refusal
from smsd.modem.virtual.state import PendingReport, SubmittedPdu

if TYPE_CHECKING:
    from smsd.modem.virtual.state import ModemState

INVALID_PDU = 304
MAX_TPDU_LENGTH = 164  # 23.040 SMS-SUBMIT: 7 header octets + 12 address + 7 VP + 1 UDL + 140 UD
_HEX_DIGITS = frozenset(string.hexdigits)


def parse_submission(text: str, announced: int) -> tuple[bytes, pdu.Submit]:
    """Decode the typed PDU hex; refuse with 304 unless it is an SMS-SUBMIT of ``announced``."""
    if not text or len(text) % 2 or not _HEX_DIGITS.issuperset(text):
        raise Refusal.cms(INVALID_PDU)
    raw = bytes.fromhex(text)
    if len(raw) - 1 - raw[0] != announced:
        raise Refusal.cms(INVALID_PDU)
    try:
        message = pdu.decode(raw)
    except pdu.PDUError as exc:
        raise Refusal.cms(INVALID_PDU) from exc
    if not isinstance(message, pdu.Submit):
        raise Refusal.cms(INVALID_PDU)
    return raw, message


def submit_to_network(state: ModemState, raw: bytes, message: pdu.Submit, *, now: float) -> int:
    """Send one SMS-SUBMIT: refuse like the network would, or record it and return its TP-MR."""
    if not state.is_registered():
        raise Refusal.cms(331)
    if message.smsc is None and not state.smsc:
        raise Refusal.cms(330)
    if state.faults.cms_errors:
        raise Refusal.cms(state.faults.cms_errors.pop(0))
    reference = state.take_reference()
    state.submitted.append(SubmittedPdu(raw.hex().upper(), message, reference, now))
    if message.status_report_request and state.faults.status_reports:
        state.pending_reports.append(PendingReport(reference, message.destination))
    return reference


__all__ = ["INVALID_PDU", "MAX_TPDU_LENGTH", "parse_submission", "submit_to_network"]
