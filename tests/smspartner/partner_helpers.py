"""Shared pieces of the SMSPartner door tests: the app on loopback with its clock at :data:`NOW`,
requests and XML answers (the database and users: :mod:`support.store`, :mod:`support.http_app`)."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from support import http_app
from support.http_app import KEY_A as KEY
from support.http_app import KEY_B as OTHER_KEY

__all__ = ["KEY", "NOW", "OTHER_KEY", "call", "client", "send", "serve", "xml_values"]

NOW = dt.datetime(2030, 6, 10, 10, 2, 0).timestamp()  # noqa: DTZ001 - local wall time
"""The app's clock: 10 June 2030, 10:02 local time."""


def serve(db, config=None, **kwargs):
    """:func:`support.http_app.serve` with the app's clock at :data:`NOW` unless told."""
    kwargs.setdefault("clock", lambda: NOW)
    return http_app.serve(db, config, **kwargs)


@pytest.fixture
async def client(db, users):
    async with serve(db) as running:
        yield running


async def call(client, method: str, path: str, *, status: int = 200, **kwargs) -> dict:
    """One request; the JSON answer, its HTTP status checked."""
    response = await client.request(method, path, **kwargs)
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == "application/json"
    return json.loads(text)


async def send(client, body: dict, *, status: int = 200) -> dict:
    """POST /v1/send with a JSON body, as SMSPartner's examples do."""
    return await call(client, "POST", "/v1/send", status=status, json=body)


def xml_values(text: str) -> list:
    """SMSPartner's XML answer as nested lists of entry texts."""

    def walk(element: ET.Element) -> object:
        children = list(element)
        if not children:
            return (element.text or "").strip()
        return [walk(child) for child in children]

    root = ET.fromstring(text)  # noqa: S314 - our own answer
    assert root.tag == "result"
    return [walk(child) for child in root]
