"""``python -m smsd run`` killed outright: the broker publishes the last will (``offline``)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

from mqtt_helpers import Subscriber
from support.polling import until


async def test_killed_daemon_goes_offline_through_its_last_will(tmp_path, broker):
    config = tmp_path / "smsd.toml"
    config.write_text(
        f"""
[daemon]
database = "smsd.sqlite3"
log_format = "json"
[api]
listen = "127.0.0.1:0"
[[phones]]
name = "virtual-1"
device = "virtual"
[mqtt]
enabled = true
host = "127.0.0.1"
port = {broker.port}
client_id = "smsd-killed"
""",
        encoding="utf-8",
    )
    async with Subscriber(broker.port, "smsd/status", client_id="t-will") as sub:
        with (tmp_path / "daemon.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "smsd", "run", "--config", str(config),
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            await until(lambda: sub.on("smsd/status")[-1:] == [b"online"], timeout=30)
            process.send_signal(signal.SIGKILL)
            await asyncio.wait_for(process.wait(), 10)
            await until(lambda: sub.on("smsd/status")[-1:] == [b"offline"])
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
