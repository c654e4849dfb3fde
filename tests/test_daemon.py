"""`python -m smsd run` as a real process: HTTP in, SMS out over the virtual modem, clean stop."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

import pytest
from support import daemon_config, daemon_process

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

API_KEY = "0123456789abcdef0123456789abcdef"


def _start(tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start the daemon with its log going to ``daemon.log`` (a file never blocks it)."""
    config = daemon_config.write(
        tmp_path,
        daemon_config.daemon(),
        daemon_config.api("127.0.0.1:0"),
        daemon_config.user("ops@example.org", API_KEY, admin=True),
        daemon_config.phone("virtual-1", "virtual", health_interval=1),
    )
    return daemon_process.start(config, tmp_path / "daemon.log", env=env)


def _wait_for_api(tmp_path: Path) -> str:
    """Read the daemon's log until the API listens; return its base URL."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        address = daemon_process.api_address(tmp_path / "daemon.log")
        if address:
            return "http://" + address
        time.sleep(0.05)
    raise AssertionError((tmp_path / "daemon.log").read_text(encoding="utf-8", errors="replace"))


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
    process = _start(tmp_path, env)
    try:
        base = _wait_for_api(tmp_path)
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
        code = daemon_process.stop(process)
    assert code == 0
    messages = _datagrams(sock)
    assert any("READY=1" in m for m in messages)
    assert any("WATCHDOG=1" in m for m in messages)
    assert any("STOPPING=1" in m for m in messages)


def test_phone_created_over_the_api_starts_its_modem(tmp_path: Path, notify_socket) -> None:
    process = _start(tmp_path)
    try:
        base = _wait_for_api(tmp_path)
        status, answer = _post(
            f"{base}/api/phone/",
            {"name": "second", "adapter": "adapters\\TestAdapter", "priority": "3"},
        )
        assert (status, answer["error"]) == (201, 0)
        id_phone = answer["response"]
        phone: dict = {}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = _get(f"{base}/api/list/phone/?api_key={API_KEY}")["response"]
            phone = next(row for row in rows if row["id"] == id_phone)
            if phone["status"] == "available":
                break
            time.sleep(0.2)
        assert phone["status"] == "available"
        status, answer = _post(
            f"{base}/api/scheduled/",
            {"text": "via the new phone", "numbers": "+33612345678", "id_phone": str(id_phone)},
        )
        assert status == 201
        deadline = time.monotonic() + 20
        rows = []
        while time.monotonic() < deadline:
            rows = _get(f"{base}/api/list/sended/?api_key={API_KEY}")["response"]
            if rows and rows[0]["uid"]:
                break
            time.sleep(0.1)
        assert rows[0]["id_phone"] == id_phone
    finally:
        code = daemon_process.stop(process)
    assert code == 0


def _phone(base: str, name: str) -> dict:
    rows = _get(f"{base}/api/list/phone/?api_key={API_KEY}")["response"]
    return next(row for row in rows if row["name"] == name)


def test_a_disabled_configured_phone_stays_off_after_a_restart(tmp_path: Path) -> None:
    process = _start(tmp_path)
    try:
        base = _wait_for_api(tmp_path)
        id_phone = _phone(base, "virtual-1")["id"]
        status, answer = _post(f"{base}/api/phone/{id_phone}/status/force/", {"status": "disabled"})
        assert (status, answer["error"]) == (201, 0)
    finally:
        assert daemon_process.stop(process) == 0
    (tmp_path / "daemon.log").rename(tmp_path / "first.log")
    process = _start(tmp_path)
    try:
        base = _wait_for_api(tmp_path)
        events = daemon_process.events(tmp_path / "daemon.log")
        assert {"event": "phone_disabled", "modem": "virtual-1"}.items() <= next(
            e for e in events if e.get("event") == "phone_disabled"
        ).items()
        assert not any(e.get("event") == "modem_ready" for e in events)
        time.sleep(1.5)  # a health interval: nothing brings it back
        assert _phone(base, "virtual-1")["status"] == "disabled"
        status, answer = _post(
            f"{base}/api/phone/{id_phone}/status/force/", {"status": "available"}
        )
        assert status == 201
    finally:
        assert daemon_process.stop(process) == 0
