"""Contact lists and newsletters: ``savetag``, ``savecontact``, ``savepaket``.

A tag is a core group of contacts; ``savecontact`` creates a contact in one tag
(:func:`smsd.store.contact_lists.add_contact`). A newsletter ("paket") is a core scheduled
message to the tags' contacts, pinned to ``device_id`` and due at ``time_to_send``
(``DD.MM.YYYY H:i:s`` as the seed writes it, or ``YYYY-MM-DD HH:MM:SS``; 0 or absent: now):
the dispatcher sends one SMS per contact at that time (a contact in several tags gets one), with
no "start" to tap on a device. ``paket_id`` is the scheduled message's id; each SMS it becomes
shows it in ``getallsms`` (``paketid``, ``pakettitle``, ``paketbody``). The user's credit quota
must cover one SMS per distinct number of the tags when the newsletter is saved.

An ``Idempotency-Key`` header (smsd's extension, :mod:`smsd.api.idempotency`) on ``savepaket``
works as on the sending routes: the same key and request again within 24 h answers the first
``paket_id`` and stores nothing; the same key with another request, or a malformed key, is an
error naming ``Idempotency-Key``. The key is recorded in the transaction storing the newsletter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.api.smsgateway24.answers import fail, missing, ok
from smsd.api.smsgateway24.fields import body_text, integer, moment, one_number, read_values, text
from smsd.api.smsgateway24.sending import check_credit, command_key, device_of, store_once
from smsd.api.smsgateway24.tokens import token_user
from smsd.api.state import CLOCK, DB, REGION
from smsd.rules.credits import credits_for
from smsd.store import accounts, contact_lists
from smsd.store.errors import NotFoundError
from smsd.store.scheduled import create_scheduled
from smsd.store.walltime import wall

if TYPE_CHECKING:
    from aiohttp import web

    from smsd.store.idempotency import Recorder

__all__ = ["save_contact", "save_paket", "save_tag"]


async def save_tag(request: web.Request) -> web.Response:
    """``savetag``: create a contact list."""
    values = await read_values(request)
    user = await token_user(request, values)
    title = text(values, "title")
    assert title is not None
    id_group = await accounts.create_group(request.app[DB], id_user=user.id, name=title)
    return ok(tag_id=id_group)


async def save_contact(request: web.Request) -> web.Response:
    """``savecontact``: add a contact to a contact list."""
    values = await read_values(request)
    user = await token_user(request, values)
    written = text(values, "phone", limit=250)
    assert written is not None
    number = one_number(written, request.app.get(REGION))
    if number is None:
        raise fail("phone", f"{written!r} is not a valid phone number")
    id_group = integer(values, "ctag_id", required=True, low=1)
    assert id_group is not None
    name = text(values, "fullname")
    assert name is not None
    try:
        id_contact = await contact_lists.add_contact(
            request.app[DB], id_user=user.id, id_group=id_group, name=name, number=number
        )
    except NotFoundError as exc:
        raise fail("ctag_id", f"no tag {id_group} (savetag creates one)") from exc
    return ok("ok", contact_id=id_contact)


def _tag_ids(written: str) -> list[int]:
    ids: list[int] = []
    for part in written.split(","):
        if not part.strip():
            continue
        if not part.strip().isdigit() or len(part.strip()) > 18:
            raise fail("tags", f"{part.strip()!r} is not a tag id")
        ids.append(int(part.strip()))
    if not ids:
        raise missing("tags")
    return ids


async def save_paket(request: web.Request) -> web.Response:
    """``savepaket``: a newsletter to contact lists, at a time."""
    values = await read_values(request)
    user = await token_user(request, values)
    db = request.app[DB]
    title = text(values, "title")
    owned = {phone.id for phone in await accounts.phones(db, user.id)}
    device = device_of(values, owned)
    body = body_text(values)
    written = text(values, "tags", limit=10_000)
    assert written is not None
    tags = _tag_ids(written)
    unknown = sorted(set(tags) - await contact_lists.owned_groups(db, id_user=user.id, ids=tags))
    if unknown:
        raise fail("tags", f"no tag {', '.join(map(str, unknown))} (savetag creates one)")
    at = moment(values, "time_to_send") or wall(request.app[CLOCK]())
    key = command_key(request, "savepaket", values)

    async def create(record: Recorder) -> list[int]:
        members = await contact_lists.member_numbers(db, id_user=user.id, groups=tags)
        await check_credit(request, user, members * credits_for(body))
        try:
            id_paket = await create_scheduled(
                db,
                id_user=user.id,
                text=body,
                at=at,
                id_phone=device,
                tag=title,
                groups=tags,
                record=record,
            )
        except NotFoundError as exc:  # the device was deleted meanwhile
            raise fail("device_id", str(exc)) from exc
        return [id_paket]

    (id_paket,) = await store_once(request, user, key, create)
    return ok(paket_id=id_paket)
