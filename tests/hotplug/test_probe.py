"""Probing ports and the `smsd modems` report, over pseudo-terminals with virtual modems."""

from __future__ import annotations

import os
import time

import pytest

from smsd.modem.port import open_port
from smsd.modem.ports import SerialPort, expand_globs, links_by_target, list_ports, resolve
from smsd.modem.probe import (
    NO_AT_ANSWER,
    ProbeOutcome,
    ProbeResult,
    modems_report,
    probe,
    render_table,
)
from smsd.modem.session import Identity, Network
from smsd.modem.virtual import Faults, PtyModem, VirtualModem


@pytest.fixture
async def ptys():
    started: list[PtyModem] = []

    async def make(name: str, faults: Faults | None = None, **options) -> PtyModem:
        pty = PtyModem(VirtualModem(name=name, faults=faults or Faults(), **options))
        await pty.start()
        started.append(pty)
        return pty

    yield make
    for pty in started:
        await pty.stop()


async def test_probe_reads_identity_sim_and_network(ptys) -> None:
    pty = await ptys("dongle-a", model="E3131")
    result = await probe(pty.path, timeout=5.0)
    expected = pty.modem.identity
    assert result.outcome is ProbeOutcome.MODEM
    assert result.answered
    assert result.identified
    assert result.complete
    assert result.identity.manufacturer == "huawei"
    assert result.identity.model == "E3131"
    assert result.identity.imei == expected.imei
    assert result.identity.iccid == expected.iccid
    assert result.sim == "READY"
    assert result.network.registered
    assert result.network.operator == "Orange F"
    assert result.network.dbm == -73


async def test_probe_changes_nothing_and_releases_the_port(ptys) -> None:
    pty = await ptys("dongle-a")
    await probe(pty.path, timeout=5.0)
    assert pty.modem.faults.echo  # no ATE0 sent
    assert pty.modem._state.sim_state().value == "READY"
    transport = await open_port(pty.path)  # exclusive open works: the probe closed the port
    transport.close()
    await transport.wait_closed()


async def test_silent_port_gives_no_at_answer_within_the_timeout(ptys) -> None:
    pty = await ptys("hung", Faults(silent=True))
    began = time.monotonic()
    result = await probe(pty.path, timeout=1.5)
    elapsed = time.monotonic() - began
    assert result.outcome is ProbeOutcome.NO_ANSWER
    assert result.detail.startswith(NO_AT_ANSWER)
    assert not result.identified
    assert elapsed < 1.5 + 3.0  # bounded: deadline plus closing, with room for a loaded machine


async def test_garbage_port_gives_no_at_answer(ptys) -> None:
    pty = await ptys("noisy", Faults(garbage=True))
    result = await probe(pty.path, timeout=1.5)
    assert result.outcome is ProbeOutcome.NO_ANSWER
    assert result.detail.startswith(NO_AT_ANSWER)


async def test_missing_port_is_unusable_not_an_exception(tmp_path) -> None:
    result = await probe(str(tmp_path / "ttyUSB9"), timeout=1.0)
    assert result.outcome is ProbeOutcome.UNUSABLE
    assert "cannot open" in result.detail


async def test_port_held_by_another_program_is_unusable(ptys) -> None:
    pty = await ptys("busy")
    holder = await open_port(pty.path)
    try:
        result = await probe(pty.path, timeout=1.0)
    finally:
        holder.close()
        await holder.wait_closed()
    assert result.outcome is ProbeOutcome.UNUSABLE


@pytest.mark.parametrize(
    ("faults", "sim", "registered"),
    [
        (Faults(pin="1234"), "SIM PIN", False),
        (Faults(sim_present=False), "not inserted", False),
        (Faults(registered=False), "READY", False),
    ],
)
async def test_probe_reports_sim_state_without_entering_a_pin(
    ptys, faults, sim, registered
) -> None:
    pty = await ptys("sim-case", faults)
    result = await probe(pty.path, timeout=5.0)
    assert result.answered
    assert result.identity.imei == pty.modem.identity.imei  # readable without the PIN
    assert result.sim == sim
    assert result.network.registered is registered
    assert pty.modem._state.pin_tries == 3  # never tried a PIN


async def test_report_over_a_modem_a_noisy_and_a_silent_port(ptys) -> None:
    good = await ptys("dongle-a")
    noisy = await ptys("noisy", Faults(garbage=True))
    silent = await ptys("hung", Faults(silent=True))
    paths = [good.path, noisy.path, silent.path]
    table = await modems_report(probe=True, paths=paths, timeout=1.5)
    lines = table.splitlines()
    header = lines[0].split()
    assert header[:3] == ["PORT", "USB", "MANUFACTURER"]
    assert {"MODEL", "IMEI", "SIM", "OPERATOR", "SIGNAL"} <= set(header)
    rows = {line.split()[0]: line for line in lines[1:4]}
    assert set(rows) == set(paths)
    imei = good.modem.identity.imei
    assert "huawei" in rows[good.path]
    assert imei in rows[good.path]
    assert "READY" in rows[good.path]
    assert "Orange F" in rows[good.path]
    assert "-73 dBm" in rows[good.path]
    assert NO_AT_ANSWER in rows[noisy.path]
    assert NO_AT_ANSWER in rows[silent.path]
    assert imei not in rows[noisy.path] + rows[silent.path]


async def test_report_without_probe_only_lists(ptys) -> None:
    good = await ptys("dongle-a")
    table = await modems_report(probe=False, paths=[good.path])
    assert table.splitlines()[0].split() == ["PORT", "USB", "STABLE", "NAME"]
    assert good.path in table
    assert "IMEI" not in table
    assert "--probe" in table
    assert good.modem.submitted == []  # nothing was sent to it
    assert good.modem.faults.echo


async def test_report_of_every_port_found_returns_text() -> None:
    table = await modems_report(probe=False)
    assert table.endswith("\n")
    assert table.startswith(("PORT", "No serial ports found."))


def test_render_table_usb_identity_links_and_failure_notes() -> None:
    port = SerialPort(
        device="/dev/ttyUSB2",
        target="/dev/ttyUSB2",
        links=("/dev/smsd/12d1-1506-ABC-if02", "/dev/serial/by-id/usb-HUAWEI-if02-port0"),
        vid=0x12D1,
        pid=0x1506,
        interface=2,
    )
    other = SerialPort(device="/dev/ttyUSB0", target="/dev/ttyUSB0")
    found = ProbeResult(
        "/dev/ttyUSB2",
        ProbeOutcome.MODEM,
        identity=Identity(manufacturer="huawei", model="E3372", imei="867815030000001"),
        sim="SIM PIN",
        network=Network(registration="not_registered"),
        complete=False,
    )
    failed = ProbeResult(
        "/dev/ttyUSB0", ProbeOutcome.UNUSABLE, detail="cannot open /dev/ttyUSB0: busy"
    )
    table = render_table([port, other], [found, failed])
    first, second = table.splitlines()[1:3]
    assert "12d1:1506 if02" in first
    assert "/dev/smsd/12d1-1506-ABC-if02 /dev/serial/by-id/usb-HUAWEI-if02-port0" in first
    assert "(not registered)" in first
    assert "(incomplete)" in first
    assert "cannot open" in second
    assert "/dev/ttyUSB0: cannot open /dev/ttyUSB0: busy" in table
    assert port.stable_name == "/dev/smsd/12d1-1506-ABC-if02"
    assert other.stable_name == "/dev/ttyUSB0"
    assert other.usb_id == ""


async def test_links_map_to_their_targets_and_dangling_ones_are_skipped(ptys, tmp_path) -> None:
    a = await ptys("a")
    b = await ptys("b")
    smsd_dir, by_id = tmp_path / "smsd", tmp_path / "by-id"
    smsd_dir.mkdir()
    by_id.mkdir()
    os.symlink(a.path, smsd_dir / "dongle-a")  # noqa: PTH211
    os.symlink(a.path, by_id / "usb-a-if00")  # noqa: PTH211
    os.symlink(b.path, by_id / "usb-b-if00")  # noqa: PTH211
    os.symlink(tmp_path / "gone", by_id / "usb-gone-if00")  # noqa: PTH211
    (smsd_dir / "not-a-link").write_text("")
    links = links_by_target([str(smsd_dir), str(by_id), str(tmp_path / "absent")])
    assert links[resolve(a.path)] == (
        str(smsd_dir / "dongle-a"),
        str(by_id / "usb-a-if00"),
    )
    assert links[resolve(b.path)] == (str(by_id / "usb-b-if00"),)
    assert len(links) == 2
    [listed] = list_ports([str(by_id / "usb-b-if00")], link_dirs=[str(smsd_dir), str(by_id)])
    assert listed.device == str(by_id / "usb-b-if00")
    assert listed.target == resolve(b.path)
    assert listed.stable_name == str(by_id / "usb-b-if00")
    found = expand_globs([str(by_id / "*"), str(smsd_dir / "dongle-*")])
    assert found == {
        str(by_id / "usb-a-if00"): resolve(a.path),
        str(by_id / "usb-b-if00"): resolve(b.path),
        str(smsd_dir / "dongle-a"): resolve(a.path),
    }
