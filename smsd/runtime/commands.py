"""Running one of RaspiSMS's SMS commands: an argv (never a shell), no stdin, a timeout.

The program runs in a session of its own with a small environment (``PATH``, ``LANG``, and
``SMSD_COMMAND`` / ``SMSD_ORIGIN`` naming the command and who asked), its standard output and
error read together; only the first ``max_output`` bytes are kept (the rest is read and
dropped, so a chatty program never blocks on a full pipe). At the timeout its whole process
group is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smsd.matching import Command

__all__ = ["MAX_OUTPUT", "Outcome", "run_command"]

MAX_OUTPUT = 4096
"""Bytes of a command's output kept (for the log and the SMS answer)."""
_CHUNK = 4096
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Outcome:
    """How a command ended: its exit code (``None`` if it never ran or was killed)."""

    code: int | None
    output: str
    timed_out: bool
    duration: float
    error: str | None = None


async def _collect(stream: asyncio.StreamReader, limit: int, kept: bytearray) -> None:
    while chunk := await stream.read(_CHUNK):
        if len(kept) < limit:
            kept += chunk[: limit - len(kept)]


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def run_command(command: Command, *, origin: str, max_output: int = MAX_OUTPUT) -> Outcome:
    """Run ``command`` for a request from ``origin``; never raises for the program's failures."""
    started = time.monotonic()
    env = {
        "PATH": _PATH,
        "LANG": "C.UTF-8",
        "SMSD_COMMAND": command.name,
        "SMSD_ORIGIN": origin,
    }
    try:
        process = await asyncio.create_subprocess_exec(
            *command.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        return Outcome(None, "", timed_out=False, duration=0.0, error=exc.strerror or str(exc))
    assert process.stdout is not None
    timed_out = False
    output = bytearray()
    try:
        async with asyncio.timeout(command.timeout):
            await _collect(process.stdout, max_output, output)
            await process.wait()
    except TimeoutError:
        timed_out = True
        _kill(process)
        await process.wait()
    except asyncio.CancelledError:
        _kill(process)
        await asyncio.shield(process.wait())
        raise
    return Outcome(
        code=None if timed_out else process.returncode,
        output=output.decode("utf-8", "replace"),
        timed_out=timed_out,
        duration=time.monotonic() - started,
    )
