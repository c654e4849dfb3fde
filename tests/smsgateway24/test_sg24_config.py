"""``[api] dialects`` and ``[api] session_lifetime``: read, defaulted, and refused by key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from smsd.config import ConfigError, load_config

if TYPE_CHECKING:
    from pathlib import Path


def _load(tmp_path: Path, text: str):
    path = tmp_path / "smsd.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_defaults_serve_every_door(tmp_path: Path) -> None:
    api = _load(tmp_path, "").api
    assert "smsgateway24" in api.dialects
    assert api.session_lifetime == 7 * 24 * 3600


def test_chosen_doors_and_lifetime(tmp_path: Path) -> None:
    api = _load(tmp_path, '[api]\ndialects = ["smsgateway24"]\nsession_lifetime = 3600\n').api
    assert api.dialects == ("smsgateway24",)
    assert api.session_lifetime == 3600


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('dialects = "raspisms"', "api.dialects: must be a list of names among"),
        ('dialects = ["twilio"]', 'api.dialects: unknown dialect "twilio": known are'),
        ('dialects = ["raspisms", "raspisms"]', "api.dialects: names a dialect twice"),
        ("session_lifetime = 0", "api.session_lifetime: "),
        ('session_lifetime = "1d"', "api.session_lifetime: "),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, f"[api]\n{text}\n")
    assert expected in str(info.value)
