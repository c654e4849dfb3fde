"""``GET /metrics`` (Prometheus text format) and ``GET /health`` (JSON), outside the envelope.

Neither needs an API key: they are served on the API's listen address, loopback by default.
``/metrics`` writes the text exposition format 0.0.4 by hand (no client library):

- ``smsd_messages{state}``: outgoing messages by state (``queued`` … ``unknown``), from the store;
  ``smsd_scheduled_messages`` (not yet expanded), ``smsd_received_messages``, and
  ``smsd_queue_depth`` (messages waiting in ``queued``);
- per running phone (when the daemon runs the modems): ``smsd_modem_up``,
  ``smsd_modem_connected``, ``smsd_modem_registered``, ``smsd_modem_signal_dbm`` and
  ``smsd_modem_signal_rssi`` and ``smsd_sim_balance`` (absent while unknown),
  ``smsd_modem_info`` (status, registration, operator, manufacturer, model as labels) and the
  counters since the daemon started:
  ``smsd_segments_sent_total``, ``smsd_segment_send_failures_total``,
  ``smsd_sms_received_total``, ``smsd_status_reports_total``, ``smsd_modem_resets_total``;
- ``smsd_http_request_duration_seconds``: a histogram of API latency by method, route template
  (without the prefix and the trailing slash, so the label set stays small) and status code,
  measured by the :func:`request_latency` middleware;
- ``smsd_store_up`` (0 when the store did not answer) and ``smsd_build_info{version}``.

``/health`` answers ``{"status", "version", "store", "modems", "queue_depth"}``: HTTP 200 when
the store answers (``status`` ``ok``, or ``degraded`` when a running modem is not available),
HTTP 503 (``status`` ``down``) when it does not.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from smsd import __version__
from smsd.api.routing import Route
from smsd.api.state import CONFIG, DB, PHONES, PhoneSnapshot
from smsd.errors import StoreError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from smsd.api.routing import Handler
    from smsd.store.db import Database

__all__ = [
    "CONTENT_TYPE",
    "HTTP_METRICS",
    "LATENCY_BUCKETS",
    "MESSAGE_STATES",
    "ROUTES",
    "Exposition",
    "LatencyHistogram",
    "StoreFigures",
    "health",
    "metrics",
    "read_store_figures",
    "request_latency",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds (seconds) of the latency histogram's buckets; ``+Inf`` is implied."""
MESSAGE_STATES = ("queued", "sending", "sent", "delivered", "failed", "unknown")
STORE_TIMEOUT = 5.0
"""Seconds the store gets to answer a scrape or a health check before it counts as down."""
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_log = structlog.get_logger("smsd.api")


# ---------------------------------------------------------------------- exposition format


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


class Exposition:
    """Builds a text exposition: each family's ``# HELP`` and ``# TYPE``, then its samples."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        """Start the family ``name`` (``counter``, ``gauge``, ``histogram`` …)."""
        escaped = help_text.replace("\\", "\\\\").replace("\n", "\\n")
        self._lines.append(f"# HELP {name} {escaped}")
        self._lines.append(f"# TYPE {name} {kind}")

    def sample(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        """One sample of the current family."""
        if labels:
            inner = ",".join(f'{key}="{_escape_label(val)}"' for key, val in labels.items())
            name = f"{name}{{{inner}}}"
        self._lines.append(f"{name} {_number(value)}")

    def text(self) -> str:
        """The exposition text (ends with a newline)."""
        return "\n".join(self._lines) + "\n"


# ---------------------------------------------------------------------- request latency


@dataclass
class _Series:
    buckets: list[int]
    total: float = 0.0
    count: int = 0


@dataclass
class LatencyHistogram:
    """Request durations by ``(method, route, code)``, in cumulative buckets when written."""

    bounds: tuple[float, ...] = LATENCY_BUCKETS
    _series: dict[tuple[str, str, str], _Series] = field(default_factory=dict)

    def observe(self, seconds: float, *, method: str, route: str, code: int) -> None:
        """Count one request that took ``seconds``."""
        key = (method, route, str(code))
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series([0] * len(self.bounds))
        index = bisect.bisect_left(self.bounds, seconds)
        if index < len(self.bounds):
            series.buckets[index] += 1
        series.total += seconds
        series.count += 1

    def write(self, out: Exposition, name: str = "smsd_http_request_duration_seconds") -> None:
        """Write the family: ``_bucket`` (cumulative, with ``le``), ``_sum`` and ``_count``."""
        out.family(name, "histogram", "Time to answer an HTTP request of the API.")
        for (method, route, code), series in sorted(self._series.items()):
            labels = {"method": method, "route": route, "code": code}
            running = 0
            for bound, hits in zip(self.bounds, series.buckets, strict=True):
                running += hits
                out.sample(f"{name}_bucket", running, {**labels, "le": _number(bound)})
            out.sample(f"{name}_bucket", series.count, {**labels, "le": "+Inf"})
            out.sample(f"{name}_sum", series.total, labels)
            out.sample(f"{name}_count", series.count, labels)


HTTP_METRICS = web.AppKey("http_metrics", LatencyHistogram)


def _route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    path = resource.canonical
    prefix = request.app[CONFIG].prefix.rstrip("/")
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix) :]
    return path.rstrip("/") or "/"


@web.middleware
async def request_latency(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Time every request into the application's :data:`HTTP_METRICS` histogram."""
    histogram = request.app.get(HTTP_METRICS)
    if histogram is None:
        return await handler(request)
    started = time.perf_counter()
    code = 500
    try:
        response = await handler(request)
        code = response.status
    except web.HTTPException as exc:
        code = exc.status
        raise
    finally:
        method = request.method if request.method in _METHODS else "OTHER"
        elapsed = time.perf_counter() - started
        histogram.observe(elapsed, method=method, route=_route_label(request), code=code)
    return response


# ---------------------------------------------------------------------- store figures


@dataclass(frozen=True)
class StoreFigures:
    """What the store says about the queue, read in one go."""

    messages: dict[str, int]
    scheduled: int
    received: int

    @property
    def queue_depth(self) -> int:
        """Messages waiting to be sent (``queued``)."""
        return self.messages.get("queued", 0)


async def read_store_figures(db: Database) -> StoreFigures:
    """Count messages by state, pending scheduled messages and received messages."""
    by_state = dict.fromkeys(MESSAGE_STATES, 0)
    for found in await db.fetchall("SELECT state, count(*) AS n FROM sended GROUP BY state"):
        by_state[str(found["state"])] = int(found["n"])
    totals = await db.fetchone(
        "SELECT (SELECT count(*) FROM scheduled WHERE expanded_at IS NULL) AS scheduled, "
        "(SELECT count(*) FROM received) AS received"
    )
    if totals is None:  # pragma: no cover - a SELECT without FROM always yields one row
        raise StoreError("the store returned no totals")
    return StoreFigures(by_state, int(totals["scheduled"]), int(totals["received"]))


async def _figures(request: web.Request) -> StoreFigures | None:
    try:
        async with asyncio.timeout(STORE_TIMEOUT):
            return await read_store_figures(request.app[DB])
    except (StoreError, TimeoutError) as exc:
        _log.warning("store_unanswered", path=request.path, error=str(exc) or type(exc).__name__)
        return None


def _snapshots(request: web.Request) -> Sequence[PhoneSnapshot]:
    phones = request.app.get(PHONES)
    return () if phones is None else phones.snapshot()


# ---------------------------------------------------------------------- /metrics


def _write_store(out: Exposition, figures: StoreFigures | None) -> None:
    out.family("smsd_store_up", "gauge", "1 when the store answered this scrape, else 0.")
    out.sample("smsd_store_up", 0 if figures is None else 1)
    if figures is None:
        return
    out.family("smsd_messages", "gauge", "Outgoing messages by state.")
    for state, count in figures.messages.items():
        out.sample("smsd_messages", count, {"state": state})
    out.family("smsd_queue_depth", "gauge", "Outgoing messages waiting to be sent.")
    out.sample("smsd_queue_depth", figures.queue_depth)
    out.family("smsd_scheduled_messages", "gauge", "Scheduled messages not yet expanded.")
    out.sample("smsd_scheduled_messages", figures.scheduled)
    out.family("smsd_received_messages", "gauge", "Received messages in the store.")
    out.sample("smsd_received_messages", figures.received)


Reading = Callable[[PhoneSnapshot], float | None]
_PHONE_GAUGES: tuple[tuple[str, str, Reading], ...] = (
    ("smsd_modem_up", "1 when the phone can send now (connected, registered, within limits).",
     lambda s: int(s.available)),
    ("smsd_modem_connected", "1 when the modem answers on its port.",
     lambda s: int(s.connected)),
    ("smsd_modem_registered", "1 when the modem is registered on a network.",
     lambda s: int(s.registered)),
    ("smsd_modem_signal_dbm", "Received signal strength (dBm, from +CSQ).",
     lambda s: s.signal_dbm),
    ("smsd_modem_signal_rssi", "Raw +CSQ <rssi> value (0-31, 100-191).",
     lambda s: s.rssi),
    ("smsd_sim_balance", "SIM balance as the balance watch last read it (balance_ussd).",
     lambda s: s.balance),
)  # fmt: skip
_PHONE_COUNTERS: tuple[tuple[str, str, Reading], ...] = (
    ("smsd_segments_sent_total", "SMS segments submitted since the daemon started.",
     lambda s: s.segments_sent),
    ("smsd_segment_send_failures_total", "Failed submissions since the daemon started.",
     lambda s: s.send_failures),
    ("smsd_sms_received_total", "SMS segments received since the daemon started.",
     lambda s: s.received),
    ("smsd_status_reports_total", "Status reports received since the daemon started.",
     lambda s: s.status_reports),
    ("smsd_modem_resets_total", "Times the modem connection was rebuilt since the daemon started.",
     lambda s: s.resets),
)  # fmt: skip


def _write_readings(
    out: Exposition,
    kind: str,
    readings: Iterable[tuple[str, str, Reading]],
    snaps: list[PhoneSnapshot],
) -> None:
    for name, help_text, read in readings:
        out.family(name, kind, help_text)
        for snap in snaps:
            value = read(snap)
            if value is not None:  # an unknown signal is left out, not written as 0
                out.sample(name, value, {"phone": snap.name})


def _write_phones(out: Exposition, phones: Iterable[PhoneSnapshot]) -> None:
    snaps = list(phones)
    _write_readings(out, "gauge", _PHONE_GAUGES, snaps)
    out.family("smsd_modem_info", "gauge", "The modem's status, registration and identity.")
    for snap in snaps:
        labels = {
            "phone": snap.name,
            "status": snap.status,
            "registration": snap.registration,
            "operator": snap.operator,
            "manufacturer": snap.manufacturer,
            "model": snap.model,
        }
        out.sample("smsd_modem_info", 1, labels)
    _write_readings(out, "counter", _PHONE_COUNTERS, snaps)


async def metrics(request: web.Request) -> web.Response:
    """The Prometheus text exposition of the daemon's state."""
    out = Exposition()
    out.family("smsd_build_info", "gauge", "The running smsd version.")
    out.sample("smsd_build_info", 1, {"version": __version__})
    _write_store(out, await _figures(request))
    _write_phones(out, _snapshots(request))
    histogram = request.app.get(HTTP_METRICS)
    if histogram is not None:
        histogram.write(out)
    return web.Response(
        body=out.text().encode(),
        headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"},
    )


# ---------------------------------------------------------------------- /health


async def health(request: web.Request) -> web.Response:
    """Store, modems and queue at a glance; HTTP 503 when the store does not answer."""
    figures = await _figures(request)
    snaps = _snapshots(request)
    up = sum(1 for snap in snaps if snap.available)
    if figures is None:
        status = "down"
    elif up < len(snaps):
        status = "degraded"
    else:
        status = "ok"
    document = {
        "status": status,
        "version": __version__,
        "store": {"ok": figures is not None},
        "modems": {
            "up": up,
            "total": len(snaps),
            "phones": [
                {
                    "name": snap.name,
                    "status": snap.status,
                    "signal_dbm": snap.signal_dbm,
                    "balance": snap.balance,
                    "balance_low": snap.balance_low,
                }
                for snap in snaps
            ],
        },
        "queue_depth": None if figures is None else figures.queue_depth,
    }
    return web.Response(
        text=json.dumps(document),
        status=503 if figures is None else 200,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


ROUTES = (
    Route(
        "GET",
        "/metrics",
        metrics,
        "Prometheus metrics (text format 0.0.4; no API key)",
        auth=False,
        tag="smsd",
        description="Messages by state, queue depth, modem signal and registration, "
        "segments sent per phone, API latency.",
    ),
    Route(
        "GET",
        "/health",
        health,
        "Health: store, modems up/total, queue depth (no API key; 503 when the store fails)",
        auth=False,
        tag="smsd",
    ),
)
