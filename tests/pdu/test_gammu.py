"""Cross-check of the codec against gammu's C codec (python-gammu), in both directions.

(a) our ``encode_submit``/``encode_deliver`` -> ``gammu.DecodePDU``;
(b) ``gammu.EncodeSMS`` + ``gammu.EncodePDU`` -> our ``decode``.
Each direction runs over a few thousand messages from a seeded generator, plus a hypothesis test.

gammu has known faults (see the conformance README); inputs that hit them are excluded or
normalised here, and each place says which:

* GSM-7 escape sequences: gammu's decoder appends one junk UTF-16 unit (a NUL, or stale buffer
  content) at the end of the text for every extension-table character. ``_gammu_text`` cuts
  exactly that many.
* Alphanumeric addresses: gammu writes and reads their septets as ASCII codes ('_' becomes 0x5F,
  which is '§' in GSM-7; '@' and '$' differ too, and septet 0x00 '@' ends the address as a C
  string terminator). Alphanumeric senders are drawn only from the characters whose GSM-7 septet
  equals their ASCII code (``GSM7_ASCII_IDENTICAL``). gammu also encodes a name made only of
  dial-string characters (digits, '+*#', the 'p'/'w' pauses) as a number, so every name here
  holds another letter.
* National language shift tables: gammu has none. The codec never chooses one when encoding text
  automatically, so no input here uses them.
* '*#abc' in numbers: gammu drops them; numbers here are decimal digits only.
* A number written with a leading "00" is sometimes encoded by gammu as TON international
  without the "00" (not when it is longer than 15 digits); national numbers here never start
  with "00".
* '~' and U+0001 in UCS-2 text: gammu's encoder writes '~' as U+0001; its decoder reads U+0001
  as '~', and U+007E plus the character after it as "~~" (found by running every BMP code point
  through both; nothing else differs). UCS-2 texts here carry neither (GSM-7 ones carry '~').
* UCS-2 segmentation: when an astral character followed by a combining mark straddles a segment
  boundary, gammu's splitter puts U+FFFD in both segments (the PDUs hold U+FFFD); direction (b)
  then compares our decoding with gammu's parts rather than with the original text.
* U+0000 in text: gammu's buffers are NUL-terminated and the text stops there; excluded.
* SCTS years 90-99: gammu's decoder turns them into 2080-2089; timestamps here end in 2089
  (``GAMMU_LAST_YEAR``).
* python-gammu writes the SCTS of a DELIVER with zone 00 whatever the datetime's tzinfo says, so
  direction (b) gives gammu UTC timestamps (years stay off 2000 so that UTC is still in the SCTS
  range); direction (a) keeps arbitrary zones (gammu decodes them correctly).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    GSM7_ASCII_IDENTICAL,
    GSM7_BASIC,
    GSM7_EXTENSION,
    any_text,
    is_gsm7,
    message_classes,
    reference_split,
    scts_datetimes,
)

from smsd.pdu import Deliver, Encoding, Submit, decode, encode_deliver, encode_submit

if TYPE_CHECKING:
    from collections.abc import Callable

gammu = pytest.importorskip("gammu")

SMSC = "+33609001390"
SEED = 0x5EED_2024
CASES_PER_DIRECTION = 2000
MAX_REPORTED = 25
#: gammu fault: it decodes SCTS years 90-99 as 2080-2089; timestamps stay before 2090.
GAMMU_LAST_YEAR = 2090

# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One message, for either direction."""

    kind: str  # "submit" or "deliver"
    number: str  # destination of a SUBMIT, originator of a DELIVER
    text: str
    message_class: int | None
    concat_reference: int
    concat_16bit: bool
    timestamp: datetime


_EMOJI = "😀😂👍🎉🚀💩🤖🦄🧪🫠👩‍💻🇫🇷"
_UCS2_EXTRA = "çЖжЯ中文字ہاردوअआ한국어ÿĀ€\u0301\u0308\u200d«»“”…"
# gammu fault: a name made only of dial-string characters (digits, '+*#', 'p'/'w' pauses) is
# encoded as a number; each name gets a letter outside those and outside the BCD 'a'-'c'.
_ALPHA_LETTERS = "".join(c for c in GSM7_ASCII_IDENTICAL if c.isalpha() and c not in "pPwWaAbBcC")


def _random_number(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return (
            "+" + rng.choice("123456789") + "".join(rng.choices("0123456789", k=rng.randint(6, 14)))
        )
    number = "".join(rng.choices("0123456789", k=rng.randint(1, 20)))
    return "9" + number[1:] if number.startswith("00") else number


def _random_alphanumeric(rng: random.Random) -> str:
    # gammu fault (alphanumeric septets as ASCII): ASCII-identical characters, one letter at least.
    size = rng.randint(1, 11)
    chars = rng.choices(GSM7_ASCII_IDENTICAL, k=size)
    chars[rng.randrange(size)] = rng.choice(_ALPHA_LETTERS)
    return "".join(chars)


def _random_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:  # GSM-7, one or more segments
        size = rng.choice((rng.randint(0, 160), rng.randint(0, 500)))
        return "".join(rng.choices(GSM7_BASIC, k=size))
    if roll < 0.65:  # GSM-7 with extension characters
        alphabet = GSM7_BASIC + "".join(GSM7_EXTENSION) * 4
        return "".join(rng.choices(alphabet, k=rng.randint(1, 400)))
    if roll < 0.75:  # GSM-7 at a segment boundary (septets)
        target = rng.choice((152, 153, 154, 159, 160, 161, 305, 306, 307))
        text = "".join(rng.choices(GSM7_BASIC, k=target - 2))
        return text + rng.choice(("€", "aa"))
    # UCS-2: mixed GSM-7 / other scripts / emoji / combining marks
    alphabet = "abc de" * 3 + _UCS2_EXTRA + _EMOJI
    text = "".join(rng.choices(alphabet, k=rng.randint(1, 200)))
    return text + rng.choice(_UCS2_EXTRA + _EMOJI)


def _random_case(rng: random.Random) -> Case:
    kind = rng.choice(("submit", "deliver"))
    if kind == "deliver" and rng.random() < 0.3:
        number = _random_alphanumeric(rng)
    else:
        number = _random_number(rng)
    concat_16bit = rng.random() < 0.3
    zone = timezone(timedelta(minutes=15 * rng.randint(-48, 56)))
    timestamp = datetime(2000, 1, 2, tzinfo=zone) + timedelta(seconds=rng.randrange(2_800_000_000))
    return Case(
        kind=kind,
        number=number,
        text=_random_text(rng),
        message_class=rng.choice((None, None, None, 0, 1, 2, 3)),
        concat_reference=rng.randrange(0x10000 if concat_16bit else 0x100),
        concat_16bit=concat_16bit,
        timestamp=timestamp,
    )


def _cases(seed: int, n: int) -> list[Case]:
    rng = random.Random(seed)
    return [_random_case(rng) for _ in range(n)]


# --------------------------------------------------------------------------- gammu helpers


def _gammu_text(decoded: dict[str, Any], expected: str) -> str:
    """gammu's text, without the junk its GSM-7 decoder appends after escape sequences.

    The junk is one UTF-16 unit per extension-table character, at the end of the text: a NUL when
    the buffer was clean, otherwise left-overs of an earlier message (seen: "0", "\\x00و🇷").
    Exactly that many units are cut once the text is seen to start with the expected one.
    """
    text: str = decoded["Text"]
    if decoded["Coding"] == "Default_No_Compression" and text.startswith(expected):
        junk = sum(c in GSM7_EXTENSION for c in expected)
        tail = text[len(expected) :]
        if junk and len(tail.encode("utf-16-be", "surrogatepass")) == 2 * junk:
            return expected
    return text


def _gammu_encode(case: Case) -> list[tuple[dict[str, Any], bytes]]:
    """Encode with gammu: (gammu's part dict, PDU bytes with SMSC) for each segment."""
    entry_id = "ConcatenatedTextLong16bit" if case.concat_16bit else "ConcatenatedTextLong"
    info = {
        "Class": -1 if case.message_class is None else case.message_class,
        "Unicode": not is_gsm7(case.text),
        "Entries": [{"ID": entry_id, "Buffer": case.text}],
    }
    parts = []
    for part in gammu.EncodeSMS(info):
        part["Number"] = case.number
        part["SMSC"] = {"Location": 0, "Number": SMSC, "Validity": "NA", "Format": "Text"}
        if case.kind == "deliver":
            part["Type"] = "Deliver"
            # python-gammu drops tzinfo and writes zone 00: give it the UTC wall clock.
            part["DateTime"] = case.timestamp.astimezone(UTC).replace(tzinfo=None)
            pdu = gammu.EncodePDU(part, "Deliver")
        else:
            pdu = gammu.EncodePDU(part, "Submit")
        parts.append((part, bytes(pdu)))
    return parts


def _encode_ours(case: Case) -> list[bytes]:
    if case.kind == "deliver":
        encoded = encode_deliver(
            case.number,
            case.text,
            timestamp=case.timestamp,
            smsc=SMSC,
            message_class=case.message_class,
            concat_reference=case.concat_reference,
            concat_16bit=case.concat_16bit,
        )
    else:
        encoded = encode_submit(
            case.number,
            case.text,
            smsc=SMSC,
            message_class=case.message_class,
            concat_reference=case.concat_reference,
            concat_16bit=case.concat_16bit,
        )
    return [e.pdu for e in encoded]


# --------------------------------------------------------------------------- comparisons


def _compare_ours_to_gammu(case: Case) -> list[str]:
    """Direction (a): our encoding, gammu's decoding. Returns the disagreements."""
    problems: list[str] = []
    expected = reference_split(case.text, concat_16bit=case.concat_16bit)
    pdus = _encode_ours(case)
    if len(pdus) != len(expected):
        return [f"{len(pdus)} segments, expected {len(expected)}"]
    gsm = is_gsm7(case.text)
    for index, pdu in enumerate(pdus):
        where = f"segment {index + 1}/{len(pdus)} {pdu.hex().upper()}"
        try:
            got = gammu.DecodePDU(pdu, SMSC=True)
        except gammu.GSMError as error:
            problems.append(f"{where}: gammu refused it: {error}")
            continue
        checks = {
            "Type": (got["Type"], case.kind.capitalize()),
            "Number": (got["Number"], case.number),
            "SMSC": (got["SMSC"]["Number"], SMSC),
            "Text": (_gammu_text(got, expected[index]), expected[index]),
            "Class": (got["Class"], -1 if case.message_class is None else case.message_class),
            "Coding": (
                got["Coding"],
                "Default_No_Compression" if gsm else "Unicode_No_Compression",
            ),
        }
        udh = got["UDH"]
        if len(pdus) == 1:
            checks["UDH"] = (udh["Type"], "NoUDH")
        elif case.concat_16bit:
            checks["UDH"] = (
                (udh["Type"], udh["ID16bit"], udh["AllParts"], udh["PartNumber"]),
                ("ConcatenatedMessages16bit", case.concat_reference, len(pdus), index + 1),
            )
        else:
            checks["UDH"] = (
                (udh["Type"], udh["ID8bit"], udh["AllParts"], udh["PartNumber"]),
                ("ConcatenatedMessages", case.concat_reference, len(pdus), index + 1),
            )
        if case.kind == "deliver":
            stamp = got["DateTime"]
            checks["DateTime"] = (
                (stamp, stamp.utcoffset() if stamp else None),
                (case.timestamp, case.timestamp.utcoffset()),
            )
        problems.extend(
            f"{where}: {name} gammu={got_value!r} ours={want!r}"
            for name, (got_value, want) in checks.items()
            if got_value != want
        )
    return problems


def _compare_gammu_to_ours(case: Case) -> list[str]:
    """Direction (b): gammu's encoding, our decoding. Returns the disagreements."""
    problems: list[str] = []
    parts = _gammu_encode(case)
    ucs2 = not is_gsm7(case.text)
    # gammu fault: its splitter replaces both halves of a surrogate pair that straddles a segment
    # boundary with U+FFFD when a combining mark follows the astral character. Its parts then no
    # longer join to the original; our decoder is held to gammu's parts (what the PDUs hold).
    gammu_joined = "".join(part["Text"] for part, _ in parts)
    if gammu_joined != case.text and "\ufffd" not in gammu_joined:
        problems.append(f"gammu's own parts join to {gammu_joined!r}")
    joined: list[str] = []
    for part, pdu in parts:
        where = f"part {part['UDH']['PartNumber']}/{len(parts)} {pdu.hex().upper()}"
        try:
            message = decode(pdu)
        except ValueError as error:
            problems.append(f"{where}: our decode refused it: {error!r}")
            continue
        want_type = Deliver if case.kind == "deliver" else Submit
        if not isinstance(message, want_type):
            problems.append(f"{where}: decoded as {type(message).__name__}")
            continue
        number = message.sender if isinstance(message, Deliver) else message.destination
        checks: dict[str, tuple[object, object]] = {
            "number": (number, case.number),
            "smsc": (message.smsc, SMSC),
            "text": (message.text, part["Text"]),
            "class": (message.message_class, case.message_class),
            "encoding": (message.encoding, Encoding.UCS2 if ucs2 else Encoding.GSM7),
        }
        udh = part["UDH"]
        concat = message.concat
        if udh["Type"] == "NoUDH":
            checks["concat"] = (concat, None)
        else:
            bits = 16 if udh["Type"] == "ConcatenatedMessages16bit" else 8
            reference = udh["ID16bit"] if bits == 16 else udh["ID8bit"]
            got = (
                None
                if concat is None
                else (concat.reference, concat.total, concat.sequence, concat.bits)
            )
            checks["concat"] = (got, (reference, udh["AllParts"], udh["PartNumber"], bits))
        if isinstance(message, Deliver):
            checks["timestamp"] = (message.timestamp, case.timestamp.astimezone(UTC))
        problems.extend(
            f"{where}: {name} ours={got_value!r} gammu={want!r}"
            for name, (got_value, want) in checks.items()
            if got_value != want
        )
        joined.append(message.text or "")
    if not problems and "".join(joined) != gammu_joined:
        problems.append(f"joined text {''.join(joined)!r} differs from the original")
    return problems


def _run(compare: Callable[[Case], list[str]], cases: list[Case]) -> None:
    failures = []
    for case in cases:
        problems = compare(case)
        if problems:
            failures.append(f"{case!r}\n    " + "\n    ".join(problems))
    assert not failures, (
        f"{len(failures)} of {len(cases)} messages disagree; first ones:\n"
        + "\n".join(failures[:MAX_REPORTED])
    )


# --------------------------------------------------------------------------- tests


def test_ours_decoded_by_gammu() -> None:
    _run(_compare_ours_to_gammu, _cases(SEED, CASES_PER_DIRECTION))


def test_gammu_decoded_by_ours() -> None:
    _run(_compare_gammu_to_ours, _cases(SEED + 1, CASES_PER_DIRECTION))


_numbers = st.one_of(
    st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True),
    st.from_regex(r"[0-9]{1,20}", fullmatch=True).filter(lambda n: not n.startswith("00")),
)
# gammu fault (alphanumeric septets as ASCII): ASCII-identical characters only.
_alphanumerics = st.text(st.sampled_from(GSM7_ASCII_IDENTICAL), min_size=1, max_size=11).filter(
    lambda name: any(c in _ALPHA_LETTERS for c in name)
)


def _gammu_can_carry(text: str) -> bool:
    """Texts outside gammu's faults: no U+0000; in UCS-2 no '~' and no U+0001."""
    if len(text) > 700 or "\x00" in text:
        return False
    return is_gsm7(text) or not ("~" in text or "\x01" in text)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A case drawn by hypothesis (texts from the shared strategies, up to a few segments)."""
    kind = draw(st.sampled_from(("submit", "deliver")))
    number = draw(_numbers | _alphanumerics) if kind == "deliver" else draw(_numbers)
    concat_16bit = draw(st.booleans())
    return Case(
        kind=kind,
        number=number,
        text=draw(any_text().filter(_gammu_can_carry)),
        message_class=draw(message_classes),
        concat_reference=draw(st.integers(0, 0xFFFF if concat_16bit else 0xFF)),
        concat_16bit=concat_16bit,
        timestamp=draw(scts_datetimes.filter(lambda t: 2000 < t.year < GAMMU_LAST_YEAR)),
    )


@settings(max_examples=60)
@given(case=cases())
def test_hypothesis_ours_decoded_by_gammu(case: Case) -> None:
    assert _compare_ours_to_gammu(case) == []


@settings(max_examples=60)
@given(case=cases())
def test_hypothesis_gammu_decoded_by_ours(case: Case) -> None:
    assert _compare_gammu_to_ours(case) == []
