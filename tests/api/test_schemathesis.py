"""Property-based tests of the whole API from its own OpenAPI document (schemathesis).

The API runs on loopback in a thread of its own (schemathesis calls it synchronously); each
operation gets a bounded number of generated requests, with a valid key. No answer may be a
5xx, and every error must be the RaspiSMS envelope with a known code (401: 1, 403: 16); the
Gateway SMS door's routes (``/messages``) get the key as a bearer token and must answer its own
envelope ``{data, success, message, credit, error}``; the SMSGateway24 routes (``/getdata/``)
answer their provider's ``{"error": 0|1, "message": …}`` instead, with the key as their ``token``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import TYPE_CHECKING, Self

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from smsd.api.app import make_app
from smsd.api.auth import install_limiter
from smsd.config import ApiConfig
from smsd.store import accounts
from smsd.store.db import Database

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

KEY = "5c" * 16
CODES = {1, 2, 4, 8, 16, 32, 64, 128}
EXAMPLES = 40  # per operation: 36 operations in about 15 s, under a minute on a loaded machine

pytestmark = pytest.mark.timeout(120)


class _Served:
    """The API on 127.0.0.1 with one user and a phone, in a thread with its own event loop."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self._error = exc
            self._ready.set()
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        from aiohttp import web  # noqa: PLC0415 - only this thread serves

        db = await Database.open(self.directory / "smsd.sqlite3")
        try:
            id_user = await accounts.ensure_user(db, email="s@example.org", api_key=KEY, admin=True)
            await accounts.sync_phone(
                db,
                id_user=id_user,
                name="m1",
                adapter="smsd\\Modem",
                adapter_data="{}",
                priority=0,
                limits=[],
            )
            await accounts.create_contact(db, id_user=id_user, name="Ann", number="+33611111111")
            config = ApiConfig(max_body_bytes=64 * 1024, max_auth_failures=0)
            app = make_app(config, db, lambda: None)
            install_limiter(app)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            self.url = f"http://{host}:{port}"
            self._stop = asyncio.Event()
            self._ready.set()
            await self._stop.wait()
            await runner.cleanup()
        finally:
            await db.close()

    def __enter__(self) -> Self:
        self._thread.start()
        assert self._ready.wait(30), "the API did not start"
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[_Served]:
    with _Served(tmp_path_factory.mktemp("schemathesis")) as running:
        yield running


def _fetch(url: str, *, method: str = "GET", data: bytes | None = None, headers=None):
    """``(status, body)`` of one plain HTTP request (the connection closed either way)."""
    import urllib.error  # noqa: PLC0415 - standard library client
    import urllib.request  # noqa: PLC0415

    request = urllib.request.Request(  # noqa: S310 - a loopback http URL built by the tests
        url, data=data, headers=headers or {}, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - see above
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


def _operations(served: _Served):
    schema = schemathesis.openapi.from_url(f"{served.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20  # every RaspiSMS route is documented
    return operations


NOT_ENVELOPED = ("/health", "/metrics", "/openapi.json")  # documents in their own formats
PARTNER = "/v1/"  # the SMSPartner door answers in SMSPartner's shapes


def _content_type(response) -> str:
    """The answer's ``Content-Type`` (schemathesis keeps header names lowercased, values listed)."""
    found = {name.lower(): value for name, value in response.headers.items()}.get("content-type")
    return (found[0] if found else "") if isinstance(found, list) else (found or "")


def _check_partner(response) -> None:
    """An SMSPartner door answer: ``success`` and ``code`` first, JSON or SMSPartner's XML."""
    assert response.status_code in {200, 400, 404, 405, 413, 429}, response.text
    content_type = _content_type(response)
    if content_type.startswith("application/xml"):
        assert response.text.startswith("<?xml")
        assert "<result>" in response.text
        return
    body = json.loads(response.text)
    if response.status_code in {404, 405, 413}:  # routing refusals happen before the door
        return
    assert list(body)[:2] == ["success", "code"], body
    assert body["success"] is (response.status_code == 200), body


OWN_SHAPE = ("/getdata/",)  # another door's routes: that provider's {"error": 0|1, …} shape


def _check_own_shape(response) -> None:
    assert response.status_code in {200, 404, 405, 413}, (response.status_code, response.text)
    if response.status_code == 200:
        body = json.loads(response.text)
        assert body["error"] in {0, 1}, body
        assert isinstance(body["message"], str), body
        if body["error"]:
            assert body["message"], body


def _check_envelope(response, path: str = "") -> None:
    if path.startswith(PARTNER):
        _check_partner(response)
        return
    assert response.status_code < 500, (response.status_code, response.text)
    if path.startswith(OWN_SHAPE):
        _check_own_shape(response)
        return
    if response.status_code == 204:
        return
    headers = {name.lower(): value for name, value in response.headers.items()}
    json_body = _content_type(response).startswith("application/json")
    if response.status_code < 400 and (not json_body or path.rstrip("/").endswith(NOT_ENVELOPED)):
        return  # a document in its own format (health probe, Prometheus text)
    assert json_body, (response.status_code, headers, response.text[:200])
    body = json.loads(response.text)
    assert list(body) == ["error", "message", "response", "next", "prev"], body
    if response.status_code >= 400:
        assert body["error"] in CODES, body
        assert isinstance(body["message"], str)
        assert body["message"], body
        assert body["response"] is None
        if response.status_code == 401:
            assert body["error"] == 1
        if response.status_code == 403:
            assert body["error"] == 16
    else:
        assert body["error"] == 0, body


GATEWAY_ENVELOPE = {"data", "success", "message", "error"}


def _check_gateway_envelope(response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    body = json.loads(response.text)
    assert GATEWAY_ENVELOPE <= set(body) <= GATEWAY_ENVELOPE | {"credit"}, body
    assert body["success"] is (response.status_code < 400), body
    assert body["error"] == (None if response.status_code < 400 else response.status_code), body


def _gateway(operation) -> bool:
    return operation.path.startswith("/messages")


def _partner_key(case, key: str | None) -> None:
    """The SMSPartner door's key is its ``apiKey`` parameter: the valid one, or none."""
    query = {k: v for k, v in (case.query or {}).items() if k != "apiKey"}
    case.query = {**query, "apiKey": key} if key is not None else query
    if isinstance(case.body, dict):
        case.body = {k: v for k, v in case.body.items() if k != "apiKey"}


def _fuzz(operation, examples: int, *, key: str | None) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case) -> None:
        headers = dict((case.headers or {}).items())
        headers.pop("X-Api-Key", None)
        headers.pop("Authorization", None)
        if key is not None:
            headers["X-Api-Key"] = key
            if _gateway(operation):
                headers["Authorization"] = f"Bearer {key}"
        case.headers = headers
        if case.query and "api_key" in case.query:
            case.query = {k: v for k, v in case.query.items() if k != "api_key"}
        if case.query and "token" in case.query:  # the other door's key: its token
            case.query = {**case.query, "token": key or case.query["token"]}
        if operation.path.startswith(PARTNER):
            _partner_key(case, key)
        response = case.call(timeout=30)
        if _gateway(operation):
            _check_gateway_envelope(response)
        else:
            _check_envelope(response, operation.path)
        needs_key = bool(operation.definition.raw.get("security"))  # routes declared open have none
        if key is None and operation.path.startswith(PARTNER):
            assert response.status_code in {400, 404, 405, 413}, (operation.path, response.text)
        elif key is None and needs_key:
            assert response.status_code in {401, 404, 405, 413}, (operation.path, response.text)

    run()


def test_every_operation_answers_an_envelope_never_a_5xx(served) -> None:
    for operation in _operations(served):
        _fuzz(operation, EXAMPLES, key=KEY)


def test_without_a_key_every_operation_is_refused_in_the_envelope(served) -> None:
    for operation in _operations(served):
        _fuzz(operation, 3, key=None)


def test_oversized_bodies_are_refused_with_an_envelope(served) -> None:
    status, text = _fetch(
        f"{served.url}/api/scheduled/",
        method="POST",
        data=b"text=" + b"x" * (128 * 1024),
        headers={"X-Api-Key": KEY, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 413
    body = json.loads(text)
    assert body["error"] == 2
    assert "larger than 65536 bytes" in body["message"]


def test_multipart_field_name_with_a_control_character(served) -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="\x1f"\r\n\r\nx\r\n'
        b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--b--\r\n'
    )
    status, text = _fetch(
        f"{served.url}/api/scheduled/",
        method="POST",
        data=body,
        headers={"X-Api-Key": KEY, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert status == 400, text
    assert json.loads(text)["error"] == 2


@pytest.mark.parametrize(
    "path",
    [
        "/api/webhook/page/{}/",
        "/api/invalid_number/{}/?volume=1&percent_failed=1&percent_unknown=1",
        "/api/list/sended/{}/",
        "/api/list/sended/after/{}/",
        "/api/list/sended/before/{}/",
        "/api/scheduled/{}/",
    ],
)
def test_numbers_beyond_64_bits_in_the_path(served, path: str) -> None:
    method = "DELETE" if path.startswith("/api/scheduled") else "GET"
    status, text = _fetch(
        served.url + path.format(2**70), method=method, headers={"X-Api-Key": KEY}
    )
    assert status < 500, text
    assert json.loads(text)["error"] in CODES | {0}
