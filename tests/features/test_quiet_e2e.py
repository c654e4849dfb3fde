"""Quiet hours through the daemon: a commercial message posted inside the quiet window is held,
listed with its new time and reason, and goes out once the window is moved; other messages
are never held."""

from __future__ import annotations

import time

from support.polling import until


def _window(covering_now: bool) -> str:
    """A [quiet_hours] section whose window covers (or avoids) the current local time."""
    hour = time.localtime().tm_hour
    if covering_now:
        start, end = (hour - 1) % 24, (hour + 2) % 24
    else:
        start, end = (hour + 3) % 24, (hour + 4) % 24
    return (
        "[quiet_hours]\n"
        f'start = "{start:02d}:00"\nend = "{end:02d}:00"\n'
        'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\ncountry = ""\n'
    )


async def test_commercial_message_waits_for_the_window_to_move(rig) -> None:
    await rig.start(_window(covering_now=True))
    promo = await rig.call(
        "POST", "/api/scheduled/", 201,
        data={"text": "Promo", "numbers[]": "+33612345670", "commercial": "1"},
    )  # fmt: skip
    await rig.call(
        "POST", "/api/scheduled/", 201, data={"text": "Code 1234", "numbers[]": "+33612345671"}
    )

    async def held() -> bool:
        rows = await rig.call("GET", "/api/list/scheduled/", 200)
        return any(r["id"] == promo and r["deferred_to"] for r in rows)

    await until(held)
    await until(lambda: ("+33612345671", "Code 1234") in rig.wire())
    [row] = await rig.call("GET", "/api/list/scheduled/", 200)
    assert row["commercial"] == 1
    assert row["deferred_reason"].startswith("quiet hours ")
    assert f"held until {row['deferred_to']}" in row["deferred_reason"]
    assert row["deferred_to"] > row["at"]
    assert ("+33612345670", "Promo") not in rig.wire()
    await rig.stop_daemon()
    await rig.start(_window(covering_now=False))
    await until(lambda: ("+33612345670", "Promo") in rig.wire())
    assert await rig.call("GET", "/api/list/scheduled/", 200) == []


async def test_a_reload_with_a_moved_window_releases_the_message(rig) -> None:
    await rig.start(_window(covering_now=True))
    promo = await rig.post("Promo", "+33612345670", commercial="1")

    async def held() -> bool:
        rows = await rig.call("GET", "/api/list/scheduled/", 200)
        return any(r["id"] == promo and r["deferred_to"] for r in rows)

    await until(held)
    rig.write_config(_window(covering_now=False))
    rig.daemon.reload()  # SIGHUP
    await until(lambda: ("+33612345670", "Promo") in rig.wire())


async def test_user_settings_make_messages_commercial_or_never_held(rig) -> None:
    await rig.start(_window(covering_now=True))
    await rig.call("POST", "/api/setting/commercial/", 201, data={"value": "1"})
    held = await rig.post("Promo", "+33612345670")
    await rig.post("Alert", "+33612345671", commercial="0")
    await until(lambda: ("+33612345671", "Alert") in rig.wire())
    [row] = await rig.call("GET", "/api/list/scheduled/", 200)
    assert (row["id"], row["commercial"]) == (held, 1)
    settings = await rig.call("POST", "/api/setting/quiet_hours/", 201, data={"value": "0"})
    assert settings == {"quiet_hours": "0"}
    await rig.post("Promo 2", "+33612345672")
    await until(lambda: ("+33612345672", "Promo 2") in rig.wire())
    await until(lambda: ("+33612345670", "Promo") in rig.wire())  # judged again: not held now
    status, body = await rig.envelope("POST", "/api/setting/quiet_hours/", data={"value": "8-9"})
    assert (status, body["error"]) == (400, 2)
    status, body = await rig.envelope("POST", "/api/setting/nope/", data={"value": "1"})
    assert (status, body["error"]) == (400, 2)
    current = await rig.call("GET", "/api/setting/", 200)
    assert current == {
        "commercial": "1",
        "quiet_hours": "0",
        "smsstop": "1",
        "smsstop_respond": "1",
    }


async def test_quiet_hours_off(rig) -> None:
    quiet = _window(covering_now=True).replace(
        "[quiet_hours]\n", "[quiet_hours]\nenabled = false\n"
    )
    await rig.start(quiet)
    await rig.post("Promo", "+33612345670", commercial="1")
    await until(lambda: ("+33612345670", "Promo") in rig.wire())
