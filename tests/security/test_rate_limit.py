"""Guessing keys is rate limited per client address, and refused keys are logged without them."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs
from support.security_rig import KEY_A, A, call, serve, store

from smsd.api.auth import FailureLimiter
from smsd.config import ApiConfig

WRONG = "0" * 32


async def test_ten_unknown_keys_then_429_even_for_the_right_key(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, _a, _b), serve(db) as client:
        with capture_logs() as logs:
            for _ in range(10):
                status, body = await call(
                    client, "GET", "/api/usage/", headers={"X-Api-Key": WRONG}
                )
                assert (status, body["error"]) == (401, 1)
            for headers in ({"X-Api-Key": WRONG}, A, {"X-Api-Key": WRONG}):
                status, body = await call(client, "GET", "/api/usage/", headers=headers)
                assert status == 429
                assert body["error"] == 1
                assert "Too many failed authentications from this address" in body["message"]
                assert "retry in" in body["message"]
                assert set(body) == {"error", "message", "response", "next", "prev"}
        failed = [e for e in logs if e["event"] == "api_auth_failed"]
        blocked = [e for e in logs if e["event"] == "api_auth_blocked"]
        assert len(failed) == 10
        assert {e["reason"] for e in failed} == {"unknown key"}
        assert all(e["client"] == "127.0.0.1" for e in failed)
        assert len(blocked) == 1  # logged once per block, not per refused request
        assert WRONG not in repr(logs)
        assert KEY_A not in repr(logs)


async def test_missing_keys_and_valid_keys_do_not_count(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, _a, _b), serve(db) as client:
        for _ in range(30):
            assert (await call(client, "GET", "/api/usage/"))[0] == 401
            assert (await call(client, "GET", "/api/usage/", headers=A))[0] == 200
        assert (await call(client, "GET", "/api/usage/", headers=A))[0] == 200


async def test_the_limit_is_configurable_and_can_be_off(tmp_path) -> None:
    async with store(tmp_path / "s.sqlite3") as (db, _a, _b):
        async with serve(db, ApiConfig(max_auth_failures=2)) as client:
            for _ in range(2):
                assert (await call(client, "GET", "/api/usage/", params={"api_key": WRONG}))[
                    0
                ] == 401
            assert (await call(client, "GET", "/api/usage/", headers=A))[0] == 429
        async with serve(db, ApiConfig(max_auth_failures=0)) as client:
            for _ in range(50):
                assert (await call(client, "GET", "/api/usage/", params={"api_key": WRONG}))[
                    0
                ] == 401
            assert (await call(client, "GET", "/api/usage/", headers=A))[0] == 200


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_and_addresses_are_independent() -> None:
    clock = Clock()
    limiter = FailureLimiter(3, 60.0, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("10.0.0.1") == 0.0
        limiter.fail("10.0.0.1")
        clock.now += 10
    assert limiter.retry_after("10.0.0.1") == pytest.approx(30.0)  # oldest failure at 1000
    assert limiter.retry_after("10.0.0.2") == 0.0
    clock.now = 1060.0  # the first failure leaves the window
    assert limiter.retry_after("10.0.0.1") == 0.0
    limiter.fail("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == pytest.approx(10.0)  # oldest now at 1010
    clock.now = 2000.0
    assert limiter.retry_after("10.0.0.1") == 0.0
    assert len(limiter) == 0  # expired entries are dropped


def test_memory_is_bounded_under_many_addresses() -> None:
    clock = Clock()
    limiter = FailureLimiter(10, 60.0, max_clients=100, clock=clock)
    for n in range(10_000):
        for _ in range(20):
            limiter.fail(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert len(limiter) == 100
    assert limiter.retry_after("10.0.39.15") > 0  # the last address is still tracked


def test_first_refusal_is_reported_once_per_block() -> None:
    clock = Clock()
    limiter = FailureLimiter(1, 60.0, clock=clock)
    assert limiter.first_refusal("x") is False
    limiter.fail("x")
    assert limiter.first_refusal("x") is True
    assert limiter.first_refusal("x") is False
    clock.now += 61
    limiter.fail("x")
    assert limiter.first_refusal("x") is True


@pytest.mark.parametrize(("limit", "window", "clients"), [(0, 60.0, 1), (1, 0.0, 1), (1, 1.0, 0)])
def test_bad_limiter_settings_are_refused(limit, window, clients) -> None:
    with pytest.raises(ValueError, match="must be"):
        FailureLimiter(limit, window, max_clients=clients)
