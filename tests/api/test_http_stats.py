"""GET /api/usage/, /api/stats/sms-status/ and /api/invalid_number/."""

from __future__ import annotations

from datetime import datetime

from http_helpers import add_sended, error_body, get_json
from support.http_app import KEY_A, KEY_B
from support.store import add_phone

from smsd.api.stats import php_datetime

H = {"X-Api-Key": KEY_A}
INVALID = "You have specified an invalid parameter : "


async def test_usage_counts_per_phone_with_bounds_and_tag(client, db, users):
    p1 = await add_phone(db, users[0], "m1")
    p2 = await add_phone(db, users[0], "m2")
    other = await add_phone(db, users[1], "m1")
    await add_sended(db, users[0], p1, "+33612345678", at="2024-01-01 10:00:00", tag="promo-1")
    await add_sended(db, users[0], p1, "+33612345678", at="2024-01-02 10:00:00", state="failed")
    await add_sended(db, users[0], p2, "+33612345678", at="2024-01-03 10:00:00", tag="promo-2")
    await add_sended(db, users[1], other, "+33612345678", at="2024-01-03 10:00:00")
    body = await get_json(client, "/api/usage/", headers=H)
    assert body["response"] == {"total": 3, "phones_volumes": {str(p1): 2, str(p2): 1}}
    body = await get_json(
        client,
        "/api/usage/?start=2024-01-02+10:00:00&end=2024-01-03+10:00:00",
        headers=H,
    )
    assert body["response"] == {"total": 2, "phones_volumes": {str(p1): 1, str(p2): 1}}
    body = await get_json(client, "/api/usage/?tag=promo%25", headers=H)
    assert body["response"]["total"] == 2
    body = await get_json(client, "/api/usage/?tag=promo-_", headers=H)
    assert body["response"]["total"] == 2


async def test_usage_quirk_and_errors(client):
    response = await client.get("/api/usage/", headers={"X-Api-Key": KEY_B})
    assert await response.text() == (
        '{"error":0,"message":null,"response":{"total":0,"phones_volumes":[]},'
        '"next":null,"prev":null}'
    )
    for name in ("start", "end"):
        response = await client.get(f"/api/usage/?{name}=2024-01-01", headers=H)
        assert response.status == 404
        assert await response.text() == error_body(
            2, INVALID + f'{name} must be a date of format "Y-m-d H:i:s".'
        )


async def test_sms_status_groups_by_day_phone_status(client, db, users):
    p1 = await add_phone(db, users[0], "m1")
    p2 = await add_phone(db, users[0], "m2")
    await add_sended(db, users[0], p1, "+33612345678", at="2024-01-01 10:00:00")
    await add_sended(db, users[0], p1, "+33612345678", at="2024-01-01 11:00:00")
    await add_sended(db, users[0], p1, "+33612345678", at="2024-01-01 12:00:00", state="failed")
    await add_sended(db, users[0], p2, "+33612345678", at="2024-01-02 00:00:00", state="delivered")
    await add_sended(db, users[0], None, "+33612345678", at="2024-01-02 00:00:00")
    await add_sended(db, users[0], p1, "+33612345678", at="2024-01-03 00:00:01")
    body = await get_json(
        client, "/api/stats/sms-status/?start=2024-01-01&end=2024-01-03+00:00:00", headers=H
    )
    assert body["response"] == [
        {"at_ymd": "2024-01-01", "id_phone": p1, "status": "failed", "nb": 1},
        {"at_ymd": "2024-01-01", "id_phone": p1, "status": "unknown", "nb": 2},
        {"at_ymd": "2024-01-02", "id_phone": p2, "status": "delivered", "nb": 1},
    ]
    body = await get_json(
        client,
        f"/api/stats/sms-status?start=2024-01-01&end=2024-01-05&id_phone={p2}",
        headers=H,
    )
    assert [r["id_phone"] for r in body["response"]] == [p2]


async def test_sms_status_errors(client, db, users):
    other = await add_phone(db, users[1], "m1")
    both = "One require parameter is missing : start and end date are required."
    bad = INVALID + '{} must be a date of format "Y-m-d H:i:s".'
    cases = (
        ("end=2024-01-01", 4, both),
        ("start=2024-01-01", 4, both),
        ("start=garbage&end=2024-01-01", 2, bad.format("start")),
        ("start=2024-01-01&end=2024-13-01", 2, bad.format("end")),
        (f"start=2024-01-01&end=now&id_phone={other}", 2,
         INVALID + f"phone with id {other} does not exists."),
    )  # fmt: skip
    for query, code, message in cases:
        response = await client.get(f"/api/stats/sms-status/?{query}", headers=H)
        assert response.status == 404
        assert await response.text() == error_body(code, message)


def test_php_datetime_forms():
    now = datetime(2024, 5, 10, 15, 30, 0)  # noqa: DTZ001
    assert php_datetime("2023-05-01", now) == datetime(2023, 5, 1)  # noqa: DTZ001
    assert php_datetime("2023-05-01 10:00:00", now) == datetime(2023, 5, 1, 10)  # noqa: DTZ001
    assert php_datetime("now", now) == now
    assert php_datetime("today", now) == datetime(2024, 5, 10)  # noqa: DTZ001
    assert php_datetime("yesterday", now) == datetime(2024, 5, 9)  # noqa: DTZ001
    assert php_datetime("-2 hours", now) == datetime(2024, 5, 10, 13, 30)  # noqa: DTZ001
    assert php_datetime("+1 day", now) == datetime(2024, 5, 11, 15, 30)  # noqa: DTZ001
    assert php_datetime("-1 month", now) == datetime(2024, 4, 10, 15, 30)  # noqa: DTZ001
    assert php_datetime("2023-02-30", now) is None
    assert php_datetime("soon", now) is None


async def test_invalid_number_scoped_paged_and_unescaped(client, db, users):
    phone = await add_phone(db, users[0], "m1")
    for i in range(27):
        number = f"+336123456{i:02d}"
        await add_sended(db, users[0], phone, number, state="failed")
        await add_sended(db, users[0], phone, number, state="sent")
    await add_sended(db, users[0], phone, "+33699999999", state="delivered")
    await add_sended(db, users[1], None, "+33688888888", state="failed")  # user B's
    query = "volume=2&percent_failed=50&percent_unknown=0"
    body = await get_json(client, f"/api/invalid_number/?{query}", headers=H)
    assert len(body["response"]) == 25
    assert body["response"][0] == {
        "destination": "+33612345600",
        "total_sms_sent": 2,
        "failed_percentage": "0.50",
        "unknown_percentage": "0.50",
    }
    stem = f"http://127.0.0.1:{client.port}/raspisms/api/invalid_number"
    body = await get_json(client, f"/raspisms/api/invalid_number/?{query}", headers=H)
    assert body["next"] == f"{stem}/1/?api_key={KEY_A}&{query}"
    assert body["prev"] is None
    page1 = await get_json(client, body["next"].split(str(client.port), 1)[1])
    assert [r["destination"] for r in page1["response"]] == ["+33612345625", "+33612345626"]
    assert page1["next"] is None
    assert page1["prev"] == f"{stem}/0/?api_key={KEY_A}&{query}"
    none = await get_json(
        client, "/api/invalid_number/?volume=0&percent_failed=0&percent_unknown=0", headers=H
    )
    assert "+33688888888" not in {r["destination"] for r in none["response"]}


async def test_invalid_number_is_not_html_escaped_and_requires_its_parameters(client, db, users):
    await add_sended(db, users[0], None, "<b>&", state="failed")
    response = await client.get(
        "/api/invalid_number/?volume=0&percent_failed=0&percent_unknown=0", headers=H
    )
    assert '"destination":"<b>&"' in await response.text()
    response = await client.get("/api/invalid_number/?volume=1&percent_failed=1", headers=H)
    assert response.status == 404
    assert await response.text() == error_body(
        4,
        "One require parameter is missing : "
        "volume, percent_failed and percent_unknown are required.",
    )
