"""The hot-plug watcher with a running engine: links to virtual modems appear and vanish."""

from __future__ import annotations

import asyncio
import json

from hotplug_settings import FAST
from structlog.testing import capture_logs
from support.engine import schedule
from support.polling import until

from smsd.config import (
    ApiConfig,
    Config,
    DaemonConfig,
    HotplugConfig,
    PhoneConfig,
)
from smsd.daemon import Daemon
from smsd.modem.virtual import Faults, PtyModem, VirtualModem
from smsd.store import accounts, devices


async def sended(rig) -> dict[int, tuple[str, int | None, str]]:
    rows = await rig.db.fetchall("SELECT id, state, id_phone, destination FROM sended")
    return {r["id"]: (r["state"], r["id_phone"], r["destination"]) for r in rows}


async def phone_rows(rig) -> dict[str, object]:
    return {row.name: row for row in await accounts.phones(rig.db)}


async def test_plugged_modem_becomes_a_phone_and_sends(rig) -> None:
    pty = await rig.modem("dongle-a")
    imei = pty.modem.identity.imei
    await rig.start()
    with capture_logs() as logs:
        rig.plug("dongle-a", pty)
        await until(lambda: rig.phone_named(f"modem-{imei}") is not None)
        phone = rig.phone_named(f"modem-{imei}")
        await asyncio.wait_for(phone.modem.ready.wait(), 10)
        await schedule(rig, "hello through a plugged dongle", "+33612345678")
        await until(lambda: len(rig.wire("dongle-a")) == 1)
        await until(
            lambda: _all_states(rig, {"sent"}, 1),
        )
    [submit] = rig.wire("dongle-a")
    assert submit.destination == "+33612345678"
    rows = await phone_rows(rig)
    row = rows[f"modem-{imei}"]
    data = json.loads(row.adapter_data)
    assert data["device"] == str(rig.links / "dongle-a")
    assert data["imei"] == imei
    assert data["iccid"] == pty.modem.identity.iccid
    assert row.id_user == rig.id_user
    assert row.id == phone.id_phone
    plugged = [e for e in logs if e["event"] == "modem_plugged"]
    assert len(plugged) == 1
    assert plugged[0]["imei"] == imei
    assert not plugged[0]["known"]


def _ready(rig, key: str) -> bool:
    phone = rig.engine.phones.get(key)  # replaced when the phone is restarted
    return phone is not None and phone.modem.ready.is_set()


async def _all_states(rig, wanted: set[str], count: int) -> bool:
    found = await sended(rig)
    return len(found) == count and all(state in wanted for state, _p, _d in found.values())


async def test_unplugged_phone_becomes_unavailable_and_queued_messages_fail_over(rig) -> None:
    # A known dongle: its phone row (priority 5) exists with its IMEI; a configured phone of
    # priority 0 stands by and takes nothing while the dongle is there.
    hot = await rig.modem("dongle-hot", Faults(submit_delay=0.3))
    standby = await rig.modem("standby")
    id_hot = await accounts.sync_phone(
        rig.db,
        id_user=rig.id_user,
        name="hot",
        adapter="adapters\\SerialModemAdapter",
        adapter_data=json.dumps({"device": "/dev/old", "imei": hot.modem.identity.imei}),
        priority=5,
        limits=[(1000, "today")],
    )
    await rig.start()
    other = await rig.engine.add_phone(
        PhoneConfig(name="standby", device=standby.path, priority=0, **FAST)
    )
    await asyncio.wait_for(other.modem.ready.wait(), 10)
    rig.plug("hot", hot)
    await until(lambda: rig.phone_named("hot") is not None and rig.phone_named("hot").available)
    phone = rig.phone_named("hot")
    assert phone.id_phone == id_hot
    assert phone.settings.priority == 5
    assert [(limit.volume, limit.startpoint) for limit in phone.settings.limits] == [
        (1000, "today")
    ]
    numbers = [f"+336123400{i:02d}" for i in range(8)]
    await schedule(rig, "batch", *numbers)
    await until(lambda: len(rig.wire("dongle-hot")) >= 2)
    assert rig.wire("standby") == []
    with capture_logs() as logs:
        rig.pull("hot")
        await until(lambda: rig.phone_named("hot") is None)
        await until(lambda: _all_states(rig, {"sent"}, len(numbers)), timeout=30)
        await until(lambda: any(e["event"] == "modem_unplugged" for e in logs))
    found = await sended(rig)
    via = {destination: id_phone for _state, id_phone, destination in found.values()}
    assert set(via) == set(numbers)
    assert {id_hot, other.id_phone} == set(via.values())  # some left through each
    destinations = [s.destination for s in rig.wire("dongle-hot") + rig.wire("standby")]
    assert sorted(destinations) == sorted(numbers)  # nothing sent twice, nothing lost
    assert {s.destination for s in rig.wire("standby")} == {
        d for d, id_phone in via.items() if id_phone == other.id_phone
    }
    assert (await phone_rows(rig))["hot"].status == "unavailable"  # set before it was logged
    unplugged = [e for e in logs if e["event"] == "modem_unplugged" and e["log_level"] == "info"]
    assert len(unplugged) == 1
    assert unplugged[0]["id_phone"] == id_hot


async def test_replugged_modem_keeps_its_phone_id(rig) -> None:
    pty = await rig.modem("dongle-a")
    imei = pty.modem.identity.imei
    await rig.start()
    rig.plug("usb-a", pty)
    await until(lambda: rig.phone_named(f"modem-{imei}") is not None)
    first = rig.phone_named(f"modem-{imei}")
    await asyncio.wait_for(first.modem.ready.wait(), 10)
    id_phone = first.id_phone
    with capture_logs() as logs:
        await pty.unplug()  # the device goes: its link dangles
        await until(lambda: rig.phone_named(f"modem-{imei}") is None)

        async def unavailable() -> bool:
            return (await phone_rows(rig))[f"modem-{imei}"].status == "unavailable"

        await until(unavailable)
        new_path = await pty.replug()  # back on another tty, with a new link name
        rig.pull("usb-a")
        rig.plug("usb-a-again", pty)
        await until(lambda: rig.phone_named(f"modem-{imei}") is not None)
        again = rig.phone_named(f"modem-{imei}")
        await asyncio.wait_for(again.modem.ready.wait(), 10)
    assert again.id_phone == id_phone
    assert again.settings.device == str(rig.links / "usb-a-again")
    rows = await phone_rows(rig)
    assert len(rows) == 1
    assert json.loads(rows[f"modem-{imei}"].adapter_data)["device"] == str(
        rig.links / "usb-a-again"
    )
    events = [
        e["event"] for e in logs if e["event"].startswith("modem_") and e["log_level"] != "debug"
    ]
    assert events.count("modem_unplugged") == 1
    assert events.count("modem_plugged") == 1
    await schedule(rig, "after the replug", "+33611111111")
    await until(lambda: _all_states(rig, {"sent"}, 1))
    assert [s.destination for s in rig.wire("dongle-a")] == ["+33611111111"]
    assert new_path != ""


async def test_two_dongles_get_distinct_phones(rig) -> None:
    a = await rig.modem("dongle-a")
    b = await rig.modem("dongle-b")
    assert a.modem.identity.imei != b.modem.identity.imei
    await rig.start()
    rig.plug("a", a)
    rig.plug("b", b)
    await until(lambda: len(rig.engine.phones) == 2)
    ids = {phone.id_phone for phone in rig.engine.phones.values()}
    assert len(ids) == 2
    rows = await phone_rows(rig)
    assert set(rows) == {f"modem-{a.modem.identity.imei}", f"modem-{b.modem.identity.imei}"}


async def test_port_without_modem_is_retried_until_it_answers(rig) -> None:
    pty = await rig.modem("booting", Faults(silent=True))
    await rig.start()
    with capture_logs() as logs:
        rig.plug("if00", pty)
        await until(lambda: any(e["event"] == "modem_not_usable" for e in logs), timeout=10)
        assert rig.engine.phones == {}
        pty.modem.faults.silent = False  # finished booting
        await until(lambda: len(rig.engine.phones) == 1, timeout=30)
    not_usable = [e for e in logs if e["event"] == "modem_not_usable" and e["log_level"] == "info"]
    assert len(not_usable) == 1


async def test_configured_phone_on_a_watched_path_is_restarted_after_replug(rig) -> None:
    pty = await rig.modem("configured")
    await rig.start()
    link = rig.links / "cfg"
    # Configured while its dongle is absent: its driver ends at once.
    phone = await rig.engine.add_phone(PhoneConfig(name="cfg", device=str(link), **FAST))
    await until(lambda: phone.modem.gone)
    with capture_logs() as logs:
        rig.plug("cfg", pty)  # plugged in: restarted with its own settings, no new phone
        await until(lambda: _ready(rig, "cfg"))
    assert [e["event"] for e in logs].count("phone_added") == 1
    assert rig.engine.phones["cfg"].id_phone == phone.id_phone
    imei = pty.modem.identity.imei

    async def identity_recorded() -> bool:
        return (await devices.find_phone(rig.db, imei=imei)) is not None

    await until(identity_recorded)  # the watcher watches it and stored what the driver read
    rig.pull("cfg")
    await until(lambda: "cfg" not in rig.engine.phones)
    rig.plug("cfg", pty)
    await until(lambda: "cfg" in rig.engine.phones)
    again = rig.engine.phones["cfg"]
    assert again.id_phone == phone.id_phone
    assert again.settings == phone.settings  # its own settings, not the watcher's defaults
    assert set(await phone_rows(rig)) == {"cfg"}


async def test_phone_started_while_its_port_is_probed_is_not_duplicated(rig) -> None:
    pty = await rig.modem("racing")
    await rig.start()
    link = rig.plug("race", pty)
    phone = await rig.engine.add_phone(PhoneConfig(name="race", device=str(link), **FAST))
    await until(phone.modem.ready.is_set, timeout=30)  # after the probe let go
    await until(lambda: str(link) in rig.watcher._tracked)
    await asyncio.sleep(0.5)  # a few more scans
    assert list(rig.engine.phones) == ["race"]
    assert set(await phone_rows(rig)) == {"race"}


async def test_disabled_phone_is_not_started(rig) -> None:
    pty = await rig.modem("dongle-a")
    await devices.create_device_phone(
        rig.db,
        id_user=rig.id_user,
        name="off",
        adapter="adapters\\SerialModemAdapter",
        device="/dev/old",
        baudrate=115200,
        imei=pty.modem.identity.imei,
    )
    await rig.db.execute("UPDATE phone SET status = 'disabled' WHERE name = 'off'")
    await rig.start()
    with capture_logs() as logs:
        rig.plug("a", pty)
        await until(lambda: any(e["event"] == "modem_plugged_disabled" for e in logs))
    assert rig.engine.phones == {}


async def test_identity_matching_prefers_the_sim(rig) -> None:
    by_imei = await devices.create_device_phone(
        rig.db, id_user=rig.id_user, name="m", adapter="x", device="/d1", baudrate=1, imei="1" * 15
    )
    by_iccid = await devices.create_device_phone(
        rig.db, id_user=rig.id_user, name="s", adapter="x", device="/d2", baudrate=1, iccid="8" * 19
    )
    assert (await devices.find_phone(rig.db, imei="1" * 15)).id == by_imei
    assert (await devices.find_phone(rig.db, imei="1" * 15, iccid="8" * 19)).id == by_iccid
    assert await devices.find_phone(rig.db, imei="2" * 15) is None
    assert await devices.find_phone(rig.db) is None
    await devices.record_device(rig.db, by_imei, device="/d3", baudrate=9600)
    row = (await phone_rows(rig))["m"]
    assert json.loads(row.adapter_data) == {"device": "/d3", "baudrate": 9600, "imei": "1" * 15}


async def test_daemon_starts_the_watcher_for_configured_globs(tmp_path) -> None:
    links = tmp_path / "links"
    links.mkdir()
    config = Config(
        daemon=DaemonConfig(database=tmp_path / "smsd.sqlite3"),
        api=ApiConfig(),
        users=(),
        phones=(),
        hotplug=HotplugConfig(devices=(str(links / "*"),)),
    )
    daemon = Daemon(config, api_factory=None, announce=lambda _text: None)
    task = asyncio.create_task(daemon.serve())
    pty = PtyModem(VirtualModem(name="daemon-dongle"))
    await pty.start()
    try:
        (links / "d").symlink_to(pty.path)
        await until(lambda: daemon.engine is not None and len(daemon.engine.phones) == 1)
        [phone] = daemon.engine.phones.values()
        assert phone.settings.name == f"modem-{pty.modem.identity.imei}"
    finally:
        daemon.stop()
        assert await asyncio.wait_for(task, 30) == 0
        await pty.stop()
