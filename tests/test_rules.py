"""The pure rules the doors share: credits, sender names, STOP keywords, quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest

from smsd.rules.credits import credits_for
from smsd.rules.keywords import Keyword, keyword_of
from smsd.rules.quiet import QuietHours, holiday_checker, next_allowed, parse_window
from smsd.rules.senders import SenderError, check_sender


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),  # RaspiSMS divides by 160, not 153
        ("é" * 160, 1),  # in the GSM 03.38 default alphabet
        ("€" * 70, 1),  # the extension table counts as Unicode, as RaspiSMS
        ("€" * 71, 2),
        ("😀" * 10, 1),
    ],
)
def test_credits_as_raspisms_counts_them(text: str, expected: int) -> None:
    assert credits_for(text) == expected


@pytest.mark.parametrize(
    "good", ["abc", "MyShop", "My Shop 2", "A1234567890", "123", "+33612345678", "12345678901234"]
)
def test_sender_names_accepted(good: str) -> None:
    assert check_sender(f" {good} ") == good


@pytest.mark.parametrize(
    "bad", ["", "ab", "ABCDEFGHIJKL", "my-shop", "shop!", " ", "Ça va", "123456789012345", "++336"]
)
def test_sender_names_refused(bad: str) -> None:
    with pytest.raises(SenderError):
        check_sender(bad)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("STOP", Keyword.STOP), (" stop\r\n", Keyword.STOP), ("Stop Sms", Keyword.STOP),
        ("ARRET", Keyword.STOP), ("arrêt", Keyword.STOP), ("ARRÊT SMS", Keyword.STOP),
        ("START", Keyword.START), ("start\t", Keyword.START),
        ("stop please", None), ("STOPSMS", None), ("", None), ("Hello", None),
    ],
)  # fmt: skip
def test_keywords(text: str, keyword: Keyword | None) -> None:
    assert keyword_of(text) is keyword


FRENCH = QuietHours()  # 20:00-08:00, Monday to Saturday, French holidays
HOLIDAYS = holiday_checker("FR")


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        ("2026-12-02 10:00", "2026-12-02 10:00"),  # a Wednesday morning: now
        ("2026-12-02 19:59", "2026-12-02 19:59"),
        ("2026-12-02 20:00", "2026-12-03 08:00"),  # evening: next morning
        ("2026-12-03 02:30", "2026-12-03 08:00"),  # night: this morning
        ("2026-12-05 21:00", "2026-12-07 08:00"),  # Saturday evening: Monday (Sunday closed)
        ("2026-12-06 12:00", "2026-12-07 08:00"),  # Sunday
        ("2026-12-24 21:00", "2026-12-26 08:00"),  # Christmas is a public holiday
        ("2026-07-13 20:30", "2026-07-15 08:00"),  # 14 July
    ],
)
def test_french_quiet_hours(moment: str, allowed: str) -> None:
    at = dt.datetime.fromisoformat(moment)
    assert next_allowed(at, FRENCH, HOLIDAYS) == dt.datetime.fromisoformat(allowed)


def test_windows_not_crossing_midnight_and_empty_ones() -> None:
    lunch = QuietHours(start=dt.time(12), end=dt.time(14), days=frozenset(range(7)), country=None)
    never = holiday_checker(None)
    noon = dt.datetime.fromisoformat("2026-12-06 12:30")
    assert next_allowed(noon, lunch, never) == noon.replace(hour=14, minute=0)
    assert next_allowed(noon.replace(hour=15), lunch, never) == noon.replace(hour=15)
    open_all = QuietHours(start=dt.time(8), end=dt.time(8), days=frozenset(range(7)), country=None)
    assert next_allowed(noon, open_all, never) == noon
    closed = QuietHours(days=frozenset(), country=None)
    assert next_allowed(noon, closed, never) is None


def test_parse_window() -> None:
    assert parse_window("21:30-07:15") == (dt.time(21, 30), dt.time(7, 15))
    for bad in ("21:30", "9:00-10:00", "aa:bb-cc:dd", "25:00-01:00"):
        with pytest.raises(ValueError):  # noqa: PT011 - the message varies
            parse_window(bad)
