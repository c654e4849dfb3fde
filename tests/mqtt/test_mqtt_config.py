"""``[mqtt]``: every key read, bad values refused with the key named, secrets masked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from structlog.testing import capture_logs

from smsd.config import MqttConfig, load_config, render
from smsd.daemon import Daemon
from smsd.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path


def _load(tmp_path: Path, text: str):
    path = tmp_path / "smsd.toml"
    path.write_text("[mqtt]\n" + text, encoding="utf-8")
    return load_config(path)


def test_defaults_and_every_key(tmp_path):
    assert _load(tmp_path, "").mqtt == MqttConfig()
    config = _load(
        tmp_path,
        """
enabled = true
host = "broker.lan"
port = 8883
username = "smsd"
password = "secret words"
client_id = "pi-1"
keepalive = 30
tls = true
ca_file = "ca.pem"
cert_file = "client.pem"
key_file = "client.key"
tls_insecure = true
base_topic = "home/sms"
discovery = false
discovery_prefix = "ha"
user = "ops@example.org"
notify_to = "+33 6 12 34 56 78"
retain_state = false
retain_events = true
state_interval = 30
reconnect_max = 10
""",
    ).mqtt
    assert config.enabled
    assert (config.host, config.port, config.client_id) == ("broker.lan", 8883, "pi-1")
    assert config.ca_file == tmp_path / "ca.pem"
    assert config.base_topic == "home/sms"
    assert config.notify_to == "+33612345678"
    assert (config.retain_state, config.retain_events) == (False, True)
    assert (config.state_interval, config.reconnect_max) == (30.0, 10.0)
    shown = render(load_config(tmp_path / "smsd.toml"))
    assert "secret words" not in shown
    assert "[mqtt]" in shown
    unmasked = render(load_config(tmp_path / "smsd.toml"), mask=False)
    (tmp_path / "again.toml").write_text(unmasked, encoding="utf-8")
    assert load_config(tmp_path / "again.toml").mqtt == config


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("port = 70000", "mqtt.port: must be a port from 1 to 65535"),
        ("port = true", "mqtt.port"),
        ('host = "a b"', "mqtt.host: must be a host name"),
        ('base_topic = "smsd/#"', "mqtt.base_topic: must be topic levels"),
        ('base_topic = ""', "mqtt.base_topic"),
        ('base_topic = "a//b"', "mqtt.base_topic"),
        ('discovery_prefix = "+"', "mqtt.discovery_prefix"),
        ('notify_to = "12"', "mqtt.notify_to: must be a phone number"),
        ('user = "nobody"', "mqtt.user: must be an e-mail address"),
        ('client_id = "a b"', "mqtt.client_id"),
        ("state_interval = 0", "mqtt.state_interval"),
        ('ca_file = "ca.pem"', "mqtt.ca_file: is used only with tls = true"),
        ('tls = true\nkey_file = "k"', "mqtt.key_file: needs cert_file"),
        ('password = "x"', "mqtt.password: needs username"),
        ('base_topic = "homeassistant"', "mqtt.base_topic: must not start like discovery_prefix"),
        ("enable = true", 'mqtt.enable: unknown key (did you mean "enabled"?)'),
        ("password = 12345", "mqtt.password: must be a string"),
    ],
)
def test_bad_values_are_refused_with_the_key_named(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text)
    assert expected in str(info.value)
    assert "12345" not in str(info.value)


async def test_unknown_user_stops_the_daemon_with_the_key_named(tmp_path):
    path = tmp_path / "smsd.toml"
    path.write_text(
        '[daemon]\ndatabase = "db.sqlite3"\n[mqtt]\nenabled = true\nport = 1\n'
        'user = "nobody@example.org"\n',
        encoding="utf-8",
    )
    with capture_logs() as logs:
        code = await Daemon(load_config(path), api_factory=None, announce=lambda _t: None).serve()
    assert code == 1
    [refused] = [e for e in logs if e["event"] == "config_refused"]
    assert "mqtt.user" in refused["error"]
