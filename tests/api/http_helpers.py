"""Helpers of the HTTP tests: rows to list, JSON requests, RaspiSMS error bodies.

The app on loopback HTTP, its users and the database are :mod:`support.http_app` and
:mod:`support.store`.
"""

from __future__ import annotations

import json

NOW = 1_700_000_000.0  # 2023-11-14 local wall time depends on TZ; tests use wall() to compare


async def add_sended(
    db,
    id_user: int,
    id_phone: int | None,
    destination: str,
    *,
    state="sent",
    at="2024-01-02 10:00:00",
    tag=None,
    text="hi",
) -> int:
    return await db.execute(
        "INSERT INTO sended (at, text, destination, id_user, id_phone, tag, state, due_at, "
        "next_attempt_at, segments) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 1)",
        (at, text, destination, id_user, id_phone, tag, state),
    )


async def get_json(client, path: str, *, status: int = 200, **kwargs):
    response = await client.get(path, **kwargs)
    text = await response.text()
    assert response.status == status, text
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(text)


async def post_json(client, path: str, *, status: int = 201, **kwargs):
    response = await client.post(path, **kwargs)
    text = await response.text()
    assert response.status == status, text
    return json.loads(text)


def error_body(code: int, message: str) -> str:
    return json.dumps(
        {"error": code, "message": message, "response": None, "next": None, "prev": None},
        separators=(",", ":"),
    ).replace("/", "\\/")
