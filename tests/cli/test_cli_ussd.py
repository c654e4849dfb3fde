"""``python -m smsd ussd`` as real processes against a running daemon on its virtual modem.

The daemon's virtual modem is a Huawei (requests go GSM-7 packed, answers come back packed);
the balance watch reads its balance into /metrics and /health; a two-step menu is walked with
``--session``; a silent code times out and says so.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest
from cli_daemon_rig import get, running_daemon
from cli_daemon_rig import smsd as _smsd
from cli_daemon_rig import wait as _wait

if TYPE_CHECKING:
    from pathlib import Path


BALANCE_WATCH = """
ussd_timeout = 1.5
balance_ussd = "*100#"
balance_interval = 3600
balance_pattern = "balance is ([0-9]+(?:,[0-9]+)?)"
balance_min = 5
"""


def _get(path: str, url: str) -> str:
    return get(path, url)[1]


@pytest.fixture
def daemon(tmp_path: Path):
    with running_daemon(tmp_path, BALANCE_WATCH) as found:
        yield found


def test_balance_menu_and_timeout_through_the_cli(daemon) -> None:
    config, socket_path = daemon
    health = lambda: json.loads(_get(socket_path, "/health"))  # noqa: E731
    _wait(lambda: health()["modems"]["phones"][0]["balance"] == 12.5)
    metrics = _get(socket_path, "/metrics").splitlines()
    assert 'smsd_sim_balance{phone="virtual-1"} 12.5' in metrics

    done = _smsd("ussd", "--phone", "virtual-1", "*100#", config=config)
    assert (done.returncode, done.stdout, done.stderr) == (0, "Your balance is 12,50 EUR.\n", "")

    done = _smsd("ussd", "--phone", "virtual-1", "*123#", config=config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Menu:\n1 Balance\n2 Data\n(session ")
    session = re.search(r"--session (\d+) REPLY", done.stdout).group(1)
    done = _smsd("ussd", "--session", session, "2", config=config)
    assert done.stdout.startswith("Data:\n1 Buy 1 GB\n2 Remaining\n"), done.stderr
    done = _smsd("ussd", "--session", session, "2", config=config)
    assert (done.returncode, done.stdout) == (0, "Remaining: 750 MB\n")
    done = _smsd("ussd", "--session", session, config=config)  # poll: the last answer
    assert done.stdout == "Remaining: 750 MB\n"

    done = _smsd("ussd", "--phone", "virtual-1", "*999#", config=config)
    assert done.returncode == 1
    assert "no answer in time; the session was cancelled" in done.stderr

    done = _smsd("ussd", "--phone", "virtual-1", "*123#", config=config)
    session = re.search(r"--session (\d+) REPLY", done.stdout).group(1)
    done = _smsd("ussd", "--session", session, "--cancel", config=config)
    assert (done.returncode, done.stdout) == (0, f"session {session}: cancelled\n")

    done = _smsd("ussd", "--phone", "nope", "*100#", config=config)
    assert done.returncode == 1
    assert "no phone named 'nope'" in done.stderr
    rows = json.loads(_get(socket_path, "/api/list/ussd/"))["response"]
    assert [r["code"] for r in rows if r["origin"] == "api"] == ["*100#", "*123#", "*999#", "*123#"]
