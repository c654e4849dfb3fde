"""SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT: 3GPP TS 23.040 section 9.2.2.

`decode` reads a PDU (optionally preceded by the SMSC address, as AT+CMGR and
+CMT give it) into one of three frozen dataclasses; `encode` writes any of
them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.pdu import address, scts, userdata
from smsd.pdu.dcs import Encoding, MessageWaiting, decode_dcs
from smsd.pdu.errors import PduDecodeError
from smsd.pdu.reader import Reader
from smsd.pdu.report import StatusClass, status_class, status_text

if TYPE_CHECKING:
    from collections.abc import Callable
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


def parse_hex(pdu: str) -> bytes:
    """Hex text (any case, surrounding whitespace ignored) to bytes."""
    text = pdu.strip()
    if len(text) % 2:
        raise PduDecodeError(f"odd number of hex digits ({len(text)})", field="hex")
    try:
        data = bytes.fromhex(text)
    except ValueError:
        bad = next((i for i, char in enumerate(text) if char not in "0123456789abcdefABCDEF"), 0)
        raise PduDecodeError(
            f"non-hex character {text[bad]!r}", offset=bad // 2, field="hex"
        ) from None
    if len(data) * 2 != len(text):
        raise PduDecodeError("whitespace inside the hex", field="hex")
    return data


def _smsc_fields(smsc: address.Address | None) -> dict[str, object]:
    if smsc is None:
        return {"smsc": None, "smsc_ton": None, "smsc_npi": None}
    return {"smsc": smsc.value, "smsc_ton": smsc.ton, "smsc_npi": smsc.npi}


def _deliver(reader: Reader, first: int, smsc: address.Address | None, *, strict: bool) -> Deliver:
    sender = address.read_tp_address(reader, "TP-OA")
    pid = reader.octet("TP-PID")
    dcs = reader.octet("TP-DCS")
    timestamp = scts.read_timestamp(reader, "TP-SCTS")
    coding = decode_dcs(dcs)
    ud = userdata.read(reader, coding, udhi=bool(first & 0x40), strict=strict)
    return Deliver(
        **_smsc_fields(smsc),  # type: ignore[arg-type]
        sender=sender.value,
        sender_ton=sender.ton,
        sender_npi=sender.npi,
        pid=pid,
        dcs=dcs,
        timestamp=timestamp,
        encoding=coding.encoding,
        message_class=coding.message_class,
        compressed=coding.compressed,
        waiting=coding.waiting,
        text=ud.text,
        data=ud.data,
        udh=ud.header.elements,
        concat=ud.header.concat,
        ports=ud.header.ports,
        udl=ud.udl,
        more_messages=not first & 0x04,
        loop_prevention=bool(first & 0x08),
        status_report_indication=bool(first & 0x20),
        reply_path=bool(first & 0x80),
    )


def _validity(reader: Reader, vpf: int) -> tuple[timedelta | datetime | None, bytes]:
    if vpf == VPF_RELATIVE:
        octet = reader.octet("TP-VP")
        return scts.decode_relative_validity(octet), bytes((octet,))
    if vpf == VPF_ABSOLUTE:
        start = reader.pos
        moment = scts.read_timestamp(reader, "TP-VP")
        return moment, reader.data[start : reader.pos]
    if vpf == VPF_ENHANCED:
        raw = reader.take(7, "TP-VP")
        return scts.decode_enhanced_validity(raw), raw
    return None, b""


def _submit(reader: Reader, first: int, smsc: address.Address | None, *, strict: bool) -> Submit:
    reference = reader.octet("TP-MR")
    destination = address.read_tp_address(reader, "TP-DA")
    pid = reader.octet("TP-PID")
    dcs = reader.octet("TP-DCS")
    vpf = (first >> 3) & 0x3
    validity, validity_octets = _validity(reader, vpf)
    coding = decode_dcs(dcs)
    ud = userdata.read(reader, coding, udhi=bool(first & 0x40), strict=strict)
    return Submit(
        **_smsc_fields(smsc),  # type: ignore[arg-type]
        reference=reference,
        destination=destination.value,
        destination_ton=destination.ton,
        destination_npi=destination.npi,
        pid=pid,
        dcs=dcs,
        encoding=coding.encoding,
        message_class=coding.message_class,
        compressed=coding.compressed,
        waiting=coding.waiting,
        text=ud.text,
        data=ud.data,
        udh=ud.header.elements,
        concat=ud.header.concat,
        ports=ud.header.ports,
        udl=ud.udl,
        validity_format=vpf,
        validity=validity,
        validity_octets=validity_octets,
        status_report_request=bool(first & 0x20),
        reject_duplicates=bool(first & 0x04),
        reply_path=bool(first & 0x80),
    )


def _status_report(
    reader: Reader, first: int, smsc: address.Address | None, *, strict: bool
) -> StatusReport:
    reference = reader.octet("TP-MR")
    recipient = address.read_tp_address(reader, "TP-RA")
    timestamp = scts.read_timestamp(reader, "TP-SCTS")
    discharge = scts.read_timestamp(reader, "TP-DT")
    status = reader.octet("TP-ST")
    pid = dcs = None
    ud = None
    tail = reader.data[reader.pos :]
    if tail and tail.count(0xFF) != len(tail):  # all-FF tail: SIM record padding
        indicator = reader.octet("TP-PI")
        extension = indicator
        while extension & 0x80:  # further TP-PI octets; their bits are reserved
            extension = reader.octet("TP-PI")
        if indicator & 0x01:
            pid = reader.octet("TP-PID")
        if indicator & 0x02:
            dcs = reader.octet("TP-DCS")
        if indicator & 0x04:
            coding = decode_dcs(dcs or 0)
            ud = userdata.read(reader, coding, udhi=bool(first & 0x40), strict=strict)
    return StatusReport(
        **_smsc_fields(smsc),  # type: ignore[arg-type]
        reference=reference,
        recipient=recipient.value,
        recipient_ton=recipient.ton,
        recipient_npi=recipient.npi,
        timestamp=timestamp,
        discharge_time=discharge,
        status=status,
        more_messages=not first & 0x04,
        loop_prevention=bool(first & 0x08),
        qualifier=bool(first & 0x20),
        pid=pid,
        dcs=dcs,
        text=ud.text if ud else None,
        data=ud.data if ud else None,
        udh=ud.header.elements if ud else (),
    )


_READERS: dict[int, Callable[..., Deliver | Submit | StatusReport]] = {
    MTI_DELIVER: _deliver,
    MTI_SUBMIT: _submit,
    MTI_STATUS_REPORT: _status_report,
}


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
    if isinstance(pdu, str):
        data = parse_hex(pdu)
    elif isinstance(pdu, bytes | bytearray | memoryview):
        data = bytes(pdu)
    else:
        raise PduDecodeError(f"expected bytes or hex text, not {type(pdu).__name__}")
    reader = Reader(data)
    centre = address.read_smsc(reader) if smsc else None
    first = reader.octet("first octet")
    mti = first & 0x3
    read = _READERS.get(mti)
    if read is None:
        raise reader.error("reserved TP-MTI 3", "TP-MTI", reader.pos - 1)
    message = read(reader, first, centre, strict=strict)
    if strict:
        reader.check_end()
    return message
