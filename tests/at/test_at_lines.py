"""LineSplitter: bytes -> lines, prompts, garbage; identical under every split."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.at.events import Garbage, Prompt
from smsd.at.lines import GARBAGE_SAMPLE, MAX_LINE, LineSplitter


def chunkings(data: bytes):
    yield "whole", [data]
    yield "bytewise", [bytes([b]) for b in data]
    for i in range(1, len(data)):
        yield f"split@{i}", [data[:i], data[i:]]


def feed_all(chunks, **kw):
    splitter = LineSplitter(**kw)
    out = []
    for chunk in chunks:
        out.extend(splitter.feed(chunk))
    return out, splitter


CASES = [
    ("crlf", b"\r\nOK\r\n", ["OK"]),
    ("bare cr", b"AT\rOK\r", ["AT", "OK"]),
    ("bare lf", b"+CSQ: 17,99\nOK\n", ["+CSQ: 17,99", "OK"]),
    ("lf cr", b"\n\r+CSQ: 17,99\n\rOK\n\r", ["+CSQ: 17,99", "OK"]),
    ("empty lines dropped", b"\r\n\r\n\r\n\r\nOK\r\n", ["OK"]),
    ("blanks stripped", b"  +CPIN: READY  \r\n", ["+CPIN: READY"]),
    ("NULs dropped", b"\x00\r\n+CSQ: 1\x007,99\r\n\x00\x00OK\r\n", ["+CSQ: 17,99", "OK"]),
    ("prompt bare", b"> ", [Prompt()]),
    ("prompt after crlf", b"\r\n> ", [Prompt()]),
    ("prompt no space", b"\r\n>", [Prompt()]),
    ("prompt then pdu echo", b"\r\n> 0011000B\x1a\r\n", [Prompt(), "0011000B"]),
    ("prompt line", b"> \r\n+CMGS: 4\r\n", [Prompt(), "+CMGS: 4"]),
    ("utf8 operator", '+COPS: 0,0,"Telefónica"\r\n'.encode(), ['+COPS: 0,0,"Telefónica"']),
    ("tab kept", b"a\tb\r\n", ["a\tb"]),
    ("ctrl-z and esc dropped", b"\x1bOK\x1a\r\n", ["OK"]),
    (
        "invalid utf8",
        b"\r\n\xff\xfe\x80\r\nOK\r\n",
        [Garbage(b"\xff\xfe\x80", "undecodable bytes"), "OK"],
    ),
    ("control char", b"O\x07K\r\nOK\r\n", [Garbage(b"O\x07K", "control characters"), "OK"]),
    ("partial line pending", b"\r\nOK\r\n+CSQ: 1", ["OK"]),
]


@pytest.mark.parametrize(("name", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_lines_any_split(name, data, expected):
    for mode, chunks in chunkings(data):
        out, _ = feed_all(chunks)
        assert out == expected, mode


def test_garbage_counted():
    out, splitter = feed_all([b"\xff\r\n\x01\r\nOK\r\n"])
    assert [type(x) for x in out] == [Garbage, Garbage, str]
    assert splitter.garbage_count == 2


def test_overlong_line_is_one_garbage_event_then_resync():
    data = b"\r\n" + b"A" * (MAX_LINE + 500) + b"\r\nOK\r\n"
    expected = [Garbage(b"A" * GARBAGE_SAMPLE, "line too long"), "OK"]
    for mode, chunks in [
        ("whole", [data]),
        ("bytewise", [bytes([b]) for b in data]),
        ("blocks", [data[i : i + 100] for i in range(0, len(data), 100)]),
        ("split", [data[:MAX_LINE], data[MAX_LINE:]]),
    ]:
        out, splitter = feed_all(chunks)
        assert out == expected, mode
        assert splitter.garbage_count == 1
        assert len(splitter.pending) == 0


def test_buffer_never_exceeds_cap():
    splitter = LineSplitter(max_line=64)
    for _ in range(1000):
        splitter.feed(b"x" * 7)
        assert len(splitter.pending) <= 64


def test_pdu_line_fits():
    pdu = ("07913396050066F0" + "44" * 172).encode()
    assert len(pdu) > 350
    out, _ = feed_all([b"\r\n+CMGL: 1,0,,172\r\n" + pdu + b"\r\n"])
    assert out == ["+CMGL: 1,0,,172", pdu.decode()]


def test_reset_forgets_partial():
    splitter = LineSplitter()
    assert splitter.feed(b"+CSQ: 1") == []
    splitter.reset()
    assert splitter.feed(b"OK\r\n") == ["OK"]


def test_max_line_too_small():
    with pytest.raises(ValueError, match="max_line"):
        LineSplitter(max_line=2)


CONVERSATION = (
    b'AT+CMGL=4\r\r\n+CMGL: 1,0,,23\r\n0791ABCD\r\n\r\n+CMTI: "SM",2\r\n'
    b"\xff\xfe\r\n\x00\r\n> \r\nOK\r\n"
)


@given(st.lists(st.integers(min_value=0, max_value=len(CONVERSATION)), max_size=12))
def test_random_splits_same_items(cuts):
    points = sorted(set(cuts))
    chunks = [
        CONVERSATION[a:b] for a, b in zip([0, *points], [*points, len(CONVERSATION)], strict=True)
    ]
    expected, _ = feed_all([CONVERSATION])
    got, _ = feed_all(chunks)
    assert got == expected


def test_nul_flood_is_not_garbage():
    splitter = LineSplitter(max_line=64)
    for _ in range(100):
        assert splitter.feed(b"\x00" * 50) == []
    assert splitter.garbage_count == 0
    assert splitter.feed(b"OK\r\n") == ["OK"]
