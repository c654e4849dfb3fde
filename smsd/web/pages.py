"""The dashboard's pages: log-in, overview, conversations, send, phones, and their live fragments.

A page handler reads the core through :mod:`smsd.web.views` and the store, and renders a Jinja2
template with autoescaping on: every SMS text is hostile input and reaches the page escaped. The
:func:`page` wrapper gives each handler its logged-in user (or sends the browser to the log-in
form), checks the CSRF token of every POST, answers failures with an HTML page whose error id is
in the log, and reports the server time in a ``Server-Timing`` header.
"""

from __future__ import annotations

import functools
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import jinja2
import structlog
from aiohttp import web

from smsd.api.auth import LIMITER
from smsd.api.scheduled import MAX_TEXT
from smsd.api.state import CLOCK, DB, PHONES, REGION, WAKE
from smsd.api.ussd import USSD
from smsd.errors import UssdRequestError
from smsd.phone import to_e164
from smsd.store import accounts, dashboard, idempotency
from smsd.store.errors import InvalidValueError, NotFoundError, StoreError
from smsd.store.idempotency import CommandKey, KeyReusedError
from smsd.store.passwords import check_login
from smsd.store.reliability import ReliabilityType, last_alert_name
from smsd.store.rows import Recipient, UserRow
from smsd.store.scheduled import create_scheduled
from smsd.store.sessions import end_session, open_session, user_by_session
from smsd.store.walltime import parse_wall, wall
from smsd.web import views
from smsd.web.csrf import csrf_token, same_token
from smsd.web.routes import PAGES, WEB

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["COOKIE", "HANDLERS", "ROUTES", "WEB"]

COOKIE = "smsd_session"
LOGIN_COOKIE = "smsd_login"
_CSRF = web.RequestKey("web_csrf", str)
_USER = web.RequestKey("web_user", UserRow)

_log = structlog.get_logger("smsd.web")

USSD_WAIT = 30.0
"""Seconds a USSD form waits for the network's answer (networks take up to about 30)."""


@functools.cache
def environment() -> jinja2.Environment:
    """The templates, escaping everything they print (an SMS is hostile input).

    One for the process, made by the first page (the templates are the package's own).
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("smsd.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["signal"] = lambda dbm: "no signal" if dbm is None else f"{dbm} dBm"
    return env


def _secure(request: web.Request) -> bool:
    proto = request.headers.get("X-Forwarded-Proto", "")
    return request.secure or proto.split(",")[0].strip().lower() == "https"


def _set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="Strict", secure=_secure(request), path="/"
    )


def render(
    request: web.Request,
    template: str,
    status: int = 200,
    **context: Any,  # noqa: ANN401 - template variables of any type
) -> web.Response:
    """The page ``template`` with ``context`` plus the user, CSRF token and refresh interval."""
    base: dict[str, Any] = {
        "user": request.get(_USER),
        "csrf": request.get(_CSRF, ""),
        "refresh_ms": int(request.app[WEB].refresh * 1000),
        "path": request.path,
    }
    text = environment().get_template(template).render(**base, **context)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _problem(request: web.Request, status: int, title: str, detail: str) -> web.Response:
    response = render(request, "problem.html", status=status, title=title, detail=detail)
    response.headers["Cache-Control"] = "no-store"
    return response


def page(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Require a log-in (and the CSRF token on POST); answer failures with an HTML page."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        token = request.cookies.get(COOKIE, "")
        user = None
        if token:
            user = await user_by_session(request.app[DB], token, now=request.app[CLOCK]())
        if user is None or user.status != "active":
            if request.path.startswith("/web/fragment/") or request.method != "GET":
                return _problem(request, 401, "Logged out", "Your session ended: log in again.")
            raise web.HTTPSeeOther("/web/login")
        request[_CSRF] = csrf_token(token)
        request[_USER] = user
        if request.method == "POST":
            form = await request.post()
            given = form.get("csrf") or request.headers.get("X-CSRF-Token")
            if not same_token(given, request[_CSRF]):
                _log.warning("web_csrf_refused", path=request.path, user=user.email)
                return _problem(
                    request, 403, "Refused", "The form's security token is missing or wrong."
                )
        try:
            response = await handler(request)
        except web.HTTPException:
            raise
        except StoreError as exc:
            _log.error("web_store_error", path=request.path, error=str(exc))
            return _problem(request, 503, "Storage problem", str(exc))
        elapsed = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.2f}"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return wrapped


def _user(request: web.Request) -> UserRow:
    return request[_USER]


def _now(request: web.Request) -> datetime:
    return datetime.fromtimestamp(request.app[CLOCK]())  # noqa: DTZ006 - local wall time, as the store


# ------------------------------------------------------------------ log-in and log-out


async def root(_request: web.Request) -> web.StreamResponse:
    """``/``: the dashboard."""
    raise web.HTTPFound("/web/")


async def login_form(request: web.Request) -> web.StreamResponse:
    """The log-in form, with a CSRF token bound to a short-lived cookie."""
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", login_csrf=token, error=None)
    _set_cookie(response, request, LOGIN_COOKIE, token)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """Check the e-mail and password, or the key; open a session. One answer for every refusal."""
    form = await request.post()
    if not same_token(form.get("csrf"), request.cookies.get(LOGIN_COOKIE, "")):
        return _problem(request, 403, "Refused", "The log-in form expired: load it again.")
    limiter = request.app.get(LIMITER)
    client = request.remote or "unix"
    if limiter is not None and limiter.retry_after(client) > 0:
        return _problem(request, 429, "Too many attempts", "Wait a minute, then try again.")
    db = request.app[DB]
    email = str(form.get("email", "")).strip()
    credential = str(form.get("credential", ""))
    user = None
    if email and credential:
        user = await check_login(db, email, credential)
    elif credential.strip():
        user = await accounts.user_by_api_key(db, credential.strip())
    if user is None or user.status != "active":
        if limiter is not None:
            limiter.fail(client)
        _log.warning("web_login_failed", client=client)
        token = secrets.token_urlsafe(24)
        response = render(
            request,
            "login.html",
            status=401,
            login_csrf=token,
            error="Wrong e-mail, password or key, or a suspended user.",
        )
        _set_cookie(response, request, LOGIN_COOKIE, token)
        return response
    lifetime = request.app[WEB].session_lifetime
    session_token = await open_session(db, user.id, now=request.app[CLOCK](), lifetime=lifetime)
    _log.info("web_login", user=user.email)
    response = web.HTTPSeeOther("/web/")
    _set_cookie(response, request, COOKIE, session_token)
    response.del_cookie(LOGIN_COOKIE, path="/")
    raise response


@page
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    await end_session(request.app[DB], request.cookies.get(COOKIE, ""))
    response = web.HTTPSeeOther("/web/login")
    response.del_cookie(COOKIE, path="/")
    raise response


# ------------------------------------------------------------------ overview


@page
async def overview(request: web.Request) -> web.StreamResponse:
    """Phones, queue and the last 48 hours."""
    data = await views.overview(
        request.app[DB], _user(request), request.app.get(PHONES), _now(request)
    )
    return render(request, "overview.html", data=data)


@page
async def overview_fragment(request: web.Request) -> web.StreamResponse:
    """The overview's live part."""
    data = await views.overview(
        request.app[DB], _user(request), request.app.get(PHONES), _now(request)
    )
    return render(request, "_overview.html", data=data)


# ------------------------------------------------------------------ conversations


@page
async def conversations(request: web.Request) -> web.StreamResponse:
    """Correspondents, newest first, and the open conversation."""
    db = request.app[DB]
    user = _user(request)
    search = request.query.get("q", "").strip()[:100]
    number = request.query.get("number", "").strip()[:32]
    lines = await dashboard.conversations(db, user.id, search=search)
    items = await dashboard.thread(db, user.id, number) if number else []
    return render(
        request, "conversations.html", lines=lines, items=items, number=number, search=search
    )


@page
async def thread_fragment(request: web.Request) -> web.StreamResponse:
    """One conversation's messages (live part)."""
    number = request.query.get("number", "").strip()[:32]
    items = await dashboard.thread(request.app[DB], _user(request).id, number) if number else []
    return render(request, "_thread.html", items=items, number=number)


# ------------------------------------------------------------------ send


async def _send_context(request: web.Request) -> dict[str, Any]:
    db = request.app[DB]
    user = _user(request)
    return {
        "contacts": await accounts.contacts(db, user.id),
        "groups": await dashboard.group_names(db, user.id),
        "phones": await accounts.phones(db, user.id),
        "max_text": MAX_TEXT,
        "submission": _submission(),
    }


def _submission() -> str:
    """A fresh name for one filling of the send form: the same form sent twice stores once."""
    return secrets.token_urlsafe(18)


@page
async def send_form(request: web.Request) -> web.StreamResponse:
    """The send form."""
    return render(request, "send.html", result=None, errors=[], **await _send_context(request))


def _numbers(raw: str, region: str | None) -> tuple[list[str], list[str]]:
    """Valid numbers (E.164, each once) and the entries that are not numbers."""
    valid: list[str] = []
    invalid: list[str] = []
    for item in raw.replace(";", ",").replace("\n", ",").split(","):
        entry = item.strip()
        if not entry:
            continue
        number = to_e164(entry, region)
        if number is None:
            invalid.append(entry)
        elif number not in valid:
            valid.append(number)
    return valid, invalid


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def _send_time(when: str) -> tuple[str | None, bool]:
    """The form's ``datetime-local`` as stored wall time (``None``: now), and whether it was bad."""
    if not when:
        return None, False
    try:
        return wall(parse_wall(when.replace("T", " ") + (":00" if len(when) == 16 else ""))), False
    except (ValueError, StoreError):
        return None, True


async def _schedule(request: web.Request) -> tuple[int | None, list[str]]:
    """Store the message the form describes; its id, or the problems found."""
    form = await request.post()
    user = _user(request)
    db = request.app[DB]
    text = str(form.get("text", ""))
    numbers, invalid = _numbers(str(form.get("numbers", "")), request.app.get(REGION))
    groups = _ids([str(v) for v in form.getall("groups", [])])
    contacts = _ids([str(v) for v in form.getall("contacts", [])])
    errors = [f"Not a phone number: {entry}" for entry in invalid]
    if not text.strip():
        errors.append("The text is empty.")
    elif len(text) > MAX_TEXT:
        errors.append(f"The text is longer than {MAX_TEXT} characters.")
    if not (numbers or groups or contacts):
        errors.append("Give at least one number, contact or group.")
    at, bad_time = _send_time(str(form.get("at", "")).strip())
    if bad_time:
        errors.append("The send time is not a date and time.")
    phone = str(form.get("id_phone", "")).strip()
    id_phone = int(phone) if phone.isdigit() else None
    owned = {p.id for p in await accounts.phones(db, user.id)}
    if id_phone is not None and id_phone not in owned:
        errors.append("No such phone.")
    if errors:
        return None, errors
    draft = _Draft(text, numbers, groups, contacts, at, id_phone)
    return await _store(request, user, str(form.get("submission", "")), draft)


@dataclass(frozen=True)
class _Draft:
    """A checked send form."""

    text: str
    numbers: list[str]
    groups: list[int]
    contacts: list[int]
    at: str | None
    id_phone: int | None


async def _store(
    request: web.Request, user: UserRow, name: str, draft: _Draft
) -> tuple[int | None, list[str]]:
    """Store ``draft`` once per submission ``name`` (see :func:`_submission`)."""
    # A double click, or the browser sending the answered form again on a reload, carries the
    # same submission name: the core answers the first message instead of storing another.
    db = request.app[DB]
    what = json.dumps(
        [draft.text, draft.numbers, draft.groups, draft.contacts, draft.at, draft.id_phone]
    )
    keys = [CommandKey("web", name, idempotency.digest("web.send", what))] if name else []

    async def create(record: idempotency.Recorder) -> list[int]:
        id_scheduled = await create_scheduled(
            db,
            id_user=user.id,
            text=draft.text,
            at=draft.at if draft.at is not None else wall(request.app[CLOCK]()),
            id_phone=draft.id_phone,
            numbers=[Recipient(number=n) for n in draft.numbers],
            contacts=draft.contacts,
            groups=draft.groups,
            record=record,
        )
        return [id_scheduled]

    try:
        done = await idempotency.once(
            db, id_user=user.id, keys=keys, create=create, now=request.app[CLOCK]()
        )
    except KeyReusedError:
        return None, ["This form was already sent with other content: reload the page."]
    except InvalidValueError as exc:  # a submission name over 512 characters, bad data
        return None, [f"The message cannot be stored: {exc}"]
    except NotFoundError:
        return None, ["The phone was deleted meanwhile."]
    id_scheduled = done.ids[0]
    if done.replayed:
        _log.info("web_message_repeated", user=user.email, scheduled=id_scheduled)
        return id_scheduled, []
    request.app[WAKE]()
    _log.info("web_message_scheduled", user=user.email, scheduled=id_scheduled)
    return id_scheduled, []


@page
async def send(request: web.Request) -> web.StreamResponse:
    """Schedule a message: JSON for the page's script, the form again without it."""
    id_scheduled, errors = await _schedule(request)
    if "application/json" in request.headers.get("Accept", ""):
        if errors:
            return web.json_response({"ok": False, "errors": errors}, status=422)
        return web.json_response({"ok": True, "id": id_scheduled, "submission": _submission()})
    context = await _send_context(request)
    return render(
        request,
        "send.html",
        status=422 if errors else 200,
        result=id_scheduled,
        errors=errors,
        **context,
    )


# ------------------------------------------------------------------ phones


@page
async def phones(request: web.Request) -> web.StreamResponse:
    """Each phone with its live state, its limits, its reliability alerts and a switch."""
    db = request.app[DB]
    user = _user(request)
    cards = await views.phone_cards(db, user, request.app.get(PHONES), _now(request))
    alerts: dict[int, list[tuple[str, str]]] = {}
    owners = {card.owner for card in cards}
    for owner in owners:
        settings = await accounts.settings(db, owner)
        for card in (c for c in cards if c.owner == owner):
            for kind in ReliabilityType:
                at = settings.get(last_alert_name(kind, card.id))
                if at:
                    alerts.setdefault(card.id, []).append((str(kind), at))
    return render(request, "phones.html", cards=cards, alerts=alerts, ussd={})


@page
async def phone_status(request: web.Request) -> web.StreamResponse:
    """Enable or disable a phone (its owner, or an admin)."""
    db = request.app[DB]
    user = _user(request)
    id_phone = int(request.match_info["id"])
    visible = {row.id for row in await views.visible_phones(db, user)}
    if id_phone not in visible:
        return _problem(request, 404, "No such phone", "This phone does not exist.")
    form = await request.post()
    status = "disabled" if form.get("action") == "disable" else "available"
    await accounts.set_phone_status(db, id_phone, status)
    control = request.app.get(PHONES)
    if control is not None:
        await control.apply(id_phone)
    _log.info("web_phone_status", user=user.email, phone=id_phone, status=status)
    raise web.HTTPSeeOther("/web/phones")


@page
async def phone_ussd(request: web.Request) -> web.StreamResponse:
    """Send a USSD code (or a menu reply) through one of the user's phones; show the answer."""
    db = request.app[DB]
    user = _user(request)
    id_phone = int(request.match_info["id"])
    door = request.app.get(USSD)
    if door is None:
        return _problem(request, 404, "No modems", "This smsd runs no modems.")
    form = await request.post()
    text = str(form.get("code", "")).strip()
    session = str(form.get("session", ""))
    try:
        if session.isdigit():
            row = await door.reply(id_user=user.id, id_ussd=int(session), text=text, wait=USSD_WAIT)
        else:
            row = await door.start(id_user=user.id, id_phone=id_phone, code=text, wait=USSD_WAIT)
    except UssdRequestError as exc:
        return _problem(request, 422 if exc.invalid else 409, "USSD refused", str(exc))
    _log.info("web_ussd", user=user.email, phone=id_phone, ussd=row.id, status=row.status)
    cards = await views.phone_cards(db, user, request.app.get(PHONES), _now(request))
    return render(request, "phones.html", cards=cards, alerts={}, ussd={id_phone: row})


HANDLERS: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]] = {
    name: globals()[name] for _method, _path, name in PAGES
}
"""The handlers of :data:`smsd.web.routes.PAGES` by name."""

ROUTES: tuple[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]], ...] = tuple(
    (method, path, HANDLERS[name]) for method, path, name in PAGES
)
