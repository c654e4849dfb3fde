"""A modem's settings are its phone's: built from a PhoneConfig, with the same defaults."""

from __future__ import annotations

from dataclasses import fields

from smsd.config import PhoneConfig
from smsd.modem.settings import ModemConfig

SHARED = [f.name for f in fields(ModemConfig) if f.name in {g.name for g in fields(PhoneConfig)}]


def test_every_shared_field_comes_from_the_phone() -> None:
    phone = PhoneConfig(
        name="p", device="/dev/x", baudrate=9600, pin="1234", poll_interval=7.0,
        health_interval=8.0, submit_timeout=9.0, command_timeout=1.5, hangup_calls=False,
    )  # fmt: skip
    modem = ModemConfig.of(phone, backoff_initial=0.1)
    assert len(SHARED) >= 9
    for name in SHARED:
        assert getattr(modem, name) == getattr(phone, name), name
    assert modem.backoff_initial == 0.1


def test_defaults_are_the_phones() -> None:
    bare = ModemConfig(name="p", device="/dev/x")
    phone = PhoneConfig(name="p", device="/dev/x")
    for name in SHARED:
        assert getattr(bare, name) == getattr(phone, name), name
