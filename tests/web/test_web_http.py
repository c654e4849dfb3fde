"""The dashboard over real HTTP: log-in, cookies, CSRF, isolation, escaping, the segment count."""

from __future__ import annotations

import re

import aiohttp
from web_rig import ADMIN_KEY, OTHER_KEY, running

from smsd.store.passwords import set_password
from smsd.store.rows import Recipient
from smsd.store.scheduled import create_scheduled

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _client() -> aiohttp.ClientSession:
    """A client that keeps cookies of an IP address (the default jar drops them)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _login(session: aiohttp.ClientSession, base: str, key: str) -> str:
    """Log in; return the page's CSRF token."""
    async with session.get(f"{base}/web/login") as response:
        token = _CSRF.search(await response.text()).group(1)
    async with session.post(
        f"{base}/web/login", data={"csrf": token, "credential": key}, allow_redirects=False
    ) as response:
        assert response.status == 303, await response.text()
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    async with session.get(f"{base}/web/send") as response:
        return _CSRF.search(await response.text()).group(1)


async def test_pages_need_a_log_in_and_refuse_wrong_keys(tmp_path) -> None:
    async with running(tmp_path) as rig, _client() as session:
        async with session.get(f"{rig.base}/", allow_redirects=False) as response:
            assert response.status == 302
            assert response.headers["Location"] == "/web/"
        async with session.get(f"{rig.base}/web/", allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/web/login"
        async with session.get(f"{rig.base}/web/fragment/overview") as response:
            assert response.status == 401
        async with session.get(f"{rig.base}/web/login") as response:
            token = _CSRF.search(await response.text()).group(1)
        async with session.post(
            f"{rig.base}/web/login", data={"csrf": token, "credential": "x" * 32}
        ) as response:
            assert response.status == 401
            assert "Wrong e-mail, password or key" in await response.text()
        async with session.post(
            f"{rig.base}/web/login", data={"csrf": "forged", "credential": ADMIN_KEY}
        ) as response:
            assert response.status == 403
        async with session.get(f"{rig.base}/web/", allow_redirects=False) as response:
            assert response.status == 303


async def test_the_cookie_is_secure_behind_https(tmp_path) -> None:
    async with (
        running(tmp_path) as rig,
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
    ):
        headers = {"X-Forwarded-Proto": "https"}
        async with session.get(f"{rig.base}/web/login", headers=headers) as response:
            token = _CSRF.search(await response.text()).group(1)
            login_cookie = response.cookies["smsd_login"]
        assert login_cookie["secure"]
        async with session.post(
            f"{rig.base}/web/login",
            data={"csrf": token, "credential": ADMIN_KEY},
            headers={**headers, "Cookie": f"smsd_login={login_cookie.value}"},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
            assert response.cookies["smsd_session"]["secure"]
            assert response.cookies["smsd_session"]["httponly"]


async def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(tmp_path) -> None:
    async with running(tmp_path) as rig, _client() as session:
        await _login(session, rig.base, ADMIN_KEY)
        form = {"numbers": "+33612345678", "text": "no token"}
        async with session.post(f"{rig.base}/web/send", data=form) as response:
            assert response.status == 403
        async with session.post(f"{rig.base}/web/send", data={**form, "csrf": "x"}) as response:
            assert response.status == 403
        assert rig.daemon.db is not None
        assert await rig.daemon.db.fetchall("SELECT id FROM scheduled") == []


async def test_send_through_the_form_reaches_the_modem_once(tmp_path) -> None:
    async with running(tmp_path) as rig, _client() as session:
        csrf = await _login(session, rig.base, ADMIN_KEY)
        form = {"csrf": csrf, "numbers": "+33612345678, +33 6 12 34 56 78", "text": "Hi €"}
        async with session.post(
            f"{rig.base}/web/send", data=form, headers={"Accept": "application/json"}
        ) as response:
            assert response.status == 200
            answer = await response.json()
        assert answer["ok"] is True
        await rig.until(lambda: len(rig.modem.modem.submitted) >= 1)
        [submitted] = rig.modem.modem.submitted
        assert submitted.decoded.destination == "+33612345678"
        assert submitted.decoded.text == "Hi €"
        bad = {"csrf": csrf, "numbers": "hello", "text": ""}
        async with session.post(
            f"{rig.base}/web/send", data=bad, headers={"Accept": "application/json"}
        ) as response:
            assert response.status == 422
            errors = (await response.json())["errors"]
        assert "Not a phone number: hello" in errors
        assert "The text is empty." in errors


async def test_a_hostile_sms_is_rendered_as_text(tmp_path) -> None:
    async with running(tmp_path) as rig, _client() as session:
        await _login(session, rig.base, ADMIN_KEY)
        await rig.modem.deliver("+33611111111", "<script>alert(1)</script> & <b>bold</b>")
        assert rig.daemon.db is not None
        db = rig.daemon.db
        await rig.until(lambda: db.fetchall("SELECT id FROM received"))
        async with session.get(
            f"{rig.base}/web/conversations", params={"number": "+33611111111"}
        ) as response:
            page = await response.text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
        assert "<script>alert" not in page
        assert "<b>bold" not in page


async def test_a_user_sees_nothing_of_another(tmp_path) -> None:
    async with running(tmp_path) as rig, _client() as session:
        db = rig.daemon.db
        assert db is not None
        found = await db.fetchone("SELECT id FROM user WHERE email = 'ops@example.org'")
        await create_scheduled(
            db,
            id_user=int(found["id"]),
            text="admin secret",
            at=None,
            numbers=[Recipient(number="+33622222222")],
        )
        await _login(session, rig.base, OTHER_KEY)
        for path in ("/web/", "/web/conversations", "/web/phones"):
            async with session.get(rig.base + path) as response:
                page = await response.text()
            assert "admin secret" not in page
            assert "+33622222222" not in page
            assert "dongle-1" not in page
        async with session.get(
            f"{rig.base}/web/conversations", params={"number": "+33622222222"}
        ) as response:
            assert "admin secret" not in await response.text()


async def test_a_phone_is_disabled_and_enabled_from_its_page(tmp_path) -> None:
    async with running(tmp_path) as rig, _client() as session:
        csrf = await _login(session, rig.base, ADMIN_KEY)
        db = rig.daemon.db
        assert db is not None
        row = await db.fetchone("SELECT id FROM phone WHERE name = 'dongle-1'")
        url = f"{rig.base}/web/phones/{row['id']}/status"
        async with session.post(url, data={"csrf": csrf, "action": "disable"}) as response:
            assert response.status == 200
            assert "Enable dongle-1" in await response.text()
        engine = rig.daemon.engine
        assert engine is not None
        await rig.until(lambda: not engine.phones)
        async with session.post(url, data={"csrf": csrf, "action": "enable"}) as response:
            assert "Disable dongle-1" in await response.text()
        await rig.until(lambda: engine.phones)


_COUNTS = [
    ("Hello", "gsm7", 1, 5),
    ("€" * 80, "gsm7", 1, 160),
    ("€" * 81, "gsm7", 2, 162),
    ("a" * 161, "gsm7", 2, 161),
    ("Привет", "ucs2", 1, 6),
    ("😀" * 35, "ucs2", 1, 70),
]


async def test_segments_come_from_the_codec(tmp_path) -> None:
    async with running(tmp_path) as rig, _client() as session:
        for text, encoding, segments, characters in _COUNTS:
            async with session.get(f"{rig.base}/api/segments", params={"text": text}) as response:
                body = await response.json()
            assert body["error"] == 0
            assert body["response"]["encoding"] == encoding, text
            assert body["response"]["segments"] == segments, text
            assert body["response"]["characters"] == characters, text
        async with session.get(f"{rig.base}/api/segments", params={"text": "a" * 1001}) as response:
            assert (await response.json())["error"] != 0
        async with session.get(f"{rig.base}/api/openapi.json") as response:
            assert "/api/segments/" in (await response.json())["paths"]


async def test_a_ussd_code_from_the_phones_page(tmp_path) -> None:
    async with running(tmp_path) as rig, _client() as session:
        csrf = await _login(session, rig.base, ADMIN_KEY)
        db = rig.daemon.db
        assert db is not None
        row = await db.fetchone("SELECT id FROM phone WHERE name = 'dongle-1'")
        url = f"{rig.base}/web/phones/{row['id']}/ussd"
        async with session.post(url, data={"csrf": csrf, "code": "*100#"}) as response:
            assert response.status == 200
            page = await response.text()
        assert "Your balance is 12,50 EUR." in page, page[page.find("<main") :]
        async with session.post(url, data={"code": "*100#"}) as response:
            assert response.status == 403
        stored = await db.fetchall("SELECT code, origin FROM ussd")
        assert [(r["code"], r["origin"]) for r in stored] == [("*100#", "api")]


async def test_log_in_with_e_mail_and_password(tmp_path) -> None:
    async with running(tmp_path) as rig, _client() as session:
        db = rig.daemon.db
        assert db is not None
        await set_password(db, "other@example.org", "correct horse battery")
        async with session.get(f"{rig.base}/web/login") as response:
            token = _CSRF.search(await response.text()).group(1)
        wrong = {"csrf": token, "email": "other@example.org", "credential": "wrong password"}
        async with session.post(f"{rig.base}/web/login", data=wrong) as response:
            assert response.status == 401
        async with session.get(f"{rig.base}/web/login") as response:
            token = _CSRF.search(await response.text()).group(1)
        right = {**wrong, "csrf": token, "credential": "correct horse battery"}
        async with session.post(f"{rig.base}/web/login", data=right) as response:
            assert response.status == 200
            assert "other@example.org" in await response.text()
        sessions = await db.fetchall("SELECT id_user FROM login_session")
        assert len(sessions) == 1
        async with session.get(f"{rig.base}/web/send") as response:
            csrf = _CSRF.search(await response.text()).group(1)
        async with session.post(f"{rig.base}/web/logout", data={"csrf": csrf}) as response:
            assert response.url.path == "/web/login"
        assert await db.fetchall("SELECT id_user FROM login_session") == []
        async with session.get(f"{rig.base}/web/", allow_redirects=False) as response:
            assert response.status == 303


_SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')


async def test_the_same_form_sent_twice_stores_one_message(tmp_path) -> None:
    """A double click or a reload that posts the form again answers the first message."""
    async with running(tmp_path) as rig, _client() as session:
        csrf = await _login(session, rig.base, ADMIN_KEY)
        async with session.get(f"{rig.base}/web/send") as response:
            submission = _SUBMISSION.search(await response.text()).group(1)
        form = {"csrf": csrf, "submission": submission, "numbers": "+33612345678", "text": "Once"}
        answers = []
        for _ in range(2):  # the page's script, clicked twice
            async with session.post(
                f"{rig.base}/web/send", data=form, headers={"Accept": "application/json"}
            ) as response:
                assert response.status == 200
                answers.append(await response.json())
        async with session.post(f"{rig.base}/web/send", data=form) as response:  # a reload
            assert response.status == 200
            page = await response.text()
        assert answers[0]["id"] == answers[1]["id"]
        assert f"Message {answers[0]['id']} scheduled." in page
        fresh = answers[1]["submission"]
        assert fresh != submission
        assert _SUBMISSION.search(page).group(1) not in {submission, fresh}
        assert rig.daemon.db is not None
        db = rig.daemon.db
        assert len(await db.fetchall("SELECT id FROM scheduled")) == 1

        changed = {**form, "text": "Other"}  # the same filling with other content: refused
        async with session.post(
            f"{rig.base}/web/send", data=changed, headers={"Accept": "application/json"}
        ) as response:
            assert response.status == 422
            assert "already sent" in (await response.json())["errors"][0]

        again = {**form, "submission": fresh}  # the next message from the same page is new
        async with session.post(
            f"{rig.base}/web/send", data=again, headers={"Accept": "application/json"}
        ) as response:
            assert (await response.json())["id"] != answers[0]["id"]
        assert len(await db.fetchall("SELECT id FROM scheduled")) == 2
        await rig.until(lambda: len(rig.modem.modem.submitted) >= 2)
        assert [s.decoded.text for s in rig.modem.modem.submitted] == ["Once", "Once"]
