"""The reliability watch task: periodic runs, the disable hook, store faults."""

from __future__ import annotations

import asyncio
import contextlib
import math

import pytest
from reliability_helpers import NOW, add_hook, events, mix, phone_status, setting
from structlog.testing import capture_logs
from support.polling import until
from support.store import add_phone

from smsd.errors import StoreError
from smsd.runtime.reliability import INTERVAL, ReliabilityWatch


@contextlib.asynccontextmanager
async def running(watch: ReliabilityWatch):
    task = asyncio.create_task(watch.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.parametrize("interval", [0.0, -1.0, math.inf, math.nan])
def test_bad_interval_is_refused(db, interval) -> None:
    with pytest.raises(ValueError, match="interval"):
        ReliabilityWatch(db, interval=interval)


def test_default_interval_is_a_minute() -> None:
    assert INTERVAL == 60.0


async def test_check_once_returns_committed_alerts(db, user, phone) -> None:
    await add_hook(db, user)
    await mix(db, user, phone, failed=25)
    watch = ReliabilityWatch(db, clock=lambda: NOW)
    with capture_logs() as logs:
        [alert] = await watch.check_once()
    assert (alert.id_phone, alert.type.value, alert.events) == (phone, "failed", 1)
    assert await watch.check_once() == []
    assert watch.runs == 2
    [entry] = [e for e in logs if e["event"] == "phone_unreliable"]
    assert entry["id_phone"] == phone
    assert entry["rate"] == 1.0
    assert entry["log_level"] == "warning"


async def test_on_disable_gets_each_disabled_phone(db, user, phone) -> None:
    other = await add_phone(db, user, "m2")
    quiet = await add_phone(db, user, "m3")
    await setting(db, user, "phone_reliability_failed_auto_disable", "1")
    await mix(db, user, phone, failed=25)
    await mix(db, user, other, failed=25)
    await mix(db, user, quiet, delivered=25)
    seen: list[tuple[int, str]] = []

    async def hook(id_phone: int) -> None:
        # Called after the commit: the stored row already says disabled.
        seen.append((id_phone, await phone_status(db, id_phone)))

    watch = ReliabilityWatch(db, clock=lambda: NOW, on_disable=hook)
    alerts = await watch.check_once()
    assert [a.disabled for a in alerts] == [True, True]
    assert seen == [(phone, "disabled"), (other, "disabled")]
    assert await phone_status(db, quiet) == "available"


async def test_no_hook_call_without_auto_disable(db, user, phone) -> None:
    await mix(db, user, phone, failed=25)
    calls: list[int] = []

    async def hook(id_phone: int) -> None:
        calls.append(id_phone)

    await ReliabilityWatch(db, clock=lambda: NOW, on_disable=hook).check_once()
    assert calls == []


async def test_failing_hook_is_logged_and_others_still_run(db, user, phone) -> None:
    other = await add_phone(db, user, "m2")
    await setting(db, user, "phone_reliability_failed_auto_disable", "1")
    await mix(db, user, phone, failed=25)
    await mix(db, user, other, failed=25)
    calls: list[int] = []

    async def hook(id_phone: int) -> None:
        calls.append(id_phone)
        if id_phone == phone:
            raise RuntimeError("modem stuck")

    watch = ReliabilityWatch(db, clock=lambda: NOW, on_disable=hook)
    with capture_logs() as logs:
        assert len(await watch.check_once()) == 2
    assert calls == [phone, other]
    assert [e["id_phone"] for e in logs if e["event"] == "phone_disable_failed"] == [phone]


async def test_run_checks_periodically(db, user, phone) -> None:
    await add_hook(db, user)
    clock = [NOW]
    watch = ReliabilityWatch(db, clock=lambda: clock[0], interval=0.02)
    async with running(watch):
        await until(lambda: watch.runs >= 1)
        assert await events(db) == []
        await mix(db, user, phone, failed=25)
        await until(lambda: watch.runs >= 3)
        async with asyncio.timeout(20):
            while not await events(db):
                await asyncio.sleep(0.01)
        # Later runs see the alert recorded and add nothing.
        start = watch.runs
        await until(lambda: watch.runs >= start + 3)
    assert len(await events(db)) == 1


async def test_run_survives_store_faults(db, user, phone) -> None:
    watch = ReliabilityWatch(db, clock=lambda: NOW, interval=0.02)
    await db.close()
    with pytest.raises(StoreError):
        await watch.check_once()
    with capture_logs() as logs:
        async with running(watch) as task:
            await until(lambda: sum(e["event"] == "reliability_check_failed" for e in logs) >= 2)
            assert not task.done()
    assert watch.runs == 0


async def test_run_survives_a_failing_run(db, user, phone) -> None:
    calls = [0]

    def clock() -> float:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("clock broke")
        return NOW

    await mix(db, user, phone, failed=25)
    watch = ReliabilityWatch(db, clock=clock, interval=0.02)
    with capture_logs() as logs:
        async with running(watch):
            await until(lambda: watch.runs >= 1)
    assert [e["event"] for e in logs if e["event"].startswith("reliability")] == [
        "reliability_check_crashed"
    ]
    assert len([e for e in logs if e["event"] == "phone_unreliable"]) == 1
