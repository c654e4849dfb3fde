"""``python -m smsd send`` and ``inbox`` as real processes against a running daemon.

The daemon listens on a Unix socket, as on a Raspberry Pi behind a reverse proxy; the commands
find the socket and the key in the same configuration file. ``/metrics`` and ``/health`` then
show the live modem and the segment it sent.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

API_KEY = "0123456789abcdef0123456789abcdef"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=10)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self._path)


def _get(path: str, url: str) -> tuple[int, str]:
    conn = _UnixConnection(path)
    try:
        conn.request("GET", url, headers={"X-Api-Key": API_KEY})
        reply = conn.getresponse()
        return reply.status, reply.read().decode()
    finally:
        conn.close()


def _wait(what, *, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting after {seconds} s")


@pytest.fixture
def daemon(tmp_path: Path):
    socket_path = tmp_path / "api.sock"
    config = tmp_path / "smsd.toml"
    config.write_text(
        f"""
[daemon]
database = "smsd.sqlite3"
log_format = "json"

[api]
listen = "unix:{socket_path}"

[[users]]
email = "ops@example.org"
api_key = "{API_KEY}"
admin = true

[[phones]]
name = "virtual-1"
device = "virtual"
health_interval = 1
""",
        encoding="utf-8",
    )
    with (tmp_path / "daemon.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "smsd", "run", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait(lambda: socket_path.exists() or process.poll() is not None)
        assert process.poll() is None, (tmp_path / "daemon.log").read_text()
        yield config, str(socket_path)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def _smsd(*argv: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "SMSD_API_KEY"}
    return subprocess.run(
        [sys.executable, "-m", "smsd", *argv, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def _health(socket_path: str) -> dict:
    status, text = _get(socket_path, "/health")
    assert status == 200, text
    return json.loads(text)


def test_send_through_a_running_daemon(daemon) -> None:
    config, socket_path = daemon
    _wait(lambda: _health(socket_path)["modems"]["up"] == 1)

    done = _smsd("send", "--to", "+33612345678", "--text", "Hello from the CLI", config=config)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout.startswith("scheduled message ")

    def delivered() -> bool:
        status, text = _get(socket_path, "/api/list/sended/")
        rows = json.loads(text)["response"] if status == 200 else []
        return bool(rows) and rows[0]["status"] == "delivered"

    _wait(delivered)
    status, text = _get(socket_path, "/metrics")
    assert status == 200
    lines = text.splitlines()
    assert 'smsd_modem_up{phone="virtual-1"} 1' in lines
    assert 'smsd_modem_registered{phone="virtual-1"} 1' in lines
    assert 'smsd_segments_sent_total{phone="virtual-1"} 1' in lines
    assert 'smsd_messages{state="delivered"} 1' in lines
    assert any(line.startswith('smsd_modem_signal_dbm{phone="virtual-1"} -') for line in lines)
    health = _health(socket_path)
    assert (health["status"], health["queue_depth"]) == ("ok", 0)

    done = _smsd("inbox", config=config)
    assert (done.returncode, done.stdout) == (0, "no received messages\n")
    done = _smsd(
        "send", "--to", "+33612345678", "--text", "x", "--api-key", "f" * 32, config=config
    )
    assert done.returncode == 1
    assert "refused the API key (error 1)" in done.stderr
