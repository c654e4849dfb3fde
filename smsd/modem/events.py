"""What a modem hands up: received messages, status reports, undecodable PDUs, call events."""

from __future__ import annotations

from dataclasses import dataclass

from smsd import pdu
from smsd.modem.calls import CallEnded, IncomingCall


@dataclass(frozen=True)
class ReceivedSms:
    """One received SMS-DELIVER (one segment of a possibly longer message)."""

    modem: str
    pdu_hex: str
    message: pdu.Deliver
    storage_index: int | None = None


@dataclass(frozen=True)
class ReceivedReport:
    """One SMS-STATUS-REPORT for a message this modem submitted."""

    modem: str
    pdu_hex: str
    report: pdu.StatusReport
    storage_index: int | None = None


@dataclass(frozen=True)
class UndecodablePdu:
    """A PDU the codec refused; kept so that nothing the modem received is silently lost."""

    modem: str
    pdu_hex: str
    error: str
    storage_index: int | None = None


Received = ReceivedSms | ReceivedReport | UndecodablePdu
"""What the modem's storage or a ``+CMT``/``+CDS`` line holds."""

Incoming = Received | IncomingCall | CallEnded
"""Everything a modem hands up: received PDUs and call events."""


def decode_incoming(
    modem: str, pdu_hex: str, *, tpdu_length: int | None = None, storage_index: int | None = None
) -> Received | None:
    """Decode a PDU from storage or from a ``+CMT``/``+CDS`` line.

    ``tpdu_length`` (the length a ``+CMT``/``+CDS`` header announces) tells whether the modem put
    the SMSC octets in front: some do, some do not. A stored SMS-SUBMIT (the SIM's sent folder)
    gives ``None``: it is not ours to hand up.
    """
    hex_text = pdu_hex.strip()
    with_smsc = tpdu_length is None or len(hex_text) // 2 != tpdu_length
    try:
        decoded = pdu.decode(hex_text, smsc=with_smsc)
    except pdu.PDUError as exc:
        return UndecodablePdu(modem, hex_text, str(exc), storage_index)
    if isinstance(decoded, pdu.Deliver):
        return ReceivedSms(modem, hex_text, decoded, storage_index)
    if isinstance(decoded, pdu.StatusReport):
        return ReceivedReport(modem, hex_text, decoded, storage_index)
    return None
