"""Fixtures of the core-feature tests: the daemon, a pty modem and a webhook sink."""

from __future__ import annotations

import pytest
from features_rig import FeatureRig


@pytest.fixture
async def rig(tmp_path):
    made = FeatureRig(tmp_path)
    yield made
    await made.close()
