"""A real Mosquitto broker for the tests: a free loopback port, its files under ``tmp_path``.

Persistence is on (in the test's directory), so a stop and a start keep the sessions and the
retained messages, as a broker restart does in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

MOSQUITTO = shutil.which("mosquitto") or next(
    (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).exists()), None
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """One mosquitto process on 127.0.0.1:``port``, stopped and started at will."""

    def __init__(self, directory: Path) -> None:
        if MOSQUITTO is None:
            pytest.fail("mosquitto is not installed (apt-get install mosquitto; .ci/run does it)")
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {directory}/\n"
            "persistence_file mosquitto.db\n"
            f"log_dest file {directory}/mosquitto.log\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            f"user {getpass.getuser()}\n"
            "max_queued_messages 100000\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.process is None
        assert MOSQUITTO is not None
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        path = self.directory / "mosquitto.log"
        log = path.read_text(errors="replace") if path.exists() else ""
        raise AssertionError(f"mosquitto did not start on port {self.port}: {log}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)
