"""The configuration file: TOML read into frozen dataclasses, every mistake reported at once.

:func:`load_config` reads a file; :func:`default_config` is the embedded default (one virtual
modem, ``./smsd.sqlite3``, the API on ``127.0.0.1:8080``, no users so the daemon creates one);
:func:`render` prints the effective settings with secrets masked. ``config.example.toml``
documents every key and its default.

Errors are :class:`~smsd.errors.ConfigError`. A TOML syntax error names the place as
``<file>:<line>:<column>: <what>``. Meaning errors name the dotted key path, with array entries
counted from zero (``phones[1].baudrate`` is the second ``[[phones]]``); all of them are collected
and reported together, one per line. Unknown keys are errors: a typo must not be ignored.

Inside: `settings` (the frozen dataclasses, fixed values and the default), `reading` (the file,
its sections and the problems collected), `converters` (one check per kind of value) and
`rendering` (back to TOML).
"""

from __future__ import annotations

from smsd.config.reading import load_config
from smsd.config.rendering import render
from smsd.config.settings import (
    BAUDRATES,
    DEFAULT_DATABASE,
    DEFAULT_PHONE,
    EXAMPLE_API_KEY,
    LOG_FORMATS,
    LOG_LEVELS,
    MIN_API_KEY,
    VIRTUAL,
    ApiConfig,
    Config,
    DaemonConfig,
    HotplugConfig,
    LimitConfig,
    LogFormat,
    LogLevel,
    MqttConfig,
    PhoneConfig,
    TcpListen,
    UnixListen,
    UserConfig,
    WebConfig,
    WebhooksConfig,
    default_config,
)
from smsd.errors import ConfigError

__all__ = [
    "BAUDRATES",
    "DEFAULT_DATABASE",
    "DEFAULT_PHONE",
    "EXAMPLE_API_KEY",
    "LOG_FORMATS",
    "LOG_LEVELS",
    "MIN_API_KEY",
    "VIRTUAL",
    "ApiConfig",
    "Config",
    "ConfigError",
    "DaemonConfig",
    "HotplugConfig",
    "LimitConfig",
    "LogFormat",
    "LogLevel",
    "MqttConfig",
    "PhoneConfig",
    "TcpListen",
    "UnixListen",
    "UserConfig",
    "WebConfig",
    "WebhooksConfig",
    "default_config",
    "load_config",
    "render",
]
