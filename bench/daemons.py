"""Adapters for the three daemons under comparison, each driven through its own way in.

- :class:`Smsd`: ``python -m smsd run --config`` with a generated TOML whose phones are the
  emulator's ptys; messages go in by ``POST /api/scheduled`` (one request each), incoming SMS
  are counted through ``GET /api/list/received/after/<id>``.
- :class:`GammuSmsd`: one ``gammu-smsd`` process per modem (``service = files``), each with its
  own outbox: message files are prepared beforehand with ``gammu-smsd-inject`` into a staging
  directory (its own format, long and Unicode messages included), then injected by ``rename``
  into the outboxes in turn; incoming SMS are the files in the inboxes.
- :class:`Smstools`: one ``smsd`` (smstools3) with one device per modem; message files are
  written to a staging directory and renamed into the outgoing spool; incoming SMS are the
  files of the incoming spool.

Each adapter knows its process tree's roots (for :class:`rig.ProcessTree`) and stops cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import aiohttp
from rig import ROOT, Outgoing, now

from smsd import pdu

if TYPE_CHECKING:
    from collections.abc import Sequence

API_KEY = "b" * 40
EMAIL = "bench@example.org"
READY_TIMEOUT = 30.0


async def _wait_for(path: Path, needle: str, count: int, timeout: float = READY_TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if path.exists() and path.read_text(errors="replace").count(needle) >= count:  # noqa: ASYNC240 - a small log file, polled
                return
            await asyncio.sleep(0.05)


async def _terminate(process: asyncio.subprocess.Process, timeout: float = 15.0) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(timeout):
            await process.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


class Daemon:
    """What the comparison needs from a daemon."""

    name: ClassVar[str] = ""
    settings = ""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.processes: list[asyncio.subprocess.Process] = []

    def roots(self) -> list[int]:
        return [process.pid for process in self.processes]

    async def start(self, paths: Sequence[str]) -> None:
        raise NotImplementedError

    async def prepare(self, messages: Sequence[Outgoing]) -> None:
        """Work done before the clock starts (the peers' message files are built here)."""

    async def inject(self, messages: Sequence[Outgoing], *, clients: int = 1) -> None:
        """Hand ``messages`` to the daemon (``clients``: smsd's API clients posting at once)."""
        raise NotImplementedError

    async def stored(self) -> int:
        """How many incoming messages the daemon has stored so far."""
        raise NotImplementedError

    async def stop(self) -> None:
        for process in self.processes:
            await _terminate(process)

    def alive(self) -> bool:
        return all(process.returncode is None for process in self.processes)

    def log_tail(self) -> str:
        return ""


# ---------------------------------------------------------------------- smsd


INJECT_CLIENTS = 8
"""API clients posting at once when messages are injected into smsd."""


class Smsd(Daemon):
    """Our daemon, through its HTTP API."""

    name = "smsd"
    python: ClassVar[str] = sys.executable
    """The interpreter running the daemon (``--smsd-python``: e.g. a venv without test tools)."""
    settings = (
        "smsd run --config; phones: delivery_reports=false, defaults otherwise; log info json"
    )

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.base = ""
        self.session: aiohttp.ClientSession | None = None
        self.log = workdir / "smsd.log"
        self._received = 0
        self._last_received = 0

    def _config(self, paths: Sequence[str]) -> Path:
        phones = "".join(
            f'\n[[phones]]\nname = "m{i + 1}"\ndevice = "{path}"\ndelivery_reports = false\n'
            for i, path in enumerate(paths)
        )
        text = (
            '[daemon]\ndatabase = "smsd.sqlite3"\nlog_format = "json"\nlog_level = "info"\n'
            '\n[api]\nlisten = "127.0.0.1:0"\n'
            f'\n[[users]]\nemail = "{EMAIL}"\napi_key = "{API_KEY}"\nadmin = true\n{phones}'
        )
        config = self.workdir / "smsd.toml"
        config.write_text(text, encoding="utf-8")
        return config

    async def start(self, paths: Sequence[str]) -> None:
        config = self._config(paths)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env.pop("NOTIFY_SOCKET", None)
        with self.log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                self.python,
                "-m",
                "smsd",
                "run",
                "--config",
                str(config),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                cwd=self.workdir,
                env=env,
            )
        self.processes.append(process)
        await _wait_for(self.log, '"modem_ready"', len(paths))
        for line in self.log.read_text(errors="replace").splitlines():
            if '"api_listening"' in line:
                self.base = f"http://{json.loads(line)['address']}"
        if not self.base:
            raise RuntimeError(f"smsd did not say where it listens:\n{self.log_tail()}")
        self.session = aiohttp.ClientSession(headers={"X-Api-Key": API_KEY})

    async def inject(self, messages: Sequence[Outgoing], *, clients: int = INJECT_CLIENTS) -> None:
        session = self.session
        assert session is not None
        pending = iter(messages)

        async def client() -> None:
            # Each client posts one message at a time, as an application would; several clients
            # post at once, as the peers' spool directories take files from several writers.
            for message in pending:
                message.injected = now()
                body = {"text": message.text, "numbers": [message.destination]}
                async with session.post(f"{self.base}/api/scheduled", json=body) as response:
                    if response.status != 201:
                        raise RuntimeError(f"POST /api/scheduled: {response.status}")
                    await response.read()

        await asyncio.gather(*(client() for _ in range(clients)))

    async def stored(self) -> int:
        assert self.session is not None
        while True:
            url = f"{self.base}/api/list/received/after/{self._last_received}/"
            async with self.session.get(url) as response:
                rows = (await response.json())["response"] or []
            if not rows:
                return self._received
            self._received += len(rows)
            self._last_received = int(rows[-1]["id"])

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
        await super().stop()

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


# ---------------------------------------------------------------------- gammu-smsd

GAMMU_SMSD = """[gammu]
device = {device}
connection = at

[smsd]
service = files
inboxpath = {base}/inbox/
outboxpath = {outbox}/
sentsmspath = {base}/sent/
errorsmspath = {base}/error/
logfile = {base}/gammu-smsd.log
debuglevel = 1
phoneid = {name}
deliveryreport = no
commtimeout = {commtimeout}
loopsleep = {loopsleep}
receivefrequency = 1
statusfrequency = 0
checksecurity = 0
checkbattery = 0
checksignal = 0
checknetwork = 0
"""


class GammuSmsd(Daemon):
    """gammu-smsd 1.42, files backend, one process and one outbox per modem."""

    name = "gammu-smsd"
    loopsleep: ClassVar[int] = 1
    """LoopSleep (s): 1 is gammu's default; 0 makes gammu-smsd spin (see the README)."""
    commtimeout = 0

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.settings = (
            f"files backend, one process+outbox per modem; LoopSleep={self.loopsleep}, "
            f"CommTimeout={self.commtimeout}, ReceiveFrequency=1, StatusFrequency=0, "
            "CheckSecurity/Battery/Signal/Network=0, DeliveryReport=no"
        )
        self.bases: list[Path] = []
        self.staged: list[Path] = []

    def _config(self, name: str, device: str, outbox: Path) -> Path:
        base = self.workdir / name
        for sub in ("inbox", "outbox", "sent", "error", "staging"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        text = GAMMU_SMSD.format(
            device=device,
            base=base,
            outbox=outbox,
            name=name,
            commtimeout=self.commtimeout,
            loopsleep=self.loopsleep,
        )
        config = base / ("staging.rc" if outbox.name == "staging" else "gammu-smsdrc")
        config.write_text(text, encoding="utf-8")
        return config

    async def start(self, paths: Sequence[str]) -> None:
        for i, path in enumerate(paths):
            name = f"m{i + 1}"
            base = self.workdir / name
            self.bases.append(base)
            config = self._config(name, path, base / "outbox")
            self._config(name, path, base / "staging")
            process = await asyncio.create_subprocess_exec(
                "gammu-smsd",
                "-c",
                str(config),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            self.processes.append(process)

    async def prepare(self, messages: Sequence[Outgoing]) -> None:
        """One message file per message, by gammu-smsd-inject, into a staging directory."""
        for n, message in enumerate(messages):
            base = self.bases[n % len(self.bases)]
            count = pdu.count(message.text)
            args = ["TEXT", message.destination, "-text", message.text]
            if count.encoding is not pdu.Encoding.GSM7:
                args.append("-unicode")
            if count.segments > 1:
                args += ["-len", str(len(message.text))]
            process = await asyncio.create_subprocess_exec(
                "gammu-smsd-inject",
                "-c",
                str(base / "staging.rc"),
                *args,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            output, _ = await process.communicate()
            written = [
                line.split("ID", 1)[1].strip()
                for line in output.decode(errors="replace").splitlines()
                if line.startswith("Written message with ID")
            ]
            if process.returncode != 0 or not written:
                raise RuntimeError(f"gammu-smsd-inject failed: {output!r}")
            self.staged.append(base / "staging" / Path(written[0]).name)

    async def inject(self, messages: Sequence[Outgoing], *, clients: int = 1) -> None:
        del clients  # files are renamed into the spool one by one
        for message in messages:
            staged = self.staged.pop(0)
            message.injected = now()
            staged.rename(staged.parent.parent / "outbox" / staged.name)
            await asyncio.sleep(0)

    async def stored(self) -> int:
        return sum(len(list((base / "inbox").iterdir())) for base in self.bases)

    def log_tail(self) -> str:
        parts = []
        for base in self.bases:
            log = base / "gammu-smsd.log"
            if log.exists():
                parts.append(f"--- {log}\n{log.read_text(errors='replace')[-1500:]}")
        return "\n".join(parts)


# ---------------------------------------------------------------------- smstools3

SMSTOOLS_GLOBAL = """devices = {devices}
outgoing = {base}/outgoing
checked = {base}/checked
failed = {base}/failed
incoming = {base}/incoming
sent = {base}/sent
logfile = {base}/smstools.log
loglevel = 5
infofile = {base}/smsd.working
pidfile = {base}/smsd.pid
delaytime = 1
delaytime_mainprocess = 1
autosplit = 3
receive_before_send = no
trust_outgoing = yes
"""
SMSTOOLS_DEVICE = """
[{name}]
device = {device}
baudrate = 115200
incoming = yes
report = no
mode = new
check_network = 0
detect_message_routing = no
detect_unexpected_input = no
"""


class Smstools(Daemon):
    """smstools3 3.1.21: one smsd with one device per modem and the spool directories."""

    name = "smstools3"
    settings = (
        "one smsd, one device per modem; delaytime=1, delaytime_mainprocess=1, autosplit=3, "
        "receive_before_send=no, trust_outgoing=yes, incoming=yes, report=no, check_network=0, "
        "detect_message_routing=no, detect_unexpected_input=no"
    )

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.base = workdir / "smstools"
        self.staged: list[Path] = []
        self._serial = 0

    async def start(self, paths: Sequence[str]) -> None:
        for sub in ("outgoing", "checked", "failed", "incoming", "sent", "staging"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        names = [f"GSM{i + 1}" for i in range(len(paths))]
        text = SMSTOOLS_GLOBAL.format(devices=",".join(names), base=self.base) + "".join(
            SMSTOOLS_DEVICE.format(name=name, device=path)
            for name, path in zip(names, paths, strict=True)
        )
        config = self.base / "smsd.conf"
        config.write_text(text, encoding="utf-8")
        process = await asyncio.create_subprocess_exec(
            "/usr/sbin/smsd",
            f"-c{config}",
            "-t",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        self.processes.append(process)

    async def prepare(self, messages: Sequence[Outgoing]) -> None:
        for message in messages:
            n = self._serial = self._serial + 1
            header = f"To: {message.destination.lstrip('+')}\n"
            if pdu.count(message.text).encoding is pdu.Encoding.GSM7:
                body = (header + "Alphabet: ISO\n\n").encode() + message.text.encode("latin-1")
            else:
                body = (header + "Alphabet: UCS2\n\n").encode() + message.text.encode("utf-16-be")
            path = self.base / "staging" / f"bench-{os.getpid()}-{n:05d}"
            path.write_bytes(body)
            self.staged.append(path)

    async def inject(self, messages: Sequence[Outgoing], *, clients: int = 1) -> None:
        del clients  # files are renamed into the spool one by one
        for message in messages:
            staged = self.staged.pop(0)
            message.injected = now()
            staged.rename(self.base / "outgoing" / staged.name)
            await asyncio.sleep(0)

    async def stored(self) -> int:
        return len(list((self.base / "incoming").iterdir()))

    def log_tail(self) -> str:
        log = self.base / "smstools.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""


DAEMONS: dict[str, type[Daemon]] = {daemon.name: daemon for daemon in (Smsd, GammuSmsd, Smstools)}
