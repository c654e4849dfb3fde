"""What a daemon never uses is never imported: the memory each feature costs is paid on first use.

The daemon runs as a real process (``python -m smsd run``) on a virtual modem served on a
pseudo-terminal by this test (so the daemon itself has no reason to load the virtual modem). A
``sitecustomize`` put first on the daemon's ``PYTHONPATH`` (test-only, in ``tmp_path``) writes the
names in ``sys.modules`` to a file when the daemon gets ``SIGUSR2``; the daemon's code is the
shipped one. Nothing here is timed: the guard is which modules are loaded, before and after the
features are used over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from typing import TYPE_CHECKING

import aiohttp
import pytest
from support import daemon_config, daemon_process

from smsd.modem.virtual import PtyModem

if TYPE_CHECKING:
    from pathlib import Path

API_KEY = "0123456789abcdef0123456789abcdef"

# Loaded only by the feature named: a daemon that does not use it must not pay for it.
NOT_AT_START = {
    "jinja2": "templating or the dashboard's pages",
    "jinja2.sandbox": "templating",
    "smsd.templating.environment": "templating",
    "smsd.templating.expressions": "conditional groups",
    "smsd.web.pages": "the dashboard's pages",
    "smsd.api.openapi": "GET /api/openapi.json",
    "aiomqtt": "[mqtt] enabled",
    "paho": "[mqtt] enabled",
    "smsd.mqtt": "[mqtt] enabled",
    "aiosmtpd": "[mail] enabled",
    "smsd.mailin": "[mail] enabled",
    "aiosmtplib": "a mail action",
    "holidays": "quiet hours with public holidays",
    "smsd.modem.virtual": "a phone whose device is virtual",
    "smsd.runtime.hotplug": "[hotplug] devices",
    "smsd.modem.probe": "[hotplug] devices or smsd modems --probe",
    "xml.sax": "nothing (SMSPartner's XML answers escape with html.escape)",
    "configparser": "reading a gammu configuration file (adapters)",
    "smsd.api.smspartner.calls": "the first request to the SMSPartner door",
    "smsd.api.smspartner.send": "the first request to the SMSPartner door",
    "smsd.api.smspartner.sending": "the first request to the SMSPartner door",
    "smsd.api.smspartner.status": "the first request to the SMSPartner door",
    "smsd.api.smspartner.account": "the first request to the SMSPartner door",
    "smsd.api.gatewaysms.handlers": "the first request to the Gateway SMS door",
    "smsd.api.gatewaysms.parsing": "the first request to the Gateway SMS door",
    "smsd.api.gatewaysms.rendering": "the first request to the Gateway SMS door",
    "smsd.api.smsgateway24.answers": "the first request to the SMSGateway24 door",
    "smsd.api.smsgateway24.sending": "the first request to the SMSGateway24 door",
    "smsd.api.smsgateway24.devices": "the first request to the SMSGateway24 door",
    "smsd.api.smsgateway24.tokens": "the first request to the SMSGateway24 door",
    "smsd.runtime.balance": "a phone with balance_ussd",
    "smsd.api.admin": "the first contact, group or received-status request",
    "smsd.store.admin": "the first contact, group or phone request",
    "smsd.api.stats": "the first usage or statistics request",
    "smsd.store.stats": "the first usage or statistics request",
    "smsd.api.phones": "the first phone management request",
    "smsd.api.adapters": "the first phone management request",
    "smsd.api.features": "the first quota, SMS STOP list or settings request",
    "smsd.api.rules": "the first incoming-rule request",
    "frozenlist._frozenlist": "nothing (frozenlist's Python class: smsd/webstack.py)",
    "csv": "a numbers_csv upload to POST /api/scheduled/",
    "difflib": "an unknown key in the configuration (its suggestion)",
    "importlib.resources": "nothing (the migrations are read as plain files)",
    "zipfile": "nothing (the migrations are read as plain files)",
    "hypothesis": "tests only",
    "pytest": "tests only",
}

DUMPER = """
import gc, os, signal, sys

def _dump(_signum, _frame):
    path = os.environ["SMSD_TEST_MODULES"]
    names = sorted(sys.modules)
    gc.collect()
    parsers = sum(type(o).__name__ == "ArgumentParser" for o in gc.get_objects())
    with open(path + ".parsers", "w", encoding="utf-8") as out:
        out.write(str(parsers))
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        out.write("\\n".join(names))
    os.replace(path + ".tmp", path)

signal.signal(signal.SIGUSR2, _dump)
"""


def _config(tmp_path: Path, device: str) -> Path:
    return daemon_config.write(
        tmp_path,
        daemon_config.daemon(),
        daemon_config.api("127.0.0.1:0"),
        "[api.smspartner]\ncommercial = false\n",  # sent now whatever the hour (no quiet hours)
        daemon_config.user("ops@example.org", API_KEY, admin=True),
        daemon_config.phone("dongle-1", device),
    )


class DaemonProcess:
    """``python -m smsd run`` with the module dumper on its path."""

    def __init__(self, tmp_path: Path, device: str) -> None:
        hook = tmp_path / "hook"
        hook.mkdir()
        (hook / "sitecustomize.py").write_text(DUMPER, encoding="utf-8")
        self.modules_file = tmp_path / "modules.txt"
        self.log = tmp_path / "daemon.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))
        env["SMSD_TEST_MODULES"] = str(self.modules_file)
        env.pop("NOTIFY_SOCKET", None)
        self.process = daemon_process.start(
            _config(tmp_path, device), self.log, env=env, cwd=tmp_path
        )

    async def base_url(self) -> str:
        """Wait until the API listens and the phone is ready; return the API's URL."""
        deadline = time.monotonic() + 30
        address, ready = "", False
        while time.monotonic() < deadline and not (address and ready):
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            address = daemon_process.api_address(self.log) or ""
            ready = ready or any(
                e.get("event") == "modem_ready" for e in daemon_process.events(self.log)
            )
            await asyncio.sleep(0.05)
        assert address, self.log.read_text(errors="replace")
        assert ready, self.log.read_text(errors="replace")
        return "http://" + address.removeprefix("http://")

    async def modules(self) -> set[str]:
        """The daemon's ``sys.modules`` now."""
        self.modules_file.unlink(missing_ok=True)
        self.process.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 10
        while not self.modules_file.exists():
            assert time.monotonic() < deadline, "the daemon did not write its modules"
            await asyncio.sleep(0.02)
        return set(self.modules_file.read_text(encoding="utf-8").split())

    def parsers(self) -> int:
        """Argument parsers alive in the daemon at the last :meth:`modules`."""
        return int(self.modules_file.with_suffix(".txt.parsers").read_text(encoding="utf-8"))

    def stop(self) -> int:
        """SIGTERM; the exit status."""
        return daemon_process.stop(self.process)


@pytest.fixture
async def pty_modem():
    modem = PtyModem()
    await modem.start()
    yield modem
    await modem.stop()


@pytest.fixture
def daemon_on(tmp_path: Path):
    started: list[DaemonProcess] = []

    def start(device: str) -> DaemonProcess:
        daemon = DaemonProcess(tmp_path, device)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        assert daemon.stop() == 0, daemon.log.read_text(errors="replace")


async def _wait_submitted(modem: PtyModem, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(modem.modem.submitted) < count:
        assert time.monotonic() < deadline, "the message never reached the modem"
        await asyncio.sleep(0.05)


async def test_features_load_on_first_use_and_work(pty_modem: PtyModem, daemon_on) -> None:
    daemon = daemon_on(pty_modem.path)
    base = await daemon.base_url()
    headers = {"X-Api-Key": API_KEY}

    at_start = await daemon.modules()
    loaded = {name: why for name, why in NOT_AT_START.items() if name in at_start}
    assert not loaded, f"imported at start although unused: {loaded}"
    assert "smsd.api.docroute" in at_start  # the route is there; only its builder waits
    assert daemon.parsers() == 0  # `smsd run` keeps no command-line parser once parsed

    async with aiohttp.ClientSession(headers=headers) as http:
        # A plain message: sent without loading the template engine.
        async with http.post(
            f"{base}/api/scheduled/", data={"text": "plain", "numbers": "+33612345678"}
        ) as reply:
            assert reply.status == 201, await reply.text()
        await _wait_submitted(pty_modem, 1)
        assert pty_modem.modem.submitted[0].submit.text == "plain"
        assert "jinja2" not in await daemon.modules()

        # The OpenAPI document, built on request.
        async with http.get(f"{base}/api/openapi.json") as reply:
            document = await reply.json()
        assert "/api/scheduled/" in document["paths"]

        # A templated message: Jinja2's sandbox loads and renders it.
        async with http.post(
            f"{base}/api/scheduled/",
            data={
                "text": "Hello {{ contact.name }}",
                "numbers[0][number]": "+33612345679",
                "numbers[0][data]": json.dumps({"name": "Zoé"}),
            },
        ) as reply:
            assert reply.status == 201, await reply.text()
        await _wait_submitted(pty_modem, 2)
        assert pty_modem.modem.submitted[1].submit.text == "Hello Zoé"

        # A conditional group: the expression evaluator checks its condition.
        async with http.post(
            f"{base}/api/conditional_group/",
            data={"name": "adults", "condition": "contact.age > 17"},
        ) as reply:
            assert reply.status in {200, 201}, await reply.text()
        async with http.post(
            f"{base}/api/conditional_group/", data={"name": "broken", "condition": "contact.("}
        ) as reply:
            assert reply.status == 400, await reply.text()

        # The dashboard's log-in page, rendered by Jinja2 with escaping on.
        async with http.get(f"{base}/web/login") as reply:
            assert reply.status == 200
            assert "<form" in await reply.text()

    after = await daemon.modules()
    for name in (
        "smsd.api.openapi",
        "jinja2.sandbox",
        "smsd.templating.environment",
        "smsd.templating.expressions",
        "smsd.web.pages",
    ):
        assert name in after, name
    for name in ("aiomqtt", "aiosmtpd", "holidays", "smsd.modem.virtual", "hypothesis"):
        assert name not in after, name


async def test_each_door_loads_on_its_first_request(pty_modem: PtyModem, daemon_on) -> None:
    daemon = daemon_on(pty_modem.path)
    base = await daemon.base_url()
    doors = {
        "smspartner": {"smsd.api.smspartner.send", "smsd.api.smspartner.account"},
        "gatewaysms": {"smsd.api.gatewaysms.handlers"},
        "smsgateway24": {"smsd.api.smsgateway24.answers", "smsd.api.smsgateway24.devices"},
    }
    everything = set().union(*doors.values())
    assert not everything & await daemon.modules()

    async with aiohttp.ClientSession() as http:
        # SMSPartner: a send reaches the modem; the key check and the account call answer.
        async with http.post(
            f"{base}/v1/send",
            json={"apiKey": API_KEY, "phoneNumbers": "+33612345678", "message": "partner"},
        ) as reply:
            assert reply.status == 200, await reply.text()
            answer = await reply.json()
        assert answer["success"] is True, answer
        await _wait_submitted(pty_modem, 1)
        assert pty_modem.modem.submitted[0].submit.text == "partner"
        async with http.get(f"{base}/v1/me", params={"apiKey": "x" * 32}) as reply:
            assert reply.status == 400
            assert (await reply.json())["code"] == 10
        async with http.get(f"{base}/v1/me", params={"apiKey": API_KEY}) as reply:
            assert (await reply.json())["user"]["username"] == "ops@example.org"
        loaded = await daemon.modules()
        assert doors["smspartner"] <= loaded
        assert not (doors["gatewaysms"] | doors["smsgateway24"]) & loaded

        # Gateway SMS: a wrong bearer token is refused in the door's envelope; a send goes out.
        body = {"sender": "alberto", "body": "gateway", "recipients": "+33612345679"}
        wrong = {"Authorization": "Bearer " + "x" * 32}
        async with http.post(f"{base}/messages", json=body, headers=wrong) as reply:
            assert reply.status == 401
            assert (await reply.json())["success"] is False
        bearer = {"Authorization": f"Bearer {API_KEY}"}
        async with http.post(f"{base}/messages", json=body, headers=bearer) as reply:
            assert reply.status == 201, await reply.text()
            assert (await reply.json())["success"] is True
        await _wait_submitted(pty_modem, 2)
        assert pty_modem.modem.submitted[1].submit.text == "gateway"
        loaded = await daemon.modules()
        assert doors["gatewaysms"] <= loaded
        assert not doors["smsgateway24"] & loaded

        # SMSGateway24: the devices are the modems; a bad token gets the provider's error.
        url = f"{base}/getdata/getalldevices"
        async with http.get(url, params={"token": API_KEY}) as reply:
            devices = await reply.json()
        assert (devices["error"], devices["count"]) == (0, 1), devices
        async with http.get(url, params={"token": "nope"}) as reply:
            assert (await reply.json())["error"] == 1
        assert doors["smsgateway24"] <= await daemon.modules()


async def test_embedded_default_loads_the_virtual_modem_it_uses(daemon_on) -> None:
    daemon = daemon_on("virtual")
    await daemon.base_url()
    modules = await daemon.modules()
    assert "smsd.modem.virtual" in modules
    unused = {name for name in NOT_AT_START if name != "smsd.modem.virtual"} & modules
    assert not unused, unused


async def test_management_routes_load_on_first_request(pty_modem: PtyModem, daemon_on) -> None:
    daemon = daemon_on(pty_modem.path)
    base = await daemon.base_url()
    subjects = {
        "contacts": {"smsd.api.admin", "smsd.store.admin"},
        "stats": {"smsd.api.stats", "smsd.store.stats"},
        "phones": {"smsd.api.phones"},
        "features": {"smsd.api.features"},
        "rules": {"smsd.api.rules"},
    }
    order = list(subjects)
    assert not set().union(*subjects.values()) & await daemon.modules()

    async def loaded_so_far(done: str) -> None:
        # This subject's modules are loaded now; those of the subjects not used yet are not.
        modules = await daemon.modules()
        assert subjects[done] <= modules, done
        later = set().union(*(subjects[name] for name in order[order.index(done) + 1 :]))
        assert not later & modules, later & modules

    async with aiohttp.ClientSession(headers={"X-Api-Key": API_KEY}) as http:
        async with http.post(
            f"{base}/api/contact/", data={"name": "Zoé", "number": "+33612345678"}
        ) as reply:
            assert reply.status == 201, await reply.text()
            contact = (await reply.json())["response"]
        async with http.get(f"{base}/api/list/contact/") as reply:
            names = [row["name"] for row in (await reply.json())["response"]]
        assert names == ["Zoé"], contact
        await loaded_so_far("contacts")

        async with http.get(f"{base}/api/usage/") as reply:
            assert reply.status == 200, await reply.text()
            assert (await reply.json())["error"] == 0
        await loaded_so_far("stats")

        async with http.get(f"{base}/api/list/phone/") as reply:
            phone = (await reply.json())["response"][0]
        async with http.post(
            f"{base}/api/phone/{phone['id']}/status/force", data={"status": "disabled"}
        ) as reply:
            assert reply.status == 201, await reply.text()
        async with http.get(f"{base}/api/list/phone/") as reply:
            assert (await reply.json())["response"][0]["status"] == "disabled"
        await loaded_so_far("phones")

        async with http.post(f"{base}/api/smsstop", data={"number": "+33612345679"}) as reply:
            assert reply.status == 201, await reply.text()
        async with http.get(f"{base}/api/smsstop") as reply:
            stops = (await reply.json())["response"]
        assert [row["number"] for row in stops] == ["+33612345679"], stops
        await loaded_so_far("features")

        async with http.post(
            f"{base}/api/rule", data={"keyword": "INFO", "reply": "Open 9-17"}
        ) as reply:
            assert reply.status == 201, await reply.text()
        async with http.get(f"{base}/api/rule") as reply:
            rules = (await reply.json())["response"]
        assert len(rules) == 1, rules
        await loaded_so_far("rules")
