"""A client written for SMSPartner sends through the real daemon, unchanged but for the host.

The daemon runs as a process; its modem is a virtual one on a pseudo-terminal served by this
test; the client's callback URLs point at an aiohttp server on loopback. The Python client is
SMSPartner's own example (``http.client``, JSON body, ``webhookUrl``), with the connection made
to the daemon; the other client is curl as in SMSPartner's page.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import shutil

import pytest
from daemon_rig import KEY, running_daemon
from support.polling import until

NUMBER = "+33612345678"


def python_example(host: str, payload: dict) -> tuple[int, dict]:
    """SMSPartner's Python example, its connection made to ``host`` (``HTTPConnection``)."""
    conn = http.client.HTTPConnection(host, timeout=10)
    body = json.dumps(payload)
    headers = {
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "cache-control": "no-cache",
    }
    conn.request("POST", "/v1/send", body, headers)
    res = conn.getresponse()
    data = res.read()
    conn.close()
    return res.status, json.loads(data.decode("utf-8"))


def python_get(host: str, path: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(host, timeout=10)
    conn.request("GET", path)
    res = conn.getresponse()
    data = res.read()
    conn.close()
    return res.status, json.loads(data.decode("utf-8"))


async def curl(*args: str) -> tuple[int, dict]:
    process = await asyncio.create_subprocess_exec(
        "curl", "-s", "-w", "\n%{http_code}", *args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    body, _, status = out.decode().rpartition("\n")
    return int(status), json.loads(body)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
async def test_smspartner_clients_send_track_and_get_callbacks(tmp_path) -> None:
    async with running_daemon(tmp_path) as (host, modem, receiver):
        # SMSPartner's Python example: JSON body, gamme, webhookUrl for the receipts.
        status, answer = await asyncio.to_thread(
            python_example,
            host,
            {
                "apiKey": KEY,
                "phoneNumbers": NUMBER,
                "sender": "MyShop",
                "gamme": 1,
                "message": "Cest un message test PYTHON",
                "webhookUrl": receiver.url("/hook"),
            },
        )
        assert status == 200, answer
        assert (answer["success"], answer["code"], answer["nb_sms"]) == (True, 200, 1)
        first = answer["message_id"]

        # curl, as SMSPartner's page, with urlDlr and urlResponse; a national number.
        body = {
            "apiKey": KEY,
            "phoneNumbers": "0698765432",
            "message": "Votre RDV demain:br:Repondez OUI",
            "sender": "mycompany",
            "urlDlr": receiver.url("/dlr"),
            "urlResponse": receiver.url("/mo"),
        }
        status, answer = await curl(
            "-H", "Content-Type: application/json", "-X", "POST", "-d", json.dumps(body),
            f"http://{host}/v1/send",
        )  # fmt: skip
        assert status == 200, answer
        second = answer["message_id"]

        # Both leave the modem with the expected text.
        def wire() -> list[tuple[str, str]]:
            return [(s.decoded.destination, s.decoded.text) for s in modem.modem.submitted]

        await until(lambda: len(wire()) >= 2)
        assert sorted(wire()) == [
            ("+33612345678", "Cest un message test PYTHON"),
            ("+33698765432", "Votre RDV demain\r\nRepondez OUI"),
        ]

        # Delivery receipts reach webhookUrl and urlDlr in SMSPartner's terms.
        await until(lambda: any(f["status"] == "Delivered" for f in receiver.at("/dlr")))
        await until(lambda: any(f["status"] == "Delivered" for f in receiver.at("/hook")))
        delivered = next(f for f in receiver.at("/dlr") if f["status"] == "Delivered")
        assert delivered["messageId"] == str(second)
        assert delivered["phoneNumber"] == "+33698765432"
        assert delivered["stat"] == "DELIVRD"
        assert next(f for f in receiver.at("/hook") if f["status"] == "Delivered")[
            "messageId"
        ] == str(first)

        # message_id finds its status, with the Python client and with curl.
        status, found = await asyncio.to_thread(
            python_get,
            host,
            f"/v1/message-status?apiKey={KEY}&messageId={first}&phoneNumber=%2B33612345678",
        )
        assert (status, found["statut"], found["messageId"]) == (200, "Delivered", str(first))
        status, bulk = await curl(f"http://{host}/v1/bulk-status?apiKey={KEY}&messageId={second}")
        assert bulk["StatutResponse_List"][0]["status"] == "Delivered"

        # The recipient answers: the reply reaches urlResponse.
        await modem.deliver("+33698765432", "OUI merci")
        await until(lambda: bool(receiver.at("/mo")))
        [reply] = receiver.at("/mo")
        assert (reply["msisdn"], reply["text"], reply["type"]) == (
            "33698765432",
            "OUI merci",
            "text",
        )
        assert reply["keyword"] == "OUI"

        # The seed's error cases, answered with their codes and HTTP 400.
        status, refused = await curl(
            "-H", "Content-Type: application/json", "-X", "POST",
            "-d", json.dumps({"phoneNumbers": NUMBER, "message": "x"}), f"http://{host}/v1/send",
        )  # fmt: skip
        assert (status, refused["code"]) == (400, 1)
        status, refused = await curl(
            "-H", "Content-Type: application/json", "-X", "POST",
            "-d", json.dumps({"apiKey": KEY, "phoneNumbers": "922264", "sender": "mycompanyname",
                              "scheduledDeliveryDate": "21/11/2014"}),
            f"http://{host}/v1/send",
        )  # fmt: skip
        assert (status, refused["code"]) == (400, 9)
        assert [e["elementId"] for e in refused["errors"]] == [
            "children[message].data",
            "children[phoneNumbers].data",
            "children[sender].data",
            "children[scheduledDeliveryDate].data",
            "children[minute].data",
            "children[time].data",
        ]

        # sandbox: 1 goes through ids, statuses and receipts, and never reaches the modem.
        status, answer = await asyncio.to_thread(
            python_example,
            host,
            {"apiKey": KEY, "phoneNumbers": NUMBER, "message": "bac a sable", "sandbox": 1,
             "urlDlr": receiver.url("/sandbox")},
        )  # fmt: skip
        assert status == 200, answer
        await until(lambda: any(f["status"] == "Delivered" for f in receiver.at("/sandbox")))
        status, found = await asyncio.to_thread(
            python_get,
            host,
            f"/v1/message-status?apiKey={KEY}&messageId={answer['message_id']}&phoneNumber=0612345678",
        )
        assert (status, found["statut"], found["cost"]) == (200, "Delivered", 0.0)
        assert len(wire()) == 2  # nothing more left the modem
