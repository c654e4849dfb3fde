"""The USSD and balance-watch keys of [[phones]]: read, defaults, and refusals naming the key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from smsd.config import PhoneConfig, load_config
from smsd.errors import ConfigError
from smsd.runtime.balance import parse_amount

if TYPE_CHECKING:
    from pathlib import Path

PHONE = '[[phones]]\nname = "m1"\ndevice = "virtual"\n'


def _load(tmp_path: Path, extra: str):
    path = tmp_path / "smsd.toml"
    path.write_text(PHONE + extra, encoding="utf-8")
    return load_config(path)


def test_keys_read(tmp_path: Path) -> None:
    phone = _load(
        tmp_path,
        'ussd_timeout = 20\nbalance_ussd = "*100#"\nbalance_interval = 600\n'
        "balance_pattern = 'Solde ([0-9 ]+,[0-9]+)'\nbalance_min = 2.5\n"
        "balance_check_every = 50\n",
    ).phones[0]
    assert (phone.ussd_timeout, phone.balance_ussd, phone.balance_interval) == (20, "*100#", 600)
    assert (phone.balance_pattern, phone.balance_min) == ("Solde ([0-9 ]+,[0-9]+)", 2.5)
    assert phone.balance_check_every == 50
    default = PhoneConfig(name="m1", device="virtual")
    assert (default.balance_ussd, default.balance_min, default.ussd_timeout) == (None, None, 30)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("ussd_timeout = 0\n", "phones[0].ussd_timeout: must be a positive number"),
        ('balance_ussd = "balance"\n', "phones[0].balance_ussd: must be a USSD code"),
        ('balance_ussd = "*100#"\nbalance_pattern = "[0-9"\n', "phones[0].balance_pattern: is not"),
        ('balance_ussd = "*100#"\nbalance_pattern = "[0-9]+"\n', "exactly one group"),
        ('balance_ussd = "*100#"\nbalance_min = "5"\n', "phones[0].balance_min: must be a number"),
        ('balance_ussd = "*1#"\nbalance_check_every = -1\n', "phones[0].balance_check_every"),
        ("balance_min = 5\n", "phones[0].balance_min: needs balance_ussd"),
        ("balance_intervall = 5\n", 'unknown key (did you mean "balance_interval"?)'),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, extra)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "pattern", "amount"),
    [
        ("Your balance is 12,50 EUR.", r"(-?\d+(?:[.,]\d+)?)", 12.5),
        ("Solde: 1 234,56 EUR", r"Solde: ([\d ]+(?:,\d+)?)", 1234.56),
        ("Balance 1.234,56", r"Balance ([\d.]+,\d+)", 1234.56),
        ("Credit -3.20 USD", r"(-?\d+(?:[.,]\d+)?)", -3.2),
        ("No balance here", r"(\d+)", None),
        ("Bonus 5, main ", r"main (\d*)", None),
    ],
)
def test_amount_parsing(answer: str, pattern: str, amount: float | None) -> None:
    assert parse_amount(answer, pattern) == amount
