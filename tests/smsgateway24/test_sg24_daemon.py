"""A client following the SMSGateway24 seed, against the real daemon over loopback HTTP.

The daemon runs two virtual modems on pseudo-terminals (``device = "virtual"``: every message
that asks for a status report is reported delivered). The client logs in, chooses a device and
its SIM, sends one SMS and a bulk of 50, watches the statuses move to delivered, reads the live
signal of the devices, saves a contact list, its contacts and a newsletter that reaches each
contact, reads an incoming SMS through ``getallsms``, and sees an SMS to a number that sent STOP
"not allowed" (the core's STOP list).
"""

from __future__ import annotations

import asyncio
import json
import time

from sg24_rig import API_KEY, EMAIL, PASSWORD, running_daemon, set_password
from support.polling import until


async def test_a_seed_client_works_end_to_end(tmp_path) -> None:
    async with running_daemon(tmp_path) as (smsd, config_path):
        token = await _log_in(smsd, config_path)
        chosen = await _devices_with_live_signal(smsd, token)
        sms_id = await _one_and_fifty_delivered(smsd, token, chosen)
        await _newsletter_to_each_contact(smsd, token, chosen)
        await _incoming_through_getallsms(smsd, token)
        await _api_key_and_login_sends(smsd, token, sms_id)
        await _stop_list_is_not_allowed(smsd, token)


async def _log_in(smsd, config_path) -> str:
    done = await asyncio.to_thread(set_password, config_path, EMAIL, PASSWORD)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    wrong = await smsd.call("GET", "gettoken", params={"email": EMAIL, "pass": "nope nope"})
    assert wrong == {"error": 1, "message": "Login or password incorrect"}
    answer = await smsd.call("GET", "gettoken", params={"email": EMAIL, "pass": PASSWORD})
    assert answer["error"] == 0
    token = answer["token"]
    assert len(token) == 32
    assert token != API_KEY
    return token


async def _devices_with_live_signal(smsd, token: str) -> int:
    # ---- the devices: two modems, each with its SIM and live signal
    devices = await smsd.call("GET", "getalldevices", params={"token": token})
    assert devices["error"] == 0
    assert devices["count"] == 2
    chosen = smsd.phone_id("virtual-2")
    device = devices["device"][str(chosen)]
    assert device["title"] == "virtual-2"
    assert device["online"] is True
    assert device["lastseen"] is not None
    (sim,) = device["siminfo"]
    assert sim["Slot"] == "0"
    assert sim["IccId"]
    assert sim["CarrierName"]
    smsd.virtual("virtual-2").modem.faults.signal = 7

    async def signal_seen():
        found = await smsd.call("POST", "getalldevices", data={"token": token})
        return found["device"][str(chosen)]["siminfo"][0]["SignalRssi"] == 7

    await until(signal_seen)
    return chosen


async def _one_and_fifty_delivered(smsd, token: str, chosen: int) -> int:
    # ---- one SMS, a little later, through the chosen device and SIM ("+" as %2B)
    later = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() + 3))
    query = (
        f"token={token}&sendto=%2B33612345678&body=Code%201234&device_id={chosen}&sim=0"
        f"&timetosend={later.replace(' ', '%20')}&customerid=122&urgent=1"
    )
    one = await smsd.call("GET", f"addsms?{query}")
    assert one["error"] == 0
    assert one["message"] == "Sms has been saved successfully"
    sms_id = one["sms_id"]
    first = await smsd.call("GET", "getsmsstatus", params={"token": token, "sms_id": sms_id})
    assert (first["status"], first["status_description"]) == (1, "waiting")
    assert first["customerid"] == 122

    # ---- a bulk of 50 through the same device, all stored at once
    smsdata = [
        {"sendto": f"+3361234{i:04d}", "body": f"Bulk {i}", "sim": 0, "device_id": chosen}
        for i in range(50)
    ]
    bulk = await smsd.call(
        "POST",
        "addalotofsms",
        data={"datajson": json.dumps({"token": token, "smsdata": smsdata})},
    )
    assert bulk["error"] == 0, bulk
    assert bulk["count"] == 50
    assert len(set(bulk["sms_ids"])) == 50

    async def all_delivered():
        listed = await smsd.call(
            "GET", "getallsms", params={"token": token, "device_id": chosen, "status": 7}
        )
        return listed["count"] == 51 and listed

    listed = await until(all_delivered)
    assert set(listed["smss"]) == {str(i) for i in [sms_id, *bulk["sms_ids"]]}
    mine = listed["smss"][str(sms_id)]
    assert mine["sendto"] == "+33612345678"
    assert mine["customerid"] == 122
    assert mine["urgent"] == 1
    assert mine["deviceid"] == chosen
    assert mine["statustitle"] == "delivered"
    assert mine["senttime"] is not None
    last = await smsd.call("POST", "getsmsstatus", data={"token": token, "sms_id": sms_id})
    assert last["status"] == 7
    assert len(smsd.submitted_to("virtual-2")) == 51
    assert smsd.submitted_to("virtual-1") == []
    return sms_id


async def _newsletter_to_each_contact(smsd, token: str, chosen: int) -> None:
    # ---- a contact list, its contacts, a newsletter that reaches each of them
    tag = await smsd.call("GET", "savetag", params={"token": token, "title": "Employés"})
    assert tag["error"] == 0
    people = {"+33611111111": "Ann", "+33622222222": "Bob", "+33633333333": "Zoé"}
    for phone, name in people.items():
        saved = await smsd.call(
            "POST",
            "savecontact",
            data={"token": token, "phone": phone, "ctag_id": tag["tag_id"], "fullname": name},
        )
        assert (saved["error"], saved["message"]) == (0, "ok")
        assert saved["contact_id"] > 0
    paket = await smsd.call(
        "POST",
        "savepaket",
        data={
            "token": token,
            "title": "Réunion",
            "device_id": str(chosen),
            "body": "Réunion à 10h",
            "tags": str(tag["tag_id"]),
            "sim": "0",
            "time_to_send": "0",
        },
    )
    assert paket["error"] == 0, paket

    async def newsletter_delivered():
        found = await smsd.call("GET", "getallsms", params={"token": token, "status": 7})
        sms = [s for s in found["smss"].values() if s["paketid"] == paket["paket_id"]]
        return len(sms) == 3 and sms

    sent = await until(newsletter_delivered)
    assert sorted(s["sendto"] for s in sent) == sorted(people)
    assert {s["pakettitle"] for s in sent} == {"Réunion"}
    assert {s["body"] for s in sent} == {"Réunion à 10h"}
    assert sorted(smsd.submitted_to("virtual-2")[-3:]) == sorted(people)


async def _incoming_through_getallsms(smsd, token: str) -> None:
    # ---- an incoming SMS, read through getallsms (status 5)
    await smsd.virtual("virtual-1").deliver("+33698765432", "Bonjour du client")

    async def incoming():
        found = await smsd.call("GET", "getallsms", params={"token": token, "status": 5})
        return found["count"] == 1 and found

    found = await until(incoming)
    (received,) = found["smss"].values()
    assert received["sendto"] == "+33698765432"
    assert received["body"] == "Bonjour du client"
    assert received["deviceid"] == smsd.phone_id("virtual-1")
    assert received["statustitle"] == "incoming"
    everything = await smsd.call("GET", "getallsms", params={"token": token, "onlycount": 1})
    assert everything == {"error": 0, "message": "OK", "count": 55}


async def _api_key_and_login_sends(smsd, token: str, sms_id: int) -> None:
    # ---- the API key is a token too; smstosend logs in with e-mail and password
    keyed = await smsd.call("GET", "getsmsstatus", params={"token": API_KEY, "sms_id": sms_id})
    assert keyed["status"] == 7
    direct = await smsd.call(
        "POST",
        "smstosend",
        data={
            "email": EMAIL,
            "pass": PASSWORD,
            "sendto": "+33 6 12 34 99 99",
            "body": "direct",
            "device_id": str(smsd.phone_id("virtual-1")),
        },
    )
    assert direct["error"] == 0
    await until(lambda: _delivered(smsd, token, direct["sms_id"]))
    assert smsd.submitted_to("virtual-1") == ["+33612349999"]


async def _delivered(smsd, token: str, sms_id: int) -> bool:
    found = await smsd.call("GET", "getsmsstatus", params={"token": token, "sms_id": sms_id})
    return found["status"] == 7


async def _stop_list_is_not_allowed(smsd, token: str) -> None:
    # ---- a number that sent STOP is on the core's STOP list: an SMS to it is "not allowed"
    await smsd.virtual("virtual-1").deliver("+33677777777", "STOP")

    async def stop_received():
        found = await smsd.call(
            "GET", "getallsms", params={"token": token, "phone": "+33677777777", "status": 5}
        )
        return found["count"] == 1

    await until(stop_received)
    sent = await smsd.call(
        "GET",
        "addsms",
        params={"token": token, "sendto": "+33677777777", "body": "promo",
                "device_id": smsd.phone_id("virtual-1")},
    )  # fmt: skip
    assert sent["error"] == 0

    async def not_allowed():
        found = await smsd.call(
            "GET", "getsmsstatus", params={"token": token, "sms_id": sent["sms_id"]}
        )
        return found["status"] == 100 and found

    found = await until(not_allowed)
    assert found["status_description"] == "not allowed"
    # the number got the core's one STOP confirmation, never the promotion
    await asyncio.sleep(0.5)
    assert smsd.submitted_to("virtual-1").count("+33677777777") <= 1
    texts = [
        item.decoded.text
        for item in smsd.virtual("virtual-1").modem.submitted
        if item.decoded.destination.lstrip("+") == "33677777777"
    ]
    assert "promo" not in texts
