"""A command whose PUBACK never reached the broker is sent once, even across a SIGKILL.

``python -m smsd run`` reaches the real broker through :class:`MqttProxy`, which holds back the
daemon's PUBACKs: when the proxy holds one, the command's message is committed (the bridge
acknowledges only after the commit and the result), so the daemon is killed exactly between its
commit and the broker hearing of it. After the restart the broker (persistent session) delivers
the command again, with the same packet id and the DUP flag; the modem, a virtual modem on a
pty in this process, must see the message once, and both results must name the same message.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import TYPE_CHECKING

from mqtt_helpers import Subscriber, publish
from mqtt_proxy import MqttProxy
from support.fault_rig import DaemonProcess, start_modems, write_config
from support.polling import until

from smsd.modem.virtual import Faults

if TYPE_CHECKING:
    from pathlib import Path

TO = "+33612345678"


def _scheduled(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM scheduled").fetchone()[0])


async def test_a_command_committed_but_not_acknowledged_is_not_sent_again_after_sigkill(
    tmp_path, broker
):
    proxy = MqttProxy(broker.port)
    await proxy.start()
    modems = await start_modems(["dongle-1"], Faults())
    config = write_config(tmp_path, modems)
    with config.open("a", encoding="utf-8") as out:
        out.write(
            f'\n[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {proxy.port}\n'
            'client_id = "smsd-redelivery"\nreconnect_max = 0.5\nstate_interval = 1\n'
        )
    daemon = DaemonProcess(config)
    try:
        async with Subscriber(broker.port, "smsd/#", client_id="t-redelivery") as sub:
            proxy.hold_topic = "smsd/send"
            await daemon.start()
            await until(lambda: sub.on("smsd/status")[-1:] == [b"online"], timeout=30)
            command = json.dumps({"to": TO, "text": "Your code is 482913"})
            await publish(broker.port, "smsd/send", command)
            # The PUBACK is sent only once the message is committed and its result published.
            await until(lambda: proxy.held, timeout=30)
            # The message leaves the modem (its sent state committed: the event is out), while
            # the broker still waits for the PUBACK; then the daemon dies without a word.
            await until(lambda: sub.matching("smsd/sent/"), timeout=30)
            await daemon.kill()
            [first] = sub.json_on("smsd/send/result")
            assert first["ok"] is True
            [held] = proxy.held
            [delivery] = [p for p in proxy.delivered if p.topic == "smsd/send"]
            assert delivery.packet_id == held.packet_id
            assert not delivery.dup

            proxy.hold_topic = None
            await daemon.start()
            await until(lambda: len(sub.json_on("smsd/send/result")) == 2, timeout=30)
            await until(lambda: any(p.packet_id == held.packet_id for p in proxy.passed_pubacks))
            await asyncio.sleep(2.0)  # a second message would be on the wire by now
            assert await daemon.stop() == 0
    finally:
        if daemon.alive:
            await daemon.kill()
        await proxy.stop()
        for pty in modems.values():
            await pty.stop()

    redelivered = [p for p in proxy.delivered if p.topic == "smsd/send"][1:]
    assert redelivered, "the broker did not deliver the command again"
    assert all(p.dup and p.packet_id == held.packet_id for p in redelivered)
    second = sub.json_on("smsd/send/result")[1]
    assert second == first
    wire = [item.decoded for item in modems["dongle-1"].modem.submitted]
    assert [(s.destination, s.text) for s in wire] == [(TO, "Your code is 482913")], daemon.logs()
    assert _scheduled(tmp_path / "smsd.sqlite3") == 1
    assert "mqtt_command_repeated" in daemon.logs()
