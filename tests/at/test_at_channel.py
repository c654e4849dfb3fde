"""AtChannel: byte conversations -> events, under every split and with garbage injected."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.at.channel import CTRL_Z, ESC, AtChannel, State
from smsd.at.errors import ChannelClosed, CmeError, CmsError, CommandFailed, UsageError
from smsd.at.events import Echo, Final, Garbage, Info, Prompt, Urc

PDU = "0011000B913366554433F20000AA05E8329BFD06"
CMT_PDU = "07913396050066F0040B913366554433F20000522181114550800AE8329BFD4697D9EC37"
OK = Final(ok=True, error=None, line="OK")


def chunkings(data: bytes):
    yield "whole", [data]
    yield "bytewise", [bytes([b]) for b in data]
    for i in range(1, len(data)):
        yield f"split@{i}", [data[:i], data[i:]]


def play(steps, chunker=lambda data: [data]):
    """Run steps: ("send", cmd) / ("pdu", hex) / ("recv", bytes); collect events."""
    channel = AtChannel()
    events = []
    for kind, arg in steps:
        if kind == "send":
            channel.send(arg)
        elif kind == "pdu":
            channel.send_pdu(arg)
        else:
            for chunk in chunker(arg):
                events.extend(channel.receive(chunk))
    return events, channel


def all_modes(steps):
    """Yield (mode, events) with each recv step fed whole, bytewise, and split at each offset."""
    recvs = [i for i, (kind, _) in enumerate(steps) if kind == "recv"]
    yield "whole", play(steps)[0]
    yield "bytewise", play(steps, lambda d: [bytes([b]) for b in d])[0]
    for step in recvs:
        data = steps[step][1]
        for i in range(1, len(data)):

            def chunker(d, data=data, i=i):
                return [d[:i], d[i:]] if d is data else [d]

            yield f"step{step}@{i}", play(steps, chunker)[0]


CONVERSATIONS = [
    (
        "plain, echo off",
        [("send", "AT+CSQ"), ("recv", b"\r\n+CSQ: 17,99\r\n\r\nOK\r\n")],
        [Info("+CSQ: 17,99"), OK],
    ),
    (
        "echo on",
        [("send", "AT+CSQ"), ("recv", b"AT+CSQ\r\r\n+CSQ: 17,99\r\n\r\nOK\r\n")],
        [Echo("AT+CSQ"), Info("+CSQ: 17,99"), OK],
    ),
    (
        "bare CR line ends (ATV1 with S4=13)",
        [("send", "AT+CSQ"), ("recv", b"AT+CSQ\r+CSQ: 17,99\rOK\r")],
        [Echo("AT+CSQ"), Info("+CSQ: 17,99"), OK],
    ),
    (
        "NULs",
        [("send", "AT+CSQ"), ("recv", b"\x00\r\n+CSQ: 1\x007,99\r\n\x00OK\r\n")],
        [Info("+CSQ: 17,99"), OK],
    ),
    (
        "bare identity line",
        [("send", "AT+CGSN"), ("recv", b"\r\n356789012345678\r\n\r\nOK\r\n")],
        [Info("356789012345678"), OK],
    ),
    (
        "+CMTI between CMGL entries and the final",
        [
            ("send", "AT+CMGL=4"),
            (
                "recv",
                f'\r\n+CMGL: 1,0,,23\r\n{PDU}\r\n\r\n+CMTI: "SM",2\r\n+CMGL: 2,1,,23\r\n{PDU}\r\n'
                f"\r\n^RSSI: 17\r\n\r\nOK\r\n".encode(),
            ),
        ],
        [
            Info("+CMGL: 1,0,,23"),
            Info(PDU),
            Urc("+CMTI", '"SM",2', '+CMTI: "SM",2'),
            Info("+CMGL: 2,1,,23"),
            Info(PDU),
            Urc("^RSSI", "17", "^RSSI: 17"),
            OK,
        ],
    ),
    (
        "+CMT header and PDU between response lines",
        [
            ("send", "AT+CSQ"),
            ("recv", f"\r\n+CMT: ,36\r\n{CMT_PDU}\r\n\r\n+CSQ: 17,99\r\n\r\nOK\r\n".encode()),
        ],
        [Urc("+CMT", ",36", "+CMT: ,36", CMT_PDU), Info("+CSQ: 17,99"), OK],
    ),
    (
        "^RSSI inside a +CMGR reply (Huawei E171, babca#47)",
        [
            ("send", "AT+CMGR=3"),
            ("recv", f"\r\n+CMGR: 0,,23\r\n^RSSI: 12\r\n{PDU}\r\n\r\nOK\r\n".encode()),
        ],
        [Info("+CMGR: 0,,23"), Urc("^RSSI", "12", "^RSSI: 12"), Info(PDU), OK],
    ),
    (
        "CMGS with prompt, RING during the submit",
        [
            ("send", "AT+CMGS=19"),
            ("recv", b"\r\n> "),
            ("pdu", PDU),
            ("recv", b"\r\nRING\r\n\r\n+CMGS: 12\r\n\r\nOK\r\n"),
        ],
        [Prompt(), Urc("RING", "", "RING"), Info("+CMGS: 12"), OK],
    ),
    (
        "CMGS prompt without leading CRLF, echo on (PDU echoed)",
        [
            ("send", "AT+CMGS=19"),
            ("recv", b"AT+CMGS=19\r> "),
            ("pdu", PDU),
            ("recv", f"{PDU}\x1a\r\n+CMGS: 0\r\n\r\nOK\r\n".encode()),
        ],
        [Echo("AT+CMGS=19"), Prompt(), Echo(PDU), Info("+CMGS: 0"), OK],
    ),
    (
        "+CMS ERROR: 500 after the PDU",
        [
            ("send", "AT+CMGS=19"),
            ("recv", b"\r\n> "),
            ("pdu", PDU),
            ("recv", b"\r\n+CMS ERROR: 500\r\n"),
        ],
        [Prompt(), Final(False, CmsError("AT+CMGS=19", 500), "+CMS ERROR: 500")],
    ),
    (
        "+CMS ERROR instead of the prompt",
        [("send", "AT+CMGS=19"), ("recv", b"\r\n+CMS ERROR: 330\r\n")],
        [Final(False, CmsError("AT+CMGS=19", 330), "+CMS ERROR: 330")],
    ),
    (
        "verbose CME error",
        [("send", "AT+CMGL=4"), ("recv", b"\r\n+CME ERROR: SIM PIN required\r\n")],
        [
            Final(
                False,
                CmeError("AT+CMGL=4", 11, "SIM PIN required"),
                "+CME ERROR: SIM PIN required",
            )
        ],
    ),
    (
        "Huawei error word",
        [("send", "AT^FOO"), ("recv", b"\r\nCOMMAND NOT SUPPORT\r\n")],
        [Final(False, CommandFailed("AT^FOO", "COMMAND NOT SUPPORT"), "COMMAND NOT SUPPORT")],
    ),
    (
        "+CREG read response is Info, not a URC",
        [("send", "AT+CREG?"), ("recv", b'\r\n+CREG: 2,1,"1A2B","00AB12CD",7\r\n\r\nOK\r\n')],
        [Info('+CREG: 2,1,"1A2B","00AB12CD",7'), OK],
    ),
    (
        "+CREG URC during another command",
        [("send", "AT+CSQ"), ("recv", b"\r\n+CREG: 5\r\n+CSQ: 9,99\r\nOK\r\n")],
        [Urc("+CREG", "5", "+CREG: 5"), Info("+CSQ: 9,99"), OK],
    ),
    (
        "+CUSD during AT+CUSD stays a URC",
        [
            ("send", 'AT+CUSD=1,"*100#",15'),
            ("recv", b'\r\nOK\r\n\r\n+CUSD: 0,"Solde 5 EUR",15\r\n'),
        ],
        [OK, Urc("+CUSD", '0,"Solde 5 EUR",15', '+CUSD: 0,"Solde 5 EUR",15')],
    ),
    (
        "multi-line +CUSD text",
        [("recv", b'\r\n+CUSD: 0,"Solde: 5 EUR\r\nValable 30j",15\r\n')],
        [
            Urc(
                "+CUSD",
                '0,"Solde: 5 EUR\nValable 30j",15',
                '+CUSD: 0,"Solde: 5 EUR\nValable 30j",15',
            )
        ],
    ),
    (
        "NO CARRIER is a URC for an ordinary command",
        [("send", "AT+CSQ"), ("recv", b"\r\nNO CARRIER\r\n+CSQ: 9,99\r\nOK\r\n")],
        [Urc("NO CARRIER", "", "NO CARRIER"), Info("+CSQ: 9,99"), OK],
    ),
    (
        "NO CARRIER is final for ATD",
        [("send", "ATD+33612345678;"), ("recv", b"\r\nNO CARRIER\r\n")],
        [Final(False, CommandFailed("ATD+33612345678;", "NO CARRIER"), "NO CARRIER")],
    ),
    (
        "idle: vendor noise and SIMCom start-up",
        [
            (
                "recv",
                (
                    b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n"
                    b"\r\nSMS Ready\r\n\r\n^BOOT:20123456,0,0,0,75\r\n\r\n+QIND: SMS DONE\r\n"
                ),
            )
        ],
        [
            Urc("RDY", "", "RDY"),
            Urc("+CFUN", "1", "+CFUN: 1"),
            Urc("+CPIN", "READY", "+CPIN: READY"),
            Urc("Call Ready", "", "Call Ready"),
            Urc("SMS Ready", "", "SMS Ready"),
            Urc("^BOOT", "20123456,0,0,0,75", "^BOOT:20123456,0,0,0,75"),
            Urc("+QIND", "SMS DONE", "+QIND: SMS DONE"),
        ],
    ),
    (
        "idle: unknown lines, stray final, late echo",
        [("recv", b"\r\n+FOO: 1,2\r\nhello there\r\nOK\r\nAT+CSQ\r\n+CMGS: 7\r\n")],
        [
            Urc("+FOO", "1,2", "+FOO: 1,2"),
            Urc("", "hello there", "hello there"),
            Echo("AT+CSQ"),
            Urc("+CMGS", "7", "+CMGS: 7"),
        ],
    ),
    (
        "idle: +CDS in PDU mode carries a PDU, text mode does not",
        [("recv", f'\r\n+CDS: 25\r\n{PDU}\r\n\r\n+CDS: 6,12,"+3361",145\r\n'.encode())],
        [
            Urc("+CDS", "25", "+CDS: 25", PDU),
            Urc("+CDS", '6,12,"+3361",145', '+CDS: 6,12,"+3361",145'),
        ],
    ),
    (
        "idle: +CMT header cut short by a final result",
        [("send", "AT"), ("recv", b"\r\n+CMT: ,36\r\nOK\r\n")],
        [Urc("+CMT", ",36", "+CMT: ,36"), OK],
    ),
    (
        "garbage between lines",
        [("send", "AT+CSQ"), ("recv", b"\r\n\xff\xfe\x80\r\n+CSQ: 17,99\r\nOK\r\n")],
        [Garbage(b"\xff\xfe\x80", "undecodable bytes"), Info("+CSQ: 17,99"), OK],
    ),
    (
        "ZTE URC mid-response",
        [
            ("send", "AT+CPMS?"),
            ("recv", b'\r\n+ZPASR: "LTE"\r\n+CPMS: "SM",1,30,"SM",1,30,"SM",1,30\r\nOK\r\n'),
        ],
        [
            Urc("+ZPASR", '"LTE"', '+ZPASR: "LTE"'),
            Info('+CPMS: "SM",1,30,"SM",1,30,"SM",1,30'),
            OK,
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "steps", "expected"), CONVERSATIONS, ids=[c[0] for c in CONVERSATIONS]
)
def test_conversation_every_split(name, steps, expected):
    for mode, events in all_modes(steps):
        assert events == expected, mode


@pytest.mark.parametrize(
    ("name", "steps", "expected"), CONVERSATIONS, ids=[c[0] for c in CONVERSATIONS]
)
def test_conversation_with_garbage_injected(name, steps, expected):
    """Garbage injected at any line boundary adds one Garbage event, changes nothing else."""
    junk = b"\x80\xfe\x01junk\r\n"
    for index, (kind, data) in enumerate(steps):
        if kind != "recv":
            continue
        boundaries = [i + 1 for i, b in enumerate(data) if b in b"\r\n"]
        for at in boundaries:
            mutated = list(steps)
            mutated[index] = ("recv", data[:at] + junk + data[at:])
            events, _ = play(mutated)
            clean = [e for e in events if not isinstance(e, Garbage)]
            assert clean == [e for e in expected if not isinstance(e, Garbage)], at
            injected = [e for e in events if isinstance(e, Garbage) and e.data.startswith(b"\x80")]
            assert len(injected) == 1, at


def test_states_follow_the_table():
    channel = AtChannel()
    assert channel.state is State.IDLE
    assert channel.send("AT+CMGS=19") == b"AT+CMGS=19\r"
    assert channel.state is State.AWAITING_PROMPT
    assert channel.receive(b"\r\n> ") == [Prompt()]
    assert channel.state is State.AWAITING_PDU
    assert channel.send_pdu(PDU) == PDU.encode() + CTRL_Z
    assert channel.state is State.AWAITING_SUBMIT_RESULT
    channel.receive(b"\r\n+CMGS: 3\r\n\r\nOK\r\n")
    assert channel.state is State.IDLE
    channel.send("AT+CSQ")
    assert channel.state is State.AWAITING_FINAL


def test_cancel_prompt_and_stray_final():
    channel = AtChannel()
    channel.send("AT+CMGW=19")
    assert channel.cancel_prompt() == ESC
    assert channel.state is State.IDLE
    assert channel.receive(b"\r\n> ") == []
    assert channel.stray_prompts == 1
    assert channel.receive(b"\r\nOK\r\n") == []
    assert channel.stray_finals == 1


def test_abandon_drops_late_final_and_next_command_is_clean():
    channel = AtChannel()
    channel.send("AT+CSQ")
    channel.abandon()
    assert channel.receive(b"\r\n+CSQ: 3,99\r\n\r\nOK\r\n") == [Urc("+CSQ", "3,99", "+CSQ: 3,99")]
    channel.send("AT+CGMI")
    assert channel.receive(b"\r\nhuawei\r\nOK\r\n") == [Info("huawei"), OK]


def test_explicit_prompt_flag():
    channel = AtChannel()
    channel.send("AT+CNMA=0,3", prompt=True)
    assert channel.state is State.AWAITING_PROMPT


@pytest.mark.parametrize(
    "command",
    ["", "AT+CSQ\r", "AT\nAT", 'AT+CPIN="12\x1a"', "AT\x1b", "+CSQ", "ATé"],
)
def test_illegal_commands(command):
    channel = AtChannel()
    with pytest.raises(UsageError):
        channel.send(command)
    assert channel.state is State.IDLE


def test_second_command_in_flight_refused():
    channel = AtChannel()
    channel.send("AT")
    with pytest.raises(UsageError, match="in flight"):
        channel.send("AT+CSQ")


@pytest.mark.parametrize("pdu", ["", "0", "00G1", "00\r1", "00 11"])
def test_bad_pdu_refused(pdu):
    channel = AtChannel()
    channel.send("AT+CMGS=1")
    channel.receive(b"> ")
    with pytest.raises(UsageError):
        channel.send_pdu(pdu)


def test_pdu_needs_prompt_and_cancel_needs_prompt_state():
    channel = AtChannel()
    with pytest.raises(UsageError):
        channel.send_pdu(PDU)
    with pytest.raises(UsageError):
        channel.cancel_prompt()
    channel.send("AT+CMGS=19")
    with pytest.raises(UsageError):
        channel.send_pdu(PDU)


def test_closed_channel():
    channel = AtChannel()
    channel.send("AT")
    assert channel.receive(b"\r\n+CMT: ,3\r\n") == []
    assert channel.receive(b"") == [Urc("+CMT", ",3", "+CMT: ,3")]
    assert channel.state is State.CLOSED
    assert channel.receive(b"OK\r\n") == []
    with pytest.raises(ChannelClosed):
        channel.send("AT")


def test_long_cusd_continuation_is_bounded():
    channel = AtChannel()
    events = channel.receive(b'+CUSD: 0,"open\r\n' + b"line\r\n" * 40)
    assert isinstance(events[0], Urc)
    assert events[0].name == "+CUSD"
    assert events[0].value.count("\n") == 32
    assert events[1:] == [Urc("", "line", "line")] * 8


LONG = (
    b"AT+CMGL=4\r\r\n+CMGL: 1,0,,19\r\n"
    + PDU.encode()
    + b"\r\n\x00\r\n+CMT: ,36\r\n"
    + CMT_PDU.encode()
    + b'\r\n\xff\xfe\r\n+CUSD: 0,"a\r\nb",15\r\n+CMGL: 2,1,,19\r\n'
    + PDU.encode()
    + b"\r\nRING\r\n\r\nOK\r\n\r\n^RSSI: 3\r\n"
)


@given(st.lists(st.integers(min_value=0, max_value=len(LONG)), max_size=20))
def test_random_splits_same_events(cuts):
    points = sorted(set(cuts))
    chunks = [LONG[a:b] for a, b in zip([0, *points], [*points, len(LONG)], strict=True)]
    expected, _ = play([("send", "AT+CMGL=4"), ("recv", LONG)])
    channel = AtChannel()
    channel.send("AT+CMGL=4")
    got = [event for chunk in chunks if chunk for event in channel.receive(chunk)]
    assert got == expected
    assert expected[-1] == Urc("^RSSI", "3", "^RSSI: 3")
    assert sum(isinstance(e, Urc) for e in expected) == 4
