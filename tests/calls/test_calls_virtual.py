"""The virtual modem's side of a voice call: rings, caller id, hang-up, without any I/O."""

from __future__ import annotations

import pytest

from smsd.modem.virtual import Faults, VirtualModem, Write


def quiet(**faults) -> VirtualModem:
    return VirtualModem(faults=Faults(echo=False, **faults))


def lines_of(actions) -> list[str]:
    data = b"".join(a.data for a in actions if isinstance(a, Write))
    return [line for line in data.decode("latin-1").split("\r\n") if line]


def talk(modem: VirtualModem, command: str) -> list[str]:
    return lines_of(modem.receive(command.encode() + b"\r"))


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("AT+CLIP=1", ["OK"]),
        ("AT+CLIP?", ["+CLIP: 0,1", "OK"]),
        ("AT+CLIP=?", ["+CLIP: (0,1)", "OK"]),
        ("AT+CLIP=2", ["+CME ERROR: 50"]),
        ("AT+CLIP=1,1", ["ERROR"]),
        ("AT+CRC=1", ["OK"]),
        ("AT+CRC?", ["+CRC: 0", "OK"]),
        ("ATH", ["OK"]),
        ("ATH0", ["OK"]),
        ("ATH1", ["ERROR"]),
        ("AT+CHUP", ["OK"]),
        ("AT+CHUP=1", ["ERROR"]),
    ],
)
def test_call_commands(command, answer) -> None:
    assert talk(quiet(), command) == answer


def test_ring_without_caller_id_is_a_bare_ring() -> None:
    modem = quiet()
    assert lines_of(modem.ring("+33612345678")) == ["RING"]
    assert modem.ringing


def test_ring_carries_the_caller_id_after_clip_on() -> None:
    modem = quiet()
    talk(modem, "AT+CLIP=1")
    assert lines_of(modem.ring("+33612345678")) == ["RING", '+CLIP: "+33612345678",145,,,,0']
    assert lines_of(modem.ring_again()) == ["RING", '+CLIP: "+33612345678",145,,,,0']


def test_national_number_and_cring() -> None:
    modem = quiet()
    talk(modem, "AT+CLIP=1;+CRC=1")
    assert lines_of(modem.ring("0612345678")) == ["+CRING: VOICE", '+CLIP: "0612345678",129,,,,0']


def test_unknown_caller_gets_no_clip_line() -> None:
    modem = quiet()
    talk(modem, "AT+CLIP=1")
    assert lines_of(modem.ring(None)) == ["RING"]


def test_modem_without_caller_id_refuses_clip_and_never_sends_it() -> None:
    modem = quiet(caller_id=False)
    assert talk(modem, "AT+CLIP=1") == ["ERROR"]
    assert lines_of(modem.ring("+33612345678")) == ["RING"]


@pytest.mark.parametrize(("command", "recorded"), [("ATH", "ATH"), ("AT+CHUP", "AT+CHUP")])
def test_hang_up_ends_the_call_then_its_end_code(command, recorded) -> None:
    modem = quiet()
    modem.ring("+33612345678", end_urc="NO CARRIER")
    assert talk(modem, command) == ["OK", "NO CARRIER"]
    assert not modem.ringing
    assert modem.hangups == [recorded]
    assert lines_of(modem.ring_again()) == []
    assert lines_of(modem.caller_gives_up()) == []


def test_hang_up_without_end_code_is_just_ok() -> None:
    modem = quiet()
    modem.ring("+33612345678")
    assert talk(modem, "ATH") == ["OK"]
    assert not modem.ringing


def test_caller_gives_up() -> None:
    modem = quiet()
    modem.ring("+33612345678", end_urc="^CEND:1,0,104,16")
    assert lines_of(modem.caller_gives_up()) == ["^CEND:1,0,104,16"]
    assert not modem.ringing
    assert modem.hangups == []


def test_power_cycle_drops_the_call() -> None:
    modem = quiet()
    talk(modem, "AT+CLIP=1")
    modem.ring("+33612345678")
    modem.power_cycle()
    assert not modem.ringing
    assert talk(modem, "ATE0") == ["ATE0\r", "OK"]  # echo is back on after power-up
    assert talk(modem, "AT+CLIP?") == ["+CLIP: 0,1", "OK"]
