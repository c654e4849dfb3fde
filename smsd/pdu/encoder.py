"""Building SMS-SUBMIT, SMS-DELIVER and SMS-STATUS-REPORT PDUs.

The `encode_*` functions take plain values and choose the alphabet and the
segmentation; `encode` writes back a decoded message field for field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from smsd.pdu import address, gsm7, scts, segments, udh, userdata
from smsd.pdu.dcs import Encoding, decode_dcs, encode_dcs
from smsd.pdu.errors import PduEncodeError
from smsd.pdu.tpdu import VPF_ABSOLUTE, VPF_NONE, VPF_RELATIVE, Deliver, StatusReport, Submit

__all__ = ["EncodedPdu", "encode", "encode_deliver", "encode_status_report", "encode_submit"]


@dataclass(frozen=True, slots=True)
class EncodedPdu:
    """A PDU ready for AT+CMGS: SMSC part + TPDU, and the TPDU length."""

    pdu: bytes
    tpdu_length: int

    @property
    def hex(self) -> str:
        """Upper-case hex, as written after the AT+CMGS prompt."""
        return self.pdu.hex().upper()


def _payload(
    text: str | None, data: bytes | None, encoding: Encoding | None
) -> tuple[bytes, Encoding]:
    if data is not None:
        if text is not None:
            raise PduEncodeError("give text or data, not both", field="text")
        if encoding not in (None, Encoding.DATA8):
            raise PduEncodeError("binary data needs the 8-bit encoding", field="encoding")
        return bytes(data), Encoding.DATA8
    if text is None:
        raise PduEncodeError("nothing to send: give text or data", field="text")
    chosen = segments.choose_encoding(text, encoding)
    return segments.to_payload(text, chosen), chosen


def _check_class(message_class: int | None) -> None:
    if message_class is not None and message_class not in (0, 1, 2, 3):
        raise PduEncodeError("message class must be 0..3", field="message_class")


def _byte(value: int, field: str) -> int:
    if not 0 <= value <= 0xFF:
        raise PduEncodeError(f"{field} must be 0..255", field=field)
    return value


def _segments(
    prefix: bytes,
    first: int,
    middle: bytes,
    payload: bytes,
    encoding: Encoding,
    *,
    ports: udh.Ports | None,
    concat_reference: int,
    concat_16bit: bool,
) -> list[EncodedPdu]:
    chunks, base, bits = segments.plan(payload, encoding, ports=ports, concat_16bit=concat_16bit)
    total = len(chunks)
    out: list[EncodedPdu] = []
    for sequence, chunk in enumerate(chunks, 1):
        elements = list(base)
        if bits:
            concat = udh.Concat(concat_reference, total, sequence, bits)
            elements.insert(0, udh.concat_element(concat))
        udl, ud = userdata.build(encoding, chunk, tuple(elements))
        head = bytes((first | (0x40 if elements else 0),))
        pdu = prefix + head + middle + bytes((udl,)) + ud
        out.append(EncodedPdu(pdu, len(pdu) - len(prefix)))
    return out


def _validity(validity: timedelta | datetime | None) -> tuple[int, bytes]:
    if validity is None:
        return VPF_NONE, b""
    if isinstance(validity, datetime):
        return VPF_ABSOLUTE, scts.encode_timestamp(validity, "validity")
    return VPF_RELATIVE, bytes((scts.encode_relative_validity(validity),))


def encode_submit(
    destination: str,
    text: str | None = None,
    *,
    data: bytes | None = None,
    smsc: str | None = None,
    reference: int = 0,
    request_status_report: bool = False,
    validity: timedelta | datetime | None = None,
    message_class: int | None = None,
    encoding: Encoding | None = None,
    concat_reference: int = 0,
    concat_16bit: bool = False,
    reject_duplicates: bool = False,
    ports: udh.Ports | None = None,
    destination_toa: int | None = None,
    smsc_toa: int | None = None,
) -> list[EncodedPdu]:
    """SMS-SUBMIT PDUs, one per segment (a single segment carries no UDH).

    `validity` is relative (timedelta, rounded up to the next TP-VP step) or
    absolute (aware datetime). `destination_toa` / `smsc_toa` override the
    type-of-address octet (default 0x91 for '+digits', 0x81 otherwise).
    """
    _check_class(message_class)
    payload, chosen = _payload(text, data, encoding)
    smsc_part = address.encode_smsc(smsc, toa=smsc_toa)
    vpf, vp = _validity(validity)
    first = 0x01 | (0x04 if reject_duplicates else 0) | (vpf << 3)
    first |= 0x20 if request_status_report else 0
    head = bytes((_byte(reference, "reference"),))
    middle = address.encode_tp_address(destination, toa=destination_toa, field="destination")
    middle += bytes((0x00, encode_dcs(chosen, message_class))) + vp
    return _segments(
        smsc_part,
        first,
        head + middle,
        payload,
        chosen,
        ports=ports,
        concat_reference=concat_reference,
        concat_16bit=concat_16bit,
    )


def encode_deliver(
    sender: str,
    text: str | None = None,
    *,
    data: bytes | None = None,
    timestamp: datetime,
    smsc: str | None = None,
    encoding: Encoding | None = None,
    message_class: int | None = None,
    concat_reference: int = 0,
    concat_16bit: bool = False,
    ports: udh.Ports | None = None,
    sender_toa: int | None = None,
    smsc_toa: int | None = None,
) -> list[EncodedPdu]:
    """SMS-DELIVER PDUs, one per segment; `sender` may be alphanumeric."""
    _check_class(message_class)
    payload, chosen = _payload(text, data, encoding)
    smsc_part = address.encode_smsc(smsc, toa=smsc_toa)
    middle = address.encode_tp_address(
        sender, toa=sender_toa, allow_alphanumeric=True, field="sender"
    )
    middle += bytes((0x00, encode_dcs(chosen, message_class)))
    middle += scts.encode_timestamp(timestamp)
    return _segments(
        smsc_part,
        0x04,  # SMS-DELIVER, TP-MMS: no more messages waiting
        middle,
        payload,
        chosen,
        ports=ports,
        concat_reference=concat_reference,
        concat_16bit=concat_16bit,
    )


def encode_status_report(
    reference: int,
    recipient: str,
    status: int,
    *,
    timestamp: datetime,
    discharge_time: datetime,
    smsc: str | None = None,
    recipient_toa: int | None = None,
) -> EncodedPdu:
    """An SMS-STATUS-REPORT without the optional parameters."""
    smsc_part = address.encode_smsc(smsc)
    tpdu = bytes((0x06, _byte(reference, "reference")))
    tpdu += address.encode_tp_address(recipient, toa=recipient_toa, field="recipient")
    tpdu += scts.encode_timestamp(timestamp)
    tpdu += scts.encode_timestamp(discharge_time, "discharge_time")
    tpdu += bytes((_byte(status, "status"),))
    return EncodedPdu(smsc_part + tpdu, len(tpdu))


def _toa(ton: int | None, npi: int | None) -> int | None:
    if ton is None:
        return None
    return 0x80 | ((ton & 0x7) << 4) | ((npi or 0) & 0xF)


def _user_data(message: Deliver | Submit | StatusReport, dcs: int) -> tuple[int, bytes]:
    coding = decode_dcs(dcs)
    header = udh.parse(udh.build(message.udh)[1:], 0) if message.udh else udh.EMPTY
    if message.text is not None and coding.encoding is Encoding.GSM7:
        try:
            payload = gsm7.encode_septets(message.text, header.locking_shift, header.single_shift)
        except (UnicodeEncodeError, KeyError):
            raise PduEncodeError(
                "text not representable in the DCS alphabet", field="text"
            ) from None
    elif message.text is not None:
        payload = segments.to_payload(message.text, Encoding.UCS2)
    else:
        payload = message.data or b""
        if coding.encoding is Encoding.GSM7 and not coding.compressed:
            raise PduEncodeError("GSM 7-bit DCS needs text", field="text")
    encoding = (
        Encoding.GSM7
        if coding.encoding is Encoding.GSM7 and not coding.compressed
        else (Encoding.DATA8)
    )
    return userdata.build(encoding, payload, message.udh)


def encode(message: Deliver | Submit | StatusReport) -> EncodedPdu:
    """Write a message back, field for field (the inverse of `decode`)."""
    smsc_part = address.encode_smsc(message.smsc, toa=_toa(message.smsc_ton, message.smsc_npi))
    udhi = 0x40 if message.udh else 0
    if isinstance(message, StatusReport):
        first = (
            0x02 | (0 if message.more_messages else 0x04) | (0x08 if message.loop_prevention else 0)
        )
        first |= (0x20 if message.qualifier else 0) | udhi
        tpdu = bytes((first, message.reference))
        tpdu += address.encode_tp_address(
            message.recipient, toa=_toa(message.recipient_ton, message.recipient_npi)
        )
        tpdu += scts.encode_timestamp(message.timestamp)
        tpdu += scts.encode_timestamp(message.discharge_time, "discharge_time")
        tpdu += bytes((message.status,))
        indicator = (message.pid is not None) | (message.dcs is not None) << 1
        has_ud = message.text is not None or message.data is not None or bool(message.udh)
        indicator |= has_ud << 2
        if indicator:
            tpdu += bytes((indicator,))
            tpdu += bytes((message.pid,)) if message.pid is not None else b""
            tpdu += bytes((message.dcs,)) if message.dcs is not None else b""
            if has_ud:
                udl, ud = _user_data(message, message.dcs or 0)
                tpdu += bytes((udl,)) + ud
        return EncodedPdu(smsc_part + tpdu, len(tpdu))
    udl, ud = _user_data(message, message.dcs)
    if isinstance(message, Submit):
        first = 0x01 | (0x04 if message.reject_duplicates else 0) | (message.validity_format << 3)
        first |= (0x20 if message.status_report_request else 0) | udhi
        first |= 0x80 if message.reply_path else 0
        tpdu = bytes((first, message.reference))
        tpdu += address.encode_tp_address(
            message.destination, toa=_toa(message.destination_ton, message.destination_npi)
        )
        tpdu += bytes((message.pid, message.dcs)) + message.validity_octets
    else:
        first = (0 if message.more_messages else 0x04) | (0x08 if message.loop_prevention else 0)
        first |= (0x20 if message.status_report_indication else 0) | udhi
        first |= 0x80 if message.reply_path else 0
        tpdu = bytes((first,))
        tpdu += address.encode_tp_address(
            message.sender,
            toa=_toa(message.sender_ton, message.sender_npi),
            allow_alphanumeric=True,
        )
        tpdu += bytes((message.pid, message.dcs)) + scts.encode_timestamp(message.timestamp)
    tpdu += bytes((udl,)) + ud
    return EncodedPdu(smsc_part + tpdu, len(tpdu))
