"""POST /v1/send over loopback HTTP: SMSPartner's documented examples replayed, every error case."""

from __future__ import annotations

import json

from partner_helpers import KEY, NOW, call, send, serve, xml_values

from smsd.config import ApiConfig
from smsd.store import accounts, quota
from smsd.store.options import CURRENCY, DEFAULTS, SEGMENT_PRICE, STOP_MENTION, set_options
from smsd.store.walltime import wall

NUMBER = "+33612345678"

# The error example of SMSPartner's /v1/send page, verbatim (its JSON form).
SEED_ERRORS = json.loads(
    """{
"success": false,
"code":9,
"errors": [{
"elementId": "children[message].data",
"message": "Le message est requis"
}, {
"elementId": "children[phoneNumbers].data",
"message": "Ce numero de telephone n'est pas valide (922264)"
}, {
"elementId": "children[sender].data",
"message": "L'emetteur ne peut pas etre plus long que 11 caracteres"
}, {
"elementId": "children[scheduledDeliveryDate].data",
"message": "La date (21/11/2014 \\u00e0 :) est anterieure a la date actuelle."
}, {
"elementId": "children[minute].data",
"message": "La minute est requise"
}, {
"elementId": "children[time].data",
"message": "L'heure est requise"
}]
}"""
)


async def scheduled_rows(db) -> list[dict]:
    rows = await db.fetchall(
        "SELECT s.id, s.at, s.text, s.tag, s.url_dlr, s.url_response, s.callback_format, "
        "group_concat(n.number) AS numbers FROM scheduled AS s "
        "JOIN scheduled_number AS n ON n.id_scheduled = s.id GROUP BY s.id ORDER BY s.id"
    )
    return [dict(r) for r in rows]


async def test_curl_example_sends_and_answers_smspartner_success(client, db) -> None:
    answer = await send(
        client, {"apiKey": KEY, "phoneNumbers": NUMBER, "message": "test", "sender": "mycompany"}
    )
    assert answer == {
        "success": True,
        "code": 200,
        "message_id": answer["message_id"],
        "nb_sms": 1,
        "cost": 0,
        "currency": "EUR",
    }
    [row] = await scheduled_rows(db)
    assert row["id"] == answer["message_id"]
    assert (row["text"], row["numbers"], row["at"]) == ("test", NUMBER, wall(NOW))
    assert row["callback_format"] == "smspartner"
    assert client.wakes.count == 1


async def test_seed_error_example_lists_every_violated_constraint(client, db) -> None:
    answer = await send(
        client,
        {
            "apiKey": KEY,
            "phoneNumbers": "922264",
            "sender": "mycompanyname",
            "scheduledDeliveryDate": "21/11/2014",
        },
        status=400,
    )
    assert answer == SEED_ERRORS
    assert await scheduled_rows(db) == []


async def test_seed_error_example_in_xml(client) -> None:
    response = await client.post(
        "/v1/send?_format=xml",
        json={
            "apiKey": KEY,
            "phoneNumbers": "922264",
            "sender": "mycompanyname",
            "scheduledDeliveryDate": "21/11/2014",
        },
    )
    assert response.status == 400
    assert response.content_type == "application/xml"
    values = xml_values(await response.text())
    assert values[:2] == ["false", "9"]
    assert values[2] == [[e["elementId"], e["message"]] for e in SEED_ERRORS["errors"]]


async def test_success_in_xml(client) -> None:
    response = await client.post(
        "/v1/send", json={"apiKey": KEY, "phoneNumbers": NUMBER, "message": "x", "_format": "xml"}
    )
    assert response.status == 200
    values = xml_values(await response.text())
    assert values[0:2] == ["true", "200"]
    assert values[3:] == ["1", "0.0", "EUR"]


async def test_key_and_number_codes(client) -> None:
    body = {"phoneNumbers": NUMBER, "message": "x"}
    assert await send(client, body, status=400) == {
        "success": False,
        "code": 1,
        "message": "La Clé API est requise",
    }
    wrong = await send(client, {**body, "apiKey": "nope" * 8}, status=400)
    assert (wrong["code"], wrong["message"]) == (10, "Clé API incorrecte")
    missing = await send(client, {"apiKey": KEY, "message": "x"}, status=400)
    assert (missing["code"], missing["message"]) == (2, "Le numéro de téléphone est requis")


async def test_unescaped_quote_in_json_is_http_400_code_90(client, db) -> None:
    raw = '{"apiKey":"' + KEY + '","phoneNumbers":"' + NUMBER + '","message":"say "hi""}'
    answer = await call(
        client, "POST", "/v1/send", status=400, data=raw,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert answer["code"] == 90
    assert await scheduled_rows(db) == []


async def test_escaped_quote_br_and_euro(client, db) -> None:
    message = 'Promo \\"ete\\":br:-10:euro: :br:fin'
    answer = await send(client, {"apiKey": KEY, "phoneNumbers": NUMBER, "message": message})
    [row] = await scheduled_rows(db)
    assert row["text"] == 'Promo "ete"\r\n-10€ \r\nfin'
    assert answer["nb_sms"] == 1


async def test_characters_smspartner_replaces_unless_unicode(client, db) -> None:
    text = "Fête [promo] à l\u2019île ~ œuvre"
    await send(client, {"apiKey": KEY, "phoneNumbers": NUMBER, "message": text})
    await send(client, {"apiKey": KEY, "phoneNumbers": NUMBER, "message": text, "isUnicode": 1})
    rows = await scheduled_rows(db)
    assert rows[0]["text"] == "Fete (promo) à l'ile  oeuvre"
    assert rows[1]["text"] == text


async def test_form_body_and_query_string(client, db) -> None:
    form = {"apiKey": KEY, "phoneNumbers": "0612345678,+447911123456", "message": "form"}
    answer = await call(client, "POST", "/v1/send", data=form)
    assert answer["nb_sms"] == 2
    query = await call(
        client, "POST", "/v1/send", params={"apiKey": KEY, "phoneNumbers": NUMBER, "message": "q"}
    )
    assert query["success"] is True
    got = await call(
        client, "GET", "/v1/send", params={"apiKey": KEY, "phoneNumbers": NUMBER, "message": "g"}
    )
    assert got["success"] is True
    assert (await client.head("/v1/send", params={"apiKey": KEY})).status == 405
    rows = await scheduled_rows(db)
    assert rows[0]["numbers"] == "+33612345678,+447911123456"
    assert rows[1]["text"] == "q"


async def test_unescaped_quote_in_a_form_is_refused(client) -> None:
    form = {"apiKey": KEY, "phoneNumbers": NUMBER, "message": 'say "hi"'}
    answer = await call(client, "POST", "/v1/send", status=400, data=form)
    assert answer["code"] == 9
    assert answer["errors"][0]["elementId"] == "children[message].data"


async def test_numbers_limits_and_duplicates(client, db) -> None:
    many = ",".join(f"+3361234{i:04d}" for i in range(501))
    answer = await send(client, {"apiKey": KEY, "phoneNumbers": many, "message": "x"}, status=400)
    assert answer["code"] == 50
    ok = await send(
        client, {"apiKey": KEY, "phoneNumbers": "0612345678, +33612345678,", "message": "x"}
    )
    assert ok["nb_sms"] == 1
    assert (await scheduled_rows(db))[0]["numbers"] == NUMBER


async def test_national_numbers_follow_default_region(db, users) -> None:
    config = ApiConfig(smspartner=ApiConfig().smspartner.__class__(default_region="GB"))
    async with serve(db, config) as gb:
        answer = await send(
            gb, {"apiKey": KEY, "phoneNumbers": "0612345678", "message": "x"}, status=400
        )
        assert answer["errors"][0]["elementId"] == "children[phoneNumbers].data"
        assert (await send(gb, {"apiKey": KEY, "phoneNumbers": "07911123456", "message": "x"}))[
            "success"
        ]


async def test_scheduled_send_as_the_go_and_csharp_examples(client, db) -> None:
    body = {
        "apiKey": KEY,
        "phoneNumbers": NUMBER,
        "message": "later",
        "sender": "monentreprise"[:11],
        "scheduledDeliveryDate": "21/10/2030",
        "time": 9,
        "minute": 0,
    }
    answer = await send(client, body)
    [row] = await scheduled_rows(db)
    assert row["id"] == answer["message_id"]
    assert row["at"] == "2030-10-21 09:00:00"
    midnight = await send(client, {**body, "time": "24", "minute": "0"})
    assert midnight["success"]
    assert (await scheduled_rows(db))[1]["at"] == "2030-10-22 00:00:00"


async def test_schedule_errors(client) -> None:
    base = {"apiKey": KEY, "phoneNumbers": NUMBER, "message": "x"}
    past = await send(
        client,
        {**base, "scheduledDeliveryDate": "10/06/2030", "time": 9, "minute": 55},
        status=400,
    )
    assert past["errors"] == [
        {
            "elementId": "children[scheduledDeliveryDate].data",
            "message": "La date (10/06/2030 à 9:55) est anterieure a la date actuelle.",
        }
    ]
    bad = await send(
        client,
        {**base, "scheduledDeliveryDate": "31/02/2031", "time": 25, "minute": 7},
        status=400,
    )
    assert [e["elementId"] for e in bad["errors"]] == [
        "children[scheduledDeliveryDate].data",
        "children[minute].data",
        "children[time].data",
    ]


async def test_sender_tag_and_gamme_rules(client) -> None:
    base = {"apiKey": KEY, "phoneNumbers": NUMBER, "message": "x"}
    answer = await send(
        client, {**base, "sender": "a!", "tag": "Has Space", "gamme": 3}, status=400
    )
    assert [e["elementId"] for e in answer["errors"]] == [
        "children[sender].data",
        "children[tag].data",
        "children[gamme].data",
    ]
    assert (await send(client, {**base, "sender": "demo JAVA", "tag": "promo_2030"}))["success"]
    upper = await send(client, {**base, "tag": "Promo"}, status=400)
    assert upper["errors"][0]["message"] == "Le tag doit etre en minuscules"


async def test_low_cost_and_concatenation_limits(client) -> None:
    base = {"apiKey": KEY, "phoneNumbers": NUMBER}
    low = await send(client, {**base, "message": "a" * 161, "gamme": 2}, status=400)
    assert low["code"] == 42
    long = await send(client, {**base, "message": "a" * (153 * 10 + 1)}, status=400)
    assert long["code"] == 52
    two = await send(client, {**base, "message": "a" * 161, "gamme": 1})
    assert two["nb_sms"] == 2
    unicode = await send(client, {**base, "message": "é" * 70 + "ç", "isUnicode": 1})
    assert unicode["nb_sms"] == 2  # UCS-2: 67 characters a part
    replaced = await send(client, {**base, "message": "ê" * 160})
    assert replaced["nb_sms"] == 1  # "e" * 160: GSM, one SMS


async def test_urls_are_stored_and_checked(client, db) -> None:
    body = {
        "apiKey": KEY,
        "phoneNumbers": NUMBER,
        "message": "x",
        "urlDlr": "http://127.0.0.1:9/dlr",
        "urlResponse": "http://127.0.0.1:9/mo",
    }
    await send(client, body)
    header = await call(
        client, "POST", "/v1/send",
        json={"apiKey": KEY, "phoneNumbers": NUMBER, "message": "y"},
        headers={"webhookUrl": "http://127.0.0.1:9/hook"},
    )  # fmt: skip
    assert header["success"]
    rows = await scheduled_rows(db)
    assert (rows[0]["url_dlr"], rows[0]["url_response"]) == (
        "http://127.0.0.1:9/dlr",
        "http://127.0.0.1:9/mo",
    )
    assert rows[1]["url_dlr"] == "http://127.0.0.1:9/hook"
    bad = await send(client, {**body, "urlDlr": "ftp://example.org/x"}, status=400)
    assert bad["errors"][0]["elementId"] == "children[urlDlr].data"


async def test_core_options_reach_the_scheduled_message(client, db) -> None:
    await set_options(db, {SEGMENT_PRICE: "0.05", CURRENCY: "EUR"})
    answer = await send(
        client,
        {
            "apiKey": KEY,
            "phoneNumbers": f"{NUMBER},+33698765432",
            "message": "Soldes",
            "sender": "MyShop",
            "isStopSms": 1,
            "sandbox": 1,
        },
    )
    row = await db.fetchone(
        "SELECT text, sandbox, commercial, sender, stop_mention FROM scheduled WHERE id = ?",
        (answer["message_id"],),
    )
    mention = DEFAULTS[STOP_MENTION]
    assert dict(row) == {
        "text": f"Soldes\n{mention}",
        "sandbox": 1,
        "commercial": 1,
        "sender": "MyShop",
        "stop_mention": 1,
    }
    assert (answer["nb_sms"], answer["cost"]) == (2, 0.0)  # sandbox: nothing charged
    paid = await send(client, {"apiKey": KEY, "phoneNumbers": NUMBER, "message": "x"})
    assert paid["cost"] == 0.05


async def test_commercial_follows_the_users_setting(client, db, users) -> None:
    await accounts.set_setting(db, id_user=users[0], name="commercial", value="0")
    answer = await send(client, {"apiKey": KEY, "phoneNumbers": NUMBER, "message": "x"})
    row = await db.fetchone(
        "SELECT commercial FROM scheduled WHERE id = ?", (answer["message_id"],)
    )
    assert row["commercial"] == 0


async def test_not_enough_credit_is_code_11(client, db, users) -> None:
    await quota.set_quota(db, id_user=users[0], credit=1, now=NOW)
    body = {"apiKey": KEY, "phoneNumbers": f"{NUMBER},+33698765432", "message": "x"}
    answer = await send(client, body, status=400)
    assert answer["code"] == 11
    assert await scheduled_rows(db) == []
    assert (await send(client, {**body, "sandbox": 1}))["success"]  # never charged
    assert (await send(client, {**body, "phoneNumbers": NUMBER}))["success"]
    await set_options(db, {SEGMENT_PRICE: "0.05"})
    me = await call(client, "GET", "/v1/me", params={"apiKey": KEY})
    assert (me["credits"]["creditSms"], me["credits"]["balance"]) == (1, "0.05")
