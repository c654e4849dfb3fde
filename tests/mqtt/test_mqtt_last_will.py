"""``python -m smsd run`` killed outright: the broker publishes the last will (``offline``)."""

from __future__ import annotations

import asyncio
import signal

from mqtt_helpers import Subscriber
from support import daemon_config, daemon_process
from support.polling import until


async def test_killed_daemon_goes_offline_through_its_last_will(tmp_path, broker):
    config = daemon_config.write(
        tmp_path,
        daemon_config.daemon(),
        daemon_config.api("127.0.0.1:0"),
        daemon_config.phone("virtual-1", "virtual"),
        '[mqtt]\nenabled = true\nhost = "127.0.0.1"\n'
        f'port = {broker.port}\nclient_id = "smsd-killed"\n',
    )
    async with Subscriber(broker.port, "smsd/status", client_id="t-will") as sub:
        process = await daemon_process.start_async(config, tmp_path / "daemon.log")
        try:
            await until(lambda: sub.on("smsd/status")[-1:] == [b"online"], timeout=30)
            process.send_signal(signal.SIGKILL)
            await asyncio.wait_for(process.wait(), 10)
            await until(lambda: sub.on("smsd/status")[-1:] == [b"offline"])
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
