"""The shape of the posts to a message's urlDlr and urlResponse sent through the SMSPartner door."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from smsd.store.webhooks import EventRow
from smsd.webhooks.payload import verify_smsd_signature
from smsd.webhooks.smspartner import build_smspartner_delivery


def event(type_: str, body: dict, **extra) -> EventRow:
    return EventRow(
        id=7, id_user=1, target="http://127.0.0.1/x", url="http://127.0.0.1/x", type=type_,
        subject="sended:3", body=json.dumps(body), timestamp=1_900_000_000, random_id="r",
        created_at=0.0, attempts=0, api_key="", secret="", format="smspartner", **extra,
    )  # fmt: skip


def form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))


def test_receipt_fields_and_signature() -> None:
    delivery = build_smspartner_delivery(
        event("send_sms_status_change", {"id": 3, "status": "failed"},
              destination="+33612345678", id_scheduled=12),
        "secret", 1_900_000_005,
    )  # fmt: skip
    assert form(delivery.body) == {
        "messageId": "12",
        "phoneNumber": "+33612345678",
        "status": "Not delivered",
        "stat": "UNDELIV",
        "date": "1900000000",
    }
    headers = delivery.headers
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["X-Smsd-Event-Id"] == "7"
    assert verify_smsd_signature(
        "secret", headers["X-Smsd-Timestamp"], headers["X-Smsd-Signature"], delivery.body,
        now=1_900_000_005,
    )  # fmt: skip


def test_waiting_while_no_report() -> None:
    delivery = build_smspartner_delivery(
        event("send_sms", {"id": 3, "status": "unknown", "destination": "+33612345678"}), "", 1
    )
    fields = form(delivery.body)
    assert (fields["status"], fields["stat"], fields["phoneNumber"]) == (
        "Waiting",
        "ENROUTE",
        "+33612345678",
    )
    assert "X-Smsd-Signature" not in delivery.headers


def test_reply_fields_as_smspartner_documents_them() -> None:
    delivery = build_smspartner_delivery(
        event(
            "receive_sms",
            {"id": 41, "at": "2030-06-10 10:05:00", "text": "Stop merci", "origin": "+33698765432"},
        ),
        "",
        1,
    )
    assert form(delivery.body) == {
        "msisdn": "33698765432",
        "to": "",
        "messageId": "41",
        "text": "Stop merci",
        "type": "text",
        "keyword": "Stop",
        "message-timestamp": "2030-06-10 10:05:00",
    }
