"""SMS throughput with the MQTT bridge off, on, and on with the broker stopped, side by side.

    python bench/mqtt.py [--modems N] [--messages M] [--outage S] [--repeat R] [--json out.json]

Each run starts the whole daemon in this process (``smsd.daemon.Daemon``, no HTTP API) over a
fresh SQLite file, with N virtual modems (default 4) answering instantly on pseudo-terminals,
and a real mosquitto (Debian's ``mosquitto``) on a free loopback port, persistence in the run's
temporary directory. M messages (default 1,000; the mix of ``bench/dispatch.py``: 70 % short
GSM-7, 20 % two-segment, 10 % UCS-2) are stored one by one as an API post stores them, the
dispatcher is woken, and the run ends when every message is ``sent``:

1. **off**: ``[mqtt] enabled = false``;
2. **on**: the bridge publishes every ``sent/<id>`` event (and states) to a subscriber;
3. **broker stopped**: the broker is stopped just before the messages are stored and started
   again ``--outage`` seconds (default 30) later; the sends happen during the outage.

Figures per run: messages and segments per second from the first store to the last ``sent``
(the same clock for all runs), the process's CPU time per message over that span (all threads
of this process: the daemon and the virtual modems, not the broker; less sensitive than the
rate to other work on the machine), and for runs 2 and 3 the ``sent/<id>`` events the subscriber got
(distinct ids, duplicates) and when the last one arrived. A broker outage must change neither
the throughput nor the count of events (nothing lost; they arrive after the restart). Each mode
runs ``--repeat`` times (default 3), interleaved so that a busy machine weighs on all of them,
and the run of median throughput is shown with every run's figure beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiomqtt
from dispatch import SEED, message_mix

from smsd import log
from smsd.config import load_config
from smsd.daemon import Daemon
from smsd.modem.virtual import Faults, PtyModem, VirtualModem
from smsd.store.rows import Recipient
from smsd.store.scheduled import create_scheduled

Figures = dict[str, Any]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """mosquitto on a free loopback port, its files in ``folder``."""

    def __init__(self, folder: Path) -> None:
        found = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(found).exists():
            sys.exit("mosquitto is not installed: apt-get install -y mosquitto")
        self.binary = found
        self.port = _free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {folder}/\nlog_dest none\nuser {getpass.getuser()}\n"
            "max_queued_messages 1000000\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - the installed broker, our config
            [self.binary, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.02)
        sys.exit("mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class Counter:
    """A persistent-session subscriber to ``smsd/sent/+`` that reconnects by itself."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.ids: list[int] = []
        self.last_at = 0.0
        self.ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.ready.wait(), 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                async with aiomqtt.Client(
                    "127.0.0.1", self.port, identifier="bench-counter", clean_session=False
                ) as client:
                    await client.subscribe("smsd/sent/+", qos=1)
                    self.ready.set()
                    async for message in client.messages:
                        self.ids.append(int(json.loads(bytes(message.payload))["id"]))
                        self.last_at = time.perf_counter()
            except aiomqtt.MqttError:
                await asyncio.sleep(0.1)


async def _start_daemon(base: Path, modems: list[PtyModem], port: int, mode: str) -> Daemon:
    phones = ""
    for i, pty in enumerate(modems):
        phones += f'[[phones]]\nname = "m{i + 1}"\ndevice = "{await pty.start()}"\n'
    enabled = "false" if mode == "off" else "true"
    (base / "smsd.toml").write_text(
        f'[daemon]\ndatabase = "smsd.sqlite3"\n{phones}'
        f'[mqtt]\nenabled = {enabled}\nhost = "127.0.0.1"\nport = {port}\nreconnect_max = 2\n',
        encoding="utf-8",
    )
    return Daemon(load_config(base / "smsd.toml"), api_factory=None, announce=lambda _t: None)


async def _ready(daemon: Daemon) -> None:
    while daemon.engine is None or not all(  # noqa: ASYNC110 - the daemon's state, polled
        p.modem.ready.is_set() for p in daemon.engine.phones.values()
    ):
        await asyncio.sleep(0.02)
    await asyncio.sleep(1.0)  # the bridge connected, states published


async def _send_all(daemon: Daemon, texts: list[str], timeout: float) -> float:
    """Store every message as an API post does; seconds until all are sent."""
    db, engine = daemon.db, daemon.engine
    assert db is not None
    assert engine is not None
    start = time.perf_counter()
    for n, text in enumerate(texts):
        await create_scheduled(
            db, id_user=1, text=text, at=None, numbers=[Recipient(f"+336{n:08d}")]
        )
        engine.wake()
    while True:
        row = await db.fetchone("SELECT count(*) FROM sended WHERE state IN ('sent', 'delivered')")
        if row is not None and int(row[0]) >= len(texts):
            return time.perf_counter() - start
        if time.perf_counter() - start > timeout:
            sys.exit(f"not all sent within {timeout} s")
        await asyncio.sleep(0.01)


async def _outage(broker: Broker, seconds: float) -> asyncio.Task[None]:
    """Stop the broker now; the task starts it again ``seconds`` later."""
    await asyncio.to_thread(broker.stop)

    async def restart() -> None:
        await asyncio.sleep(seconds)
        await asyncio.to_thread(broker.start)

    return asyncio.create_task(restart())


async def _events(counter: Counter, expected: int, start: float, timeout: float) -> Figures:
    deadline = time.perf_counter() + timeout
    while len(set(counter.ids)) < expected and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    return {
        "events": len(set(counter.ids)),
        "duplicates": len(counter.ids) - len(set(counter.ids)),
        "last_event_after_s": round(counter.last_at - start, 2),
    }


async def one_run(args: argparse.Namespace, mode: str, texts: list[str]) -> Figures:
    with tempfile.TemporaryDirectory(prefix=f"smsd-mqtt-{mode}-", dir=args.dir) as folder:
        base = Path(folder)
        broker = Broker(base)
        await asyncio.to_thread(broker.start)
        modems = [
            PtyModem(VirtualModem(name=f"m{i + 1}", faults=Faults(storage_capacity=50)))
            for i in range(args.modems)
        ]
        counter = Counter(broker.port)
        await counter.start()
        daemon = await _start_daemon(base, modems, broker.port, mode)
        task = asyncio.create_task(daemon.serve())
        try:
            await _ready(daemon)
            restart = await _outage(broker, args.outage) if mode == "outage" else None
            start, cpu = time.perf_counter(), time.process_time()
            elapsed = await _send_all(daemon, texts, args.timeout)
            cpu = time.process_time() - cpu
            segments = sum(len(pty.modem.submitted) for pty in modems)
            figures: Figures = {
                "mode": mode,
                "seconds": round(elapsed, 2),
                "cpu_ms_per_message": round(1000 * cpu / len(texts), 2),
                "messages_per_s": round(len(texts) / elapsed, 1),
                "segments_per_s": round(segments / elapsed, 1),
            }
            if restart is not None:
                await restart
            if mode != "off":
                figures |= await _events(counter, len(texts), start, args.timeout)
            return figures
        finally:
            daemon.stop()
            await asyncio.wait_for(task, 30)
            await counter.stop()
            for pty in modems:
                await pty.stop()
            await asyncio.to_thread(broker.stop)


async def run(args: argparse.Namespace) -> list[Figures]:
    """Each mode ``--repeat`` times, interleaved; per mode the run of median throughput.

    The CPU time per message shown is the median over the runs of that mode.
    """
    texts = message_mix(args.messages, random.Random(SEED))
    runs: dict[str, list[Figures]] = {"off": [], "on": [], "outage": []}
    for _ in range(args.repeat):
        for mode, found in runs.items():
            found.append(await one_run(args, mode, texts))
    medians = []
    for found in runs.values():
        ordered = sorted(found, key=lambda r: r["messages_per_s"])
        median = dict(ordered[len(ordered) // 2])
        median["all_messages_per_s"] = [r["messages_per_s"] for r in found]
        cpu = sorted(r["cpu_ms_per_message"] for r in found)
        median["cpu_ms_per_message"] = cpu[len(cpu) // 2]  # the median over the runs
        medians.append(median)
    return medians


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modems", type=int, default=4)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds the broker is down")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (median shown)")
    parser.add_argument("--dir", default=None, help="where the temporary files go")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    with Path(os.devnull).open("w", encoding="utf-8") as sink:
        real, sys.stdout = sys.stdout, sink  # the daemon's log (level info) goes to /dev/null
        try:
            log.configure("journal", level="info")
        finally:
            sys.stdout = real
        results = asyncio.run(run(args))
    print(
        f"{args.messages} messages, {args.modems} instant virtual modems, Python "
        f"{platform.python_version()}; broker stopped for {args.outage:g} s in the last run"
    )
    print(f"median of {args.repeat} interleaved runs per mode; every run's msg/s in brackets")
    print(
        f"{'bridge':<16}{'seconds':>9}{'msg/s':>9}{'seg/s':>9}{'CPU ms/msg':>11}{'events':>8}"
        f"{'dups':>6}{'last event (s)':>16}  all msg/s"
    )
    labels = {"off": "off", "on": "on", "outage": "on, broker down"}
    for r in results:
        print(f"{labels[r['mode']]:<16}{r['seconds']:>9}{r['messages_per_s']:>9}"
              f"{r['segments_per_s']:>9}{r['cpu_ms_per_message']:>11}"
              f"{r.get('events', '-'):>8}{r.get('duplicates', '-'):>6}"
              f"{r.get('last_event_after_s', '-'):>16}  {r['all_messages_per_s']}")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
