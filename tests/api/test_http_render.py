"""Templating end to end: posted over HTTP, expanded by the store with the render hook."""

from __future__ import annotations

import aiohttp
from http_helpers import post_json
from support.http_app import KEY_A

from smsd.store import accounts
from smsd.store.rows import Recipient
from smsd.store.scheduled import expand_scheduled
from smsd.templating.messages import make_render, render_message, template_data

H = {"X-Api-Key": KEY_A}


def plan(text: str) -> int:
    return 1


async def texts(db, id_scheduled: int, render) -> dict[str, str]:
    await expand_scheduled(db, id_scheduled, now=4_102_444_800.0, render=render, plan=plan)
    found = await db.fetchall(
        "SELECT destination, text FROM sended WHERE originating_scheduled = ? ORDER BY id",
        (id_scheduled,),
    )
    return {r["destination"]: r["text"] for r in found}


async def test_contact_data_number_data_and_csv_columns(client, db, users):
    contact = await accounts.create_contact(
        db, id_user=users[0], name="Ann", number="+33612345678", data='{"firstname":"Ann"}'
    )
    form = aiohttp.FormData()
    form.add_field(
        "text",
        "Hi {{ contact.firstname|upper }} ({{ contact_metas.name|default(contact_metas.number) }})",
    )
    form.add_field("contacts[]", str(contact))
    form.add_field("numbers[0][number]", "+33611111111")
    form.add_field("numbers[0][data]", '{"firstname":"Bob"}')
    form.add_field("numbers_csv", b"number,first name\n+33622222222,Cy\n", filename="n.csv")
    created = await post_json(client, "/api/scheduled/", data=form, headers=H)
    result = await texts(db, created["response"], make_render())
    assert result == {
        "+33611111111": "Hi BOB (+33611111111)",
        "+33622222222": "Hi CY (+33622222222)",
        "+33612345678": "Hi ANN (Ann)",
    }


async def test_failing_template_skips_the_recipient_and_plain_text_passes(client, db, users):
    created = await post_json(
        client,
        "/api/scheduled/",
        data={"text": "{{ contact.x.__class__ }}{% for %}", "numbers": "+33611111111"},
        headers=H,
    )
    assert await texts(db, created["response"], make_render()) == {}
    created = await post_json(
        client,
        "/api/scheduled/",
        data={"text": "{{ not a template", "numbers": "+33611111111"},
        headers=H,
    )
    verbatim = make_render(templating=False)
    assert await texts(db, created["response"], verbatim) == {"+33611111111": "{{ not a template"}


def test_render_message_edges():
    recipient = Recipient(number="+33611111111", data="[]")
    assert render_message("no markup {x}", recipient, {}) == "no markup {x}"
    assert render_message("{{ contact.a }}!", recipient, {}) == "!"
    assert template_data("not json") == {}
    assert template_data("[1, 2]") == {}
    assert template_data('{"a": "b"}') == {"a": "b"}
