"""USSD at the AT and codec level: +CUSD parsing, request packing, answer decoding by DCS.

Vectors come from public transcripts: ``*100#`` packed as ``AA180C3602`` (the request Huawei
firmware wants, in scripts and tests of several USSD tools); a RouterOS LTE log
``+CUSD: 0,"EBB79B1E0685E9ECF4BADE9E03", 0`` (packed GSM-7, blank before the DCS) read as
"konta atlikums"; the UCS-2 answer ``+CUSD: 0,"004F004B",72`` ("OK"); ``+CUSD: 4`` from an
operator without the service; plain text from SIMCom-style firmware.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.at import commands
from smsd.at.errors import MalformedResponse, UsageError
from smsd.modem.quirks import quirks_for
from smsd.modem.ussd import alphabet, decode_answer, encode_request, pack_gsm7, unpack_gsm7
from smsd.pdu import gsm7

PACKED = [
    ("*100#", "AA180C3602"),
    ("*105#", "AA18AC3602"),
    ("konta atlikums", "EBB79B1E0685E9ECF4BADE9E03"),
]

ANSWERS = [
    # +CUSD line, manufacturer, <m>, decoded text
    ('+CUSD: 0,"EBB79B1E0685E9ECF4BADE9E03", 0', "huawei", 0, "konta atlikums"),
    ('+CUSD: 0,"EBB79B1E0685E9ECF4BADE9E03", 0', "generic", 0, "konta atlikums"),
    ('+CUSD: 0,"004F004B",72', "huawei", 0, "OK"),
    ('+CUSD: 0,"004F004B",72', "SIMCOM INCORPORATED", 0, "OK"),
    ('+CUSD: 0,"Your balance is 50.00 PKR",15', "SIMCOM INCORPORATED", 0,
     "Your balance is 50.00 PKR"),
    ('+CUSD: 0,"Your balance is 50.00 PKR",15', "generic", 0, "Your balance is 50.00 PKR"),
    ('+CUSD: 1,"1234",15', "generic", 1, "1234"),  # short hex-looking text stays text
    ("+CUSD: 4", "huawei", 4, ""),
    ("+CUSD: 2", "quectel", 2, ""),
    ('+CUSD: 0,"0421043F0430044104380431043E",72', "generic", 0, "Спасибо"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "packed"), PACKED)
def test_gsm7_packing_both_ways(text: str, packed: str) -> None:
    assert pack_gsm7(text) == packed
    assert unpack_gsm7(packed) == text


@given(st.text(alphabet="0123456789*#abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=90))
def test_packing_round_trips_whatever_the_length(text: str) -> None:
    packed = pack_gsm7(text)
    assert unpack_gsm7(packed) == text.rstrip("\r")
    # the CR that fills 7 spare bits takes no extra octet
    assert len(bytes.fromhex(packed)) == (len(gsm7.encode_septets(text)) * 7 + 7) // 8


@pytest.mark.parametrize(("line", "maker", "status", "text"), ANSWERS)
def test_answers_decoded_by_dcs_and_vendor(line: str, maker: str, status: int, text: str) -> None:
    answer = decode_answer(commands.parse_cusd(line), quirks_for(maker))
    assert (int(answer.status), answer.text) == (status, text)
    assert answer.waiting is (status == 1)


def test_requests_follow_the_vendor() -> None:
    assert encode_request("*100#", quirks_for("huawei")) == 'AT+CUSD=1,"AA180C3602",15'
    assert encode_request("*100#", quirks_for("ZTE CORPORATION")) == 'AT+CUSD=1,"AA180C3602",15'
    assert encode_request("*100#", quirks_for("Quectel")) == 'AT+CUSD=1,"*100#",15'
    assert encode_request("1", quirks_for("SIMCOM")) == 'AT+CUSD=1,"1",15'
    assert commands.cusd_cancel() == "AT+CUSD=2"
    for bad in ("", '*1"#', "*100#\r", "é" * 3, "1" * 161):
        with pytest.raises(UsageError):
            encode_request(bad, quirks_for("huawei"))


def test_cell_broadcast_dcs_alphabets() -> None:
    assert alphabet(15)[0].value == "gsm7"
    assert alphabet(0)[0].value == "gsm7"
    assert alphabet(72)[0].value == "ucs2"
    assert alphabet(0x11) == (alphabet(72)[0], 2)
    assert alphabet(0x44)[0].value == "8bit"
    assert alphabet(0xF4)[0].value == "8bit"
    assert alphabet(None)[0].value == "gsm7"


def test_parse_cusd_forms_and_refusals() -> None:
    assert commands.parse_cusd("4") == commands.Ussd(4, None, None)
    assert commands.parse_cusd('+CUSD: 1,"Menu\n1 A",15').text == "Menu\n1 A"
    for bad in ("", "+CUSD:", "+CUSD: 9", '+CUSD: 0,"open'):
        with pytest.raises(MalformedResponse):
            commands.parse_cusd(bad)
