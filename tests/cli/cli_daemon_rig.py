"""A real ``smsd run`` on its virtual modem behind a Unix socket, and the commands run beside it.

Shared by the command-line tests that talk to a running daemon (imported by name: several test
folders have a conftest).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from support import daemon_config, daemon_process

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

API_KEY = "0123456789abcdef0123456789abcdef"


class UnixConnection(http.client.HTTPConnection):
    """HTTP over the daemon's Unix socket."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=10)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self._path)


def get(path: str, url: str) -> tuple[int, str]:
    """GET ``url`` with the key over the socket ``path``: status and body."""
    conn = UnixConnection(path)
    try:
        conn.request("GET", url, headers={"X-Api-Key": API_KEY})
        reply = conn.getresponse()
        return reply.status, reply.read().decode()
    finally:
        conn.close()


def wait(what, *, seconds: float = 30.0):
    """Poll ``what`` until it returns something true; that value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting after {seconds} s")


@contextlib.contextmanager
def running_daemon(tmp_path: Path, phone_settings: str) -> Iterator[tuple[Path, str]]:
    """``smsd run`` with one virtual phone (plus ``phone_settings``): config path and socket."""
    socket_path = tmp_path / "api.sock"
    config = daemon_config.write(
        tmp_path,
        daemon_config.daemon(),
        daemon_config.api(f"unix:{socket_path}"),
        daemon_config.user("ops@example.org", API_KEY, admin=True),
        daemon_config.phone("virtual-1", "virtual") + phone_settings + "\n",
    )
    process = daemon_process.start(config, tmp_path / "daemon.log")
    try:
        wait(lambda: socket_path.exists() or process.poll() is not None)
        assert process.poll() is None, (tmp_path / "daemon.log").read_text()
        yield config, str(socket_path)
    finally:
        assert daemon_process.stop(process, timeout=30) == 0


def smsd(*argv: str, config: Path) -> subprocess.CompletedProcess[str]:
    """``python -m smsd ARGV --config CONFIG`` without a key in the environment."""
    env = {key: value for key, value in os.environ.items() if key != "SMSD_API_KEY"}
    return subprocess.run(
        [sys.executable, "-m", "smsd", *argv, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
