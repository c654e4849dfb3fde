"""``python -m smsd ussd`` as real processes against a running daemon on its virtual modem.

The daemon's virtual modem is a Huawei (requests go GSM-7 packed, answers come back packed);
the balance watch reads its balance into /metrics and /health; a two-step menu is walked with
``--session``; a silent code times out and says so.
"""

from __future__ import annotations

import http.client
import json
import os
import re
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


def _get(path: str, url: str) -> str:
    conn = _UnixConnection(path)
    try:
        conn.request("GET", url, headers={"X-Api-Key": API_KEY})
        return conn.getresponse().read().decode()
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
ussd_timeout = 1.5
balance_ussd = "*100#"
balance_interval = 3600
balance_pattern = "balance is ([0-9]+(?:,[0-9]+)?)"
balance_min = 5
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


def test_balance_menu_and_timeout_through_the_cli(daemon) -> None:
    config, socket_path = daemon
    health = lambda: json.loads(_get(socket_path, "/health"))  # noqa: E731
    _wait(lambda: health()["modems"]["phones"][0]["balance"] == 12.5)
    metrics = _get(socket_path, "/metrics").splitlines()
    assert 'smsd_sim_balance{phone="virtual-1"} 12.5' in metrics

    done = _smsd("ussd", "--phone", "virtual-1", "*100#", config=config)
    assert (done.returncode, done.stdout, done.stderr) == (0, "Your balance is 12,50 EUR.\n", "")

    done = _smsd("ussd", "--phone", "virtual-1", "*123#", config=config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Menu:\n1 Balance\n2 Data\n(session ")
    session = re.search(r"--session (\d+) REPLY", done.stdout).group(1)
    done = _smsd("ussd", "--session", session, "2", config=config)
    assert done.stdout.startswith("Data:\n1 Buy 1 GB\n2 Remaining\n"), done.stderr
    done = _smsd("ussd", "--session", session, "2", config=config)
    assert (done.returncode, done.stdout) == (0, "Remaining: 750 MB\n")
    done = _smsd("ussd", "--session", session, config=config)  # poll: the last answer
    assert done.stdout == "Remaining: 750 MB\n"

    done = _smsd("ussd", "--phone", "virtual-1", "*999#", config=config)
    assert done.returncode == 1
    assert "no answer in time; the session was cancelled" in done.stderr

    done = _smsd("ussd", "--phone", "virtual-1", "*123#", config=config)
    session = re.search(r"--session (\d+) REPLY", done.stdout).group(1)
    done = _smsd("ussd", "--session", session, "--cancel", config=config)
    assert (done.returncode, done.stdout) == (0, f"session {session}: cancelled\n")

    done = _smsd("ussd", "--phone", "nope", "*100#", config=config)
    assert done.returncode == 1
    assert "no phone named 'nope'" in done.stderr
    rows = json.loads(_get(socket_path, "/api/list/ussd/"))["response"]
    assert [r["code"] for r in rows if r["origin"] == "api"] == ["*100#", "*123#", "*999#", "*123#"]
