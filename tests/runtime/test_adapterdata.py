"""A phone's stored adapter_data is read once, the same way for every reader."""

from __future__ import annotations

import json

import pytest

from smsd.config import PhoneConfig
from smsd.runtime.adapterdata import AdapterData, adapter_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"device": "/dev/ttyUSB0", "baudrate": "9600", "pin": "1234"}',
         AdapterData("/dev/ttyUSB0", 9600, "1234")),
        ('{"device":"virtual"}', AdapterData("virtual")),
        ('{"device": "/dev/x", "baudrate": "fast", "pin": ""}', AdapterData("/dev/x")),
        ("", AdapterData()),
        ("not json", AdapterData()),
        ('["a", "list"]', AdapterData()),
        ('{"device": null}', AdapterData()),
    ],
)  # fmt: skip
def test_parse(text: str, expected: AdapterData) -> None:
    assert AdapterData.parse(text) == expected


def test_what_is_written_reads_back() -> None:
    written = adapter_data(PhoneConfig(name="p", device="/dev/ttyUSB2", baudrate=57600))
    assert json.loads(written) == {"device": "/dev/ttyUSB2", "baudrate": 57600}
    assert AdapterData.parse(written) == AdapterData("/dev/ttyUSB2", 57600)
