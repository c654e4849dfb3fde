"""The systemd unit passes ``systemd-analyze verify`` and keeps a low ``security`` exposure."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "smsd.service"
EXPOSURE_CEILING = 2.0
"""Highest acceptable ``systemd-analyze security`` exposure (0 best, 10 worst); it is 1.5 today."""

analyze = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(analyze is None, reason="systemd-analyze is not installed")


def local_copy(tmp_path: Path) -> Path:
    """The unit, its ExecStart pointed at this interpreter (verify checks it is executable)."""
    text = UNIT.read_text(encoding="utf-8")
    text = re.sub(
        r"^ExecStart=\S+", f"ExecStart={sys.executable} -m smsd", text, flags=re.MULTILINE
    )
    copy = tmp_path / "smsd.service"
    copy.write_text(text, encoding="utf-8")
    return copy


def run(*args: str) -> subprocess.CompletedProcess[str]:
    assert analyze is not None
    return subprocess.run([analyze, *args], capture_output=True, text=True, timeout=60, check=False)


def test_unit_verifies(tmp_path: Path) -> None:
    found = run("verify", str(local_copy(tmp_path)))
    # Lines about the host's own units (a container without dbus, say) are not ours.
    ours = [line for line in found.stderr.splitlines() if "smsd.service" in line]
    assert ours == [], found.stderr


def test_verify_would_catch_a_broken_unit(tmp_path: Path) -> None:
    copy = local_copy(tmp_path)
    copy.write_text(
        copy.read_text(encoding="utf-8").replace("Type=notify", "Type=notfy"), encoding="utf-8"
    )
    found = run("verify", str(copy))
    assert any("smsd.service" in line for line in found.stderr.splitlines()), found.stderr


def test_security_exposure_stays_low(tmp_path: Path) -> None:
    found = run("security", "--offline=yes", str(local_copy(tmp_path)))
    match = re.search(r"Overall exposure level for smsd\.service: (\d+\.\d+)", found.stdout)
    assert match is not None, found.stdout + found.stderr
    assert float(match.group(1)) <= EXPOSURE_CEILING, found.stdout


def test_unit_keeps_the_service_contract() -> None:
    text = UNIT.read_text(encoding="utf-8")
    for line in (
        "Type=notify",
        "WatchdogSec=60",
        "User=smsd",
        "SupplementaryGroups=dialout",
        "StateDirectory=smsd",
        "ConfigurationDirectory=smsd",
        "RuntimeDirectory=smsd",  # the API's Unix socket under ProtectSystem=strict
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
    ):
        assert re.search(rf"^{re.escape(line)}$", text, re.MULTILINE), line
