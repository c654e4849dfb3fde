"""Home Assistant discovery: payloads valid against HA's schema, kept in step with the phones."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import jinja2
from ha_schema import validate
from mqtt_helpers import Subscriber, publish
from support.polling import until

from smsd.mqtt import Discovery, Topics
from smsd.mqtt.commands import parse_json
from smsd.mqtt.state import phone_payload
from smsd.store.mqtt import LastReceived, PhoneFigures


@dataclass(frozen=True)
class View:
    id_phone: int = 1
    name: str = "dongle-1"
    status: str = "available"
    available: bool = True
    connected: bool = True
    registered: bool = True
    operator: str = "Orange F"
    signal_dbm: int | None = -71
    manufacturer: str = "huawei"
    model: str = "E3372"
    imei: str = "861234567890123"
    balance: float | None = 12.5
    balance_low: bool = False


def _render(template: str, **values) -> str:
    env = jinja2.Environment(autoescape=False)  # noqa: S701 - HA renders these, not HTML
    env.policies["json.dumps_kwargs"] = {"sort_keys": False}
    return env.from_string(template).render(**values)


def test_every_payload_validates_and_its_templates_render_the_state():
    discovery = Discovery(Topics("smsd"), "homeassistant", "+33611111111")
    figures = PhoneFigures(
        queue=2, sent_today=5, last_received=LastReceived(3, "+33612345678", "Hi", "2026-01-01")
    )
    state = phone_payload(View(), figures)
    entities = discovery.daemon() + discovery.phone(View())
    kinds = {e.topic.split("/")[1] for e in entities}
    assert kinds == {"sensor", "notify", "event"}
    unique = [e.payload["unique_id"] for e in entities]
    assert len(set(unique)) == len(unique)
    for entity in entities:
        assert validate(entity.topic, entity.payload) == [], entity.topic
        template = entity.payload.get("value_template")
        if template and entity.payload["state_topic"] == "smsd/phone/dongle-1/state":
            assert _render(template, value_json=state) not in {"", "None"}, entity.topic
    phone = [e for e in entities if "dongle-1" in e.topic]
    assert {e.payload["device"]["identifiers"][1] for e in phone} == {"861234567890123"}
    assert all(e.payload["device"]["via_device"] == discovery.daemon_id for e in phone)
    [notify] = [e for e in entities if e.topic.startswith("homeassistant/notify/")]
    command = parse_json(_render(notify.payload["command_template"], value='Say "hi"').encode())
    assert (command.to, command.text, command.phone) == ("+33611111111", 'Say "hi"', "dongle-1")
    [signal] = [e for e in entities if e.topic.endswith("dongle-1_signal/config")]
    assert _render(signal.payload["value_template"], value_json=state) == "-71"
    [balance] = [e for e in entities if e.topic.endswith("dongle-1_balance/config")]
    assert _render(balance.payload["value_template"], value_json=state) == "12.5"
    without = discovery.phone(View(balance=None))
    assert not [e for e in without if "balance" in e.topic]


def test_the_schema_check_refuses_what_home_assistant_refuses():
    good = {"state_topic": "a/b", "unique_id": "u", "device": {"identifiers": ["x"]}}
    assert validate("homeassistant/sensor/n/o/config", good) == []
    assert validate("homeassistant/sensor/n/o/config", {"unique_id": "u"})  # no state_topic
    assert validate("homeassistant/sensor/n/o/config", good | {"stat_t": "x"})  # unknown key
    assert validate("homeassistant/sensor/n/o/config", good | {"device": {"name": "x"}})
    assert validate("homeassistant/notify/n/o/config", {"command_topic": "a/+"})
    assert validate("homeassistant/event/n/o/config", {"state_topic": "a"})  # no event_types
    assert validate(
        "homeassistant/sensor/n/o/config",
        good | {"device_class": "signal_strength", "unit_of_measurement": "%"},
    )
    assert validate("homeassistant/sensor/n/o.x/config", good)


async def test_discovery_published_retained_and_removed_with_the_phone(rig, broker):
    async with Subscriber(broker.port, "homeassistant/#", "smsd/#", client_id="t-disc") as sub:
        daemon = await rig.start("dongle-1", "dongle-2")

        def configs() -> dict[str, dict]:
            return {t: json.loads(p) for t, p in sub.matching("homeassistant/") if p}

        # Published at once, and again with the IMEI when the modem has told it.
        await until(
            lambda: (
                sum(
                    len(p["device"]["identifiers"]) == 2
                    for t, p in configs().items()
                    if "dongle" in t
                )
                == 2 * 7
            )
        )
        await until(lambda: sub.json_on("smsd/phone/dongle-2/state"))
        configs = configs()
        for topic, payload in configs.items():
            assert validate(topic, payload) == [], topic
        imeis = {p["device"]["identifiers"][-1] for t, p in configs.items() if "dongle-2_" in t}
        [imei] = imeis
        assert imei.isdigit()
        assert len(imei) == 15
        await until(lambda: sub.json_on("smsd/phone/dongle-2/state")[-1]["imei"] == imei)
        state = sub.json_on("smsd/phone/dongle-2/state")[-1]
        assert state["status"] == "available"
        assert state["registered"] is True
        assert isinstance(state["signal_dbm"], int)
        daemon_state = sub.json_on("smsd/state")[-1]
        assert daemon_state["phones"] == 2
        removed_topics = {t for t in configs if "dongle-2_" in t}
        await daemon.engine.remove_phone("dongle-2")
        await until(
            lambda: {t for t, p in sub.matching("homeassistant/") if not p} >= removed_topics
        )
        await until(lambda: sub.on("smsd/phone/dongle-2/state")[-1:] == [b""])
    # A fresh subscriber sees only the remaining phone's retained configs.
    async with Subscriber(broker.port, "homeassistant/#", client_id="t-disc-2") as fresh:
        await until(lambda: len(fresh.messages) >= 2 + 7)
        await asyncio.sleep(0.3)
        topics = {t for t, p, retained in fresh.messages if retained and p}
        assert not any("dongle-2" in t for t in topics)
        assert any("dongle-1_signal" in t for t in topics)


async def test_stale_configs_are_removed_and_a_birth_message_republishes(rig, broker):
    stale = "homeassistant/sensor/smsd/gone_signal/config"
    async with Subscriber(broker.port, "homeassistant/#", client_id="t-stale") as sub:
        await publish(broker.port, stale, json.dumps({"state_topic": "x"}), retain=True)
        await rig.start()
        await until(lambda: sub.on(stale)[-1:] == [b""])
        count = len(sub.matching("homeassistant/sensor/smsd/dongle-1_signal"))
        await publish(broker.port, "homeassistant/status", "online", qos=0)
        await until(lambda: len(sub.matching("homeassistant/sensor/smsd/dongle-1_signal")) > count)


async def test_sim_balance_from_the_balance_watch(rig, broker):
    async with Subscriber(broker.port, "homeassistant/#", "smsd/#", client_id="t-bal") as sub:
        await rig.start(phone_extra='balance_ussd = "*100#"')
        topic = "homeassistant/sensor/smsd/dongle-1_balance/config"
        await until(lambda: sub.on(topic), timeout=20)
        await until(lambda: sub.json_on("smsd/phone/dongle-1/state")[-1]["balance"] == 12.5)
    config = json.loads(sub.on(topic)[-1])
    assert validate(topic, config) == []
    assert config["value_template"] == "{{ value_json.balance }}"
    assert sub.json_on("smsd/phone/dongle-1/state")[-1]["balance_low"] is False
