"""Phone numbers: validation and E.164 normalisation with libphonenumber's rules.

RaspiSMS parses every number with ``parse(number, null)`` and keeps it only when
``isValidNumber`` holds, formatted as E.164. Without a region only international numbers
(``+`` and a country code) can pass: ``0612345678`` is invalid. `to_e164` does exactly that by
default; ``default_region`` (an ISO 3166 code such as ``"FR"``) is our extension that also
accepts national numbers of that region.

One more leniency: a number written ``+33612345678`` in a form body without URL-encoding the
``+`` (``curl -d numbers=+33612345678``) arrives as ``" 33612345678"``, since form decoding turns
``+`` into a space. A value made of one or more leading spaces followed by digits only can have
come from nothing else, so it is read with its ``+`` back.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

__all__ = ["MAX_NUMBER_LENGTH", "check_region", "country_code", "to_e164"]

MAX_NUMBER_LENGTH = 250  # libphonenumber refuses longer input anyway


def check_region(region: str) -> str:
    """Return ``region`` upper-cased if libphonenumber knows it, else raise ``ValueError``."""
    code = region.upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {region!r}")
    return code


def to_e164(number: object, default_region: str | None = None) -> str | None:
    """The E.164 form of ``number`` if it is a valid phone number, else None.

    Anything that is not a string (a missing value, an array, an uploaded file) is invalid.
    """
    if not isinstance(number, str) or len(number) > MAX_NUMBER_LENGTH:
        return None
    return _to_e164(number, default_region)


CACHED_NUMBERS = 512
"""Numbers whose E.164 form is kept (about 300 bytes each with their key and result).

A campaign's recipients and an application's usual numbers hit it; a stream of new numbers
(each costs about 10 µs to parse) does not, and 8,192 entries held about 2.4 MB for nothing.
"""


@lru_cache(maxsize=CACHED_NUMBERS)
def _to_e164(number: str, default_region: str | None) -> str | None:
    stripped = number.lstrip(" ")
    if stripped != number and stripped.isascii() and stripped.isdigit():
        # Most likely a "+" that form decoding turned into a space; else the value as written.
        return _parse("+" + stripped, default_region) or _parse(number, default_region)
    return _parse(number, default_region)


def _parse(number: str, default_region: str | None) -> str | None:
    try:
        parsed = phonenumbers.parse(number, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def country_code(e164: str) -> int | None:
    """The country calling code of an E.164 number (``39`` for ``+393491234567``), else None."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    return parsed.country_code or None
