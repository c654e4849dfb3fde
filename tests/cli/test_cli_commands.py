"""The parser, ``--help``/``--version``, ``python -m smsd``, and ``smsd modems`` wiring."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import types

import pytest
import structlog

from smsd import __version__, cli
from smsd.modem.virtual import PtyModem, VirtualModem


@pytest.fixture(autouse=True)
def _keep_structlog():
    """``smsd modems`` quiets the process-wide logger: put it back for the other tests."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"smsd {__version__}\n"


def test_no_command_prints_help_and_is_bad_usage(capsys) -> None:
    assert cli.main([]) == cli.EXIT_USAGE
    out = capsys.readouterr().out
    for command in ("run", "check-config", "modems", "send", "inbox", "user", "key"):
        assert f"    {command}" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["send", "--to", "+33612345678"],  # no --text
        ["send", "--text", "x"],  # no --to
        ["inbox", "--limit", "0"],
        ["inbox", "--limit", "many"],
        ["inbox", "--timeout", "-1"],
        ["modems", "--baudrate", "fast"],
        ["modems", "--timeout", "0"],
        ["user"],
        ["user", "add"],
        ["user", "delete", "a@example.org"],
        ["key"],
        ["frobnicate"],
    ],
)
def test_bad_usage_exits_2(argv, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    assert "usage: smsd" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["send", "--help"], ["inbox", "--help"], ["modems", "--help"], ["user", "add", "-h"]]
)
def test_help_exits_0(argv, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: smsd {argv[0]}")


def test_modems_arguments() -> None:
    args = cli.build_parser().parse_args(
        ["modems", "--probe", "--baudrate", "9600", "/dev/ttyUSB0", "/dev/ttyUSB2"]
    )
    assert (args.probe, args.baudrate, args.timeout) == (True, 9600, 3.0)
    assert args.paths == ["/dev/ttyUSB0", "/dev/ttyUSB2"]
    args = cli.build_parser().parse_args(["modems"])
    assert (args.probe, args.baudrate, args.paths) == (False, 115200, [])


def test_modems_calls_the_report(monkeypatch, capsys) -> None:
    calls = []

    async def modems_report(*, probe, baudrate=115200, paths=(), timeout=3.0):
        calls.append({"probe": probe, "baudrate": baudrate, "paths": paths, "timeout": timeout})
        return "PORT  USB\n/dev/ttyUSB0  12d1:1001"

    fake = types.ModuleType("smsd.modem.probe")
    fake.modems_report = modems_report
    monkeypatch.setitem(sys.modules, "smsd.modem.probe", fake)
    assert cli.main(["modems", "--probe", "--timeout", "1.5", "/dev/ttyUSB0"]) == 0
    assert calls == [
        {"probe": True, "baudrate": 115200, "paths": ("/dev/ttyUSB0",), "timeout": 1.5}
    ]
    assert capsys.readouterr().out == "PORT  USB\n/dev/ttyUSB0  12d1:1001\n"


def test_modems_probes_a_virtual_modem_on_a_pty(capsys) -> None:
    probe = pytest.importorskip("smsd.modem.probe")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    pty = PtyModem(VirtualModem(name="probe-me"))
    try:
        path = asyncio.run_coroutine_threadsafe(pty.start(), loop).result(timeout=10)
        code = cli.main(["modems", "--probe", "--timeout", "10", path])
        out = capsys.readouterr().out
    finally:
        asyncio.run_coroutine_threadsafe(pty.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
    assert code == 0
    assert out.splitlines()[0].startswith("PORT")
    row = next(line for line in out.splitlines() if line.startswith(path))
    assert probe.NO_AT_ANSWER not in row
    assert "dBm" in row  # the virtual modem answered the signal query


def test_python_dash_m_smsd_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "smsd", "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, f"smsd {__version__}\n")
    done = subprocess.run(
        [sys.executable, "-m", "smsd", "inbox"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert "no API key" in done.stderr


def test_importing_main_module_does_not_run_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import smsd.__main__; print('imported')"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "imported\n")
