"""``[billing]``, ``[quiet_hours]``, ``[stop]`` and ``[[phones]] segment_price``: read, and bad
values refused with the key named."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from smsd.config import load_config, render
from smsd.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

PHONE = '[[phones]]\nname = "m"\ndevice = "virtual"\n'


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "smsd.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [line.removeprefix(f"{path}: ") for line in str(info.value).splitlines()]


def test_values_are_read_and_render_back(tmp_path: Path) -> None:
    path = tmp_path / "smsd.toml"
    path.write_text(
        '[billing]\ncurrency = "CHF"\nsegment_price = 0.075\n'
        '[quiet_hours]\nenabled = false\nstart = "21:30"\nend = "07:00"\n'
        'days = ["Monday", "fri"]\ncountry = "be"\n'
        '[stop]\nmention = "STOP 36180"\nresponse = "OK"\n'
        f'{PHONE}segment_price = "0.01"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert (config.billing.currency, config.billing.segment_price) == ("CHF", "0.075")
    quiet = config.quiet_hours
    assert (quiet.enabled, quiet.start, quiet.end, quiet.days, quiet.country) == (
        False, "21:30", "07:00", ("mon", "fri"), "BE",
    )  # fmt: skip
    assert (config.stop.mention, config.stop.response) == ("STOP 36180", "OK")
    assert config.phones[0].segment_price == "0.01"
    again = tmp_path / "again.toml"
    again.write_text(render(config, mask=False), encoding="utf-8")
    assert load_config(again).quiet_hours == quiet
    assert load_config(again).billing == config.billing


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '[billing]\ncurrency = "euro"',
            "billing.currency: must be an ISO 4217 code",
        ),
        ("[billing]\nsegment_price = -1", "billing.segment_price: must be a number >= 0"),
        ('[billing]\nsegment_price = "cheap"', "billing.segment_price: must be a number >= 0"),
        ('[quiet_hours]\nstart = "8pm"', 'quiet_hours.start: must be a time "HH:MM"'),
        ('[quiet_hours]\nend = "24:00"', 'quiet_hours.end: must be a time "HH:MM"'),
        ('[quiet_hours]\ndays = ["someday"]', "quiet_hours.days: must be an array of day names"),
        ("[quiet_hours]\ndays = []", "quiet_hours.days: must name at least one day"),
        (
            '[quiet_hours]\ncountry = "XX"',
            "quiet_hours.country: must be a country code the holidays",
        ),
        ("[quiet_hours]\nenabled = 1", "quiet_hours.enabled: must be true or false"),
        (
            '[quiet_hours]\nstrat = "20:00"',
            'quiet_hours.strat: unknown key (did you mean "start"?)',
        ),
        ("[stop]\nmention = 3", "stop.mention: must be a string of at most 160 characters"),
        (f"{PHONE}segment_price = true", "phones[0].segment_price: must be a number >= 0"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, problem: str) -> None:
    found = _problems(tmp_path, text + "\n")
    assert any(line.startswith(problem) for line in found), found
