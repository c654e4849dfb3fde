"""The virtual modem's AT dialogue, bytes in -> bytes out, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd import pdu
from smsd.modem.virtual import (
    Cnmi,
    Delay,
    Faults,
    Hangup,
    MessageStat,
    VirtualModem,
    Write,
    luhn_valid,
)
from smsd.modem.virtual.identity import luhn_digit, swap_nibbles
from smsd.modem.virtual.syntax import Op, parse_line, split_arguments

WHEN = datetime(2024, 5, 17, 10, 30, 0, tzinfo=UTC)
STORE_AND_REPORT = Cnmi(mode=2, mt=1, bm=0, ds=1, bfr=0)


def quiet_modem(**kw) -> VirtualModem:
    """Echo off, CNMI storing with +CMTI and routing reports as +CDS, a fixed clock."""
    faults = kw.pop("faults", None) or Faults()
    faults.echo = False
    kw.setdefault("cnmi", STORE_AND_REPORT)
    return VirtualModem(faults=faults, clock=lambda: WHEN, **kw)


def written(actions) -> bytes:
    return b"".join(a.data for a in actions if isinstance(a, Write))


def talk(modem: VirtualModem, data: bytes | str, now: float = 0.0) -> bytes:
    if isinstance(data, str):
        data = data.encode()
    return written(modem.receive(data, now=now))


def lines(data: bytes) -> list[str]:
    return [line for line in data.decode("latin-1").replace("\r\n", "\r").split("\r") if line]


def submit(modem: VirtualModem, segment: pdu.EncodedPdu, now: float = 0.0) -> bytes:
    prompt = talk(modem, f"AT+CMGS={segment.tpdu_length}\r", now)
    assert prompt == b"\r\n> "
    return talk(modem, segment.hex.encode() + b"\x1a", now)


# ---------------------------------------------------------------- command tables

SIMPLE = [
    (b"AT\r", b"\r\nOK\r\n"),
    (b"at\r", b"\r\nOK\r\n"),
    (b"AT+CGMI\r", b"\r\nhuawei\r\n\r\nOK\r\n"),
    (b"AT+GMI\r", b"\r\nhuawei\r\n\r\nOK\r\n"),
    (b"AT+CGMM\r", b"\r\nE3372\r\n\r\nOK\r\n"),
    (b"AT+CGMR\r", b"\r\n22.200.15.00.00\r\n\r\nOK\r\n"),
    (b"AT+CGSN\r", b"\r\n123456789012347\r\n\r\nOK\r\n"),
    (b"AT+CIMI\r", b"\r\n208011234567890\r\n\r\nOK\r\n"),
    (b"AT+CCID\r", b"\r\n+CCID: 89330123456789012340\r\n\r\nOK\r\n"),
    (b"AT+ICCID\r", b"\r\n+ICCID: 89330123456789012340\r\n\r\nOK\r\n"),
    (b"AT^ICCID?\r", b"\r\n^ICCID: 98331032547698103204\r\n\r\nOK\r\n"),
    (b"AT+CNUM\r", b'\r\n+CNUM: "","+33600000000",145\r\n\r\nOK\r\n'),
    (b"AT+CSCA?\r", b'\r\n+CSCA: "+33609001390",145\r\n\r\nOK\r\n'),
    (b"AT+CPIN?\r", b"\r\n+CPIN: READY\r\n\r\nOK\r\n"),
    (b"AT+CSQ\r", b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n"),
    (b"AT+CREG?\r", b"\r\n+CREG: 0,1\r\n\r\nOK\r\n"),
    (b"AT+CGREG?\r", b"\r\n+CGREG: 0,1\r\n\r\nOK\r\n"),
    (b"AT+CREG=2\r", b"\r\nOK\r\n"),
    (b"AT+CREG=5\r", b"\r\n+CME ERROR: 50\r\n"),
    (b"AT+COPS?\r", b'\r\n+COPS: 0,0,"Orange F",7\r\n\r\nOK\r\n'),
    (b"AT+COPS=3,0\r", b"\r\nOK\r\n"),
    (b"AT+CMEE?\r", b"\r\n+CMEE: 1\r\n\r\nOK\r\n"),
    (b"AT+CMEE=?\r", b"\r\n+CMEE: (0-2)\r\n\r\nOK\r\n"),
    (b"AT+CMGF=0\r", b"\r\nOK\r\n"),
    (b"AT+CMGF?\r", b"\r\n+CMGF: 0\r\n\r\nOK\r\n"),
    (b"AT+CMGF=1\r", b"\r\n+CMS ERROR: 303\r\n"),
    (b"AT+CNMI?\r", b"\r\n+CNMI: 2,1,0,1,0\r\n\r\nOK\r\n"),
    (b"AT+CNMI=?\r", b"\r\n+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)\r\n\r\nOK\r\n"),
    (b"AT+CNMI=2,1,0,2,0\r", b"\r\nOK\r\n"),
    (b"AT+CNMI=2,7\r", b"\r\n+CMS ERROR: 303\r\n"),
    (b"AT+CSMS=0\r", b"\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n"),
    (b"AT+CSMS?\r", b"\r\n+CSMS: 0,1,1,1\r\n\r\nOK\r\n"),
    (b'AT+CPMS="SM","SM","SM"\r', b"\r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n"),
    (b'AT+CPMS="SM"\r', b"\r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n"),
    (b"AT+CPMS?\r", b'\r\n+CPMS: "SM",0,30,"SM",0,30,"SM",0,30\r\n\r\nOK\r\n'),
    (b'AT+CPMS="XX"\r', b"\r\n+CMS ERROR: 302\r\n"),
    (b'AT+CPMS="SM","SR"\r', b"\r\n+CMS ERROR: 302\r\n"),
    (
        b"AT+CPMS=?\r",
        b'\r\n+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")\r\n\r\nOK\r\n',
    ),
    (b"AT+CFUN?\r", b"\r\n+CFUN: 1\r\n\r\nOK\r\n"),
    (b"AT+CFUN=1\r", b"\r\nOK\r\n"),
    (b"AT^CURC=0\r", b"\r\nOK\r\n"),
    (b"AT^PORTSEL=1\r", b"\r\nOK\r\n"),  # gammu's Huawei start-up sends it
    (b"AT^PORTSEL?\r", b"\r\n^PORTSEL: 0\r\n\r\nOK\r\n"),
    (b"AT^PORTSEL=2\r", b"\r\n+CME ERROR: 50\r\n"),
    (b"AT+CMGL=4\r", b"\r\nOK\r\n"),
    (b"AT+CMGL=9\r", b"\r\n+CMS ERROR: 302\r\n"),
    (b"AT+CMGR=0\r", b"\r\n+CMS ERROR: 321\r\n"),
    (b"AT+CMGD=0\r", b"\r\nOK\r\n"),
    (b"AT+CMGD=99\r", b"\r\n+CMS ERROR: 321\r\n"),
    (b"AT+CMGD=0,4\r", b"\r\nOK\r\n"),
    (b"AT+CMGS=0\r", b"\r\n+CMS ERROR: 304\r\n"),
    (b"AT+CMGS=165\r", b"\r\n+CMS ERROR: 304\r\n"),
    (b"AT+CMGS\r", b"\r\nERROR\r\n"),
    (b"AT+CNMA\r", b"\r\n+CMS ERROR: 340\r\n"),
    (b"AT+CSCS=?\r", b'\r\n+CSCS: ("GSM","IRA","UCS2")\r\n\r\nOK\r\n'),
    (b"ATS0=0\r", b"\r\nOK\r\n"),
    (b"ATS3?\r", b"\r\n013\r\n\r\nOK\r\n"),
    (b"AT&C1&D2\r", b"\r\nOK\r\n"),
    (b"ATV1Q0\r", b"\r\nOK\r\n"),
    (b"ATV0\r", b"\r\nERROR\r\n"),
    (b"AT+FOO\r", b"\r\nERROR\r\n"),
    (b"ATD123;\r", b"\r\nERROR\r\n"),
    (b'AT+CPIN="12\r', b"\r\nERROR\r\n"),
    (b"AT+CMGF=0;+CMEE=2;+CGMM\r", b"\r\nE3372\r\n\r\nOK\r\n"),
    (b"AT+CGMM;+FOO;+CGMI\r", b"\r\nE3372\r\n\r\nERROR\r\n"),
    (b"hello\r", b""),
    (b"\r\n\r\n", b""),
]


@pytest.mark.parametrize(("sent", "answer"), SIMPLE, ids=[s.decode().strip() for s, _ in SIMPLE])
def test_command_table(sent, answer):
    modem = quiet_modem(
        imei="123456789012347", imsi="208011234567890", iccid="89330123456789012340"
    )
    assert talk(modem, sent) == answer


def test_set_commands_change_what_reads_answer():
    modem = quiet_modem()
    talk(modem, "AT+CREG=2;+COPS=3,2\r")
    answer = lines(talk(modem, "AT+CREG?;+COPS?\r"))
    assert answer == ['+CREG: 2,1,"1A2B","01C3D4E5",7', '+COPS: 0,2,"20801",7', "OK"]
    talk(modem, 'AT+CSCA="+33611223344",145\r')
    assert lines(talk(modem, "AT+CSCA?\r"))[0] == '+CSCA: "+33611223344",145'
    talk(modem, "AT+CFUN=0\r")
    assert lines(talk(modem, "AT+CSQ;+CREG?;+COPS?\r")) == [
        "+CSQ: 99,99",
        "+CREG: 2,0",
        "+COPS: 0",
        "OK",
    ]


def test_unsupported_reply_is_a_personality_option():
    modem = quiet_modem(unsupported_reply="COMMAND NOT SUPPORT")
    assert talk(modem, "AT+ZCDRUN=8\r") == b"\r\nCOMMAND NOT SUPPORT\r\n"


# ---------------------------------------------------------------- echo, framing, splitting


def test_echo_on_by_default_and_ate0_still_echoes_itself():
    modem = VirtualModem()
    assert talk(modem, "AT\r") == b"AT\r\r\nOK\r\n"
    assert talk(modem, "ATE0\r") == b"ATE0\r\r\nOK\r\n"
    assert talk(modem, "AT\r") == b"\r\nOK\r\n"
    assert talk(modem, "ATE1\r") == b"\r\nOK\r\n"
    assert talk(modem, "ATZ\r") == b"ATZ\r\r\nOK\r\n"
    assert modem.faults.echo


@pytest.mark.parametrize("terminator", [b"\r", b"\r\n", b"\n"])
def test_line_terminators_are_tolerated(terminator):
    modem = quiet_modem()
    assert talk(modem, b"AT+CGMM" + terminator + b"AT" + terminator) == (
        b"\r\nE3372\r\n\r\nOK\r\n\r\nOK\r\n"
    )


def test_bare_cr_line_end_fault_frames_every_line():
    modem = quiet_modem(faults=Faults(line_end=b"\r"))
    assert talk(modem, "AT+CGMM\r") == b"\rE3372\r\rOK\r"
    assert talk(modem, "AT+CMGS=5\r") == b"\r> "


def test_noise_before_at_backspace_and_control_bytes():
    modem = VirtualModem()
    out = talk(modem, b"\x00\x1b\x1a\xff~~AT+CGMX\x08M\r")
    # NUL, ESC and Ctrl-Z are dropped, the backspace erased the X: the echo shows the edited line
    assert out == b"\xff~~AT+CGMM\r\r\nE3372\r\n\r\nOK\r\n"


def test_overlong_line_is_refused_then_the_modem_recovers():
    modem = quiet_modem()
    assert talk(modem, b"AT" + b"X" * 5000 + b"\r") == b"\r\nERROR\r\n"
    assert talk(modem, "AT\r") == b"\r\nOK\r\n"


def conversation() -> list[bytes]:
    segment = pdu.encode_submit("+33612345678", "split me anywhere")[0]
    return [
        b"ATE0\r",
        b"AT+CMEE=1;+CMGF=0\r\n",
        f"AT+CMGS={segment.tpdu_length}\r".encode(),
        segment.hex.encode() + b"\x1a",
        b"AT+CMGL=4\r",
        b"AT+CSQ\r",
    ]


def run_chunks(chunks: list[bytes]) -> tuple[bytes, list[str]]:
    modem = VirtualModem(cnmi=STORE_AND_REPORT, clock=lambda: WHEN)
    modem.deliver("+33699999999", "stored before")
    out = b"".join(talk(modem, chunk) for chunk in chunks)
    return out, [s.pdu_hex for s in modem.submitted]


def test_same_output_whole_byte_by_byte_and_split_at_every_offset():
    whole = b"".join(conversation())
    expected = run_chunks([whole])
    assert b"+CMGS: 0" in expected[0]
    assert len(expected[1]) == 1
    assert run_chunks(conversation()) == expected
    assert run_chunks([bytes([b]) for b in whole]) == expected
    for offset in range(1, len(whole)):
        assert run_chunks([whole[:offset], whole[offset:]]) == expected, offset


def test_urc_noise_interleaves_lines_but_keeps_pdu_lines_with_headers():
    plain = quiet_modem()
    noisy = quiet_modem(faults=Faults(urc_noise=True))
    for modem in (plain, noisy):
        modem.deliver("+33611111111", "one", timestamp=WHEN)
        modem.deliver("+33622222222", "two", timestamp=WHEN)
    quiet_lines = lines(talk(plain, "AT+CMGL=4;+CSQ\r"))
    noisy_lines = lines(talk(noisy, "AT+CMGL=4;+CSQ\r"))
    noise = [line for line in noisy_lines if line.startswith("^")]
    assert len(noise) >= 3
    assert [line for line in noisy_lines if not line.startswith("^")] == quiet_lines
    for position, line in enumerate(noisy_lines):
        if line.startswith("+CMGL:"):
            assert not noisy_lines[position + 1].startswith("^")


# ---------------------------------------------------------------- sending


def test_submit_round_trip_records_the_decoded_submit():
    modem = quiet_modem()
    segment = pdu.encode_submit("+33612345678", "Hello from smsd", request_status_report=True)[0]
    assert submit(modem, segment, now=12.5) == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    (record,) = modem.submitted
    assert record.pdu_hex == segment.hex
    assert record.reference == 0
    assert record.at == 12.5
    assert record.submit.destination == "+33612345678"
    assert record.submit.text == "Hello from smsd"
    assert record.submit.status_report_request


def test_multipart_submit_and_references_wrap_after_255():
    modem = quiet_modem()
    modem._state.next_reference = 254
    text = "long message " * 30
    segments = pdu.encode_submit("+33612345678", text, concat_reference=7)
    assert len(segments) == 3
    answers = [lines(submit(modem, segment))[0] for segment in segments]
    assert answers == ["+CMGS: 254", "+CMGS: 255", "+CMGS: 0"]
    assert "".join(s.submit.text for s in modem.submitted) == text
    assert [s.submit.concat.sequence for s in modem.submitted] == [1, 2, 3]


def test_submit_accepts_lower_case_hex_and_an_smsc_part():
    modem = quiet_modem()
    segment = pdu.encode_submit("0612345678", "with smsc", smsc="+33609001390")[0]
    talk(modem, f"AT+CMGS={segment.tpdu_length}\r")
    assert lines(talk(modem, segment.hex.lower().encode() + b"\x1a")) == ["+CMGS: 0", "OK"]
    assert modem.submitted[0].submit.smsc == "+33609001390"


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(lambda seg: seg.hex[:-2], id="length-short"),
        pytest.param(lambda seg: seg.hex + "00", id="length-long"),
        pytest.param(lambda seg: seg.hex[:-1], id="odd-hex"),
        pytest.param(lambda seg: seg.hex[:-2] + "ZZ", id="not-hex"),
        pytest.param(lambda seg: seg.hex + "\r", id="trailing-cr"),
        pytest.param(lambda _: "", id="empty"),
        pytest.param(lambda seg: "00" + "04" + seg.hex[4:], id="wrong-mti"),
    ],
)
def test_invalid_pdu_answers_304_and_records_nothing(typed):
    modem = quiet_modem()
    segment = pdu.encode_submit("+33612345678", "x")[0]
    talk(modem, f"AT+CMGS={segment.tpdu_length}\r")
    assert talk(modem, typed(segment).encode() + b"\x1a") == b"\r\n+CMS ERROR: 304\r\n"
    assert modem.submitted == []
    assert talk(modem, "AT\r") == b"\r\nOK\r\n"


def test_a_deliver_pdu_typed_after_the_prompt_is_refused():
    modem = quiet_modem()
    deliver = pdu.encode_deliver("+33611111111", "in", timestamp=WHEN)[0]
    talk(modem, f"AT+CMGS={deliver.tpdu_length}\r")
    assert talk(modem, deliver.hex.encode() + b"\x1a") == b"\r\n+CMS ERROR: 304\r\n"


def test_escape_cancels_the_prompt_with_ok():
    modem = quiet_modem()
    talk(modem, "AT+CMGS=20\r")
    assert modem.awaiting_pdu
    assert talk(modem, b"0011\x1b") == b"\r\nOK\r\n"
    assert not modem.awaiting_pdu
    assert modem.submitted == []


def test_echo_repeats_the_typed_pdu():
    modem = VirtualModem()
    segment = pdu.encode_submit("+33612345678", "echo")[0]
    command = f"AT+CMGS={segment.tpdu_length}\r".encode()
    assert talk(modem, command) == command + b"\r\n> "
    assert talk(modem, segment.hex.encode() + b"\x1a") == (
        segment.hex.encode() + b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    )


def test_cms_error_queue_is_consumed_one_per_submit():
    modem = quiet_modem(faults=Faults(cms_errors=[38, 500]))
    segment = pdu.encode_submit("+33612345678", "retry me")[0]
    assert submit(modem, segment) == b"\r\n+CMS ERROR: 38\r\n"
    assert submit(modem, segment) == b"\r\n+CMS ERROR: 500\r\n"
    assert submit(modem, segment) == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert modem.faults.cms_errors == []
    talk(modem, "AT+CMEE=2\r")
    modem.faults.cms_errors.append(42)
    assert submit(modem, segment) == b"\r\n+CMS ERROR: congestion\r\n"


def test_network_refusals_unregistered_and_no_smsc():
    modem = quiet_modem(faults=Faults(registered=False))
    segment = pdu.encode_submit("+33612345678", "nobody hears")[0]
    assert submit(modem, segment) == b"\r\n+CMS ERROR: 331\r\n"
    modem = quiet_modem(smsc=None)
    assert submit(modem, segment) == b"\r\n+CMS ERROR: 330\r\n"


def test_delays_come_before_the_prompt_and_before_the_result():
    modem = quiet_modem(faults=Faults(prompt_delay=0.5, submit_delay=3.0))
    segment = pdu.encode_submit("+33612345678", "slow")[0]
    actions = modem.receive(f"AT+CMGS={segment.tpdu_length}\r".encode())
    assert actions == [Delay(0.5), Write(b"\r\n> ")]
    actions = modem.receive(segment.hex.encode() + b"\x1a")
    assert actions == [Delay(3.0), Write(b"\r\n+CMGS: 0\r\n\r\nOK\r\n")]


def test_hangup_on_submit_vanishes_after_the_sms_left():
    modem = quiet_modem(faults=Faults(hangup_on_submit=True))
    segment = pdu.encode_submit("+33612345678", "gone")[0]
    talk(modem, f"AT+CMGS={segment.tpdu_length}\r")
    assert modem.receive(segment.hex.encode() + b"\x1a") == [Hangup()]
    assert [s.reference for s in modem.submitted] == [0]


def test_cmgw_stores_and_cmss_sends_from_storage():
    modem = quiet_modem()
    segment = pdu.encode_submit("+33612345678", "draft")[0]
    assert talk(modem, f"AT+CMGW={segment.tpdu_length}\r") == b"\r\n> "
    assert lines(talk(modem, segment.hex.encode() + b"\x1a")) == ["+CMGW: 0", "OK"]
    assert lines(talk(modem, "AT+CMGL=2\r"))[0] == f"+CMGL: 0,2,,{segment.tpdu_length}"
    assert lines(talk(modem, "AT+CMSS=0\r")) == ["+CMSS: 0", "OK"]
    assert lines(talk(modem, "AT+CMGR=0\r"))[0] == f"+CMGR: 3,,{segment.tpdu_length}"
    assert modem.submitted[0].submit.text == "draft"
    assert talk(modem, "AT+CMSS=5\r") == b"\r\n+CMS ERROR: 321\r\n"


# ---------------------------------------------------------------- receiving


def decode_listing(answer: list[str]) -> list[tuple[int, int, pdu.Deliver]]:
    found = []
    for position, line in enumerate(answer):
        if line.startswith(("+CMGL:", "+CMGR:")):
            fields = line.split(":", 1)[1].split(",")
            message = pdu.decode(answer[position + 1])
            assert len(bytes.fromhex(answer[position + 1])) - 1 - bytes.fromhex(
                answer[position + 1]
            )[0] == int(fields[-1])
            if line.startswith("+CMGR:"):  # no index in a +CMGR header
                fields.insert(0, "-1")
            found.append((int(fields[0]), int(fields[1]), message))
    return found


def test_multipart_deliver_is_announced_per_part_and_lists_back_to_the_text():
    modem = quiet_modem()
    text = "Ünïcødé ✓ " * 20
    announced = written(modem.deliver("+33611111111", text, timestamp=WHEN))
    indications = lines(announced)
    assert indications == [f'+CMTI: "SM",{i}' for i in range(len(indications))]
    assert len(indications) == 3
    listed = decode_listing(lines(talk(modem, "AT+CMGL=4\r")))
    assert [(index, stat) for index, stat, _ in listed] == [(0, 0), (1, 0), (2, 0)]
    parts = sorted((m for _, _, m in listed), key=lambda m: m.concat.sequence)
    assert {m.concat.reference for m in parts} == {0}
    assert "".join(m.text for m in parts) == text
    assert all(m.sender == "+33611111111" and m.timestamp == WHEN for m in parts)
    assert talk(modem, "AT+CMGL=0\r") == b"\r\nOK\r\n"
    assert [stat for _, stat, _ in decode_listing(lines(talk(modem, "AT+CMGL=1\r")))] == [1] * 3


def test_concat_references_advance_per_long_message():
    modem = quiet_modem()
    modem.deliver("+33611111111", "a" * 200)
    modem.deliver("+33611111111", "b" * 200)
    listed = decode_listing(lines(talk(modem, "AT+CMGL=4\r")))
    assert [m.concat.reference for _, _, m in listed] == [0, 0, 1, 1]


def test_index_base_one_like_simcom():
    modem = quiet_modem(index_base=1)
    assert lines(written(modem.deliver("+33611111111", "hi"))) == ['+CMTI: "SM",1']
    assert lines(talk(modem, "AT+CMGR=1\r"))[0].startswith("+CMGR: 0,,")
    assert talk(modem, "AT+CMGR=0\r") == b"\r\n+CMS ERROR: 321\r\n"


def test_cmgr_marks_read_and_cmgd_deletes():
    modem = quiet_modem()
    modem.deliver("+33611111111", "read me", timestamp=WHEN)
    ((index, stat, message),) = decode_listing(lines(talk(modem, "AT+CMGR=0\r")))
    assert (index, stat, message.text) == (-1, 0, "read me")
    assert lines(talk(modem, "AT+CMGR=0\r"))[0].startswith("+CMGR: 1,,")
    assert talk(modem, "AT+CMGD=0\r") == b"\r\nOK\r\n"
    assert talk(modem, "AT+CMGR=0\r") == b"\r\n+CMS ERROR: 321\r\n"


def test_cmgd_delete_flags():
    modem = quiet_modem()
    for text in ("one", "two", "three"):
        modem.deliver("+33611111111", text)
    talk(modem, "AT+CMGR=1\r")
    assert lines(talk(modem, "AT+CMGD=?\r"))[0] == "+CMGD: (0,1,2),(0-4)"
    talk(modem, "AT+CMGD=0,1\r")
    assert modem.memory("SM").occupied() == [0, 2]
    talk(modem, "AT+CMGD=0,4\r")
    assert modem.memory("SM").used == 0


def test_cnmi_mt2_routes_the_pdu_directly_and_stores_nothing():
    modem = quiet_modem(cnmi=Cnmi(mode=2, mt=2))
    out = lines(written(modem.deliver("+33611111111", "direct", timestamp=WHEN)))
    assert out[0].startswith("+CMT: ,")
    assert int(out[0].split(",")[1]) == len(bytes.fromhex(out[1])) - 1 - bytes.fromhex(out[1])[0]
    assert pdu.decode(out[1]).text == "direct"
    assert modem.memory("SM").used == 0
    assert talk(modem, "AT+CNMA\r") == b"\r\n+CMS ERROR: 340\r\n"
    talk(modem, "AT+CSMS=1\r")
    modem.deliver("+33611111111", "ack me")
    assert talk(modem, "AT+CNMA\r") == b"\r\nOK\r\n"
    assert talk(modem, "AT+CNMA\r") == b"\r\n+CMS ERROR: 340\r\n"


def test_flash_class_3_with_mt3_is_direct_others_stored():
    modem = quiet_modem(cnmi=Cnmi(mode=2, mt=3))
    assert lines(written(modem.deliver("+33611111111", "te", message_class=3)))[0].startswith(
        "+CMT: ,"
    )
    assert lines(written(modem.deliver("+33611111111", "plain"))) == ['+CMTI: "SM",0']


def test_mt0_stores_silently_for_polling():
    modem = quiet_modem(cnmi=Cnmi(mode=2, mt=0))
    assert modem.deliver("+33611111111", "poll me") == []
    ((_, _, message),) = decode_listing(lines(talk(modem, "AT+CMGL=4\r")))
    assert message.text == "poll me"


def test_power_on_cnmi_buffers_until_the_host_sets_it():
    modem = VirtualModem(faults=Faults(echo=False))
    talk(modem, "AT+CNMI=0,1,0,0,0\r")
    assert modem.deliver("+33611111111", "early") == []
    assert lines(talk(modem, "AT+CNMI=2,1,0,0,0\r")) == ["OK", '+CMTI: "SM",0']
    talk(modem, "AT+CNMI=0,1,0,0,0\r")
    modem.deliver("+33611111111", "dropped indication")
    assert lines(talk(modem, "AT+CNMI=2,1,0,0,1\r")) == ["OK"]
    assert modem.memory("SM").used == 2


def test_indication_during_the_prompt_waits_for_the_result():
    modem = quiet_modem()
    segment = pdu.encode_submit("+33612345678", "busy")[0]
    talk(modem, f"AT+CMGS={segment.tpdu_length}\r")
    assert modem.deliver("+33611111111", "meanwhile") == []
    assert lines(talk(modem, segment.hex.encode() + b"\x1a")) == [
        "+CMGS: 0",
        "OK",
        '+CMTI: "SM",0',
    ]


def test_storage_full_no_cmti_then_the_network_delivers_again_after_cmgd():
    modem = quiet_modem(faults=Faults(storage_capacity=2))
    assert lines(written(modem.deliver("+33611111111", "1"))) == ['+CMTI: "SM",0']
    assert lines(written(modem.deliver("+33611111111", "2"))) == ['+CMTI: "SM",1']
    assert lines(written(modem.deliver("+33611111111", "3"))) == ['^SMMEMFULL: "SM"']
    assert modem.network_queue_length == 1
    assert lines(talk(modem, "AT+CPMS?\r"))[0] == '+CPMS: "SM",2,2,"SM",2,2,"SM",2,2'
    assert lines(talk(modem, "AT+CMGD=0\r")) == ["OK", '+CMTI: "SM",0']
    assert modem.network_queue_length == 0
    modem.faults.memfull_urc = False
    assert modem.deliver("+33611111111", "4") == []
    segment = pdu.encode_submit("+33612345678", "draft")[0]
    talk(modem, f"AT+CMGW={segment.tpdu_length}\r")
    assert talk(modem, segment.hex.encode() + b"\x1a") == b"\r\n+CMS ERROR: 322\r\n"


def test_deliver_rejects_what_cannot_be_encoded():
    modem = quiet_modem()
    with pytest.raises(pdu.PduEncodeError):
        modem.deliver("+33611111111", "x" * 200_000)
    assert modem.memory("SM").used == 0


def test_raw_pdu_delivery_for_hosts_that_must_survive_bad_storage():
    modem = quiet_modem()
    assert lines(written(modem.deliver_pdu(b"\x00\x04\xff", 2))) == ['+CMTI: "SM",0']
    assert lines(talk(modem, "AT+CMGR=0\r"))[:2] == ["+CMGR: 0,,2", "0004FF"]


# ---------------------------------------------------------------- status reports


def test_status_report_routed_as_cds_when_released():
    modem = quiet_modem()
    segment = pdu.encode_submit("+33612345678", "report me", request_status_report=True)[0]
    submit(modem, segment)
    assert [(r.reference, r.recipient) for r in modem.pending_reports] == [(0, "+33612345678")]
    out = lines(written(modem.release_reports()))
    assert out[0].startswith("+CDS: ")
    report = pdu.decode(out[1])
    assert isinstance(report, pdu.StatusReport)
    assert (report.reference, report.recipient, report.delivered) == (0, "+33612345678", True)
    assert int(out[0].split(": ")[1]) == len(bytes.fromhex(out[1])) - 1 - bytes.fromhex(out[1])[0]
    assert modem.pending_reports == []


def test_status_report_stored_in_sr_with_cdsi():
    modem = quiet_modem(cnmi=Cnmi(mode=2, mt=1, ds=2))
    assert lines(written(modem.deliver_report(42, "+33612345678", 0x46))) == ['+CDSI: "SR",0']
    assert lines(talk(modem, 'AT+CPMS="SR"\r')) == ["+CPMS: 1,10,0,30,0,30", "OK"]
    answer = lines(talk(modem, "AT+CMGR=0\r"))
    report = pdu.decode(answer[1])
    assert (report.reference, report.status, report.permanent) == (42, 0x46, True)


def test_auto_status_reports_follow_the_cmgs_result():
    modem = quiet_modem(faults=Faults(auto_status_reports=True))
    segment = pdu.encode_submit("+33612345678", "auto", request_status_report=True)[0]
    out = lines(submit(modem, segment))
    assert out[:2] == ["+CMGS: 0", "OK"]
    assert out[2].startswith("+CDS: ")
    assert pdu.decode(out[3]).reference == 0


def test_no_report_queued_without_request_or_when_disabled():
    modem = quiet_modem(faults=Faults(status_reports=False))
    submit(modem, pdu.encode_submit("+33612345678", "x", request_status_report=True)[0])
    submit(modem, pdu.encode_submit("+33612345678", "y")[0])
    assert modem.pending_reports == []
    assert modem.release_reports() == []


def test_ds0_reports_are_not_routed():
    modem = quiet_modem(cnmi=Cnmi(mode=2, mt=1, ds=0))
    assert modem.deliver_report(1, "+33612345678") == []


# ---------------------------------------------------------------- SIM and errors


def test_pin_flow_three_wrong_pins_then_puk():
    modem = quiet_modem(faults=Faults(pin="1234"))
    assert lines(talk(modem, "AT+CPIN?\r")) == ["+CPIN: SIM PIN", "OK"]
    assert talk(modem, "AT+CIMI\r") == b"\r\n+CME ERROR: 11\r\n"
    assert talk(modem, "AT+CMGL=4\r") == b"\r\n+CMS ERROR: 311\r\n"
    assert lines(talk(modem, "AT+CCID\r"))[0].startswith("+CCID: ")
    assert lines(talk(modem, "AT+CREG?\r"))[0] == "+CREG: 0,0"
    for _ in range(3):
        assert talk(modem, 'AT+CPIN="0000"\r') == b"\r\n+CME ERROR: 16\r\n"
    assert lines(talk(modem, "AT+CPIN?\r")) == ["+CPIN: SIM PUK", "OK"]
    assert talk(modem, 'AT+CPIN="1234"\r') == b"\r\n+CME ERROR: 50\r\n"
    assert talk(modem, 'AT+CPIN="00000000","4321"\r') == b"\r\n+CME ERROR: 16\r\n"
    assert talk(modem, 'AT+CPIN="12345678","4321"\r') == b"\r\nOK\r\n"
    assert lines(talk(modem, "AT+CPIN?\r")) == ["+CPIN: READY", "OK"]
    assert modem.faults.pin == "4321"
    assert talk(modem, 'AT+CPIN="4321"\r') == b"\r\n+CME ERROR: 3\r\n"


def test_right_pin_unlocks_and_a_reset_locks_again():
    modem = quiet_modem(faults=Faults(pin="1234"))
    assert talk(modem, 'AT+CPIN="0000"\r') == b"\r\n+CME ERROR: 16\r\n"
    assert talk(modem, "AT+CPIN=1234\r") == b"\r\nOK\r\n"
    assert lines(talk(modem, "AT+CIMI\r"))[1] == "OK"
    assert talk(modem, "AT+CFUN=1,1\r") == b"\r\nOK\r\n"
    assert lines(talk(modem, "AT+CPIN?\r")) == ["AT+CPIN?", "+CPIN: SIM PIN", "OK"]


def test_reset_can_unplug_the_device():
    modem = quiet_modem(faults=Faults(reset_unplugs=True))
    assert modem.receive(b"AT+CFUN=1,1\r") == [Write(b"\r\nOK\r\n"), Hangup()]


@pytest.mark.parametrize(
    ("level", "cme", "cms"),
    [
        (0, b"\r\nERROR\r\n", b"\r\nERROR\r\n"),
        (1, b"\r\n+CME ERROR: 10\r\n", b"\r\n+CMS ERROR: 310\r\n"),
        (2, b"\r\n+CME ERROR: SIM not inserted\r\n", b"\r\n+CMS ERROR: (U)SIM not inserted\r\n"),
    ],
)
def test_no_sim_errors_at_each_cmee_level(level, cme, cms):
    modem = quiet_modem(faults=Faults(sim_present=False))
    talk(modem, f"AT+CMEE={level}\r")
    assert talk(modem, "AT+CPIN?\r") == cme
    assert talk(modem, "AT+CMGS=20\r") == cms
    assert lines(talk(modem, "AT+CREG?\r"))[0] == "+CREG: 0,0"


def test_silent_modem_answers_nothing_and_ignores_input():
    modem = quiet_modem(faults=Faults(silent=True))
    assert modem.receive(b"ATE1\r") == []
    assert modem.deliver("+33611111111", "lost announcement") == []
    modem.faults.silent = False
    assert talk(modem, "AT\r") == b"\r\nOK\r\n"
    assert modem.memory("SM").used == 1


def test_garbage_replaces_replies_but_commands_still_act():
    modem = VirtualModem(faults=Faults(garbage=True), seed=3)
    out = talk(modem, "ATE0\r")
    assert out
    assert b"OK" not in out
    assert b"ATE0" not in out
    modem.faults.garbage = False
    assert talk(modem, "AT\r") == b"\r\nOK\r\n"


def test_inject_urc():
    modem = quiet_modem()
    assert written(modem.inject_urc("RING")) == b"\r\nRING\r\n"


# ---------------------------------------------------------------- identity and syntax


def test_identity_is_well_formed_and_distinct_per_name():
    first, second = VirtualModem(name="a").identity, VirtualModem(name="b").identity
    for identity in (first, second):
        assert len(identity.imei) == 15
        assert luhn_valid(identity.imei)
        assert len(identity.iccid) == 20
        assert luhn_valid(identity.iccid)
        assert len(identity.imsi) == 15
        assert identity.imsi.startswith("20801")
    assert first.imei != second.imei
    assert first.iccid != second.iccid
    assert VirtualModem(name="a").identity == first


def test_luhn_known_values():
    assert luhn_digit("49015420323751") == "8"  # IMEI example of 3GPP TS 23.003 Annex B
    assert luhn_valid("490154203237518")
    assert not luhn_valid("490154203237519")
    assert swap_nibbles("8933") == "9833"
    assert swap_nibbles("123") == "21F3"
    with pytest.raises(ValueError, match="decimal digits"):
        luhn_digit("12a")


def test_syntax_splitting():
    commands = parse_line('+CMGF=0;+CPMS="SM","ME";E0V1&FS0=0;^CURC?;+CNMI=?;+CSQ')
    assert [(c.name, c.op, c.args) for c in commands] == [
        ("+CMGF", Op.SET, ("0",)),
        ("+CPMS", Op.SET, ("SM", "ME")),
        ("E", Op.EXEC, ("0",)),
        ("V", Op.EXEC, ("1",)),
        ("&F", Op.EXEC, ()),
        ("S0", Op.SET, ("0",)),
        ("^CURC", Op.READ, ()),
        ("+CNMI", Op.TEST, ()),
        ("+CSQ", Op.EXEC, ()),
    ]
    assert split_arguments('1,,"a;b,c", 2 ') == ("1", None, "a;b,c", "2")


def test_stored_stat_values_match_27005():
    assert [s.value for s in MessageStat] == [0, 1, 2, 3, 4]


# ---------------------------------------------------------------- hostile input

FRAGMENTS = [
    b"AT\r",
    b"ATE1\r",
    b"AT+CMGS=18\r",
    b"AT+CMGW=5\r",
    b"0021000B913316325476F8000005E8329BFD06",
    b"\x1a",
    b"\x1b",
    b"AT+CMGL=4\r",
    b"AT+CMGR=0\r",
    b"AT+CMGD=0,4\r",
    b'AT+CPMS="SR"\r',
    b"AT+CNMI=2,2,0,1,0\r",
    b"AT+CMEE=2\r",
    b'AT+CPIN="0000"\r',
    b"AT+CFUN=1,1\r",
    b"ATS3=\xb2\r",
    b"AT+CMGR=\xb2\r",
    b'AT+CPMS="\r',
]


@given(
    chunks=st.lists(
        st.one_of(st.binary(max_size=24), st.sampled_from(FRAGMENTS)),
        max_size=30,
    ),
    deliveries=st.integers(min_value=0, max_value=3),
)
def test_any_input_gives_actions_and_esc_then_at_recovers(chunks, deliveries):
    modem = VirtualModem(faults=Faults(storage_capacity=3), clock=lambda: WHEN)
    for number in range(deliveries):
        modem.deliver("+33611111111", f"fuzz {number}")
    for chunk in chunks:
        for action in modem.receive(chunk):
            assert isinstance(action, Write | Delay | Hangup)
    modem.receive(b"\r")
    assert talk(modem, b"\x1b\rAT\r").endswith(b"\r\nOK\r\n")


def test_sim_busy_answers_14_or_314_for_a_few_commands():
    modem = quiet_modem(faults=Faults(sim_busy=3))
    assert talk(modem, "AT+CPIN?\r") == b"\r\n+CME ERROR: 14\r\n"
    assert talk(modem, "AT+CIMI\r") == b"\r\n+CME ERROR: 14\r\n"
    assert talk(modem, "AT+CMGL=4\r") == b"\r\n+CMS ERROR: 314\r\n"
    assert talk(modem, "AT+CMGL=4\r") == b"\r\nOK\r\n"
    assert talk(modem, "AT+CGMM\r") == b"\r\nE3372\r\n\r\nOK\r\n"


def test_overlong_pdu_is_refused_at_ctrl_z():
    modem = quiet_modem()
    talk(modem, "AT+CMGS=164\r")
    assert talk(modem, b"00" * 2000 + b"\x1a") == b"\r\n+CMS ERROR: 304\r\n"
    assert talk(modem, "AT\r") == b"\r\nOK\r\n"


def test_assigning_new_faults_takes_effect():
    modem = quiet_modem()
    modem.faults = Faults(echo=False, storage_capacity=1, silent=False)
    assert lines(talk(modem, "AT+CPMS?\r"))[0] == '+CPMS: "SM",0,1,"SM",0,1,"SM",0,1'
    modem.faults = Faults(silent=True)
    assert modem.receive(b"AT\r") == []
