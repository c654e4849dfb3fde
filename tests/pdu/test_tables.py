"""Table tests from 3GPP TS 23.038 / 23.040 facts, run in both directions."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone

import pytest

from smsd.pdu import (
    MAX_SEGMENTS,
    Concat,
    Encoding,
    PduDecodeError,
    PduEncodeError,
    Ports,
    StatusClass,
    count,
    decode,
    decode_dcs,
    encode,
    encode_deliver,
    encode_status_report,
    encode_submit,
    gsm7,
    scts,
    split,
    udh,
)
from smsd.pdu.address import encode_tp_address, read_tp_address
from smsd.pdu.construct import slot_filler
from smsd.pdu.reader import Reader

TS = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=2)))

# (text, septets hex, packed hex with fill 0)
GSM7_CASES = [
    ("hellohello", "68656c6c6f68656c6c6f", "e8329bfd4697d9ec37"),
    ("@", "00", "00"),
    ("A", "41", "41"),
    ("12345678", "3132333435363738", "31d98c56b3dd70"),
    ("€", "1b65", "9b32"),
    ("[", "1b3c", "1b1e"),
    ("\f", "1b0a", "1b05"),
    ("Δ_", "1011", "9008"),
]


@pytest.mark.parametrize(("text", "septets", "packed"), GSM7_CASES)
def test_gsm7_both_ways(text: str, septets: str, packed: str) -> None:
    raw = bytes.fromhex(septets)
    assert gsm7.encode_septets(text) == raw
    assert gsm7.decode_septets(raw) == text
    assert gsm7.pack(raw) == bytes.fromhex(packed)
    assert gsm7.unpack(bytes.fromhex(packed), len(raw)) == raw


EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}


@pytest.mark.parametrize(("char", "code"), EXTENSION.items())
def test_extension_characters_cost_two_septets(char: str, code: int) -> None:
    assert gsm7.encode_septets(char) == bytes((0x1B, code))
    assert gsm7.decode_septets(bytes((0x1B, code))) == char
    assert count(char * 80).units == 160
    assert count(char * 80).segments == 1
    assert count(char * 81).segments == 2


@pytest.mark.parametrize("fill", range(7))
def test_fill_bits_round_trip(fill: int) -> None:
    raw = gsm7.encode_septets("Fill bits after a UDH!")
    packed = gsm7.pack(raw, fill)
    assert len(packed) == (fill + 7 * len(raw) + 7) // 8
    assert int.from_bytes(packed, "little") & ((1 << fill) - 1) == 0
    assert gsm7.unpack(packed, len(raw), fill) == raw


def test_unknown_escape_shows_base_character_and_esc_esc_a_space() -> None:
    assert gsm7.decode_septets(bytes((0x1B, 0x41))) == "A"
    assert gsm7.decode_septets(bytes((0x41, 0x1B, 0x1B, 0x42))) == "A B"


def test_turkish_single_shift_decodes_via_udh() -> None:
    parts = encode_deliver("+905551234567", "x", timestamp=TS)
    assert parts
    text = "ığş"
    septets = gsm7.encode_septets(text, 0, 1)
    assert septets == bytes((0x1B, 0x69, 0x1B, 0x67, 0x1B, 0x73))
    assert gsm7.decode_septets(septets, 0, 1) == text


@pytest.mark.parametrize(
    ("length", "segments"), [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3)]
)
def test_gsm7_boundaries(length: int, segments: int) -> None:
    result = count("a" * length)
    assert result.encoding is Encoding.GSM7
    assert result.segments == segments
    assert result.units == length
    assert result.per_segment == (160 if segments == 1 else 153)
    assert "".join(split("a" * length)) == "a" * length


def test_escape_pair_never_cut() -> None:
    text = "a" * 152 + "€" + "b" * 10
    parts = split(text)
    assert parts == ["a" * 152, "€" + "b" * 10]
    pdus = encode_submit("+33612345678", text, concat_reference=5)
    assert "".join(decode(p.pdu).text for p in pdus) == text


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_boundaries(length: int, segments: int) -> None:
    text = "Ж" * length
    result = count(text)
    assert result.encoding is Encoding.UCS2
    assert result.segments == segments
    assert result.per_segment == (70 if segments == 1 else 67)


def test_surrogate_pair_never_cut() -> None:
    text = "Ж" * 66 + "😃" + "Ж" * 5
    assert count(text).units == 73
    parts = split(text)
    assert parts == ["Ж" * 66, "😃" + "Ж" * 5]
    pdus = encode_submit("+33612345678", text)
    assert [decode(p.pdu).text for p in pdus] == parts
    assert all(len(p.pdu) - 1 <= 13 + 140 for p in pdus)


def test_segment_limit() -> None:
    assert len(split("a" * 153 * MAX_SEGMENTS)) == MAX_SEGMENTS
    with pytest.raises(PduEncodeError):
        split("a" * (153 * MAX_SEGMENTS + 1))


def test_empty_text() -> None:
    assert split("") == [""]
    assert count("").remaining == 160


ADDRESS_CASES = [
    ("+33612345678", "0B913316325476F8"),
    ("+336123456789", "0C91331632547698"),
    ("0612345678", "0A816021436587"),
    ("*#", "0281BA"),
]


@pytest.mark.parametrize(("number", "hex_"), ADDRESS_CASES)
def test_address_both_ways(number: str, hex_: str) -> None:
    assert encode_tp_address(number).hex().upper() == hex_
    assert read_tp_address(Reader(bytes.fromhex(hex_)), "TP-DA").value == number


def test_alphanumeric_address_both_ways() -> None:
    raw = encode_tp_address("sipgate", allow_alphanumeric=True)
    assert raw.hex().upper() == "0DD0F334FC1CA69701"
    assert read_tp_address(Reader(raw), "TP-OA").value == "sipgate"
    with pytest.raises(PduEncodeError):
        encode_tp_address("sipgate")
    with pytest.raises(PduEncodeError):
        encode_submit("Bank", "hi")


ZONE_CASES = [
    ("+02:00", 0x80),
    ("-05:00", 0x0A),
    ("+05:45", 0x32),
    ("-03:30", 0x49),
    ("+00:00", 0x00),
]


@pytest.mark.parametrize(("zone", "octet"), ZONE_CASES)
def test_scts_zone_both_ways(zone: str, octet: int) -> None:
    moment = datetime.fromisoformat(f"2011-02-28T11:50:50{zone}")
    raw = scts.encode_timestamp(moment)
    assert raw[:6] == bytes.fromhex("112082110505")
    assert raw[6] == octet
    decoded = scts.read_timestamp(Reader(raw), "TP-SCTS")
    assert decoded == moment
    assert decoded.utcoffset() == moment.utcoffset()


def test_invalid_zone_nibble_reads_as_utc() -> None:
    decoded = scts.read_timestamp(Reader(bytes.fromhex("112112113391E1")), "TP-SCTS")
    assert decoded.tzinfo is UTC


@pytest.mark.parametrize(
    ("octet", "period"),
    [
        (0, timedelta(minutes=5)),
        (143, timedelta(hours=12)),
        (167, timedelta(hours=24)),
        (168, timedelta(days=2)),
        (196, timedelta(days=30)),
        (197, timedelta(weeks=5)),
        (255, timedelta(weeks=63)),
    ],
)
def test_relative_validity_both_ways(octet: int, period: timedelta) -> None:
    assert scts.decode_relative_validity(octet) == period
    assert scts.encode_relative_validity(period) == octet


DCS_CASES = [
    (0x00, Encoding.GSM7, None),
    (0x04, Encoding.DATA8, None),
    (0x08, Encoding.UCS2, None),
    (0x10, Encoding.GSM7, 0),
    (0x11, Encoding.GSM7, 1),
    (0x16, Encoding.DATA8, 2),
    (0x1B, Encoding.UCS2, 3),
    (0x0C, Encoding.GSM7, None),
    (0x48, Encoding.UCS2, None),
    (0x80, Encoding.GSM7, None),
    (0xC8, Encoding.GSM7, None),
    (0xD0, Encoding.GSM7, None),
    (0xE0, Encoding.UCS2, None),
    (0xF0, Encoding.GSM7, 0),
    (0xF5, Encoding.DATA8, 1),
    (0xFB, Encoding.GSM7, 3),
]


@pytest.mark.parametrize(("dcs", "encoding", "message_class"), DCS_CASES)
def test_dcs_groups(dcs: int, encoding: Encoding, message_class: int | None) -> None:
    coding = decode_dcs(dcs)
    assert coding.encoding is encoding
    assert coding.message_class == message_class
    assert coding.compressed == (dcs < 0x80 and bool(dcs & 0x20))
    assert (coding.waiting is not None) == (0xC0 <= dcs <= 0xEF)


def test_every_dcs_value_decodes() -> None:
    assert all(decode_dcs(value) is not None for value in range(256))


UDH_CASES = [
    ("050003CC0201", udh.Concat(0xCC, 2, 1, 8), None),
    ("06080412340302", udh.Concat(0x1234, 3, 2, 16), None),
    ("0404025F5F", None, udh.Ports(0x5F, 0x5F, 8)),
    ("0605040B8423F0", None, udh.Ports(2948, 9200, 16)),
    ("0B05040B8423F000032A0201", udh.Concat(42, 2, 1, 8), udh.Ports(2948, 9200, 16)),
]


@pytest.mark.parametrize(("hex_", "concat", "ports"), UDH_CASES)
def test_udh_both_ways(hex_: str, concat, ports) -> None:
    raw = bytes.fromhex(hex_)
    header = udh.parse(raw[1:], 0)
    assert header.concat == concat
    assert header.ports == ports
    assert udh.build(header.elements) == raw


def test_unknown_ie_is_kept() -> None:
    header = udh.parse(bytes.fromhex("0A030004100003CC0201"), 0)
    assert [element.iei for element in header.elements] == [0x0A, 0x00]


@pytest.mark.parametrize("bad", ["0002CC02", "000405", "0001", "0804123402"])
def test_malformed_udh(bad: str) -> None:
    with pytest.raises(PduDecodeError):
        udh.parse(bytes.fromhex(bad), 0)


@pytest.mark.parametrize(
    ("status", "klass", "delivered", "permanent", "temporary"),
    [
        (0x00, StatusClass.COMPLETED, True, False, False),
        (0x02, StatusClass.COMPLETED, True, False, False),
        (0x20, StatusClass.TEMPORARY_TRYING, False, False, True),
        (0x46, StatusClass.PERMANENT_ERROR, False, True, False),
        (0x62, StatusClass.TEMPORARY_GIVEN_UP, False, True, True),
        (0x90, StatusClass.RESERVED, False, True, False),
    ],
)
def test_status_report_classes(status, klass, delivered, permanent, temporary) -> None:
    pdu = encode_status_report(7, "+33612345678", status, timestamp=TS, discharge_time=TS)
    report = decode(pdu.pdu)
    assert report.status == status
    assert report.status_class is klass
    assert report.delivered is delivered
    assert report.permanent is permanent
    assert report.temporary is temporary
    assert f"0x{status:02X}" in report.status_text
    assert encode(report) == pdu


def test_deliver_round_trip_with_ports_and_concat() -> None:
    text = "x" * 200
    pdus = encode_deliver("Bank", text, timestamp=TS, ports=Ports(5000, 5001), concat_reference=9)
    messages = [decode(p.pdu) for p in pdus]
    assert "".join(m.text for m in messages) == text
    assert {m.ports for m in messages} == {Ports(5000, 5001, 16)}
    assert [m.concat for m in messages] == [Concat(9, 2, 1, 8), Concat(9, 2, 2, 8)]
    assert all(encode(m) == p for m, p in zip(messages, pdus, strict=True))


VALID = encode_submit("+33612345678", "hello", smsc="+33609001390")[0].pdu


@pytest.mark.parametrize("cut", range(len(VALID)))
def test_every_truncation_fails(cut: int) -> None:
    with pytest.raises(PduDecodeError):
        decode(VALID[:cut])


MUST_FAIL = [
    ("odd hex", "0011"[:3]),
    ("non-hex", "00zz"),
    ("inner space", "00 11"),
    ("trailing octet", VALID.hex() + "00"),
    ("reserved MTI", "0003"),
    ("SMSC too long", "0C91" + "11" * 20),
    ("address too long", "00011515" + "11" * 12),
    ("UDL beyond data", "0001000B913316325476F8000005E8"),
    ("UDHI with empty UD", "0041000B913316325476F8000000"),
    ("bad month", "00040B913316325476F80000119920000000000000"),
    ("non-BCD time", "00040B913316325476F800001A0101000000000000"),
    ("F inside digits", "00040B913316F25476F80000110101000000000000"),
]


@pytest.mark.parametrize(("why", "hex_"), MUST_FAIL)
def test_must_fail(why: str, hex_: str) -> None:
    with pytest.raises(PduDecodeError):
        decode(hex_)


def test_ff_padding_after_pdu_accepted() -> None:
    assert decode(VALID + b"\xff" * 20) == decode(VALID)


def test_wrong_input_type() -> None:
    with pytest.raises(PduDecodeError):
        decode(12)  # type: ignore[arg-type]


def test_validity_encodings() -> None:
    relative = decode(encode_submit("+1", "a", validity=timedelta(days=4))[0].pdu)
    assert relative.validity == timedelta(days=4)
    absolute = decode(encode_submit("+1", "a", validity=TS)[0].pdu)
    assert absolute.validity == TS
    with pytest.raises(PduEncodeError):
        encode_submit("+1", "a", validity=timedelta(weeks=64))
    with pytest.raises(PduEncodeError):
        encode_submit("+1", "a", validity=datetime(2024, 1, 1))  # noqa: DTZ001 - naive on purpose


def test_encode_rejects_bad_arguments() -> None:
    with pytest.raises(PduEncodeError):
        encode_submit("+1", "Ж", encoding=Encoding.GSM7)
    with pytest.raises(PduEncodeError):
        encode_submit("+1")
    with pytest.raises(PduEncodeError):
        encode_submit("+1", "a", message_class=4)
    with pytest.raises(PduEncodeError):
        encode_submit("+1", "a" * 200, concat_reference=256)


def _pack_bit_by_bit(septets: bytes, fill: int) -> bytes:
    """23.038 6.1.2.1.1 packing, one septet at a time: septet i starts at bit fill + 7i."""
    value = 0
    for index, septet in enumerate(septets):
        value |= septet << (fill + 7 * index)
    return value.to_bytes((fill + 7 * len(septets) + 7) // 8, "little")


@pytest.mark.parametrize("fill", range(7))
def test_packing_matches_bit_by_bit_reference(fill: int) -> None:
    for length in [*range(300), 600]:  # past 255 septets the steps are built per call
        septets = bytes((index * 37 + fill * 11) % 128 for index in range(length))
        packed = _pack_bit_by_bit(septets, fill)
        assert gsm7.pack(septets, fill) == packed
        assert gsm7.unpack(packed, length, fill) == septets
        assert gsm7.unpack(packed + b"\xff", length, fill) == septets  # bits beyond are ignored


@pytest.mark.parametrize(
    "pdu",
    [
        VALID,
        encode_submit("+1", "x" * 200, validity=TS, request_status_report=True)[1].pdu,
        encode_deliver("Bank", "€ hello", timestamp=TS, smsc="+33609001390")[0].pdu,
        encode_status_report(7, "+33612345678", 0x46, timestamp=TS, discharge_time=TS).pdu,
    ],
)
def test_decoded_message_equals_keyword_built(pdu: bytes) -> None:
    # The decoder fills the frozen dataclasses' slots directly; the result must be
    # indistinguishable from what the generated __init__ builds.
    message = decode(pdu)
    rebuilt = type(message)(
        **{field.name: getattr(message, field.name) for field in fields(message)}
    )
    assert rebuilt == message
    assert repr(rebuilt) == repr(message)
    assert hash(rebuilt) == hash(message)


def test_slot_filler_wants_every_field_once() -> None:
    with pytest.raises(TypeError):
        slot_filler(Concat, "reference total sequence")
    with pytest.raises(TypeError):
        slot_filler(Concat, "reference total sequence bits bits")
    make = slot_filler(Concat, "bits reference total sequence")
    assert make(16, 0x1234, 3, 2) == Concat(0x1234, 3, 2, 16)
