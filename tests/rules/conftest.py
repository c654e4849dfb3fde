"""Fixtures of the incoming rules and e-mail tests: a daemon over pty modems, an SMTP sink."""

from __future__ import annotations

import pytest
from rules_rig import DaemonRig, SmtpSink


@pytest.fixture
async def rig(tmp_path):
    made = DaemonRig(tmp_path)
    yield made
    await made.stop()


@pytest.fixture
async def sink():
    running = SmtpSink()
    yield running
    await running.stop()
