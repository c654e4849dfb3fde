"""Where the API listens: loopback by default, a warning elsewhere unless intended, a Unix socket
with owner-and-group permissions."""

from __future__ import annotations

import stat

import aiohttp
import pytest
from structlog.testing import capture_logs
from support.security_rig import A, store

from smsd.api.app import make_app
from smsd.api.server import ApiServer, is_loopback
from smsd.config import ApiConfig, TcpListen, UnixListen, load_config


def test_the_default_listens_on_loopback() -> None:
    config = ApiConfig()
    assert isinstance(config.listen, TcpListen)
    assert is_loopback(config.listen.host)
    assert config.public is False
    assert config.socket_mode == 0o660


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104 - the address under test
        ("::", False),
        ("", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host, loopback) -> None:
    assert is_loopback(host) is loopback


async def _served(tmp_path, config: ApiConfig) -> list[dict]:
    async with store(tmp_path / "s.sqlite3") as (db, _a, _b):
        server = ApiServer(config, make_app(config, db, lambda: None))
        with capture_logs() as logs:
            try:
                await server.start()
            finally:
                await server.stop()
    return [e for e in logs if e["event"] == "api_listens_publicly"]


async def test_a_public_address_warns_unless_intended(tmp_path) -> None:
    warned = await _served(tmp_path, ApiConfig(listen=TcpListen("0.0.0.0", 0)))  # noqa: S104
    assert len(warned) == 1
    assert warned[0]["log_level"] == "warning"
    assert "public = true" in warned[0]["hint"]
    assert await _served(tmp_path, ApiConfig(listen=TcpListen("0.0.0.0", 0), public=True)) == []  # noqa: S104
    assert await _served(tmp_path, ApiConfig(listen=TcpListen("127.0.0.1", 0))) == []


@pytest.mark.parametrize("mode", [None, 0o600])
async def test_unix_socket_mode(tmp_path, mode) -> None:
    path = tmp_path / "api.sock"
    config = ApiConfig(listen=UnixListen(path))
    if mode is not None:
        config = ApiConfig(listen=UnixListen(path), socket_mode=mode)
    async with store(tmp_path / "s.sqlite3") as (db, _a, _b):
        server = ApiServer(config, make_app(config, db, lambda: None))
        await server.start()
        try:
            assert stat.S_IMODE(path.stat().st_mode) == (mode or 0o660)
            connector = aiohttp.UnixConnector(path=str(path))
            async with (
                aiohttp.ClientSession(connector=connector) as session,
                session.get("http://smsd/api/usage/", headers=A) as response,
            ):
                assert response.status == 200
        finally:
            await server.stop()


def test_config_keys(tmp_path) -> None:
    path = tmp_path / "smsd.toml"
    path.write_text(
        '[api]\nlisten = "0.0.0.0:8080"\npublic = true\nsocket_mode = 0o600\n'
        "max_auth_failures = 5\nauth_failure_window = 30\n",
        encoding="utf-8",
    )
    config = load_config(path).api
    assert (config.public, config.socket_mode) == (True, 0o600)
    assert (config.max_auth_failures, config.auth_failure_window) == (5, 30.0)


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("socket_mode = 0o1777", "api.socket_mode: must be permission bits"),
        ('socket_mode = "0660"', "api.socket_mode: must be permission bits"),
        ("public = 1", "api.public: must be true or false"),
        ("max_auth_failures = -1", "api.max_auth_failures"),
        ("auth_failure_window = 0", "api.auth_failure_window"),
    ],
)
def test_bad_config_values(tmp_path, line, needle) -> None:
    from smsd.errors import ConfigError  # noqa: PLC0415 - kept beside its only use

    path = tmp_path / "smsd.toml"
    path.write_text(f"[api]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=needle):
        load_config(path)
