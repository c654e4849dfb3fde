"""The configuration loader: every key valid and invalid, syntax positions, collected errors."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.config import (
    ApiConfig,
    Config,
    DaemonConfig,
    HotplugConfig,
    LimitConfig,
    MqttConfig,
    PhoneConfig,
    TcpListen,
    UnixListen,
    UserConfig,
    default_config,
    load_config,
    render,
)
from smsd.config.settings import BillingConfig, QuietHoursConfig, StopConfig
from smsd.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"
KEY = "k" * 32
PHONE = '[[phones]]\nname = "p"\ndevice = "virtual"\n'


def write(tmp_path: Path, text: str, name: str = "smsd.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    """The error lines for ``text``, without the file-name prefix."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    lines = str(info.value).splitlines()
    prefix = f"{path}: "
    assert all(line.startswith(prefix) for line in lines), lines
    return [line.removeprefix(prefix) for line in lines]


# ------------------------------------------------------------------------- example and defaults


def test_example_loads_and_equals_the_embedded_default() -> None:
    config = load_config(EXAMPLE)
    assert config.source == EXAMPLE
    assert dataclasses.replace(config, source=None) == default_config(EXAMPLE.parent)


def test_example_documents_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    sections = {
        "daemon": DaemonConfig,
        "api": ApiConfig,
        "users": UserConfig,
        "phones": PhoneConfig,
        "hotplug": HotplugConfig,
        "mqtt": MqttConfig,
        "billing": BillingConfig,
        "quiet_hours": QuietHoursConfig,
        "stop": StopConfig,
    }
    for section, cls in sections.items():
        assert re.search(rf"^#? ?\[\[?{section}\]\]?", text, re.MULTILINE), section
        for spec in dataclasses.fields(cls):
            assert re.search(rf"^#? ?{spec.name} = ", text, re.MULTILINE), f"{section}.{spec.name}"
    for spec in dataclasses.fields(LimitConfig):
        assert f"{spec.name} = " in text


def test_example_documented_defaults_match_the_dataclasses() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    phone = PhoneConfig(name="x", device="virtual")
    for key, value in data["phones"][0].items():
        if key not in {"name", "device"}:
            expected = getattr(phone, key)
            assert value == (list(expected) if isinstance(expected, tuple) else expected), key
    daemon = DaemonConfig(database=Path("x"))
    for key, value in data["daemon"].items():
        if key != "database":
            assert value == getattr(daemon, key), key
    assert data["api"]["listen"] == str(ApiConfig().listen)
    assert data["api"]["prefix"] == ApiConfig().prefix
    assert data["api"]["html_escape"] == ApiConfig().html_escape
    assert data["api"]["max_body_bytes"] == ApiConfig().max_body_bytes


def test_default_config() -> None:
    config = default_config(Path("/var/lib/smsd"))
    assert config.daemon.database == Path("/var/lib/smsd/smsd.sqlite3")
    assert config.api.listen == TcpListen("127.0.0.1", 8080)
    assert config.api.prefix == "/raspisms"
    assert config.api.html_escape is True
    assert config.daemon.at_least_once is False
    assert config.users == ()
    assert config.phones == (PhoneConfig(name="virtual-1", device="virtual"),)
    assert config.source is None


def test_empty_file_gives_defaults_without_phones(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.phones == ()
    assert config.users == ()
    assert config.daemon.database == tmp_path / "smsd.sqlite3"
    assert config.api == ApiConfig()
    assert config.hotplug == HotplugConfig()


# ------------------------------------------------------------------------------------ valid keys

FULL = f"""
[daemon]
database = "/var/lib/smsd/db.sqlite3"
log_format = "json"
log_level = "debug"
at_least_once = true
report_window_hours = 24.5
part_timeout = 600

[api]
listen = "[::1]:9000"
prefix = "/sms/"
html_escape = false
max_body_bytes = 1048576

[[users]]
email = "admin@example.org"
api_key = "{KEY}"
admin = true

[[users]]
email = "ops@example.org"
api_key = "{"z" * 40}"

[[phones]]
name = "dongle-1"
device = "/dev/smsd/dongle-1"
baudrate = 9600
pin = "0123"
priority = 2
delivery_reports = false
poll_interval = 120
health_interval = 15.5
submit_timeout = 90
command_timeout = 3
min_interval = 2.5
retries = 0
limits = [{{ volume = 100, startpoint = "today" }}, {{ volume = 500, startpoint = "-7 days" }}]

[[phones]]
name = "remote.2"
device = "socket://192.168.1.20:4001"

[[phones.limits]]
volume = 1
startpoint = "this week midnight -1 week"

[hotplug]
devices = ["/dev/smsd/*", "/dev/serial/by-id/usb-HUAWEI*-if02*"]
baudrate = 460800
"""


def test_every_key_valid(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    assert config.daemon == DaemonConfig(
        database=Path("/var/lib/smsd/db.sqlite3"),
        log_format="json",
        log_level="debug",
        at_least_once=True,
        report_window_hours=24.5,
        part_timeout=600.0,
    )
    assert config.api == ApiConfig(
        listen=TcpListen("::1", 9000), prefix="/sms", html_escape=False, max_body_bytes=1048576
    )
    assert config.users == (
        UserConfig(email="admin@example.org", api_key=KEY, admin=True),
        UserConfig(email="ops@example.org", api_key="z" * 40, admin=False),
    )
    assert config.phones[0] == PhoneConfig(
        name="dongle-1",
        device="/dev/smsd/dongle-1",
        baudrate=9600,
        pin="0123",
        priority=2,
        delivery_reports=False,
        poll_interval=120.0,
        health_interval=15.5,
        submit_timeout=90.0,
        command_timeout=3.0,
        min_interval=2.5,
        retries=0,
        limits=(LimitConfig(100, "today"), LimitConfig(500, "-7 days")),
    )
    assert config.phones[1] == PhoneConfig(
        name="remote.2",
        device="socket://192.168.1.20:4001",
        limits=(LimitConfig(1, "this week midnight -1 week"),),
    )
    assert config.hotplug == HotplugConfig(
        devices=("/dev/smsd/*", "/dev/serial/by-id/usb-HUAWEI*-if02*"), baudrate=460800
    )
    assert isinstance(config.phones[0].poll_interval, float)


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        ("127.0.0.1:8080", TcpListen("127.0.0.1", 8080)),
        ("0.0.0.0:80", TcpListen("0.0.0.0", 80)),  # noqa: S104 - a value under test
        ("localhost:0", TcpListen("localhost", 0)),
        ("pi.example.org:65535", TcpListen("pi.example.org", 65535)),
        ("[::]:8080", TcpListen("::", 8080)),
        ("[0:0:0:0:0:0:0:1]:8080", TcpListen("::1", 8080)),
        ("unix:/run/smsd/api.sock", UnixListen(Path("/run/smsd/api.sock"))),
    ],
)
def test_listen_forms(tmp_path: Path, listen: str, expected: object) -> None:
    config = load_config(write(tmp_path, f'[api]\nlisten = "{listen}"\n'))
    assert config.api.listen == expected


@pytest.mark.parametrize(
    "startpoint",
    [
        "today",
        "-24 hours",
        "this week midnight",
        "-7 days",
        "this week midnight -1 week",
        "-14 days",
        "this month midnight",
        "-1 month",
        "-28 days",
        "-30 days",
        "-31 days",
        "-1 hour",
        "-3 weeks",
        "-2 months",
        "- 5 days",
        "Today",
    ],
)
def test_startpoints_accepted(tmp_path: Path, startpoint: str) -> None:
    text = PHONE + f'limits = [{{ volume = 5, startpoint = "{startpoint}" }}]\n'
    assert load_config(write(tmp_path, text)).phones[0].limits == (LimitConfig(5, startpoint),)


@pytest.mark.parametrize("rate", [1200, 9600, 19200, 38400, 57600, 115200, 230400, 921600])
def test_standard_baudrates(tmp_path: Path, rate: int) -> None:
    assert load_config(write(tmp_path, PHONE + f"baudrate = {rate}\n")).phones[0].baudrate == rate


@pytest.mark.parametrize(
    "device",
    ["virtual", "/dev/ttyUSB2", "/dev/serial/by-id/usb-x-if02", "rfc2217://[::1]:2217?timeout=1"],
)
def test_device_forms(tmp_path: Path, device: str) -> None:
    text = f'[[phones]]\nname = "p"\ndevice = "{device}"\n'
    assert load_config(write(tmp_path, text)).phones[0].device == device


@pytest.mark.parametrize(("prefix", "expected"), [("", ""), ("/", ""), ("/a/b-c", "/a/b-c")])
def test_prefix_forms(tmp_path: Path, prefix: str, expected: str) -> None:
    assert load_config(write(tmp_path, f'[api]\nprefix = "{prefix}"\n')).api.prefix == expected


# ------------------------------------------------------------------------- relative path handling


def test_relative_paths_resolve_against_the_config_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    text = '[daemon]\ndatabase = "data/smsd.db"\n[api]\nlisten = "unix:run/api.sock"\n'
    write(etc, text)
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("etc/smsd.toml"))  # a relative config path, too
    assert config.source == etc / "smsd.toml"
    assert config.daemon.database == etc / "data" / "smsd.db"
    assert config.api.listen == UnixListen(etc / "run" / "api.sock")


def test_absolute_database_path_is_kept(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[daemon]\ndatabase = "/srv/x.sqlite3"\n'))
    assert config.daemon.database == Path("/srv/x.sqlite3")


# ---------------------------------------------------------------------------------- invalid keys

INVALID = [
    # (TOML, expected error line)
    ('[daemon]\ndatabase = ""', 'daemon.database: must be a file path, got ""'),
    ("[daemon]\ndatabase = 5", "daemon.database: must be a string, got 5"),
    (
        '[daemon]\nlog_format = "xml"',
        'daemon.log_format: must be one of "auto", "console", "journal", "json", got "xml"',
    ),
    (
        '[daemon]\nlog_level = "INFO"',
        'daemon.log_level: must be one of "debug", "info", "warning", "error", got "INFO"',
    ),
    ('[daemon]\nat_least_once = "yes"', 'daemon.at_least_once: must be true or false, got "yes"'),
    ("[daemon]\nat_least_once = 1", "daemon.at_least_once: must be true or false, got 1"),
    (
        "[daemon]\nreport_window_hours = 0",
        "daemon.report_window_hours: must be a positive number of hours, got 0",
    ),
    (
        "[daemon]\npart_timeout = -1",
        "daemon.part_timeout: must be a positive number of seconds, got -1",
    ),
    (
        "[daemon]\npart_timeout = inf",
        "daemon.part_timeout: must be a positive number of seconds, got inf",
    ),
    (
        "[daemon]\npart_timeout = nan",
        "daemon.part_timeout: must be a positive number of seconds, got nan",
    ),
    (
        "[daemon]\npart_timeout = true",
        "daemon.part_timeout: must be a positive number of seconds, got true",
    ),
    ('[api]\nlisten = "8080"', 'api.listen: must be "host:port", got "8080"'),
    (
        '[api]\nlisten = "::1:8080"',
        (
            'api.listen: must be "host:port" (write IPv6 addresses in '
            'brackets: [::1]:8080), got "::1:8080"'
        ),
    ),
    ('[api]\nlisten = "127.0.0.1:70000"', "api.listen: port must be 0 to 65535, got 70000"),
    ('[api]\nlisten = "127.0.0.1:http"', 'api.listen: must be "host:port", got "127.0.0.1:http"'),
    ('[api]\nlisten = "300.1.1.1:80"', 'api.listen: not an IPv4 address: "300.1.1.1"'),
    ('[api]\nlisten = "[zz::1]:80"', 'api.listen: not an IPv6 address: "zz::1"'),
    ('[api]\nlisten = "bad_host:80"', 'api.listen: not a host name or address: "bad_host"'),
    ('[api]\nlisten = ":80"', 'api.listen: not a host name or address: ""'),
    ('[api]\nlisten = "unix:"', 'api.listen: must be a file path, got ""'),
    (
        f'[api]\nlisten = "unix:/{"s" * 120}"',
        f"api.listen: socket path longer than 107 bytes: /{'s' * 120}",
    ),
    ("[api]\nlisten = 8080", "api.listen: must be a string, got 8080"),
    (
        '[api]\nprefix = "raspisms"',
        'api.prefix: must be "" or a URL path such as "/raspisms", got "raspisms"',
    ),
    (
        '[api]\nprefix = "/a/../b"',
        'api.prefix: must be "" or a URL path such as "/raspisms", got "/a/../b"',
    ),
    (
        '[api]\nprefix = "/a b"',
        'api.prefix: must be "" or a URL path such as "/raspisms", got "/a b"',
    ),
    ('[api]\nhtml_escape = "true"', 'api.html_escape: must be true or false, got "true"'),
    ("[api]\nmax_body_bytes = 100", "api.max_body_bytes: must be an integer >= 1024, got 100"),
    (
        "[api]\nmax_body_bytes = 2e6",
        "api.max_body_bytes: must be an integer >= 1024, got 2000000.0",
    ),
    ('[[users]]\napi_key = "' + KEY + '"', "users[0].email: is required"),
    ('[[users]]\nemail = "a@b"', "users[0].api_key: is required"),
    (
        '[[users]]\nemail = "nobody"\napi_key = "' + KEY + '"',
        'users[0].email: must be an e-mail address, got "nobody"',
    ),
    (
        '[[users]]\nemail = "a@b"\napi_key = "short-secret"',
        "users[0].api_key: must be at least 32 characters, got 12",
    ),
    ('[[users]]\nemail = "a@b"\napi_key = 1234', "users[0].api_key: must be a string"),
    (
        '[[users]]\nemail = "a@b"\napi_key = "' + "k " * 20 + '"',
        "users[0].api_key: must be visible ASCII characters only (no spaces)",
    ),
    (
        '[[users]]\nemail = "a@b"\napi_key = "change-me-to-at-least-32-random-characters"',
        "users[0].api_key: is the example's placeholder: generate a random key",
    ),
    (
        '[[users]]\nemail = "a@b"\napi_key = "' + KEY + '"\nadmin = "no"',
        'users[0].admin: must be true or false, got "no"',
    ),
    ('[[phones]]\ndevice = "virtual"', "phones[0].name: is required"),
    ('[[phones]]\nname = "p"', "phones[0].device: is required"),
    (
        '[[phones]]\nname = "my phone"\ndevice = "virtual"',
        "phones[0].name: must be letters, digits, '.', '_' or '-', got \"my phone\"",
    ),
    (
        '[[phones]]\nname = ""\ndevice = "virtual"',
        "phones[0].name: must be letters, digits, '.', '_' or '-', got \"\"",
    ),
    (
        '[[phones]]\nname = "p"\ndevice = "ttyUSB0"',
        (
            'phones[0].device: must be "virtual", an '
            "absolute device path or a socket://host:port or rfc2217://host:port URL, got "
            '"ttyUSB0"'
        ),
    ),
    (
        '[[phones]]\nname = "p"\ndevice = "socket://host"',
        'phones[0].device: must be "host:port", got "host"',
    ),
    (PHONE + 'baudrate = "fast"', 'phones[0].baudrate: must be a positive integer, got "fast"'),
    (PHONE + "baudrate = 0", "phones[0].baudrate: must be a positive integer, got 0"),
    (
        PHONE + "baudrate = 12345",
        (
            "phones[0].baudrate: must be a standard rate (9600, 19200, "
            "38400, 57600, 115200, 230400, 460800, 921600, ...), got 12345"
        ),
    ),
    (
        PHONE + "baudrate = 115200.0",
        "phones[0].baudrate: must be a positive integer, got 115200.0",
    ),
    (
        PHONE + "pin = 1234",
        (
            "phones[0].pin: must be a quoted string of 4 to 8 digits (pin = "
            '"0123"): as a number, leading zeros would be lost'
        ),
    ),
    (PHONE + 'pin = "12a4"', "phones[0].pin: must be a string of 4 to 8 digits"),
    (PHONE + 'pin = "123"', "phones[0].pin: must be a string of 4 to 8 digits"),
    (PHONE + 'pin = "123456789"', "phones[0].pin: must be a string of 4 to 8 digits"),
    (PHONE + "priority = -1", "phones[0].priority: must be an integer >= 0, got -1"),
    (PHONE + "priority = 1.5", "phones[0].priority: must be an integer >= 0, got 1.5"),
    (
        PHONE + 'delivery_reports = "on"',
        'phones[0].delivery_reports: must be true or false, got "on"',
    ),
    (
        PHONE + "poll_interval = 0",
        "phones[0].poll_interval: must be a positive number of seconds, got 0",
    ),
    (
        PHONE + 'health_interval = "30"',
        'phones[0].health_interval: must be a positive number of seconds, got "30"',
    ),
    (
        PHONE + "submit_timeout = -5",
        "phones[0].submit_timeout: must be a positive number of seconds, got -5",
    ),
    (
        PHONE + "command_timeout = 0.0",
        "phones[0].command_timeout: must be a positive number of seconds, got 0.0",
    ),
    (
        PHONE + "min_interval = -0.5",
        "phones[0].min_interval: must be a number of seconds >= 0, got -0.5",
    ),
    (PHONE + "retries = -1", "phones[0].retries: must be an integer >= 0, got -1"),
    (PHONE + "retries = false", "phones[0].retries: must be an integer >= 0, got false"),
    (PHONE + "limits = 5", "phones[0].limits: must be an array of tables, got 5"),
    (PHONE + "limits = [5]", "phones[0].limits[0]: must be a table, got 5"),
    (PHONE + 'limits = [{ startpoint = "today" }]', "phones[0].limits[0].volume: is required"),
    (PHONE + "limits = [{ volume = 5 }]", "phones[0].limits[0].startpoint: is required"),
    (
        PHONE + 'limits = [{ volume = 0, startpoint = "today" }]',
        "phones[0].limits[0].volume: must be a positive integer, got 0",
    ),
    (
        PHONE + 'limits = [{ volume = 1, startpoint = "yesterday" }]',
        (
            "phones[0].limits[0]."
            'startpoint: must be a RaspiSMS start point such as "today", "-24 hours", "this week '
            'midnight", "this month midnight", "-1 month" or "-N hours|days|weeks|months", got '
            '"yesterday"'
        ),
    ),
    (
        '[hotplug]\ndevices = "/dev/smsd/*"',
        (
            "hotplug.devices: must be an array of absolute globs "
            'such as "/dev/smsd/*", got "/dev/smsd/*"'
        ),
    ),
    (
        '[hotplug]\ndevices = ["ttyUSB*"]',
        'hotplug.devices: each entry must be an absolute glob such as "/dev/smsd/*", got "ttyUSB*"',
    ),
    (
        "[hotplug]\nbaudrate = 1",
        (
            "hotplug.baudrate: must be a standard rate (9600, 19200, "
            "38400, 57600, 115200, 230400, 460800, 921600, ...), got 1"
        ),
    ),
    ('daemon = "x"', 'daemon: must be a table, got "x"'),
    ("phones = 3", "phones: must be an array of tables, got 3"),
    ("users = [1]", "users[0]: must be a table, got 1"),
]


@pytest.mark.parametrize(("text", "expected"), INVALID)
def test_invalid_value(tmp_path: Path, text: str, expected: str) -> None:
    assert problems(tmp_path, text + "\n") == [expected]


@pytest.mark.parametrize(
    "startpoint",
    ["yesterday", "+1 day", "-1 year", "-0 days", "today -0 hours", "-24", "hours", "", "-x days"],
)
def test_startpoints_refused(tmp_path: Path, startpoint: str) -> None:
    text = PHONE + f'limits = [{{ volume = 5, startpoint = "{startpoint}" }}]\n'
    [line] = problems(tmp_path, text)
    assert line.startswith("phones[0].limits[0].startpoint: must be a RaspiSMS start point")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colour = 1", "colour: unknown key"),
        ("[daemon]\ndatabse = 'x'", 'daemon.databse: unknown key (did you mean "database"?)'),
        ("[api]\nlisten_on = 'x'", 'api.listen_on: unknown key (did you mean "listen"?)'),
        (PHONE + "baudrat = 9600", 'phones[0].baudrat: unknown key (did you mean "baudrate"?)'),
        (
            PHONE + "limits = [{ volume = 1, startpoint = 'today', per = 'x' }]",
            "phones[0].limits[0].per: unknown key",
        ),
        (
            f"[[users]]\nemail = 'a@b'\napi_key = '{KEY}'\nadmn = true",
            'users[0].admn: unknown key (did you mean "admin"?)',
        ),
        ("[hotplug]\nglobs = []", "hotplug.globs: unknown key"),
        ("[[phone]]\nname = 'p'", 'phone: unknown key (did you mean "phones"?)'),
    ],
)
def test_unknown_keys_are_errors(tmp_path: Path, text: str, expected: str) -> None:
    assert problems(tmp_path, text + "\n") == [expected]


def test_all_errors_are_collected(tmp_path: Path) -> None:
    text = """
[daemon]
log_level = "loud"
[api]
listen = "nowhere"
[[phones]]
name = "a"
device = "virtual"
baudrate = 9600
[[phones]]
name = "b"
device = "virtual"
baudrate = "fast"
pin = 1234
typo = 1
"""
    assert problems(tmp_path, text) == [
        'daemon.log_level: must be one of "debug", "info", "warning", "error", got "loud"',
        'api.listen: must be "host:port", got "nowhere"',
        'phones[1].baudrate: must be a positive integer, got "fast"',
        (
            'phones[1].pin: must be a quoted string of 4 to 8 digits (pin = "0123"): as a number, '
            "leading zeros would be lost"
        ),
        "phones[1].typo: unknown key",
    ]


def test_error_message_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, PHONE.replace("[[phones]]", "[[phones]]\nbaudrate = 'fast'") + PHONE)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).splitlines() == [
        f'{path}: phones[0].baudrate: must be a positive integer, got "fast"',
        f'{path}: phones[1].name: duplicate "p": already phones[0]',
    ]


def test_duplicates(tmp_path: Path) -> None:
    text = f"""
[[users]]
email = "a@b"
api_key = "{KEY}"
[[users]]
email = "a@b"
api_key = "{KEY}"
[[phones]]
name = "x"
device = "/dev/ttyUSB0"
[[phones]]
name = "y"
device = "/dev/ttyUSB0"
[[phones]]
name = "z"
device = "virtual"
[[phones]]
name = "w"
device = "virtual"
"""
    assert problems(tmp_path, text) == [
        'users[1].email: duplicate "a@b": already users[0]',
        "users[1].api_key: duplicate: already users[0]",  # the key itself is never echoed
        'phones[1].device: duplicate "/dev/ttyUSB0": already phones[0]',
    ]


def test_broken_entries_keep_their_index(tmp_path: Path) -> None:
    text = 'phones = [1, { name = "a", device = "virtual" }, { name = "a", device = "virtual" }]'
    assert problems(tmp_path, text) == [
        "phones[0]: must be a table, got 1",
        'phones[2].name: duplicate "a": already phones[1]',
    ]


def test_secrets_are_never_echoed(tmp_path: Path) -> None:
    secret = "s3cr3t-but-too-short"  # noqa: S105 - a value under test
    text = f'[[users]]\nemail = "a@b"\napi_key = "{secret}"\n' + PHONE + 'pin = "98x7"\n'
    output = "\n".join(problems(tmp_path, text))
    assert secret not in output
    assert "98x7" not in output


def test_secrets_are_hidden_from_repr() -> None:
    user = UserConfig(email="a@b", api_key=KEY)
    phone = PhoneConfig(name="p", device="virtual", pin="4321")
    assert KEY not in repr(user)
    assert "4321" not in repr(phone)


# ---------------------------------------------------------------------------- syntax and reading


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[daemon]\nlog_level = debug\n", "2:13: Invalid value"),
        ('[api]\nlisten = "127.0.0.1:8080\n', "2:25: Illegal character '\\n'"),
        ("a = 1\n[b\n", "2:3: Expected ']' at the end of a table declaration"),
        ("a = 1\na = 2\n", "2:6: Cannot overwrite a value"),
        ("a = [1,\n  2", "2:4: Unclosed array (at end of file)"),
        ("a = ", "1:5: Invalid value (at end of file)"),
        ("a = 1\nb = \n", "2:5: Invalid value"),
    ],
)
def test_syntax_errors_name_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:{expected}"


def test_not_utf8_names_the_position(tmp_path: Path) -> None:
    path = tmp_path / "smsd.toml"
    path.write_bytes(b'[daemon]\nlog_level = "d\xe9bug"\n')
    with pytest.raises(ConfigError, match=r"smsd\.toml:2:15: not UTF-8 text$"):
        load_config(path)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "smsd.toml"
    path.write_bytes(b'\xef\xbb\xbf[daemon]\nlog_level = "debug"\n')
    assert load_config(path).daemon.log_level == "debug"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: cannot read: No such file or directory"):
        load_config(tmp_path / "nope.toml")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read: Is a directory"):
        load_config(tmp_path)


# -------------------------------------------------------------------------------------- render


def test_render_round_trips_unmasked(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    again = load_config(write(tmp_path, render(config, mask=False), "again.toml"))
    assert dataclasses.replace(again, source=None) == dataclasses.replace(config, source=None)


def test_render_round_trips_the_default(tmp_path: Path) -> None:
    config = default_config(tmp_path)
    text = render(config)
    assert "the embedded default" in text
    assert "No [[users]]" in text
    again = load_config(write(tmp_path, text))
    assert dataclasses.replace(again, source=None) == config


def test_render_masks_keys_and_pins(tmp_path: Path) -> None:
    secret = "AbCd" + "0123456789abcdef" * 2
    text = FULL.replace(KEY, secret).replace('pin = "0123"', 'pin = "8642"')
    config = load_config(write(tmp_path, text))
    shown = render(config)
    assert secret not in shown
    assert "8642" not in shown
    assert f'api_key = "AbCd{"*" * 32}"' in shown
    assert 'pin = "****"' in shown
    assert str(config.source) in shown
    tomllib.loads(shown)  # still valid TOML


def test_render_escapes_strings(tmp_path: Path) -> None:
    config = dataclasses.replace(
        default_config(tmp_path),
        daemon=DaemonConfig(database=tmp_path / 'we"ird\\näme\x7f.db'),
    )
    assert tomllib.loads(render(config))["daemon"]["database"] == str(config.daemon.database)


def test_config_is_frozen() -> None:
    config = default_config(Path("/tmp"))  # noqa: S108 - never touched
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.api = ApiConfig()  # type: ignore[misc]
    assert isinstance(config, Config)


# ------------------------------------------------------------------------- robustness properties

SECTION_KEYS = {
    "daemon": [spec.name for spec in dataclasses.fields(DaemonConfig)],
    "api": [spec.name for spec in dataclasses.fields(ApiConfig)],
    "users": [spec.name for spec in dataclasses.fields(UserConfig)],
    "phones": [spec.name for spec in dataclasses.fields(PhoneConfig)],
    "hotplug": [spec.name for spec in dataclasses.fields(HotplugConfig)],
}
SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.text(max_size=40),
    st.sampled_from(["virtual", "/dev/ttyUSB0", "today", "127.0.0.1:1", "unix:x", "-1 day"]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.lists(st.dictionaries(st.sampled_from(["volume", "startpoint", "x"]), SCALARS), max_size=2),
)


def outcome(path: Path) -> str:
    """The error message loading ``path`` gives, or the file's name when it loads."""
    try:
        config = load_config(path)
    except ConfigError as exc:  # the only exception allowed out
        return str(exc)
    assert isinstance(config, Config)
    return str(path)


def toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(SECTION_KEYS)), st.data()),
        min_size=1,
        max_size=4,
    )
)
def test_any_values_give_a_config_or_a_config_error(
    tmp_path_factory: pytest.TempPathFactory, entries: list[tuple[str, st.DataObject]]
) -> None:
    lines = []
    for section, data in entries:
        key = data.draw(st.sampled_from([*SECTION_KEYS[section], "bogus"]))
        value = data.draw(VALUES)
        header = f"[[{section}]]" if section in {"users", "phones"} else f"[{section}]"
        lines += [header, f"{key} = {toml_value(value)}"]
    path = tmp_path_factory.mktemp("cfg") / "smsd.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert all(line.startswith(str(path)) for line in outcome(path).splitlines())


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=2000))
def test_corrupted_example_gives_a_config_or_a_config_error(
    tmp_path_factory: pytest.TempPathFactory, junk: bytes, at: int
) -> None:
    raw = EXAMPLE.read_bytes()
    path = tmp_path_factory.mktemp("cfg") / "smsd.toml"
    path.write_bytes(raw[:at] + junk + raw[at + len(junk) :])
    assert outcome(path).startswith(str(path))


def test_default_region_is_checked_and_upper_cased(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[api]\ndefault_region = "fr"\n'))
    assert config.api.default_region == "FR"
    assert load_config(write(tmp_path, "")).api.default_region is None
    with pytest.raises(ConfigError, match=r"api\.default_region: must be a region code"):
        load_config(write(tmp_path, '[api]\ndefault_region = "XX"\n'))
    with pytest.raises(ConfigError, match=r"api\.default_region: must be a region code"):
        load_config(write(tmp_path, "[api]\ndefault_region = 33\n"))


def test_integrity_check_choices(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")).daemon.integrity_check == "quick"
    config = load_config(write(tmp_path, '[daemon]\nintegrity_check = "none"\n'))
    assert config.daemon.integrity_check == "none"
    with pytest.raises(ConfigError, match=r"daemon\.integrity_check"):
        load_config(write(tmp_path, '[daemon]\nintegrity_check = "sometimes"\n'))
