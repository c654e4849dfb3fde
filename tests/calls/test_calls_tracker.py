"""The pure call tracker: +CLIP parsing and the call state machine, fed codes and times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.at.errors import MalformedResponse
from smsd.modem.calls import (
    CallEnded,
    CallerId,
    CallState,
    CallTracker,
    EndReason,
    HangUp,
    IncomingCall,
    is_ring,
    parse_clip,
)

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
CLIP = '"+33612345678",145,,,,0'

# (value of +CLIP, expected caller id): TS 27.007 §7.18 forms seen on dongles.
CLIP_CASES = [
    ('"+33612345678",145', CallerId("+33612345678", 145, 0)),
    ('"+33612345678",145,,,,0', CallerId("+33612345678", 145, 0)),
    ('"33612345678",145,"",0,"",0', CallerId("+33612345678", 145, 0)),
    ('"0612345678",129,"",,"Ann",0', CallerId("0612345678", 129, 0)),
    ('"",128,,,,1', CallerId(None, 128, 1)),
    ('"+33612345678",145,,,,2', CallerId(None, 145, 2)),
    ('"",128', CallerId(None, 128, 0)),
    ('"*100#",129', CallerId("*100#", 129, 0)),
]
CLIP_MALFORMED = [
    "",
    "+33612345678,145",
    '"+336123"45678,145',
    '"+33 6 12 34 56 78",145',
    '"' + "1" * 21 + '",129',
    '"abc",129',
    '"unterminated,145',
]


@pytest.mark.parametrize(("value", "expected"), CLIP_CASES)
def test_parse_clip(value, expected) -> None:
    assert parse_clip(value) == expected


@pytest.mark.parametrize("value", CLIP_MALFORMED)
def test_parse_clip_refuses_garbage(value) -> None:
    with pytest.raises(MalformedResponse):
        parse_clip(value)


@pytest.mark.parametrize(
    ("name", "value", "ring"),
    [
        ("RING", "", True),
        ("+CRING", "VOICE", True),
        ("+CRING", "FAX", True),
        ("+CRING", 'GPRS "IP","10.0.0.1"', False),
        ("+CLIP", CLIP, False),
    ],
)
def test_is_ring(name, value, ring) -> None:
    assert is_ring(name, value) is ring


class Feed:
    """A tracker fed at chosen seconds after T0."""

    def __init__(self, **options) -> None:
        self.tracker = CallTracker("m1", **options)

    def at(self, second: float, name: str, value: str = "") -> list:
        return self.tracker.receive(name, value, now=second, wall=T0 + timedelta(seconds=second))

    def expire(self, second: float) -> list:
        return self.tracker.expire(now=second, wall=T0 + timedelta(seconds=second))

    def hung_up(self, second: float, *, ok: bool = True) -> list:
        return self.tracker.hung_up(ok=ok, now=second, wall=T0 + timedelta(seconds=second))


def test_ring_then_clip_announces_and_asks_for_hangup() -> None:
    feed = Feed()
    assert feed.at(0, "RING") == []
    assert feed.tracker.state is CallState.RINGING
    assert feed.tracker.deadline == 1.0  # the caller id wait
    actions = feed.at(0.1, "+CLIP", CLIP)
    assert actions == [
        IncomingCall("m1", "20240501120000-1", "+33612345678", T0),
        HangUp("20240501120000-1"),
    ]
    assert feed.tracker.state is CallState.REJECTING
    ended = feed.hung_up(0.3)
    assert ended == [
        CallEnded(
            "m1",
            "20240501120000-1",
            "+33612345678",
            T0,
            T0 + timedelta(seconds=0.3),
            EndReason.REJECTED,
        )
    ]
    assert feed.tracker.state is CallState.SETTLING


def test_tail_of_a_rejected_call_is_ignored_then_a_new_call_starts() -> None:
    feed = Feed()
    feed.at(0, "RING")
    feed.at(0.1, "+CLIP", CLIP)
    feed.hung_up(0.2)
    assert feed.at(0.5, "RING") == []
    assert feed.at(0.5, "+CLIP", CLIP) == []
    assert feed.at(0.6, "NO CARRIER") == []
    assert feed.tracker.deadline == pytest.approx(2.2)
    assert feed.expire(2.2) == []
    assert feed.tracker.state is CallState.IDLE
    actions = feed.at(10, "RING") + feed.at(10.1, "+CLIP", '"+33699999999",145')
    assert [type(a) for a in actions] == [IncomingCall, HangUp]
    assert actions[0].uid == "20240501120010-2"
    assert actions[0].number == "+33699999999"


def test_no_caller_id_announces_unknown_after_the_wait() -> None:
    feed = Feed()
    feed.at(0, "RING")
    assert feed.expire(0.9) == []
    actions = feed.expire(1.0)
    assert actions == [IncomingCall("m1", "20240501120000-1", None, T0), HangUp(actions[1].uid)]


def test_later_clip_does_not_announce_twice() -> None:
    feed = Feed(hangup=False)
    feed.at(0, "RING")
    first = feed.expire(1.0)
    assert [type(a) for a in first] == [IncomingCall]
    assert feed.at(4, "RING") == []
    assert feed.at(4.1, "+CLIP", CLIP) == []


def test_without_hangup_the_call_rings_until_no_carrier() -> None:
    feed = Feed(hangup=False)
    assert [type(a) for a in feed.at(0, "RING") + feed.at(0, "+CLIP", CLIP)] == [IncomingCall]
    assert feed.at(5, "RING") == []
    assert feed.at(5, "+CLIP", CLIP) == []
    assert feed.tracker.deadline == 11.0
    ended = feed.at(8, "NO CARRIER")
    assert len(ended) == 1
    assert ended[0].reason is EndReason.NO_CARRIER
    assert ended[0].end == T0 + timedelta(seconds=8)
    assert feed.tracker.state is CallState.IDLE
    assert feed.tracker.deadline is None


def test_huawei_cend_ends_the_call() -> None:
    feed = Feed(hangup=False)
    feed.at(0, "RING")
    feed.at(0.1, "+CLIP", CLIP)
    ended = feed.at(3, "^CEND", "1,0,104,16")
    assert [(type(a), a.reason) for a in ended] == [(CallEnded, EndReason.CALL_END)]


def test_silence_ends_the_call_at_its_last_ring() -> None:
    feed = Feed(hangup=False)
    feed.at(0, "RING")
    feed.at(0.1, "+CLIP", CLIP)
    feed.at(5, "RING")
    assert feed.expire(10.9) == []
    ended = feed.expire(11.0)
    assert len(ended) == 1
    assert ended[0].reason is EndReason.SILENCE
    assert ended[0].end == T0 + timedelta(seconds=5)


def test_call_ending_before_its_caller_id_is_announced_then_ended() -> None:
    feed = Feed()
    feed.at(0, "RING")
    actions = feed.at(0.5, "NO CARRIER")
    assert [type(a) for a in actions] == [IncomingCall, CallEnded]  # no hang-up of a dead call
    assert actions[0].number is None


def test_refused_hangup_leaves_the_call_ringing_without_retrying() -> None:
    feed = Feed()
    feed.at(0, "RING")
    feed.at(0.1, "+CLIP", CLIP)
    assert feed.hung_up(0.2, ok=False) == []
    assert feed.tracker.state is CallState.RINGING
    assert feed.at(5, "RING") == []
    assert feed.at(5.1, "+CLIP", CLIP) == []
    ended = feed.at(7, "NO CARRIER")
    assert [a.reason for a in ended] == [EndReason.NO_CARRIER]


def test_clip_before_ring_starts_the_call() -> None:
    feed = Feed(hangup=False)
    actions = feed.at(0, "+CLIP", CLIP)
    assert [type(a) for a in actions] == [IncomingCall]
    assert feed.at(0.01, "RING") == []


@pytest.mark.parametrize(
    ("name", "value"),
    [("NO CARRIER", ""), ("^CEND", "1,0,104,16"), ("+CRING", "GPRS"), ("+CMTI", '"SM",1')],
)
def test_idle_ignores_what_is_not_a_call(name, value) -> None:
    feed = Feed()
    assert feed.at(0, name, value) == []
    assert feed.tracker.state is CallState.IDLE


def test_garbled_clip_still_counts_as_ringing() -> None:
    feed = Feed(hangup=False)
    actions = feed.at(0, "+CLIP", "garbage")
    assert [(type(a), a.number) for a in actions] == [(IncomingCall, None)]


URCS = st.sampled_from(
    [
        ("RING", ""),
        ("+CRING", "VOICE"),
        ("+CLIP", CLIP),
        ("+CLIP", '"",128,,,,1'),
        ("+CLIP", "junk"),
        ("NO CARRIER", ""),
        ("^CEND", "1,0,104,16"),
        ("+CREG", "1"),
    ]
)
STEP = st.tuples(
    st.floats(min_value=0, max_value=8, allow_nan=False),
    st.one_of(URCS, st.just(("tick", "")), st.sampled_from([("ok", ""), ("refused", "")])),
)


def run(feed: Feed, steps) -> list:
    """Feed the steps as the driver would: it reads no code while a hang-up is pending."""
    now = 0.0
    actions: list = []
    pending_hangup = False
    for gap, (name, value) in steps:
        now += gap
        if name == "tick":
            out = feed.expire(now)
        elif name in {"ok", "refused"}:
            if not pending_hangup:
                continue
            out = feed.hung_up(now, ok=name == "ok")
            pending_hangup = False
        elif pending_hangup:
            continue
        else:
            out = feed.at(now, name, value)
        pending_hangup = pending_hangup or any(isinstance(a, HangUp) for a in out)
        actions.extend(out)
    return actions


def check_ended(action: CallEnded, announced: dict, ended: set, hangups: set) -> None:
    assert action.uid in announced
    assert action.uid not in ended
    assert action.start == announced[action.uid].start
    assert action.end >= action.start
    if action.reason is EndReason.REJECTED:
        assert action.uid in hangups
    ended.add(action.uid)


@given(hangup=st.booleans(), steps=st.lists(STEP, max_size=40))
def test_every_sequence_keeps_the_call_lifecycle_consistent(hangup, steps) -> None:
    actions = run(Feed(hangup=hangup), steps)
    announced: dict[str, IncomingCall] = {}
    ended: set[str] = set()
    hangups: set[str] = set()
    for action in actions:
        if isinstance(action, IncomingCall):
            assert action.uid not in announced
            announced[action.uid] = action
        elif isinstance(action, HangUp):
            assert hangup
            assert action.uid in announced
            assert action.uid not in ended | hangups
            hangups.add(action.uid)
        else:
            check_ended(action, announced, ended, hangups)
    # At most one call is still open, and it is the last one announced.
    open_calls = [uid for uid in announced if uid not in ended]
    assert len(open_calls) <= 1
    if open_calls:
        assert open_calls[0] == list(announced)[-1]
