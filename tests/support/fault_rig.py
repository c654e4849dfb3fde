"""Helpers of the fault tests: the daemon as a subprocess, its config, and what crossed the wire.

The virtual modems run in the test process on pseudo-terminals (:class:`PtyModem`), so every PDU
the daemon submits is seen here even while the daemon dies and restarts; the daemon opens the
pty slaves as if they were USB dongles.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.modem.virtual import Faults, PtyModem, VirtualModem
from support import daemon_config, daemon_process

if TYPE_CHECKING:
    from pathlib import Path

    from smsd.modem.virtual import SubmittedPdu
    from smsd.store.db import Database

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # noqa: PTH100, PTH120 - a path string for the subprocess environment
EMAIL = "faults@example.org"
API_KEY = "f" * 32

PHONE_SETTINGS = """
baudrate = 115200
delivery_reports = false
poll_interval = 1
health_interval = 2
command_timeout = 2
submit_timeout = 5
retries = 3
"""


@dataclass(frozen=True)
class WireSegment:
    """One SMS-SUBMIT as the virtual modem received it."""

    modem: str
    destination: str
    text: str
    reference: int | None
    sequence: int
    total: int
    at: float

    @property
    def key(self) -> tuple[str, str, int | None, int]:
        """What makes a segment the same segment: destination, text, concat ref and seq."""
        return (self.destination, self.text, self.reference, self.sequence)


def wire_segment(modem: str, item: SubmittedPdu) -> WireSegment:
    """Decode one recorded submission."""
    submit = item.decoded
    concat = submit.concat
    return WireSegment(
        modem=modem,
        destination=submit.destination,
        text=submit.text or "",
        reference=None if concat is None else concat.reference,
        sequence=1 if concat is None else concat.sequence,
        total=1 if concat is None else concat.total,
        at=item.at,
    )


def wire(modems: dict[str, PtyModem]) -> list[WireSegment]:
    """Every segment every modem received, decoded, modem by modem in arrival order."""
    return [
        wire_segment(name, item) for name, pty in modems.items() for item in pty.modem.submitted
    ]


def duplicates(segments: list[WireSegment]) -> dict[tuple[str, str, int | None, int], int]:
    """Segments seen more than once on the wire, with their count."""
    counts = Counter(segment.key for segment in segments)
    return {key: count for key, count in counts.items() if count > 1}


async def start_modems(names: list[str], faults: Faults) -> dict[str, PtyModem]:
    """Virtual modems on ptys, served by this process."""
    modems: dict[str, PtyModem] = {}
    for name in names:
        pty = PtyModem(VirtualModem(name=name, faults=Faults(**vars(faults))))
        await pty.start()
        modems[name] = pty
    return modems


def write_config(
    directory: Path, modems: dict[str, PtyModem], *, at_least_once: bool = False
) -> Path:
    """The daemon's TOML configuration: one user, one phone per modem on its pty slave."""
    return daemon_config.write(
        directory,
        daemon_config.daemon(log_level="info", at_least_once=at_least_once),
        daemon_config.api("127.0.0.1:0"),
        daemon_config.user(EMAIL, API_KEY, admin=True),
        *(daemon_config.phone(name, pty.path) + PHONE_SETTINGS for name, pty in modems.items()),
    )


class DaemonProcess:
    """``python -m smsd run --config PATH`` as a child process; each run logs to its own file."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.runs = 0
        self.process: asyncio.subprocess.Process | None = None

    @property
    def log(self) -> Path:
        """The log file of the current (or last) run."""
        return self.config.parent / f"daemon-{self.runs}.log"

    async def start(self) -> None:
        """Start a new daemon process."""
        assert self.process is None or self.process.returncode is not None
        self.runs += 1
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
        env.pop("NOTIFY_SOCKET", None)
        with self.log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                *daemon_process.command(self.config),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                cwd=self.config.parent,
                env=env,
            )

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no shutdown order, open transactions and ports simply vanish."""
        process = self.process
        assert process is not None
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        await process.wait()

    async def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait for a clean exit; return the exit code (SIGKILL after ``timeout``)."""
        process = self.process
        if process is None or process.returncode is not None:
            return 0 if process is None else process.returncode or 0
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(timeout):
                return await process.wait()
        except TimeoutError:
            await self.kill()
            raise

    @property
    def alive(self) -> bool:
        """Whether the current process still runs."""
        return self.process is not None and self.process.returncode is None

    def logs(self) -> str:
        """Every run's log, for a failure message."""
        parts = []
        for run in range(1, self.runs + 1):
            path = self.config.parent / f"daemon-{run}.log"
            if path.exists():
                parts.append(f"--- run {run}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)


async def tear_down(daemon: DaemonProcess, modems: dict[str, PtyModem], db: Database) -> None:
    """End a fault test's rig in any state: kill the daemon, stop the modems, close the db."""
    if daemon.alive:
        await daemon.kill()
    for pty in modems.values():
        await pty.stop()
    with contextlib.suppress(Exception):
        await db.close()
