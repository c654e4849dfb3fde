"""`python -m smsd run` as a real process: HTTP in, SMS out over the virtual modem, clean stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

API_KEY = "0123456789abcdef0123456789abcdef"


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "smsd.toml"
    path.write_text(
        f"""
[daemon]
database = "smsd.sqlite3"
log_format = "json"

[api]
listen = "127.0.0.1:0"

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
    return path


def _event(line: str) -> dict:
    try:
        found = json.loads(line)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - loopback test server
        return json.loads(reply.read())


def _post(url: str, fields: dict[str, str]) -> tuple[int, dict]:
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=body, headers={"X-Api-Key": API_KEY})  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310 - loopback
        return reply.status, json.loads(reply.read())


@pytest.fixture
def notify_socket(tmp_path: Path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    sock.bind(str(path))
    sock.settimeout(0.1)
    yield sock, path
    sock.close()


def _datagrams(sock: socket.socket) -> list[str]:
    found = []
    while True:
        try:
            found.append(sock.recv(4096).decode())
        except TimeoutError:
            return found


def test_daemon_sends_posted_message_and_stops_cleanly(tmp_path: Path, notify_socket) -> None:
    sock, sock_path = notify_socket
    env = dict(os.environ, NOTIFY_SOCKET=str(sock_path), WATCHDOG_USEC="1000000")
    env.pop("WATCHDOG_PID", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "smsd", "run", "--config", str(_config(tmp_path))],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        address = None
        deadline = time.monotonic() + 20
        lines: list[str] = []
        while address is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            event = _event(line)
            if event.get("event") == "api_listening":
                address = str(event["address"])
        assert address, "".join(lines)
        base = f"http://{address.removeprefix('http://')}"
        status, answer = _post(
            f"{base}/raspisms/api/scheduled/",
            {
                "text": "Hello {{ contact.name }}",
                "numbers[0][number]": "+33612345678",
                "numbers[0][data]": '{"name": "Zoé"}',
            },
        )
        assert (status, answer["error"]) == (201, 0)
        rows: list[dict] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = _get(f"{base}/api/list/sended/?api_key={API_KEY}")["response"]
            if rows and rows[0]["status"] == "delivered":
                break
            time.sleep(0.1)
        assert rows, "nothing sent"
        assert rows[0]["text"] == "Hello Zoé"
        assert rows[0]["status"] == "delivered"
        time.sleep(1.2)  # one watchdog period
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
        process.stdout.close()
    assert code == 0
    messages = _datagrams(sock)
    assert any("READY=1" in m for m in messages)
    assert any("WATCHDOG=1" in m for m in messages)
    assert any("STOPPING=1" in m for m in messages)
