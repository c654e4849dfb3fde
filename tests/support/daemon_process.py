"""``python -m smsd run`` as a child process, its JSON log read as events.

The log goes to a file (a full pipe would block the daemon); tests read it with :func:`events`
and find the API's address with :func:`api_address` (the ``api_listening`` event: with port 0
the kernel chooses the port).
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

from support.polling import until

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = [
    "api_address",
    "api_listening",
    "command",
    "events",
    "start",
    "start_async",
    "stop",
    "stop_async",
]


def command(config: Path) -> list[str]:
    """The command line running the daemon on ``config``."""
    return [sys.executable, "-m", "smsd", "run", "--config", str(config)]


def start(
    config: Path, log: Path, *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start the daemon, its output (stdout and stderr) written to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            command(config), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd
        )


async def start_async(
    config: Path, log: Path, *, env: Mapping[str, str] | None = None
) -> asyncio.subprocess.Process:
    """:func:`start` for a test whose event loop must keep running (pty modems, receivers)."""
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            *command(config), stdout=out, stderr=asyncio.subprocess.STDOUT, env=env
        )


def events(log: Path) -> list[dict]:
    """The JSON objects logged so far (other lines skipped); none before the log exists."""
    if not log.exists():
        return []
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            found.append(event)
    return found


def api_address(log: Path) -> str | None:
    """``host:port`` the API listens on, once logged (``api_listening``)."""
    for event in events(log):
        if event.get("event") == "api_listening":
            return str(event["address"]).removeprefix("http://")
    return None


async def api_listening(log: Path, timeout: float = 30.0) -> str:
    """Wait for :func:`api_address`; fail with the log after ``timeout`` seconds."""
    try:
        return await until(lambda: api_address(log), timeout, 0.05)
    except TimeoutError:
        text = log.read_text(encoding="utf-8", errors="replace")  # noqa: ASYNC240 - small file
        raise AssertionError(text) from None


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> int:
    """SIGTERM (killed after ``timeout`` seconds); the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


async def stop_async(process: asyncio.subprocess.Process, timeout: float = 20.0) -> int:
    """:func:`stop` for a process of :func:`start_async`."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        return await process.wait()
