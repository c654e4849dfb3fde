"""Hostile bytes from a modem: any input gives a value or a clean error, never another exception
type, a hang or unbounded memory (PDU decoder; AT channel fed random bytes in random chunks)."""

from __future__ import annotations

import contextlib
import itertools
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from smsd.at.channel import AtChannel, State
from smsd.at.events import Echo, Final, Garbage, Info, Prompt, Urc
from smsd.at.lines import MAX_LINE
from smsd.pdu import PduDecodeError, decode

EVENTS = (Final, Info, Prompt, Echo, Urc, Garbage)
# Bytes a modem really sends, to steer random input into the parser's deeper paths.
PIECES = [
    b"\r\n",
    b"\r",
    b"\n",
    b"> ",
    b"OK",
    b"ERROR",
    b"+CMS ERROR: ",
    b"+CME ERROR: ",
    b"+CMT: ,23",
    b"+CDS: 25",
    b'+CMTI: "SM",3',
    b'+CUSD: 0,"',
    b"+CMGS: 12",
    b"+CSQ: 17,99",
    b"^RSSI:12",
    b"RING",
    b'"',
    b"\x00",
    b"\xff\xfe",
    b"\x1a",
    b"\x1b",
    b"0791",
]
stream = st.lists(st.one_of(st.binary(max_size=64), st.sampled_from(PIECES)), max_size=60).map(
    b"".join
)


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


def _prepared(stage: int) -> AtChannel:
    channel = AtChannel()
    if stage >= 1:
        channel.send("AT+CMGL=4")
    if stage == 2:
        channel.receive(b"\r\nOK\r\n")
        channel.send("AT+CMGS=23")  # awaiting the prompt
    if stage == 3:
        channel.receive(b"\r\nOK\r\n")
        channel.send("AT+CMGS=23")
        channel.receive(b"\r\n> ")
        channel.send_pdu("0011000B913366554433F20000AA05E8329BFD06")  # awaiting +CMGS
    return channel


@settings(max_examples=300)
@given(data=stream, cuts=st.lists(st.integers(min_value=0), max_size=30), stage=st.integers(0, 3))
def test_at_channel_takes_any_bytes_in_any_chunks(data: bytes, cuts: list[int], stage: int) -> None:
    channel = _prepared(stage)
    for chunk in _chunks(data, cuts):
        events = channel.receive(chunk)
        assert all(isinstance(event, EVENTS) for event in events)
        assert len(channel._splitter.pending) <= MAX_LINE
    channel.receive(b"")  # the port closes: pending waiters end, nothing raises
    assert channel.state is State.CLOSED
    assert channel.receive(b"more") == []


def test_an_endless_line_keeps_memory_bounded() -> None:
    channel = _prepared(1)
    tracemalloc.start()
    try:
        garbage = 0
        for _ in range(2000):  # 8 MB without a line end
            events = channel.receive(b"A" * 4096)
            garbage += sum(isinstance(e, Garbage) for e in events)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, peak
    assert garbage >= 1
    events = channel.receive(b"\r\nOK\r\n")  # and it resynchronises on the next line end
    assert any(isinstance(e, Final) and e.ok for e in events)


def test_an_endless_urc_continuation_is_bounded() -> None:
    channel = AtChannel()
    events = []
    for _ in range(1000):
        events += channel.receive(b'\r\n+CUSD: 0,"never closed\r\n' + b"line\r\n" * 10)
    assert all(isinstance(event, EVENTS) for event in events)
    assert len(channel._splitter.pending) <= MAX_LINE


@settings(max_examples=500)
@given(data=st.binary(max_size=400), smsc=st.booleans(), strict=st.booleans())
def test_pdu_decoder_takes_any_bytes(data: bytes, smsc: bool, strict: bool) -> None:
    try:
        value = decode(data, smsc=smsc, strict=strict)
    except PduDecodeError:
        return
    assert value is not None


@settings(max_examples=300)
@given(text=st.text(max_size=400), smsc=st.booleans())
def test_pdu_decoder_takes_any_text(text: str, smsc: bool) -> None:
    with contextlib.suppress(PduDecodeError):
        decode(text, smsc=smsc)


def test_pdu_decoder_on_huge_input_is_quick_and_refuses() -> None:
    # A length octet can claim more than is there; a megabyte of noise must not loop or grow.
    for data in (b"\xff" * 1_000_000, b"\x00" * 1_000_000, bytes(range(256)) * 4000):
        tracemalloc.start()
        try:
            with contextlib.suppress(PduDecodeError):
                decode(data)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 20_000_000, peak
