"""``GET /metrics`` (Prometheus text format) and ``GET /health`` over loopback HTTP."""

from __future__ import annotations

import json
import math
import re

import pytest
from http_helpers import add_sended
from support.http_app import KEY_A, serve
from support.store import add_phone

from smsd.api.metrics import CONTENT_TYPE, Exposition, LatencyHistogram
from smsd.api.state import PhoneSnapshot
from smsd.store.db import Database

SAMPLE = re.compile(
    r'(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>(?:[a-zA-Z_]\w*="(?:[^"\\\n]|\\.)*",?)*)\})?'
    r" (?P<value>-?[0-9.e+-]+|NaN|\+Inf|-Inf)"
)
LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')


def parse(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Parse an exposition strictly: HELP and TYPE before each family's samples."""
    assert text.endswith("\n")
    families: dict[str, list[tuple[dict[str, str], float]]] = {}
    types: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            current = line.split()[2]
            assert current not in families, f"family {current} twice"
            families[current] = []
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert name == current
            types[name] = kind
        else:
            match = SAMPLE.fullmatch(line)
            assert match, line
            name = match["name"]
            assert name == current or name.startswith(current + "_"), (name, current)
            labels = dict(LABEL.findall(match["labels"] or ""))
            families[current].append(({"__name__": name, **labels}, float(match["value"])))
    return families


def values(families, family: str, **labels: str) -> list[float]:
    return [
        value
        for found, value in families[family]
        if all(found.get(key) == wanted for key, wanted in labels.items())
    ]


class FakePhones:
    def __init__(self, snaps: list[PhoneSnapshot]) -> None:
        self.snaps = snaps

    async def apply(self, id_phone: int) -> None:
        raise AssertionError(f"phone {id_phone} is not started by these tests")

    def status(self, id_phone: int) -> str | None:
        return next((s.status for s in self.snaps if s.id_phone == id_phone), None)

    def snapshot(self) -> list[PhoneSnapshot]:
        return self.snaps


UP = PhoneSnapshot(
    id_phone=1,
    name="dongle-1",
    status="available",
    available=True,
    connected=True,
    registered=True,
    registration="registered_home",
    operator='Orange "F"',
    rssi=20,
    signal_dbm=-73,
    manufacturer="huawei",
    model="E3372",
    segments_sent=7,
    send_failures=1,
    received=3,
    status_reports=2,
    resets=1,
)
DOWN = PhoneSnapshot(
    id_phone=2,
    name="dongle-2",
    status="unavailable",
    available=False,
    connected=False,
    registered=False,
)


async def scrape(client) -> dict:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE
    return parse(await response.text())


async def test_metrics_need_no_key_and_count_messages_by_state(db, users) -> None:
    id_phone = await add_phone(db, users[0], "dongle-1")
    for state in ("queued", "queued", "sent", "delivered", "failed"):
        await add_sended(db, users[0], id_phone, "+33612345678", state=state)
    await add_sended(db, users[1], None, "+33612345678", state="queued")
    async with serve(db) as client:
        families = await scrape(client)
    assert values(families, "smsd_messages", state="queued") == [3]
    assert values(families, "smsd_messages", state="sent") == [1]
    assert values(families, "smsd_messages", state="sending") == [0]
    assert values(families, "smsd_queue_depth") == [3]
    assert values(families, "smsd_store_up") == [1]
    assert values(families, "smsd_received_messages") == [0]
    assert values(families, "smsd_scheduled_messages") == [0]
    assert len(values(families, "smsd_build_info")) == 1


async def test_metrics_show_each_running_modem(db, users) -> None:
    async with serve(db, phones=FakePhones([UP, DOWN])) as client:
        families = await scrape(client)
    assert values(families, "smsd_modem_up", phone="dongle-1") == [1]
    assert values(families, "smsd_modem_up", phone="dongle-2") == [0]
    assert values(families, "smsd_modem_registered", phone="dongle-2") == [0]
    assert values(families, "smsd_modem_signal_dbm", phone="dongle-1") == [-73]
    assert values(families, "smsd_modem_signal_dbm", phone="dongle-2") == []  # unknown: absent
    assert values(families, "smsd_segments_sent_total", phone="dongle-1") == [7]
    assert values(families, "smsd_segments_sent_total", phone="dongle-2") == [0]
    assert values(families, "smsd_modem_resets_total", phone="dongle-1") == [1]
    info = [labels for labels, _ in families["smsd_modem_info"] if labels["phone"] == "dongle-1"]
    assert info[0]["operator"] == 'Orange \\"F\\"'  # escaped in the text format
    assert info[0]["registration"] == "registered_home"


async def test_latency_histogram_by_route_template(db, users) -> None:
    async with serve(db) as client:
        for path in ("/api/list/received", "/raspisms/api/list/sended/", "/api/list/phone/"):
            response = await client.get(path, headers={"X-Api-Key": KEY_A})
            assert response.status == 200
        assert (await client.get("/api/list/received")).status == 401
        assert (await client.get("/no/such/thing")).status == 404
        families = await scrape(client)
    name = "smsd_http_request_duration_seconds"
    route = "/api/list/{entry_type}"
    counts = values(families, name, __name__=f"{name}_count", method="GET", route=route)
    assert sorted(counts) == [1, 3]  # 200 three times (prefix and slash folded), 401 once
    assert values(families, name, __name__=f"{name}_count", route=route, code="401") == [1]
    assert values(families, name, __name__=f"{name}_count", route="unmatched", code="404") == [1]
    buckets = [
        (labels["le"], value)
        for labels, value in families[name]
        if labels["__name__"] == f"{name}_bucket" and labels["code"] == "200"
    ]
    assert buckets[-1] == ("+Inf", 3)
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)  # cumulative


async def test_health_ok_and_degraded(db, users) -> None:
    await add_sended(db, users[0], None, "+33612345678", state="queued")
    async with serve(db, phones=FakePhones([UP])) as client:
        response = await client.get("/health")
        assert response.status == 200
        document = json.loads(await response.text())
    assert document["status"] == "ok"
    assert document["store"] == {"ok": True}
    assert (document["modems"]["up"], document["modems"]["total"]) == (1, 1)
    assert document["queue_depth"] == 1
    async with serve(db, phones=FakePhones([UP, DOWN])) as client:
        response = await client.get("/health/")
        document = json.loads(await response.text())
    assert (response.status, document["status"]) == (200, "degraded")
    assert document["modems"]["phones"][1] == {
        "name": "dongle-2",
        "status": "unavailable",
        "signal_dbm": None,
        "balance": None,
        "balance_low": False,
    }


async def test_health_503_and_store_down_when_the_store_fails(tmp_path) -> None:
    db = await Database.open(tmp_path / "gone.sqlite3")
    async with serve(db) as client:
        await db.close()
        response = await client.get("/health")
        document = json.loads(await response.text())
        families = await scrape(client)
    assert response.status == 503
    assert document["status"] == "down"
    assert document["store"] == {"ok": False}
    assert document["queue_depth"] is None
    assert values(families, "smsd_store_up") == [0]
    assert "smsd_messages" not in families


async def test_head_answers_without_a_body(client) -> None:
    response = await client.head("/metrics")
    assert response.status == 200
    assert await response.read() == b""


# ---------------------------------------------------------------------- the format itself


def test_exposition_escapes_and_formats() -> None:
    out = Exposition()
    out.family("x_total", "counter", "Help with \\ and\nnewline.")
    out.sample("x_total", 3, {"a": 'q"b\\c\nd'})
    out.sample("x_total", 0.25)
    out.sample("x_total", math.inf)
    out.sample("x_total", -math.inf)
    out.sample("x_total", math.nan)
    assert out.text().splitlines() == [
        "# HELP x_total Help with \\\\ and\\nnewline.",
        "# TYPE x_total counter",
        'x_total{a="q\\"b\\\\c\\nd"} 3',
        "x_total 0.25",
        "x_total +Inf",
        "x_total -Inf",
        "x_total NaN",
    ]


@pytest.mark.parametrize(
    ("seconds", "first_bucket"),
    [(0.0, 0.005), (0.005, 0.005), (0.0051, 0.01), (10.0, 10.0), (11.0, None)],
)
def test_histogram_bucket_bounds_are_inclusive(seconds, first_bucket) -> None:
    histogram = LatencyHistogram()
    histogram.observe(seconds, method="GET", route="/x", code=200)
    out = Exposition()
    histogram.write(out, "h")
    families = parse(out.text())
    buckets = {
        labels["le"]: value for labels, value in families["h"] if labels["__name__"] == "h_bucket"
    }
    hit = [le for le, value in buckets.items() if value == 1]
    assert hit[0] == ("+Inf" if first_bucket is None else repr(first_bucket))
    assert values(families, "h", __name__="h_sum") == [seconds]
