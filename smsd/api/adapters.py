r"""The adapters a phone may name, and how their ``adapter_data`` is checked and stored.

RaspiSMS names an adapter by its PHP class (``adapters\GammuAdapter``); smsd accepts three:

- ``adapters\TestAdapter``: the virtual modem; ``adapter_data`` may be empty and is stored as
  ``{"device": "virtual"}``;
- ``adapters\SerialModemAdapter``: a GSM modem on a serial port; ``adapter_data[device]``
  (required: an absolute device path or a ``socket://`` / ``rfc2217://`` URL),
  ``adapter_data[baudrate]`` (optional standard rate) and ``adapter_data[pin]`` (optional, 4 to 8
  digits);
- ``adapters\GammuAdapter`` (what RaspiSMS users run today): ``adapter_data[config_file]``
  (required) names a gammu rc file whose ``[gammu]`` section gives the ``device`` (or ``port``)
  and, from ``connection = at115200``, the baud rate; ``adapter_data[pin]`` is optional. The
  phone is stored as a serial modem (smsd talks to the modem itself, gammu is never run), with
  the file's name kept in ``config_file``.

Stored ``adapter_data`` is the JSON of the checked fields only, so the daemon reads one shape.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from pathlib import Path

from smsd.api.envelope import ApiError, ErrorCode
from smsd.config.converters import Invalid, baudrate, device, pin

__all__ = [
    "ADAPTERS",
    "GAMMU_ADAPTER",
    "SERIAL_ADAPTER",
    "VIRTUAL_ADAPTER",
    "Adapter",
    "check_adapter",
    "read_gammu_config",
]

VIRTUAL_ADAPTER = "adapters\\TestAdapter"
SERIAL_ADAPTER = "adapters\\SerialModemAdapter"
GAMMU_ADAPTER = "adapters\\GammuAdapter"
ADAPTERS = frozenset({VIRTUAL_ADAPTER, SERIAL_ADAPTER, GAMMU_ADAPTER})
MAX_CONFIG_BYTES = 64 * 1024
_CONNECTION_RATE = re.compile(r"at(\d+)", re.IGNORECASE)
_INVALID = ErrorCode.INVALID_PARAMETER
_MISSING = ErrorCode.MISSING_PARAMETER

Adapter = tuple[str, str]
"""The adapter name and the ``adapter_data`` JSON text to store."""


def _field(data: Mapping[str, object], name: str) -> str | None:
    """A text field of ``adapter_data`` (``None`` when absent or empty)."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ApiError(_INVALID, f" adapter_data[{name}] must be a string.")
    return value


def _required(data: Mapping[str, object], name: str, description: str) -> str:
    value = _field(data, name)
    if value is None:  # RaspiSMS's message, typo included
        raise ApiError(_MISSING, f" You must speicify param {name} ({description}) for this phone.")
    return value


def _convert(name: str, value: str, converter: object) -> object:
    assert callable(converter)
    try:
        return converter(value)
    except Invalid as exc:
        raise ApiError(_INVALID, f" adapter_data[{name}] {exc}.") from exc


def _serial_fields(data: Mapping[str, object], device_text: str) -> dict[str, object]:
    if device_text == "virtual":
        raise ApiError(
            _INVALID,
            f" adapter_data[device] : use the adapter {VIRTUAL_ADAPTER} for a virtual modem.",
        )
    fields: dict[str, object] = {"device": _convert("device", device_text, device)}
    rate = _field(data, "baudrate")
    if rate is not None:
        fields["baudrate"] = _convert("baudrate", rate, lambda text: baudrate(int(text)))
    code = _field(data, "pin")
    if code is not None:
        fields["pin"] = _convert("pin", code, pin)
    return fields


def read_gammu_config(path: str) -> tuple[str, int | None]:
    """The device and baud rate a gammu rc file names in its ``[gammu]`` section.

    Raise ``ValueError`` with the reason when the file cannot be read or names no device.
    """
    file = Path(path)
    if not file.is_absolute():
        raise ValueError("the path must be absolute")
    try:
        with file.open("rb") as stream:
            raw = stream.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise ValueError(f"larger than {MAX_CONFIG_BYTES} bytes")
    import configparser  # noqa: PLC0415 - loaded by the first gammu file read, not at start

    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(raw.decode("utf-8", errors="replace"))
    except configparser.Error as exc:
        raise ValueError(f"not a gammu configuration: {exc.message}") from exc
    if not parser.has_section("gammu"):
        raise ValueError("no [gammu] section")
    section = parser["gammu"]
    found = (section.get("device") or section.get("port") or "").strip().strip('"')
    if not found:
        raise ValueError("its [gammu] section names no device")
    rate = _CONNECTION_RATE.fullmatch((section.get("connection") or "").strip())
    return found, int(rate.group(1)) if rate else None


async def _gammu_fields(data: Mapping[str, object]) -> dict[str, object]:
    config_file = _required(data, "config_file", "path to the gammu configuration file")
    try:
        found, rate = await asyncio.to_thread(read_gammu_config, config_file)
    except ValueError as exc:
        raise ApiError(
            _INVALID,
            f" adapter_data[config_file] : cannot use the gammu configuration file "
            f"{config_file!r}: {exc}.",
        ) from exc
    merged: dict[str, object] = {"pin": data.get("pin")}
    if rate is not None:
        merged["baudrate"] = str(rate)
    fields = _serial_fields(merged, found)
    fields["config_file"] = config_file
    return fields


async def check_adapter(adapter: object, data: object) -> Adapter:
    """Check an adapter name and its fields; the (adapter, ``adapter_data`` JSON) to store.

    Errors are RaspiSMS's: 2 for an unknown adapter or a bad field, 4 for a missing field.
    """
    if not isinstance(adapter, str) or adapter not in ADAPTERS:
        shown = adapter if isinstance(adapter, str) else "array"
        raise ApiError(_INVALID, f' adapter. Adapter "{shown}" does not exists.')
    if data is None or data in ("", []):
        data = {}
    if not isinstance(data, Mapping):
        raise ApiError(_INVALID, " adapter_data must be an array of fields.")
    if adapter == VIRTUAL_ADAPTER:
        fields: dict[str, object] = {"device": "virtual"}
        stored = VIRTUAL_ADAPTER
    elif adapter == SERIAL_ADAPTER:
        device_text = _required(data, "device", "serial device path or socket:// URL")
        fields = _serial_fields(data, device_text)
        stored = SERIAL_ADAPTER
    else:
        fields = await _gammu_fields(data)
        stored = SERIAL_ADAPTER
    return stored, json.dumps(fields, separators=(",", ":"))
