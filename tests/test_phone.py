"""E.164 normalisation with RaspiSMS's rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.phone import check_region, to_e164


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("+33612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("+1 650-253-0000", "+16502530000"),
        ("+447911123456", "+447911123456"),
        ("0612345678", None),
        ("33612345678", None),
        ("+3361234567", None),
        ("+999123456789", None),
        ("", None),
        ("abc", None),
        ("+" + "1" * 300, None),
        (None, None),
        (["+33612345678"], None),
        (33612345678, None),
    ],
)
def test_raspisms_mode(number, expected):
    assert to_e164(number) == expected


def test_default_region_extension():
    assert to_e164("0612345678", "FR") == "+33612345678"
    assert to_e164("06 12 34 56 78", "FR") == "+33612345678"
    assert to_e164("+447911123456", "FR") == "+447911123456"
    assert to_e164("0612345678", "XX") is None


def test_check_region():
    assert check_region("fr") == "FR"
    with pytest.raises(ValueError, match="unknown phone region"):
        check_region("XX")


@given(st.text(max_size=40))
def test_any_text_gives_e164_or_none(text):
    result = to_e164(text)
    assert result is None or (result.startswith("+") and result[1:].isdigit())


def test_a_plus_decoded_as_a_space_is_read_back():
    # curl -d numbers=+33612345678 sends a raw "+", which form decoding turns into a space.
    assert to_e164(" 33612345678") == "+33612345678"
    assert to_e164("  447911123456") == "+447911123456"
    assert to_e164(" 0612345678", "FR") == "+33612345678"  # no valid "+" form: read as written
    assert to_e164(" 0612345678") is None
    assert to_e164(" 33 612345678") is None  # not digits only: not a decoded "+"
    assert to_e164("33612345678") is None  # no space, no "+": RaspiSMS refuses it too
