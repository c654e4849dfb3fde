"""``python -m smsd send`` and ``inbox`` as real processes against a running daemon.

The daemon listens on a Unix socket, as on a Raspberry Pi behind a reverse proxy; the commands
find the socket and the key in the same configuration file. ``/metrics`` and ``/health`` then
show the live modem and the segment it sent.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from cli_daemon_rig import get, running_daemon
from cli_daemon_rig import smsd as _smsd
from cli_daemon_rig import wait as _wait

if TYPE_CHECKING:
    from pathlib import Path


_get = get


@pytest.fixture
def daemon(tmp_path: Path):
    with running_daemon(tmp_path, "health_interval = 1") as found:
        yield found


def _health(socket_path: str) -> dict:
    status, text = _get(socket_path, "/health")
    assert status == 200, text
    return json.loads(text)


def test_send_through_a_running_daemon(daemon) -> None:
    config, socket_path = daemon
    _wait(lambda: _health(socket_path)["modems"]["up"] == 1)

    done = _smsd("send", "--to", "+33612345678", "--text", "Hello from the CLI", config=config)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout.startswith("scheduled message ")

    def delivered() -> bool:
        status, text = _get(socket_path, "/api/list/sended/")
        rows = json.loads(text)["response"] if status == 200 else []
        return bool(rows) and rows[0]["status"] == "delivered"

    _wait(delivered)
    status, text = _get(socket_path, "/metrics")
    assert status == 200
    lines = text.splitlines()
    assert 'smsd_modem_up{phone="virtual-1"} 1' in lines
    assert 'smsd_modem_registered{phone="virtual-1"} 1' in lines
    assert 'smsd_segments_sent_total{phone="virtual-1"} 1' in lines
    assert 'smsd_messages{state="delivered"} 1' in lines
    assert any(line.startswith('smsd_modem_signal_dbm{phone="virtual-1"} -') for line in lines)
    health = _health(socket_path)
    assert (health["status"], health["queue_depth"]) == ("ok", 0)

    done = _smsd("inbox", config=config)
    assert (done.returncode, done.stdout) == (0, "no received messages\n")
    done = _smsd(
        "send", "--to", "+33612345678", "--text", "x", "--api-key", "f" * 32, config=config
    )
    assert done.returncode == 1
    assert "refused the API key (error 1)" in done.stderr
