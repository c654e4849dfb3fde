"""Hypothesis strategies shared by the codec tests.

The GSM 03.38 tables below are written out independently of ``smsd.pdu`` on purpose: they are the
oracle the property tests measure the codec against (3GPP TS 23.038, 6.2.1 and 6.2.1.1).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from hypothesis import strategies as st

if TYPE_CHECKING:
    from collections.abc import Callable

# --------------------------------------------------------------------------- GSM 03.38 tables

#: The 128 positions of the default alphabet; position 0x1B is the escape to the extension table.
GSM7_DEFAULT_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM7_ESCAPE = 0x1B

#: Characters of the default alphabet (one septet each), the escape position excluded.
GSM7_BASIC = "".join(c for c in GSM7_DEFAULT_TABLE if c != "\x1b")

#: The extension table (escape + septet, two septets each): character -> septet after the escape.
GSM7_EXTENSION = {
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

GSM7_ALL = GSM7_BASIC + "".join(GSM7_EXTENSION)

#: Septets per segment (TS 23.040 9.2.3.24: 140 octets of TP-UD).
GSM7_SINGLE = 160
GSM7_CONCAT_8BIT = 153  # 6-octet UDH (5 + UDHL) + fill bit: 134 octets = 153 septets
GSM7_CONCAT_16BIT = 152  # 7-octet UDH: 133 octets = 152 septets
UCS2_SINGLE = 70
UCS2_CONCAT_8BIT = 67
UCS2_CONCAT_16BIT = 66

_GSM7_SET = frozenset(GSM7_ALL)


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the default alphabet or its extension."""
    return all(c in _GSM7_SET for c in text)


def gsm7_units(text: str) -> int:
    """Septets ``text`` needs in GSM-7 (extension characters cost two)."""
    return sum(2 if c in GSM7_EXTENSION else 1 for c in text)


def ucs2_units(text: str) -> int:
    """UTF-16 code units ``text`` needs (astral characters cost two)."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def units(text: str) -> int:
    """Units in the alphabet that would be chosen automatically for ``text``."""
    return gsm7_units(text) if is_gsm7(text) else ucs2_units(text)


def reference_split(
    text: str, *, concat_16bit: bool = False, force_ucs2: bool = False
) -> list[str]:
    """Greedy reference segmentation: fill each segment, never cutting a character's units."""
    gsm = is_gsm7(text) and not force_ucs2
    cost = gsm7_units if gsm else ucs2_units
    single = GSM7_SINGLE if gsm else UCS2_SINGLE
    if cost(text) <= single:
        return [text]
    if gsm:
        capacity = GSM7_CONCAT_16BIT if concat_16bit else GSM7_CONCAT_8BIT
    else:
        capacity = UCS2_CONCAT_16BIT if concat_16bit else UCS2_CONCAT_8BIT
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        char_cost = cost(char)
        if used + char_cost > capacity:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += char_cost
    parts.append("".join(current))
    return parts


# --------------------------------------------------------------------------- text

MAX_TEXT = 1000

_gsm7_chars = st.sampled_from(GSM7_BASIC)
_extension_chars = st.sampled_from(tuple(GSM7_EXTENSION))
#: Mostly default-alphabet characters with a good share of extension characters.
gsm7_chars = st.one_of(_gsm7_chars, _gsm7_chars, _gsm7_chars, _extension_chars)

_astral = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, codec="utf-8")
_emoji = st.sampled_from("😀😂👍🎉🚀💩🤖🦄🧪🫠") | st.characters(
    min_codepoint=0x1F300, max_codepoint=0x1FAFF, codec="utf-8"
)
_combining = st.characters(min_codepoint=0x0300, max_codepoint=0x036F)
_bmp = st.characters(max_codepoint=0xFFFF, codec="utf-8")
#: Characters outside GSM-7 (they force UCS-2): BMP, astral, emoji, combining marks.
non_gsm7_chars = st.one_of(
    _bmp, _astral, _emoji, _combining, st.sampled_from("çЖ中ہ€\u200d")
).filter(lambda c: c not in _GSM7_SET)
#: Any character a UCS-2 message may carry, GSM-7 ones included.
ucs2_chars = st.one_of(non_gsm7_chars, gsm7_chars, _combining, _emoji)


def gsm7_text(*, min_size: int = 0, max_size: int = MAX_TEXT) -> st.SearchStrategy[str]:
    """Text made only of GSM-7 characters (default alphabet and extension table)."""
    return st.text(gsm7_chars, min_size=min_size, max_size=max_size)


def ucs2_text(*, min_size: int = 1, max_size: int = MAX_TEXT) -> st.SearchStrategy[str]:
    """Text that needs UCS-2: at least one non-GSM-7 character, astral and combining ones too."""
    return st.builds(
        lambda head, char, tail: head + char + tail,
        st.text(ucs2_chars, max_size=max(0, max_size - 1) // 2),
        non_gsm7_chars,
        st.text(ucs2_chars, max_size=max(0, max_size - 1) // 2),
    ).filter(lambda t: min_size <= len(t) <= max_size)


def mixed_text(*, max_size: int = MAX_TEXT) -> st.SearchStrategy[str]:
    """Either alphabet, or a mix."""
    return st.one_of(
        gsm7_text(max_size=max_size),
        ucs2_text(max_size=max_size),
        st.text(st.one_of(gsm7_chars, ucs2_chars), max_size=max_size),
    )


#: Lengths in units around the segment boundaries (1-4 segments).
GSM7_BOUNDARY_UNITS = tuple(
    sorted(
        {n + d for n in (160, 153, 306, 459, 612) for d in (-2, -1, 0, 1, 2)} | {0, 1, 2, 765, 766}
    )
)
UCS2_BOUNDARY_UNITS = tuple(
    sorted({n + d for n in (70, 67, 134, 201, 268) for d in (-2, -1, 0, 1, 2)} | {1, 2})
)


@st.composite
def _text_with_units(
    draw: st.DrawFn,
    char_strategy: st.SearchStrategy[str],
    cost: Callable[[str], int],
    target: int,
) -> str:
    """Text whose unit cost is exactly ``target`` (a 2-unit char that would overshoot -> "a")."""
    chars: list[str] = []
    used = 0
    while used < target:
        char = draw(char_strategy)
        if used + cost(char) > target:
            char = "a"
        chars.append(char)
        used += cost(char)
    return "".join(chars)


def boundary_gsm7_text() -> st.SearchStrategy[str]:
    """GSM-7 text with a septet count right at, below or above a segment boundary."""
    return st.sampled_from(GSM7_BOUNDARY_UNITS).flatmap(
        lambda n: _text_with_units(gsm7_chars, gsm7_units, n)
    )


def boundary_ucs2_text() -> st.SearchStrategy[str]:
    """UCS-2 text with a UTF-16 length right at, below or above a segment boundary."""
    return st.sampled_from(UCS2_BOUNDARY_UNITS).flatmap(
        lambda n: st.builds(
            lambda first, rest: first + rest,
            st.sampled_from("Ж中"),
            _text_with_units(ucs2_chars, ucs2_units, max(0, n - 1)),
        )
    )


def any_text() -> st.SearchStrategy[str]:
    """Everything the codec must carry: both alphabets, mixes, and lengths at segment boundaries."""
    return st.one_of(mixed_text(), boundary_gsm7_text(), boundary_ucs2_text())


# --------------------------------------------------------------------------- addresses

_digits = st.text(st.sampled_from("0123456789"), min_size=1, max_size=20)

#: "+" and up to 15 digits (E.164), first digit not zero.
international_numbers = st.builds(
    lambda first, rest: f"+{first}{rest}",
    st.sampled_from("123456789"),
    st.text(st.sampled_from("0123456789"), min_size=0, max_size=14),
)
#: Digits without "+" (TON unknown), up to the 20 a TP-address holds.
national_numbers = _digits
phone_numbers = st.one_of(international_numbers, national_numbers)

_NUMERIC_LOOKING = re.compile(r"\+?[0-9*#a-cA-C]*")


def _is_alphanumeric_name(name: str) -> bool:
    return not _NUMERIC_LOOKING.fullmatch(name)


#: Alphanumeric originators: 1-11 default-alphabet characters that do not read as a number.
alphanumeric_senders = st.text(_gsm7_chars, min_size=1, max_size=11).filter(_is_alphanumeric_name)

#: The part of GSM-7 whose septet values equal the ASCII codes (letters, digits, most punctuation).
GSM7_ASCII_IDENTICAL = "".join(
    c for i, c in enumerate(GSM7_DEFAULT_TABLE) if c.isascii() and ord(c) == i and c.isprintable()
)

senders = st.one_of(international_numbers, national_numbers, alphanumeric_senders)

# --------------------------------------------------------------------------- time

#: SCTS zones: quarter hours, -12:00 .. +14:00.
scts_zones = st.integers(min_value=-48, max_value=56).map(
    lambda quarters: UTC if quarters == 0 else timezone(timedelta(minutes=15 * quarters))
)

#: SCTS: two-digit year (2000-2099), second precision, quarter-hour zone.
scts_datetimes = st.builds(
    lambda naive, zone: naive.replace(microsecond=0, tzinfo=zone),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)),  # noqa: DTZ001
    scts_zones,
)

# --------------------------------------------------------------------------- protocol values

concat_references_8bit = st.integers(min_value=0, max_value=0xFF)
concat_references_16bit = st.integers(min_value=0, max_value=0xFFFF)
#: (reference, concat_16bit) pairs.
concat_references = st.one_of(
    st.tuples(concat_references_8bit, st.just(False)),
    st.tuples(concat_references_16bit, st.just(True)),
)
message_references = st.integers(min_value=0, max_value=0xFF)
message_classes = st.one_of(st.none(), st.integers(min_value=0, max_value=3))
status_values = st.integers(min_value=0, max_value=0xFF)

#: Arbitrary bytes, as a modem or an attacker could hand them over.
arbitrary_bytes = st.binary(max_size=200)

#: Hex digits salted with characters that are not hex (whitespace, letters, non-ASCII digits).
junk_hex_text = st.text(
    st.sampled_from("0123456789abcdefABCDEF" * 3 + " \t\r\n-:xXgG+\x00é\u0663\uff10\u00a0"),
    max_size=120,
)
