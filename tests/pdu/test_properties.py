"""Property tests of the PDU codec: round trips, segment limits, and robustness against any input.

The oracle for segmentation is ``strategies.reference_split`` (a greedy split over the GSM 03.38
tables written out in ``tests/strategies.py``), not the codec's own tables.
"""

from __future__ import annotations

import itertools
import string
from typing import TYPE_CHECKING

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from strategies import (
    GSM7_CONCAT_8BIT,
    GSM7_SINGLE,
    UCS2_CONCAT_8BIT,
    UCS2_SINGLE,
    alphanumeric_senders,
    any_text,
    arbitrary_bytes,
    concat_references,
    gsm7_text,
    gsm7_units,
    is_gsm7,
    junk_hex_text,
    message_classes,
    message_references,
    phone_numbers,
    reference_split,
    scts_datetimes,
    senders,
    status_values,
    ucs2_text,
    ucs2_units,
)

from smsd.pdu import (
    MAX_SEGMENTS,
    Deliver,
    EncodedPdu,
    Encoding,
    PduDecodeError,
    PduEncodeError,
    PDUError,
    StatusReport,
    Submit,
    count,
    decode,
    encode_deliver,
    encode_status_report,
    encode_submit,
    split,
)
from smsd.reassembly import Reassembler

if TYPE_CHECKING:
    import random
    from datetime import datetime

MAX_TP_UD = 140
DECODED_TYPES = (Deliver, Submit, StatusReport)

# --------------------------------------------------------------------------- helpers


def _tpdu(encoded: EncodedPdu) -> bytes:
    """The TPDU of an encoded PDU (what follows the SMSC part), checked against tpdu_length."""
    pdu = encoded.pdu
    tpdu = pdu[1 + pdu[0] :]
    assert encoded.tpdu_length == len(tpdu)
    assert encoded.hex == pdu.hex().upper()
    return tpdu


def _user_data(tpdu: bytes) -> tuple[int, bytes]:
    """(TP-UDL, TP-UD) of a SUBMIT or DELIVER, found by walking the header (TS 23.040 9.2.2)."""
    first = tpdu[0]
    mti = first & 0x03
    if mti == 0x01:  # SMS-SUBMIT: MR, DA, PID, DCS, VP by TP-VPF
        index = 2
        index += 2 + (tpdu[index] + 1) // 2
        index += 2
        index += {0: 0, 2: 1, 1: 7, 3: 7}[(first >> 3) & 0x03]
    else:  # SMS-DELIVER: OA, PID, DCS, SCTS
        assert mti == 0x00
        index = 1
        index += 2 + (tpdu[index] + 1) // 2
        index += 2 + 7
    return tpdu[index], tpdu[index + 1 :]


def _check_user_data_size(encoded: EncodedPdu, encoding: Encoding) -> None:
    udl, ud = _user_data(_tpdu(encoded))
    assert len(ud) <= MAX_TP_UD
    if encoding is Encoding.GSM7:
        assert udl <= GSM7_SINGLE
        assert len(ud) == (udl * 7 + 7) // 8
    else:
        assert udl == len(ud)


def _decode_or_error(
    data: bytes | str, *, smsc: bool = True
) -> Deliver | Submit | StatusReport | None:
    """Decode, accepting only a decoded message or a well-formed PDUError."""
    result: Deliver | Submit | StatusReport | PDUError
    try:
        result = decode(data, smsc=smsc)
    except PDUError as error:
        result = error
    if isinstance(result, PDUError):
        assert isinstance(result, ValueError)
        assert result.offset is None or isinstance(result.offset, int)
        assert result.field is None or isinstance(result.field, str)
        assert str(result)
        return None
    assert isinstance(result, DECODED_TYPES)
    return result


def _reassemble(key: str, messages: list[Deliver] | list[Submit], order: list[int]) -> list[str]:
    """Feed segments in ``order``, each twice, and return the texts in sequence order."""
    reassembler: Reassembler[Deliver | Submit] = Reassembler(timeout=600.0)
    result = None
    for step, index in enumerate(order):
        message = messages[index]
        result = reassembler.add(key, message.concat, message, now=float(step))
        if step < len(order) - 1:
            assert result is None
            duplicate = reassembler.add(key, message.concat, message, now=float(step))
            assert duplicate is None
    assert result is not None
    texts = [m.text for m in result]
    assert all(isinstance(t, str) for t in texts)
    return [t for t in texts if t is not None]


# --------------------------------------------------------------------------- split and count

SPLIT_CASES: list[tuple[str, str, list[str]]] = [
    ("empty", "", [""]),
    ("gsm7 160", "a" * 160, ["a" * 160]),
    ("gsm7 161", "a" * 161, ["a" * 153, "a" * 8]),
    ("gsm7 306", "a" * 306, ["a" * 153, "a" * 153]),
    ("gsm7 307", "a" * 307, ["a" * 153, "a" * 153, "a"]),
    ("escape fits single", "a" * 158 + "€", ["a" * 158 + "€"]),
    ("escape overflows single", "a" * 159 + "€", ["a" * 153, "a" * 6 + "€"]),
    ("escape not cut", "a" * 152 + "€" + "b" * 10, ["a" * 152, "€" + "b" * 10]),
    ("escape at end of segment", "a" * 151 + "€" + "b" * 10, ["a" * 151 + "€", "b" * 10]),
    ("ucs2 70", "Ж" * 70, ["Ж" * 70]),
    ("ucs2 71", "Ж" * 71, ["Ж" * 67, "Ж" * 4]),
    ("ucs2 134", "Ж" * 134, ["Ж" * 67, "Ж" * 67]),
    ("surrogate fits single", "Ж" * 68 + "😀", ["Ж" * 68 + "😀"]),
    ("surrogate overflows single", "Ж" * 69 + "😀", ["Ж" * 67, "ЖЖ😀"]),
    ("surrogate not cut", "Ж" * 66 + "😀" + "Ж" * 5, ["Ж" * 66, "😀" + "Ж" * 5]),
    ("one non-gsm char forces ucs2", "a" * 100 + "ç", ["a" * 67, "a" * 33 + "ç"]),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in SPLIT_CASES], ids=[c[0] for c in SPLIT_CASES]
)
def test_split_table(text: str, expected: list[str]) -> None:
    assert split(text) == expected
    assert reference_split(text) == expected
    assert count(text).segments == len(expected)


COUNT_CASES: list[tuple[str, Encoding, int, int, int, int]] = [
    # text, encoding, segments, units, per_segment, remaining
    ("", Encoding.GSM7, 1, 0, 160, 160),
    ("hello", Encoding.GSM7, 1, 5, 160, 155),
    ("€", Encoding.GSM7, 1, 2, 160, 158),
    ("a" * 160, Encoding.GSM7, 1, 160, 160, 0),
    ("a" * 161, Encoding.GSM7, 2, 161, 153, 145),
    ("a" * 152 + "€" + "b" * 7, Encoding.GSM7, 2, 161, 153, 144),
    ("😀", Encoding.UCS2, 1, 2, 70, 68),
    ("Ж" * 70, Encoding.UCS2, 1, 70, 70, 0),
    ("Ж" * 71, Encoding.UCS2, 2, 71, 67, 63),
    ("Ж" * 66 + "😀", Encoding.UCS2, 1, 68, 70, 2),
    ("Ж" * 69 + "😀", Encoding.UCS2, 2, 71, 67, 63),
]


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "units", "per_segment", "remaining"), COUNT_CASES
)
def test_count_table(  # noqa: PLR0917 - one parameter per table column
    text: str, encoding: Encoding, segments: int, units: int, per_segment: int, remaining: int
) -> None:
    result = count(text)
    assert result.encoding is encoding
    assert result.segments == segments
    assert result.units == units
    assert result.per_segment == per_segment
    assert result.remaining == remaining


def test_split_with_forced_ucs2() -> None:
    assert split("a" * 71, encoding=Encoding.UCS2) == ["a" * 67, "a" * 4]
    assert split("a" * 70, encoding=Encoding.UCS2) == ["a" * 70]


def test_split_limit() -> None:
    assert len(split("a" * GSM7_CONCAT_8BIT * MAX_SEGMENTS)) == MAX_SEGMENTS
    with pytest.raises(PduEncodeError):
        split("a" * (GSM7_CONCAT_8BIT * MAX_SEGMENTS + 1))
    with pytest.raises(PduEncodeError):
        encode_submit("+33612345678", "Ж" * (UCS2_CONCAT_8BIT * MAX_SEGMENTS + 1))


@given(text=any_text())
def test_split_matches_reference_and_never_cuts_pairs(text: str) -> None:
    parts = split(text)
    assert "".join(parts) == text
    assert parts == reference_split(text)
    if is_gsm7(text):
        cost, single, concat = gsm7_units, GSM7_SINGLE, GSM7_CONCAT_8BIT
    else:
        cost, single, concat = ucs2_units, UCS2_SINGLE, UCS2_CONCAT_8BIT
    capacity = single if len(parts) == 1 else concat
    for part in parts:
        # A str segment cannot hold half an escape pair, but its cost must fit: a GSM-7 segment
        # over capacity could only be sent by cutting an escape pair. Surrogates must not appear
        # as separate code points (a cut pair would show up as a lone surrogate).
        assert cost(part) <= capacity
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in part)
        part.encode("utf-16-be")  # strict: raises on a lone surrogate
    for current, following in itertools.pairwise(parts):
        assert current
        assert cost(current) + cost(following[0]) > capacity  # greedy: nothing would still fit

    result = count(text)
    assert result.segments == len(parts)
    assert result.encoding is (Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2)
    assert result.units == cost(text)
    assert result.per_segment == capacity
    assert result.remaining == capacity - cost(parts[-1])


# --------------------------------------------------------------------------- SUBMIT


@given(
    text=any_text(),
    destination=phone_numbers,
    concat=concat_references,
    reference=message_references,
    message_class=message_classes,
    request_status_report=st.booleans(),
    order=st.randoms(use_true_random=False),
)
@example(
    text="a" * 152 + "€" * 3,
    destination="+33612345678",
    concat=(0, False),
    reference=0,
    message_class=None,
    request_status_report=False,
    order=None,
).via("escape pair at the first boundary")
def test_submit_round_trip(
    *,
    text: str,
    destination: str,
    concat: tuple[int, bool],
    reference: int,
    message_class: int | None,
    request_status_report: bool,
    order: random.Random | None,
) -> None:
    concat_reference, concat_16bit = concat
    encoded = encode_submit(
        destination,
        text,
        reference=reference,
        message_class=message_class,
        request_status_report=request_status_report,
        concat_reference=concat_reference,
        concat_16bit=concat_16bit,
    )
    expected = reference_split(text, concat_16bit=concat_16bit)
    assert len(encoded) == len(expected)
    if not concat_16bit:
        assert len(encoded) == count(text).segments
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2

    messages: list[Submit] = []
    for index, segment in enumerate(encoded):
        _check_user_data_size(segment, encoding)
        message = decode(segment.pdu)
        assert isinstance(message, Submit)
        assert message.destination == destination
        assert message.reference == reference
        assert message.status_report_request is request_status_report
        assert message.message_class == message_class
        assert message.encoding is encoding
        assert message.text == expected[index]
        assert message.data is None
        if len(encoded) == 1:
            assert message.concat is None
            assert message.udh == ()
        else:
            assert message.concat is not None
            assert message.concat.reference == concat_reference
            assert message.concat.total == len(encoded)
            assert message.concat.sequence == index + 1
            assert message.concat.bits == (16 if concat_16bit else 8)
        assert decode(segment.hex) == message
        assert decode(segment.pdu[1 + segment.pdu[0] :], smsc=False) == message
        messages.append(message)

    indices = list(range(len(messages)))
    if order is not None:
        order.shuffle(indices)
    assert "".join(_reassemble(destination, messages, indices)) == text


@given(text=any_text())
def test_submit_forced_ucs2_round_trip(text: str) -> None:
    encoded = encode_submit("+4915112345678", text, encoding=Encoding.UCS2)
    expected = reference_split(text, force_ucs2=True)
    assert split(text, encoding=Encoding.UCS2) == expected
    messages = [decode(e.pdu) for e in encoded]
    assert all(isinstance(m, Submit) for m in messages)
    assert [m.text for m in messages if isinstance(m, Submit)] == expected
    assert all(m.encoding is Encoding.UCS2 for m in messages if isinstance(m, Submit))
    for segment in encoded:
        _check_user_data_size(segment, Encoding.UCS2)


@given(text=ucs2_text(max_size=50))
def test_gsm7_forced_on_ucs2_text_is_refused(text: str) -> None:
    with pytest.raises(PduEncodeError):
        encode_submit("+33612345678", text, encoding=Encoding.GSM7)


@given(destination=alphanumeric_senders)
def test_alphanumeric_destination_is_refused(destination: str) -> None:
    with pytest.raises(PduEncodeError):
        encode_submit(destination, "hello")


# --------------------------------------------------------------------------- DELIVER


@given(
    sender=senders,
    text=any_text(),
    timestamp=scts_datetimes,
    message_class=message_classes,
    concat=concat_references,
    order=st.randoms(use_true_random=False),
)
def test_deliver_round_trip(
    *,
    sender: str,
    text: str,
    timestamp: datetime,
    message_class: int | None,
    concat: tuple[int, bool],
    order: random.Random,
) -> None:
    concat_reference, concat_16bit = concat
    encoded = encode_deliver(
        sender,
        text,
        timestamp=timestamp,
        message_class=message_class,
        concat_reference=concat_reference,
        concat_16bit=concat_16bit,
    )
    expected = reference_split(text, concat_16bit=concat_16bit)
    assert len(encoded) == len(expected)
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2

    messages: list[Deliver] = []
    for index, segment in enumerate(encoded):
        _check_user_data_size(segment, encoding)
        message = decode(segment.pdu)
        assert isinstance(message, Deliver)
        assert message.sender == sender
        assert message.text == expected[index]
        assert message.encoding is encoding
        assert message.message_class == message_class
        assert message.timestamp == timestamp  # same instant
        assert message.timestamp.utcoffset() == timestamp.utcoffset()  # same zone
        assert message.timestamp.replace(tzinfo=None) == timestamp.replace(tzinfo=None)
        if len(encoded) > 1:
            assert message.concat is not None
            assert (message.concat.reference, message.concat.total) == (
                concat_reference,
                len(encoded),
            )
            assert message.concat.sequence == index + 1
        else:
            assert message.concat is None
        messages.append(message)

    indices = list(range(len(messages)))
    order.shuffle(indices)
    assert "".join(_reassemble(sender, messages, indices)) == text


# --------------------------------------------------------------------------- STATUS-REPORT


@given(
    reference=message_references,
    recipient=phone_numbers,
    status=status_values,
    timestamp=scts_datetimes,
    discharge_time=scts_datetimes,
)
def test_status_report_round_trip(
    reference: int, recipient: str, status: int, timestamp: datetime, discharge_time: datetime
) -> None:
    encoded = encode_status_report(
        reference, recipient, status, timestamp=timestamp, discharge_time=discharge_time
    )
    _tpdu(encoded)
    report = decode(encoded.pdu)
    assert isinstance(report, StatusReport)
    assert report.reference == reference
    assert report.recipient == recipient
    assert report.status == status
    for got, want in ((report.timestamp, timestamp), (report.discharge_time, discharge_time)):
        assert got == want
        assert got.utcoffset() == want.utcoffset()
    assert report.delivered is (status <= 0x02)
    if status <= 0x02:
        assert not report.permanent
        assert not report.temporary
    elif 0x20 <= status <= 0x3F:
        assert report.temporary
        assert not report.permanent
    elif 0x40 <= status <= 0x5F:
        assert report.permanent
        assert not report.temporary
    assert isinstance(report.status_text, str)
    assert report.status_text
    assert decode(encoded.hex.lower()) == report


# --------------------------------------------------------------------------- robustness


@given(data=arbitrary_bytes, smsc=st.booleans())
@example(data=b"", smsc=True)
@example(data=b"\x00", smsc=True)
@example(data=b"\xff" * 200, smsc=True)
@example(data=b"\x00\x03", smsc=True).via("reserved TP-MTI 3")
@example(data=b"\x00\x00\x0b\x91", smsc=True).via("truncated address")
def test_decode_any_bytes(data: bytes, smsc: bool) -> None:
    message = _decode_or_error(data, smsc=smsc)
    # The hex path must agree with the bytes path, in either case and with surrounding whitespace.
    as_hex = _decode_or_error(f" {data.hex()}\n", smsc=smsc)
    assert as_hex == message
    assert _decode_or_error(data.hex().upper(), smsc=smsc) == message


@given(text=junk_hex_text, smsc=st.booleans())
@example(text="0", smsc=True).via("odd length")
@example(text="\u0663\u0663", smsc=True).via("non-ASCII digits are not hex")
@example(text="\uff10\uff10\uff10", smsc=True).via("full-width digits are not hex")
@example(text="00 01", smsc=True).via("inner whitespace")
@example(text="0x00", smsc=True)
def test_decode_any_hex_text(text: str, smsc: bool) -> None:
    message = _decode_or_error(text, smsc=smsc)
    stripped = text.strip()
    if len(stripped) % 2 or any(c not in string.hexdigits for c in stripped):
        assert message is None
        with pytest.raises(PduDecodeError):
            decode(text, smsc=smsc)


@st.composite
def valid_pdus(draw: st.DrawFn, kinds: tuple[str, ...] = ("submit", "deliver", "report")) -> bytes:
    """One encoded segment of a SUBMIT, a DELIVER or a STATUS-REPORT."""
    kind = draw(st.sampled_from(kinds))
    smsc = draw(st.none() | st.just("+33609001390"))
    text = draw(st.one_of(gsm7_text(max_size=400), ucs2_text(max_size=150)))
    if kind == "report":
        return encode_status_report(
            draw(message_references),
            draw(phone_numbers),
            draw(status_values),
            timestamp=draw(scts_datetimes),
            discharge_time=draw(scts_datetimes),
            smsc=smsc,
        ).pdu
    if kind == "submit":
        segments = encode_submit(draw(phone_numbers), text, smsc=smsc)
    else:
        segments = encode_deliver(draw(senders), text, timestamp=draw(scts_datetimes), smsc=smsc)
    return draw(st.sampled_from(segments)).pdu


_MUTATIONS = ("flip", "set", "insert", "delete", "append", "truncate")


@st.composite
def mutated_pdus(draw: st.DrawFn) -> bytes:
    """A valid PDU with 1-4 random byte-level mutations."""
    data = bytearray(draw(valid_pdus()))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        mutation = draw(st.sampled_from(_MUTATIONS))
        index = draw(st.integers(min_value=0, max_value=max(0, len(data) - 1)))
        byte = draw(st.integers(min_value=0, max_value=0xFF))
        if mutation == "flip" and data:
            data[index] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif mutation == "set" and data:
            data[index] = byte
        elif mutation == "insert":
            data.insert(index, byte)
        elif mutation == "delete" and data:
            del data[index]
        elif mutation == "append":
            data.append(byte)
        elif mutation == "truncate":
            del data[index:]
    return bytes(data)


@given(data=mutated_pdus())
def test_decode_mutated_pdus(data: bytes) -> None:
    _decode_or_error(data)
    _decode_or_error(data.hex())
    if data:
        _decode_or_error(data[1 + data[0] :], smsc=False)


@given(pdu=valid_pdus(), data=st.data())
def test_truncated_pdu_is_refused(pdu: bytes, data: st.DataObject) -> None:
    assert isinstance(decode(pdu), DECODED_TYPES)
    cut = data.draw(st.integers(min_value=1, max_value=len(pdu)), label="octets cut")
    with pytest.raises(PduDecodeError):
        decode(pdu[:-cut])


# A STATUS-REPORT may legitimately go on after TP-ST (TP-PI and the fields it announces), so
# only SUBMIT and DELIVER, whose TP-UD is last, are held to "nothing after the user data".
@given(data=valid_pdus(kinds=("submit", "deliver")), extra=st.binary(min_size=1, max_size=8))
def test_trailing_bytes_are_refused(data: bytes, extra: bytes) -> None:
    # SIM records pad a stored PDU with 0xFF; such padding is accepted, anything else is refused.
    assume(set(extra) != {0xFF})
    with pytest.raises(PduDecodeError):
        decode(data + extra)


@given(data=valid_pdus(kinds=("submit", "deliver")), pad=st.integers(min_value=1, max_value=8))
def test_sim_record_padding_is_accepted(data: bytes, pad: int) -> None:
    assert decode(data + b"\xff" * pad) == decode(data)
