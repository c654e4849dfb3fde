"""The daemon's TOML configuration, written section by section as the tests need it.

Each function returns one section's text; :func:`write` puts sections (and any raw TOML a test
adds) in ``smsd.toml``::

    write(
        tmp_path,
        daemon(),
        api("127.0.0.1:0"),
        user(EMAIL, KEY, admin=True),
        phone("dongle-1", modem.path, health_interval=1),
    )

A bare key after a section belongs to it in TOML: raw text appended right after :func:`phone`
adds settings to that phone.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["QUICK", "api", "daemon", "phone", "user", "value", "write"]

QUICK: dict[str, object] = {
    "health_interval": 0.5,
    "poll_interval": 2.0,
    "command_timeout": 1.0,
    "submit_timeout": 3.0,
}
"""Settings of a phone on a pty modem that notice things quickly (``phone(..., **QUICK)``)."""


def value(setting: object) -> str:
    """``setting`` as a TOML value (a string, a number or a boolean)."""
    if isinstance(setting, bool):
        return "true" if setting else "false"
    if isinstance(setting, int | float):
        return repr(setting)
    if isinstance(setting, str):
        return json.dumps(setting)
    raise TypeError(f"no TOML form for {setting!r} here: write it as raw text")


def _table(header: str, **settings: object) -> str:
    lines = [header, *(f"{key} = {value(v)}" for key, v in settings.items() if v is not None)]
    return "\n".join(lines) + "\n"


def daemon(
    *, database: str = "smsd.sqlite3", log_format: str | None = "json", **settings: object
) -> str:
    """``[daemon]``: the database file (beside the configuration), a JSON log by default."""
    return _table("[daemon]", database=database, log_format=log_format, **settings)


def api(listen: str, **settings: object) -> str:
    """``[api]`` listening on ``listen`` (``127.0.0.1:0``, ``unix:/path``...)."""
    return _table("[api]", listen=listen, **settings)


def user(email: str, api_key: str, *, admin: bool = False) -> str:
    """One ``[[users]]`` entry."""
    return _table("[[users]]", email=email, api_key=api_key, admin=admin or None)


def phone(name: str, device: str, **settings: object) -> str:
    """One ``[[phones]]`` entry: ``device`` a pty path or ``virtual``, then its settings."""
    return _table("[[phones]]", name=name, device=device, **settings)


def write(directory: Path, *sections: str, name: str = "smsd.toml") -> Path:
    """``sections`` (blank lines between) in ``directory/name``; its path."""
    path = directory / name
    path.write_text("\n" + "\n".join(sections), encoding="utf-8")
    return path
