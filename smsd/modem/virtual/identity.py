"""Identity of a virtual modem and its SIM: IMEI, IMSI, ICCID with valid check digits.

Defaults are derived from the modem's name so that several virtual modems in one daemon have
distinct, stable identities (the daemon matches devices by IMEI and ICCID after a replug).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

# A Huawei-style type allocation code; any 8 digits make a well-formed IMEI.
_TAC = "86781503"
_HOME_NETWORK = "20801"  # MCC 208 (France), MNC 01
_ICCID_ISSUER = "893301"  # 89 telecom, 33 France, 01 issuer


def luhn_digit(digits: str) -> str:
    """Return the Luhn check digit for ``digits`` (ITU-T E.118 / 3GPP TS 23.003 IMEI)."""
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"Luhn needs decimal digits, got {digits!r}")
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # rightmost payload digit is doubled
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """Whether the last digit of ``number`` is its Luhn check digit."""
    return (
        len(number) >= 2
        and number.isascii()
        and number.isdigit()
        and luhn_digit(number[:-1]) == number[-1]
    )


def _serial(name: str, salt: str, width: int) -> str:
    value = zlib.crc32(f"{salt}:{name}".encode()) % (10**width)
    return f"{value:0{width}d}"


def default_imei(name: str) -> str:
    """A 15-digit IMEI (TAC + serial + Luhn digit) stable for ``name``."""
    body = _TAC + _serial(name, "imei", 6)
    return body + luhn_digit(body)


def default_imsi(name: str) -> str:
    """A 15-digit IMSI on the home network, stable for ``name``."""
    return _HOME_NETWORK + _serial(name, "imsi", 10)


def default_iccid(name: str) -> str:
    """A 20-digit ICCID (19 digits + Luhn digit) stable for ``name``."""
    body = _ICCID_ISSUER + _serial(name, "iccid", 13)
    return body + luhn_digit(body)


def swap_nibbles(digits: str) -> str:
    """Swap each pair of digits, the raw BCD order Huawei's ``AT^ICCID?`` reports."""
    padded = digits if len(digits) % 2 == 0 else digits + "F"
    return "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))


@dataclass(frozen=True)
class Identity:
    """What ``AT+CGMI``/``+CGMM``/``+CGMR``/``+CGSN``/``+CIMI``/``+CCID`` answer."""

    manufacturer: str
    model: str
    revision: str
    imei: str
    imsi: str
    iccid: str
    operator: str
    operator_short: str

    @property
    def operator_numeric(self) -> str:
        """MCC+MNC of the home network, from the IMSI."""
        return self.imsi[:5]


__all__ = [
    "Identity",
    "default_iccid",
    "default_imei",
    "default_imsi",
    "luhn_digit",
    "luhn_valid",
    "swap_nibbles",
]
