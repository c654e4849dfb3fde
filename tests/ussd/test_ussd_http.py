"""The USSD routes over loopback HTTP, served by the real app over an engine whose phone is a
virtual modem on a pseudo-terminal: balance, a menu walked in two replies, polling, a timeout,
a cancel, the list, the errors, and the balance in /metrics, /health and the phone list."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest
from aiohttp import web

from smsd.api.app import make_app
from smsd.config import ApiConfig, PhoneConfig
from smsd.daemon import DaemonPhones
from smsd.modem.virtual import PtyModem, VirtualModem
from smsd.runtime.engine import Engine
from smsd.store import accounts
from smsd.store.db import Database

KEY = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
FAST = {"health_interval": 1.0, "poll_interval": 5.0, "command_timeout": 1.0}


class Served:
    def __init__(self, url: str, virtual: VirtualModem, engine: Engine, id_phone: int) -> None:
        self.url, self.virtual, self.engine, self.id_phone = url, virtual, engine, id_phone

    async def call(self, session, method, path, key=KEY, **data):
        async with session.request(
            method, self.url + path, data=data or None, headers={"X-Api-Key": key}
        ) as reply:
            return reply.status, await reply.json(content_type=None)


@pytest.fixture
async def served(tmp_path):
    db = await Database.open(tmp_path / "smsd.sqlite3")
    id_user = await accounts.ensure_user(db, email="a@example.org", api_key=KEY, admin=True)
    await accounts.ensure_user(db, email="b@example.org", api_key=OTHER)
    engine = Engine(db, id_user=id_user)
    virtual = VirtualModem(name="v1")
    virtual.ussd.delay = 0.05
    pty = PtyModem(virtual)
    path = await pty.start()
    phone = await engine.add_phone(
        PhoneConfig(
            name="v1", device=path, ussd_timeout=1.5, balance_ussd="*100#",
            balance_interval=3600, balance_min=5, **FAST,
        )
    )  # fmt: skip
    await asyncio.wait_for(phone.modem.ready.wait(), timeout=10)
    app = make_app(
        ApiConfig(), db, engine.wake, phones=DaemonPhones(db, engine, {"v1"}), ussd=engine.ussd
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Served(f"http://{host}:{port}", virtual, engine, phone.id_phone)
    finally:
        await runner.cleanup()
        await engine.close()
        await pty.stop()
        await db.close()


async def test_balance_menu_poll_timeout_cancel_and_list(served) -> None:  # noqa: PLR0915 - one walk
    async with aiohttp.ClientSession() as http:
        status, doc = await served.call(
            http, "POST", "/api/ussd/", id_phone=served.id_phone, code="*100#"
        )
        assert (status, doc["error"]) == (201, 0), doc
        balance = doc["response"]
        assert (balance["status"], balance["answer"]) == ("done", "Your balance is 12,50 EUR.")
        assert balance["waiting_reply"] is False
        assert balance["code"] == "*100#"

        status, doc = await served.call(
            http, "POST", "/api/ussd", id_phone=served.id_phone, code="*123#"
        )
        menu = doc["response"]
        assert (menu["status"], menu["waiting_reply"]) == ("waiting_reply", True)
        assert menu["answer"] == "Menu:\n1 Balance\n2 Data"
        # a second session on the same phone waits its turn: refused while this one stays open
        status, doc = await served.call(
            http, "POST", "/api/ussd/", id_phone=served.id_phone, code="*100#", wait="0.2"
        )
        assert (status, doc["error"]) == (400, 8)
        status, doc = await served.call(http, "POST", f"/api/ussd/{menu['id']}/", reply="2")
        assert doc["response"]["answer"] == "Data:\n1 Buy 1 GB\n2 Remaining"
        status, doc = await served.call(http, "POST", f"/api/ussd/{menu['id']}/", reply="1")
        leaf = doc["response"]
        assert (leaf["status"], leaf["answer"]) == ("done", "1 GB added to your plan.")
        assert [s["request"] for s in leaf["steps"]] == ["*123#", "2", "1"]

        # wait=0: the session comes back pending and is polled
        served.virtual.ussd.delay = 0.3
        status, doc = await served.call(
            http, "POST", "/api/ussd/", id_phone=served.id_phone, code="*100#", wait="0"
        )
        pending = doc["response"]
        assert pending["status"] == "pending"
        for _ in range(100):
            status, doc = await served.call(http, "GET", f"/api/ussd/{pending['id']}/")
            if doc["response"]["status"] != "pending":
                break
            await asyncio.sleep(0.05)
        assert doc["response"]["answer"] == "Your balance is 12,50 EUR."

        # the network stays silent: cancelled after ussd_timeout, and said so
        status, doc = await served.call(
            http, "POST", "/api/ussd/", id_phone=served.id_phone, code="*999#"
        )
        silent = doc["response"]
        assert silent["status"] == "timeout"
        assert "cancelled" in silent["error"]
        assert served.virtual.ussd.cancels >= 1

        # a menu nobody answers is cancelled too; one cancelled on request says so
        status, doc = await served.call(
            http, "POST", "/api/ussd/", id_phone=served.id_phone, code="*123#"
        )
        cancelled = doc["response"]["id"]
        status, doc = await served.call(http, "DELETE", f"/api/ussd/{cancelled}/")
        assert (status, doc) == (204, None)
        status, doc = await served.call(http, "GET", f"/api/ussd/{cancelled}/")
        assert (doc["response"]["status"], doc["response"]["error"]) == (
            "cancelled", "cancelled on request",
        )  # fmt: skip
        status, doc = await served.call(
            http, "POST", "/api/ussd/", id_phone=served.id_phone, code="*123#"
        )
        forgotten = doc["response"]["id"]
        await asyncio.sleep(2.5)
        status, doc = await served.call(http, "GET", f"/api/ussd/{forgotten}/")
        assert doc["response"]["status"] == "timeout"
        assert "no reply" in doc["response"]["error"]

        status, doc = await served.call(
            http, "POST", "/api/ussd/", id_phone=served.id_phone, code="*404#"
        )
        assert doc["response"]["status"] == "not_supported"

        status, doc = await served.call(http, "GET", "/api/list/ussd/")
        rows = doc["response"]
        assert status == 200
        api_rows = [r for r in rows if r["origin"] == "api"]
        assert [r["status"] for r in api_rows] == [
            "done", "done", "done", "timeout", "cancelled", "timeout", "not_supported",
        ]  # fmt: skip
        assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


async def test_errors_in_the_envelope(served) -> None:
    async with aiohttp.ClientSession() as http:
        status, doc = await served.call(http, "POST", "/api/ussd/", id_phone=served.id_phone)
        assert (status, doc["error"]) == (400, 4)
        status, doc = await served.call(http, "POST", "/api/ussd/", code="*100#")
        assert (status, doc["error"]) == (400, 4)
        status, doc = await served.call(
            http, "POST", "/api/ussd/", id_phone=served.id_phone, code='*1"#'
        )
        assert (status, doc["error"]) == (400, 2)  # refused before any session or modem
        assert doc["message"].startswith("You have specified an invalid parameter : code : ")
        status, doc = await served.call(
            http, "POST", "/api/ussd/", id_phone=served.id_phone, code="*100#", wait="-1"
        )
        assert (status, doc["error"]) == (400, 2)
        status, doc = await served.call(http, "POST", "/api/ussd/", id_phone=999, code="*100#")
        assert (status, doc["error"]) == (400, 8)
        # another user's phone and sessions are not theirs
        status, doc = await served.call(
            http, "POST", "/api/ussd/", key=OTHER, id_phone=served.id_phone, code="*100#"
        )
        assert (status, doc["error"]) == (400, 8)
        status, doc = await served.call(http, "GET", "/api/ussd/1/", key=OTHER)
        assert (status, doc["error"]) == (404, 2)
        status, doc = await served.call(http, "POST", "/api/ussd/1/", reply="1")
        assert (status, doc["error"]) == (400, 8)
        status, doc = await served.call(http, "DELETE", "/api/ussd/12345/")
        assert (status, doc["error"]) == (400, 32)
        status, doc = await served.call(http, "GET", "/api/openapi.json")
        paths = doc if "paths" in doc else doc.get("response", {})
        assert any("/api/ussd" in p for p in paths["paths"])


async def test_balance_in_metrics_health_and_phone_list(served) -> None:
    phone = served.engine.phones["v1"]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            while phone.balance.amount is None:
                await asyncio.sleep(0.05)
    assert phone.balance.amount == 12.5
    async with aiohttp.ClientSession() as http:
        async with http.get(served.url + "/metrics") as reply:
            lines = (await reply.text()).splitlines()
        assert 'smsd_sim_balance{phone="v1"} 12.5' in lines
        async with http.get(served.url + "/health") as reply:
            health = await reply.json()
        assert health["modems"]["phones"][0]["balance"] == 12.5
        assert health["modems"]["phones"][0]["balance_low"] is False
        _status, doc = await served.call(http, "GET", "/api/list/phone/")
        assert doc["response"][0]["balance"] == 12.5
