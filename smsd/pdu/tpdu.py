"""SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT: 3GPP TS 23.040 section 9.2.2.

`decode` reads a PDU (optionally preceded by the SMSC address, as AT+CMGR and
+CMT give it) into one of three frozen dataclasses; `encode` writes any of
them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.pdu import address, scts, userdata
from smsd.pdu.construct import slot_filler
from smsd.pdu.dcs import Encoding, MessageWaiting, decode_dcs
from smsd.pdu.errors import PduDecodeError
from smsd.pdu.reader import check_end, ended, parse_hex, short
from smsd.pdu.report import StatusClass, status_class, status_text

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from smsd.pdu.udh import Concat, InformationElement, Ports

__all__ = ["Deliver", "StatusReport", "Submit", "decode", "parse_hex"]

MTI_DELIVER = 0
MTI_SUBMIT = 1
MTI_STATUS_REPORT = 2

VPF_NONE = 0
VPF_ENHANCED = 1
VPF_RELATIVE = 2
VPF_ABSOLUTE = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Deliver:
    """SMS-DELIVER: a message from the network to us."""

    sender: str
    timestamp: datetime
    text: str | None = None
    data: bytes | None = None
    smsc: str | None = None
    smsc_ton: int | None = None
    smsc_npi: int | None = None
    sender_ton: int = address.TON_INTERNATIONAL
    sender_npi: int = address.NPI_ISDN
    pid: int = 0
    dcs: int = 0
    encoding: Encoding = Encoding.GSM7
    message_class: int | None = None
    compressed: bool = False
    waiting: MessageWaiting | None = None
    udh: tuple[InformationElement, ...] = ()
    concat: Concat | None = None
    ports: Ports | None = None
    udl: int = 0
    more_messages: bool = False
    loop_prevention: bool = False
    reply_path: bool = False
    status_report_indication: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Submit:
    """SMS-SUBMIT: a message from us to the network (or one stored on the SIM)."""

    destination: str
    text: str | None = None
    data: bytes | None = None
    reference: int = 0
    smsc: str | None = None
    smsc_ton: int | None = None
    smsc_npi: int | None = None
    destination_ton: int = address.TON_INTERNATIONAL
    destination_npi: int = address.NPI_ISDN
    pid: int = 0
    dcs: int = 0
    encoding: Encoding = Encoding.GSM7
    message_class: int | None = None
    compressed: bool = False
    waiting: MessageWaiting | None = None
    udh: tuple[InformationElement, ...] = ()
    concat: Concat | None = None
    ports: Ports | None = None
    udl: int = 0
    validity_format: int = VPF_NONE
    validity: timedelta | datetime | None = None
    validity_octets: bytes = b""
    status_report_request: bool = False
    reject_duplicates: bool = False
    reply_path: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReport:
    """SMS-STATUS-REPORT: the fate of a message we submitted."""

    reference: int
    recipient: str
    timestamp: datetime
    discharge_time: datetime
    status: int
    smsc: str | None = None
    smsc_ton: int | None = None
    smsc_npi: int | None = None
    recipient_ton: int = address.TON_INTERNATIONAL
    recipient_npi: int = address.NPI_ISDN
    more_messages: bool = False
    loop_prevention: bool = False
    qualifier: bool = False  # TP-SRQ: report of an SMS-COMMAND
    pid: int | None = None
    dcs: int | None = None
    text: str | None = None
    data: bytes | None = None
    udh: tuple[InformationElement, ...] = ()

    @property
    def status_class(self) -> StatusClass:
        """The TP-ST class (completed, still trying, permanent, given up)."""
        return status_class(self.status)

    @property
    def delivered(self) -> bool:
        """The message reached the recipient (TP-ST 0x00..0x02)."""
        return self.status <= 0x02

    @property
    def permanent(self) -> bool:
        """Final failure: no more attempts (0x40..0x7F, and reserved 0x80..0xFF)."""
        return self.status >= 0x40

    @property
    def temporary(self) -> bool:
        """The error is temporary (0x20..0x3F still trying, 0x60..0x7F given up)."""
        return 0x20 <= self.status <= 0x3F or 0x60 <= self.status <= 0x7F

    @property
    def status_text(self) -> str:
        """Human readable TP-ST."""
        return status_text(self.status)


# TP-DCS octet -> the fields it gives a message: encoding, message_class, compressed, waiting.
_DCS_FIELDS = tuple(
    (coding.encoding, coding.message_class, coding.compressed, coding.waiting)
    for coding in map(decode_dcs, range(256))
)
# First octet -> the flags each message type takes from it, in field order.
_DELIVER_FLAGS = tuple(
    (
        not first & 0x04,  # more_messages: TP-MMS 0 means more are waiting
        bool(first & 0x08),  # loop_prevention: TP-LP
        bool(first & 0x20),  # status_report_indication: TP-SRI
        bool(first & 0x80),  # reply_path: TP-RP
    )
    for first in range(256)
)
_SUBMIT_FLAGS = tuple(
    (
        bool(first & 0x20),  # status_report_request: TP-SRR
        bool(first & 0x04),  # reject_duplicates: TP-RD
        bool(first & 0x80),  # reply_path: TP-RP
    )
    for first in range(256)
)
_REPORT_FLAGS = tuple(
    (
        not first & 0x04,  # more_messages: TP-MMS
        bool(first & 0x08),  # loop_prevention: TP-LP
        bool(first & 0x20),  # qualifier: TP-SRQ
    )
    for first in range(256)
)

# The decoder builds each message with every field in hand (see `construct`), in this order.
_new_deliver = slot_filler(
    Deliver,
    """smsc smsc_ton smsc_npi sender sender_ton sender_npi pid dcs timestamp
    encoding message_class compressed waiting text data udh concat ports udl
    more_messages loop_prevention status_report_indication reply_path""",
)
_new_submit = slot_filler(
    Submit,
    """smsc smsc_ton smsc_npi reference destination destination_ton destination_npi
    pid dcs encoding message_class compressed waiting text data udh concat ports udl
    validity_format validity validity_octets status_report_request reject_duplicates
    reply_path""",
)
_new_status_report = slot_filler(
    StatusReport,
    """smsc smsc_ton smsc_npi reference recipient recipient_ton recipient_npi
    timestamp discharge_time status more_messages loop_prevention qualifier
    pid dcs text data udh""",
)


def _pid_dcs(data: bytes, pos: int) -> tuple[int, int]:
    """TP-PID and TP-DCS, the two octets at `pos`."""
    if pos + 2 > len(data):
        raise ended(len(data), "TP-PID" if pos >= len(data) else "TP-DCS")
    return data[pos], data[pos + 1]


def _deliver(
    data: bytes, pos: int, first: int, smsc: address.Smsc, *, strict: bool
) -> tuple[Deliver, int]:
    sender, sender_ton, sender_npi, pos = address.tp_address_at(data, pos, "TP-OA")
    pid, dcs = _pid_dcs(data, pos)
    timestamp = scts.timestamp_at(data, pos + 2, "TP-SCTS")
    udl, header, text, payload, pos = userdata.read_at(
        data, pos + 9, dcs, udhi=bool(first & 0x40), strict=strict
    )
    message = _new_deliver(
        *smsc,
        sender,
        sender_ton,
        sender_npi,
        pid,
        dcs,
        timestamp,
        *_DCS_FIELDS[dcs],
        text,
        payload,
        header.elements,
        header.concat,
        header.ports,
        udl,
        *_DELIVER_FLAGS[first],
    )
    return message, pos


def _validity(data: bytes, pos: int, vpf: int) -> tuple[timedelta | datetime | None, bytes]:
    """TP-VP at `pos` in format `vpf`: the period or moment, and its raw octets."""
    if vpf == VPF_RELATIVE:
        if pos >= len(data):
            raise ended(pos, "TP-VP")
        return scts.RELATIVE_VALIDITY[data[pos]], data[pos : pos + 1]
    if vpf == VPF_ABSOLUTE:
        return scts.timestamp_at(data, pos, "TP-VP"), data[pos : pos + 7]
    if vpf == VPF_ENHANCED:
        if pos + 7 > len(data):
            raise short(pos, 7, len(data) - pos, "TP-VP")
        raw = data[pos : pos + 7]
        return scts.decode_enhanced_validity(raw), raw
    return None, b""


def _submit(
    data: bytes, pos: int, first: int, smsc: address.Smsc, *, strict: bool
) -> tuple[Submit, int]:
    if pos >= len(data):
        raise ended(pos, "TP-MR")
    reference = data[pos]
    destination, destination_ton, destination_npi, pos = address.tp_address_at(
        data, pos + 1, "TP-DA"
    )
    pid, dcs = _pid_dcs(data, pos)
    vpf = (first >> 3) & 0x3
    validity, validity_octets = _validity(data, pos + 2, vpf) if vpf else (None, b"")
    udl, header, text, payload, pos = userdata.read_at(
        data, pos + 2 + len(validity_octets), dcs, udhi=bool(first & 0x40), strict=strict
    )
    message = _new_submit(
        *smsc,
        reference,
        destination,
        destination_ton,
        destination_npi,
        pid,
        dcs,
        *_DCS_FIELDS[dcs],
        text,
        payload,
        header.elements,
        header.concat,
        header.ports,
        udl,
        vpf,
        validity,
        validity_octets,
        *_SUBMIT_FLAGS[first],
    )
    return message, pos


def _octet(data: bytes, pos: int, field: str) -> int:
    if pos >= len(data):
        raise ended(pos, field)
    return data[pos]


def _status_report(
    data: bytes, pos: int, first: int, smsc: address.Smsc, *, strict: bool
) -> tuple[StatusReport, int]:
    reference = _octet(data, pos, "TP-MR")
    recipient, recipient_ton, recipient_npi, pos = address.tp_address_at(data, pos + 1, "TP-RA")
    timestamp = scts.timestamp_at(data, pos, "TP-SCTS")
    discharge = scts.timestamp_at(data, pos + 7, "TP-DT")
    status = _octet(data, pos + 14, "TP-ST")
    pos += 15
    pid = dcs = None
    udh_elements: tuple[InformationElement, ...] = ()
    text = payload = None
    tail = data[pos:]
    if tail and tail.count(0xFF) != len(tail):  # all-FF tail: SIM record padding
        indicator = extension = _octet(data, pos, "TP-PI")
        pos += 1
        while extension & 0x80:  # further TP-PI octets; their bits are reserved
            extension = _octet(data, pos, "TP-PI")
            pos += 1
        if indicator & 0x01:
            pid = _octet(data, pos, "TP-PID")
            pos += 1
        if indicator & 0x02:
            dcs = _octet(data, pos, "TP-DCS")
            pos += 1
        if indicator & 0x04:
            _, header, text, payload, pos = userdata.read_at(
                data, pos, dcs or 0, udhi=bool(first & 0x40), strict=strict
            )
            udh_elements = header.elements
    message = _new_status_report(
        *smsc,
        reference,
        recipient,
        recipient_ton,
        recipient_npi,
        timestamp,
        discharge,
        status,
        *_REPORT_FLAGS[first],
        pid,
        dcs,
        text,
        payload,
        udh_elements,
    )
    return message, pos


def decode(
    pdu: bytes | bytearray | memoryview | str, *, smsc: bool = True, strict: bool = True
) -> Deliver | StatusReport | Submit:
    """Decode a PDU given as bytes or hex text.

    Args:
        pdu: the PDU; str is hex (any case, surrounding whitespace ignored).
        smsc: True when the PDU starts with the SMSC length octet ("00" = none),
            as +CMGR/+CMGL/+CMT give it; False when it starts at the TP first octet.
        strict: False salvages damaged captures: user data shorter than TP-UDL
            is cut, an unreadable UDH is ignored and trailing octets are
            skipped. Structural damage (truncated header fields, reserved
            TP-MTI) still fails.

    Raises:
        PduDecodeError: for anything that is not a PDU, never another type.
    """
    if type(pdu) is bytes:
        data = pdu
    elif isinstance(pdu, str):
        data = parse_hex(pdu)
    elif isinstance(pdu, bytes | bytearray | memoryview):
        data = bytes(pdu)
    else:
        raise PduDecodeError(f"expected bytes or hex text, not {type(pdu).__name__}")
    centre, pos = address.smsc_at(data, 0) if smsc else (address.NO_SMSC, 0)
    if pos >= len(data):
        raise ended(pos, "first octet")
    first = data[pos]
    mti = first & 0x3
    message: Deliver | StatusReport | Submit
    if mti == MTI_DELIVER:
        message, pos = _deliver(data, pos + 1, first, centre, strict=strict)
    elif mti == MTI_SUBMIT:
        message, pos = _submit(data, pos + 1, first, centre, strict=strict)
    elif mti == MTI_STATUS_REPORT:
        message, pos = _status_report(data, pos + 1, first, centre, strict=strict)
    else:
        raise PduDecodeError("reserved TP-MTI 3", offset=pos, field="TP-MTI")
    if strict:
        check_end(data, pos)
    return message
