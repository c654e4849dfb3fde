"""https receivers: checked against the system's CAs, read when the first delivery needs them;
aiohttp's own import-time contexts (and frozenlist's C++) left out of the daemon."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from support.polling import until
from webhook_helpers import FAST, Receiver, events

from smsd.store import inbox
from smsd.store import webhooks as store
from smsd.webhooks import WebhookSender

SECRET = "5" * 64


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key, made by the openssl tool."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    tool = shutil.which("openssl")
    assert tool is not None, "the openssl tool is missing (.ci/run installs it)"
    subprocess.run(
        [tool, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


IMPORT_INSIDE = """
import json, os, ssl
from smsd.webstack import lean_web_stack
with lean_web_stack():
    inside = [os.environ.get("SSL_CERT_FILE"), os.environ.get("FROZENLIST_NO_EXTENSIONS")]
    import aiohttp.connector as connector
    import frozenlist
with open("/proc/self/maps") as maps:
    cpp = "libstdc++" in maps.read()
print(json.dumps({
    "inside": inside,
    "after": [os.environ.get("SSL_CERT_FILE"), os.environ.get("FROZENLIST_NO_EXTENSIONS")],
    "aiohttp": [connector._SSL_CONTEXT_VERIFIED.cert_store_stats()["x509"],
                connector._SSL_CONTEXT_UNVERIFIED.cert_store_stats()["x509"]],
    "python_frozenlist": frozenlist.FrozenList is frozenlist.PyFrozenList,
    "cpp": cpp,
    "later": ssl.create_default_context().cert_store_stats()["x509"],
}))
"""


def _python(code: str, env: dict[str, str]) -> str:
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return run.stdout


def _without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}


def test_aiohttp_imported_inside_loads_no_bundle_and_no_cpp(certificate) -> None:
    cert, _ = certificate
    env = {**_without("FROZENLIST_NO_EXTENSIONS"), "SSL_CERT_FILE": cert}
    found = json.loads(_python(IMPORT_INSIDE, env))
    assert found == {
        "inside": [os.devnull, "1"],
        "after": [cert, None],  # as they were: a context built now reads the bundle
        "aiohttp": [0, 0],
        "python_frozenlist": True,
        "cpp": False,
        "later": 1,
    }


def test_an_unset_bundle_variable_is_unset_again() -> None:
    env = _without("SSL_CERT_FILE", "FROZENLIST_NO_EXTENSIONS")
    found = json.loads(_python(IMPORT_INSIDE, env))
    assert (found["inside"], found["after"]) == ([os.devnull, "1"], [None, None])
    assert found["aiohttp"] == [0, 0]


def test_the_command_line_leaves_aiohttp_to_the_daemon() -> None:
    """``smsd run`` imports aiohttp first inside ``lean_web_stack``: nothing before may."""
    out = _python("import sys, smsd.cli; print('aiohttp' in sys.modules)", dict(os.environ))
    assert out.strip() == "False"


async def _hooked(db, user, phone, url: str) -> None:
    await store.create_webhook(db, id_user=user, url=url, type_="receive_sms", secret=SECRET)
    await inbox.store_received(
        db, id_user=user, id_phone=phone, origin="+33612345678", text="hi",
        at="2024-01-01 10:00:00", dedupe_key="tls-1",
    )  # fmt: skip


async def _failed_once(db) -> bool:
    return any(event["last_error"] for event in await events(db))


async def _post_with(db, monkeypatch, bundle: str, done) -> None:
    """Run a sender (its context is built on its first https delivery) until ``done``."""
    monkeypatch.setenv("SSL_CERT_FILE", bundle)
    sender = WebhookSender(db, FAST)
    await sender.start()
    try:
        await until(done)
    finally:
        await sender.stop(grace=0.5)


async def test_an_https_receiver_is_checked(db, user, phone, certificate, monkeypatch) -> None:
    cert, key = certificate
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    receiver = Receiver(tls=served)
    await receiver.start()
    try:
        await _hooked(db, user, phone, receiver.url())
        # nor by directory: that one holds no links named by subject hash
        monkeypatch.setenv("SSL_CERT_DIR", str(Path(cert).parent))
        await _post_with(db, monkeypatch, os.devnull, lambda: _failed_once(db))
        [event] = await events(db)
        assert "CERTIFICATE_VERIFY_FAILED" in event["last_error"]
        assert event["state"] == "pending"
        assert receiver.tries == []  # refused during the handshake: no request got through
        await _post_with(db, monkeypatch, cert, lambda: receiver.hits)  # the CA is known now
        await until(lambda: _delivered(db))
    finally:
        await receiver.stop()
    [hit] = receiver.hits
    assert hit.path == "/hook"


async def _delivered(db) -> bool:
    return [e["state"] for e in await events(db)] == ["delivered"]
