"""``[api] dialects`` and ``[api.smspartner]``: read, defaulted, bad values refused by key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from smsd.config import ConfigError, load_config, render
from smsd.config.doors import SmsPartnerConfig
from smsd.config.settings import DIALECTS

if TYPE_CHECKING:
    from pathlib import Path


def load(tmp_path: Path, text: str):
    path = tmp_path / "smsd.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return str(info.value)


def test_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, "")
    assert config.api.dialects == DIALECTS
    assert config.api.smspartner == SmsPartnerConfig(default_region="FR", commercial=True)


def test_values_are_read(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[api]\ndialects = ["smspartner"]\n[api.smspartner]\ndefault_region = "be"\n'
        "commercial = false\n",
    )
    assert config.api.dialects == ("smspartner",)
    assert config.api.smspartner == SmsPartnerConfig(default_region="BE", commercial=False)
    assert load(tmp_path, render(config, mask=False)).api == config.api


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[api]\ndialects = ["smspartner", "twilio"]\n', 'api.dialects: unknown dialect "twilio"'),
        ('[api]\ndialects = "smspartner"\n', "api.dialects: must be a list"),
        ('[api]\ndialects = ["raspisms", "raspisms"]\n', "api.dialects: names a dialect twice"),
        ('[api.smspartner]\ndefault_region = "XX"\n', "api.smspartner.default_region: must be"),
        ("[api.smspartner]\ncommercial = 1\n", "api.smspartner.commercial: must be true or false"),
        ('[api.smspartner]\nregion = "FR"\n', "api.smspartner.region: unknown key"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, where: str) -> None:
    assert where in refused(tmp_path, text)
