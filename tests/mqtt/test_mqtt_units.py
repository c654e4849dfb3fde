"""Pure parts of the bridge: the state gate, the backoff, topics, command parsing."""

from __future__ import annotations

import pytest

from smsd.mqtt import CommandError, Topics, backoff, slug
from smsd.mqtt.commands import parse_json, parse_plain
from smsd.mqtt.state import StateGate


def test_state_gate_publishes_changes_at_once_and_figures_at_a_bounded_rate():
    gate = StateGate(interval=60)
    state = {"status": "available", "signal_dbm": -70, "queue": 0}
    assert gate.due("p", state, 0)
    gate.published("p", state, 0)
    assert not gate.due("p", dict(state), 1)  # unchanged: nothing
    assert not gate.due("p", state | {"signal_dbm": -72}, 10)  # a figure: waits
    assert gate.due("p", state | {"signal_dbm": -72}, 60)  # ... until the interval passed
    assert gate.due("p", state | {"status": "unavailable"}, 11)  # a status: at once
    gate.forget()
    assert gate.due("p", state, 12)  # after a reconnection everything goes out again


def test_backoff_doubles_up_to_its_cap():
    assert [backoff(n, 8) for n in range(1, 7)] == [0.5, 1, 2, 4, 8, 8]
    assert backoff(3, 8, jitter=1.0) == pytest.approx(2.4)


def test_topics():
    topics = Topics("home/smsd")
    assert topics.number_of("home/smsd/send/33612345678") == "+33612345678"
    assert topics.number_of("home/smsd/send/result") is None
    assert topics.number_of("home/smsd/send/+33") is None
    assert topics.phone_state("dongle.1") == "home/smsd/phone/dongle_1/state"
    assert slug("a.b-c_d") == "a_b-c_d"


def test_commands_parse():
    command = parse_json(b'{"to": "+33 6 12 34 56 78", "text": "hi", "phone": 2, "priority": 5}')
    assert (command.to, command.text, command.phone, command.priority) == (
        "+33612345678",
        "hi",
        2,
        5,
    )
    assert parse_plain("+33612345678", "été".encode()).text == "été"
    for payload, code in [
        (b"[]", "bad_payload"),
        (b"\xff", "bad_payload"),
        (b'{"to": "+33612345678", "text": "x", "phone": true}', "bad_phone"),
        (b'{"to": "+33612345678", "text": "' + b"x" * 1001 + b'"}', "bad_text"),
        (b'{"to": "+33612345678", "text": "x", "priority": 10000000}', "bad_priority"),
    ]:
        with pytest.raises(CommandError) as info:
            parse_json(payload)
        assert info.value.code == code
    with pytest.raises(CommandError):
        parse_plain("+33612345678", b"\xff")
